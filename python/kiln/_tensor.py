"""The Python half of kiln.Tensor: construction from Python data, indexing, and conversion to Python values.

Only argument parsing and data marshaling live here; every view is a C++ op.
"""

import builtins
import operator

import numpy as np

from kiln import _C
from kiln._size import Size
from kiln._tensor_str import tensor_repr

Tensor = _C.Tensor

# NumPy holds every Kiln dtype but bfloat16, which travels as float32.
_NUMPY_DTYPES = {
    _C.float32: np.float32,
    _C.float64: np.float64,
    _C.float16: np.float16,
    _C.bfloat16: np.float32,
    _C.int8: np.int8,
    _C.int32: np.int32,
    _C.int64: np.int64,
    _C.uint8: np.uint8,
    _C.bool: np.bool_,
}
_FROM_NUMPY = {np.dtype(v): k for k, v in _NUMPY_DTYPES.items() if k is not _C.bfloat16}


def _parse_device(device):
    if device is None:
        return _C.device("cpu")
    if isinstance(device, _C.device):
        return device
    if isinstance(device, str):
        return _C.device(device)
    raise TypeError(f"tensor(): device must be a str or kiln.device, not {type(device).__name__}")


def _infer_array(data):
    """Python data -> a NumPy array in the dtype PyTorch would infer."""
    if isinstance(data, Tensor):
        return _to_numpy_values(data), data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        if array.dtype not in _FROM_NUMPY:
            raise TypeError(
                f"tensor(): can't convert np.ndarray of type numpy.{array.dtype}. The only "
                "supported types are: float64, float32, float16, int64, int32, int8, uint8, and bool."
            )
        return array, _FROM_NUMPY[array.dtype]
    try:
        array = np.array(data)
    except ValueError as error:
        raise ValueError(f"tensor(): could not build a tensor from the nested data: {error}") from None
    if array.dtype.kind == "b":
        return array, _C.bool
    if array.dtype.kind in "iu":
        return array, _C.int64
    if array.dtype.kind == "f":
        # Python floats become the default dtype, float32, as in PyTorch.
        return array, _C.float32
    raise TypeError(f"tensor(): Could not infer dtype of {type(data).__name__} (NumPy saw {array.dtype})")


def tensor(data, dtype=None, device=None):
    """A new tensor holding a copy of `data` (nested lists, scalars, NumPy arrays or tensors)."""
    device = _parse_device(device)
    if dtype is not None and not isinstance(dtype, _C.dtype):
        raise TypeError(f"tensor(): dtype must be a kiln.dtype, not {type(dtype).__name__}")
    array, inferred = _infer_array(data)
    dtype = inferred if dtype is None else dtype
    if device.type != "cpu":
        return _C.empty(array.shape, dtype, device)
    array = np.asarray(array, dtype=_NUMPY_DTYPES[dtype], order="C")
    return _C._copy_from_numpy(array, dtype)


def empty(*size, dtype=None, device=None):
    """An uninitialized contiguous tensor (float32 on the CPU unless told otherwise)."""
    if len(size) == 1 and not isinstance(size[0], builtins.int):
        size = size[0]
    return _C.empty(size, _C.float32 if dtype is None else dtype, _parse_device(device))


def _to_numpy_values(t):
    """A NumPy array of the values, converting bfloat16 (which NumPy lacks) to float32."""
    if t.dtype is _C.bfloat16:
        return t._bfloat16_to_float32().numpy()
    return t.numpy()


def _index_int(value, what):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"__getitem__(): slice {what} must be an integer or None, not {type(value).__name__}"
        ) from None


def _getitem(self, index):
    """Basic indexing (ints, slices, None, ...) as a chain of select/slice/unsqueeze views."""
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        valid = item is None or item is Ellipsis or isinstance(item, slice)
        valid = valid or (not isinstance(item, builtins.bool) and hasattr(item, "__index__"))
        if not valid:
            raise IndexError(
                "__getitem__(): only integers, slices (`:`), ellipsis (`...`) and None are valid "
                f"indices (got {type(item).__name__})"
            )
    if sum(1 for item in items if item is Ellipsis) > 1:
        raise IndexError("__getitem__(): an index can only have a single ellipsis ('...')")
    consumed = sum(1 for item in items if item is not None and item is not Ellipsis)
    if consumed > self.dim():
        raise IndexError(f"__getitem__(): too many indices for tensor of dimension {self.dim()}")
    result, dim = self, 0
    for item in items:
        if item is None:
            result = result.unsqueeze(dim)
            dim += 1
        elif item is Ellipsis:
            dim += self.dim() - consumed
        elif isinstance(item, slice):
            start = None if item.start is None else _index_int(item.start, "start")
            stop = None if item.stop is None else _index_int(item.stop, "stop")
            step = 1 if item.step is None else _index_int(item.step, "step")
            if step <= 0:
                raise ValueError(f"__getitem__(): step must be greater than zero, got {step}")
            result = result._slice(dim, start, stop, step)
            dim += 1
        else:
            position = operator.index(item)
            size = result.size(dim)
            if not -size <= position < size:
                raise IndexError(
                    f"__getitem__(): index {position} is out of bounds for dimension {dim} with size {size}"
                )
            result = result.select(dim, position)
    return result


def _size(self, dim=None):
    if dim is None:
        return Size(self._sizes)
    return self._size(dim)


def _tolist(self):
    return _to_numpy_values(self).tolist()


def _item(self):
    if self.numel() != 1:
        raise RuntimeError(
            f"item(): a Tensor with {self.numel()} elements cannot be converted to Scalar"
        )
    return _to_numpy_values(self).reshape(-1)[0].item()


def _len(self):
    if self.dim() == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.size(0)


def _bool(self):
    if self.numel() != 1:
        raise RuntimeError(
            f"__bool__(): Boolean value of Tensor with {self.numel()} values is ambiguous"
        )
    return builtins.bool(self.item())


def _iter(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self.select(0, i) for i in range(self.size(0)))


def _array(self, dtype=None, copy=None):
    array = self.numpy()
    return array if dtype is None else array.astype(dtype, copy=False)


Tensor.shape = property(lambda self: Size(self._sizes), doc="The sizes as a kiln.Size.")
Tensor.size = _size
Tensor.__getitem__ = _getitem
Tensor.tolist = _tolist
Tensor.item = _item
Tensor.__len__ = _len
Tensor.__iter__ = _iter
Tensor.__bool__ = _bool
Tensor.__array__ = _array
Tensor.__repr__ = tensor_repr
Tensor.__str__ = tensor_repr
