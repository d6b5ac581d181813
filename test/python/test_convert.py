"""Conversions: to/type and the dtype shorthands, Python scalars, NumPy, pickling, new_* factories and DLPack."""

import copy
import pickle

import numpy as np
import pytest

import kiln
from conftest import NUMPY_DTYPES

NP = dict(NUMPY_DTYPES)
ALL_DTYPES = [k for k, _ in NUMPY_DTYPES] + [kiln.bfloat16]
FLOATS = {kiln.float32, kiln.float64, kiln.float16, kiln.bfloat16}
UNSIGNED = {kiln.uint8, kiln.bool}


def values(t):
    """The tensor's values as NumPy (bfloat16 widened to float32)."""
    return (t.float() if t.dtype is kiln.bfloat16 else t).numpy()


def source_values(src, dst):
    """Values every target holds without overflow: fractions of both signs, zero, and a value past int8's range
    only where the target is wide enough. Negative values are left out of float -> unsigned casts, which C leaves
    undefined."""
    if src is kiln.bool:
        return np.array([True, False, True, True])
    floats = [-2.75, -0.5, 0.0, 0.25, 2.9, 100.0, 1.0]
    ints = [-3, 0, 1, 7, 100, -100, 2]
    data = floats if src in FLOATS else ints
    if src in FLOATS and dst in UNSIGNED:
        data = [abs(v) for v in data]
    return np.array(data)


# ----------------------------------------------------------------------------------------------------------------
# to() between every pair of dtypes, against NumPy's astype.


@pytest.mark.parametrize("src", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("dst", ALL_DTYPES, ids=str)
def test_to_every_dtype_pair_matches_numpy_astype(src, dst):
    x = kiln.tensor(source_values(src, dst), dtype=src)
    y = x.to(dst)
    assert y.dtype is dst and y.shape == x.shape
    held = values(x)  # the source's values as stored (bfloat16 already rounded)
    if dst is kiln.bfloat16:
        expected = held.astype(np.float64)
        np.testing.assert_allclose(values(y), expected, rtol=2**-8, atol=0)
    else:
        np.testing.assert_array_equal(y.numpy(), held.astype(NP[dst]))
    if src is dst:
        assert y is x


@pytest.mark.parametrize("dst", [kiln.int32, kiln.float64, kiln.bool, kiln.bfloat16])
def test_to_on_views_and_pending_tensors(dst):
    a = np.arange(24, dtype=np.float32).reshape(4, 6) - 11.5
    x = kiln.tensor(a)
    for view, expected in ((x.t(), a.T), ((x + 1).t().narrow(0, 1, 3), (a + 1).T[1:4])):
        y = view.to(dst)
        assert y.shape == expected.shape
        if dst is kiln.bfloat16:
            np.testing.assert_allclose(values(y), expected, rtol=2**-8)
        else:
            np.testing.assert_array_equal(y.numpy(), expected.astype(NP[dst]))


def test_to_argument_forms():
    x = kiln.tensor([1.5, -2.5])
    other = kiln.tensor([1], dtype=kiln.int32)
    assert x.to(other).dtype is kiln.int32
    assert x.to("cpu") is x
    assert x.to(kiln.device("cpu")) is x
    assert x.to("cpu", kiln.float64).dtype is kiln.float64
    assert x.to(device="cpu", dtype=kiln.int64).tolist() == [1, -2]
    assert x.to(dtype=kiln.float16).dtype is kiln.float16
    assert x.to(kiln.float32) is x
    assert x.to(kiln.float32, False) is x
    assert x.to(None, kiln.int8).dtype is kiln.int8
    copied = x.to(kiln.float32, copy=True)
    assert copied is not x and copied.tolist() == x.tolist() and not copied._is_view_of(x)
    assert x.to(kiln.float64, non_blocking=True).dtype is kiln.float64
    assert x.type_as(other).dtype is kiln.int32


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: x.to("cuda"), RuntimeError, r"to\(\): tensors on device 'cuda'"),
        (lambda x: x.to(kiln.device("cuda:1")), RuntimeError, r"to\(\): tensors on device 'cuda:1'"),
        (lambda x: x.to(0), RuntimeError, r"to\(\): tensors on device"),
        (lambda x: x.to("tpu"), ValueError, r"device"),
        (lambda x: x.to(dtype="float32"), TypeError, r"to\(\): argument 'dtype' must be kiln.dtype"),
        (lambda x: x.to(kiln.float32, "x"), TypeError, r"to\(\) received an invalid combination"),
        (lambda x: x.to(kiln.float32, bogus=1), TypeError, r"to\(\) got an unexpected"),
        (lambda x: x.cuda(), RuntimeError, r"cuda\(\): tensors on device 'cuda'"),
        (lambda x: x.short(), NotImplementedError, r"short\(\): Kiln has no int16 dtype"),
        (lambda x: x.type("kiln.ShortTensor"), ValueError, r"type\(\): invalid type: 'kiln.ShortTensor'"),
        (lambda x: x.type(3), TypeError, r"type\(\): argument 'dtype' must be kiln.dtype"),
        (lambda x: x.item(), RuntimeError, r"item\(\): a Tensor with 2 elements cannot be converted to Scalar"),
        (lambda x: float(x), RuntimeError, r"__float__\(\): a Tensor with 2 elements"),
        (lambda x: int(x), RuntimeError, r"__int__\(\): a Tensor with 2 elements"),
        (lambda x: [1, 2][x.narrow(0, 0, 1)], TypeError, r"only integer tensors of a single element"),
        (lambda x: f"{x:.2f}", TypeError, r"unsupported format string"),
        (lambda x: x.new_zeros(2, -1), RuntimeError, r"new_zeros\(\): Trying to create tensor with negative dimension"),
        (lambda x: x.new_full((2,), "a"), TypeError, r"new_full\(\): argument 'fill_value' must be Number"),
        (lambda x: x.new_ones(2, dtype=float), TypeError, r"new_ones\(\): argument 'dtype' must be kiln.dtype"),
        (lambda x: x.bfloat16().numpy(), TypeError, r"numpy\(\): Got unsupported ScalarType BFloat16"),
        (lambda x: kiln.is_floating_point([1.0]), TypeError, r"is_floating_point\(\): argument 'input' must be Tensor"),
        (lambda x: kiln.numel(3), TypeError, r"numel\(\): argument 'input' must be Tensor"),
        (lambda x: kiln.set_default_dtype(kiln.float64), NotImplementedError, r"set_default_dtype\(\): Kiln's default"),
        (lambda x: kiln.set_default_dtype(kiln.int64), TypeError, r"set_default_dtype\(\): only floating-point"),
    ],
)
def test_conversion_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(kiln.tensor([1.5, -2.5]))


