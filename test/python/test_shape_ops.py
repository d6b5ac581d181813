"""Shape ops (flatten, cat, stack, split, flip, roll, movedim, ...) against NumPy: values, shapes, dtypes, layouts, errors."""

import itertools

import numpy as np
import pytest

import kiln
from conftest import NUMPY_DTYPES, random_array
from kiln._tensor import _to_numpy_values

LAYOUTS = ["contiguous", "transposed", "stepped", "pending"]
DTYPES = [kiln.float32, kiln.float64, kiln.float16, kiln.bfloat16, kiln.int32, kiln.int64, kiln.int8, kiln.uint8,
          kiln.bool]
NP = {k: v for k, v in NUMPY_DTYPES}
NP[kiln.bfloat16] = np.float32


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KILN_CACHE_DIR", str(tmp_path_factory.mktemp("kiln-cache")))
        yield


def array(shape, dtype=kiln.float32, seed=0):
    """Random values that every dtype holds exactly (bfloat16 gets small integers)."""
    if dtype is kiln.bfloat16:
        return np.random.default_rng(seed).integers(-8, 8, size=shape).astype(np.float32)
    return random_array(shape, NP[dtype], seed)


def make(a, layout="contiguous", dtype=None):
    """A tensor with a's values laid out as asked: contiguous, a transposed or stepped view, or a view of a pending base."""
    dtype = dtype or {v: k for k, v in NUMPY_DTYPES}[a.dtype.type]
    rev = tuple(reversed(range(a.ndim)))
    if layout == "contiguous":
        return kiln.tensor(a, dtype=dtype)
    if layout == "transposed":
        return kiln.tensor(np.ascontiguousarray(a.transpose(rev)), dtype=dtype).permute(rev)
    if layout == "stepped":
        big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
        big[(slice(None, None, 2),) * a.ndim] = a
        return kiln.tensor(big, dtype=dtype)[(slice(None, None, 2),) * a.ndim]
    base = kiln.tensor(np.ascontiguousarray(a.transpose(rev)), dtype=dtype)
    pending = kiln.where(kiln.tensor(True), base, base)
    assert pending._is_pending
    return pending.permute(rev)


def values(t):
    return _to_numpy_values(t)


def check(t, expected, dtype=None):
    """t has `expected`'s shape and values, and the dtype `dtype` (or expected's)."""
    assert isinstance(t, kiln.Tensor)
    assert tuple(t.shape) == expected.shape, (tuple(t.shape), expected.shape)
    if dtype is not None:
        assert t.dtype == dtype
    else:
        assert values(t).dtype == expected.dtype
    np.testing.assert_array_equal(values(t), expected)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=repr)
def test_flip(dtype, layout):
    a = array((3, 4, 2), dtype)
    t = make(a, layout, dtype)
    for dims in [(0,), (-1,), (0, 2), (2, 1, 0), ()]:
        check(kiln.flip(t, dims), np.flip(a, dims), dtype)
    check(t.flip(1), np.flip(a, 1), dtype)
    check(kiln.fliplr(t), np.fliplr(a), dtype)
    check(kiln.flipud(t), np.flipud(a), dtype)


def test_flip_edge_shapes_and_errors():
    for shape in [(), (0,), (5,), (1, 3), (3, 0, 2)]:
        a = array(shape)
        dims = tuple(range(len(shape)))
        check(kiln.flip(kiln.tensor(a), dims), np.flip(a, dims) if shape else a)
    t = kiln.tensor(array((2, 3)))
    assert not kiln.flip(t, ())._is_view_of(t)
    with pytest.raises(RuntimeError, match=r"^flip\(\): dim 0 appears multiple times in the list of dims"):
        kiln.flip(t, (0, -2))
    with pytest.raises(IndexError, match=r"^flip\(\): Dimension out of range"):
        kiln.flip(t, (2,))
    with pytest.raises(RuntimeError, match=r"fliplr\(\): Input must be >= 2-d"):
        kiln.fliplr(kiln.tensor([1.0]))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_roll(layout):
    a = array((3, 4, 5), kiln.int64)
    t = make(a, layout)
    for shifts, dims in [(1, 0), (-2, 1), (7, -1), ((1, -3), (0, 2)), ((2, 2), (1, 1)), (0, 0), (3, None), (-61, None)]:
        check(kiln.roll(t, shifts, dims), np.roll(a, shifts, dims))
    check(t.roll(2, 0), np.roll(a, 2, 0))


