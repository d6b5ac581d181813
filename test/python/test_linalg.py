"""kiln matrix products, einsum, triangles, diagonals, sorting and kiln.linalg (python/kiln/_linalg.py) against
NumPy, on several layouts and dtypes."""

import math

import numpy as np
import pytest

import kiln
from test_reductions import LAYOUTS, NP, check_close, make, rand, to_numpy


def f64(a):
    return np.asarray(a, dtype=np.float64)


def check_product(got, a, b, dtype, fn=np.matmul):
    """A product against float64 NumPy, the error bounded relative to the product of magnitudes."""
    if dtype.is_floating_point:
        check_close(got, fn(f64(a), f64(b)), dtype, scale=fn(np.abs(f64(a)), np.abs(f64(b))), rtol=1e-6)
    else:
        check_close(got, fn(a.astype(np.int64), b.astype(np.int64)).astype(a.dtype), dtype)


# ---------------------------------------------------------------------------------------------------------- matmul


MATMUL_SHAPES = [((5,), (5,)), ((5,), (5, 3)), ((4, 5), (5,)), ((4, 5), (5, 3)), ((2, 4, 5), (5, 3)),
                 ((2, 1, 4, 5), (3, 5, 2)), ((6,), (2, 6, 3)), ((1, 7), (7, 1))]


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.int32, kiln.int64, kiln.float16, kiln.bfloat16],
                         ids=repr)
def test_matmul(dtype):
    for i, (sa, sb) in enumerate(MATMUL_SHAPES):
        a, b = rand(sa, dtype, 2 * i, -9, 10), rand(sb, dtype, 2 * i + 1, -9, 10)
        got = kiln.matmul(make(a, dtype, LAYOUTS[i % 4]), make(b, dtype, LAYOUTS[(i + 1) % 4]))
        assert got.dtype is dtype
        check_product(got, a, b, dtype)


def test_matmul_empty_contraction_is_zero():
    a, b = np.zeros((3, 0), np.float32), np.zeros((0, 4), np.float32)
    check_close(kiln.matmul(make(a, kiln.float32), make(b, kiln.float32)), np.zeros((3, 4)), kiln.float32)
    check_close(kiln.mm(make(a, kiln.float32), make(b, kiln.float32)), np.zeros((3, 4)), kiln.float32)
    check_close(kiln.dot(make(np.zeros(0), kiln.int64), make(np.zeros(0), kiln.int64)), np.int64(0), kiln.int64)
    got = kiln.matmul(make(np.zeros((2, 3, 0)), kiln.float64), make(np.zeros((0, 2)), kiln.float64))
    check_close(got, np.zeros((2, 3, 2)), kiln.float64)


def test_mm_bmm_mv_dot():
    a, b = rand((3, 4), kiln.float32, 1), rand((4, 5), kiln.float32, 2)
    check_product(kiln.mm(make(a, kiln.float32, "transposed"), make(b, kiln.float32, "pending")), a, b, kiln.float32)
    check_product(make(a, kiln.float32).mm(make(b, kiln.float32, "sliced")), a, b, kiln.float32)
    p, q = rand((2, 3, 4), kiln.float64, 3), rand((2, 4, 5), kiln.float64, 4)
    check_product(kiln.bmm(make(p, kiln.float64, "pending"), make(q, kiln.float64, "transposed")), p, q, kiln.float64)
    v = rand((4,), kiln.int32, 5)
    ai = rand((3, 4), kiln.int32, 6)
    check_product(kiln.mv(make(ai, kiln.int32, "transposed"), make(v, kiln.int32)), ai, v, kiln.int32)
    w = rand((4,), kiln.int32, 7)
    got = kiln.dot(make(v, kiln.int32, "sliced"), make(w, kiln.int32))
    assert got.shape == () and got.dtype is kiln.int32 and got.item() == int(v.astype(np.int64) @ w)


