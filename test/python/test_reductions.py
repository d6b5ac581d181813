"""kiln reductions, scans and softmax (python/kiln/_reductions.py) against NumPy, on several layouts and dtypes."""

import math

import numpy as np
import pytest

import kiln

# kiln dtype -> NumPy dtype holding its values (bfloat16 travels as float32).
NP = {kiln.float32: np.float32, kiln.float64: np.float64, kiln.float16: np.float16, kiln.bfloat16: np.float32,
      kiln.int8: np.int8, kiln.int32: np.int32, kiln.int64: np.int64, kiln.uint8: np.uint8, kiln.bool: np.bool_}
# Relative error a float result may carry beyond its reference (its storage rounding and accumulation).
EPS = {kiln.float32: 2e-6, kiln.float64: 1e-13, kiln.float16: 2e-3, kiln.bfloat16: 1.6e-2}
LAYOUTS = ["contiguous", "transposed", "sliced", "pending"]


def rand(shape, dtype, seed=0, low=-100, high=100):
    rng = np.random.default_rng(seed)
    if dtype is kiln.bool:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if not dtype.is_floating_point:
        info = np.iinfo(NP[dtype])
        return rng.integers(max(info.min, low), min(info.max, high), size=shape).astype(NP[dtype])
    a = rng.standard_normal(shape).astype(NP[dtype])
    return as_kiln_values(a, dtype)


def as_kiln_values(a, dtype):
    """`a` rounded to what `dtype` holds (so references start from the same values)."""
    return to_numpy(kiln.tensor(np.asarray(a, dtype=NP[dtype]), dtype=dtype))


def to_numpy(t):
    return np.array(t._bfloat16_to_float32().numpy() if t.dtype is kiln.bfloat16 else t.numpy())


def make(a, dtype, layout="contiguous"):
    """A kiln tensor equal to `a` in the given memory layout: contiguous, a transposed view, a strided slice, or a
    transposed, sliced view of a pending (not yet computed) tensor."""
    a = np.asarray(a, dtype=NP[dtype])
    if layout == "contiguous" or a.ndim == 0:
        return kiln.tensor(a, dtype=dtype)
    order = list(range(a.ndim))[::-1]
    if layout == "transposed":
        return kiln.tensor(np.ascontiguousarray(a.transpose(order)), dtype=dtype).permute(*order)
    big = np.zeros((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
    big[::2] = a
    if layout == "sliced":
        return kiln.tensor(big, dtype=dtype)[::2]
    base = kiln.tensor(np.ascontiguousarray(big.transpose(order)), dtype=dtype).clone()
    return base.permute(*order)[::2]


def check_close(got, ref, dtype, scale=None, rtol=0.0):
    """Floats within EPS of the reference (relative to `scale`, the sum of magnitudes behind each value, where
    given); integers and bools exact."""
    got, ref = to_numpy(got), np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    if dtype.is_floating_point:
        g, r = got.astype(np.float64), ref.astype(np.float64)
        tol = EPS[dtype] + rtol
        bound = tol * np.abs(r) + (0 if scale is None else tol * np.asarray(scale, dtype=np.float64))
        with np.errstate(invalid="ignore"):
            ok = (g == r) | (np.isnan(g) & np.isnan(r)) | (np.abs(g - r) <= bound)
        assert ok.all(), f"{dtype}: got {g[~ok]}, expected {r[~ok]} (bound {np.broadcast_to(bound, r.shape)[~ok]})"
    else:
        assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
        np.testing.assert_array_equal(got, ref)


def axis(dim):
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


DIMS = [(None, False), (0, False), (-1, True), ((0, 2), False), ((-1, -3), True), (1, True), ([], False)]


# ------------------------------------------------------------------------------------------------ sum/mean/prod


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.float16, kiln.bfloat16, kiln.int32, kiln.int64,
                                   kiln.int8, kiln.uint8, kiln.bool], ids=repr)