def test_type_names_and_casts():
    names = {
        kiln.float32: "kiln.FloatTensor",
        kiln.float64: "kiln.DoubleTensor",
        kiln.float16: "kiln.HalfTensor",
        kiln.bfloat16: "kiln.BFloat16Tensor",
        kiln.int8: "kiln.CharTensor",
        kiln.int32: "kiln.IntTensor",
        kiln.int64: "kiln.LongTensor",
        kiln.uint8: "kiln.ByteTensor",
        kiln.bool: "kiln.BoolTensor",
    }
    x = kiln.tensor([2.5, -1.0])
    for dtype, name in names.items():
        assert kiln.zeros(1, dtype=dtype).type() == name
        assert x.type(name).dtype is dtype
        assert x.type(name.replace("kiln.", "torch.")).dtype is dtype
        assert x.type(dtype).dtype is dtype
    assert x.type(kiln.float32) is x
    assert x.type(kiln.int32).tolist() == [2, -1]


@pytest.mark.parametrize(
    "method, dtype",
    [
        ("float", kiln.float32),
        ("double", kiln.float64),
        ("half", kiln.float16),
        ("bfloat16", kiln.bfloat16),
        ("long", kiln.int64),
        ("int", kiln.int32),
        ("char", kiln.int8),
        ("byte", kiln.uint8),
        ("bool", kiln.bool),
    ],
)
def test_dtype_shorthands(method, dtype):
    x = kiln.tensor([[0.0, 2.7], [-1.5, 3.0]]).t()
    y = getattr(x, method)()
    assert y.dtype is dtype and y.shape == (2, 2)
    expected = np.array([[0.0, 2.7], [-1.5, 3.0]], np.float32).T
    if dtype is kiln.bfloat16:
        np.testing.assert_allclose(values(y), expected, rtol=2**-8)
    elif dtype is kiln.uint8:
        assert y.numpy()[1, 0] == 2 and y.numpy()[0, 0] == 0
    else:
        np.testing.assert_array_equal(y.numpy(), expected.astype(NP[dtype]))
    assert getattr(y, method)() is y