def test_product_errors():
    m, v = make(np.ones((2, 3), np.float32), kiln.float32), make(np.ones(3, np.float32), kiln.float32)
    with pytest.raises(RuntimeError, match=r"^mm\(\): self must be a matrix"):
        kiln.mm(v, m)
    with pytest.raises(RuntimeError, match=r"^mm\(\): mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)"):
        kiln.mm(m, m)
    with pytest.raises(RuntimeError, match=r"^mm\(\): expected m1 and m2 to have the same dtype"):
        kiln.mm(m, make(np.ones((3, 2)), kiln.float64))
    with pytest.raises(RuntimeError, match=r"^bmm\(\): batch1 must be a 3D tensor"):
        kiln.bmm(m, m)
    with pytest.raises(RuntimeError, match=r"^bmm\(\): Expected size for first two dimensions of batch2 tensor to be: "
                                           r"\[2, 4\] but got: \[3, 4\]"):
        kiln.bmm(make(np.ones((2, 3, 4)), kiln.float64), make(np.ones((3, 4, 5)), kiln.float64))
    with pytest.raises(RuntimeError, match=r"^mv\(\): vector \+ matrix @ vector expected"):
        kiln.mv(m, m)
    with pytest.raises(RuntimeError, match=r"^mv\(\): size mismatch"):
        kiln.mv(m, make(np.ones(2, np.float32), kiln.float32))
    with pytest.raises(RuntimeError, match=r"^dot\(\): 1D tensors expected, but got 2D and 1D tensors"):
        kiln.dot(m, v)
    with pytest.raises(RuntimeError, match=r"^dot\(\): inconsistent tensor size"):
        kiln.dot(v, make(np.ones(2, np.float32), kiln.float32))
    with pytest.raises(RuntimeError, match=r"^dot\(\): expected both vectors to have same dtype, but found Float and "
                                           r"Double"):
        kiln.dot(v, make(np.ones(3), kiln.float64))
    with pytest.raises(RuntimeError, match=r"^matmul\(\): both arguments to matmul need to be at least 1D"):
        kiln.matmul(make(np.float32(1), kiln.float32), m)
    with pytest.raises(TypeError, match=r"^matmul\(\): argument 'other' must be Tensor"):
        kiln.matmul(m, [1.0])


def test_outer_addmm_tensordot():
    a, b = rand((4,), kiln.int64, 1), rand((3,), kiln.float32, 2)
    got = kiln.outer(make(a, kiln.int64, "sliced"), make(b, kiln.float32))
    assert got.dtype is kiln.float32
    check_close(got, np.outer(a, b), kiln.float32)
    check_close(make(a, kiln.int64).ger(make(a, kiln.int64)), np.outer(a, a), kiln.int64)
    with pytest.raises(RuntimeError, match=r"^outer\(\): Expected 1-D argument self, but got 2-D"):
        kiln.outer(make(np.ones((2, 2)), kiln.float64), make(a, kiln.int64))

    c, m1, m2 = rand((5,), kiln.float64, 3), rand((4, 3), kiln.float64, 4), rand((3, 5), kiln.float64, 5)
    got = kiln.addmm(make(c, kiln.float64), make(m1, kiln.float64, "transposed"), make(m2, kiln.float64), beta=0.5,
                     alpha=2)
    check_close(got, 0.5 * c + 2 * (m1 @ m2), kiln.float64, scale=10)
    nan_input = make(np.full((4, 5), np.nan), kiln.float64)
    check_close(kiln.addmm(nan_input, make(m1, kiln.float64), make(m2, kiln.float64), beta=0), m1 @ m2, kiln.float64,
                scale=10)
    p, q, r = rand((2, 3, 4), kiln.float32, 6), rand((2, 4, 2), kiln.float32, 7), rand((2, 3, 2), kiln.float32, 8)
    got = kiln.baddbmm(make(r, kiln.float32, "pending"), make(p, kiln.float32), make(q, kiln.float32))
    check_close(got, f64(r) + f64(p) @ f64(q), kiln.float32, scale=10)

    x, y = rand((2, 3, 4, 5), kiln.float64, 9), rand((3, 5, 6), kiln.float64, 10)
    for dims in [([1, 3], [0, 1]), 0, ((3,), (1,))]:
        got = kiln.tensordot(make(x, kiln.float64, "transposed"), make(y, kiln.float64), dims)
        check_close(got, np.tensordot(x, y, dims), kiln.float64, scale=100)
    z = rand((4, 5), kiln.float64, 11)
    check_close(kiln.tensordot(make(x, kiln.float64), make(z, kiln.float64)), np.tensordot(x, z), kiln.float64,
                scale=100)