def test_sum(dtype):
    a = rand((3, 4, 5), dtype)
    for (dim, keepdim), layout in zip(DIMS, LAYOUTS * 2):
        got = kiln.sum(make(a, dtype, layout), dim, keepdim)
        ax = None if dim in (None, []) else axis(dim)
        if dtype.is_floating_point:
            ref = np.sum(a.astype(np.float64), axis=ax, keepdims=keepdim)
            assert got.dtype is dtype
            check_close(got, ref, dtype, scale=np.sum(np.abs(a.astype(np.float64)), axis=ax, keepdims=keepdim))
        else:
            check_close(got, np.sum(a.astype(np.int64), axis=ax, keepdims=keepdim), dtype)
            assert got.dtype is kiln.int64


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.bfloat16], ids=repr)
def test_mean(dtype):
    a = rand((3, 4, 5), dtype)
    for (dim, keepdim), layout in zip(DIMS, LAYOUTS * 2):
        got = make(a, dtype, layout).mean(dim, keepdim)
        ax = None if dim in (None, []) else axis(dim)
        assert got.dtype is dtype
        check_close(got, np.mean(a.astype(np.float64), axis=ax, keepdims=keepdim), dtype,
                    scale=np.mean(np.abs(a.astype(np.float64)), axis=ax, keepdims=keepdim))


def test_mean_and_sum_dtype_argument():
    a = rand((4, 6), kiln.int32)
    check_close(kiln.mean(make(a, kiln.int32), 1, dtype=kiln.float64), a.mean(1), kiln.float64)
    got = kiln.sum(make(a, kiln.int32, "transposed"), dtype=kiln.float32)
    assert got.dtype is kiln.float32 and got.item() == float(a.sum())
    assert kiln.sum(make(a, kiln.int32), 0, dtype=kiln.int32).dtype is kiln.int32
    with pytest.raises(RuntimeError, match=r"^mean\(\)"):
        kiln.mean(make(a, kiln.int32))


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.int32, kiln.int64, kiln.bool], ids=repr)
def test_prod(dtype):
    a = rand((3, 4, 5), dtype, low=-3, high=4)
    for (dim, keepdim), layout in zip(DIMS[:5], LAYOUTS + LAYOUTS[:1]):
        got = make(a, dtype, layout).prod(dim, keepdim)
        ax = None if dim in (None, []) else axis(dim)
        wide = a.astype(np.float64 if dtype.is_floating_point else np.int64)
        check_close(got, np.prod(wide, axis=ax, keepdims=keepdim), dtype, rtol=1e-5 if dtype.is_floating_point else 0)
        assert got.dtype is (dtype if dtype.is_floating_point else kiln.int64)


def _exclusive_products(a, axis):
    """d prod / d a: for every element, the product of the other elements of its group along `axis` (float64)."""
    moved = np.moveaxis(a.astype(np.float64), axis, -1)
    out = np.empty_like(moved)
    for i in range(moved.shape[-1]):
        out[..., i] = np.prod(np.delete(moved, i, axis=-1), axis=-1)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64], ids=repr)
def test_prod_gradient_is_exact_at_zeros(dtype):
    # Rows with no zero, one zero and two zeros, along either dim and over everything (PyTorch's prod_backward: the
    # product of the others, never prod / x, which is NaN at a zero).
    a = np.array([[2.0, -0.5, 3.0, 4.0], [0.0, 1.5, -2.0, 3.0], [0.0, 2.0, 0.0, 5.0], [1.0, -0.0, 2.5, 0.5]], NP[dtype])
    weights = np.arange(1.0, 5.0)
    for dim in (0, 1):
        x = kiln.tensor(a, dtype=dtype, requires_grad=True)
        (x.prod(dim) * kiln.tensor(weights, dtype=dtype)).sum().backward()
        check_close(x.grad, _exclusive_products(a, dim) * np.expand_dims(weights, dim), dtype)
    x = kiln.tensor(a.T.copy(), dtype=dtype, requires_grad=True)  # through a transposed view
    (x.t().prod(1) * kiln.tensor(weights, dtype=dtype)).sum().backward()
    check_close(x.grad, (_exclusive_products(a, 1) * weights[:, None]).T, dtype)
    x = kiln.tensor(a[:2], dtype=dtype, requires_grad=True)
    x.prod().backward()
    check_close(x.grad, _exclusive_products(a[:2].reshape(-1), 0).reshape(2, 4), dtype)
    if dtype is kiln.float64:
        assert kiln.autograd.gradcheck(lambda t: t.prod(1), [kiln.tensor(a, dtype=dtype, requires_grad=True)])


