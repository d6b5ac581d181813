"""Eager elementwise ops through the trace against NumPy: type promotion with Python numbers, broadcasting, views."""
import math

import numpy as np
import pytest

import kiln

RNG = np.random.default_rng(1234)
NP = {kiln.float32: np.float32, kiln.float64: np.float64, kiln.float16: np.float16, kiln.int8: np.int8,
      kiln.int32: np.int32, kiln.int64: np.int64, kiln.uint8: np.uint8, kiln.bool: np.bool_}


def sample(shape, dtype, positive=False, nonzero=False):
    if dtype is kiln.bool:
        return RNG.random(shape) > 0.5
    if dtype in (kiln.int8, kiln.int32, kiln.int64, kiln.uint8):
        low = 1 if (positive or dtype is kiln.uint8) else -9
        values = RNG.integers(low, 10, size=shape)
        if nonzero:
            values[values == 0] = 3
        return values.astype(NP[dtype])
    values = RNG.standard_normal(shape) * 3
    if positive:
        values = np.abs(values) + 0.1
    return values.astype(NP.get(dtype, np.float32))


def to_kiln(array, dtype, layout):
    """`array` as a kiln tensor: contiguous, a transposed view, a strided slice, or a view of a pending tensor."""
    if layout == "contiguous":
        return kiln.tensor(array, dtype=dtype)
    if layout == "transposed":
        return kiln.tensor(np.ascontiguousarray(array.T), dtype=dtype).t() if array.ndim == 2 else kiln.tensor(array, dtype=dtype)
    if layout == "strided":
        wide = np.repeat(array[..., None], 2, axis=-1).reshape(*array.shape[:-1], -1) if array.ndim else array
        t = kiln.tensor(wide, dtype=dtype)
        return t[..., ::2] if array.ndim else t
    if layout == "pending":
        base = kiln.tensor(array, dtype=dtype)
        return (base.unsqueeze(0).expand(2, *array.shape))[1] if array.ndim else base.clone()
    raise AssertionError(layout)


# (kiln dtype of a, kiln dtype of b, expected PyTorch result dtype) for tensors of rank >= 1.
PROMOTION = [
    (kiln.float32, kiln.float32, kiln.float32),
    (kiln.float32, kiln.float64, kiln.float64),
    (kiln.int32, kiln.int64, kiln.int64),
    (kiln.int64, kiln.float32, kiln.float32),
    (kiln.uint8, kiln.int8, kiln.int32),
    (kiln.bool, kiln.int32, kiln.int32),
    (kiln.float16, kiln.float32, kiln.float32),
    (kiln.uint8, kiln.uint8, kiln.uint8),
]

ARITH = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "maximum": (kiln.maximum, np.maximum),
    "minimum": (kiln.minimum, np.minimum),
}


@pytest.mark.parametrize("adtype,bdtype,expected", PROMOTION)
@pytest.mark.parametrize("op", sorted(ARITH))
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((5,), ())])
def test_binary_promotion_and_broadcast(adtype, bdtype, expected, op, shapes):
    a, b = sample(shapes[0], adtype), sample(shapes[1], bdtype)
    kiln_op, np_op = ARITH[op]
    if bdtype is not kiln.bool and len(shapes[1]) == 0:
        # A 0-d tensor only decides the dtype when its category is higher.
        expected = adtype if (adtype.is_floating_point or not bdtype.is_floating_point) else bdtype
        if adtype is kiln.bool:
            expected = bdtype
    result = kiln_op(kiln.tensor(a, dtype=adtype), kiln.tensor(b, dtype=bdtype))
    assert result.dtype is expected
    want = np_op(a.astype(NP[expected]), b.astype(NP[expected]))
    np.testing.assert_allclose(result.numpy().astype(np.float64), want.astype(np.float64), rtol=2e-3 if expected is kiln.float16 else 1e-6)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided", "pending"])
