"""Conversions: Tensor.to/type and the dtype shorthands, Python scalars, NumPy, pickling, DLPack, new_* factories.

Casts are kiln._C._cast (a lazy kiln.cast); this module parses PyTorch's argument forms around it.
"""

import builtins

import numpy as np

from kiln._registry import exporter
from kiln import _C
from kiln._creation import (
    _check_device,
    _check_dtype,
    _check_options,
    _check_tensor,
    _number,
    _parse_size,
    _parse_size_arg,
)
from kiln._tensor import _NUMPY_DTYPES, tensor

FUNCTIONS = {}
METHODS = {}

Tensor = _C.Tensor
# The C++ numpy() (zero-copy), before Tensor.numpy is replaced by the keyword-accepting wrapper below.
_numpy = Tensor.numpy


_export = exporter(FUNCTIONS, METHODS)


def _dtype_name(dtype):
    return str(dtype).rsplit(".", 1)[1]


# ---------------------------------------------------------------------------------------------------------------
# to(), type() and the dtype shorthands.


def _is_device(value):
    if isinstance(value, builtins.bool):
        return False
    return isinstance(value, (str, _C.device, builtins.int))


def _parse_to(args, kwargs):
    """(dtype, device, copy) from to(dtype), to(device[, dtype]), to(tensor) and their keyword forms."""
    args = list(args)
    dtype = device = None
    if args and isinstance(args[0], Tensor):
        other = args.pop(0)
        dtype, device = other.dtype, other.device
    elif args and isinstance(args[0], _C.dtype):
        dtype = args.pop(0)
    elif args and (args[0] is None or _is_device(args[0])):
        device = args.pop(0)
        if args and (args[0] is None or isinstance(args[0], _C.dtype)):
            dtype = args.pop(0)
    options = dict(zip(("non_blocking", "copy"), args))
    if len(args) > 2 or (args and not isinstance(args[0], builtins.bool)):
        raise TypeError(f"to() received an invalid combination of arguments: {args!r}")
    for name, value in kwargs.items():
        if name == "dtype" and dtype is None:
            dtype = value
        elif name == "device" and device is None:
            device = value
        elif name in ("non_blocking", "copy", "memory_format") and name not in options:
            options[name] = value
        else:
            raise TypeError(f"to() got an unexpected or repeated keyword argument '{name}'")
    return _check_dtype("to", dtype, None), device, builtins.bool(options.get("copy", False))


def _convert(self, dtype, copy=False):
    result = self if dtype is None or dtype is self.dtype else _C._cast(self, dtype)
    return result.clone() if copy and result is self else result


@_export("to", function=False)
def to(self, *args, **kwargs):
    """This tensor in another dtype (self when nothing changes, unless copy=True); only the cpu device exists."""
    if not kwargs and len(args) == 1 and isinstance(args[0], _C.dtype):  # to(dtype): the common form, made cheap
        return self if args[0] is self.dtype else _C._cast(self, args[0])
    dtype, device, copy = _parse_to(args, kwargs)
    _check_device("to", device)
    return _convert(self, dtype, copy)


@_export("type_as", function=False)
def type_as(self, other):
    _check_tensor("type_as", other, "other")
    return _convert(self, other.dtype)


_TYPE_NAMES = {
    _C.float32: "FloatTensor",
    _C.float64: "DoubleTensor",
    _C.float16: "HalfTensor",
    _C.bfloat16: "BFloat16Tensor",
    _C.int8: "CharTensor",
    _C.int32: "IntTensor",
    _C.int64: "LongTensor",
    _C.uint8: "ByteTensor",
    _C.bool: "BoolTensor",
}
_TYPES_BY_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


@_export("type", function=False)
def type_(self, dtype=None, non_blocking=False):
    """The type name ('kiln.FloatTensor') without an argument; else this tensor cast to `dtype` (a kiln.dtype
    or a name such as 'kiln.LongTensor')."""
    if dtype is None:
        return "kiln." + _TYPE_NAMES[self.dtype]
    if isinstance(dtype, str):
        prefix, _, name = dtype.rpartition(".")
        if prefix not in ("kiln", "torch") or name not in _TYPES_BY_NAME:
            raise ValueError(f"type(): invalid type: '{dtype}'")
        dtype = _TYPES_BY_NAME[name]
    return _convert(self, _check_dtype("type", dtype, None))