def test_nansum_nanmean():
    a = rand((4, 5), kiln.float32)
    a[1, 2] = a[3, 0] = np.nan
    a[2, :] = np.nan
    x = make(a, kiln.float32, "transposed")
    total = np.nansum(a.astype(np.float64), 1)
    check_close(kiln.nansum(x, 1), total, kiln.float32, scale=5)
    with np.errstate(invalid="ignore"):
        mean = total / (~np.isnan(a)).sum(1)  # 0 / 0 = NaN for the all-NaN row, as PyTorch
    check_close(x.nanmean(1), mean, kiln.float32, scale=5)
    i = rand((3,), kiln.int32)
    check_close(kiln.nansum(make(i, kiln.int32)), np.int64(i.sum()), kiln.int64)


def test_empty_reductions():
    e = make(np.zeros((0, 3), np.float32), kiln.float32)
    assert kiln.sum(e).item() == 0.0
    check_close(e.sum(0), np.zeros(3), kiln.float32)
    check_close(e.prod(0), np.ones(3), kiln.float32)
    assert math.isnan(e.mean().item())
    assert e.sum(1).shape == (0,) and e.amax(1).shape == (0,)
    assert kiln.all(e).item() is True and kiln.any(e).item() is False
    check_close(kiln.all(e, 0), np.ones(3, np.bool_), kiln.bool)
    check_close(kiln.logsumexp(e, 0), np.full(3, -np.inf), kiln.float32)
    check_close(e.norm(dim=0), np.zeros(3), kiln.float32)
    assert kiln.count_nonzero(e).item() == 0
    assert math.isnan(e.var().item())
    for fn in (kiln.max, kiln.min, kiln.argmax, kiln.argmin):
        with pytest.raises(RuntimeError, match=rf"^{fn.__name__}\(\): Expected reduction dim to be specified"):
            fn(e)
    with pytest.raises(IndexError, match=r"^max\(\): Expected reduction dim 0 to have non-zero size"):
        e.max(0)
    with pytest.raises(IndexError, match=r"^amax\(\)"):
        e.amax(0)
    with pytest.raises(RuntimeError, match=r"^norm\(\): cannot compute the inf norm"):
        e.norm(float("inf"))


# ------------------------------------------------------------------------------------------- max/min and friends


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.int32, kiln.int64, kiln.bool, kiln.float16],
                         ids=repr)
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min(dtype, op):
    a = rand((4, 3, 5), dtype, low=-5, high=5)  # small integers: ties, resolved to the first index as NumPy does
    npv, npi = (np.max, np.argmax) if op == "max" else (np.min, np.argmin)
    assert to_numpy(getattr(kiln, op)(make(a, dtype, "transposed"))) == npv(a)
    for dim, keepdim, layout in [(0, False, "sliced"), (-1, True, "pending"), (1, False, "contiguous")]:
        result = getattr(make(a, dtype, layout), op)(dim, keepdim)
        values, indices = result
        assert result.values is values and result.indices is indices
        check_close(values, npv(a, axis=dim, keepdims=keepdim), dtype)
        check_close(indices, npi(a, axis=dim, keepdims=keepdim).astype(np.int64), kiln.int64)
        check_close(getattr(kiln, "a" + op)(make(a, dtype, layout), dim, keepdim), npv(a, axis=dim, keepdims=keepdim),
                    dtype)
        arg = getattr(kiln, "arg" + op)(make(a, dtype, layout), dim=dim, keepdim=keepdim)
        check_close(arg, npi(a, axis=dim, keepdims=keepdim).astype(np.int64), kiln.int64)
    flat = getattr(kiln, "arg" + op)(make(a, dtype, "pending"))
    assert flat.shape == () and flat.item() == npi(a)
    assert getattr(kiln, "arg" + op)(make(a, dtype), keepdim=True).shape == (1, 1, 1)
    check_close(getattr(kiln, "a" + op)(make(a, dtype), (0, -1), True), npv(a, axis=(0, 2), keepdims=True), dtype)


