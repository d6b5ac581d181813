"""Elementwise Kiln ops (unary, binary, bitwise, where, cast) through the full default pipeline against NumPy."""

import functools
import math

import numpy as np
import pytest

import kiln
from numerics_support import (  # noqa: F401  (private_cache: a module-scoped autouse fixture)
    BIG,
    ELEMS,
    FLOATS,
    Func,
    INTS,
    VEC,
    as_elem,
    case_id,
    check,
    f64,
    private_cache,
    rand,
    run,
    SCALAR_PATH_FOR_SOME,
    ty,
)


# ----------------------------------------------------------------------------------------------------------------
# Unary elementwise ops.


def erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


SQRT2 = math.sqrt(2.0)
# name -> (IR spelling, input kind, float64 reference, (rtol, atol) for f32-or-wider math).
UNARY_FLOAT = {
    "exp": ("kiln.exp", "any", np.exp, (2e-7, 0)),
    "log": ("kiln.log", "pos", np.log, (2e-7, 1e-7)),
    "log1p": ("kiln.log1p", "log1p", np.log1p, (3e-7, 1e-7)),
    "expm1": ("kiln.expm1", "any", np.expm1, (3e-7, 1e-7)),
    "sqrt": ("kiln.sqrt", "pos", np.sqrt, (1e-7, 0)),
    "rsqrt": ("kiln.rsqrt", "pos", lambda x: 1 / np.sqrt(x), (1e-7, 0)),
    "tanh": ("kiln.tanh", "any", np.tanh, (3e-7, 1e-7)),
    "sigmoid": ("kiln.sigmoid", "any", lambda x: 1 / (1 + np.exp(-x)), (3e-7, 0)),
    "silu": ("kiln.silu", "any", lambda x: x / (1 + np.exp(-x)), (3e-7, 1e-7)),
    "sin": ("kiln.sin", "any", np.sin, (2e-7, 1e-6)),
    "cos": ("kiln.cos", "any", np.cos, (2e-7, 1e-6)),
    "erf": ("kiln.erf", "any", erf, (3e-7, 1e-7)),
    "gelu": ("kiln.gelu", "any", lambda x: 0.5 * x * (1 + erf(x / SQRT2)), (3e-7, 1e-6)),
    "gelu_tanh": (
        "kiln.gelu",
        "any",
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        (3e-7, 1e-6),
    ),
}
# Ops on any dtype: name -> (IR spelling, float64-or-exact reference).
UNARY_ANY = {
    "neg": ("kiln.neg", np.negative),
    "abs": ("kiln.abs", np.abs),
    "relu": ("kiln.relu", lambda x: np.maximum(x, np.zeros((), x.dtype))),
    "sign": ("kiln.sign", lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x)),
    "floor": ("kiln.floor", np.floor),
    "ceil": ("kiln.ceil", np.ceil),
    "round": ("kiln.round", np.round),
    "logical_not": ("kiln.logical_not", lambda x: x == 0),
}
# Ops on integers and bools only: name -> (IR spelling, exact reference).
UNARY_INT = {
    "bitwise_not": ("kiln.bitwise_not", np.invert),
}
UNARY_EXACT = {**UNARY_ANY, **UNARY_INT}
UNARY_BOOL = ["sign", "floor", "ceil", "round", "logical_not", "bitwise_not"]
# Inner sizes of 16 to 48 with bool vectors are broken (test_bool_vectors_of_16_to_48_lanes): the grids use 53 and
# 51, which still leave a vector tail.
UNARY_SHAPES = [(), (1,), (53,), (2, 1, 5), BIG]
KINDS = ["any", "pos", "log1p"]


def unary_ops(elem):
    if elem == "i1":
        return UNARY_BOOL
    if elem in FLOATS:
        return list(UNARY_FLOAT) + list(UNARY_ANY)
    return list(UNARY_ANY) + list(UNARY_INT)


@functools.lru_cache(maxsize=None)
def unary_results(elem, shape, vectorize):
    """Every unary op of `elem` in one function over inputs of each domain; {op: (input, output)}."""
    t = ty(shape, elem)
    fn = Func(t, t, t)
    inputs = [rand(shape, elem, kind, seed=i) for i, kind in enumerate(KINDS)]
    names = unary_ops(elem)
    for name in names:
        if name in UNARY_FLOAT:
            spelling, kind = UNARY_FLOAT[name][:2]
        else:
            spelling, kind = UNARY_EXACT[name][0], "any"
        suffix = " approximate tanh" if name == "gelu_tanh" else ""
        out_t = ty(shape, "i1") if name == "logical_not" else t
        fn.op(f"{spelling} {fn.args[KINDS.index(kind)]}{suffix} : {t}", out_t)
    outs = run(fn, inputs, [elem] * 3, vectorize=vectorize)
    result = {}
    for name, out in zip(names, outs):
        kind = UNARY_FLOAT[name][1] if name in UNARY_FLOAT else "any"
        result[name] = (inputs[KINDS.index(kind)], out)
    return result


