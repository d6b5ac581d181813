// Element types: sizes, names, and PyTorch's type promotion.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace kiln {

enum class DType {
  Float32,
  Float64,
  Float16,
  BFloat16,
  Int8,
  Int32,
  Int64,
  UInt8,
  Bool
};

// How many DType values exist; lets callers iterate over all of them.
constexpr int kNumDTypes = 9;

size_t elementSize(DType dtype);
// PyTorch's name without the "torch." prefix: "float32", "bfloat16", "bool".
const char *name(DType dtype);
// The MLIR element type Kiln uses for it: "f32", "bf16", "i64", "ui8", "i1".
const char *shortName(DType dtype);
bool isFloatingPoint(DType dtype);
bool isIntegral(DType dtype, bool includeBool);
// Accepts the canonical names and PyTorch's aliases ("float", "double", "half",
// "long", "int"); anything else is a Value error naming the string.
DType parseDType(const std::string &text);
// The dtype a binary op on tensors of `a` and `b` computes in
// (torch.promote_types).
DType promoteTypes(DType a, DType b);

std::ostream &operator<<(std::ostream &os, DType dtype);

} // namespace kiln
