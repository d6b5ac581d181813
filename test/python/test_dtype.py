"""kiln.dtype objects, aliases and the type-promotion table."""

import itertools
import pickle

import numpy as np
import pytest

import kiln

ALL = [kiln.float32, kiln.float64, kiln.float16, kiln.bfloat16, kiln.int8, kiln.int32, kiln.int64, kiln.uint8, kiln.bool]
NP = {
    kiln.float32: np.float32, kiln.float64: np.float64, kiln.float16: np.float16,
    kiln.int8: np.int8, kiln.int32: np.int32, kiln.int64: np.int64, kiln.uint8: np.uint8, kiln.bool: np.bool_,
}


def test_aliases_are_the_same_objects():
    assert kiln.float is kiln.float32
    assert kiln.double is kiln.float64
    assert kiln.half is kiln.float16
    assert kiln.long is kiln.int64
    assert kiln.int is kiln.int32


def test_repr_itemsize_and_kind():
    assert repr(kiln.float32) == "kiln.float32"
    assert str(kiln.bfloat16) == "kiln.bfloat16"
    sizes = [4, 8, 2, 2, 1, 4, 8, 1, 1]
    assert [d.itemsize for d in ALL] == sizes
    assert [d.is_floating_point for d in ALL] == [True] * 4 + [False] * 5


def test_tensor_dtype_is_the_singleton():
    assert kiln.tensor([1.0]).dtype is kiln.float32
    assert kiln.tensor([1]).dtype is kiln.int64
    assert kiln.tensor([True]).dtype is kiln.bool


def test_dtype_equality_hash_and_pickle():
    assert kiln.float32 == kiln.float
    assert kiln.float32 != kiln.float64
    assert kiln.float32 != "float32"
    assert len({kiln.float, kiln.float32, kiln.int64}) == 2
    assert pickle.loads(pickle.dumps(kiln.bfloat16)) is kiln.bfloat16


# PyTorch's table, with int16 replaced by int32 (Kiln has no int16).
TABLE = {
    (kiln.uint8, kiln.int8): kiln.int32,
    (kiln.uint8, kiln.int32): kiln.int32,
    (kiln.int8, kiln.int64): kiln.int64,
    (kiln.bool, kiln.int8): kiln.int8,
    (kiln.bool, kiln.float16): kiln.float16,
    (kiln.bool, kiln.bfloat16): kiln.bfloat16,
    (kiln.float16, kiln.bfloat16): kiln.float32,
    (kiln.bfloat16, kiln.float32): kiln.float32,
    (kiln.bfloat16, kiln.float64): kiln.float64,
    (kiln.int64, kiln.float16): kiln.float16,
    (kiln.int64, kiln.bfloat16): kiln.bfloat16,
    (kiln.int32, kiln.float32): kiln.float32,
    (kiln.uint8, kiln.float64): kiln.float64,
    (kiln.float32, kiln.float64): kiln.float64,
}


@pytest.mark.parametrize("pair", sorted(TABLE, key=repr), ids=repr)
def test_promotion_table(pair):
    a, b = pair
    assert kiln.promote_types(a, b) is TABLE[pair]
    assert kiln.promote_types(b, a) is TABLE[pair]


def test_promotion_agrees_with_numpy_among_same_kind():
    # NumPy and PyTorch agree when both types are integers or both are floats
    # (mixed int/float differs: NumPy widens int64 + float16 to float64).
    for a, b in itertools.product(NP, NP):
        same_kind = a.is_floating_point == b.is_floating_point and kiln.bool not in (a, b)
        if not same_kind or {a, b} == {kiln.uint8, kiln.int8}:
            continue
        assert kiln.promote_types(a, b) == {v: k for k, v in NP.items()}[np.result_type(NP[a], NP[b]).type]


def test_promotion_is_symmetric_and_bool_is_identity():
    for a, b in itertools.product(ALL, ALL):
        assert kiln.promote_types(a, b) is kiln.promote_types(b, a)
    for a in ALL:
        assert kiln.promote_types(a, kiln.bool) is a
        assert kiln.promote_types(a, a) is a


def test_device_objects():
    d = kiln.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert repr(d) == "device(type='cuda', index=1)"
    assert str(d) == "cuda:1"
    assert repr(kiln.device("cpu")) == "device(type='cpu')"
    assert kiln.device("cpu").index is None
    assert kiln.device("cuda", 0) == kiln.device("cuda:0")
    assert kiln.device("cuda:0") != kiln.device("cuda:1")
    assert kiln.tensor([1]).device == kiln.device("cpu")
