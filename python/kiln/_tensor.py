"""The Python half of kiln.Tensor: construction from Python data and conversion to Python values.

Indexing (__getitem__/__setitem__) lives in _indexing.py.

Only argument parsing and data marshaling live here; every view is a C++ op.
"""

import builtins
import functools

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


def _grad_option(fn):
    """Gives a creation function PyTorch's requires_grad= keyword: the tensor it makes becomes a leaf that
    requires grad (integer and bool dtypes raise as requires_grad_ does)."""

    @functools.wraps(fn)
    def create(*args, requires_grad=False, **kwargs):
        result = fn(*args, **kwargs)
        if requires_grad:
            result.requires_grad_(True)
        return result

    return create


@_grad_option
def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, scalars, NumPy arrays or tensors)."""
    device = _parse_device(device)
    if device.type != "cpu":
        raise NotImplementedError(f"tensor(): tensors on device '{device}' are not supported yet; only cpu is")
    if dtype is not None and not isinstance(dtype, _C.dtype):
        raise TypeError(f"tensor(): dtype must be a kiln.dtype, not {type(dtype).__name__}")
    array, inferred = _infer_array(data)
    dtype = inferred if dtype is None else dtype
    array = np.asarray(array, dtype=_NUMPY_DTYPES[dtype], order="C")
    return _C._copy_from_numpy(array, dtype)


def empty(*size, **options):
    """An uninitialized contiguous tensor (float32 on the CPU unless told otherwise).

    kiln/_creation.py parses the sizes and options of every creation op, this one included.
    """
    from kiln._creation import empty as create_empty

    return create_empty(*size, **options)


def _to_numpy_values(t):
    """A NumPy array of the values, converting bfloat16 (which NumPy lacks) to float32."""
    if t.dtype is _C.bfloat16:
        return t._bfloat16_to_float32().numpy()
    return t.numpy()


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
Tensor.tolist = _tolist
Tensor.item = _item
Tensor.__len__ = _len
Tensor.__iter__ = _iter
Tensor.__bool__ = _bool
Tensor.__array__ = _array
Tensor.__repr__ = tensor_repr
Tensor.__str__ = tensor_repr
