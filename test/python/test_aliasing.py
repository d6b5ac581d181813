"""Aliasing: views share memory and in-place writes show through every alias, while lazy results keep the values they
were recorded from. Each case runs the same steps on NumPy arrays and compares every array/tensor involved."""

import numpy as np
import pytest

import kiln
from test_shape_ops import private_cache  # noqa: F401


def pair(shape=(3, 4), dtype=np.float32, seed=0):
    """A NumPy array and an independent kiln tensor holding the same values."""
    a = np.random.default_rng(seed).integers(-5, 6, size=shape).astype(dtype)
    return a, kiln.tensor(a)


def same(*pairs):
    for t, a in pairs:
        assert tuple(t.shape) == a.shape
        np.testing.assert_array_equal(t.numpy(), a)


def test_write_through_view_is_seen_by_base():
    a, x = pair()
    v, va = x[1], a[1]
    v.add_(1)
    va += 1
    same((x, a), (v, va))


def test_write_through_one_view_is_seen_by_another():
    a, x = pair()
    v1, v2 = x[:, 1], x.t()
    a1, a2 = a[:, 1], a.T
    v1.mul_(2)
    a1 *= 2
    same((v2, a2), (x, a))


def test_inplace_on_base_is_seen_by_existing_views():
    a, x = pair((6, 2))
    v, va = x[::2], a[::2]
    x.add_(1)
    a += 1
    same((v, va), (x, a))


def test_lazy_result_keeps_old_values_after_inplace():
    a, x = pair()
    y = x * 2
    ya = a * 2
    x.add_(1)
    a += 1
    same((y, ya), (x, a))


def test_inplace_through_transpose():
    a, x = pair()
    x.t().mul_(2)
    a.T[...] *= 2
    same((x, a))


def test_augmented_assignment_on_slice():
    a, x = pair((5, 3))
    x[1:3] += 1
    a[1:3] += 1
    same((x, a))


def test_setitem_column_scalar():
    a, x = pair()
    v, va = x[2], a[2]
    x[:, 0] = 5
    a[:, 0] = 5
    same((x, a), (v, va))


def test_setitem_mask_zero_is_seen_by_views():
    a, x = pair()
    v, va = x[:, 1:], a[:, 1:]
    x[x > 0] = 0
    a[a > 0] = 0
    same((x, a), (v, va))


def test_zero_on_base_is_seen_by_row_view():
    a, x = pair()
    v = x[0]
    x.zero_()
    same((v, np.zeros(4, np.float32)), (x, np.zeros_like(a)))


def test_inplace_on_view_of_pending_result():
    a, x = pair((6,))
    b, y = pair((6,), seed=1)
    s = x + y
    assert s._is_pending
    s[::2].add_(1)
    sa = a + b
    sa[::2] += 1
    same((s, sa), (x, a), (y, b))


def test_from_numpy_sees_kiln_inplace_writes():
    arr = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = kiln.from_numpy(arr)
    t.add_(1)
    kiln.sync()
    np.testing.assert_array_equal(arr, np.arange(6).reshape(2, 3) + 1)
    t[0].fill_(7)
    t.numpy()
    np.testing.assert_array_equal(arr[0], [7, 7, 7])
    t[:, 2] = kiln.tensor([-1.0, -2.0], dtype=kiln.float64)
    np.testing.assert_array_equal(t.numpy(), arr)
    assert arr[1, 2] == -2


def test_from_numpy_sees_numpy_writes():
    arr = np.zeros(4, dtype=np.int32)
    t = kiln.from_numpy(arr)
    v = t[1:]
    arr[2] = 9
    same((t, arr), (v, arr[1:]))


