"""Indexing against NumPy: __getitem__/__setitem__ in every index form, gather/scatter/index_* and the masked ops."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiln
from test_shape_ops import DTYPES, LAYOUTS, NP, array, check, make, private_cache, values  # noqa: F401


def idx(values_):
    return kiln.tensor(np.asarray(values_, dtype=np.int64))


# ---- __getitem__ ---------------------------------------------------------------------------------------------------

GETITEM_CASES = [
    ([1, 0, -1],),
    (slice(None), [2, 0]),
    ([[0, 1], [1, 0]], slice(1, None, 2)),
    ([0, 1], slice(None), [3, -4]),  # separated: result dims first
    (slice(None), [0, 2], [1, 3]),  # adjacent: result dims in place
    (Ellipsis, [1, 1, 0]),
    (None, [1], slice(None), None, [2]),
    ([[1], [0]], [0, 2, 1]),  # broadcast index tensors
    ([], slice(None)),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=repr)
def test_getitem_advanced_matches_numpy(dtype, layout):
    a = array((2, 3, 4), dtype)
    t = make(a, layout, dtype)
    for index in GETITEM_CASES:
        np_index = tuple(np.asarray(i, dtype=np.int64) if isinstance(i, list) else i for i in index)
        check(t[index], a[np_index], dtype)
        kiln_index = tuple(idx(i) if isinstance(i, list) else i for i in index)
        check(t[kiln_index], a[np_index], dtype)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_getitem_masks(layout):
    a = array((3, 4, 2), kiln.float32)
    t = make(a, layout)
    full = a > 0
    check(t[kiln.tensor(full)], a[full])
    check(t[t > 0], a[full])
    lead = full[:, :, 0]
    check(t[kiln.tensor(lead)], a[lead])
    check(t[:, kiln.tensor(full[0, :, 0])], a[:, full[0, :, 0]])
    check(t[..., kiln.tensor(np.array([True, False]))], a[..., np.array([True, False])])
    check(t[kiln.tensor(full[:, 0, 0]), :, kiln.tensor([1, 0, 1])[: int(full[:, 0, 0].sum())]],
          a[full[:, 0, 0], :, np.array([1, 0, 1])[: int(full[:, 0, 0].sum())]])
    check(t[kiln.tensor(np.zeros((3, 4), bool))], a[np.zeros((3, 4), bool)])
    check(t[kiln.tensor(full.astype(np.uint8))], a[full])
    check(t[[True, False, True]], a[[True, False, True]])


def test_getitem_bool_scalars_and_zero_dim_tensors():
    a = array((3, 2), kiln.int64)
    t = kiln.tensor(a)
    check(t[True], a[True])
    assert not t[True]._is_view_of(t)
    check(t[False], a[False])
    check(t[None, False], a[None, False])
    check(t[True, [0, 2]], a[True, [0, 2]])
    check(t[kiln.tensor(True)], a[np.array(True)])
    check(t[kiln.tensor(np.array(False))], a[np.array(False)])
    check(kiln.tensor(np.array(5))[True], np.array([5]))
    # A 0-d integer tensor is read and selects, as in PyTorch: the result is a view.
    v = t[kiln.tensor(2)]
    check(v, a[2])
    assert v._is_view_of(t)
    check(t[:, kiln.tensor(-1, dtype=kiln.int32)], a[:, -1])
    check(t[np.int64(1), np.array([1, 0])], a[1, [1, 0]])


def test_getitem_ints_with_index_tensors_follow_pytorch():
    # PyTorch applies ints as select first, so they do not count as advanced indices for the placement rule
    # (NumPy would move the index dims first here).
    a = np.arange(3 * 4 * 5 * 2 * 6).reshape(3, 4, 5, 2, 6)
    t = kiln.tensor(a)
    index = [0, 1, 0]
    check(t[0, ..., index, 1], a[0, ..., 1][..., index])
    assert t[0, ..., index, 1].shape == (4, 5, 3)
    check(t[None, index, 0:2, 1], a[None][:, :, 0:2, 1][:, index])
    assert t[None, index, 0:2, 1].shape == (1, 3, 2, 2, 6)
    check(t[1, :, [0, 2]], a[1][:, [0, 2]])


def test_getitem_list_treated_as_tuple():
    a = array((3, 4), kiln.int32)
    t = kiln.tensor(a)
    check(t[[[0, 2], [1, 3]]], a[[0, 2], [1, 3]])
    check(t[[slice(None), 1]], a[:, 1])
    check(t[[0, 2]], a[[0, 2]])
    check(t[range(1, 3)], a[1:3])


def test_getitem_zero_size():
    a = array((0, 3), kiln.float32)
    t = kiln.tensor(a)
    check(t[[]], a[np.array([], np.int64)])
    check(t[:, [2, 0]], a[:, [2, 0]])
    check(t[t > 0], a[a > 0])
    b = array((2, 3), kiln.float32)
    check(kiln.tensor(b)[:, []], b[:, np.array([], np.int64)])


def test_getitem_errors():
    t = kiln.tensor(array((3, 4)))
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3"):
        t[5]
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3"):
        t[[0, 5]]
    with pytest.raises(IndexError, match=r"index -5 is out of bounds for dimension 1 with size 4"):
        t[:, idx([1, -5])]
    with pytest.raises(IndexError, match=r"^__getitem__\(\): too many indices for tensor of dimension 2"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match=r"^__getitem__\(\): too many indices for tensor of dimension 2"):
        t[kiln.tensor(np.ones((3, 4, 1), bool))]
    with pytest.raises(IndexError, match=r"tensors used as indices must be long, int, byte or bool tensors"):
        t[kiln.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match=r"tensors used as indices must be long, int, byte or bool tensors"):
        t[kiln.tensor([0, 1], dtype=kiln.int8)]
    with pytest.raises(IndexError, match=r"tensors used as indices must be long, int, byte or bool tensors"):
        t[[0.5, 1.0]]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not match the shape of the indexed "
                                         r"tensor \[3, 4\] at index 0"):
        t[kiln.tensor([True, False])]
    with pytest.raises(IndexError, match=r"shape mismatch: indexing tensors could not be broadcast together with shapes "
                                         r"\[2\], \[3\]"):
        t[[0, 1], [0, 1, 2]]
    with pytest.raises(ValueError, match=r"step must be greater than zero"):
        t[::-1]
    with pytest.raises(ValueError, match=r"step must be greater than zero"):
        t[:, ::0]
    with pytest.raises(IndexError, match=r"only integers, slices"):
        t["a"]
    with pytest.raises(IndexError, match=r"single ellipsis"):
        t[..., 0, ...]


def draw_index(data, shape, kinds=("slice", "array", "mask", "none")):
    """A random index over `shape` mixing slices, index arrays, 1-D masks and None: (NumPy's form, Kiln's form)."""
    np_index, kiln_index = [], []
    for size in shape:
        kind = data.draw(st.sampled_from(kinds))
        if kind == "array" and size:
            n = data.draw(st.integers(1, 3))
            values_ = data.draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
            np_index.append(np.array(values_))
            kiln_index.append(values_ if data.draw(st.booleans()) else idx(values_))
            continue
        if kind == "mask":
            mask = np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool)
            np_index.append(mask)
            kiln_index.append(kiln.tensor(mask))
            continue
        if kind == "none":
            np_index.append(None)
            kiln_index.append(None)
        s = slice(data.draw(st.one_of(st.none(), st.integers(-5, 5))), None, data.draw(st.integers(1, 3)))
        np_index.append(s)
        kiln_index.append(s)
    return tuple(np_index), tuple(kiln_index)


def numpy_or_mismatch(a, t, np_index, kiln_index):
    """a[np_index], or None after checking that Kiln also refuses index arrays NumPy cannot broadcast together."""
    try:
        return a[np_index]
    except IndexError:
        assert sum(isinstance(i, np.ndarray) for i in np_index) > 1
        with pytest.raises(IndexError, match="shape mismatch"):
            t[kiln_index]
        return None


def arange_tensor(shape, transposed):
    """NumPy's arange over shape and an equal kiln tensor (a transposed view when asked)."""
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    if transposed:
        return a, kiln.tensor(np.ascontiguousarray(a.T)).permute(tuple(reversed(range(a.ndim))))
    return a, kiln.tensor(a)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3), transposed=st.booleans(), data=st.data())
