// Tests the oneDNN extern kernels against float64 loops, through the
// memref-descriptor ABI compiled code uses.
#include "runtime/cpu/ExternKernels.h"
#include "runtime/core/Tensor.h"
#include "runtime/exec/MemRefDescriptor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace kiln;

namespace {

Tensor randomTensor(const IntList &sizes, unsigned seed) {
  Tensor t = Tensor::empty(sizes, DType::Float32);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  float *p = static_cast<float *>(t.data());
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = dist(gen);
  return t;
}

// The descriptor compiled code would pass for this view: base pointer of the
// storage plus the view's offset, so offsets are exercised too.
MemRefDescriptor describe(const Tensor &t) {
  return MemRefDescriptor(t.storage().data(), t.sizes(), t.strides(),
                          t.storageOffset());
}

float at(const Tensor &t, const IntList &index) {
  int64_t offset = 0;
  for (size_t d = 0; d < index.size(); ++d)
    offset += index[d] * t.strides()[d];
  return static_cast<const float *>(t.data())[offset];
}

// Batched reference: a and b are [B,M,K] and [B,K,N] (or 2-D, batch 1).
std::vector<double> referenceMatmul(const Tensor &a, const Tensor &b) {
  const bool batched = a.dim() == 3;
  const int64_t batch = batched ? a.size(0) : 1;
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  std::vector<double> c(batch * m * n, 0.0);
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t q = 0; q < k; ++q) {
          IntList ai = batched ? IntList{p, i, q} : IntList{i, q};
          IntList bi = batched ? IntList{p, q, j} : IntList{q, j};
          sum += static_cast<double>(at(a, ai)) * at(b, bi);
        }
        c[(p * m + i) * n + j] = sum;
      }
  return c;
}

void expectClose(const Tensor &actual, const std::vector<double> &expected,
                 double tolerance) {
  Tensor contiguous = actual.contiguous();
  const float *p = static_cast<const float *>(contiguous.data());
  ASSERT_EQ(static_cast<size_t>(contiguous.numel()), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    ASSERT_NEAR(p[i], expected[i], tolerance) << "at flat index " << i;
}

void runMatmul(const Tensor &a, const Tensor &b, const Tensor &c,
               void (*kernel)(void *, void *, void *)) {
  MemRefDescriptor ad = describe(a), bd = describe(b), cd = describe(c);
  kiln_rt_clear_error();
  kernel(ad.get(), bd.get(), cd.get());
  ASSERT_EQ(kiln_rt_last_error(), nullptr) << kiln_rt_last_error();
}

struct MatmulCase {
  int64_t m, k, n;
};

class ExternMatmulTest : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(ExternMatmulTest, OverwritesWithProduct) {
  auto [m, k, n] = GetParam();
  Tensor a = randomTensor({m, k}, 1), b = randomTensor({k, n}, 2);
  Tensor c = randomTensor({m, n}, 3); // garbage the kernel must overwrite
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_f32);
  expectClose(c, referenceMatmul(a, b), 1e-4 * (k + 1));
}

TEST_P(ExternMatmulTest, AccumulatesIntoOutput) {
  auto [m, k, n] = GetParam();
  Tensor a = randomTensor({m, k}, 4), b = randomTensor({k, n}, 5);
  Tensor c = randomTensor({m, n}, 6);
  std::vector<double> expected = referenceMatmul(a, b);
  for (int64_t i = 0; i < m * n; ++i)
    expected[i] += static_cast<const float *>(c.data())[i];
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_acc_f32);
  expectClose(c, expected, 1e-4 * (k + 1));
}

TEST_P(ExternMatmulTest, TransposedOperands) {
  auto [m, k, n] = GetParam();
  // A stored as [K,M] and B as [N,K], both viewed transposed (column-major).
  Tensor a = randomTensor({k, m}, 7).transpose(0, 1);
  Tensor b = randomTensor({n, k}, 8).transpose(0, 1);
  Tensor c = Tensor::empty({m, n}, DType::Float32);
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_f32);
  expectClose(c, referenceMatmul(a, b), 1e-4 * (k + 1));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ExternMatmulTest,
                         ::testing::Values(MatmulCase{1, 1, 1},
                                           MatmulCase{1, 64, 33},
                                           MatmulCase{7, 13, 5},
                                           MatmulCase{64, 64, 64},
                                           MatmulCase{129, 31, 67}));