def test_max_of_two_tensors_and_aminmax():
    a, b = rand((3, 4), kiln.float32, 1), rand((4,), kiln.float32, 2)
    check_close(kiln.max(make(a, kiln.float32, "transposed"), make(b, kiln.float32)), np.maximum(a, b), kiln.float32)
    check_close(make(a, kiln.float32).min(make(b, kiln.float32)), np.minimum(a, b), kiln.float32)
    check_close(kiln.min(make(a, kiln.float32), other=make(b, kiln.float32)), np.minimum(a, b), kiln.float32)
    lo, hi = kiln.aminmax(make(a, kiln.float32, "pending"))
    assert lo.item() == a.min() and hi.item() == a.max()
    result = kiln.aminmax(make(a, kiln.float32), dim=1, keepdim=True)
    check_close(result.min, a.min(1, keepdims=True), kiln.float32)
    check_close(result.max, a.max(1, keepdims=True), kiln.float32)


def test_nan_propagates_through_extrema():
    a = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, 0.0, 5.0]], np.float32)
    x = make(a, kiln.float32, "sliced")
    assert math.isnan(x.max().item()) and math.isnan(x.amin().item())
    values, indices = x.max(1)
    assert math.isnan(values[0].item()) and values[1].item() == 5.0
    assert indices.tolist() == [1, 3]  # the first NaN, as NumPy's argmax and PyTorch pick
    assert x.argmin(1).tolist() == [1, 2]
    assert kiln.argmax(x).item() == 1


# ---------------------------------------------------------------------------------------------------- var / std


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.float16], ids=repr)
def test_var_std(dtype):
    a = rand((3, 4, 5), dtype) * 2 + 10  # a large mean: the two-pass variance keeps its accuracy
    a = as_kiln_values(a, dtype)
    w = a.astype(np.float64)
    rtol = {kiln.float32: 1e-5, kiln.float64: 1e-12, kiln.float16: 1e-3}[dtype]
    cases = [((), {}, None, 1, False), (((0, 2),), {"correction": 0}, (0, 2), 0, False),
             ((-1,), {"unbiased": False, "keepdim": True}, -1, 0, True), ((1, True, True), {}, 1, 1, True),
             ((None,), {"correction": 2}, None, 2, False), ((False,), {}, None, 0, False)]
    for (args, kwargs, dim, ddof, keepdim), layout in zip(cases, LAYOUTS * 2):
        x = make(a, dtype, layout)
        check_close(x.var(*args, **kwargs), w.var(axis=dim, ddof=ddof, keepdims=keepdim), dtype, rtol=rtol)
        check_close(kiln.std(x, *args, **kwargs), w.std(axis=dim, ddof=ddof, keepdims=keepdim), dtype, rtol=rtol)
        v, m = kiln.var_mean(x, *args, **kwargs)
        check_close(v, w.var(axis=dim, ddof=ddof, keepdims=keepdim), dtype, rtol=rtol)
        check_close(m, w.mean(axis=dim, keepdims=keepdim), dtype, rtol=rtol)
        s, m = kiln.std_mean(x, *args, **kwargs)
        check_close(s, w.std(axis=dim, ddof=ddof, keepdims=keepdim), dtype, rtol=rtol)
        assert v.dtype is dtype and m.dtype is dtype


def test_var_edge_cases():
    one = make(np.array([3.0], np.float32), kiln.float32)
    assert math.isnan(one.var().item()) and one.var(correction=0).item() == 0.0
    assert one.std(unbiased=False).item() == 0.0
    with pytest.raises(RuntimeError, match=r"^var\(\): std and var only support floating point"):
        make(np.arange(4), kiln.int64).var()
    with pytest.raises(RuntimeError, match=r"^std\(\): Cannot specify both unbiased and correction"):
        one.std(unbiased=True, correction=0)


