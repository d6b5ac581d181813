"""Creation ops (zeros, full, arange, linspace, eye, *_like, as_tensor) as kiln functions and Tensor methods.

Constant tensors are lazy splats; ranges are index arithmetic over a cached int64 iota with their bounds passed
as 0-d tensors, so the programs they record are keyed by shape and dtype, not by the values asked for.
Random sampling lives in _random.py and is installed from here.
"""

import builtins
import math
import operator

import numpy as np

from kiln._registry import exporter
from kiln import _C
from kiln._tensor import _FROM_NUMPY, _grad_option, tensor

FUNCTIONS = {}
METHODS = {}

Tensor = _C.Tensor
_B = _C._BINARY


_export = exporter(FUNCTIONS, METHODS)


# ---------------------------------------------------------------------------------------------------------------
# Argument parsing shared by the creation, random and conversion ops.


def _check_device(op, device):
    """Accepts None, 'cpu' or a cpu kiln.device; other devices are not supported yet."""
    if device is None:
        return
    if isinstance(device, str):
        device = _C.device(device)
    elif isinstance(device, builtins.int) and not isinstance(device, builtins.bool):
        device = _C.device("cuda", device)
    elif not isinstance(device, _C.device):
        raise TypeError(f"{op}(): argument 'device' must be kiln.device, not {type(device).__name__}")
    if device.type != "cpu":
        raise NotImplementedError(f"{op}(): tensors on device '{device}' are not supported yet; only cpu is")


def _check_dtype(op, dtype, default):
    if dtype is None:
        return default
    if not isinstance(dtype, _C.dtype):
        raise TypeError(f"{op}(): argument 'dtype' must be kiln.dtype, not {type(dtype).__name__}")
    return dtype


def _check_options(op, dtype, device, requires_grad, default=_C.float32):
    """The dtype to create (`default` when None) after checking the device (requires_grad is applied by
    _grad_option, around the whole function)."""
    _check_device(op, device)
    return _check_dtype(op, dtype, default)


def _is_int(value):
    return not isinstance(value, builtins.bool) and hasattr(value, "__index__")


def _parse_size(op, args, size=None):
    """Sizes given as varargs (zeros(2, 3)), one sequence (zeros((2, 3))) or the size= keyword."""
    if size is not None:
        if args:
            raise TypeError(f"{op}(): got multiple values for argument 'size'")
        sizes = size
    elif len(args) == 1 and isinstance(args[0], (tuple, list)):
        sizes = args[0]
    elif not args:
        raise TypeError(f"{op}(): missing required argument 'size'")
    else:
        sizes = args
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but got {type(sizes).__name__}")
    out = []
    for pos, item in enumerate(sizes):
        if not _is_int(item):
            raise TypeError(
                f"{op}(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(item).__name__} at pos {pos}"
            )
        out.append(operator.index(item))
    for item in out:
        if item < 0:
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {item}: {out}")
    return tuple(out)


def _parse_size_arg(op, size):
    """A `size` argument that must be a sequence (full, randint, normal), not varargs."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but got {type(size).__name__}")
    return _parse_size(op, (size,))


def _check_tensor(op, value, name="input"):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(value).__name__}")


def _number(op, name, value):
    """A Python bool/int/float from a number, a NumPy scalar or a one-element tensor."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(
                f"{op}(): argument '{name}' must be a number or a one-element tensor, "
                f"got a tensor with {value.numel()} elements"
            )
        return value.item()
    if isinstance(value, (builtins.bool, np.bool_)):
        return builtins.bool(value)
    if _is_int(value):
        return operator.index(value)
    if isinstance(value, (builtins.float, np.floating)):
        return builtins.float(value)
    raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(value).__name__}")


def _dtype_of_number(value):
    """PyTorch's inference for a Python number: bool, int64 or the default float32."""
    if isinstance(value, builtins.bool):
        return _C.bool
    if isinstance(value, builtins.int):
        return _C.int64
    return _C.float32


def _scalar(value, dtype):
    """A materialized 0-d tensor holding `value`: a program input, so its value is not part of the cache key."""
    return tensor(value, dtype=dtype)


# ---------------------------------------------------------------------------------------------------------------
# Constant tensors.