TEST(ExternKernelsTest, OffsetSlicedOperand) {
  // Rows 3..10 of a wider matrix: non-zero offset and a row stride > K.
  Tensor big = randomTensor({12, 20}, 9);
  Tensor a = big.slice(0, 3, 10).slice(1, 2, 17);
  Tensor b = randomTensor({15, 9}, 10);
  Tensor c = Tensor::empty({7, 9}, DType::Float32);
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_f32);
  expectClose(c, referenceMatmul(a, b), 2e-3);
}

TEST(ExternKernelsTest, BroadcastOperandRunsFallback) {
  // A zero row stride (an expanded row): whatever oneDNN does, values match.
  Tensor row = randomTensor({1, 6}, 11);
  Tensor a = row.expand({5, 6});
  Tensor b = randomTensor({6, 4}, 12);
  Tensor c = Tensor::empty({5, 4}, DType::Float32);
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_f32);
  expectClose(c, referenceMatmul(a, b), 1e-4);
}

TEST(ExternKernelsTest, BatchMatmul) {
  Tensor a = randomTensor({3, 17, 9}, 13), b = randomTensor({3, 9, 11}, 14);
  Tensor c = Tensor::empty({3, 17, 11}, DType::Float32);
  runMatmul(a, b, c, _mlir_ciface_kiln_batch_matmul_f32);
  expectClose(c, referenceMatmul(a, b), 1e-3);

  std::vector<double> expected = referenceMatmul(a, b);
  for (size_t i = 0; i < expected.size(); ++i)
    expected[i] *= 2;
  runMatmul(a, b, c, _mlir_ciface_kiln_batch_matmul_acc_f32);
  expectClose(c, expected, 2e-3);
}

TEST(ExternKernelsTest, BatchMatmulTransposedB) {
  Tensor a = randomTensor({2, 5, 8}, 15);
  Tensor b = randomTensor({2, 6, 8}, 16).transpose(1, 2);
  Tensor c = Tensor::empty({2, 5, 6}, DType::Float32);
  runMatmul(a, b, c, _mlir_ciface_kiln_batch_matmul_f32);
  expectClose(c, referenceMatmul(a, b), 1e-3);
}

TEST(ExternKernelsTest, MatmulBias) {
  Tensor a = randomTensor({9, 12}, 17), b = randomTensor({12, 10}, 18);
  Tensor bias = randomTensor({10}, 19);
  std::vector<double> expected = referenceMatmul(a, b);
  for (int64_t i = 0; i < 9; ++i)
    for (int64_t j = 0; j < 10; ++j)
      expected[i * 10 + j] += at(bias, {j});
  Tensor c = randomTensor({9, 10}, 20);
  MemRefDescriptor ad = describe(a), bd = describe(b), biasd = describe(bias),
                   cd = describe(c);
  kiln_rt_clear_error();
  _mlir_ciface_kiln_matmul_bias_f32(ad.get(), bd.get(), biasd.get(), cd.get());
  ASSERT_EQ(kiln_rt_last_error(), nullptr);
  expectClose(c, expected, 1e-3);
}