# ----------------------------------------------------------------------------------------- logsumexp, all, any, norm


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.bfloat16], ids=repr)
def test_logsumexp(dtype):
    a = rand((3, 4, 5), dtype) * 30  # exp overflows float32 without the max shift
    a = as_kiln_values(a, dtype)
    a[0, 1, :] = -np.inf
    a[1, 2, 3] = np.inf
    a[2, 0, 1] = np.nan
    w = a.astype(np.float64)

    def ref(dim, keepdim):
        with np.errstate(invalid="ignore"):
            m = np.max(w, axis=dim, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)
            r = np.log(np.sum(np.exp(w - m), axis=dim, keepdims=True)) + m
        return r if keepdim else np.squeeze(r, axis=dim)

    for (dim, keepdim), layout in zip([(-1, False), ((0, 2), True), (1, False), ((0, 1, 2), False)], LAYOUTS):
        with np.errstate(divide="ignore"):
            check_close(kiln.logsumexp(make(a, dtype, layout), dim, keepdim), ref(dim, keepdim), dtype, rtol=1e-6)
    got = make(np.arange(6).reshape(2, 3), kiln.int64).logsumexp(1)
    assert got.dtype is kiln.float32
    check_close(got, np.log(np.exp(np.arange(6.0).reshape(2, 3)).sum(1)), kiln.float32)


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int32, kiln.bool, kiln.uint8], ids=repr)
def test_all_any(dtype):
    a = rand((3, 4, 5), dtype, low=0, high=3)
    if dtype is kiln.float32:
        a = np.round(a)
        a[0, 0, 0] = np.nan  # NaN is truthy
    a[1] = 1
    out = np.uint8 if dtype is kiln.uint8 else np.bool_
    for (dim, keepdim), layout in zip(DIMS, LAYOUTS * 2):
        x = make(a, dtype, layout)
        ax = None if dim in (None, []) else axis(dim)
        check_close(kiln.all(x, dim, keepdim), np.all(a, axis=ax, keepdims=keepdim).astype(out), kiln.bool)
        check_close(x.any(dim, keepdim), np.any(a, axis=ax, keepdims=keepdim).astype(out), kiln.bool)
    check_close(kiln.count_nonzero(make(a, dtype, "pending"), (0, 2)), np.count_nonzero(a, axis=(0, 2)), kiln.int64)
    assert kiln.count_nonzero(make(a, dtype)).item() == np.count_nonzero(a)


NORMS = [("fro", 2), (2, 2), (1, 1), (float("inf"), np.inf), (float("-inf"), -np.inf), (0, 0), (3, 3), (0.5, 0.5),
         (-1.5, -1.5)]


@pytest.mark.parametrize("p, ord", NORMS, ids=[str(p) for p, _ in NORMS])
def test_norm(p, ord):
    a = rand((3, 4, 5), kiln.float32)
    a[0, 0, :2] = 0
    w = a.astype(np.float64)

    def ref(dim, keepdim):
        x = np.abs(w)
        if ord == np.inf:
            return x.max(axis=dim, keepdims=keepdim)
        if ord == -np.inf:
            return x.min(axis=dim, keepdims=keepdim)
        if ord == 0:
            return (x != 0).sum(axis=dim, keepdims=keepdim).astype(np.float64)
        with np.errstate(divide="ignore"):
            return (x ** ord).sum(axis=dim, keepdims=keepdim) ** (1 / ord)

    for (dim, keepdim), layout in zip([(None, False), (1, True), ((0, 2), False), (-1, False)], LAYOUTS):
        x = make(a, kiln.float32, layout)
        check_close(x.norm(p, dim, keepdim), ref(dim, keepdim), kiln.float32, rtol=1e-6)
        if p != "fro":
            check_close(kiln.linalg.vector_norm(x, p, dim, keepdim), ref(dim, keepdim), kiln.float32, rtol=1e-6)


def test_norm_dtypes_and_errors():
    a = rand((6,), kiln.float32)
    got = kiln.norm(make(a, kiln.float32), dtype=kiln.float64)
    assert got.dtype is kiln.float64 and abs(got.item() - np.linalg.norm(a.astype(np.float64))) < 1e-12
    h = make(a, kiln.float16)
    assert kiln.norm(h).dtype is kiln.float16
    with pytest.raises(RuntimeError, match=r"^norm\(\): Expected a floating point"):
        kiln.norm(make(np.arange(3), kiln.int64))
    with pytest.raises(RuntimeError, match=r"^norm\(\).*'nuc'"):
        kiln.norm(make(np.eye(3), kiln.float32), "nuc")
    with pytest.raises(RuntimeError, match=r"^linalg\.vector_norm\(\): Expected a floating point"):
        kiln.linalg.vector_norm(make(np.arange(3), kiln.int32))


# ------------------------------------------------------------------------------------------------- cumsum/cumprod