def test_cpu_and_device_queries():
    x = kiln.tensor([1, 2])
    assert x.cpu() is x
    assert x.is_cpu and not x.is_cuda
    assert kiln.is_tensor(x) and not kiln.is_tensor([1]) and not kiln.is_tensor(np.zeros(2))
    for dtype in ALL_DTYPES:
        t = kiln.zeros(2, 3, dtype=dtype)
        assert kiln.is_floating_point(t) == t.is_floating_point() == (dtype in FLOATS)
        assert kiln.numel(t) == 6
    assert kiln.get_default_dtype() is kiln.float32
    kiln.set_default_dtype(kiln.float32)
    assert kiln.tensor([1.0]).dtype is kiln.float32


# ----------------------------------------------------------------------------------------------------------------
# new_* factories


def test_new_factories_inherit_the_dtype():
    x = kiln.tensor([1, 2, 3], dtype=kiln.int32)
    z = x.new_zeros(2, 3)
    assert z.dtype is kiln.int32 and z.shape == (2, 3) and z.numpy().tolist() == [[0] * 3] * 2
    o = x.new_ones((4,), dtype=kiln.float64)
    assert o.dtype is kiln.float64 and o.tolist() == [1.0] * 4
    f = x.new_full((2, 2), 7.9)
    assert f.dtype is kiln.int32 and f.tolist() == [[7, 7], [7, 7]]
    e = x.new_empty([3, 1])
    assert e.dtype is kiln.int32 and e.shape == (3, 1)
    a = np.array([1.5, 2.5])
    n = x.new_tensor(a)
    assert n.dtype is kiln.int32 and n.tolist() == [1, 2]
    n = x.new_tensor(a, dtype=kiln.float64)
    a[0] = 100
    assert n.tolist() == [1.5, 2.5]
    assert kiln.zeros(2).new_zeros(()).shape == ()


# ----------------------------------------------------------------------------------------------------------------
# Python scalars


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_python_scalar_conversions(dtype):
    one_d = kiln.tensor([3], dtype=dtype)
    zero_d = kiln.tensor(3, dtype=dtype)
    expected = 1 if dtype is kiln.bool else 3
    for t in (one_d, zero_d):
        assert float(t) == float(expected) and isinstance(float(t), float)
        assert int(t) == expected and isinstance(int(t), int)
        if dtype in FLOATS:
            with pytest.raises(TypeError, match=r"__index__\(\): only integer tensors of a single element"):
                [0, 1, 2, 3][t]
        else:
            assert [0, 1, 2, 3][t] == expected
            assert range(10)[t] == expected
    assert format(zero_d) == format(zero_d.item())
    assert format(zero_d, "") == format(zero_d.item(), "")
    assert format(one_d) == str(one_d)


def test_int_truncates_and_format_uses_the_value():
    assert int(kiln.tensor(-2.9)) == -2
    assert int(kiln.tensor([7.99])) == 7
    assert f"{kiln.tensor(3.14159):.2f}" == "3.14"
    assert f"{kiln.tensor(42):>5}" == "   42"
    assert f"{kiln.tensor(True)}" == "True"
    assert float(kiln.tensor([[2.5]])) == 2.5
    assert kiln.tensor([[5]]).item() == 5


def test_numpy_and_array_protocol():
    x = kiln.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.shares_memory(x.numpy(), x.numpy(force=True))
    np.testing.assert_array_equal(np.asarray(x.t()), [[1.0, 3.0], [2.0, 4.0]])
    pending = (x + 1).t()
    np.testing.assert_array_equal(pending.numpy(), [[2.0, 4.0], [3.0, 5.0]])


# ----------------------------------------------------------------------------------------------------------------
# Pickling


