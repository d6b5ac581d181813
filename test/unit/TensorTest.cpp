// Tests Tensor metadata, each view's geometry and sharing, and bad input.
#include "runtime/core/Tensor.h"
#include "runtime/core/BFloat16.h"
#include "test/unit/TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln;

namespace {

// A float32 tensor holding 0, 1, 2, ... in row-major order.
Tensor arange(const IntList &sizes) {
  Tensor t = Tensor::empty(sizes, DType::Float32);
  float *p = static_cast<float *>(t.data());
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = static_cast<float>(i);
  return t;
}

// The element at a multi-index, read through the strides.
float at(const Tensor &t, const IntList &index) {
  int64_t offset = 0;
  for (size_t d = 0; d < index.size(); ++d)
    offset += index[d] * t.strides()[d];
  return static_cast<const float *>(t.data())[offset];
}

TEST(TensorTest, EmptyIsContiguous) {
  Tensor t = Tensor::empty({2, 3, 4}, DType::Float64);
  EXPECT_EQ(t.sizes(), (IntList{2, 3, 4}));
  EXPECT_EQ(t.strides(), (IntList{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.dim(), 3);
  EXPECT_EQ(t.nbytes(), 192u);
  EXPECT_EQ(t.storageOffset(), 0);
  EXPECT_TRUE(t.isContiguous());
  EXPECT_TRUE(t.device().isCPU());
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_EQ(t.stride(0), 12);
}

TEST(TensorTest, ZeroSizeAndScalar) {
  Tensor z = Tensor::empty({0, 3}, DType::Int64);
  EXPECT_EQ(z.numel(), 0);
  EXPECT_TRUE(z.isContiguous());
  EXPECT_EQ(z.view({3, 0}).sizes(), (IntList{3, 0}));
  EXPECT_EQ(z.transpose(0, 1).sizes(), (IntList{3, 0}));
  EXPECT_EQ(z.clone().numel(), 0);
  Tensor s = Tensor::empty({}, DType::Float32);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.unsqueeze(0).sizes(), (IntList{1}));
  EXPECT_EQ(s.view({1, 1}).strides(), (IntList{1, 1}));
  EXPECT_EQ(s.transpose(0, -1).dim(), 0);
}

TEST(TensorTest, ContiguityIgnoresSizeOneStrides) {
  Tensor t = arange({4});
  EXPECT_TRUE(t.asStrided({1, 4}, {100, 1}, 0).isContiguous());
  EXPECT_FALSE(t.asStrided({2, 2}, {1, 2}, 0).isContiguous());
}

TEST(TensorTest, ViewSharesStorage) {
  Tensor base = arange({2, 6});
  Tensor v = base.view({3, -1});
  EXPECT_EQ(v.sizes(), (IntList{3, 4}));
  EXPECT_EQ(v.strides(), (IntList{4, 1}));
  EXPECT_TRUE(v.sharesStorageWith(base));
  static_cast<float *>(v.data())[5] = 42.f;
  EXPECT_EQ(at(base, {0, 5}), 42.f);
}

TEST(TensorTest, ViewOfTransposedKeepsCompatibleDims) {
  Tensor t = arange({2, 3, 4}).transpose(0, 1); // sizes 3,2,4 strides 4,12,1
  Tensor v = t.view({3, 2, 2, 2});
  EXPECT_EQ(v.strides(), (IntList{4, 12, 2, 1}));
  EXPECT_KILN_ERROR(t.view({6, 4}), ErrorKind::Runtime,
                    "view(): view size is not compatible");
  EXPECT_KILN_ERROR(t.view({6, 4}), ErrorKind::Runtime, ".reshape(...)");
}

TEST(TensorTest, ReshapeCopiesOnlyWhenNeeded) {
  Tensor base = arange({2, 3});
  Tensor r = base.reshape({3, 2});
  EXPECT_TRUE(r.sharesStorageWith(base));
  Tensor t = base.transpose(0, 1);
  Tensor copied = t.reshape({6});
  EXPECT_FALSE(copied.sharesStorageWith(base));
  const float expected[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(at(copied, {i}), expected[i]);
}

TEST(TensorTest, TransposeAndPermute) {
  Tensor t = arange({2, 3, 4});
  Tensor tr = t.transpose(0, -1);
  EXPECT_EQ(tr.sizes(), (IntList{4, 3, 2}));
  EXPECT_EQ(tr.strides(), (IntList{1, 4, 12}));
  EXPECT_FALSE(tr.isContiguous());
  EXPECT_EQ(at(tr, {3, 2, 1}), at(t, {1, 2, 3}));
  Tensor p = t.permute({1, 2, 0});
  EXPECT_EQ(p.sizes(), (IntList{3, 4, 2}));
  EXPECT_EQ(p.strides(), (IntList{4, 1, 12}));
  EXPECT_EQ(at(p, {2, 1, 1}), at(t, {1, 2, 1}));
}

TEST(TensorTest, SlicePythonSemantics) {
  Tensor t = arange({10});
  Tensor s = t.slice(0, 2, 8, 3); // 2, 5
  EXPECT_EQ(s.sizes(), (IntList{2}));
  EXPECT_EQ(s.strides(), (IntList{3}));
  EXPECT_EQ(s.storageOffset(), 2);
  EXPECT_EQ(at(s, {1}), 5.f);
  Tensor neg = t.slice(0, -3, std::nullopt, 1);
  EXPECT_EQ(neg.sizes(), (IntList{3}));
  EXPECT_EQ(neg.storageOffset(), 7);
  EXPECT_EQ(t.slice(0, -100, 100, 1).sizes(), (IntList{10}));
  EXPECT_EQ(t.slice(0, 8, 2, 1).sizes(), (IntList{0}));
  Tensor m = arange({3, 4}).slice(1, 1, std::nullopt, 2);
  EXPECT_EQ(m.sizes(), (IntList{3, 2}));
  EXPECT_EQ(m.strides(), (IntList{4, 2}));
  EXPECT_EQ(at(m, {2, 1}), 11.f);
}

TEST(TensorTest, SelectAndNarrow) {
  Tensor t = arange({3, 4});
  Tensor row = t.select(0, -1);
  EXPECT_EQ(row.sizes(), (IntList{4}));
  EXPECT_EQ(row.storageOffset(), 8);
  Tensor col = t.select(1, 2);
  EXPECT_EQ(col.strides(), (IntList{4}));
  EXPECT_EQ(at(col, {1}), 6.f);
  Tensor n = t.narrow(1, 1, 2);
  EXPECT_EQ(n.sizes(), (IntList{3, 2}));
  EXPECT_EQ(n.storageOffset(), 1);
  EXPECT_EQ(t.narrow(0, -1, 1).storageOffset(), 8);
}

TEST(TensorTest, Expand) {
  Tensor t = arange({3, 1});
  Tensor e = t.expand({2, 3, 4});
  EXPECT_EQ(e.sizes(), (IntList{2, 3, 4}));
  EXPECT_EQ(e.strides(), (IntList{0, 1, 0}));
  EXPECT_EQ(t.expand({1, 3, 4}).strides(), (IntList{3, 1, 0}));
  EXPECT_EQ(at(e, {1, 2, 3}), 2.f);
  EXPECT_EQ(t.expand({-1, 5}).sizes(), (IntList{3, 5}));
  Tensor s = Tensor::empty({}, DType::Float32).expand({2, 2});
  EXPECT_EQ(s.strides(), (IntList{0, 0}));
}

TEST(TensorTest, SqueezeUnsqueeze) {
  Tensor t = arange({1, 3, 1});
  EXPECT_EQ(t.squeeze().sizes(), (IntList{3}));
  EXPECT_EQ(t.squeeze(0).sizes(), (IntList{3, 1}));
  EXPECT_EQ(t.squeeze(1).sizes(), (IntList{1, 3, 1}));
  Tensor u = arange({2, 3}).unsqueeze(1);
  EXPECT_EQ(u.sizes(), (IntList{2, 1, 3}));
  EXPECT_EQ(u.strides(), (IntList{3, 3, 1}));
  EXPECT_EQ(arange({2, 3}).unsqueeze(-1).strides(), (IntList{3, 1, 1}));
}

TEST(TensorTest, AsStrided) {
  Tensor t = arange({6});
  Tensor w = t.asStrided({2, 3}, {1, 2}, 0);
  EXPECT_EQ(at(w, {1, 2}), 5.f);
  Tensor sliced = t.slice(0, 2, std::nullopt, 1);
  EXPECT_EQ(sliced.asStrided({2}, {1}).storageOffset(), 2);
  EXPECT_KILN_ERROR(t.asStrided({2, 3}, {3, 2}, 0), ErrorKind::Runtime,
                    "as_strided(): sizes [2, 3], strides [3, 2], storage "
                    "offset 0, and itemsize 4 "
                    "requiring a storage size of 32 are out of bounds for "
                    "storage of size 24");
  EXPECT_KILN_ERROR(t.asStrided({2}, {1}, 5), ErrorKind::Runtime,
                    "out of bounds");
  EXPECT_KILN_ERROR(t.asStrided({2}, {-1}, 3), ErrorKind::Runtime,
                    "Negative strides");
  EXPECT_KILN_ERROR(t.asStrided({2}, {1, 1}, 0), ErrorKind::Runtime,
                    "mismatch in length");
  EXPECT_KILN_ERROR(t.asStrided({2}, {1}, -1), ErrorKind::Runtime,
                    "invalid storage offset -1");
  EXPECT_EQ(t.asStrided({0, 5}, {100, 100}, 0).numel(), 0);
}

TEST(TensorTest, ContiguousAndClone) {
  Tensor t = arange({3, 4});
  EXPECT_TRUE(t.contiguous().sharesStorageWith(t));
  Tensor c = t.transpose(0, 1).contiguous();
  EXPECT_FALSE(c.sharesStorageWith(t));
  EXPECT_TRUE(c.isContiguous());
  EXPECT_EQ(at(c, {3, 2}), 11.f);
  EXPECT_EQ(at(c, {1, 0}), 1.f);
  Tensor k = t.clone();
  static_cast<float *>(k.data())[0] = -1.f;
  EXPECT_EQ(at(t, {0, 0}), 0.f);
  Tensor e = t.select(1, 0).unsqueeze(1).expand({3, 2}).contiguous();
  EXPECT_EQ(at(e, {2, 1}), 8.f);
}

TEST(TensorTest, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(floatToBFloat16(1.0f), 0x3f80);
  // 1 + 2^-8 lies half-way between two bfloat16 values: rounds to even (1.0).
  EXPECT_EQ(floatToBFloat16(1.00390625f), 0x3f80);
  // 1 + 3*2^-8 rounds up to the even neighbour 1 + 2^-6.
  EXPECT_EQ(floatToBFloat16(1.01171875f), 0x3f82);
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(floatToBFloat16(NAN))));
  Tensor t = arange({2, 3}).transpose(0, 1);
  Tensor round = bfloat16ToFloat32(float32ToBFloat16(t));
  EXPECT_EQ(round.sizes(), (IntList{3, 2}));
  EXPECT_EQ(at(round, {2, 1}), 5.f);
}

TEST(TensorTest, BadArguments) {
  Tensor t = arange({2, 3});
  EXPECT_KILN_ERROR(t.transpose(0, 2), ErrorKind::Index,
                    "transpose(): Dimension out of range (expected to be in "
                    "range of [-2, 1], but "
                    "got 2)");
  EXPECT_KILN_ERROR(t.select(0, 2), ErrorKind::Index,
                    "select(): index 2 out of range for tensor of size [2, 3] "
                    "at dimension 0");
  EXPECT_KILN_ERROR(t.slice(1, 0, 2, 0), ErrorKind::Value,
                    "slice(): step must be greater than zero");
  EXPECT_KILN_ERROR(t.slice(2, 0, 2, 1), ErrorKind::Index,
                    "slice(): Dimension out of range");
  EXPECT_KILN_ERROR(
      Tensor::empty({2, -1}, DType::Float32), ErrorKind::Runtime,
      "empty(): Trying to create tensor with negative dimension -1: [2, -1]");
  EXPECT_KILN_ERROR(Tensor::empty({2}, DType::Float32, Device::parse("cuda")),
                    ErrorKind::NotImplemented, "empty()");
  EXPECT_KILN_ERROR(t.view({4, 2}), ErrorKind::Runtime,
                    "view(): shape '[4, 2]' is invalid for input of size 6");
  EXPECT_KILN_ERROR(t.view({-1, -1}), ErrorKind::Runtime,
                    "only one dimension can be inferred");
  EXPECT_KILN_ERROR(t.reshape({-2, 3}), ErrorKind::Runtime,
                    "reshape(): invalid shape dimension -2");
  EXPECT_KILN_ERROR(t.permute({0}), ErrorKind::Runtime, "permute()");
  EXPECT_KILN_ERROR(t.permute({1, 1}), ErrorKind::Runtime,
                    "permute(): duplicate dims");
  EXPECT_KILN_ERROR(
      t.narrow(1, 2, 2), ErrorKind::Runtime,
      "narrow(): start (2) + length (2) exceeds dimension size (3).");
  EXPECT_KILN_ERROR(t.narrow(1, 4, 0), ErrorKind::Index,
                    "narrow(): start out of range");
  EXPECT_KILN_ERROR(t.expand({2, 4}), ErrorKind::Runtime,
                    "expand(): The expanded size of the tensor (4) must match "
                    "the existing size (3) "
                    "at non-singleton dimension 1");
  EXPECT_KILN_ERROR(t.expand({3}), ErrorKind::Runtime,
                    "expand(): the number of sizes provided");
  EXPECT_KILN_ERROR(t.expand({-1, 2, 3}), ErrorKind::Runtime,
                    "non-existing dimension 0");
  EXPECT_KILN_ERROR(t.unsqueeze(3), ErrorKind::Index,
                    "unsqueeze(): Dimension out of range (expected to be in "
                    "range of [-3, 2], but "
                    "got 3)");
  EXPECT_KILN_ERROR(t.squeeze(-3), ErrorKind::Index, "squeeze()");
  EXPECT_KILN_ERROR(t.size(2), ErrorKind::Index, "size()");
  Tensor s = Tensor::empty({}, DType::Float32);
  EXPECT_KILN_ERROR(s.select(0, 0), ErrorKind::Index,
                    "select() cannot be applied to a 0-dim");
  EXPECT_KILN_ERROR(t.copyFrom(arange({3, 2})), ErrorKind::Runtime,
                    "copyFrom()");
}
} // namespace