def test_roll_edge_and_errors():
    check(kiln.roll(kiln.tensor(array((0, 3))), 2, 0), np.zeros((0, 3), np.float32))
    check(kiln.roll(kiln.tensor(np.array(5.0)), 3), np.array(5.0))
    t = kiln.tensor(array((2, 3), kiln.bool))
    check(kiln.roll(t, 1, 1), np.roll(values(t), 1, 1))
    with pytest.raises(RuntimeError, match=r"^roll\(\): shifts and dimensions must align. shifts: 2, dims:1"):
        kiln.roll(t, (1, 2), (0,))


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int64, kiln.bool, kiln.float16], ids=repr)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_cat_and_stack(dtype, layout):
    a, b = array((2, 3, 4), dtype, 1), array((2, 5, 4), dtype, 2)
    ta, tb = make(a, layout, dtype), make(b, "contiguous", dtype)
    check(kiln.cat([ta, tb], 1), np.concatenate([a, b], 1), dtype)
    check(kiln.cat((tb, ta, tb), dim=-2), np.concatenate([b, a, b], -2), dtype)
    check(kiln.concat([ta, ta], 0), np.concatenate([a, a], 0), dtype)
    check(kiln.concatenate([ta], -1), a, dtype)
    check(kiln.cat([ta, ta], axis=2), np.concatenate([a, a], 2), dtype)
    check(kiln.stack([ta, tb[:, :3]], 0), np.stack([a, b[:, :3]], 0), dtype)
    for dim in range(-4, 4):
        check(kiln.stack([ta, ta, ta], dim), np.stack([a, a, a], dim), dtype)


def test_cat_promotes_like_torch():
    pairs = [(kiln.int32, kiln.float32, kiln.float32), (kiln.bool, kiln.int8, kiln.int8),
             (kiln.uint8, kiln.int32, kiln.int32), (kiln.float16, kiln.float64, kiln.float64),
             (kiln.int64, kiln.bool, kiln.int64), (kiln.bfloat16, kiln.float16, kiln.float32)]
    for x, y, expected in pairs:
        a, b = array((2, 2), x, 3), array((1, 2), y, 4)
        result = kiln.cat([kiln.tensor(a, dtype=x), kiln.tensor(b, dtype=y)])
        assert result.dtype == expected
        np.testing.assert_array_equal(values(result), np.concatenate([a, b]).astype(NP[expected]))


def test_cat_empty_and_zero_size():
    a = array((2, 3))
    t = kiln.tensor(a)
    legacy = kiln.tensor(np.zeros(0), dtype=kiln.float64)
    # A 1-D empty tensor is skipped whatever the others' shape, but still counts for the dtype.
    check(kiln.cat([legacy, t, legacy], 1), np.concatenate([a], 1).astype(np.float64))
    check(kiln.cat([legacy, legacy]), np.zeros(0, np.float64))
    check(kiln.cat([t[:, :0], t, t[:, 3:]], 1), a)
    check(kiln.cat([t[:0], t[:0]], 0), np.zeros((0, 3), np.float32))
    check(kiln.cat([t[:, :0], t[:, :0]], 0), np.zeros((4, 0), np.float32))
    check(kiln.stack([kiln.tensor(1.0), kiln.tensor(2.0)]), np.array([1.0, 2.0], np.float32))