// max(A @ B + bias, 0) through the eltwise_relu post-op, against a float64
// reference; a transposed B and a strided output exercise the layouts, and a
// second variant shares the cache without mixing up primitives.
TEST(ExternKernelsTest, MatmulBiasRelu) {
  Tensor a = randomTensor({13, 12}, 31);
  Tensor b = randomTensor({11, 12}, 32).transpose(0, 1);
  Tensor bias = randomTensor({11}, 33);
  std::vector<double> expected = referenceMatmul(a, b);
  int64_t negatives = 0, positives = 0;
  for (int64_t i = 0; i < 13; ++i)
    for (int64_t j = 0; j < 11; ++j) {
      double &value = expected[i * 11 + j];
      value += at(bias, {j});
      (value < 0 ? negatives : positives) += 1;
      value = std::max(value, 0.0);
    }
  // Both sides of the ReLU are exercised.
  ASSERT_GT(negatives, 10);
  ASSERT_GT(positives, 10);
  Tensor wide = randomTensor({13, 22}, 34);
  for (const Tensor &c :
       {randomTensor({13, 11}, 35), wide.slice(1, 0, 22, 2)}) {
    MemRefDescriptor ad = describe(a), bd = describe(b), biasd = describe(bias),
                     cd = describe(c);
    kiln_rt_clear_error();
    _mlir_ciface_kiln_matmul_bias_relu_f32(ad.get(), bd.get(), biasd.get(),
                                           cd.get());
    ASSERT_EQ(kiln_rt_last_error(), nullptr) << kiln_rt_last_error();
    expectClose(c, expected, 1e-4);
  }
  // The bias-only kernel on the same shapes gets its own primitive: negative
  // values survive.
  Tensor c = Tensor::empty({13, 11}, DType::Float32);
  MemRefDescriptor ad = describe(a), bd = describe(b), biasd = describe(bias),
                   cd = describe(c);
  _mlir_ciface_kiln_matmul_bias_f32(ad.get(), bd.get(), biasd.get(), cd.get());
  ASSERT_EQ(kiln_rt_last_error(), nullptr);
  std::vector<double> biasOnly = referenceMatmul(a, b);
  for (int64_t i = 0; i < 13; ++i)
    for (int64_t j = 0; j < 11; ++j)
      biasOnly[i * 11 + j] += at(bias, {j});
  expectClose(c, biasOnly, 1e-4);
  // K == 0 runs the fallback loop, which applies the ReLU too.
  Tensor a0 = Tensor::empty({3, 0}, DType::Float32);
  Tensor b0 = Tensor::empty({0, 11}, DType::Float32);
  Tensor c0 = randomTensor({3, 11}, 36);
  MemRefDescriptor a0d = describe(a0), b0d = describe(b0), c0d = describe(c0);
  _mlir_ciface_kiln_matmul_bias_relu_f32(a0d.get(), b0d.get(), biasd.get(),
                                         c0d.get());
  ASSERT_EQ(kiln_rt_last_error(), nullptr) << kiln_rt_last_error();
  std::vector<double> clamped;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 11; ++j)
      clamped.push_back(std::max<double>(at(bias, {j}), 0.0));
  expectClose(c0, clamped, 0.0);
}

TEST(ExternKernelsTest, ShapeMismatchRecordsErrorAndLeavesOutput) {
  Tensor a = randomTensor({4, 5}, 20), b = randomTensor({6, 3}, 21);
  Tensor c = randomTensor({4, 3}, 22);
  Tensor before = c.clone();
  MemRefDescriptor ad = describe(a), bd = describe(b), cd = describe(c);
  kiln_rt_clear_error();
  _mlir_ciface_kiln_matmul_f32(ad.get(), bd.get(), cd.get());
  ASSERT_NE(kiln_rt_last_error(), nullptr);
  EXPECT_NE(std::string(kiln_rt_last_error()).find("shape mismatch"),
            std::string::npos);
  for (int64_t i = 0; i < 12; ++i)
    EXPECT_EQ(static_cast<float *>(c.data())[i],
              static_cast<float *>(before.data())[i]);
  kiln_rt_clear_error();
  EXPECT_EQ(kiln_rt_last_error(), nullptr);
}

TEST(ExternKernelsTest, PrimitiveCacheReusesPrimitives) {
  kiln_extern_clear_cache();
  Tensor a = randomTensor({31, 17}, 23), b = randomTensor({17, 19}, 24);
  Tensor c = Tensor::empty({31, 19}, DType::Float32);
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_f32);
  EXPECT_EQ(kiln_extern_primitives_created(), 1);
  EXPECT_EQ(kiln_extern_cache_hits(), 0);
  // Same shapes and strides, different buffers: served from the cache.
  Tensor a2 = randomTensor({31, 17}, 25);
  runMatmul(a2, b, c, _mlir_ciface_kiln_matmul_f32);
  EXPECT_EQ(kiln_extern_primitives_created(), 1);
  EXPECT_EQ(kiln_extern_cache_hits(), 1);
  expectClose(c, referenceMatmul(a2, b), 1e-3);
  // The accumulate variant is a different primitive.
  runMatmul(a, b, c, _mlir_ciface_kiln_matmul_acc_f32);
  EXPECT_EQ(kiln_extern_primitives_created(), 2);
  // Contiguous f32 layouts all run on oneDNN, never the fallback loop.
  EXPECT_EQ(kiln_extern_fallback_calls(), 0);
}

struct ConvCase {
  int64_t n, c, h, w, o, kh, kw;
  int64_t strideH, strideW, padH, padW, dilationH, dilationW, groups;
  bool bias;
};

