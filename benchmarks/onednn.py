"""oneDNN called directly (through the runtime's extern kernel, via ctypes): the reference for matmul."""
import ctypes
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


class _Desc2D(ctypes.Structure):
    # MLIR's memref<MxNxf32> descriptor: runtime/exec/MemRefDescriptor.h.
    _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p), ("offset", ctypes.c_int64),
                ("sizes", ctypes.c_int64 * 2), ("strides", ctypes.c_int64 * 2)]


def _desc(a):
    d = _Desc2D()
    d.allocated = d.aligned = a.ctypes.data
    d.offset = 0
    d.sizes[:] = a.shape
    d.strides[:] = [s // a.itemsize for s in a.strides]
    return d


def matmul_impl(a, b, c):
    """A callable computing c = a @ b with oneDNN, or None when the runtime library lacks the kernel."""
    try:
        import kiln  # noqa: F401  (loads libkiln_runtime.so from the build)
        lib = ctypes.CDLL(str(ROOT / "build" / "lib" / "libkiln_runtime.so"))
        fn = lib._mlir_ciface_kiln_matmul_f32
    except (OSError, AttributeError) as error:
        print(f"onednn: {error}", file=sys.stderr)
        return None
    fn.restype = None
    da, db, dc = _desc(a), _desc(b), _desc(c)
    args = (ctypes.byref(da), ctypes.byref(db), ctypes.byref(dc))
    # The descriptors hold raw pointers: the closure keeps the arrays alive.
    arrays = (a, b, c)
    return lambda: fn(*args) if arrays else None


def check(a, b, c):
    np.testing.assert_allclose(c, a @ b, rtol=1e-3, atol=1e-3)