# ---------------------------------------------------------------------------------------------------------- einsum


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i->", [(6,), (6,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ba,ca", [(3, 4), (5, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("iji->j", [(3, 2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("abc,cd,a->bd", [(2, 3, 4), (4, 5), (2,)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,kj->", [(3, 4), (5, 4)]),
    ("i...->...", [(3, 2, 4)]),
    ("a b , b c -> a c", [(2, 3), (3, 4)]),
    ("ij,j->ij", [(3, 1), (4,)]),
    ("Ab,bC->AC", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(equation, shapes):
    arrays = [rand(s, kiln.float64, i) for i, s in enumerate(shapes)]
    ops = [make(a, kiln.float64, LAYOUTS[i % 4]) for i, a in enumerate(arrays)]
    got = kiln.einsum(equation, *ops)
    ref = np.einsum(equation, *arrays)
    scale = np.einsum(equation, *[np.abs(a) for a in arrays])
    check_close(got, ref, kiln.float64, scale=scale, rtol=1e-12)
    if len(ops) == 2:
        check_close(kiln.einsum(equation, ops), ref, kiln.float64, scale=scale, rtol=1e-12)


def test_einsum_dtypes_and_errors():
    a, b = rand((3, 4), kiln.int32, 1, -5, 5), rand((4, 2), kiln.int32, 2, -5, 5)
    got = kiln.einsum("ij,jk->ik", make(a, kiln.int32), make(b, kiln.int32))
    assert got.dtype is kiln.int32
    check_close(got, (a @ b).astype(np.int32), kiln.int32)
    assert kiln.einsum("ij->", make(a, kiln.int32)).dtype is kiln.int32
    h, k = rand((3, 4), kiln.float16, 3), rand((4, 2), kiln.float16, 4)
    check_close(kiln.einsum("ij,jk", make(h, kiln.float16), make(k, kiln.float16)), f64(h) @ f64(k), kiln.float16,
                scale=np.abs(f64(h)) @ np.abs(f64(k)))
    x = make(np.ones((3, 4), np.float32), kiln.float32)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): more operands were provided"):
        kiln.einsum("ij", x, x)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): fewer operands were provided"):
        kiln.einsum("ij,jk", x)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): the number of subscripts in the equation \(3\) does not "
                                           r"match the number of dimensions \(2\) for operand 0"):
        kiln.einsum("ijk", x)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): invalid subscript given at index 1"):
        kiln.einsum("i1", x)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): output subscript k does not appear"):
        kiln.einsum("ij->k", x)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): operands do not broadcast"):
        kiln.einsum("ij,ij->", x, make(np.ones((3, 5), np.float32), kiln.float32))
    with pytest.raises(RuntimeError, match=r"^einsum\(\): subscript i is repeated for operand 0"):
        kiln.einsum("ii", x)
    with pytest.raises(RuntimeError, match=r"^einsum\(\): expected all operands to have the same dtype"):
        kiln.einsum("ij,ij", x, make(np.ones((3, 4)), kiln.float64))


# ---------------------------------------------------------------------------------------------- triangles, diagonals


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int64, kiln.bool, kiln.bfloat16], ids=repr)
def test_tril_triu(dtype):
    for i, (shape, k) in enumerate([((4, 4), 0), ((3, 5), 1), ((5, 3), -1), ((2, 3, 4), 2), ((4, 3), -4), ((3, 4), 7)]):
        a = rand(shape, dtype, i)
        layout = LAYOUTS[i % 4]
        check_close(kiln.tril(make(a, dtype, layout), k), np.tril(a, k), dtype)
        check_close(make(a, dtype, layout).triu(k), np.triu(a, k), dtype)
    a = rand((3, 4), dtype, 9)
    check_close(kiln.tril(make(a, dtype)), np.tril(a), dtype)
    x = make(a, dtype)
    assert x.triu_(-1) is x
    check_close(x, np.triu(a, -1), dtype)
    assert kiln.tril(make(np.zeros((0, 3), NP[dtype]), dtype)).shape == (0, 3)


