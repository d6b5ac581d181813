"""kiln-autodiff on every differentiable op: gradients of sum(f(x) * cotangent) against central differences in f64."""

import functools
import math

import numpy as np
import pytest

import kiln
from numerics_support import private_cache, to_kiln, to_numpy, ty  # noqa: F401  (private_cache: autouse fixture)

H = 1e-5  # central-difference step: truncation ~H^2, cancellation ~1e-16 / H, both far below RTOL
RTOL = 1e-6


# ----------------------------------------------------------------------------------------------------------------
# Inputs: each kind gives float64 values where the function is smooth, far (>> H) from kinks and ties.


def gen(kind, shape, rng):
    n = int(np.prod(shape))
    if kind == "any":
        return rng.standard_normal(shape)
    if kind == "pos":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "away0":  # |x| >= 0.3: abs, relu, sign, division
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)
    if kind == "frac":  # integer + [0.2, 0.4]: floor, ceil, round away from their jumps
        return rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.4, shape)
    if kind == "distinct":  # values >= 0.3 apart: max/min without ties
        return (rng.permutation(n) * 0.37 + 0.1).reshape(shape)
    if kind == "distinct2":  # also >= 0.1 from every "distinct" value
        return (rng.permutation(n) * 0.37 + 0.25).reshape(shape)
    raise ValueError(kind)


def source(args, body, out):
    """func @f(%a0.., %cot) -> sum(%out * %cot): `args` are MLIR types, `body` defines %out of type `out`."""
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(args))
    lines = "\n".join("  " + line.strip() for line in body.strip().splitlines())
    return (
        f"func.func @f({params}, %cot: {out}) -> tensor<f64> {{\n{lines}\n"
        f"  %prod = kiln.mul %out, %cot : {out}, {out}\n"
        f"  %loss = kiln.reduce sum %prod dims [] : {out}\n"
        f"  return %loss : tensor<f64>\n}}\n"
    )


@functools.lru_cache(maxsize=None)
def compiled(src, pipeline=None):
    """`src` after `pipeline` (when given), compiled through the default lowering."""
    return kiln.compiler.compile(kiln.compiler.run_pipeline(src, pipeline) if pipeline else src)


def call(f, arrays, elems):
    return [to_numpy(r) for r in f(*[to_kiln(a, e) for a, e in zip(arrays, elems)])]


def elem_of(t):
    return t.rsplit("x", 1)[-1].rstrip(">") if "x" in t else t[len("tensor<") : -1]


def check_gradients(args, body, out, inputs, wrt=None, seed=0):
    """Differentiates sum(out * cot) w.r.t. `wrt` (default: every f64 argument) and compares with central
    differences of the same function compiled without the pass."""
    rng = np.random.default_rng(seed + 1000)
    out_shape = tuple(int(d) for d in out[len("tensor<") : -1].split("x")[:-1])
    cot = rng.standard_normal(out_shape)
    src = source(args, body, out)
    elems = [elem_of(t) for t in args] + ["f64"]
    if wrt is None:
        wrt = [i for i, t in enumerate(args) if elem_of(t) == "f64"]
    pipeline = "kiln-autodiff{wrt=" + ",".join(map(str, wrt)) + "}"
    results = call(compiled(src, pipeline), list(inputs) + [cot], elems)
    forward = compiled(src)
    loss = lambda xs: float(call(forward, xs + [cot], elems)[0])  # noqa: E731
    assert np.isclose(results[0], loss(list(inputs)), rtol=1e-12)
    for grad, i in zip(results[1:], wrt):
        x = np.asarray(inputs[i], dtype=np.float64)
        assert grad.shape == x.shape and grad.dtype == np.float64
        fd = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            xs = [np.array(a, copy=True) for a in inputs]
            xs[i][idx] = x[idx] + H
            up = loss(xs)
            xs[i][idx] = x[idx] - H
            fd[idx] = (up - loss(xs)) / (2 * H)
        scale = max(1.0, float(np.abs(fd).max()))
        np.testing.assert_allclose(grad, fd, rtol=RTOL, atol=RTOL * scale, err_msg=f"gradient of argument {i}")
    return results


def inputs_for(specs, seed=0):
    rng = np.random.default_rng(seed)
    return [gen(kind, shape, rng) for shape, kind in specs]


# ----------------------------------------------------------------------------------------------------------------
# Elementwise unary ops: name -> (op text, input kind).