@_export("zeros", method=False)
@_grad_option
def zeros(*args, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros (float32 unless told otherwise)."""
    dtype = _check_options("zeros", dtype, device, requires_grad)
    return _C._full(_parse_size("zeros", args, size), 0, dtype)


@_export("ones", method=False)
@_grad_option
def ones(*args, size=None, dtype=None, device=None, requires_grad=False):
    """A tensor of ones (float32 unless told otherwise)."""
    dtype = _check_options("ones", dtype, device, requires_grad)
    return _C._full(_parse_size("ones", args, size), 1, dtype)


@_export("full", method=False)
@_grad_option
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with `fill_value`; the dtype follows the value (bool, int64 or float32) unless given."""
    sizes = _parse_size_arg("full", size)
    value = _number("full", "fill_value", fill_value)
    dtype = _check_options("full", dtype, device, requires_grad, _dtype_of_number(value))
    return _C._full(sizes, value, dtype)


@_export("empty", method=False)
@_grad_option
def empty(*args, size=None, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialized contiguous tensor (float32 unless told otherwise)."""
    dtype = _check_options("empty", dtype, device, requires_grad)
    return _C.empty(_parse_size("empty", args, size), dtype, _C.device("cpu"))


def _like_options(op, input, dtype, device, requires_grad):
    _check_tensor(op, input)
    return _check_options(op, dtype, device, requires_grad, input.dtype)


# Results are contiguous: PyTorch's memory_format=preserve_format would keep a permuted input's strides.
@_export("zeros_like", method=False)
@_grad_option
def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype = _like_options("zeros_like", input, dtype, device, requires_grad)
    return _C._full(input.shape, 0, dtype)


@_export("ones_like", method=False)
@_grad_option
def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype = _like_options("ones_like", input, dtype, device, requires_grad)
    return _C._full(input.shape, 1, dtype)


@_export("full_like", method=False)
@_grad_option
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype = _like_options("full_like", input, dtype, device, requires_grad)
    return _C._full(input.shape, _number("full_like", "fill_value", fill_value), dtype)


@_export("empty_like", method=False)
@_grad_option
def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    dtype = _like_options("empty_like", input, dtype, device, requires_grad)
    return _C.empty(input.shape, dtype, _C.device("cpu"))


# ---------------------------------------------------------------------------------------------------------------
# From existing data.


def _shareable_array(array, dtype):
    """The array as a tensor over its memory, or None when that needs a copy (dtype, byte order, strides)."""
    kiln_dtype = _FROM_NUMPY.get(array.dtype)
    if kiln_dtype is None or (dtype is not None and dtype is not kiln_dtype):
        return None
    if any(s < 0 or s % array.itemsize for s in array.strides):
        return None
    return _C.from_numpy(array)


@_export("as_tensor", method=False)
def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory when it already is one (or a NumPy array) of that dtype."""
    _check_device("as_tensor", device)
    dtype = _check_dtype("as_tensor", dtype, None)
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data.dtype else _C._cast(data, dtype)
    if isinstance(data, np.ndarray):
        shared = _shareable_array(data, dtype)
        if shared is not None:
            return shared
    return tensor(data, dtype=dtype)


@_export("asarray", method=False)
@_grad_option
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """torch.asarray: shares memory with tensors, NumPy arrays and DLPack exporters unless a copy is needed or
    asked for (copy=True); copy=False raises when sharing is impossible."""
    _check_device("asarray", device)
    dtype = _check_dtype("asarray", dtype, None)
    if isinstance(obj, Tensor) or (hasattr(obj, "__dlpack__") and not isinstance(obj, np.ndarray)):
        from kiln._convert import from_dlpack

        source = obj if isinstance(obj, Tensor) else from_dlpack(obj)
        if dtype is not None and dtype is not source.dtype:
            if copy is False:
                raise ValueError(f"asarray(): converting {source.dtype} to {dtype} requires a copy, but copy=False")
            return _C._cast(source, dtype)
        return source.clone() if copy else source
    if isinstance(obj, np.ndarray) and not copy:
        shared = _shareable_array(obj, dtype)
        if shared is not None:
            return shared
    if copy is False:
        raise ValueError(f"asarray(): can't share the memory of this {type(obj).__name__}, but copy=False")
    return tensor(obj, dtype=dtype)


# ---------------------------------------------------------------------------------------------------------------
# Ranges: index arithmetic over an int64 iota.

# A process-wide int64 iota; ranges read a prefix of it. Grown to powers of two, never past _IOTA_CACHED elements.
_IOTA = []
_IOTA_CACHED = 1 << 22


def _iota(n):
    """int64 tensor [0, 1, ..., n-1], a view of memory: index data, not a user's numerics."""
    if n > _IOTA_CACHED:
        return _C.from_numpy(np.arange(n, dtype=np.int64))
    if not _IOTA or _IOTA[0].numel() < n:
        capacity = max(64, 1 << (n - 1).bit_length())
        _IOTA[:] = [_C.from_numpy(np.arange(capacity, dtype=np.int64))]
    return _IOTA[0]._slice(0, 0, n, 1)


def _float_iota(n):
    return _C._cast(_iota(n), _C.float64)


def _range_bounds(op, value, name):
    value = _number(op, name, value)
    return builtins.int(value) if isinstance(value, builtins.bool) else value


@_export("arange", method=False)
@_grad_option
def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values start, start + step, ... below end (above it for a negative step), as torch.arange."""
    if end is None:
        start, end = 0, start
    start = _range_bounds("arange", start, "start")
    end = _range_bounds("arange", end, "end")
    step = _range_bounds("arange", step, "step")
    inferred = _C.float32 if any(isinstance(v, builtins.float) for v in (start, end, step)) else _C.int64
    dtype = _check_options("arange", dtype, device, requires_grad, inferred)
    if dtype is _C.bool:
        raise RuntimeError("arange(): \"arange_cpu\" not implemented for 'Bool'")
    for value in (start, end):
        if not math.isfinite(value):
            raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
    if not math.isfinite(step):
        raise RuntimeError(f"arange(): step must be finite, got {step}")
    floating = dtype.is_floating_point
    # Integer results compute in int64 from the truncated bounds, as PyTorch's kernel does.
    if floating:
        xstart, xend, xstep = start, end, step
    else:
        xstart, xend, xstep = builtins.int(start), builtins.int(end), builtins.int(step)
    if xstep == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if not ((xstep > 0 and xend >= xstart) or (xstep < 0 and xend <= xstart)):
        raise RuntimeError("arange(): upper bound and larger bound inconsistent with step sign")
    if dtype is _C.int64:
        sign = 1 if xstep > 0 else -1
        n = (xend - xstart + xstep - sign) // xstep
    else:
        n = math.ceil((builtins.float(end) - builtins.float(start)) / builtins.float(step))
    if n > 2**63 - 1:
        raise RuntimeError("arange(): invalid size, possible overflow?")
    if floating:
        # start + i * step in double, then rounded once to the result dtype.
        first = _scalar(builtins.float(xstart), _C.float64)
        values = _float_iota(n) * _scalar(builtins.float(xstep), _C.float64) + first
    else:
        values = _iota(n) * _scalar(xstep, _C.int64) + _scalar(xstart, _C.int64)
    return _C._cast(values, dtype)


def _linspace_float64(start, end, steps, integral):
    """float64 linspace by PyTorch's two-sided formula: exact at both ends and symmetric about the middle."""
    if integral:
        start, end = builtins.int(start), builtins.int(end)
    if steps == 1:
        return _scalar(builtins.float(start), _C.float64).reshape(1)
    first = _scalar(builtins.float(start), _C.float64)
    last = _scalar(builtins.float(end), _C.float64)
    index = _float_iota(steps)
    step = (last - first) / (steps - 1)
    low = first + step * index
    high = last - step * _C._binary(_B["sub"], steps - 1, index)
    return _C._where(index < steps // 2, low, high)


def _space_options(op, start, end, steps, dtype, device, requires_grad):
    start = _range_bounds(op, start, "start")
    end = _range_bounds(op, end, "end")
    if not _is_int(steps):
        raise TypeError(f"{op}(): argument 'steps' must be int, not {type(steps).__name__}")
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError(f"{op}(): number of steps must be non-negative")
    dtype = _check_options(op, dtype, device, requires_grad)
    if dtype is _C.bool:
        raise RuntimeError(f"{op}(): \"{op}_cpu\" not implemented for 'Bool'")
    return start, end, steps, dtype


@_export("linspace", method=False)
@_grad_option
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from start to end inclusive (float32 unless told otherwise)."""
    start, end, steps, dtype = _space_options("linspace", start, end, steps, dtype, device, requires_grad)
    if steps == 0:
        return _C._full((0,), 0, dtype)
    return _C._cast(_linspace_float64(start, end, steps, not dtype.is_floating_point), dtype)


@_export("logspace", method=False)
@_grad_option
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """base ** linspace(start, end, steps), computed in float64 and rounded to `dtype`."""
    start, end, steps, dtype = _space_options("logspace", start, end, steps, dtype, device, requires_grad)
    base = _number("logspace", "base", base)
    if steps == 0:
        return _C._full((0,), 0, dtype)
    exponents = _linspace_float64(start, end, steps, not dtype.is_floating_point)
    return _C._cast(_C._binary(_B["pow"], _scalar(builtins.float(base), _C.float64), exponents), dtype)


@_export("eye", method=False)
@_grad_option
def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """An n x m matrix (m defaults to n) with ones on the diagonal."""
    dtype = _check_options("eye", dtype, device, requires_grad)
    for name, value in (("n", n), ("m", m)):
        if value is None:
            continue
        if not _is_int(value):
            raise TypeError(f"eye(): argument '{name}' must be int, not {type(value).__name__}")
        if operator.index(value) < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {operator.index(value)}")
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    diagonal = _C._binary(_B["eq"], _iota(n).unsqueeze(1), _iota(m).unsqueeze(0))
    return _C._cast(diagonal, dtype)


# Random sampling has its own file; it is installed with the creation ops.
from kiln import _random  # noqa: E402

FUNCTIONS.update(_random.FUNCTIONS)
METHODS.update(_random.METHODS)