def test_tril_errors():
    with pytest.raises(RuntimeError, match=r"^tril\(\): input tensor must have at least 2 dimensions"):
        kiln.tril(make(np.ones(3), kiln.float64))


def test_diagonal_diag_trace():
    x = rand((3, 4, 5), kiln.float32)
    for offset, d1, d2 in [(0, 0, 1), (1, -1, 0), (-2, 2, 1), (3, 1, 2), (-5, 0, 2)]:
        for layout in ("transposed", "pending"):
            got = kiln.diagonal(make(x, kiln.float32, layout), offset, d1, d2)
            check_close(got, np.diagonal(x, offset, d1, d2), kiln.float32)
    m = rand((4, 6), kiln.int32)
    for k in (-2, 0, 3):
        check_close(kiln.diag(make(m, kiln.int32, "sliced"), k), np.diag(m, k), kiln.int32)
    v = rand((3,), kiln.float64)
    for k in (-2, 0, 1):
        check_close(kiln.diag(make(v, kiln.float64, "sliced"), k), np.diag(v, k), kiln.float64)
    assert kiln.diag(make(np.zeros(0), kiln.float64)).shape == (0, 0)
    got = make(m, kiln.int32, "pending").trace()
    assert got.dtype is kiln.int64 and got.item() == np.trace(m)
    # diagonal() is a view: writing through it changes the base, as in PyTorch.
    base = make(rand((3, 3), kiln.float32), kiln.float32)
    expected = to_numpy(base).copy()
    base.diagonal().zero_()
    np.fill_diagonal(expected, 0)
    check_close(base, expected, kiln.float32)
    with pytest.raises(RuntimeError, match=r"^diagonal\(\): dimensions cannot be identical"):
        kiln.diagonal(make(x, kiln.float32), 0, 1, -2)
    with pytest.raises(RuntimeError, match=r"^trace\(\): expected a matrix"):
        kiln.trace(make(x, kiln.float32))
    with pytest.raises(RuntimeError, match=r"^diag\(\): Supports 1D or 2D tensors"):
        kiln.diag(make(x, kiln.float32))


# ---------------------------------------------------------------------------------------------------------- sorting


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.int32, kiln.int64], ids=repr)
def test_sort_argsort(dtype):
    a = rand((3, 4, 7), dtype, 0, -4, 4)  # ties: a stable sort must keep their order
    if dtype.is_floating_point:
        a = np.round(a * 2)
        a[0, 1, 3] = np.nan
    for dim, descending, layout in [(-1, False, "contiguous"), (0, True, "transposed"), (1, False, "pending"),
                                    (2, True, "sliced")]:
        x = make(a, dtype, layout)
        result = kiln.sort(x, dim, descending, stable=True)
        values, indices = result
        assert result.values is values and indices.dtype is kiln.int64
        # NumPy's stable descending order: sort the negation, NaN (the largest) as -inf so that it comes first.
        key = np.where(np.isnan(a), -np.inf, -a) if descending else a
        ref_idx = np.argsort(key, axis=dim, kind="stable")
        check_close(indices, ref_idx.astype(np.int64), kiln.int64)
        check_close(values, np.take_along_axis(a, ref_idx, dim), dtype)
        check_close(kiln.argsort(x, dim, descending, stable=True), ref_idx.astype(np.int64), kiln.int64)
        # Unstable: the values still sort, and the indices point at them.
        values, indices = x.sort(dim, descending)
        check_close(values, np.take_along_axis(a, ref_idx, dim), dtype)
        check_close(values, np.take_along_axis(a, to_numpy(indices), dim), dtype)
    check_close(kiln.msort(make(a, dtype)), np.take_along_axis(a, np.argsort(a, 0, kind="stable"), 0), dtype)


