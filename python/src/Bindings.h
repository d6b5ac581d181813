// The parts of kiln._C, one file each, registered by Module.cpp.
#pragma once

#include "runtime/core/DType.h"
#include "runtime/core/Error.h"

#include <pybind11/pybind11.h>

// kiln._C.compiler (python/src/Compiler.cpp).
void bindCompiler(pybind11::module_ &m);
// kiln.jit's capture, export and model IR bindings (JitBindings.cpp).
void bindJit(pybind11::module_ &m);
// kiln._C.dtype, its instances, promote_types and kiln._C.device.
void bindDTypes(pybind11::module_ &m);
// kiln._C.Tensor metadata and views.
void bindTensor(pybind11::module_ &m);
// from_numpy, Tensor.numpy and the copying constructors.
void bindNumpy(pybind11::module_ &m);
// Operators and the recording entry points of the trace (OpBindings.cpp).
void bindOps(pybind11::module_ &m);
// DLPack export and import (DLPackBindings.cpp).
void bindDLPack(pybind11::module_ &m);
// The Philox random fills, sort, topk and nonzero (KernelBindings.cpp).
void bindKernels(pybind11::module_ &m);
// requires_grad, grad, backward and the grad mode (AutogradBindings.cpp).
void bindAutograd(pybind11::module_ &m);
// A Python sequence of ints, or PyTorch's TypeError naming op and argument.
std::vector<int64_t> toIntListArg(const char *op, const char *argName,
                                  pybind11::handle sequence);

// The Python exception class a kiln::Error of `kind` becomes.
PyObject *pythonExceptionFor(kiln::ErrorKind kind);

// The one kiln._C.dtype object for `dtype`, so that `t.dtype is kiln.float32`.
pybind11::object dtypeObject(kiln::DType dtype);
