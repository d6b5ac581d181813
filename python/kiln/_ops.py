"""Elementwise ops as kiln functions and Tensor methods: argument parsing over the C++ recorders in kiln._C.

Type promotion, broadcasting, validation and recording happen in C++ (lib/Trace/Ops.cpp);
this module only maps PyTorch's names and keyword arguments onto them.
"""

import builtins

from kiln._registry import exporter
from kiln import _C

_B = _C._BINARY
_U = _C._UNARY

# Every module of the op surface fills these: FUNCTIONS become kiln.<name>,
# METHODS become Tensor.<name> (kiln/__init__.py installs both).
FUNCTIONS = {}
METHODS = {}


_export = exporter(FUNCTIONS, METHODS)


def _scaled(op, other, alpha):
    if alpha is None or alpha == 1:
        return other
    if isinstance(alpha, _C.Tensor):
        raise TypeError(f"{op}(): argument 'alpha' must be Number, not Tensor")
    return _C._binary(_B["mul"], other, alpha)


@_export("add")
def add(input, other, *, alpha=None):
    """input + alpha * other, with broadcasting and type promotion."""
    return _C._binary(_B["add"], input, _scaled("add", other, alpha))


@_export("sub", "subtract")
def sub(input, other, *, alpha=None):
    return _C._binary(_B["sub"], input, _scaled("sub", other, alpha))


@_export("rsub", method=False)
def rsub(input, other, *, alpha=None):
    return _C._binary(_B["sub"], other, _scaled("rsub", input, alpha))


@_export("div", "divide", "true_divide")
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _C._binary(_B["div"], input, other)
    if rounding_mode == "floor":
        return _C._binary(_B["floor_divide"], input, other)
    if rounding_mode == "trunc":
        quotient = _C._binary(_B["div"], input, other)
        result = trunc(quotient)
        common = _C._result_type([input, other])
        return result if common.is_floating_point else _C._cast(result, common)
    raise ValueError(
        f"div(): expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
    )


def _binary_function(name, op=None, aliases=()):
    code = _B[op or name]

    def fn(input, other):
        return _C._binary(code, input, other)

    fn.__name__ = name
    fn.__doc__ = f"kiln.{name}(input, other): elementwise, with broadcasting and type promotion."
    _export(name, *aliases)(fn)
    return fn


mul = _binary_function("mul", aliases=("multiply",))
floor_divide = _binary_function("floor_divide")
remainder = _binary_function("remainder")
pow = _binary_function("pow")
maximum = _binary_function("maximum")
minimum = _binary_function("minimum")
eq = _binary_function("eq")
ne = _binary_function("ne", aliases=("not_equal",))
lt = _binary_function("lt", aliases=("less",))
le = _binary_function("le", aliases=("less_equal",))
gt = _binary_function("gt", aliases=("greater",))
ge = _binary_function("ge", aliases=("greater_equal",))
logical_and = _binary_function("logical_and")
logical_or = _binary_function("logical_or")
logical_xor = _binary_function("logical_xor")
bitwise_and = _binary_function("bitwise_and")
bitwise_or = _binary_function("bitwise_or")
bitwise_xor = _binary_function("bitwise_xor")
bitwise_left_shift = _binary_function("bitwise_left_shift")
bitwise_right_shift = _binary_function("bitwise_right_shift")


def _unary_function(name, op=None, aliases=()):
    code = _U[op or name]

    def fn(input):
        return _C._unary(code, input)

    fn.__name__ = name
    fn.__doc__ = f"kiln.{name}(input): elementwise."
    _export(name, *aliases)(fn)
    return fn


neg = _unary_function("neg", aliases=("negative",))
abs = _unary_function("abs", aliases=("absolute",))
exp = _unary_function("exp")
log = _unary_function("log")
log1p = _unary_function("log1p")
expm1 = _unary_function("expm1")
sqrt = _unary_function("sqrt")
rsqrt = _unary_function("rsqrt")
tanh = _unary_function("tanh")
sigmoid = _unary_function("sigmoid")
relu = _unary_function("relu")
silu = _unary_function("silu")
sin = _unary_function("sin")
cos = _unary_function("cos")
erf = _unary_function("erf")
floor = _unary_function("floor")
ceil = _unary_function("ceil")
sign = _unary_function("sign")
logical_not = _unary_function("logical_not")
bitwise_not = _unary_function("bitwise_not")


@_export("round")
def round(input, *, decimals=0):
    if decimals == 0:
        return _C._unary(_U["round"], input)
    scale = 10.0**decimals
    return _C._unary(_U["round"], input * scale) / scale


@_export("trunc", "fix")
def trunc(input):
    if not input.dtype.is_floating_point:
        return input.clone()
    return where(input < 0, ceil(input), floor(input))


@_export("frac")
def frac(input):
    return input - trunc(input)


@_export("gelu", method=False)
def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu(): approximate argument must be either none or tanh, got {approximate!r}")
    return _C._unary(_U["gelu_tanh" if approximate == "tanh" else "gelu"], input)


@_export("square")
def square(input):
    return _C._binary(_B["mul"], input, input)


@_export("reciprocal")
def reciprocal(input):
    return _C._binary(_B["div"], 1.0, input)


@_export("log2")
def log2(input):
    return log(input) * (1.0 / 0.6931471805599453)