def test_expand_then_inplace_raises():
    x = kiln.tensor([1.0, 2.0])
    e = x.expand(3, 2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory"):
        e.add_(1)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory"):
        e[0:2] = 4.0
    same((x, np.array([1.0, 2.0], np.float32)))


def test_write_after_recording_keeps_recorded_result():
    a, x = pair()
    y = x + 1
    z = y[0] + y[1] * y[2]
    za = (a + 1)[0] + (a + 1)[1] * (a + 1)[2]
    x[0] = 100
    x[1:, 2].fill_(-1)
    ya = a + 1
    a[0] = 100
    a[1:, 2] = -1
    same((y, ya), (z, za), (x, a))


def test_update_loop_matches_numpy():
    a, x = pair((4, 3), np.float64)
    for _ in range(10):
        x.mul_(0.9).add_(1)
        a = a * 0.9 + 1
    np.testing.assert_allclose(x.numpy(), a, rtol=1e-12)


def test_chained_views_write():
    a, x = pair((3, 4), np.int64)
    x.view(2, 6)[1].unsqueeze(0)[0, 2:].fill_(3)
    a.reshape(2, 6)[1][None][0, 2:] = 3
    same((x, a))


def test_reshape_of_contiguous_is_a_view():
    a, x = pair()
    r = x.reshape(-1)
    r[3] = 9
    a.reshape(-1)[3] = 9
    same((x, a), (r, a.reshape(-1)))


def test_reshape_of_transposed_is_a_copy():
    a, x = pair()
    r = x.t().reshape(-1)
    ra = a.T.reshape(-1)
    r[0] = 99
    ra[0] = 99
    assert not np.shares_memory(ra, a)
    same((x, a), (r, ra))


def test_clone_and_contiguous_copy_are_independent():
    a, x = pair()
    c = x.clone()
    k = x.t().contiguous()
    ka = np.ascontiguousarray(a.T)
    c.add_(10)
    k.zero_()
    ka[...] = 0
    same((x, a), (c, a + 10), (k, ka))
    s = x.contiguous()
    s[0, 0] = 42
    a[0, 0] = 42
    same((x, a))


def test_advanced_index_result_is_a_copy():
    a, x = pair()
    y = x[[0, 1]]
    ya = a[[0, 1]]
    y.add_(1)
    ya += 1
    m = x[x > 0]
    m.zero_()
    same((x, a), (y, ya))


def test_setitem_by_index_list_is_seen_by_views():
    a, x = pair()
    v, va = x[0], a[0]
    x[[0, 2]] = 5
    a[[0, 2]] = 5
    same((v, va), (x, a))


def test_inplace_on_view_keeps_earlier_pending_consumer():
    a, x = pair()
    y = x * 2
    z = y + 1
    y[0].zero_()
    ya = a * 2
    za = ya + 1
    ya[0] = 0
    same((z, za), (y, ya), (x, a))


def test_overlapping_views_accumulate():
    a, x = pair((4, 2), np.int32)
    p, q = x[0:2], x[1:3]
    p.add_(1)
    q.add_(1)
    a[0:2] += 1
    a[1:3] += 1
    same((x, a), (p, a[0:2]), (q, a[1:3]))


def test_split_and_iteration_yield_views():
    a, x = pair((3, 4))
    parts = x.split(1)
    parts[1].fill_(0)
    a[1] = 0
    for row in x:
        row.mul_(2)
    a *= 2
    same((x, a), (parts[2], a[2:3]))


def test_view_of_pending_permute_then_inplace():
    a, x = pair()
    y = x + 0
    y.permute(1, 0)[0].add_(5)
    ya = a + 0
    ya.T[0] += 5
    same((y, ya), (x, a))


def test_masked_fill_through_view():
    a, x = pair()
    mask = np.array([True, False, True])
    x[:, 1:].masked_fill_(kiln.tensor(mask), -1)
    a[:, 1:][:, mask] = -1
    same((x, a))


def test_index_add_seen_by_existing_view():
    a, x = pair()
    v = x[1]
    src = np.ones((2, 4), np.float32)
    x.index_add_(0, kiln.tensor([1, 1]), kiln.tensor(src))
    a[1] += 2
    same((v, a[1]), (x, a))


def test_scatter_into_view():
    a, x = pair()
    x[1:].scatter_(1, kiln.tensor([[3], [0]]), 8.0)
    a[1, 3] = 8
    a[2, 0] = 8
    same((x, a))


def test_setitem_from_other_tensor_copies_values():
    a, x = pair()
    b, y = pair(seed=1)
    x[0] = y[1]
    a[0] = b[1]
    y.zero_()
    b[...] = 0
    same((x, a), (y, b))


def test_same_tensor_used_before_and_after_inplace():
    a, x = pair()
    y = x * x
    x.add_(1)
    z = x * x
    same((y, a * a), (z, (a + 1) * (a + 1)))


def test_indexed_updates_in_a_loop():
    a, x = pair((3, 4), np.int64)
    views = [x[i] for i in range(3)]
    for i in range(7):
        x[i % 3].add_(i)
        a[i % 3] += i
        if i % 2:
            x[:, i % 4] *= 2
            a[:, i % 4] *= 2
    same((x, a), *[(v, a[i]) for i, v in enumerate(views)])


def test_zero_size_view_inplace_is_a_no_op():
    a, x = pair()
    x[2:2].add_(1)
    x[:, 4:] = 3
    same((x, a))


def test_numpy_of_view_shares_memory_with_base():
    a, x = pair()
    x.numpy()
    col = x[:, 1].numpy()
    col[0] = 77
    a[0, 1] = 77
    same((x, a))


def test_in_place_results_reach_exported_memory_and_existing_views():
    """A state tensor updated in place takes the result's memory when nobody holds its address, and is written in
    place when NumPy does: either way every view and every exported array sees the new values."""
    owned = kiln.tensor(np.arange(6, dtype=np.float32))
    view = owned[2:4]
    owned.mul_(2.0)
    owned.sum().item()  # materializes the update (the storage may now use other memory)
    np.testing.assert_array_equal(view.numpy(), [4.0, 6.0])
    np.testing.assert_array_equal(owned.numpy(), np.arange(6) * 2.0)

    exported = kiln.tensor(np.arange(4, dtype=np.float32))
    array = exported.numpy()  # the address is handed out: the memory must stay put
    for _ in range(3):
        exported.add_(1.0)
        exported.sum().item()
    np.testing.assert_array_equal(array, np.arange(4) + 3.0)

    shared = np.zeros(3, np.float32)
    from_numpy = kiln.from_numpy(shared)
    from_numpy.add_(5.0)
    from_numpy.sum().item()
    np.testing.assert_array_equal(shared, [5.0, 5.0, 5.0])