UNARY_CASES = [
    (elem, name, shape)
    for elem in FLOATS + INTS + ["i1"]
    for name in unary_ops(elem)
    for shape in (UNARY_SHAPES if elem in ("f32", "i32") else [(), (53,), BIG])
]


@SCALAR_PATH_FOR_SOME
@VEC
@pytest.mark.parametrize("elem,name,shape", UNARY_CASES, ids=lambda v: "x".join(map(str, v)) if isinstance(v, tuple) else str(v))
def test_unary(elem, name, shape, vectorize):
    x, got = unary_results(elem, shape, vectorize)[name]
    if name in UNARY_FLOAT:
        rtol, atol = UNARY_FLOAT[name][3]
        check(got, UNARY_FLOAT[name][2](f64(x)), elem, rtol, atol)
    else:
        check(got, UNARY_EXACT[name][1](x if elem not in FLOATS else f64(x)), elem)


# ----------------------------------------------------------------------------------------------------------------
# Binary elementwise ops, comparisons, logical ops and where, with broadcasting.


def trunc_div(a, b):
    q = np.abs(a.astype(np.int64)) // np.abs(b.astype(np.int64))
    return (q * np.sign(a.astype(np.int64)) * np.sign(b.astype(np.int64))).astype(a.dtype)


def int_pow(a, b):
    return np.power(a.astype(np.int64), b.astype(np.int64)).astype(a.dtype)


# name -> (float64 reference for floats, exact reference for integers (None: op not on ints), uses the pow domain).
BINARY = {
    "add": (np.add, np.add, False),
    "sub": (np.subtract, np.subtract, False),
    "mul": (np.multiply, np.multiply, False),
    "div": (np.divide, trunc_div, False),
    "pow": (np.power, int_pow, True),
    "maximum": (np.maximum, np.maximum, False),
    "minimum": (np.minimum, np.minimum, False),
    "remainder": (np.remainder, np.remainder, False),
    "eq": (np.equal, np.equal, False),
    "ne": (np.not_equal, np.not_equal, False),
    "lt": (np.less, np.less, False),
    "le": (np.less_equal, np.less_equal, False),
    "gt": (np.greater, np.greater, False),
    "ge": (np.greater_equal, np.greater_equal, False),
    "logical_and": (np.logical_and, np.logical_and, False),
    "logical_or": (np.logical_or, np.logical_or, False),
    "logical_xor": (np.logical_xor, np.logical_xor, False),
}
# Bitwise ops, on integers only (bools take the first three, in BOOL_BINARY): name -> exact reference. Shift amounts
# come from [0, bit width), where NumPy and PyTorch agree; test_shift_out_of_range covers the rest.
INT_BINARY = {
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "shift_left": np.left_shift,
    "shift_right": np.right_shift,
}
# PyTorch on bools: + is or, * is and, ** is `a or not b`; sub/div/remainder are errors.
BOOL_BINARY = {
    "add": np.logical_or,
    "mul": np.logical_and,
    "pow": lambda a, b: a | ~b,
    "maximum": np.maximum,
    "minimum": np.minimum,
    **{k: BINARY[k][1] for k in ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]},
    **{k: INT_BINARY[k] for k in ["bitwise_and", "bitwise_or", "bitwise_xor"]},
}
PREDICATES = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"}
BINARY_TOL = {"pow": (1e-6, 1e-6), "remainder": (0, 1e-5), "div": (1e-7, 0)}
BROADCASTS = [((53,), (53,)), ((4, 1), (1, 8)), ((2, 1, 5), (3, 1)), ((), (7,)), ((1,), ()), (BIG, (271,))]


def binary_ops(elem):
    if elem == "i1":
        return list(BOOL_BINARY)
    return list(BINARY) + (list(INT_BINARY) if elem in INTS else [])


def shift_amounts(shape, elem, seed):
    """Shift amounts of `elem` in [0, bit width), every one of them likely to appear."""
    rng = np.random.default_rng(seed)
    dtype = ELEMS[elem][0]
    return rng.integers(0, np.iinfo(dtype).bits, size=shape).astype(dtype)