@pytest.mark.parametrize("dtype", [kiln.int32, kiln.int64, kiln.bool, kiln.uint8, kiln.int8], ids=repr)
def test_cumsum_cumprod_integers_exact(dtype):
    a = rand((3, 17, 2), dtype, low=-3, high=4)
    for dim, layout in [(1, "contiguous"), (0, "transposed"), (-1, "pending"), (-2, "sliced")]:
        x = make(a, dtype, layout)
        got = kiln.cumsum(x, dim)
        assert got.dtype is kiln.int64
        check_close(got, np.cumsum(a.astype(np.int64), axis=dim), kiln.int64)
        got = x.cumprod(dim)
        assert got.dtype is kiln.int64
        check_close(got, np.cumprod(a.astype(np.int64), axis=dim), kiln.int64)
    big = np.arange(1, 70, dtype=np.int64) * (2**40 + 7)  # beyond float precision: must be exact
    check_close(make(big, kiln.int64).cumsum(0), np.cumsum(big), kiln.int64)
    check_close(kiln.cumsum(make(a, dtype), 1, dtype=kiln.int32), np.cumsum(a.astype(np.int64), 1).astype(np.int32),
                kiln.int32)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8, 33, 1000])
@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64], ids=repr)
def test_cumsum_cumprod_floats(n, dtype):
    rng = np.random.default_rng(n)
    a = as_kiln_values(rng.standard_normal((2, n)), dtype)
    q = as_kiln_values(rng.uniform(0.5, 1.5, (2, n)), dtype)
    w, wq = a.astype(np.float64), q.astype(np.float64)
    rtol = 1e-5 if dtype is kiln.float32 else 1e-12
    got = kiln.cumsum(make(a, dtype, "transposed"), 1)
    assert got.dtype is dtype
    check_close(got, np.cumsum(w, 1), dtype, scale=np.cumsum(np.abs(w), 1), rtol=rtol)
    check_close(make(q, dtype, "pending").cumprod(-1), np.cumprod(wq, 1), dtype, rtol=rtol)


def test_cumsum_special_cases():
    s = make(np.float32(2.5), kiln.float32)
    assert kiln.cumsum(s, 0).item() == 2.5 and kiln.cumprod(s, -1).item() == 2.5
    a = rand((4, 3), kiln.float32)
    got = make(a, kiln.float32).cumsum(0, dtype=kiln.float64)
    assert got.dtype is kiln.float64
    check_close(got, np.cumsum(a.astype(np.float64), 0), kiln.float64, rtol=1e-6)
    h = make(a, kiln.float16).cumsum(1)
    assert h.dtype is kiln.float16
    check_close(h, np.cumsum(a.astype(np.float16).astype(np.float64), 1), kiln.float16, scale=3)
    x = make(a, kiln.float32)
    assert x.cumsum_(1) is x
    check_close(x, np.cumsum(a.astype(np.float64), 1), kiln.float32, scale=3)
    n = make(np.array([1.0, np.nan, 2.0], np.float32), kiln.float32).cumsum(0)
    assert n[0].item() == 1.0 and math.isnan(n[1].item()) and math.isnan(n[2].item())
    with pytest.raises(IndexError, match=r"^cumsum\(\): Dimension out of range"):
        kiln.cumsum(x, 2)
    with pytest.raises(TypeError, match=r"^cumprod\(\)"):
        kiln.cumprod(x, None)


# ---------------------------------------------------------------------------------------------------------- softmax


def np_softmax(w, dim):
    with np.errstate(invalid="ignore"):
        e = np.exp(w - np.max(w, axis=dim, keepdims=True))
        return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(w, dim):
    with np.errstate(invalid="ignore", divide="ignore"):
        s = w - np.max(w, axis=dim, keepdims=True)
        return s - np.log(np.exp(s).sum(axis=dim, keepdims=True))


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.float16, kiln.bfloat16], ids=repr)
def test_softmax(dtype):
    a = rand((3, 4, 6), dtype) * 40  # large logits: stable only with the max shift
    a = as_kiln_values(a, dtype)
    a[0, 1, 2] = -np.inf
    a[1, 2, :] = -np.inf
    a[2, 3, 4] = np.nan
    w = a.astype(np.float64)
    for dim, layout in [(-1, "contiguous"), (0, "transposed"), (1, "pending"), (2, "sliced")]:
        x = make(a, dtype, layout)
        got = kiln.softmax(x, dim)
        assert got.dtype is dtype
        check_close(got, np_softmax(w, dim), dtype, scale=1)
        check_close(x.log_softmax(dim), np_log_softmax(w, dim), dtype, rtol=1e-6, scale=1)


