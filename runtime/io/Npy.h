// Reads and writes NumPy .npy files (format 1.0-3.0, little-endian, C order) as Kiln tensors.
#pragma once

#include "runtime/core/Tensor.h"

#include <string>

namespace kiln {

// Loads a .npy array into a fresh contiguous CPU tensor. Fortran order,
// big-endian data and dtypes Kiln lacks are Value errors naming the file.
Tensor readNpy(const std::string &path);
// Writes `tensor` (any strides) as a C-order .npy file.
void writeNpy(const std::string &path, const Tensor &tensor);

// The NumPy descr Kiln writes for `dtype` ("<f4", "|b1", ...).
const char *npyDescr(DType dtype);

} // namespace kiln