def pickle_cases():
    rng = np.random.default_rng(0)
    cases = []
    for kdtype, np_dtype in NUMPY_DTYPES:
        a = rng.standard_normal((3, 4)) * 50
        cases.append((kdtype, a.astype(np_dtype) if kdtype is not kiln.bool else a > 0))
    return cases


@pytest.mark.parametrize("kdtype, array", pickle_cases(), ids=lambda v: str(v) if isinstance(v, kiln.dtype) else "")
@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trips_every_dtype(kdtype, array, protocol):
    x = kiln.tensor(array)
    y = pickle.loads(pickle.dumps(x, protocol=protocol))
    assert isinstance(y, kiln.Tensor) and y.dtype is kdtype and y.shape == x.shape and y.is_contiguous()
    np.testing.assert_array_equal(y.numpy(), array)
    assert not y._is_view_of(x)


def test_pickle_bfloat16_bits_exactly():
    special = np.array([0.0, -0.0, 1.0, -2.5, 3.0e38, -1.0e-38, np.inf, -np.inf, 1.5e-40, 0.1], np.float32)
    x = kiln.tensor(special, dtype=kiln.bfloat16)
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype is kiln.bfloat16
    before, after = values(x), values(y)
    np.testing.assert_array_equal(before.view(np.uint32), after.view(np.uint32))
    assert (before.view(np.uint32) & 0xFFFF == 0).all()
    nan = pickle.loads(pickle.dumps(kiln.tensor([np.nan], dtype=kiln.bfloat16)))
    assert np.isnan(values(nan)).all()


def test_pickle_views_store_only_their_values():
    base = kiln.arange(100_000, dtype=kiln.float64)
    view = base.narrow(0, 10, 3)
    data = pickle.dumps(view)
    assert len(data) < 500
    assert pickle.loads(data).tolist() == [10.0, 11.0, 12.0]
    grid = kiln.tensor(np.arange(12, dtype=np.int32).reshape(3, 4))
    a = np.arange(12).reshape(3, 4)
    for v, expected in ((grid.t(), a.T), ((grid * 2).t().narrow(0, 1, 2), (a * 2).T[1:3])):
        back = pickle.loads(pickle.dumps(v))
        assert back.is_contiguous() and back.dtype is kiln.int32
        np.testing.assert_array_equal(back.numpy(), expected)


def test_pickle_edge_shapes_and_deepcopy():
    for x in (kiln.tensor(2.5), kiln.zeros(0, 3, dtype=kiln.int8), kiln.ones(1, 1, 1, dtype=kiln.bool)):
        y = pickle.loads(pickle.dumps(x))
        assert y.shape == x.shape and y.dtype is x.dtype and y.tolist() == x.tolist()
    x = kiln.tensor([[1, 2], [3, 4]])
    y = copy.deepcopy(x)
    x.add_(10)
    assert y.tolist() == [[1, 2], [3, 4]] and x.tolist() == [[11, 12], [13, 14]]
    nested = pickle.loads(pickle.dumps({"w": kiln.tensor([1.0]), "dtype": kiln.float16}))
    assert nested["w"].tolist() == [1.0] and nested["dtype"] is kiln.float16


# ----------------------------------------------------------------------------------------------------------------
# DLPack (python/src/DLPackBindings.cpp)

dlpack = pytest.mark.skipif(not hasattr(kiln._C, "_to_dlpack"), reason="kiln._C built without DLPack bindings")


@dlpack
@pytest.mark.parametrize("kdtype, np_dtype", NUMPY_DTYPES, ids=str)
def test_numpy_from_dlpack_shares_kiln_memory(kdtype, np_dtype):
    x = kiln.tensor(np.arange(6).reshape(2, 3).astype(np_dtype))
    a = np.from_dlpack(x)
    assert a.dtype == np_dtype and a.shape == (2, 3)
    np.testing.assert_array_equal(a, x.numpy())
    assert a.ctypes.data == x.data_ptr()
    # NumPy writes, Kiln reads.
    a[1, 2] = a[0, 1]
    assert x.tolist()[1][2] == x.tolist()[0][1]
    # Kiln writes in place, NumPy reads once the write is materialized.
    x.zero_()
    kiln.sync()
    assert not a.any()