def test_softmax_dtype_argument_and_errors():
    a = rand((2, 5), kiln.float32)
    got = make(a, kiln.float32).softmax(1, dtype=kiln.float64)
    assert got.dtype is kiln.float64
    check_close(got, np_softmax(a.astype(np.float64), 1), kiln.float64, rtol=1e-6)
    got = kiln.log_softmax(make(np.arange(6).reshape(2, 3), kiln.int64), 1, dtype=kiln.float32)
    check_close(got, np_log_softmax(np.arange(6.0).reshape(2, 3), 1), kiln.float32)
    assert kiln.softmax(make(np.float32(3.0), kiln.float32), 0).item() == 1.0
    assert kiln.softmax(make(np.zeros((0, 3), np.float32), kiln.float32), 0).shape == (0, 3)
    with pytest.raises(RuntimeError, match=r"^softmax\(\): expected a floating point"):
        kiln.softmax(make(np.arange(3), kiln.int64), 0)
    with pytest.raises(IndexError, match=r"^log_softmax\(\): Dimension out of range"):
        kiln.log_softmax(make(a, kiln.float32), 2)


# ----------------------------------------------------------------------------------------------------------- errors


def test_dim_errors():
    x = make(rand((2, 3), kiln.float32), kiln.float32)
    with pytest.raises(IndexError, match=r"^sum\(\): Dimension out of range \(expected to be in range of \[-2, 1\]"):
        x.sum(2)
    with pytest.raises(RuntimeError, match=r"^amax\(\): dim 1 appears multiple times"):
        x.amax((1, -1))
    with pytest.raises(IndexError, match=r"^argmax\(\): Dimension out of range"):
        x.argmax(-3)
    with pytest.raises(TypeError, match=r"^max\(\): argument 'dim' must be int"):
        x.max((0, 1))
    with pytest.raises(TypeError, match=r"^sum\(\): argument 'input' must be Tensor"):
        kiln.sum([1, 2])
    s = make(np.float32(4.0), kiln.float32)
    assert s.sum(0).item() == 4.0 and s.sum(-1, keepdim=True).shape == () and s.max(0).indices.item() == 0
    with pytest.raises(IndexError, match=r"^mean\(\): Dimension out of range"):
        s.mean(1)


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.int64], ids=repr)
def test_median(dtype):
    a = rand((5, 4, 6), dtype, 0, -50, 50)
    if dtype.is_floating_point:
        a[1, 2, 3] = a[4, 2, 3] = np.nan
    clean = rand((5, 4, 6), dtype, 1, -50, 50)
    lower = np.sort(clean, axis=None)[(clean.size - 1) // 2]  # NumPy's median averages; PyTorch's is the lower one
    assert kiln.median(make(clean, dtype, "transposed")).item() == lower
    if dtype.is_floating_point:
        assert math.isnan(kiln.median(make(a, dtype, "sliced")).item())
    w = a.astype(np.float64)
    for dim, keepdim, layout in [(0, False, "pending"), (-1, True, "sliced"), (1, False, "contiguous")]:
        values, indices = make(a, dtype, layout).median(dim, keepdim)
        ref = np.take(np.sort(w, axis=dim), [(a.shape[dim] - 1) // 2], axis=dim)
        nan = np.isnan(w).any(axis=dim, keepdims=True)
        ref = np.where(nan, np.nan, ref)
        check_close(values, (ref if keepdim else np.squeeze(ref, dim)).astype(a.dtype), dtype)
        # The indices point at the median (a NaN median at the first NaN).
        picked = np.take_along_axis(w, to_numpy(indices) if keepdim else np.expand_dims(to_numpy(indices), dim), dim)
        np.testing.assert_array_equal(picked, ref)
        first_nan = np.argmax(np.isnan(w), axis=dim, keepdims=True)
        assert (np.where(nan, to_numpy(indices).reshape(nan.shape) == first_nan, True)).all()
    values, indices = kiln.median(make(np.float32(2.0), kiln.float32), 0)
    assert values.item() == 2.0 and indices.item() == 0
    with pytest.raises(IndexError, match=r"^median\(\): Expected reduction dim 1 to have non-zero size"):
        make(np.zeros((2, 0), np.float32), kiln.float32).median(1)
