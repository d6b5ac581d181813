// The pending trace from C++: recording, views of pending bases, in-place updates, and one compile per structure.
#include "lib/Trace/Ops.h"
#include "lib/Trace/Trace.h"
#include "runtime/core/Error.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using kiln::DType;
using kiln::Tensor;
using kiln::trace::BinaryOp;
using kiln::trace::LazyTensor;
using kiln::trace::Operand;
using kiln::trace::Scalar;

LazyTensor iota(int64_t n) {
  Tensor t = Tensor::empty({n}, DType::Float32);
  auto *data = static_cast<float *>(t.data());
  for (int64_t i = 0; i < n; ++i)
    data[i] = static_cast<float>(i);
  return LazyTensor::fromTensor(t);
}

std::vector<float> values(const LazyTensor &t) {
  Tensor dense = t.materialize().contiguous();
  const auto *data = static_cast<const float *>(dense.data());
  return std::vector<float>(data, data + dense.numel());
}

TEST(Trace, RecordsWithoutRunningAndMaterializesOnDemand) {
  kiln::trace::resetStats();
  LazyTensor x = iota(6).view({2, 3});
  LazyTensor y = kiln::trace::binary(BinaryOp::Mul, x, Scalar::fromFloat(2.0));
  EXPECT_TRUE(y.isPending());
  EXPECT_EQ(kiln::trace::stats().materializations, 0);
  LazyTensor t = y.transpose(0, 1);
  EXPECT_EQ(values(t), (std::vector<float>{0, 6, 2, 8, 4, 10}));
  EXPECT_FALSE(y.isPending());
}

TEST(Trace, ViewsOfPendingBasesSeeInPlaceWrites) {
  LazyTensor base = kiln::trace::binary(BinaryOp::Add, iota(4), Scalar::fromFloat(1.0));
  LazyTensor tail = base.slice(0, 2, std::nullopt, 1);
  kiln::trace::binaryInPlace(BinaryOp::Mul, base, Scalar::fromFloat(10.0));
  EXPECT_EQ(values(tail), (std::vector<float>{30, 40}));
  kiln::trace::binaryInPlace(BinaryOp::Add, tail, Scalar::fromFloat(1.0));
  EXPECT_EQ(values(base), (std::vector<float>{10, 20, 31, 41}));
}

TEST(Trace, EarlierResultsKeepTheirValuesAfterInPlaceUpdates) {
  LazyTensor x = iota(3);
  LazyTensor doubled = kiln::trace::binary(BinaryOp::Mul, x, Scalar::fromFloat(2.0));
  kiln::trace::binaryInPlace(BinaryOp::Add, x, Scalar::fromFloat(100.0));
  EXPECT_EQ(values(x), (std::vector<float>{100, 101, 102}));
  EXPECT_EQ(values(doubled), (std::vector<float>{0, 2, 4}));
}

TEST(Trace, IdenticalStepsCompileOnce) {
  kiln::trace::clearProgramCache();
  kiln::trace::resetStats();
  for (int step = 0; step < 4; ++step) {
    LazyTensor y = kiln::trace::binary(BinaryOp::Sub, iota(8), iota(8));
    EXPECT_EQ(values(y), std::vector<float>(8, 0.0f));
  }
  kiln::trace::TraceStats stats = kiln::trace::stats();
  EXPECT_EQ(stats.compiles, 1);
  EXPECT_EQ(stats.programHits, 3);
  ASSERT_EQ(stats.events.size(), 1u);
  EXPECT_EQ(stats.events[0].reason, "new op sequence");
}

TEST(Trace, BadInputRaisesBeforeRecording) {
  int64_t recorded = kiln::trace::stats().recorded;
  EXPECT_THROW(kiln::trace::binary(BinaryOp::Add, iota(3), iota(4)), kiln::Error);
  EXPECT_THROW(kiln::trace::matmul(iota(3), iota(4)), kiln::Error);
  EXPECT_EQ(kiln::trace::stats().recorded, recorded);
}

} // namespace
