// float32 <-> bfloat16 conversion by bit manipulation.
#include "runtime/core/BFloat16.h"

#include "runtime/core/Error.h"

#include <cstring>

namespace kiln {

// IEEE binary16 conversions, rounding to nearest even.
uint16_t floatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t sign = bits & 0x80000000u;
  bits ^= sign;
  uint16_t out;
  if (bits >= 0x47800000u) { // 65536 or more, inf or NaN.
    out = bits > 0x7F800000u ? 0x7E00 : 0x7C00;
  } else if (bits < 0x38800000u) { // Below 2^-14: subnormal or zero.
    // Adding 0.5 lines the half's subnormal bits up with the float mantissa
    // and lets the FPU round them.
    constexpr uint32_t magicBits = 126u << 23;
    float magic, shifted;
    std::memcpy(&magic, &magicBits, sizeof(magic));
    std::memcpy(&shifted, &bits, sizeof(shifted));
    shifted += magic;
    uint32_t shiftedBits;
    std::memcpy(&shiftedBits, &shifted, sizeof(shiftedBits));
    out = static_cast<uint16_t>(shiftedBits - magicBits);
  } else {
    uint32_t odd = (bits >> 13) & 1u;
    bits += (static_cast<uint32_t>(15 - 127) << 23) + 0xFFFu + odd;
    out = static_cast<uint16_t>(bits >> 13);
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

float halfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  uint32_t exponent = (half >> 10) & 0x1Fu, mantissa = half & 0x3FFu;
  if (exponent == 0) {
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  uint32_t bits = sign | (mantissa << 13) |
                  (exponent == 0x1F ? 0x7F800000u : (exponent + 112) << 23);
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}


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
