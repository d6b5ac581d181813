"""Tensor construction (tensor, from_numpy, empty), metadata, and conversion back to NumPy and Python."""

import numpy as np
import pytest

import kiln
from conftest import SHAPES, assert_matches, random_array


@pytest.mark.parametrize("shape", SHAPES + [(), (0,), (2, 0, 3)])
def test_from_numpy_shares_memory(dtype_pair, shape):
    kdtype, np_dtype = dtype_pair
    a = random_array(shape, np_dtype)
    t = kiln.from_numpy(a)
    assert t.dtype is kdtype
    assert t.shape == shape
    assert t.numel() == a.size
    assert t.dim() == t.ndim == a.ndim
    assert t.element_size() == a.itemsize
    assert t.is_contiguous()
    assert_matches(t, a)
    if a.size:
        assert t.data_ptr() == a.ctypes.data
        back = t.numpy()
        assert np.shares_memory(back, a)
        back.reshape(-1)[0] = a.reshape(-1)[-1]
        assert a.reshape(-1)[0] == a.reshape(-1)[-1]


def test_from_numpy_keeps_the_array_alive():
    t = kiln.from_numpy(np.arange(6, dtype=np.int32).reshape(2, 3) * 10)
    import gc

    gc.collect()
    assert t.tolist() == [[0, 10, 20], [30, 40, 50]]


@pytest.mark.parametrize("make", [lambda a: a.T, lambda a: a[:, ::2], lambda a: a[1:, 1::3]])
def test_from_numpy_preserves_strides(dtype_pair, make):
    _, np_dtype = dtype_pair
    base = random_array((4, 7), np_dtype, seed=3)
    view = make(base)
    t = kiln.from_numpy(view)
    assert t.stride() == tuple(s // base.itemsize for s in view.strides)
    assert t.is_contiguous() == view.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(t.numpy(), view)
    np.testing.assert_array_equal(np.asarray(t.contiguous()), view)
    assert t.contiguous().is_contiguous()


def test_tensor_infers_dtypes_like_pytorch():
    assert kiln.tensor([1.5, 2]).dtype is kiln.float32
    assert kiln.tensor([[1, 2], [3, 4]]).dtype is kiln.int64
    assert kiln.tensor([True, False]).dtype is kiln.bool
    assert kiln.tensor(np.array([1.0, 2.0])).dtype is kiln.float64
    assert kiln.tensor(np.arange(3, dtype=np.uint8)).dtype is kiln.uint8
    assert kiln.tensor(2.5).dim() == 0
    assert kiln.tensor(7).item() == 7


def test_tensor_copies():
    a = np.arange(6.0).reshape(2, 3)
    t = kiln.tensor(a)
    a[0, 0] = 100
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    u = kiln.tensor(t.T)
    assert u.is_contiguous()
    assert u.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]


@pytest.mark.parametrize(
    "dtype, expected",
    [(kiln.int8, [1, -2, 3]), (kiln.float16, [1.5, -2.25, 3.0]), (kiln.uint8, [1, 254, 3]), (kiln.float64, [1.5, -2.25, 3.0])],
)
def test_tensor_with_dtype(dtype, expected):
    t = kiln.tensor([1.5, -2.25, 3.0] if dtype.is_floating_point else [1, -2, 3], dtype=dtype)
    assert t.dtype is dtype
    assert t.tolist() == expected


def test_bfloat16_rounds_to_nearest_even():
    t = kiln.tensor([1.0, 1.00390625, 1.01171875, -3.0, 1e30], dtype=kiln.bfloat16)
    assert t.dtype is kiln.bfloat16 and t.element_size() == 2
    values = t.tolist()
    assert values[:4] == [1.0, 1.0, 1.015625, -3.0]
    assert abs(values[4] - 1e30) / 1e30 < 2**-8
    assert t[2].item() == 1.015625


def test_empty_and_zero_size():
    e = kiln.empty(2, 3, dtype=kiln.int32)
    assert e.shape == (2, 3) and e.dtype is kiln.int32 and e.stride() == (3, 1)
    z = kiln.empty((0, 4))
    assert z.numel() == 0 and z.numpy().shape == (0, 4)
    assert z.tolist() == []
    assert kiln.tensor([]).shape == (0,)


def test_scalar_tensor():
    s = kiln.tensor(3.5)
    assert s.shape == () and s.stride() == () and s.dim() == 0
    assert s.item() == 3.5
    assert s.tolist() == 3.5
    assert s.numpy().shape == ()


def test_size_shape_len_and_iteration():
    t = kiln.tensor(np.zeros((2, 3, 4), dtype=np.float32))
    assert isinstance(t.shape, kiln.Size) and isinstance(t.shape, tuple)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4)
    assert t.size(-1) == 4 and t.stride(0) == 12
    assert len(t) == 2
    assert [row.shape for row in t] == [(3, 4), (3, 4)]
    assert t.shape[1:] == kiln.Size([3, 4]) and isinstance(t.shape[1:], kiln.Size)
    assert t.shape.numel() == 24


def test_item_tolist_and_bool():
    t = kiln.tensor([[1, 2], [3, 4]], dtype=kiln.int32)
    assert t.tolist() == [[1, 2], [3, 4]]
    assert t[1, 0].item() == 3 and isinstance(t[1, 0].item(), int)
    assert kiln.tensor([True]).item() is True
    assert bool(kiln.tensor([0.0])) is False
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array_equal(np.asarray(t), [[1, 2], [3, 4]])