def test_random_indexing_matches_numpy(shape, transposed, data):
    a, t = arange_tensor(shape, transposed)
    np_index, kiln_index = draw_index(data, shape)
    expected = numpy_or_mismatch(a, t, np_index, kiln_index)
    if expected is not None:
        check(t[kiln_index], expected)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3), transposed=st.booleans(), data=st.data())
def test_random_setitem_matches_numpy(shape, transposed, data):
    a, t = arange_tensor(shape, transposed)
    np_index, kiln_index = draw_index(data, shape)
    if numpy_or_mismatch(a, t, np_index, kiln_index) is None:
        return
    a[np_index] = -7
    t[kiln_index] = -7
    check(t, a)
    # Read-modify-write: duplicate positions all write the same value.
    a[np_index] += 3
    t[kiln_index] += 3
    check(t, a)
    region = a[np_index]
    value = np.arange(region.size, dtype=np.int64).reshape(region.shape) * 10
    if np.unique(np.arange(a.size).reshape(a.shape)[np_index]).size == region.size:
        a[np_index] = value
        t[kiln_index] = kiln.tensor(value)
        check(t, a)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_random_index_put_accumulate_matches_numpy_add_at(shape, data):
    a, t = arange_tensor(shape, False)
    count = data.draw(st.integers(1, len(shape)))
    n = data.draw(st.integers(0, 6))
    index = [np.array(data.draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n)), dtype=np.int64)
             for size in shape[:count]]
    value = np.arange(n * int(np.prod(shape[count:])), dtype=np.int64).reshape((n,) + tuple(shape[count:])) + 1
    np.add.at(a, tuple(index), value)
    t.index_put_(tuple(kiln.tensor(i) for i in index), kiln.tensor(value), accumulate=True)
    check(t, a)


