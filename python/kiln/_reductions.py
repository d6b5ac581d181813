"""Reductions, scans and softmax as kiln functions and Tensor methods, composed from kiln._C's recorders.

kiln.reduce does the sums, means, products, extrema and arg-extrema; var/std, logsumexp, norms and softmax are
compositions of it; cumsum/cumprod are Hillis-Steele scans (log2(n) shifted adds) since the dialect has no scan op.
"""

import builtins
import collections
import math

from kiln._registry import exporter
from kiln import _C
from kiln._ops import _SCALAR_NAMES, _assign_result

FUNCTIONS = {}
METHODS = {}

_SUM, _MEAN, _PROD, _MAX, _MIN, _ARGMAX, _ARGMIN = range(7)
_INF = float("inf")
# Dialect element types, for the attributes of ops recorded with _C._record.
ELEMENT_TYPES = {_C.float32: "f32", _C.float64: "f64", _C.float16: "f16", _C.bfloat16: "bf16", _C.int8: "i8",
                 _C.int32: "i32", _C.int64: "i64", _C.uint8: "ui8", _C.bool: "i1"}


_export = exporter(FUNCTIONS, METHODS)


def return_type(name, fields):
    """A named tuple type like torch.return_types.<name> (values/indices pairs of max, sort, topk, ...)."""
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "kiln.return_types"
    return cls


_MaxMin = {name: return_type(name, ["values", "indices"]) for name in ("max", "min")}
_AminMax = return_type("aminmax", ["min", "max"])
_Median = return_type("median", ["values", "indices"])


def attr_value(number, dtype):
    """`number` as an MLIR typed scalar attribute of `dtype`'s element type (the `value` of kiln.pad)."""
    elem = ELEMENT_TYPES[dtype]
    if dtype is _C.bool:
        return "true" if number else "false"
    if dtype.is_floating_point:
        return f"{float(number):e} : {elem}"
    return f"{int(number)} : {elem}"


def wrap_dim(op, dim, ndim):
    """`dim` normalized into [0, ndim) (a 0-d tensor takes -1 and 0), with PyTorch's IndexError."""
    if isinstance(dim, builtins.bool) or not hasattr(dim, "__index__"):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = dim.__index__()
    bound = builtins.max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but got {dim})")
    return dim + bound if dim < 0 else dim


def _dim_list(op, dim, ndim):
    """dim=None/int/sequence -> sorted unique normalized dims, or None for every dimension (also for an empty
    sequence, as PyTorch's sum(dim=[]) does)."""
    if dim is None:
        return None
    dims = [dim] if hasattr(dim, "__index__") and not isinstance(dim, _C.Tensor) else list(dim)
    if not dims:
        return None
    wrapped = [wrap_dim(op, d, ndim) for d in dims]
    if ndim == 0:
        return [0]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"{op}(): dim {d} appears multiple times in the list of dims")
    return sorted(wrapped)


def _reduced(shape, dims, keepdim):
    """The shape a reduction over `dims` (None: all) leaves, and the number of elements each output reduces."""
    dims = range(len(shape)) if dims is None else dims
    count = math.prod(shape[d] for d in dims if d < len(shape))
    if keepdim:
        out = [1 if d in dims else s for d, s in enumerate(shape)]
    else:
        out = [s for d, s in enumerate(shape) if d not in dims]
    return out, count