@functools.lru_cache(maxsize=None)
def binary_results(elem, sa, sb, vectorize):
    """Every binary op of `elem` on (a, b) in one function; pow gets its own (base, exponent) domain, shifts their
    amounts in [0, bit width)."""
    ta, tb = ty(sa, elem), ty(sb, elem)
    out = np.broadcast_shapes(sa, sb)
    with_shifts = elem in INTS
    fn = Func(ta, tb, ta, tb, *([tb] if with_shifts else []))
    a, b = rand(sa, elem, seed=1), rand(sb, elem, "nonzero" if elem in INTS else "any", seed=2)
    if elem in FLOATS:
        pa, pb = rand(sa, elem, "pos", seed=3), as_elem(rand(sb, elem, seed=4) / 2, elem)
    else:
        pa, pb = rand(sa, elem, "small", seed=3), rand(sb, elem, "pow", seed=4)
        if elem != "i1":
            pb = np.abs(pb)  # negative integer powers are errors in PyTorch
            if elem == "i8":
                pa = np.clip(pa, -5, 5).astype(np.int8)
    arrays = [a, b, pa, pb] + ([shift_amounts(sb, elem, seed=5)] if with_shifts else [])
    # Argument indices of each op's (lhs, rhs): (a, b) unless listed.
    operands = {"pow": (2, 3), "shift_left": (0, 4), "shift_right": (0, 4)}
    for name in binary_ops(elem):
        i, j = operands.get(name, (0, 1))
        fn.op(f"kiln.{name} {fn.args[i]}, {fn.args[j]} : {ta}, {tb}", ty(out, "i1" if name in PREDICATES else elem))
    outs = run(fn, arrays, [elem] * len(arrays), vectorize=vectorize)
    result = {}
    for name, got in zip(binary_ops(elem), outs):
        i, j = operands.get(name, (0, 1))
        result[name] = ((arrays[i], arrays[j]), got)
    return result


BINARY_CASES = [
    (elem, name, sa, sb)
    for elem in FLOATS + INTS + ["i1"]
    for name in binary_ops(elem)
    for sa, sb in (BROADCASTS if elem in ("f32", "i32") else [BROADCASTS[1], BROADCASTS[3], BROADCASTS[5]])
]


@SCALAR_PATH_FOR_SOME
@VEC
@pytest.mark.parametrize("elem,name,sa,sb", BINARY_CASES, ids=case_id)
def test_binary(elem, name, sa, sb, vectorize):
    (a, b), got = binary_results(elem, sa, sb, vectorize)[name]
    if elem == "i1":
        check(got, BOOL_BINARY[name](a, b), elem)
    elif elem in FLOATS:
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0 and x % 0 are part of the test: inf and nan
            ref = BINARY[name][0](f64(a), f64(b))
        check(got, ref, elem, *BINARY_TOL.get(name, (0, 0)))
    else:
        reference = INT_BINARY[name] if name in INT_BINARY else BINARY[name][1]
        with np.errstate(over="ignore"):
            check(got, reference(a, b), elem)


SPECIAL = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 1.5, -2.5, 3.0], dtype=np.float32)


@VEC
@pytest.mark.parametrize("elem", ["f32", "f64", "f16", "bf16"])
def test_nan_inf_propagation(elem, vectorize):
    """maximum/minimum/relu/sign propagate NaN and comparisons follow IEEE, on every pair of special values; 64 lanes
    so that the vector path sees them."""
    a = as_elem(np.repeat(SPECIAL, 8), elem)
    b = as_elem(np.tile(SPECIAL, 8), elem)
    t = ty(a.shape, elem)
    fn = Func(t, t)
    # bf16 maximum/minimum lose NaN: test_bf16_maximum_minimum_nan.
    names = (["maximum", "minimum"] if elem != "bf16" else []) + ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_xor"]
    for name in names:
        fn.op(f"kiln.{name} %a0, %a1 : {t}, {t}", ty(a.shape, "i1" if name in PREDICATES else elem))
    for name in ["relu", "sign", "abs", "neg", "floor", "round"]:
        fn.op(f"kiln.{name} %a0 : {t}", t)
    outs = run(fn, [a, b], [elem, elem], vectorize=vectorize)
    with np.errstate(invalid="ignore"):
        refs = [BINARY[n][0](f64(a), f64(b)) for n in names] + [UNARY_ANY[n][1](f64(a)) for n in ["relu", "sign", "abs", "neg", "floor", "round"]]
    for name, got, ref in zip(names + ["relu", "sign", "abs", "neg", "floor", "round"], outs, refs):
        check(got, ref, elem)
        if name in ("neg", "abs"):
            np.testing.assert_array_equal(np.signbit(got), np.signbit(ref), err_msg=name)