def test_cat_and_stack_errors():
    t = kiln.tensor(array((2, 3)))
    with pytest.raises(RuntimeError, match=r"^cat\(\): Sizes of tensors must match except in dimension 1. Expected size 3 but "
                                           r"got size 4 for tensor number 1 in the list.$"):
        kiln.cat([kiln.tensor(array((3, 2))), kiln.tensor(array((4, 2)))], 1)
    with pytest.raises(RuntimeError, match=r"^cat\(\): expected a non-empty list of Tensors"):
        kiln.cat([])
    with pytest.raises(RuntimeError, match=r"^cat\(\): Tensors must have same number of dimensions: got 2 and 3"):
        kiln.cat([t, t[None]])
    with pytest.raises(RuntimeError, match=r"^cat\(\): zero-dimensional tensor \(at position 1\) cannot be concatenated"):
        kiln.cat([t, kiln.tensor(1.0)])
    with pytest.raises(IndexError, match=r"^cat\(\): Dimension out of range"):
        kiln.cat([t, t], 2)
    with pytest.raises(TypeError, match=r"^cat\(\): argument 'tensors' must be tuple of Tensors, not Tensor"):
        kiln.cat(t)
    with pytest.raises(TypeError, match=r"^cat\(\): expected Tensor as element 1 in argument 0, but got int"):
        kiln.cat([t, 1])
    with pytest.raises(RuntimeError, match=r"^stack\(\): stack expects each tensor to be equal size, but got \[2, 3\] at "
                                           r"entry 0 and \[3, 2\] at entry 1"):
        kiln.stack([t, t.t()])
    with pytest.raises(RuntimeError, match=r"^stack\(\): stack expects a non-empty TensorList"):
        kiln.stack([])


def test_hstack_vstack_dstack_column_stack_atleast():
    v, m = array((3,), kiln.int64), array((2, 3), kiln.int64)
    tv, tm = kiln.tensor(v), kiln.tensor(m)
    check(kiln.hstack([tv, tv]), np.hstack([v, v]))
    check(kiln.hstack([tm, tm.t().t()]), np.hstack([m, m]))
    check(kiln.vstack([tv, tm]), np.vstack([v, m]))
    check(kiln.row_stack([tm, tm]), np.vstack([m, m]))
    check(kiln.dstack([tv, tv]), np.dstack([v, v]))
    check(kiln.dstack([tm, tm]), np.dstack([m, m]))
    check(kiln.column_stack([tv, tm.t()]), np.column_stack([v, m.T]))
    s = kiln.tensor(np.array(4))
    for fn, ref in [(kiln.atleast_1d, np.atleast_1d), (kiln.atleast_2d, np.atleast_2d), (kiln.atleast_3d, np.atleast_3d)]:
        for x, a in [(s, np.array(4)), (tv, v), (tm, m)]:
            check(fn(x), ref(a))
        results = fn(s, tv)
        assert isinstance(results, tuple) and len(results) == 2
        check(results[1], ref(v))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_split_chunk_tensor_split_unbind(layout):
    a = array((7, 4), kiln.int32)
    t = make(a, layout)

    def same(parts, expected):
        assert isinstance(parts, tuple) and len(parts) == len(expected)
        for p, e in zip(parts, expected):
            check(p, e)
            if p.numel():
                assert p._is_view_of(t) or layout == "pending"

    same(kiln.split(t, 3), np.split(a, [3, 6]))
    same(t.split(2, dim=1), np.split(a, [2], 1))
    same(kiln.split(t, [1, 0, 6]), np.split(a, [1, 1]))
    same(t.split_with_sizes([3, 4]), np.split(a, [3]))
    same(kiln.split(t, 10), [a])
    same(kiln.chunk(t, 3), np.split(a, [3, 6]))
    same(t.chunk(4, -1), np.split(a, [1, 2, 3], 1))
    same(kiln.chunk(t, 5), np.split(a, [2, 4, 6]))
    for sections in [1, 3, 5, 9]:
        same(kiln.tensor_split(t, sections), np.array_split(a, sections))
    same(t.tensor_split([1, 5, -1], dim=0), np.split(a, [1, 5, 6]))
    same(kiln.tensor_split(t, [5, 2, 9]), np.split(a, [5, 2, 9]))
    same(kiln.tensor_split(t, kiln.tensor([2, 3]), 1), np.split(a, [2, 3], 1))
    same(kiln.unbind(t), list(a))
    same(t.unbind(-1), list(a.T))