# ---- __setitem__ and index_put_ -------------------------------------------------------------------------------------

SETITEM_CASES = [
    (1,), (slice(1, None, 2),), (Ellipsis, 0), (None, slice(None), 2), ([2, 0],), (slice(None), [3, 1, 0]),
    ([0, 2], slice(None), [1, 0]), ([[1], [2]], [0, 3]), (np.array([True, False, True]),), (slice(None), -1, 1),
]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int64, kiln.bool, kiln.float16], ids=repr)
def test_setitem_every_index_form(dtype, layout):
    for n, index in enumerate(SETITEM_CASES):
        a = array((3, 4, 2), dtype, n)
        t = make(a, layout, dtype)
        kiln_index = tuple(kiln.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
        expected = a.copy()
        expected[index] = 1
        t[kiln_index] = 1
        check(t, expected, dtype)
        region = expected[index]
        value = array(region.shape[1:], dtype, 10 + n)
        expected[index] = value
        t[kiln_index] = kiln.tensor(value, dtype=dtype)
        check(t, expected, dtype)


def test_setitem_values_cast_and_broadcast():
    a = array((3, 4), kiln.int32)
    t = kiln.tensor(a)
    t[0] = kiln.tensor([1.7, -2.2, 3.9, 4.0])
    a[0] = np.array([1.7, -2.2, 3.9, 4.0]).astype(np.int32)
    t[:, [1, 2]] = kiln.tensor([[7], [8], [9]])
    a[:, [1, 2]] = [[7], [8], [9]]
    t[t > 50] = -3.5
    a[a > 50] = -3
    t[1:, 0] = [11, 12]
    a[1:, 0] = [11, 12]
    t[[0, 2], [3, 3]] = kiln.tensor(5, dtype=kiln.int64)
    a[[0, 2], [3, 3]] = 5
    t[..., 1] = kiln.tensor([[[6, 6, 6]]])
    a[..., 1] = 6
    check(t, a)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[2\] cannot be broadcast to indexing "
                                           r"result of shape \[3\]"):
        t[[0, 1, 2], 0] = kiln.tensor([[1, 2, 3, 4], [1, 2, 3, 4]])[:, 0]
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for dimension 0 with size 3"):
        t[[3]] = 0
    with pytest.raises(ValueError, match=r"step must be greater than zero"):
        t[::-2] = 0