UNARY = {
    "neg": ("kiln.neg", "any"),
    "abs": ("kiln.abs", "away0"),
    "exp": ("kiln.exp", "any"),
    "log": ("kiln.log", "pos"),
    "log1p": ("kiln.log1p", "pos"),
    "expm1": ("kiln.expm1", "any"),
    "sqrt": ("kiln.sqrt", "pos"),
    "rsqrt": ("kiln.rsqrt", "pos"),
    "tanh": ("kiln.tanh", "any"),
    "sigmoid": ("kiln.sigmoid", "any"),
    "relu": ("kiln.relu", "away0"),
    "silu": ("kiln.silu", "any"),
    "sin": ("kiln.sin", "any"),
    "cos": ("kiln.cos", "any"),
    "erf": ("kiln.erf", "any"),
    "gelu": ("kiln.gelu", "any"),
    "gelu_tanh": ("kiln.gelu {x} approximate tanh", "any"),
    "floor": ("kiln.floor", "frac"),
    "ceil": ("kiln.ceil", "frac"),
    "round": ("kiln.round", "frac"),
    "sign": ("kiln.sign", "away0"),
}


@pytest.mark.parametrize("shape", [(7,), (2, 3)], ids=["7", "2x3"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, shape):
    op, kind = UNARY[name]
    # A product with x makes zero-derivative ops (floor...) still depend on x, and exercises accumulation.
    t = ty(shape, "f64")
    operation = op.format(x="%a0") if "{x}" in op else f"{op} %a0"
    body = f"%y = {operation} : {t}\n%out = kiln.mul %y, %a0 : {t}, {t}"
    check_gradients([t], body, t, inputs_for([(shape, kind)]))


# ----------------------------------------------------------------------------------------------------------------
# Broadcasting binary ops: name -> (op, lhs kind, rhs kind).

BINARY = {
    "add": ("kiln.add", "any", "any"),
    "sub": ("kiln.sub", "any", "any"),
    "mul": ("kiln.mul", "any", "any"),
    "div": ("kiln.div", "any", "away0"),
    "pow": ("kiln.pow", "pos", "any"),
    "maximum": ("kiln.maximum", "distinct", "distinct2"),
    "minimum": ("kiln.minimum", "distinct", "distinct2"),
}
# (lhs shape, rhs shape, result shape): equal, both broadcast, a rank-0 operand.
BINARY_SHAPES = [((2, 3), (2, 3), (2, 3)), ((2, 1, 3), (4, 1), (2, 4, 3)), ((), (3,), (3,))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=["same", "broadcast", "rank0"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, shapes):
    op, lk, rk = BINARY[name]
    ls, rs, out = shapes
    lt, rt, ot = ty(ls, "f64"), ty(rs, "f64"), ty(out, "f64")
    check_gradients([lt, rt], f"%out = {op} %a0, %a1 : {lt}, {rt}", ot, inputs_for([(ls, lk), (rs, rk)]))


@pytest.mark.parametrize("shapes", BINARY_SHAPES[:2], ids=["same", "broadcast"])
def test_remainder(shapes):
    # x / y stays >= 0.2 away from the integers where remainder jumps: x = y * (k + f) for equal shapes; when
    # every x meets several y, the y are within 1% of 1 and x = k + [0.3, 0.7].
    ls, rs, out = shapes
    rng = np.random.default_rng(3)
    if ls == rs:
        y = rng.choice([-1.0, 1.0], rs) * rng.uniform(1.0, 2.0, rs)
        x = y * (rng.integers(-3, 3, ls) + rng.uniform(0.2, 0.8, ls))
    else:
        y = rng.uniform(1.0, 1.01, rs)
        x = rng.integers(-3, 3, ls) + rng.uniform(0.3, 0.7, ls)
    lt, rt, ot = ty(ls, "f64"), ty(rs, "f64"), ty(out, "f64")
    check_gradients([lt, rt], f"%out = kiln.remainder %a0, %a1 : {lt}, {rt}", ot, [x, y])


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=["same", "broadcast", "rank0"])
def test_where(shapes):
    xs, cs, out = shapes  # the condition broadcasts too; y has the result's shape
    ct, xt, ot = ty(cs, "i1"), ty(xs, "f64"), ty(out, "f64")
    rng = np.random.default_rng(4)
    cond = rng.integers(0, 2, cs).astype(np.bool_)
    x, y = rng.standard_normal(xs), rng.standard_normal(out)
    check_gradients([ct, xt, ot], f"%out = kiln.where %a0, %a1, %a2 : {ct}, {xt}, {ot}", ot, [cond, x, y])


def test_cast_through_f32_and_int():
    # f64 -> f32 -> f64 gives the cotangent back (rounded to f32); through i64 no gradient flows, so
    # d/dx (int(x) * x) = int(x).
    t, t32, ti = "tensor<5xf64>", "tensor<5xf32>", "tensor<5xi64>"
    body = f"""
    %s = kiln.cast %a0 : {t} to {t32}
    %d = kiln.cast %s : {t32} to {t}
    %i = kiln.cast %a0 : {t} to {ti}
    %k = kiln.cast %i : {ti} to {t}
    %m = kiln.mul %k, %a0 : {t}, {t}
    %out = kiln.add %m, %d : {t}, {t}
    """
    x = np.array([-2.7, -0.4, 0.3, 1.6, 3.2])
    cot = np.random.default_rng(1000).standard_normal(5)
    src = source([t], body, t)
    loss, grad = call(compiled(src, "kiln-autodiff{wrt=0}"), [x, cot], ["f64", "f64"])
    np.testing.assert_allclose(grad, np.trunc(x) * cot + cot.astype(np.float32), rtol=1e-15)


# ----------------------------------------------------------------------------------------------------------------
# Shape ops, reductions, matmul.

SHAPE_CASES = {
    "broadcast_to": ([((3,), "any"), ((2, 1), "any")], """
        %b = kiln.broadcast_to %a0 : tensor<3xf64> to tensor<2x3xf64>
        %c = kiln.broadcast_to %a1 : tensor<2x1xf64> to tensor<4x2x3xf64>
        %out = kiln.mul %b, %c : tensor<2x3xf64>, tensor<4x2x3xf64>""", "tensor<4x2x3xf64>"),
    "reshape": ([((2, 6), "any")], "%out = kiln.reshape %a0 : tensor<2x6xf64> to tensor<3x2x2xf64>",
                "tensor<3x2x2xf64>"),
    "permute": ([((2, 3, 4), "any")], "%out = kiln.permute %a0 [2, 0, 1] : tensor<2x3x4xf64>",
                "tensor<4x2x3xf64>"),
    "slice": ([((5, 6), "any")], "%out = kiln.slice %a0 start [1, 2] end [4, 5] step [1, 1] : tensor<5x6xf64>",
              "tensor<3x3xf64>"),
    "slice_strided": ([((7, 8), "any")],
                      "%out = kiln.slice %a0 start [1, 0] end [7, 7] step [2, 3] : tensor<7x8xf64>",
                      "tensor<3x3xf64>"),
    "slice_strided_to_end": ([((6, 5), "any")],
                             "%out = kiln.slice %a0 start [0, 2] end [6, 5] step [4, 2] : tensor<6x5xf64>",
                             "tensor<2x2xf64>"),
    "concat": ([((2, 3), "any"), ((2, 1), "any"), ((2, 2), "any")],
               "%out = kiln.concat %a0, %a1, %a2 dim 1 : tensor<2x3xf64>, tensor<2x1xf64>, tensor<2x2xf64>",
               "tensor<2x6xf64>"),
    "pad": ([((2, 3), "any")],
            "%out = kiln.pad %a0 low [1, 0] high [2, 3] {value = 1.5 : f64} : tensor<2x3xf64>", "tensor<5x6xf64>"),
    "sum": ([((2, 3, 4), "any")], "%out = kiln.reduce sum %a0 dims [0, 2] : tensor<2x3x4xf64>", "tensor<3xf64>"),
    "sum_all": ([((2, 3), "any")], """
        %r = kiln.reduce sum %a0 dims [] : tensor<2x3xf64>
        %out = kiln.mul %a0, %r : tensor<2x3xf64>, tensor<f64>""", "tensor<2x3xf64>"),
    "mean_keepdim": ([((2, 3, 4), "any")], "%out = kiln.reduce mean %a0 dims [1] keepdim : tensor<2x3x4xf64>",
                     "tensor<2x1x4xf64>"),
    "prod": ([((3, 4), "away0")], "%out = kiln.reduce prod %a0 dims [1] : tensor<3x4xf64>", "tensor<3xf64>"),
    "max": ([((3, 4), "distinct")], "%out = kiln.reduce max %a0 dims [0] : tensor<3x4xf64>", "tensor<4xf64>"),
    "min_keepdim": ([((3, 4), "distinct")], "%out = kiln.reduce min %a0 dims [1] keepdim : tensor<3x4xf64>",
                    "tensor<3x1xf64>"),
    "max_all": ([((2, 3), "distinct")], """
        %m = kiln.reduce max %a0 dims [] : tensor<2x3xf64>
        %out = kiln.broadcast_to %m : tensor<f64> to tensor<2xf64>""", "tensor<2xf64>"),
    "matmul": ([((2, 3), "any"), ((3, 4), "any")], "%out = kiln.matmul %a0, %a1 : tensor<2x3xf64>, tensor<3x4xf64>",
               "tensor<2x4xf64>"),
    "matmul_batched": ([((2, 3, 4), "any"), ((4, 2), "any")],
                       "%out = kiln.matmul %a0, %a1 : tensor<2x3x4xf64>, tensor<4x2xf64>", "tensor<2x3x2xf64>"),
    "matmul_broadcast_batch": ([((2, 1, 3, 2), "any"), ((3, 2, 4), "any")],
                               "%out = kiln.matmul %a0, %a1 : tensor<2x1x3x2xf64>, tensor<3x2x4xf64>",
                               "tensor<2x3x3x4xf64>"),
    "constant_and_splat": ([((3,), "any")], """
        %c = kiln.constant dense<[1.5, -2.0, 0.5]> : tensor<3xf64>
        %s = kiln.splat 3.0 : f64 -> tensor<3xf64>
        %p = kiln.mul %a0, %c : tensor<3xf64>, tensor<3xf64>
        %out = kiln.add %p, %s : tensor<3xf64>, tensor<3xf64>""", "tensor<3xf64>"),
}


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_shape_reduce_matmul(name):
    specs, body, out = SHAPE_CASES[name]
    args = [ty(shape, "f64") for shape, _ in specs]
    check_gradients(args, body, out, inputs_for(specs))


# ----------------------------------------------------------------------------------------------------------------
# Indexing.


def test_gather():
    # Repeated indices sum their cotangents; the index is narrower than the input outside `dim`.
    idx = np.array([[0, 2, 2], [3, 0, 0]], dtype=np.int64)
    body = "%out = kiln.gather %a0, %a1 dim 0 : tensor<4x5xf64>, tensor<2x3xi64>"
    check_gradients(["tensor<4x5xf64>", "tensor<2x3xi64>"], body, "tensor<2x3xf64>",
                    [np.random.default_rng(5).standard_normal((4, 5)), idx])


@pytest.mark.parametrize("reduce", ["", "reduce add"], ids=["none", "add"])
def test_scatter(reduce):
    # For plain scatter, each column's indices are distinct (PyTorch leaves duplicates unspecified); src is
    # larger than the index, and its elements outside the index get no gradient.
    idx = np.array([[1, 0, 3], [2, 3, 3] if reduce else [2, 3, 0]], dtype=np.int64)
    body = f"%out = kiln.scatter %a0, %a1, %a2 dim 0 {reduce} : tensor<4x3xf64>, tensor<2x3xi64>, tensor<3x4xf64>"
    rng = np.random.default_rng(6)
    check_gradients(["tensor<4x3xf64>", "tensor<2x3xi64>", "tensor<3x4xf64>"], body, "tensor<4x3xf64>",
                    [rng.standard_normal((4, 3)), idx, rng.standard_normal((3, 4))])


# ----------------------------------------------------------------------------------------------------------------
# Convolution and average pooling.

# (input shape, weight shape, stride, padding, dilation, groups, bias)
CONVS = {
    "plain": ((2, 2, 5, 5), (3, 2, 3, 3), [1, 1], [0, 0], [1, 1], 1, False),
    "padded_bias": ((1, 2, 4, 5), (2, 2, 3, 2), [1, 1], [1, 1], [1, 1], 1, True),
    "strided_floor": ((1, 1, 7, 6), (2, 1, 3, 2), [2, 3], [1, 0], [1, 1], 1, False),
    "dilated": ((1, 2, 7, 7), (2, 2, 2, 3), [1, 2], [2, 1], [2, 2], 1, True),
    "grouped": ((2, 4, 5, 4), (6, 2, 2, 2), [2, 1], [1, 0], [1, 2], 2, True),
    "large_padding": ((1, 1, 3, 3), (1, 1, 2, 2), [1, 1], [2, 2], [1, 1], 1, False),
}


def conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("name", sorted(CONVS))
def test_conv2d(name):
    x, w, s, p, d, g, bias = CONVS[name]
    out = (x[0], w[0], conv_out(x[2], w[2], s[0], p[0], d[0]), conv_out(x[3], w[3], s[1], p[1], d[1]))
    xt, wt, bt, ot = ty(x, "f64"), ty(w, "f64"), ty((w[0],), "f64"), ty(out, "f64")
    args = [xt, wt] + ([bt] if bias else [])
    operands = "%a0, %a1" + (", %a2" if bias else "")
    types = f"{xt}, {wt}" + (f", {bt}" if bias else "")
    body = f"%out = kiln.conv2d {operands} stride {s} padding {p} dilation {d} groups {g} : {types}"
    specs = [(x, "any"), (w, "any")] + ([((w[0],), "any")] if bias else [])
    check_gradients(args, body, ot, inputs_for(specs))


# (input shape, kernel, stride, padding, flags, output shape)
POOLS = {
    "2x2": ((1, 2, 4, 4), [2, 2], [2, 2], [0, 0], "", (1, 2, 2, 2)),
    "overlapping_padded": ((2, 1, 5, 5), [3, 3], [2, 2], [1, 1], "count_include_pad", (2, 1, 3, 3)),
    "exclude_pad": ((1, 1, 5, 4), [3, 2], [1, 2], [1, 1], "", (1, 1, 5, 3)),
    "ceil_mode": ((1, 1, 6, 5), [3, 3], [2, 2], [1, 0], "ceil_mode count_include_pad", (1, 1, 4, 2)),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_avg_pool2d(name):
    x, k, s, p, flags, out = POOLS[name]
    xt = ty(x, "f64")
    body = f"%out = kiln.avg_pool2d %a0 kernel {k} stride {s} padding {p} {flags} : {xt}"
    check_gradients([xt], body, ty(out, "f64"), inputs_for([(x, "any")]))


# (input shape, kernel, stride, padding, dilation, flags, output shape): the tiled path and the general one.
MAX_POOLS = {
    "tiled": ((1, 2, 5, 4), [2, 2], [2, 2], [0, 0], [1, 1], "", (1, 2, 2, 2)),
    "overlapping_padded": ((2, 1, 5, 5), [3, 3], [1, 1], [1, 1], [1, 1], "", (2, 1, 5, 5)),
    "dilated_ceil_mode": ((1, 1, 6, 7), [2, 3], [2, 2], [1, 1], [2, 1], "ceil_mode", (1, 1, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(MAX_POOLS))
def test_max_pool2d(name):
    # Distinct inputs: no ties, so the maximum's position is stable under the finite-difference steps.
    x, k, s, p, d, flags, out = MAX_POOLS[name]
    xt = ty(x, "f64")
    body = f"%out = kiln.max_pool2d %a0 kernel {k} stride {s} padding {p} dilation {d} {flags} : {xt}"
    check_gradients([xt], body, ty(out, "f64"), inputs_for([(x, "distinct")]))


# ----------------------------------------------------------------------------------------------------------------
# Conventions at kinks and ties (PyTorch's), which central differences cannot see.


def grads_of(args, body, out, inputs, cot):
    src = source(args, body, out)
    elems = [elem_of(t) for t in args] + ["f64"]
    wrt = ",".join(str(i) for i in range(len(args)))
    return call(compiled(src, "kiln-autodiff{wrt=" + wrt + "}"), list(inputs) + [cot], elems)[1:]


def test_ties_split_evenly():
    t = "tensor<4xf64>"
    x, y, cot = np.array([1.0, 2.0, 3.0, -1.0]), np.array([1.0, 5.0, 3.0, -2.0]), np.array([2.0, 3.0, 4.0, 5.0])
    gx, gy = grads_of([t, t], f"%out = kiln.maximum %a0, %a1 : {t}, {t}", t, [x, y], cot)
    np.testing.assert_array_equal(gx, [1.0, 0.0, 2.0, 5.0])
    np.testing.assert_array_equal(gy, [1.0, 3.0, 2.0, 0.0])
    gx, gy = grads_of([t, t], f"%out = kiln.minimum %a0, %a1 : {t}, {t}", t, [x, y], cot)
    np.testing.assert_array_equal(gx, [1.0, 3.0, 2.0, 0.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 2.0, 5.0])
    # amax's rule: the cotangent of a row is shared by the elements equal to its max.
    body = "%out = kiln.reduce max %a0 dims [1] : tensor<2x4xf64>"
    (g,) = grads_of(["tensor<2x4xf64>"], body, "tensor<2xf64>",
                    [np.array([[1.0, 7.0, 7.0, 7.0], [0.0, -1.0, 0.0, -3.0]])], np.array([3.0, 2.0]))
    np.testing.assert_array_equal(g, [[0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 0.0]])


def test_kinks_follow_pytorch():
    t = "tensor<3xf64>"
    x, cot = np.array([0.0, -1.0, 2.0]), np.ones(3)
    (g,) = grads_of([t], f"%out = kiln.relu %a0 : {t}", t, [x], cot)
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    (g,) = grads_of([t], f"%out = kiln.abs %a0 : {t}", t, [x], cot)
    np.testing.assert_array_equal(g, [0.0, -1.0, 1.0])
    # pow: d/dy at x = 0 is 0 for y >= 0 (not 0 * log 0); d/dx is 0 where y = 0 (not 0 * 0^-1).
    gx, gy = grads_of([t, t], f"%out = kiln.pow %a0, %a1 : {t}, {t}", t,
                      [np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 0.0])], cot)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0, math.log(2.0)])