@VEC
@pytest.mark.parametrize("elem", ["f32", "f64", "f16"])
def test_pow_and_remainder_signs(elem, vectorize):
    """pow of negative bases by integral exponents, and remainder/div over every sign combination."""
    base = as_elem(np.tile([-2.0, -1.5, -3.0, 0.0, 2.0, -0.5, 1.0, -1.0], 4), elem)
    expo = as_elem(np.repeat([3.0, 2.0, 0.0, -1.0], 8), elem)
    num = as_elem(np.tile([7.0, -7.0, 7.5, -7.5, 6.0, -6.0, 0.25, -0.25], 4), elem)
    den = as_elem(np.repeat([2.0, -2.0, 3.0, -3.0], 8), elem)
    t = ty(base.shape, elem)
    fn = Func(t, t, t, t)
    fn.op(f"kiln.pow %a0, %a1 : {t}, {t}", t)
    fn.op(f"kiln.remainder %a2, %a3 : {t}, {t}", t)
    fn.op(f"kiln.div %a2, %a3 : {t}, {t}", t)
    p, r, d = run(fn, [base, expo, num, den], [elem] * 4, vectorize=vectorize)
    with np.errstate(divide="ignore"):
        check(p, np.power(f64(base), f64(expo)), elem, 1e-6)
    check(r, np.remainder(f64(num), f64(den)), elem)
    check(d, f64(num) / f64(den), elem)


@VEC
@pytest.mark.parametrize("elem", ["i8", "i32", "i64", "ui8"])
def test_integer_div_remainder_signs(elem, vectorize):
    """Integer div truncates toward zero, remainder takes the divisor's sign, on every sign combination."""
    signed = elem != "ui8"
    nums = [7, -7, 6, -6, 1, -1, 0, 100] if signed else [7, 200, 6, 255, 1, 0, 0, 100]
    dens = [2, -2, 3, -3, 7, -7, 1, 100] if signed else [2, 3, 7, 1, 100, 255, 9, 13]
    a = np.tile(np.array(nums), 8).astype(ELEMS[elem][0])
    b = np.repeat(np.array(dens), 8).astype(ELEMS[elem][0])
    t = ty(a.shape, elem)
    fn = Func(t, t)
    fn.op(f"kiln.div %a0, %a1 : {t}, {t}", t)
    fn.op(f"kiln.remainder %a0, %a1 : {t}, {t}", t)
    d, r = run(fn, [a, b], [elem, elem], vectorize=vectorize)
    check(d, trunc_div(a, b), elem)
    check(r, np.remainder(a, b), elem)


def pytorch_shift(a, s, left):
    """PyTorch's `a << s` / `a >> s` (ATen's lshift/rshift kernels), element by element on Python ints: << shifts the
    unsigned bits and wraps, and gives 0 once the amount, read unsigned, reaches the bit width; >> shifts by at most
    width - 1 (signed) or width (unsigned), a negative amount counting as too large."""
    info = np.iinfo(a.dtype)
    bits, signed = info.bits, info.min < 0
    out = []
    for x, n in zip(a.reshape(-1).tolist(), s.reshape(-1).tolist()):
        if left:
            v = 0 if not 0 <= n < bits else (x << n) & ((1 << bits) - 1)
            out.append(v - (1 << bits) if signed and v >= 1 << (bits - 1) else v)
        else:
            most = bits - 1 if signed else bits
            out.append(x >> (n if 0 <= n < most else most))
    return np.array(out, dtype=a.dtype).reshape(a.shape)