def test_setitem_bool_scalars_zero_dim_and_int_with_index_tensors():
    a = array((2, 3, 4), kiln.int64)
    t = kiln.tensor(a)
    t[True] = 1
    a[True] = 1
    t[False] = 2
    t[kiln.tensor(1)] = 3
    a[1] = 3
    t[0, True, 1] = kiln.tensor([7, 8, 9, 10])
    a[0, True, 1] = [7, 8, 9, 10]
    # PyTorch's placement: the int selects first, so the target of t[0, :, [1, 0]] has shape [3, 2].
    value = np.arange(6).reshape(3, 2)
    t[0, :, [1, 0]] = kiln.tensor(value)
    a[0][:, [1, 0]] = value
    check(t, a)


def test_setitem_mask_with_values_and_augmented():
    a = array((4, 5), kiln.float64)
    t = kiln.tensor(a)
    mask = a > 0.3
    t[kiln.tensor(mask)] = kiln.tensor(np.arange(mask.sum(), dtype=np.float64))
    a[mask] = np.arange(mask.sum())
    t[kiln.tensor(mask[:, 0])] += 10
    a[mask[:, 0]] += 10
    t[:, 1:3] *= 2
    a[:, 1:3] *= 2
    t[[0, 0, 1]] -= 1  # duplicates: the read-modify-write writes each row once
    a[[0, 0, 1]] -= 1
    check(t, a)


def test_index_put_accumulates_duplicates():
    a = np.zeros((3, 4), np.float32)
    t = kiln.tensor(a)
    rows, cols = np.array([0, 0, 2, 0]), np.array([1, 1, 3, 1])
    vals = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    t.index_put_((idx(rows), idx(cols)), kiln.tensor(vals), accumulate=True)
    np.add.at(a, (rows, cols), vals)
    check(t, a)
    out = kiln.index_put(t, (idx([1]),), kiln.tensor(np.float32(9.0)))
    a2 = a.copy()
    a2[1] = 9
    check(out, a2)
    check(t, a)
    t.index_put_((None, idx([0, 2])), kiln.tensor([[1.0], [2.0], [3.0]]), accumulate=True)
    a[:, [0, 2]] += np.array([[1.0], [2.0], [3.0]], np.float32)
    check(t, a)
    with pytest.raises(RuntimeError, match=r"index_put_\(\): Index put requires the source and destination dtypes match, "
                                           r"got Float for the destination and Double for the source"):
        t.index_put_((idx([0]),), kiln.tensor([1.0], dtype=kiln.float64))


# ---- gather / scatter family ---------------------------------------------------------------------------------------

def gather_reference(a, dim, index):
    out = np.empty(index.shape, a.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = a[tuple(src)]
    return out


def scatter_reference(a, dim, index, src, add=False):
    out = a.copy()
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        out[tuple(dst)] = out[tuple(dst)] + src[pos] if add else src[pos]
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.int32, kiln.int64, kiln.bool, kiln.bfloat16],
                         ids=repr)