def test_split_edge_and_errors():
    t = kiln.tensor(array((5, 0)))
    assert [p.shape for p in kiln.split(t, 0, 1)] == [(5, 0)]
    assert [p.shape for p in kiln.chunk(t, 2, 1)] == [(5, 0), (5, 0)]
    assert kiln.unbind(t, 1) == ()
    x = kiln.tensor(array((5,)))
    with pytest.raises(RuntimeError, match=r"^split\(\): split_with_sizes expects split_sizes to sum exactly to 5"):
        kiln.split(x, [2, 2])
    with pytest.raises(RuntimeError, match=r"^split\(\): split expects split_size be non-negative, but got split_size=-1"):
        kiln.split(x, -1)
    with pytest.raises(RuntimeError, match=r"^split\(\): split_size can only be 0 if dimension size is 0"):
        kiln.split(x, 0)
    with pytest.raises(RuntimeError, match=r"^chunk\(\): chunk expects `chunks` to be greater than 0, got: 0"):
        kiln.chunk(x, 0)
    with pytest.raises(RuntimeError, match=r"^tensor_split\(\): number of sections must be larger than 0, got 0"):
        kiln.tensor_split(x, 0)
    with pytest.raises(RuntimeError, match=r"^chunk\(\): chunk expects at least a 1-dimensional tensor"):
        kiln.chunk(kiln.tensor(1.0), 2)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_flatten_unflatten_ravel(layout):
    a = array((2, 3, 4, 5), kiln.float64)
    t = make(a, layout)
    for start, end in itertools.product(range(-4, 4), repeat=2):
        if (start % 4) <= (end % 4):
            s, e = start % 4, end % 4
            check(kiln.flatten(t, start, end), a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:]))
    check(t.flatten(), a.reshape(-1))
    check(kiln.ravel(t), a.reshape(-1))
    check(t.unflatten(1, (3, 1)), a.reshape(2, 3, 1, 4, 5))
    check(kiln.unflatten(t, -1, (-1, 5, 1)), a.reshape(2, 3, 4, 1, 5, 1))
    check(t.flatten(1, 2).unflatten(1, [3, 4]), a)


