"""A time-bounded fuzz test: random op chains on random shapes (zero-size and 0-d included) and dtypes, against NumPy.

Where NumPy defines a result, Kiln must give it (or raise a clean Python exception for an input PyTorch rejects);
where NumPy raises, Kiln must raise a Python exception too. Nothing may crash the process.
"""
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kiln

DTYPES = {"float32": (kiln.float32, np.float32), "float64": (kiln.float64, np.float64),
          "int32": (kiln.int32, np.int32), "int64": (kiln.int64, np.int64), "bool": (kiln.bool, np.bool_)}
CLEAN_ERRORS = (RuntimeError, IndexError, TypeError, ValueError, NotImplementedError)
BUDGET_SECONDS = 60.0
_started = []


def _binary(name, np_fn):
    return name, 2, (lambda a, b: getattr(kiln, name)(a, b)), np_fn


def _unary(name, np_fn, float_only=False):
    def numpy_fn(a):
        if float_only and a.dtype.kind != "f":
            a = a.astype(np.float32)
        return np_fn(a)

    return name, 1, (lambda a: getattr(kiln, name)(a)), numpy_fn


def _reduction(name, np_name):
    def kiln_fn(a, dim, keepdim):
        return getattr(kiln, name)(a) if dim is None else getattr(kiln, name)(a, dim=dim, keepdim=keepdim)

    def numpy_fn(a, dim, keepdim):
        if name == "sum" and a.dtype.kind in "bi":
            a = a.astype(np.int64)
        return getattr(np, np_name)(a, axis=dim, keepdims=keepdim if dim is not None else False)

    return name, "reduce", kiln_fn, numpy_fn


def _softmax(a):
    if a.ndim == 0:
        return np.ones_like(a)
    shifted = np.exp(a - a.max(axis=-1, keepdims=True)) if a.size else a
    return shifted / shifted.sum(axis=-1, keepdims=True) if a.size else a


OPS = [
    _binary("add", np.add), _binary("sub", np.subtract), _binary("mul", np.multiply),
    _binary("maximum", np.maximum), _binary("minimum", np.minimum), _binary("eq", np.equal), _binary("lt", np.less),
    _binary("logical_and", np.logical_and), _binary("div", np.true_divide), _binary("matmul", np.matmul),
    ("softmax", 1, lambda a: kiln.softmax(a, -1) if a.dim() else kiln.softmax(a, 0),
     lambda a: _softmax(a) if a.dtype.kind == "f" else a.astype(np.float32) + "reject"),
    ("float", 1, lambda a: a.float(), lambda a: a.astype(np.float32)),
    _unary("neg", np.negative), _unary("abs", np.abs), _unary("exp", np.exp, True), _unary("tanh", np.tanh, True),
    _unary("sigmoid", lambda a: 1 / (1 + np.exp(-a)), True), _unary("relu", lambda a: np.maximum(a, 0)),
    _unary("floor", np.floor), _unary("logical_not", np.logical_not),
    _reduction("sum", "sum"), _reduction("amax", "amax"), _reduction("amin", "amin"),
    ("transpose", "view", lambda a: a.transpose(0, -1) if a.dim() else a, lambda a: np.swapaxes(a, 0, -1) if a.ndim else a),
    ("flip-slice", "view", lambda a: a[..., ::2] if a.dim() else a, lambda a: a[..., ::2] if a.ndim else a),
    ("reshape", "view", lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    ("unsqueeze", "view", lambda a: a.unsqueeze(0), lambda a: a[None]),
    ("clone-add_", "inplace", None, None),
]


@st.composite
def shapes(draw):
    rank = draw(st.integers(0, 3))
    return tuple(draw(st.integers(0, 4)) for _ in range(rank))


@st.composite
def broadcastable(draw, base):
    """A suffix of `base` with some sizes replaced by 1 (or, rarely, any shape: mismatches must raise cleanly)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(shapes())
    rank = draw(st.integers(0, len(base)))
    suffix = base[len(base) - rank:]
    return tuple(1 if draw(st.booleans()) else size for size in suffix)


@st.composite
def arrays(draw, shape_strategy=None):
    dtype = draw(st.sampled_from(sorted(DTYPES)))
    shape = draw(shape_strategy if shape_strategy is not None else shapes())
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        values = rng.random(shape) > 0.5
    elif dtype.startswith("int"):
        values = rng.integers(-5, 6, size=shape)
    else:
        values = rng.standard_normal(shape) * 2
    return np.asarray(values).astype(DTYPES[dtype][1])


def close(got, want):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype == np.bool_ or got.dtype == np.bool_:
        np.testing.assert_array_equal(got.astype(np.bool_), want.astype(np.bool_))
        return
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-4, atol=1e-5, equal_nan=True)


def apply(op, pool, draw_index, draw_dim):
    name, kind, kiln_fn, numpy_fn = op
    k0, n0 = pool[draw_index()]
    numpy_error = None
    if kind == 2:
        k1, n1 = pool[draw_index()]
        try:
            with np.errstate(all="ignore"):
                want = numpy_fn(n0, n1)
        except Exception as error:  # NumPy rejects it: Kiln must reject it cleanly
            numpy_error = error
        thunk = lambda: kiln_fn(k0, k1)  # noqa: E731
    elif kind == "reduce":
        dim = draw_dim(n0.ndim)
        keepdim = dim is not None and n0.ndim > 0
        try:
            want = numpy_fn(n0, dim, keepdim)
        except Exception as error:
            numpy_error = error
        thunk = lambda: kiln_fn(k0, dim, keepdim)  # noqa: E731
    elif kind == "inplace":
        try:
            want = n0 + n0 if n0.dtype != np.bool_ else np.logical_or(n0, n0)
        except Exception as error:
            numpy_error = error
        thunk = lambda: k0.clone().add_(k0)  # noqa: E731
    else:
        try:
            with np.errstate(all="ignore"):
                want = numpy_fn(n0)
        except Exception as error:
            numpy_error = error
        thunk = lambda: kiln_fn(k0)  # noqa: E731
    try:
        got = thunk()
        values = got.numpy() if got.dtype is not kiln.bfloat16 else got.float().numpy()
    except CLEAN_ERRORS:
        return  # rejected cleanly (PyTorch rejects more than NumPy: bool subtraction, empty max, ...)
    assert numpy_error is None, f"{name}: NumPy raised {numpy_error!r} but Kiln returned {values!r}"
    close(values, want)
    pool.append((got, np.asarray(want)))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.data())
def test_random_op_chains_match_numpy(data):
    base = data.draw(shapes())
    inputs = data.draw(st.lists(arrays(broadcastable(base)), min_size=1, max_size=3))
    if not _started:
        _started.append(time.monotonic())
    if time.monotonic() - _started[0] > BUDGET_SECONDS:
        return  # the time budget is spent: the remaining examples pass without running
    pool = [(kiln.from_numpy(a.copy()), a) for a in inputs]
    steps = data.draw(st.integers(1, 5))
    for _ in range(steps):
        op = data.draw(st.sampled_from(OPS))
        apply(op, pool,
              lambda: data.draw(st.integers(0, len(pool) - 1)),
              lambda ndim: data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1))) if ndim else None)