def test_gather(dtype, layout):
    a = array((3, 4, 5), dtype)
    t = make(a, layout, dtype)
    rng = np.random.default_rng(1)
    for dim, shape in [(0, (2, 4, 5)), (1, (3, 6, 2)), (-1, (1, 1, 7)), (2, (3, 4, 5))]:
        index = rng.integers(0, a.shape[dim], size=shape)
        check(kiln.gather(t, dim, idx(index)), gather_reference(a, dim % 3, index), dtype)
        check(t.gather(dim, idx(index.transpose(2, 1, 0)).permute(2, 1, 0)), gather_reference(a, dim % 3, index), dtype)
    check(kiln.gather(t, 1, idx(np.zeros((3, 0, 5)))), np.zeros((3, 0, 5), NP[dtype]), dtype)
    along = rng.integers(0, 4, size=(3, 2, 1))
    check(kiln.take_along_dim(t, idx(along), 1), np.take_along_axis(a, along, 1), dtype)
    flat = rng.integers(0, 60, size=(5,))
    check(t.take_along_dim(idx(flat)), np.take(a, flat), dtype)


def test_gather_errors():
    t = kiln.tensor(array((3, 4)))
    with pytest.raises(RuntimeError, match=r"^gather\(\): index 5 is out of bounds for dimension 0 with size 3"):
        kiln.gather(t, 0, idx([[5, 0]]))
    with pytest.raises(RuntimeError, match=r"^gather\(\): index -1 is out of bounds for dimension 1 with size 4"):
        kiln.gather(t, 1, idx([[-1]]))
    with pytest.raises(RuntimeError, match=r"^gather\(\): Expected dtype int64 for index"):
        kiln.gather(t, 0, kiln.tensor([[0]], dtype=kiln.int32))
    with pytest.raises(RuntimeError, match=r"^gather\(\): Index tensor must have the same number of dimensions"):
        kiln.gather(t, 0, idx([0]))
    with pytest.raises(RuntimeError, match=r"^gather\(\): Size does not match at dimension 1 expected index \[1, 5\] to "
                                           r"be smaller than self \[3, 4\] apart from dimension 0"):
        kiln.gather(t, 0, idx(np.zeros((1, 5))))
    with pytest.raises(IndexError, match=r"^gather\(\): Dimension out of range"):
        kiln.gather(t, 2, idx([[0]]))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int64, kiln.float16], ids=repr)
def test_scatter_and_scatter_add(dtype, layout):
    a = array((4, 5), dtype)
    t = make(a, layout, dtype)
    rng = np.random.default_rng(3)
    # Distinct targets per column for plain scatter (PyTorch leaves the winner of duplicates unspecified).
    index = np.stack([rng.permutation(4)[:3] for _ in range(4)], axis=1)
    src = array((3, 5), dtype, 9)
    expected = scatter_reference(a, 0, index, src[:, :4])
    check(kiln.scatter(t, 0, idx(index), kiln.tensor(src, dtype=dtype)), expected, dtype)
    check(t.scatter(0, idx(index), 2), scatter_reference(a, 0, index, np.full(index.shape, 2, NP[dtype])), dtype)
    check(kiln.scatter(t, 0, idx(index), value=3), scatter_reference(a, 0, index, np.full(index.shape, 3, NP[dtype])),
          dtype)
    dup = rng.integers(0, 5, size=(4, 7))
    add_src = array((4, 7), dtype, 4)
    expected = scatter_reference(a, 1, dup, add_src, add=True)
    got = kiln.scatter_add(t, 1, idx(dup), kiln.tensor(add_src, dtype=dtype))
    if dtype is kiln.float16:
        np.testing.assert_allclose(values(got).astype(np.float32), expected.astype(np.float32), rtol=3e-3, atol=3e-2)
    else:
        check(got, expected, dtype)
        check(t.scatter(1, idx(dup), kiln.tensor(add_src, dtype=dtype), reduce="add"), expected, dtype)
    # In place: whole tensors stay lazy, views are written through.
    x = t.clone()
    x.scatter_(0, idx(index), kiln.tensor(src, dtype=dtype))
    check(x, scatter_reference(a, 0, index, src[:, :4]), dtype)
    y = kiln.tensor(np.zeros((3, 4, 5), NP[dtype]), dtype=dtype)
    y[1].scatter_add_(1, idx(dup[:, :3]), kiln.tensor(add_src[:, :3], dtype=dtype))
    ref = np.zeros((3, 4, 5), NP[dtype])
    ref[1] = scatter_reference(ref[1], 1, dup[:, :3], add_src[:, :3], add=True)
    check(y, ref, dtype)