@dlpack
def test_exports_outlive_the_tensor_and_unused_capsules_are_freed():
    import gc

    a = np.from_dlpack(kiln.arange(5) * 2)
    gc.collect()
    for _ in range(3):
        kiln.ones(1000).__dlpack__()  # dropped unconsumed: the capsule frees the export
        kiln.ones(1000).__dlpack__(max_version=(1, 0))
    gc.collect()
    assert a.tolist() == [0, 2, 4, 6, 8]
    readonly = np.arange(3.0)
    readonly.flags.writeable = False
    assert kiln.from_dlpack(readonly).tolist() == [0.0, 1.0, 2.0]


@dlpack
def test_numpy_from_dlpack_views_and_pending_tensors():
    x = kiln.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))
    a = np.from_dlpack(x.t())
    np.testing.assert_array_equal(a, np.arange(12, dtype=np.float32).reshape(3, 4).T)
    assert a.strides == (4, 16)
    pending = (x * 2).narrow(1, 1, 2)
    np.testing.assert_array_equal(np.from_dlpack(pending), (np.arange(12, dtype=np.float32).reshape(3, 4) * 2)[:, 1:3])
    assert np.from_dlpack(kiln.tensor(5.0)).shape == ()
    assert np.from_dlpack(kiln.zeros(0, 2)).shape == (0, 2)


@dlpack
@pytest.mark.parametrize("kdtype, np_dtype", NUMPY_DTYPES, ids=str)
def test_kiln_from_dlpack_shares_numpy_memory(kdtype, np_dtype):
    a = np.arange(6).reshape(2, 3).astype(np_dtype)
    x = kiln.from_dlpack(a)
    assert x.dtype is kdtype and x.shape == (2, 3)
    assert x.data_ptr() == a.ctypes.data
    a[0, 0] = a[1, 1]
    assert x.tolist()[0][0] == a[1, 1]
    x.fill_(1)
    kiln.sync()
    assert (a == 1).all()


@dlpack
def test_kiln_from_dlpack_strides_capsules_and_lifetime():
    a = np.arange(20, dtype=np.int64).reshape(4, 5)[:, 1::2]
    x = kiln.from_dlpack(a)
    assert x.stride() == (5, 2)
    np.testing.assert_array_equal(x.numpy(), a)
    import gc

    b = np.arange(4.0)
    y = kiln.from_dlpack(b)
    del b
    gc.collect()
    assert y.tolist() == [0.0, 1.0, 2.0, 3.0]
    capsule = kiln.tensor([1, 2, 3], dtype=kiln.int8).__dlpack__()
    z = kiln.from_dlpack(capsule)
    assert z.dtype is kiln.int8 and z.tolist() == [1, 2, 3]
    with pytest.raises(RuntimeError, match=r"from_dlpack\(\): this DLPack capsule was already consumed"):
        kiln.from_dlpack(capsule)
    with pytest.raises(TypeError, match=r"from_dlpack\(\): expected an object with __dlpack__"):
        kiln.from_dlpack([1, 2])


@dlpack
def test_kiln_to_kiln_and_bfloat16():
    x = kiln.tensor([1.5, -2.0, 3.25], dtype=kiln.bfloat16)
    y = kiln.from_dlpack(x)
    assert y.dtype is kiln.bfloat16 and y.data_ptr() == x.data_ptr()
    assert values(y).tolist() == [1.5, -2.0, 3.25]
    with pytest.raises((BufferError, RuntimeError), match="dtype"):
        np.from_dlpack(x)  # NumPy has no bfloat16


@dlpack
def test_dlpack_protocol_arguments():
    x = kiln.tensor([1.0, 2.0])
    assert x.__dlpack_device__() == (1, 0)
    copied = np.from_dlpack(x, copy=True)
    copied[0] = 50
    assert x.tolist() == [1.0, 2.0]
    assert np.from_dlpack(x, device="cpu").tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"__dlpack__\(\): stream must be None"):
        x.__dlpack__(stream=1)
    with pytest.raises(BufferError, match=r"__dlpack__\(\): unsupported device"):
        x.__dlpack__(dl_device=(2, 0))
    shared = kiln.asarray(np.arange(3))
    assert shared.tolist() == [0, 1, 2]
