"""Kiln: a tensor library with PyTorch's Python API over an MLIR compiler."""

import os as _os

# oneDNN's kernels and Kiln's generated loops share LLVM's OpenMP runtime
# (runtime/CMakeLists.txt). After a parallel region its worker threads spin
# for 1 ms, long enough to bridge the gaps between the regions of a training
# step, then sleep, so an idle process leaves the cores to others; libomp's
# default (200 ms of spinning) starved other processes on a small machine.
# The user's own settings win. This must happen before _C loads the runtime.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_os.environ.setdefault("KMP_BLOCKTIME", "1")

from kiln import _C
from kiln._C import (
    Tensor,
    bfloat16,
    bool,
    device,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    from_numpy,
    half,
    int,
    int8,
    int32,
    int64,
    long,
    promote_types,
    uint8,
)
from kiln._size import Size
from kiln._tensor import empty, tensor

compiler = _C.compiler

from kiln import _convert, _creation, _grad_mode, _indexing, _linalg, _ops, _reductions, _shape, _trace  # noqa: E402

for _module in (_ops, _creation, _reductions, _linalg, _shape, _indexing, _convert, _trace, _grad_mode):
    globals().update(_module.FUNCTIONS)
    for _name, _method in _module.METHODS.items():
        setattr(Tensor, _name, _method)
del _module, _name, _method

from kiln import autograd  # noqa: E402
from kiln import nn  # noqa: E402
from kiln import optim  # noqa: E402
from kiln import utils  # noqa: E402
from kiln import jit  # noqa: E402
from kiln.serialization import load, save  # noqa: E402


def _dtype_from_name(name):
    """Unpickles a dtype by its name (dtype.__reduce__ refers here)."""
    return _C._parse_dtype(name)


__all__ = [
    "Size",
    "Tensor",
    "bfloat16",
    "bool",
    "compiler",
    "device",
    "double",
    "dtype",
    "empty",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "half",
    "int",
    "int8",
    "int32",
    "int64",
    "long",
    "promote_types",
    "tensor",
    "uint8",
]
