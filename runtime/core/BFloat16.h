// Conversions between float32 and the 16-bit floats: bfloat16 (the one dtype NumPy cannot hold) and IEEE float16.
#pragma once

#include "runtime/core/Tensor.h"

#include <cstdint>

namespace kiln {

// Rounds to nearest, ties to even; NaN stays a (quiet) NaN.
uint16_t floatToBFloat16(float value);
float bfloat16ToFloat(uint16_t bits);
// IEEE binary16, rounding to nearest even.
uint16_t floatToHalf(float value);
float halfToFloat(uint16_t bits);

// Element-wise conversions into a fresh contiguous tensor; the input may be
// strided.
Tensor float32ToBFloat16(const Tensor &src);
Tensor bfloat16ToFloat32(const Tensor &src);

} // namespace kiln