def test_several_results_and_unused_argument():
    # The loss is result 1; argument 1 does not reach it and gets zeros; argument 2 (i64) is not differentiated.
    src = """
    func.func @f(%x: tensor<3xf64>, %y: tensor<3xf64>, %n: tensor<3xi64>) -> (tensor<3xf64>, tensor<f64>) {
      %sq = kiln.mul %x, %x : tensor<3xf64>, tensor<3xf64>
      %l = kiln.reduce sum %sq dims [] : tensor<3xf64>
      %e = kiln.exp %y : tensor<3xf64>
      return %e, %l : tensor<3xf64>, tensor<f64>
    }
    """
    f = kiln.compiler.compile(kiln.compiler.run_pipeline(src, "kiln-autodiff{result=1}"))
    x, y, n = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.arange(3)
    e, loss, gx, gy = call(f, [x, y, n], ["f64", "f64", "i64"])
    np.testing.assert_array_equal(e, np.ones(3))
    assert loss == pytest.approx(5.25)
    np.testing.assert_array_equal(gx, 2 * x)
    np.testing.assert_array_equal(gy, np.zeros(3))


def test_non_differentiable_op_is_named():
    src = """
    func.func private @helper(tensor<4xf64>) -> tensor<4xf64>
    func.func @f(%x: tensor<4xf64>) -> tensor<f64> {
      %y = func.call @helper(%x) : (tensor<4xf64>) -> tensor<4xf64>
      %l = kiln.reduce sum %y dims [] : tensor<4xf64>
      return %l : tensor<f64>
    }
    """
    with pytest.raises(ValueError, match=r"func\.call.*not differentiable"):
        kiln.compiler.run_pipeline(src, "kiln-autodiff")


