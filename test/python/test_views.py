"""Every view op against its NumPy equivalent: values, shapes, strides and shared memory."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from conftest import SHAPES, assert_matches, random_array

LAYOUTS = ["contiguous", "transposed", "stepped"]


def make_input(shape, np_dtype, layout, seed=0):
    """A NumPy array of `shape` in the given memory layout, and the tensor viewing it."""
    if layout == "contiguous":
        a = random_array(shape, np_dtype, seed)
    elif layout == "transposed":
        a = random_array(shape[::-1], np_dtype, seed).T
    else:
        big = random_array(tuple(2 * s for s in shape), np_dtype, seed)
        a = big[tuple(slice(None, None, 2) for _ in shape)]
    assert a.shape == shape
    return a, kiln.from_numpy(a)


def cases(dtype_pair):
    for shape, layout in itertools.product(SHAPES, LAYOUTS):
        yield make_input(shape, dtype_pair[1], layout)


def check_shares(view, np_view, base_array):
    """Writing through the view's numpy() changes the base array at the same place."""
    if np_view.size == 0:
        return
    assert np.shares_memory(view.numpy(), base_array)
    flat_index = np.unravel_index(np_view.size - 1, np_view.shape)
    new = np.array(not np_view[flat_index]) if np_view.dtype == np.bool_ else np_view[flat_index] + 1
    view.numpy()[flat_index] = new
    assert np_view[flat_index] == new.astype(np_view.dtype)


def test_transpose_and_permute(dtype_pair):
    for a, t in cases(dtype_pair):
        n = a.ndim
        for d0, d1 in itertools.product(range(-n, n), repeat=2):
            assert_matches(t.transpose(d0, d1), np.swapaxes(a, d0, d1))
        for perm in itertools.permutations(range(n)):
            v = t.permute(*perm)
            assert_matches(v, np.transpose(a, perm))
            assert v._is_view_of(t)
        assert_matches(t.permute([-1] + list(range(n - 1))), np.moveaxis(a, -1, 0))
        assert_matches(t.T, a.T)
        check_shares(t.transpose(0, -1), np.swapaxes(a, 0, -1), a)


def test_t_on_small_dims():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert_matches(kiln.from_numpy(a).t(), a.T)
    v = np.arange(4.0)
    assert_matches(kiln.from_numpy(v).t(), v)


def test_view_and_reshape(dtype_pair):
    for a, t in cases(dtype_pair):
        for shape in [(-1,), (a.size,), (1, -1), (a.shape[0], -1), a.shape + (1,)]:
            expected = a.reshape(shape)
            assert_matches(t.reshape(*shape), expected)
            if a.flags["C_CONTIGUOUS"]:
                v = t.view(shape)
                assert_matches(v, expected)
                check_shares(v, expected, a)
            r = t.reshape(shape)
            assert r._is_view_of(t) == np.shares_memory(expected, a)


def test_view_splits_and_merges_compatible_dims_of_noncontiguous():
    a = np.arange(48, dtype=np.float32).reshape(4, 12).T  # (12, 4) strides (1, 12)
    t = kiln.from_numpy(a)
    expected = a.reshape(3, 4, 4)
    v = t.view(3, 4, 4)
    assert_matches(v, expected)
    assert v._is_view_of(t)


def test_slice_select_narrow(dtype_pair):
    for a, t in cases(dtype_pair):
        for dim in range(a.ndim):
            size = a.shape[dim]
            lead = (slice(None),) * dim
            for i in range(-size, size):
                assert_matches(t.select(dim, i), a[lead + (i,)])
            for start, length in [(0, size), (1, size - 1), (-1, 1), (size, 0)]:
                first = start + size if start < 0 else start
                assert_matches(t.narrow(dim, start, length), a[lead + (slice(first, first + length),)])
            for start, stop, step in [(None, None, 2), (1, -1, 1), (-3, None, 3), (10, 0, 1), (-100, 100, 1)]:
                expected = a[lead + (slice(start, stop, step),)]
                v = t[lead + (slice(start, stop, step),)]
                assert_matches(v, expected)
                check_shares(v, expected, a)


def test_expand(dtype_pair):
    _, np_dtype = dtype_pair
    a = random_array((3, 1, 2), np_dtype)
    t = kiln.from_numpy(a)
    for target, resolved in [((3, 4, 2), (3, 4, 2)), ((5, 3, 1, 2), (5, 3, 1, 2)), ((2, 3, 6, 2), (2, 3, 6, 2)), ((3, -1, 2), (3, 1, 2))]:
        v = t.expand(*target)
        assert_matches(v, np.broadcast_to(a, resolved))
        assert v._is_view_of(t)
    v = t.expand(2, 3, 4, 2)
    assert v.stride() == (0, 2, 0, 1)
    assert_matches(t.expand_as(kiln.empty(3, 5, 2)), np.broadcast_to(a, (3, 5, 2)))
    s = kiln.tensor(7, dtype=kiln.int32).expand(2, 2)
    assert s.stride() == (0, 0) and s.tolist() == [[7, 7], [7, 7]]