@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.int32, kiln.int64])
def test_every_binary_operator_on_views(layout, dtype):
    a, b = sample((3, 4), dtype), sample((3, 4), dtype, nonzero=True)
    x, y = to_kiln(a, dtype, layout), to_kiln(b, dtype, "contiguous")
    np_dtype = NP[dtype]
    cases = [
        (x + y, a + b), (x - y, a - b), (x * y, a * b),
        (x // y, np.floor_divide(a, b)), (x % y, np.mod(a, b)),
        (x == y, a == b), (x != y, a != b), (x < y, a < b), (x <= y, a <= b), (x > y, a > b), (x >= y, a >= b),
    ]
    true_div = x / y
    assert true_div.dtype is (dtype if dtype.is_floating_point else kiln.float32)
    cases.append((true_div, (a / b).astype(np.float64)))
    if not dtype.is_floating_point:
        cases += [(x & y, a & b), (x | y, a | b), (x ^ y, a ^ b), (~x, ~a)]
        cases.append((x ** kiln.tensor(np.abs(b) % 4, dtype=dtype), np.power(a, np.abs(b) % 4)))
    else:
        cases.append((kiln.abs(x) ** y, np.abs(a) ** b))
    for got, want in cases:
        np.testing.assert_allclose(got.numpy().astype(np.float64), np.asarray(want).astype(np.float64), rtol=1e-5, atol=1e-6)
    assert (x + y).numpy().dtype == np_dtype


SCALAR_CASES = [
    # tensor dtype, scalar, expected result dtype (PyTorch's rules for Python numbers)
    (kiln.int32, 2, kiln.int32),
    (kiln.int32, 2.5, kiln.float32),
    (kiln.uint8, 3, kiln.uint8),
    (kiln.float16, 2.5, kiln.float16),
    (kiln.float64, 2, kiln.float64),
    (kiln.bool, 1, kiln.int64),
    (kiln.bool, True, kiln.bool),
    (kiln.int64, True, kiln.int64),
    (kiln.bfloat16, 0.5, kiln.bfloat16),
]


@pytest.mark.parametrize("dtype,scalar,expected", SCALAR_CASES)
def test_python_numbers_follow_pytorch_promotion(dtype, scalar, expected):
    a = sample((6,), dtype, positive=True)
    x = kiln.tensor(a.astype(np.float32) if dtype is kiln.bfloat16 else a, dtype=dtype)
    cases = [(x + scalar, a.astype(np.float64) + scalar), (scalar * x, a.astype(np.float64) * scalar)]
    if expected is kiln.bool:
        assert all(result.dtype is kiln.bool for result, _ in cases)
        np.testing.assert_array_equal(cases[0][0].numpy(), np.logical_or(a, scalar))
        return
    cases += [(x - scalar, a.astype(np.float64) - scalar), (scalar - x, scalar - a.astype(np.float64))]
    for result, want in cases:
        if not expected.is_floating_point:
            want = want.astype(np.int64).astype(NP[expected])  # integers wrap as in PyTorch
        assert result.dtype is expected, (dtype, scalar)
        got = result.float().numpy() if expected is kiln.bfloat16 else result.numpy()
        half = expected in (kiln.float16, kiln.bfloat16)
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-2 if half else 1e-6, atol=2e-2 if half else 0)


def test_zero_dim_tensor_does_not_widen_same_category():
    x = kiln.tensor([1, 2, 3], dtype=kiln.int32)
    assert (x + kiln.tensor(5)).dtype is kiln.int32
    assert (x + kiln.tensor(0.5)).dtype is kiln.float32
    y = kiln.tensor([1.0], dtype=kiln.float16)
    assert (y * kiln.tensor(2.0, dtype=kiln.float64)).dtype is kiln.float16


UNARY = {
    "exp": (kiln.exp, np.exp, False), "log": (kiln.log, np.log, True), "log1p": (kiln.log1p, np.log1p, True),
    "expm1": (kiln.expm1, np.expm1, False), "sqrt": (kiln.sqrt, np.sqrt, True),
    "rsqrt": (kiln.rsqrt, lambda v: 1 / np.sqrt(v), True), "tanh": (kiln.tanh, np.tanh, False),
    "sigmoid": (kiln.sigmoid, lambda v: 1 / (1 + np.exp(-v)), False), "relu": (kiln.relu, lambda v: np.maximum(v, 0), False),
    "silu": (kiln.silu, lambda v: v / (1 + np.exp(-v)), False), "sin": (kiln.sin, np.sin, False),
    "cos": (kiln.cos, np.cos, False), "erf": (kiln.erf, np.vectorize(math.erf), False),
    "floor": (kiln.floor, np.floor, False), "ceil": (kiln.ceil, np.ceil, False), "round": (kiln.round, np.round, False),
    "trunc": (kiln.trunc, np.trunc, False), "sign": (kiln.sign, np.sign, False), "neg": (kiln.neg, np.negative, False),
    "abs": (kiln.abs, np.abs, False),
    "gelu": (kiln.gelu, lambda v: 0.5 * v * (1 + np.vectorize(math.erf)(v / math.sqrt(2))), False),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype,layout", [(kiln.float32, "contiguous"), (kiln.float64, "transposed"),
                                          (kiln.float32, "pending"), (kiln.int32, "strided")])