def _reduce(op, kind, input, dim, keepdim=False, dtype=None):
    if not isinstance(input, _C.Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return _C._reduce(op, kind, input, _dim_list(op, dim, input.dim()), keepdim, dtype)


@_export("sum")
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over `dim` (None: all); integers and bools sum in int64 unless `dtype` says otherwise."""
    return _reduce("sum", _SUM, input, dim, keepdim, dtype)


@_export("mean")
def mean(input, dim=None, keepdim=False, *, dtype=None):
    return _reduce("mean", _MEAN, input, dim, keepdim, dtype)


@_export("prod")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    return _reduce("prod", _PROD, input, dim, keepdim, dtype)


@_export("nansum")
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    if input.dtype.is_floating_point:
        input = _C._where(input != input, 0, input)
    return _reduce("nansum", _SUM, input, dim, keepdim, dtype)


@_export("nanmean")
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    x = input if dtype is None else _C._cast(input, dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got {_SCALAR_NAMES[x.dtype]}")
    valid = x == x
    total = _reduce("nanmean", _SUM, _C._where(valid, x, 0), dim, keepdim)
    return total / _C._cast(_reduce("nanmean", _SUM, valid, dim, keepdim), x.dtype)


def _no_identity_check(op, input):
    """Extrema of a whole empty tensor have no value; PyTorch asks for a dim."""
    if input.numel() == 0:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                           "Specify the reduction dim with the 'dim' argument.")


def _extremum(op, input, dim, keepdim, other):
    if isinstance(dim, _C.Tensor) or other is not None:
        other = dim if other is None else other
        return _C._binary(_C._BINARY["maximum" if op == "max" else "minimum"], input, other)
    value_kind, index_kind = (_MAX, _ARGMAX) if op == "max" else (_MIN, _ARGMIN)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}(): keepdim=True needs a dim")
        _no_identity_check(op, input)
        return _C._reduce(op, value_kind, input, None, False)
    d = [wrap_dim(op, dim, input.dim())]
    values = _C._reduce(op, value_kind, input, d, keepdim)
    return _MaxMin[op](values, _C._reduce(op, index_kind, input, d, keepdim))


@_export("max")
def max(input, dim=None, keepdim=False, *, other=None):
    """max(x) -> the largest value; max(x, dim, keepdim) -> (values, indices); max(x, other) -> maximum."""
    return _extremum("max", input, dim, keepdim, other)


@_export("min")
def min(input, dim=None, keepdim=False, *, other=None):
    return _extremum("min", input, dim, keepdim, other)


def _arg_extremum(op, kind, input, dim, keepdim):
    if dim is None:
        _no_identity_check(op, input)
        return _C._reduce(op, kind, input, None, keepdim)
    return _C._reduce(op, kind, input, [wrap_dim(op, dim, input.dim())], keepdim)


@_export("argmax")
def argmax(input, dim=None, keepdim=False):
    """Index of the largest value along `dim`, or in the flattened tensor when dim is None (NaN counts as largest)."""
    return _arg_extremum("argmax", _ARGMAX, input, dim, keepdim)


@_export("argmin")
def argmin(input, dim=None, keepdim=False):
    return _arg_extremum("argmin", _ARGMIN, input, dim, keepdim)


@_export("amax")
def amax(input, dim=(), keepdim=False):
    """Largest value over the dims in `dim` (every dim when empty); propagates NaN."""
    return _reduce("amax", _MAX, input, dim, keepdim)


@_export("amin")
def amin(input, dim=(), keepdim=False):
    return _reduce("amin", _MIN, input, dim, keepdim)


@_export("aminmax")
def aminmax(input, *, dim=None, keepdim=False):
    if dim is not None:
        dim = wrap_dim("aminmax", dim, input.dim())
    elif input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    return _AminMax(_reduce("aminmax", _MIN, input, dim, keepdim), _reduce("aminmax", _MAX, input, dim, keepdim))


@_export("median")
def median(input, dim=None, keepdim=False):
    """The lower median (element (n - 1) // 2 of the sorted values), NaN if any value is NaN; with `dim`,
    (values, indices), the index of a NaN median being that of the first NaN."""
    if dim is None:
        if input.numel() == 0:
            if not input.dtype.is_floating_point:
                raise RuntimeError("median(): cannot compute the median of an empty integer tensor")
            return _C._full([], float("nan"), input.dtype)
        flat = input.reshape(-1)
        value = _C._sort(flat, 0, False, True)[0].select(0, (flat.numel() - 1) // 2).clone()
        if input.dtype.is_floating_point:
            value = _C._where(any(flat != flat), float("nan"), value)
        return value
    d = wrap_dim("median", dim, input.dim())
    if input.dim() == 0:
        return _Median(input.clone(), _C._full([], 0, _C.int64))
    if input.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    values, indices = _C._sort(input, d, False, True)
    middle = (input.shape[d] - 1) // 2
    values, indices = values.select(d, middle).clone(), indices.select(d, middle).clone()
    if input.dtype.is_floating_point:
        nan = input != input
        has_nan = any(nan, d)
        values = _C._where(has_nan, float("nan"), values)
        indices = _C._where(has_nan, _C._reduce("median", _ARGMAX, nan, [d], False), indices)
    if keepdim:
        values, indices = values.unsqueeze(d), indices.unsqueeze(d)
    return _Median(values, indices)


# ----------------------------------------------------------------------------------------------------- var / std


def _correction(op, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): Cannot specify both unbiased and correction")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _var_mean(op, input, dim, unbiased, keepdim, correction):
    """(variance, mean) over `dim`: the mean first, then the sum of squared deviations (two passes, so a large
    mean costs no accuracy), divided by max(0, N - correction)."""
    if isinstance(dim, builtins.bool):  # var(x, True): the legacy `unbiased` positional
        dim, unbiased = None, dim
    correction = _correction(op, unbiased, correction)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): std and var only support floating point and complex dtypes")
    dims = _dim_list(op, dim, input.dim())
    out_shape, count = _reduced(input.shape, dims, keepdim)
    x = _C._cast(input, _C.float32) if input.dtype in (_C.float16, _C.bfloat16) else input
    mu = _C._reduce(op, _MEAN, x, dims, True)
    deviation = x - mu
    var = _C._reduce(op, _SUM, deviation * deviation, dims, keepdim) / builtins.max(0, count - correction)
    return _C._cast(var, input.dtype), _C._cast(mu.reshape(out_shape), input.dtype)


@_export("var")
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` with Bessel's `correction` (default 1; `unbiased=False` means 0)."""
    return _var_mean("var", input, dim, unbiased, keepdim, correction)[0]


@_export("std")
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _C._unary(_C._UNARY["sqrt"], _var_mean("std", input, dim, unbiased, keepdim, correction)[0])


@_export("var_mean", method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var_mean("var_mean", input, dim, unbiased, keepdim, correction)


@_export("std_mean", method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    var, mu = _var_mean("std_mean", input, dim, unbiased, keepdim, correction)
    return _C._unary(_C._UNARY["sqrt"], var), mu


# ------------------------------------------------------------------------------------- logsumexp, all/any, norms


def _to_float(input):
    return input if input.dtype.is_floating_point else _C._cast(input, _C.float32)


def _finite_or_zero(m):
    """`m` with its infinities replaced by 0: the shift of a stable log-sum-exp (an all -inf row stays -inf)."""
    return _C._where(_C._unary(_C._UNARY["abs"], m) == _INF, _C._full([], 0, m.dtype), m)


@_export("logsumexp")
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over `dim`, shifted by the max so large values do not overflow."""
    x = _to_float(input)
    dims = _dim_list("logsumexp", dim, x.dim())
    out_shape, count = _reduced(x.shape, dims, keepdim)
    exp, log = _C._UNARY["exp"], _C._UNARY["log"]
    if count == 0:
        return _C._unary(log, _C._reduce("logsumexp", _SUM, _C._unary(exp, x), dims, keepdim))
    shift = _finite_or_zero(_C._reduce("logsumexp", _MAX, x, dims, True))
    total = _C._reduce("logsumexp", _SUM, _C._unary(exp, x - shift), dims, keepdim)
    return _C._unary(log, total) + shift.reshape(out_shape)


def _all_any(op, input, dim, keepdim):
    dims = _dim_list(op, dim, input.dim())
    out_shape, count = _reduced(input.shape, dims, keepdim)
    if count == 0:
        result = _C._full(out_shape, op == "all", _C.bool)
    else:
        truth = input if input.dtype is _C.bool else input != 0
        result = _C._reduce(op, _MIN if op == "all" else _MAX, truth, dims, keepdim)
    # PyTorch keeps uint8 for uint8 inputs (NumPy's old convention); every other dtype gives bool.
    return _C._cast(result, _C.uint8) if input.dtype is _C.uint8 else result


@_export("all")
def all(input, dim=None, keepdim=False):
    """True where every element over `dim` is nonzero (True for an empty reduction)."""
    return _all_any("all", input, dim, keepdim)


@_export("any")
def any(input, dim=None, keepdim=False):
    return _all_any("any", input, dim, keepdim)


@_export("count_nonzero")
def count_nonzero(input, dim=None):
    return _reduce("count_nonzero", _SUM, input != 0, dim, False)


def norm_over(op, input, ord, dim, keepdim, dtype):
    """The vector `ord`-norm of the elements over `dim` (None: all), as torch.linalg.vector_norm; errors name `op`."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): Expected a floating point or complex tensor as input. Got "
                           f"{_SCALAR_NAMES[input.dtype]}")
    x = input if dtype is None else _C._cast(input, dtype)
    dims = _dim_list(op, dim, x.dim())
    _, count = _reduced(x.shape, dims, keepdim)
    a = _C._unary(_C._UNARY["abs"], x)
    if ord in (_INF, -_INF):
        if count == 0:
            raise RuntimeError(f"{op}(): cannot compute the {ord} norm on an empty tensor because the operation "
                               "does not have an identity")
        return _C._reduce(op, _MAX if ord > 0 else _MIN, a, dims, keepdim)
    if ord == 0:
        return _C._cast(_C._reduce(op, _SUM, a != 0, dims, keepdim), x.dtype)
    if ord == 1:
        return _C._reduce(op, _SUM, a, dims, keepdim)
    if ord == 2:
        return _C._unary(_C._UNARY["sqrt"], _C._reduce(op, _SUM, a * a, dims, keepdim))
    if ord < 0 and count == 0:
        raise RuntimeError(f"{op}(): cannot compute the {ord} norm on an empty tensor because the operation "
                           "does not have an identity")
    total = _C._reduce(op, _SUM, _C._binary(_C._BINARY["pow"], a, float(ord)), dims, keepdim)
    return _C._binary(_C._BINARY["pow"], total, 1.0 / ord)


@_export("norm")
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: 'fro' (or None) is the 2-norm of the elements over `dim`; a number p is the vector p-norm."""
    if p is None or p == "fro":
        if dim is not None and not hasattr(dim, "__index__") and len(dim) > 2:
            raise RuntimeError("norm(): the Frobenius norm takes at most two dims")
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): the {p!r} norm needs a matrix decomposition, which kiln does not implement")
    return norm_over("norm", input, p, dim, keepdim, dtype)


# ---------------------------------------------------------------------------------------------- scans, softmax


def _scan(op, combine, identity, input, dim, dtype):
    """Inclusive scan along `dim` by Hillis-Steele steps: x <- combine(x, x shifted by k along dim), k = 1, 2, 4, ...
    The shift is a slice padded with the identity in front, so each step is one slice, one pad and one op."""
    if dtype is not None:
        x = _C._cast(input, dtype)
    elif input.dtype.is_floating_point:
        x = input
    else:
        x = _C._cast(input, _C.int64)  # PyTorch scans integers and bools in int64
    d = wrap_dim(op, dim, input.dim())
    if x is input:
        x = input.clone()
    if x.dim() == 0:
        return x
    n, rank = x.shape[d], x.dim()
    value = "" if identity == 0 else ", value = " + attr_value(identity, x.dtype)
    k = 1
    while k < n:
        low = [k if i == d else 0 for i in range(rank)]
        high = [0] * rank
        attrs = (f"high = array<i64: {', '.join(map(str, high))}>, low = array<i64: {', '.join(map(str, low))}>"
                 + value)
        shifted = _C._record("kiln.pad", [x._slice(d, 0, n - k, 1)], x.dtype, list(x.shape), attrs)
        x = _C._binary(combine, x, shifted)
        k *= 2
    return x


@_export("cumsum")
def cumsum(input, dim, *, dtype=None):
    """Running sums along `dim` (integers and bools in int64 unless `dtype` is given)."""
    return _scan("cumsum", _C._BINARY["add"], 0, input, dim, dtype)


@_export("cumprod")
def cumprod(input, dim, *, dtype=None):
    return _scan("cumprod", _C._BINARY["mul"], 1, input, dim, dtype)


def _cumsum_(self, dim, *, dtype=None):
    return _assign_result(self, cumsum(self, dim, dtype=dtype))


def _cumprod_(self, dim, *, dtype=None):
    return _assign_result(self, cumprod(self, dim, dtype=dtype))


METHODS["cumsum_"] = _cumsum_
METHODS["cumprod_"] = _cumprod_


def _softmax_input(op, input, dim, dtype):
    x = input if dtype is None else _C._cast(input, dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected a floating point input (or a floating dtype=), got "
                           f"{_SCALAR_NAMES[x.dtype]}")
    d = [wrap_dim(op, dim, x.dim())]
    # Half types accumulate in float32, as PyTorch's CPU kernels do.
    wide = _C._cast(x, _C.float32) if x.dtype in (_C.float16, _C.bfloat16) else x
    if x.numel() == 0:
        return x, wide, None
    return x, wide, wide - _C._reduce(op, _MAX, wide, d, True)


@_export("softmax")
def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along `dim`, computed from x - max(x) (a NaN in a row makes the row NaN)."""
    x, wide, shifted = _softmax_input("softmax", input, dim, dtype)
    if shifted is None:
        return x.clone()
    e = _C._unary(_C._UNARY["exp"], shifted)
    d = [wrap_dim("softmax", dim, x.dim())]
    return _C._cast(e / _C._reduce("softmax", _SUM, e, d, True), x.dtype)


@_export("log_softmax")
def log_softmax(input, dim, dtype=None):
    x, wide, shifted = _softmax_input("log_softmax", input, dim, dtype)
    if shifted is None:
        return x.clone()
    d = [wrap_dim("log_softmax", dim, x.dim())]
    total = _C._reduce("log_softmax", _SUM, _C._unary(_C._UNARY["exp"], shifted), d, True)
    return _C._cast(shifted - _C._unary(_C._UNARY["log"], total), x.dtype)