def _shorthand(name, dtype):
    def convert(self, memory_format=None):
        return _convert(self, dtype)

    convert.__name__ = name
    convert.__doc__ = f"self.to(kiln.{_dtype_name(dtype)})"
    _export(name, function=False)(convert)


for _name, _dtype in (
    ("float", _C.float32),
    ("double", _C.float64),
    ("half", _C.float16),
    ("bfloat16", _C.bfloat16),
    ("long", _C.int64),
    ("int", _C.int32),
    ("char", _C.int8),
    ("byte", _C.uint8),
    ("bool", _C.bool),
):
    _shorthand(_name, _dtype)
del _name, _dtype


@_export("short", function=False)
def short(self, memory_format=None):
    raise NotImplementedError("short(): Kiln has no int16 dtype; use int() (int32) or char() (int8)")


@_export("cpu", function=False)
def cpu(self, memory_format=None):
    """This tensor: every Kiln tensor already lives on the cpu."""
    return self


@_export("cuda", function=False)
def cuda(self, device=None, non_blocking=False, memory_format=None):
    raise NotImplementedError("cuda(): tensors on device 'cuda' are not supported yet; only cpu is")


METHODS["is_cpu"] = property(lambda self: self.device.type == "cpu", doc="True for tensors on the cpu.")


# ---------------------------------------------------------------------------------------------------------------
# Dtype queries and defaults.


@_export("is_tensor", method=False)
def is_tensor(obj):
    return isinstance(obj, Tensor)


@_export("is_floating_point")
def is_floating_point(input):
    _check_tensor("is_floating_point", input)
    return input.dtype.is_floating_point


@_export("numel", method=False)
def numel(input):
    _check_tensor("numel", input)
    return input.numel()


@_export("get_default_dtype", method=False)
def get_default_dtype():
    """float32, the dtype Python floats become; Kiln does not change it."""
    return _C.float32


@_export("set_default_dtype", method=False)
def set_default_dtype(d):
    if not isinstance(d, _C.dtype) or not d.is_floating_point:
        raise TypeError(f"set_default_dtype(): only floating-point types are supported as the default type, got {d}")
    if d is not _C.float32:
        raise NotImplementedError(f"set_default_dtype(): Kiln's default dtype is fixed at float32, got {d}")


# ---------------------------------------------------------------------------------------------------------------
# new_* factories: this tensor's dtype unless told otherwise.


@_export("new_zeros", function=False)
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    dtype = _check_options("new_zeros", dtype, device, requires_grad, self.dtype)
    return _C._full(_parse_size("new_zeros", size), 0, dtype)


@_export("new_ones", function=False)
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    dtype = _check_options("new_ones", dtype, device, requires_grad, self.dtype)
    return _C._full(_parse_size("new_ones", size), 1, dtype)


@_export("new_full", function=False)
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    dtype = _check_options("new_full", dtype, device, requires_grad, self.dtype)
    return _C._full(_parse_size_arg("new_full", size), _number("new_full", "fill_value", fill_value), dtype)


@_export("new_empty", function=False)
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    dtype = _check_options("new_empty", dtype, device, requires_grad, self.dtype)
    return _C.empty(_parse_size("new_empty", size), dtype, _C.device("cpu"))


@_export("new_tensor", function=False)
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    dtype = _check_options("new_tensor", dtype, device, requires_grad, self.dtype)
    return tensor(data, dtype=dtype)


# ---------------------------------------------------------------------------------------------------------------
# Python scalars and NumPy.


def _one_element(op, self):
    if self.numel() != 1:
        raise RuntimeError(f"{op}(): a Tensor with {self.numel()} elements cannot be converted to Scalar")
    return self.item()


METHODS["__float__"] = lambda self: builtins.float(_one_element("__float__", self))
METHODS["__int__"] = lambda self: builtins.int(_one_element("__int__", self))


