// float32 <-> bfloat16 conversion by bit manipulation.
#include "runtime/core/BFloat16.h"

#include "runtime/core/Error.h"

#include <cstring>

namespace kiln {

uint16_t floatToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0)
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  // Adding 0x7fff plus the lowest kept bit rounds half-way cases to even.
  uint32_t lsb = (bits >> 16) & 1u;
  bits += 0x7fffu + lsb;
  return static_cast<uint16_t>(bits >> 16);
}

float bfloat16ToFloat(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

Tensor float32ToBFloat16(const Tensor &src) {
  if (src.dtype() != DType::Float32)
    fail(ErrorKind::Type,
         "float32ToBFloat16(): expected a float32 tensor, got ", src.dtype());
  Tensor input = src.contiguous();
  Tensor out = Tensor::empty(src.sizes(), DType::BFloat16, src.device());
  const float *from = static_cast<const float *>(input.data());
  uint16_t *to = static_cast<uint16_t *>(out.data());
  for (int64_t i = 0, n = src.numel(); i < n; ++i)
    to[i] = floatToBFloat16(from[i]);
  return out;
}

Tensor bfloat16ToFloat32(const Tensor &src) {
  if (src.dtype() != DType::BFloat16)
    fail(ErrorKind::Type,
         "bfloat16ToFloat32(): expected a bfloat16 tensor, got ", src.dtype());
  Tensor input = src.contiguous();
  Tensor out = Tensor::empty(src.sizes(), DType::Float32, src.device());
  const uint16_t *from = static_cast<const uint16_t *>(input.data());
  float *to = static_cast<float *>(out.data());
  for (int64_t i = 0, n = src.numel(); i < n; ++i)
    to[i] = bfloat16ToFloat(from[i]);
  return out;
}

} // namespace kiln