def test_flatten_edge_and_errors():
    check(kiln.flatten(kiln.tensor(np.array(2.0))), np.array([2.0]))
    check(kiln.flatten(kiln.tensor(np.zeros((2, 0, 3)))), np.zeros(0))
    check(kiln.tensor(np.zeros((6, 0))).unflatten(0, (2, -1)), np.zeros((2, 3, 0)))
    t = kiln.tensor(array((2, 3)))
    with pytest.raises(RuntimeError, match=r"^flatten\(\): flatten\(\) has invalid args: start_dim cannot come after end_dim"):
        t.flatten(1, 0)
    with pytest.raises(IndexError, match=r"^flatten\(\): Dimension out of range"):
        t.flatten(0, 2)
    with pytest.raises(RuntimeError, match=r"^unflatten\(\): Provided sizes \[2, 2\] don't multiply up to the size of dim 1 "
                                           r"\(3\) in the input tensor"):
        t.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match=r"^unflatten\(\): only one dimension can be inferred"):
        t.unflatten(1, (-1, -1))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_broadcasting_ops(layout):
    a = array((3, 1), kiln.int64)
    t = make(a, layout)
    check(kiln.broadcast_to(t, (2, 3, 4)), np.broadcast_to(a, (2, 3, 4)))
    check(t.broadcast_to([3, -1]), a)
    b = array((1, 5), kiln.int64)
    x, y, z = kiln.broadcast_tensors(t, kiln.tensor(b), kiln.tensor(np.array(7)))
    for got, want in zip((x, y, z), np.broadcast_arrays(a, b, np.array(7))):
        check(got, want)
    assert kiln.broadcast_shapes((3, 1), (5,), (2, 1, 1), ()) == kiln.Size([2, 3, 5])
    assert kiln.broadcast_shapes(4, (1,)) == (4,)
    assert isinstance(kiln.broadcast_shapes((2,)), kiln.Size)
    with pytest.raises(RuntimeError, match=r"^broadcast_to\(\): The expanded size of the tensor \(4\) must match"):
        kiln.broadcast_to(kiln.tensor(array((3,))), (4,))
    with pytest.raises(RuntimeError, match=r"^broadcast_shapes\(\)"):
        kiln.broadcast_shapes((3,), (4,))
    with pytest.raises(RuntimeError, match=r"^broadcast_tensors\(\)"):
        kiln.broadcast_tensors(t, kiln.tensor(array((2, 2))))


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int8, kiln.bool, kiln.bfloat16], ids=repr)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_repeat_and_tile(dtype, layout):
    a = array((2, 3), dtype)
    t = make(a, layout, dtype)
    for reps in [(1, 1), (2, 3), (2, 1, 2), (3, 0), (1, 2, 1, 1)]:
        check(t.repeat(*reps), np.tile(a, reps), dtype)
    check(t.repeat([2, 2]), np.tile(a, (2, 2)), dtype)
    for reps in [(2,), (2, 2), (1, 2, 3)]:
        check(kiln.tile(t, reps), np.tile(a, reps), dtype)
        check(t.tile(reps), np.tile(a, reps), dtype)
    assert not t.repeat(1, 1)._is_view_of(t)
    with pytest.raises(RuntimeError, match=r"^repeat\(\): Number of dimensions of repeat dims can not be smaller"):
        t.repeat(2)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_movedim_squeeze_unsqueeze(layout):
    a = array((2, 1, 3, 1), kiln.int64)
    t = make(a, layout)
    for src, dst in [(0, -1), (-1, 0), ((0, 1), (2, 3)), ((3, 0), (0, 1)), ((), ())]:
        check(kiln.movedim(t, src, dst), np.moveaxis(a, src, dst))
        check(t.moveaxis(src, dst), np.moveaxis(a, src, dst))
        assert kiln.movedim(t, src, dst)._is_view_of(t) or layout == "pending"
    check(kiln.squeeze(t), a.squeeze())
    check(t.squeeze(1), a.squeeze(1))
    check(t.squeeze(0), a)
    check(t.squeeze((1, -1)), a.squeeze((1, 3)))
    check(t.squeeze((0, 1)), a.squeeze(1))
    check(kiln.squeeze(t, ()), a)
    check(kiln.unsqueeze(t, -1), a[..., None])
    with pytest.raises(RuntimeError, match=r"^movedim\(\): Invalid source or destination dims"):
        kiln.movedim(t, (0, 1), (0,))
    with pytest.raises(RuntimeError, match=r"^movedim\(\): repeated dim in `source` \(\[0, -4\]\)"):
        kiln.movedim(t, (0, -4), (1, 2))
    with pytest.raises(IndexError, match=r"^squeeze\(\): Dimension out of range"):
        t.squeeze((0, 4))


def test_view_like_helpers_and_function_forms():
    a = array((2, 6), kiln.float32)
    t = kiln.tensor(a)
    other = kiln.tensor(array((3, 4), kiln.int32))
    check(t.view_as(other), a.reshape(3, 4))
    check(t.t().reshape_as(other), a.T.reshape(3, 4))
    check(t.type_as(other), a.astype(np.int32))
    assert t.type_as(t)._is_view_of(t)
    n = kiln.narrow_copy(t, 1, 2, 3)
    check(n, a[:, 2:5])
    assert not n._is_view_of(t) and t.narrow_copy(0, 0, 1).shape == (1, 6)
    check(kiln.reshape(t, (3, -1)), a.reshape(3, 4))
    check(kiln.permute(t, (1, 0)), a.T)
    check(kiln.transpose(t, 0, 1), a.T)
    check(kiln.swapaxes(t, 0, 1), a.T)
    check(kiln.swapdims(t, 1, 0), a.T)
    check(t.swapdims(0, 1), a.T)
    check(kiln.t(t), a.T)
    check(kiln.narrow(t, 1, 1, 2), a[:, 1:3])
    check(kiln.select(t, 1, -1), a[:, -1])
