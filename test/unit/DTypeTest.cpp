// Tests DType sizes, names, parsing and the type-promotion table.
#include "runtime/core/DType.h"
#include "test/unit/TestUtil.h"

#include <gtest/gtest.h>

using namespace kiln;

namespace {
using D = DType;

TEST(DTypeTest, SizesAndNames) {
  EXPECT_EQ(elementSize(D::Float32), 4u);
  EXPECT_EQ(elementSize(D::Float64), 8u);
  EXPECT_EQ(elementSize(D::Float16), 2u);
  EXPECT_EQ(elementSize(D::BFloat16), 2u);
  EXPECT_EQ(elementSize(D::Int8), 1u);
  EXPECT_EQ(elementSize(D::Int32), 4u);
  EXPECT_EQ(elementSize(D::Int64), 8u);
  EXPECT_EQ(elementSize(D::UInt8), 1u);
  EXPECT_EQ(elementSize(D::Bool), 1u);
  EXPECT_STREQ(name(D::BFloat16), "bfloat16");
  EXPECT_STREQ(name(D::UInt8), "uint8");
  for (int i = 0; i < kNumDTypes; ++i) {
    DType dtype = static_cast<DType>(i);
    EXPECT_EQ(parseDType(name(dtype)), dtype);
  }
}

TEST(DTypeTest, Categories) {
  EXPECT_TRUE(isFloatingPoint(D::BFloat16));
  EXPECT_FALSE(isFloatingPoint(D::Int64));
  EXPECT_TRUE(isIntegral(D::UInt8, false));
  EXPECT_FALSE(isIntegral(D::Bool, false));
  EXPECT_TRUE(isIntegral(D::Bool, true));
  EXPECT_FALSE(isIntegral(D::Float16, true));
}

TEST(DTypeTest, ParseAliasesAndErrors) {
  EXPECT_EQ(parseDType("float"), D::Float32);
  EXPECT_EQ(parseDType("double"), D::Float64);
  EXPECT_EQ(parseDType("half"), D::Float16);
  EXPECT_EQ(parseDType("long"), D::Int64);
  EXPECT_EQ(parseDType("int"), D::Int32);
  EXPECT_KILN_ERROR(parseDType("complex64"), ErrorKind::Value, "complex64");
}

struct PromoteCase {
  DType a, b, expected;
};

TEST(DTypeTest, PromotionTable) {
  const PromoteCase cases[] = {
      {D::UInt8, D::Int8, D::Int32}, // int16 in PyTorch; Kiln has no int16
      {D::UInt8, D::Int32, D::Int32},
      {D::UInt8, D::Int64, D::Int64},
      {D::Int8, D::Int32, D::Int32},
      {D::Int32, D::Int64, D::Int64},
      {D::Bool, D::UInt8, D::UInt8},
      {D::Bool, D::Float16, D::Float16},
      {D::Bool, D::Bool, D::Bool},
      {D::Float16, D::BFloat16, D::Float32},
      {D::Float16, D::Float32, D::Float32},
      {D::BFloat16, D::Float64, D::Float64},
      {D::Int64, D::Float16, D::Float16},
      {D::Int64, D::BFloat16, D::BFloat16},
      {D::Int32, D::Float32, D::Float32},
      {D::UInt8, D::Float64, D::Float64},
      {D::Float32, D::Float64, D::Float64},
  };
  for (const PromoteCase &c : cases) {
    EXPECT_EQ(promoteTypes(c.a, c.b), c.expected)
        << name(c.a) << " + " << name(c.b);
    EXPECT_EQ(promoteTypes(c.b, c.a), c.expected)
        << name(c.b) << " + " << name(c.a);
  }
}

TEST(DTypeTest, PromotionIsSymmetricAndIdempotent) {
  for (int i = 0; i < kNumDTypes; ++i) {
    DType a = static_cast<DType>(i);
    EXPECT_EQ(promoteTypes(a, a), a);
    for (int j = 0; j < kNumDTypes; ++j) {
      DType b = static_cast<DType>(j);
      EXPECT_EQ(promoteTypes(a, b), promoteTypes(b, a));
    }
  }
}
} // namespace
