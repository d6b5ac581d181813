"""bfloat16 tensors to and from raw uint16 bits, which NumPy can hold (it has no bfloat16).

Reading wraps the bits' memory without a copy through a DLPack capsule built with ctypes; the capsule's deleter
drops the reference that keeps the NumPy array (and a memory map under it) alive.
"""

import ctypes

import numpy as np

from kiln import _C

_DL_CPU = 1
_DL_BFLOAT = 4


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


_Deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter)]


# address of a live DLManagedTensor -> what must outlive it (the struct, its shape array, the NumPy array)
_LIVE = {}


@_Deleter
def _release(address):
    _LIVE.pop(address, None)


_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


def from_bits(bits):
    """A bfloat16 tensor viewing the memory of `bits`, a C-contiguous native uint16 array (no copy)."""
    if bits.dtype != np.uint16 or not bits.flags.c_contiguous:
        raise ValueError("bfloat16 bits must be a C-contiguous native uint16 array")
    shape = (ctypes.c_int64 * max(bits.ndim, 1))(*bits.shape)
    managed = _DLManagedTensor()
    managed.dl_tensor.data = bits.ctypes.data
    managed.dl_tensor.device = _DLDevice(_DL_CPU, 0)
    managed.dl_tensor.ndim = bits.ndim
    managed.dl_tensor.dtype = _DLDataType(_DL_BFLOAT, 16, 1)
    managed.dl_tensor.shape = shape
    managed.dl_tensor.strides = None
    managed.dl_tensor.byte_offset = 0
    managed.deleter = _release
    address = ctypes.addressof(managed)
    _LIVE[address] = (managed, shape, bits)
    try:
        return _C._from_dlpack(_capsule_new(address, b"dltensor", None))
    except BaseException:
        _LIVE.pop(address, None)
        raise


def to_bits(values):
    """The uint16 bits of float32 values that came from bfloat16 (exact: bfloat16 is float32's top half)."""
    return (np.ascontiguousarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