def test_gradient_of_gradient():
    # The backward program is Kiln IR the pass can differentiate again: sum(grad(x) * v) differentiated w.r.t. x
    # is the Hessian-vector product, checked against central differences of the gradient.
    src = """func.func @f(%x: tensor<5xf64>) -> tensor<f64> {
      %t = kiln.tanh %x : tensor<5xf64>
      %c = kiln.mul %t, %x : tensor<5xf64>, tensor<5xf64>
      %m = kiln.reduce max %c dims [] : tensor<5xf64>
      %s = kiln.reduce sum %c dims [] : tensor<5xf64>
      %l = kiln.add %s, %m : tensor<f64>, tensor<f64>
      return %l : tensor<f64>
    }"""
    first = kiln.compiler.run_pipeline(src, "kiln-autodiff")
    body = first[first.index("{", first.index("func.func")) + 1 : first.rindex("return")]
    grad = first[first.rindex("return") :].split(":")[0].split(",")[1].strip()
    second = (
        "func.func @h(%arg0: tensor<5xf64>, %v: tensor<5xf64>) -> tensor<f64> {" + body +
        f"  %gv = kiln.mul {grad}, %v : tensor<5xf64>, tensor<5xf64>\n"
        "  %hv = kiln.reduce sum %gv dims [] : tensor<5xf64>\n  return %hv : tensor<f64>\n}"
    )
    x, v = np.array([0.3, -1.2, 0.8, 2.0, -0.5]), np.array([1.0, 2.0, -1.0, 0.5, 3.0])
    _, hv = call(compiled(second, "kiln-autodiff{wrt=0}"), [x, v], ["f64", "f64"])
    gradient = lambda x: call(compiled(first), [x], ["f64"])[1]  # noqa: E731
    fd = np.array([(gradient(x + H * e) - gradient(x - H * e)) @ v / (2 * H) for e in np.eye(5)])
    np.testing.assert_allclose(hv, fd, rtol=RTOL, atol=RTOL)