def test_scatter_errors():
    t = kiln.tensor(array((3, 4)))
    with pytest.raises(RuntimeError, match=r"^scatter\(\): index 3 is out of bounds for dimension 0 with size 3"):
        kiln.scatter(t, 0, idx([[3]]), 1.0)
    with pytest.raises(RuntimeError, match=r"^scatter_add\(\): index 4 is out of bounds for dimension 1 with size 4"):
        kiln.scatter_add(t, 1, idx([[4]]), t)
    with pytest.raises(RuntimeError, match=r"^scatter\(\): Expected dtype int64 for index"):
        kiln.scatter(t, 0, kiln.tensor([[0]], dtype=kiln.int32), 1.0)
    with pytest.raises(RuntimeError, match=r"^scatter\(\): Expected self.dtype to be equal to src.dtype"):
        kiln.scatter(t, 0, idx([[0]]), kiln.tensor([[1.0]], dtype=kiln.float64))
    with pytest.raises(RuntimeError, match=r"^scatter_add\(\): Expected index \[1, 5\] to be smaller than self \[3, 4\]"):
        kiln.scatter_add(t, 0, idx(np.zeros((1, 5))), t)
    with pytest.raises(RuntimeError, match=r"^scatter\(\): Index tensor must have the same number of dimensions"):
        kiln.scatter(t, 0, idx([0]), 1.0)
    with pytest.raises(RuntimeError, match=r"^scatter\(\): reduce argument must be either add or multiply"):
        kiln.scatter(t, 0, idx([[0]]), 1.0, reduce="max")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_select_take_and_index_ops(layout):
    a = array((4, 3, 2), kiln.float64)
    t = make(a, layout)
    check(kiln.index_select(t, 1, idx([2, 0, 2, -1])), a[:, [2, 0, 2, -1]])
    check(t.index_select(0, kiln.tensor([3], dtype=kiln.int32)), a[[3]])
    check(t.index_select(-1, idx([])), a[:, :, []])
    check(kiln.index_select(kiln.tensor(np.array(4.0)), 0, idx(0)), np.array(4.0))
    check(kiln.take(t, idx([[0, 23], [-1, 5]])), np.take(a, [[0, 23], [-1, 5]]))
    check(t.take(idx(7)), np.take(a, 7))
    index, source = [3, 0, 3], array((3, 3, 2), kiln.float64, 5)
    added = a.copy()
    np.add.at(added, index, source)
    check(kiln.index_add(t, 0, idx(index), kiln.tensor(source)), added)
    src2 = array((4, 2, 2), kiln.float64, 6)
    alpha = a.copy()
    alpha[:, [2, 1]] += 2 * src2
    check(t.index_add(1, idx([2, 1]), kiln.tensor(src2), alpha=2), alpha)
    copied = a.copy()
    copied[:, :, [1, 0]] = array((4, 3, 2), kiln.float64, 7)
    check(t.index_copy(2, idx([1, 0]), kiln.tensor(array((4, 3, 2), kiln.float64, 7))), copied)
    filled = a.copy()
    filled[:, [0, 2]] = -1.5
    check(kiln.index_fill(t, 1, idx([0, 2]), -1.5), filled)
    check(t.index_fill(1, idx([0, 2]), kiln.tensor(-1.5, dtype=kiln.float64)), filled)
    x = t.clone()
    x.index_add_(0, idx(index), kiln.tensor(source))
    x.index_fill_(2, idx([1]), 0.0)
    x.index_copy_(1, idx([0]), kiln.tensor(np.ones((4, 1, 2))))
    expected = added.copy()
    expected[:, :, 1] = 0
    expected[:, 0] = 1
    check(x, expected)