def test_unary_ops_against_numpy(name, dtype, layout):
    kiln_fn, np_fn, positive = UNARY[name]
    a = sample((4, 5), dtype, positive=positive)
    x = to_kiln(a, dtype, layout)
    got = kiln_fn(x)
    float_only = name not in ("relu", "floor", "ceil", "round", "trunc", "sign", "neg", "abs")
    if float_only and not dtype.is_floating_point:
        assert got.dtype is kiln.float32
    want = np_fn(a.astype(np.float64))
    np.testing.assert_allclose(got.numpy().astype(np.float64), want, rtol=1e-12 if got.dtype is kiln.float64 else 2e-5, atol=1e-6)
    # The method form and the in-place form agree with the function.
    if hasattr(x, name) and name != "gelu":
        np.testing.assert_array_equal(getattr(x, name)().numpy(), got.numpy())


def test_in_place_operators_keep_identity_and_dtype():
    x = kiln.tensor([1, 2, 3], dtype=kiln.int32)
    same = x
    x += 2
    x *= 3
    assert x is same and x.dtype is kiln.int32
    np.testing.assert_array_equal(x.numpy(), [9, 12, 15])
    with pytest.raises(RuntimeError, match=r"add_\(\): result type Float can't be cast to the desired output type Int"):
        x += 0.5
    with pytest.raises(RuntimeError, match=r"mul_\(\): output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        x.mul_(kiln.ones(2, 3, dtype=kiln.int32))


def test_elementwise_errors_name_the_op():
    with pytest.raises(RuntimeError, match=r"add\(\): The size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton dimension 1"):
        kiln.ones(2, 3) + kiln.ones(2, 4)
    with pytest.raises(RuntimeError, match=r"sub\(\): Subtraction, the `-` operator, with two bool tensors"):
        kiln.ones(2, dtype=kiln.bool) - kiln.ones(2, dtype=kiln.bool)
    with pytest.raises(RuntimeError, match=r"neg\(\): Negation"):
        -kiln.ones(2, dtype=kiln.bool)
    with pytest.raises(RuntimeError, match=r"floor_divide\(\): ZeroDivisionError"):
        kiln.tensor([4, 5]) // kiln.tensor([1, 0])
    with pytest.raises(RuntimeError, match=r"remainder\(\): ZeroDivisionError"):
        kiln.tensor([4, 5]) % 0
    with pytest.raises(RuntimeError, match=r"value cannot be converted to type uint8 without overflow"):
        kiln.ones(2, dtype=kiln.uint8) + 300
    with pytest.raises(RuntimeError, match=r"bitwise_and\(\): .* not implemented for 'Float'"):
        kiln.ones(2) & kiln.ones(2)
    with pytest.raises(RuntimeError, match=r"pow\(\): Integers to negative integer powers are not allowed"):
        kiln.tensor([2, 3]) ** -1
    with pytest.raises(RuntimeError, match=r"pow\(\): Integers to negative integer powers are not allowed"):
        kiln.tensor([2, 3]) ** kiln.tensor([1, -2])
    with pytest.raises(RuntimeError, match=r"reshape\(\): shape '\[3\]' is invalid for input of size 2"):
        kiln.ones(2).reshape(3)
    with pytest.raises(TypeError):
        kiln.ones(2) + "a"
    with pytest.raises(RuntimeError, match=r"where\(\): where expected condition to be a boolean tensor"):
        kiln.where(kiln.ones(2), 1.0, 0.0)


def test_bool_arithmetic_is_logical():
    a = kiln.tensor([True, True, False])
    b = kiln.tensor([True, False, False])
    np.testing.assert_array_equal((a + b).numpy(), [True, True, False])
    np.testing.assert_array_equal((a * b).numpy(), [True, False, False])
    assert (a + b).dtype is kiln.bool


def test_float_division_by_zero_gives_ieee_values():
    x = kiln.tensor([1.0, -1.0, 0.0]) / 0.0
    np.testing.assert_array_equal(x.numpy(), [np.inf, -np.inf, np.nan])


def test_where_clamp_lerp_against_numpy():
    a, b = sample((3, 4), kiln.float32), sample((4,), kiln.float32)
    x, y = kiln.tensor(a), kiln.tensor(b)
    np.testing.assert_allclose(kiln.where(x > 0, x, y).numpy(), np.where(a > 0, a, b))
    np.testing.assert_allclose(kiln.clamp(x, -1, 1).numpy(), np.clip(a, -1, 1))
    np.testing.assert_allclose(x.clamp(min=0.5).numpy(), np.maximum(a, 0.5))
    np.testing.assert_allclose(kiln.lerp(x, y, 0.25).numpy(), a + 0.25 * (b - a), rtol=1e-6)
    i = kiln.tensor([1, 5, 9])
    assert i.clamp(2, 6).dtype is kiln.int64
    np.testing.assert_array_equal(i.clamp(2, 6).numpy(), [2, 5, 6])