def test_topk():
    a = rand((4, 9), kiln.float32, 3)
    x = make(a, kiln.float32, "transposed")
    values, indices = kiln.topk(x, 3)
    ref = -np.sort(-a, axis=1)[:, :3]
    check_close(values, ref, kiln.float32)
    check_close(values, np.take_along_axis(a, to_numpy(indices), 1), kiln.float32)
    result = x.topk(2, dim=0, largest=False)
    check_close(result.values, np.sort(a, axis=0)[:2], kiln.float32)
    check_close(result.values, np.take_along_axis(a, to_numpy(result.indices), 0), kiln.float32)
    with pytest.raises(RuntimeError, match=r"^topk\(\): selected index k out of range"):
        kiln.topk(x, 10)


# ----------------------------------------------------------------------------------------------------- kiln.linalg


def test_linalg_namespace():
    import kiln.linalg as linalg

    a = rand((2, 3, 4), kiln.float32)
    w = f64(a)
    x = make(a, kiln.float32, "transposed")
    for ord, ref in [("fro", np.sqrt((w * w).sum((1, 2)))), (1, np.abs(w).sum(1).max(-1)),
                     (-1, np.abs(w).sum(1).min(-1)), (float("inf"), np.abs(w).sum(2).max(-1)),
                     (float("-inf"), np.abs(w).sum(2).min(-1))]:
        check_close(linalg.matrix_norm(x, ord), ref, kiln.float32, rtol=1e-6)
    check_close(linalg.matrix_norm(x, 1, dim=(0, 2), keepdim=True),
                np.abs(w).sum(0, keepdims=True).max(2, keepdims=True), kiln.float32, rtol=1e-6)
    m = w[0]
    check_close(linalg.norm(x), np.linalg.norm(w.reshape(-1)), kiln.float32, rtol=1e-6)
    check_close(linalg.norm(make(a[0], kiln.float32), float("inf")), np.linalg.norm(m, np.inf), kiln.float32)
    check_close(linalg.norm(x, 3, dim=-1), np.linalg.norm(w, 3, axis=-1), kiln.float32, rtol=1e-6)
    check_close(linalg.norm(x, dim=(1, 2)), np.linalg.norm(w, axis=(1, 2)), kiln.float32, rtol=1e-6)
    check_close(linalg.vector_norm(x, 1, (0, 2)), np.abs(w).sum((0, 2)), kiln.float32, rtol=1e-6)
    y = rand((3, 4), kiln.float32, 5)
    check_close(linalg.vecdot(x, make(y, kiln.float32)), (w * f64(y)).sum(-1), kiln.float32, scale=12)
    check_close(linalg.diagonal(x, offset=1), np.diagonal(w, 1, -2, -1), kiln.float32)
    check_close(linalg.matmul(x, make(y.T.copy(), kiln.float32)), w @ f64(y).T, kiln.float32, scale=12)
    with pytest.raises(RuntimeError, match=r"^linalg\.matrix_norm\(\).*singular values"):
        linalg.matrix_norm(x, "nuc")
    with pytest.raises(RuntimeError, match=r"^linalg\.norm\(\): If dim is not specified but ord is"):
        linalg.norm(x, 2)
    assert math.isclose(linalg.vector_norm(make(np.array([3.0, 4.0]), kiln.float64)).item(), 5.0)