def test_squeeze_unsqueeze(dtype_pair):
    for a, t in cases(dtype_pair):
        assert_matches(t.squeeze(), np.squeeze(a))
        for dim in range(-a.ndim, a.ndim):
            expected = np.squeeze(a, dim) if a.shape[dim] == 1 else a
            assert_matches(t.squeeze(dim), expected)
        for dim in range(-a.ndim - 1, a.ndim + 1):
            v = t.unsqueeze(dim)
            assert_matches(v, np.expand_dims(a, dim))
            check_shares(v, np.expand_dims(a, dim), a)


def test_as_strided(dtype_pair):
    _, np_dtype = dtype_pair
    a = random_array((24,), np_dtype)
    t = kiln.from_numpy(a)
    size = a.itemsize
    for shape, strides, offset in [((4, 3), (3, 1), 0), ((3, 4), (1, 3), 0), ((2, 2), (5, 2), 3), ((5,), (0,), 7), ((2, 3), (12, 4), 1)]:
        expected = np.lib.stride_tricks.as_strided(a[offset:], shape, tuple(s * size for s in strides))
        v = t.as_strided(shape, strides, offset)
        assert_matches(v, expected)
        assert v.storage_offset() == offset
    assert t[2:].as_strided((2,), (1,)).storage_offset() == 2


def test_contiguous_and_clone(dtype_pair):
    for a, t in cases(dtype_pair):
        c = t.contiguous()
        assert c.is_contiguous()
        np.testing.assert_array_equal(c.numpy(), a)
        assert c._is_view_of(t) == a.flags["C_CONTIGUOUS"]
        k = t.clone()
        assert not k._is_view_of(t) and k.is_contiguous()
        np.testing.assert_array_equal(k.numpy(), a)


def test_getitem_none_ellipsis_and_ints(dtype_pair):
    for a, t in cases(dtype_pair):
        for index in [0, -1, (None,), (Ellipsis, 0), (0, Ellipsis, None), (None, slice(None, None, 2), Ellipsis), (Ellipsis,), ()]:
            assert_matches(t[index], a[index])
        full = tuple(0 for _ in a.shape)
        assert t[full].dim() == 0
        assert t[full].item() == a[full].item()


def test_zero_size_views():
    a = np.zeros((0, 3), dtype=np.float32)
    t = kiln.from_numpy(a)
    assert_matches(t.transpose(0, 1), a.T)
    assert_matches(t.view(3, 0, 1), a.reshape(3, 0, 1))
    assert_matches(t[:, 1:], a[:, 1:])
    assert_matches(t.unsqueeze(1), a[:, None])
    assert_matches(t.expand(2, 0, 3), np.broadcast_to(a, (2, 0, 3)))
    assert t.select(1, 2).shape == (0,)
    assert kiln.from_numpy(np.arange(5.0))[4:1].shape == (0,)


def test_zero_dim_views():
    t = kiln.tensor(2.5)
    assert t.view(1, 1).shape == (1, 1)
    assert t.reshape(-1).tolist() == [2.5]
    assert t.unsqueeze(0).shape == (1,) and t.unsqueeze(-1).stride() == (1,)
    assert t.squeeze().shape == () and t.squeeze(0).shape == ()
    assert t.transpose(0, -1).shape == ()
    assert t[None, None].shape == (1, 1)
    assert t[...].item() == 2.5


slice_component = st.one_of(st.none(), st.integers(-8, 8))


@settings(max_examples=200, deadline=None)
@given(
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
    data=st.data(),
    transposed=st.booleans(),
)
def test_random_basic_indexing_matches_numpy(shape, data, transposed):
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    if transposed:
        a = a.T
    t = kiln.from_numpy(a)
    index = []
    for size in a.shape:
        kind = data.draw(st.sampled_from(["slice", "int", "none"]))
        if kind == "int" and size > 0:
            index.append(data.draw(st.integers(-size, size - 1)))
        elif kind == "none":
            index.append(None)
            index.append(slice(None))
        else:
            step = data.draw(st.one_of(st.none(), st.integers(1, 4)))
            index.append(slice(data.draw(slice_component), data.draw(slice_component), step))
    index = tuple(index)
    v = t[index]
    assert_matches(v, a[index])
    if a[index].size:
        assert v._is_view_of(t)


@settings(max_examples=100, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    perm_seed=st.integers(0, 1000),
    new_shape_split=st.integers(0, 3),
)
def test_random_permute_then_reshape_matches_numpy(shape, perm_seed, new_shape_split):
    a = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    perm = np.random.default_rng(perm_seed).permutation(len(shape))
    t = kiln.from_numpy(a).permute(*perm.tolist())
    expected = np.transpose(a, perm)
    assert_matches(t, expected)
    split = min(new_shape_split, expected.ndim)
    target = (int(np.prod(expected.shape[:split])), -1)
    assert_matches(t.reshape(target).contiguous(), np.ascontiguousarray(expected.reshape(target)))
