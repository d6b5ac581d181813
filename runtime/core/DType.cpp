// DType metadata and the type-promotion table.
#include "runtime/core/DType.h"

#include "runtime/core/Error.h"

namespace kiln {

size_t elementSize(DType dtype) {
  switch (dtype) {
  case DType::Float64:
  case DType::Int64:
    return 8;
  case DType::Float32:
  case DType::Int32:
    return 4;
  case DType::Float16:
  case DType::BFloat16:
    return 2;
  case DType::Int8:
  case DType::UInt8:
  case DType::Bool:
    return 1;
  }
  fail(ErrorKind::Value, "elementSize(): invalid dtype value ",
       static_cast<int>(dtype));
}

const char *name(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "float32";
  case DType::Float64:
    return "float64";
  case DType::Float16:
    return "float16";
  case DType::BFloat16:
    return "bfloat16";
  case DType::Int8:
    return "int8";
  case DType::Int32:
    return "int32";
  case DType::Int64:
    return "int64";
  case DType::UInt8:
    return "uint8";
  case DType::Bool:
    return "bool";
  }
  fail(ErrorKind::Value, "name(): invalid dtype value ",
       static_cast<int>(dtype));
}

bool isFloatingPoint(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Float16 || dtype == DType::BFloat16;
}

bool isIntegral(DType dtype, bool includeBool) {
  if (dtype == DType::Bool)
    return includeBool;
  return !isFloatingPoint(dtype);
}

DType parseDType(const std::string &text) {
  for (int i = 0; i < kNumDTypes; ++i) {
    DType dtype = static_cast<DType>(i);
    if (text == name(dtype))
      return dtype;
  }
  if (text == "float")
    return DType::Float32;
  if (text == "double")
    return DType::Float64;
  if (text == "half")
    return DType::Float16;
  if (text == "long")
    return DType::Int64;
  if (text == "int")
    return DType::Int32;
  fail(ErrorKind::Value, "parseDType(): unknown dtype '", text, "'");
}

// Rank within a category: a wider type ranks higher.
static int floatRank(DType dtype) {
  switch (dtype) {
  case DType::Float16:
  case DType::BFloat16:
    return 0;
  case DType::Float32:
    return 1;
  default:
    return 2;
  }
}

const char *shortName(DType dtype) {
  switch (dtype) {
  case DType::Float32: return "f32";
  case DType::Float64: return "f64";
  case DType::Float16: return "f16";
  case DType::BFloat16: return "bf16";
  case DType::Int8: return "i8";
  case DType::Int32: return "i32";
  case DType::Int64: return "i64";
  case DType::UInt8: return "ui8";
  case DType::Bool: return "i1";
  }
  return "?";
}

DType promoteTypes(DType a, DType b) {
  if (a == b)
    return a;
  // bool promotes to whatever it meets.
  if (a == DType::Bool)
    return b;
  if (b == DType::Bool)
    return a;
  bool aFloat = isFloatingPoint(a), bFloat = isFloatingPoint(b);
  if (aFloat && bFloat) {
    // Neither 16-bit float represents the other, so PyTorch widens to float32.
    if (floatRank(a) == 0 && floatRank(b) == 0)
      return DType::Float32;
    return floatRank(a) >= floatRank(b) ? a : b;
  }
  // An integer meeting a float always yields the float, even int64 + float16.
  if (aFloat)
    return a;
  if (bFloat)
    return b;
  // uint8 + int8 is int16 in PyTorch; Kiln has no int16, so it takes the next
  // signed type that holds both ranges, int32.
  if ((a == DType::UInt8 && b == DType::Int8) ||
      (a == DType::Int8 && b == DType::UInt8))
    return DType::Int32;
  return elementSize(a) >= elementSize(b) ? a : b;
}

std::ostream &operator<<(std::ostream &os, DType dtype) {
  return os << name(dtype);
}

} // namespace kiln