@VEC
@pytest.mark.parametrize("elem", INTS)
def test_shift_out_of_range(elem, vectorize):
    """Shift amounts outside [0, bit width) (the width, beyond it, the largest, and negative ones for the signed types)
    follow PyTorch: << gives 0, >> the sign fill. arith's shifts are poison there and x86's scalar and vector shifts
    disagree, so the lowering clamps. 8 values x 8 amounts = 64 lanes, so that the vector path sees them."""
    info = np.iinfo(ELEMS[elem][0])
    bits, signed = info.bits, info.min < 0
    values = [info.min, info.max, -1 if signed else 200, 1, 0, 5, -77 if signed else 128, 3]
    amounts = [bits - 1, bits, bits + 1, info.max, 1, 0] + ([-1, info.min] if signed else [2 * bits, bits + 7])
    a = np.repeat(np.array(values), len(amounts)).astype(ELEMS[elem][0])
    s = np.tile(np.array(amounts), len(values)).astype(ELEMS[elem][0])
    t = ty(a.shape, elem)
    fn = Func(t, t)
    fn.op(f"kiln.shift_left %a0, %a1 : {t}, {t}", t)
    fn.op(f"kiln.shift_right %a0, %a1 : {t}, {t}", t)
    left, right = run(fn, [a, s], [elem, elem], vectorize=vectorize)
    check(left, pytorch_shift(a, s, left=True), elem)
    check(right, pytorch_shift(a, s, left=False), elem)
    # The rule in words, on the lanes whose amount is the bit width: << is 0, >> the sign fill.
    at_width = s == bits
    assert np.all(left[at_width] == 0)
    np.testing.assert_array_equal(right[at_width], np.where(a[at_width] < 0, -1, 0).astype(a.dtype))


WHERE_SHAPES = [((53,), (53,), (53,)), ((4, 1), (8,), ()), ((1, 3, 1), (2, 1, 5), (3, 1)), ((263, 1), (271,), BIG)]


@SCALAR_PATH_FOR_SOME
@VEC
@pytest.mark.parametrize("elem", FLOATS + INTS + ["i1"])
@pytest.mark.parametrize("sc,sx,sy", WHERE_SHAPES, ids=case_id)
def test_where(sc, sx, sy, elem, vectorize):
    c, x, y = rand(sc, "i1", seed=5), rand(sx, elem, seed=6), rand(sy, elem, seed=7)
    fn = Func(ty(sc, "i1"), ty(sx, elem), ty(sy, elem))
    fn.op(f"kiln.where %a0, %a1, %a2 : {ty(sc, 'i1')}, {ty(sx, elem)}, {ty(sy, elem)}", ty(np.broadcast_shapes(sc, sx, sy), elem))
    (got,) = run(fn, [c, x, y], ["i1", elem, elem], vectorize=vectorize)
    check(got, np.where(c, x, y), elem)


# ----------------------------------------------------------------------------------------------------------------
# Casts between every pair of dtypes.


def cast_input(shape, elem):
    rng = np.random.default_rng(11)
    if elem == "i1":
        return rand(shape, elem)
    if elem in FLOATS:
        # Fractions of both signs (truncation), zeros and values past i8/ui8 range (wrapping through i64).
        a = rng.uniform(-300, 300, size=shape)
        a.reshape(-1)[::4] = rng.uniform(-1, 1, size=a.reshape(-1)[::4].shape)
        a.reshape(-1)[::7] = 0.0
        return as_elem(a.astype(np.float32), elem)
    info = np.iinfo(ELEMS[elem][0])
    a = rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape).astype(ELEMS[elem][0])
    a.reshape(-1)[::7] = 0
    return a


def cast_ref(x, src, dst):
    if dst == "i1":
        return x != 0
    if dst in FLOATS:
        # Half types round through float32 (PyTorch's Half/BFloat16 are built from float).
        return as_elem(x.astype(np.float32) if dst in ("f16", "bf16") else x, dst)
    if src in FLOATS:
        return np.trunc(f64(x)).astype(np.int64).astype(ELEMS[dst][0])
    return x.astype(ELEMS[dst][0])


@SCALAR_PATH_FOR_SOME
@VEC
@pytest.mark.parametrize("shape", [(), (53,), (2, 1, 9), BIG], ids=case_id)
@pytest.mark.parametrize("src", FLOATS + INTS + ["i1"])
def test_cast(src, shape, vectorize):
    x = cast_input(shape, src)
    fn = Func(ty(shape, src))
    dsts = FLOATS + INTS + ["i1"]
    for dst in dsts:
        fn.op(f"kiln.cast %a0 : {ty(shape, src)} to {ty(shape, dst)}", ty(shape, dst))
    outs = run(fn, [x], [src], vectorize=vectorize)
    for dst, got in zip(dsts, outs):
        expected = cast_ref(x, src, dst)
        if dst in FLOATS:
            np.testing.assert_array_equal(f64(got), f64(expected), err_msg=f"{src} -> {dst}")
        else:
            np.testing.assert_array_equal(got, expected, err_msg=f"{src} -> {dst}")