std::vector<double> referenceConv(const Tensor &in, const Tensor &w,
                                  const Tensor *bias, const ConvCase &p,
                                  int64_t oh, int64_t ow) {
  const int64_t perGroupIn = p.c / p.groups, perGroupOut = p.o / p.groups;
  std::vector<double> out(p.n * p.o * oh * ow, 0.0);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t o = 0; o < p.o; ++o)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          double sum = bias ? at(*bias, {o}) : 0.0;
          for (int64_t c = 0; c < perGroupIn; ++c)
            for (int64_t ky = 0; ky < p.kh; ++ky)
              for (int64_t kx = 0; kx < p.kw; ++kx) {
                int64_t iy = y * p.strideH - p.padH + ky * p.dilationH;
                int64_t ix = x * p.strideW - p.padW + kx * p.dilationW;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w)
                  continue;
                sum +=
                    static_cast<double>(at(
                        in, {n, (o / perGroupOut) * perGroupIn + c, iy, ix})) *
                    at(w, {o, c, ky, kx});
              }
          out[((n * p.o + o) * oh + y) * ow + x] = sum;
        }
  return out;
}

class ExternConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ExternConvTest, MatchesReference) {
  const ConvCase p = GetParam();
  const int64_t oh =
      (p.h + 2 * p.padH - p.dilationH * (p.kh - 1) - 1) / p.strideH + 1;
  const int64_t ow =
      (p.w + 2 * p.padW - p.dilationW * (p.kw - 1) - 1) / p.strideW + 1;
  Tensor in = randomTensor({p.n, p.c, p.h, p.w}, 30);
  Tensor w = randomTensor({p.o, p.c / p.groups, p.kh, p.kw}, 31);
  Tensor bias = randomTensor({p.o}, 32);
  Tensor out = randomTensor({p.n, p.o, oh, ow}, 33);
  MemRefDescriptor ind = describe(in), wd = describe(w), bd = describe(bias),
                   outd = describe(out);
  kiln_rt_clear_error();
  if (p.bias)
    _mlir_ciface_kiln_conv2d_bias_f32(ind.get(), wd.get(), bd.get(), outd.get(),
                                      p.strideH, p.strideW, p.padH, p.padW,
                                      p.dilationH, p.dilationW, p.groups);
  else
    _mlir_ciface_kiln_conv2d_f32(ind.get(), wd.get(), outd.get(), p.strideH,
                                 p.strideW, p.padH, p.padW, p.dilationH,
                                 p.dilationW, p.groups);
  ASSERT_EQ(kiln_rt_last_error(), nullptr) << kiln_rt_last_error();
  expectClose(out, referenceConv(in, w, p.bias ? &bias : nullptr, p, oh, ow),
              1e-3);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ExternConvTest,
    ::testing::Values(
        // n  c  h  w  o kh kw sH sW pH pW dH dW  g  bias
        ConvCase{1, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, false},
        ConvCase{2, 3, 9, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, false},
        ConvCase{1, 4, 10, 11, 6, 3, 2, 1, 2, 2, 1, 1, 1, 1, true},
        ConvCase{2, 5, 12, 12, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1, false},
        ConvCase{1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, true},
        ConvCase{2, 8, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 8, false},
        ConvCase{1, 16, 14, 14, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1, true}));

TEST(ExternKernelsTest, ConvBadParametersRecordError) {
  Tensor in = randomTensor({1, 3, 8, 8}, 40),
         w = randomTensor({4, 3, 3, 3}, 41);
  Tensor out = randomTensor({1, 4, 5, 5}, 42); // torch gives 6x6
  MemRefDescriptor ind = describe(in), wd = describe(w), outd = describe(out);
  kiln_rt_clear_error();
  _mlir_ciface_kiln_conv2d_f32(ind.get(), wd.get(), outd.get(), 1, 1, 0, 0, 1,
                               1, 1);
  ASSERT_NE(kiln_rt_last_error(), nullptr);
  kiln_rt_clear_error();
  _mlir_ciface_kiln_conv2d_f32(ind.get(), wd.get(), outd.get(), 1, 1, 0, 0, 1,
                               1, 2); // 3 channels in 2 groups
  ASSERT_NE(kiln_rt_last_error(), nullptr);
}

} // namespace