def test_index_op_errors():
    t = kiln.tensor(array((3, 4)))
    with pytest.raises(IndexError, match=r"^index_select\(\): index 5 is out of bounds for dimension 0 with size 3"):
        t.index_select(0, idx([5]))
    with pytest.raises(IndexError, match=r"^index_select\(\): Expected dtype int32 or int64 for index"):
        t.index_select(0, kiln.tensor([0.0]))
    with pytest.raises(IndexError, match=r"^index_select\(\): Index is supposed to be a vector"):
        t.index_select(0, idx([[0]]))
    with pytest.raises(IndexError, match=r"^take\(\): out of range: tried to access index 12 on a tensor of 12 elements"):
        t.take(idx([12]))
    with pytest.raises(RuntimeError, match=r"^take\(\): Expected a long tensor for index"):
        t.take(kiln.tensor([1], dtype=kiln.int32))
    with pytest.raises(RuntimeError, match=r"^index_add\(\): self \(Float\) and source \(Double\) must have the "
                                           r"same scalar type"):
        t.index_add(0, idx([0]), kiln.tensor(np.ones((1, 4))))
    with pytest.raises(RuntimeError, match=r"^index_copy\(\): source tensor shape \[2, 4\] must match self \[3, 4\]"):
        t.index_copy(0, idx([0]), kiln.tensor(np.ones((2, 4), np.float32)))


# ---- masks and nonzero ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int8, kiln.bool, kiln.bfloat16], ids=repr)
def test_masked_ops_and_nonzero(dtype, layout):
    a = array((3, 4), dtype)
    t = make(a, layout, dtype)
    mask = np.random.default_rng(5).integers(0, 2, size=(3, 4)).astype(bool)
    check(kiln.masked_fill(t, kiln.tensor(mask), 1), np.where(mask, NP[dtype](1), a), dtype)
    check(t.masked_fill(kiln.tensor(mask[0]), kiln.tensor(0)), np.where(mask[0], NP[dtype](0), a), dtype)
    check(kiln.masked_select(t, kiln.tensor(mask)), a[mask], dtype)
    check(t.masked_select(kiln.tensor(mask[:, :1])), np.broadcast_to(a, (3, 4))[np.broadcast_to(mask[:, :1], (3, 4))],
          dtype)
    nz = a != 0
    check(kiln.nonzero(t), np.argwhere(nz))
    check(t.argwhere(), np.argwhere(nz))
    for got, want in zip(t.nonzero(as_tuple=True), np.nonzero(nz)):
        check(got, want.astype(np.int64))
    for got, want in zip(kiln.where(t != 0), np.nonzero(nz)):
        check(got, want.astype(np.int64))


def test_masked_ops_edge_and_errors():
    check(kiln.masked_fill(kiln.tensor([1, 2, 3]), kiln.tensor([True, False, True]), 2.7), np.array([2, 2, 2]))
    check(kiln.masked_fill(kiln.tensor([[1.0], [2.0]]), kiln.tensor([True, False]), -1.0),
          np.array([[-1.0, 1.0], [-1.0, 2.0]], np.float32))
    check(kiln.nonzero(kiln.tensor(np.array(3.0))), np.zeros((1, 0), np.int64))
    check(kiln.nonzero(kiln.tensor(np.zeros((2, 0)))), np.zeros((0, 2), np.int64))
    (only,) = kiln.nonzero(kiln.tensor(np.array(2)), as_tuple=True)
    check(only, np.array([0]))
    check(kiln.masked_select(kiln.tensor(np.zeros((2, 2))), kiln.tensor(np.zeros((2, 2), bool))), np.zeros(0))
    t = kiln.tensor(array((2, 2)))
    with pytest.raises(RuntimeError, match=r"^masked_fill\(\): masked_fill_ only supports boolean masks"):
        t.masked_fill(kiln.tensor([[1, 0], [0, 1]]), 0.0)
    with pytest.raises(RuntimeError, match=r"^masked_fill\(\): only supports a 0-dimensional value tensor"):
        t.masked_fill(kiln.tensor([[True, False], [True, False]]), kiln.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"^masked_select\(\): masked_select: expected BoolTensor for mask"):
        t.masked_select(kiln.tensor([[1, 0], [0, 1]]))
