// The parts of kiln._C, one file each, registered by Module.cpp.
#pragma once

#include "runtime/core/DType.h"

#include <pybind11/pybind11.h>

// kiln._C.compiler (python/src/Compiler.cpp).
void bindCompiler(pybind11::module_ &m);
// kiln._C.dtype, its instances, promote_types and kiln._C.device.
void bindDTypes(pybind11::module_ &m);
// kiln._C.Tensor metadata and views.
void bindTensor(pybind11::module_ &m);
// from_numpy, Tensor.numpy and the copying constructors.
void bindNumpy(pybind11::module_ &m);

// The one kiln._C.dtype object for `dtype`, so that `t.dtype is kiln.float32`.
pybind11::object dtypeObject(kiln::DType dtype);