@_export("log10")
def log10(input):
    return log(input) * (1.0 / 2.302585092994046)


@_export("exp2")
def exp2(input):
    return _C._binary(_B["pow"], 2.0, input)


@_export("tan")
def tan(input):
    return sin(input) / cos(input)


@_export("where")
def where(condition, input=None, other=None):
    """where(condition, input, other): elementwise choice; where(condition) is nonzero(as_tuple=True)."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    return _C._where(condition, input, other)


@_export("clamp", "clip")
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("clamp(): At least one of 'min' or 'max' must not be None")
    result = input
    if min is not None:
        result = where(result < min, min, result)
    if max is not None:
        result = where(result > max, max, result)
    return result


@_export("lerp")
def lerp(input, end, weight):
    return input + weight * (end - input)


@_export("isnan")
def isnan(input):
    return input != input


@_export("isinf")
def isinf(input):
    if not input.dtype.is_floating_point:
        return _C._full(input.shape, False, _C.bool)
    return abs(input) == float("inf")


@_export("isfinite")
def isfinite(input):
    if not input.dtype.is_floating_point:
        return _C._full(input.shape, True, _C.bool)
    return logical_not(isnan(input) | isinf(input))


@_export("nan_to_num")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if not input.dtype.is_floating_point:
        return input.clone()
    result = where(isnan(input), nan, input)
    big = {_C.float32: 3.4028234663852886e38, _C.float64: 1.7976931348623157e308, _C.float16: 65504.0, _C.bfloat16: 3.3895313892515355e38}[input.dtype]
    result = where(result == float("inf"), big if posinf is None else posinf, result)
    return where(result == float("-inf"), -big if neginf is None else neginf, result)


@_export("allclose")
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan).all().item())


@_export("isclose")
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    close = abs(input - other) <= atol + rtol * abs(other)
    close = close | (input == other)
    if equal_nan:
        close = close | (isnan(input) & isnan(other))
    return close


@_export("equal")
def equal(input, other):
    if tuple(input.shape) != tuple(other.shape):
        return False
    return builtins.bool((input == other).all().item())


def _inplace(name, op):
    code = _B[op]

    def method(self, other, *, alpha=None):
        if alpha is not None:
            other = _scaled(name, other, alpha)
        return _C._binary_(code, self, other)

    method.__name__ = name + "_"
    METHODS[name + "_"] = method


for _name, _op in [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("div", "div"), ("floor_divide", "floor_divide"),
                   ("remainder", "remainder"), ("pow", "pow"), ("bitwise_and", "bitwise_and"),
                   ("bitwise_or", "bitwise_or"), ("bitwise_xor", "bitwise_xor"), ("logical_and", "logical_and"),
                   ("logical_or", "logical_or"), ("logical_xor", "logical_xor"), ("eq", "eq"), ("ne", "ne"),
                   ("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge"), ("maximum", "maximum"), ("minimum", "minimum")]:
    _inplace(_name, _op)
METHODS["subtract_"] = METHODS["sub_"]
METHODS["multiply_"] = METHODS["mul_"]
METHODS["divide_"] = METHODS["div_"]


_SCALAR_NAMES = {_C.float32: "Float", _C.float64: "Double", _C.float16: "Half", _C.bfloat16: "BFloat16",
                 _C.int8: "Char", _C.int32: "Int", _C.int64: "Long", _C.uint8: "Byte", _C.bool: "Bool"}


def _assign_result(self, value):
    """self <- value (cast to self's dtype when PyTorch allows it)."""
    if value.dtype != self.dtype:
        if value.dtype.is_floating_point and not self.dtype.is_floating_point:
            raise RuntimeError(
                f"result type {_SCALAR_NAMES[value.dtype]} can't be cast to the desired output type "
                f"{_SCALAR_NAMES[self.dtype]}"
            )
        value = _C._cast(value, self.dtype)
    if tuple(value.shape) != tuple(self.shape):
        value = value.expand(*self.shape)
    return _C._copy_(self, value)


def _unary_inplace(name):
    fn = FUNCTIONS[name]

    def method(self, *args, **kwargs):
        return _assign_result(self, fn(self, *args, **kwargs))

    method.__name__ = name + "_"
    METHODS[name + "_"] = method


for _name in ["neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "silu", "sin",
              "cos", "erf", "floor", "ceil", "round", "trunc", "sign", "clamp", "logical_not", "bitwise_not", "square",
              "reciprocal", "lerp", "frac", "nan_to_num"]:
    _unary_inplace(_name)
METHODS["clip_"] = METHODS["clamp_"]
METHODS["negative_"] = METHODS["neg_"]


def _masked_fill_(self, mask, value):
    return _assign_result(self, where(mask, value, self))


def zero_(self):
    return _C._fill_(self, 0)


def fill_(self, value):
    if isinstance(value, _C.Tensor):
        if value.dim() != 0:
            raise RuntimeError(
                f"fill_(): fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions."
            )
        return _C._copy_(self, _C._cast(value, self.dtype).expand(*self.shape))
    return _C._fill_(self, value)


def copy_(self, src, non_blocking=False):
    if not isinstance(src, _C.Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _C._copy_(self, src)


METHODS["zero_"] = zero_
METHODS["fill_"] = fill_
METHODS["copy_"] = copy_
METHODS["masked_fill_"] = _masked_fill_