def __index__(self):
    if self.dtype.is_floating_point or self.numel() != 1:
        raise TypeError("__index__(): only integer tensors of a single element can be converted to an index")
    return builtins.int(self.item())


def __format__(self, format_spec):
    # As PyTorch: 0-d tensors format as their value; others only with an empty spec.
    if self.dim() == 0:
        return self.item().__format__(format_spec)
    return object.__format__(self, format_spec)


METHODS["__index__"] = __index__
METHODS["__format__"] = __format__


@_export("numpy", function=False)
def numpy_(self, *, force=False):
    """A NumPy array over this tensor's memory (materialized first); bfloat16 has no NumPy dtype."""
    return _numpy(self)


# ---------------------------------------------------------------------------------------------------------------
# Pickling: the values (a view pickles as its own values), contiguous, little-endian; bfloat16 as its 16-bit words.


def _rebuild(data, dtype_name, shape):
    """Unpickles a tensor (Tensor.__reduce_ex__ refers here)."""
    dtype = _C._parse_dtype(dtype_name)
    if dtype is _C.bfloat16:
        # Each word is the upper half of a float32 with the same value; float32 -> bfloat16 is then exact.
        words = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        return _C._copy_from_numpy(words.view(np.float32).reshape(shape), dtype)
    array = np.frombuffer(data, dtype=np.dtype(_NUMPY_DTYPES[dtype]).newbyteorder("<"))
    return _C._copy_from_numpy(array.astype(_NUMPY_DTYPES[dtype]).reshape(shape), dtype)


def __reduce_ex__(self, protocol):
    if self.dtype is _C.bfloat16:
        widened = np.ascontiguousarray(self._bfloat16_to_float32().numpy())
        data = (widened.view(np.uint32) >> 16).astype("<u2").tobytes()
    else:
        array = _numpy(self)
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return (_rebuild, (data, _dtype_name(self.dtype), tuple(self.shape)))


METHODS["__reduce_ex__"] = __reduce_ex__


# ---------------------------------------------------------------------------------------------------------------
# DLPack (python/src/DLPackBindings.cpp): zero-copy exchange with NumPy and other frameworks, cpu only.

_DL_CPU = 1
# Device types whose memory the cpu can address (DLPack's kDLCPU, kDLCUDAHost, kDLCUDAManaged).
_DL_HOST_DEVICES = (1, 3, 13)


def __dlpack__(self, stream=None, *, max_version=None, dl_device=None, copy=None):
    """A DLPack capsule viewing this tensor's memory (materialized first); versioned (DLPack 1.0) when the
    consumer's max_version allows it, which also tells it the memory is writable."""
    if stream is not None:
        raise ValueError("__dlpack__(): stream must be None for cpu tensors")
    if dl_device is not None and tuple(dl_device) != (_DL_CPU, 0):
        raise BufferError(f"__dlpack__(): unsupported device requested: {dl_device}; only cpu (1, 0) is")
    versioned = max_version is not None and max_version[0] >= 1
    source = self.clone() if copy else self
    return _C._to_dlpack(source, versioned, builtins.bool(copy))


def __dlpack_device__(self):
    return (_DL_CPU, 0)


METHODS["__dlpack__"] = __dlpack__
METHODS["__dlpack_device__"] = __dlpack_device__


@_export("from_dlpack", method=False)
def from_dlpack(ext_tensor):
    """A tensor sharing the memory of an object with __dlpack__ (a NumPy array, a tensor of another framework)
    or of a DLPack capsule. The exporter's memory is read when programs run, as for from_numpy."""
    if hasattr(ext_tensor, "__dlpack__"):
        if hasattr(ext_tensor, "__dlpack_device__"):
            device = tuple(ext_tensor.__dlpack_device__())
            if device[0] not in _DL_HOST_DEVICES:
                raise NotImplementedError(
                    f"from_dlpack(): tensors on DLPack device {device} are not supported yet; only cpu is"
                )
        try:
            capsule = ext_tensor.__dlpack__(max_version=(1, 0))
        except TypeError:
            # Exporters older than DLPack 1.0 take no max_version.
            capsule = ext_tensor.__dlpack__()
    else:
        capsule = ext_tensor
    return _C._from_dlpack(capsule)
