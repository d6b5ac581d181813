// Tests sort, topk and nonzero against simple references, on strided views and
// every dtype.
#include "runtime/cpu/Sort.h"
#include "runtime/core/BFloat16.h"
#include "test/unit/TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

using namespace kiln;

namespace {

template <typename T>
Tensor make(const IntList &sizes, DType dtype, const std::vector<T> &values) {
  Tensor t = Tensor::empty(sizes, dtype);
  EXPECT_EQ(t.elementSize(), sizeof(T));
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.numel());
  std::memcpy(t.data(), values.data(), t.nbytes());
  return t;
}

template <typename T> std::vector<T> elements(const Tensor &t) {
  EXPECT_TRUE(t.isContiguous());
  const T *p = static_cast<const T *>(t.data());
  return std::vector<T>(p, p + t.numel());
}

// The element offsets of `t` in row-major order of its indices.
std::vector<int64_t> offsets(const Tensor &t) {
  std::vector<int64_t> out;
  IntList index(t.dim(), 0);
  for (int64_t done = 0; done < t.numel(); ++done) {
    int64_t offset = 0;
    for (int64_t d = 0; d < t.dim(); ++d)
      offset += index[d] * t.strides()[d];
    out.push_back(offset);
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++index[d] < t.sizes()[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

// torch.sort's order: NaN above everything, -0.0 equal to 0.0.
bool lessNanLast(double a, double b) {
  if (std::isnan(a))
    return false;
  return std::isnan(b) || a < b;
}

// Reference sort (or top-k) of float32 `x` along `dim` by std::stable_sort:
// the expected index tensor's elements in row-major order.
std::vector<int64_t> referenceIndices(const Tensor &x, int64_t dim,
                                      bool descending, int64_t k) {
  std::vector<int64_t> offs = offsets(x);
  const float *data = static_cast<const float *>(x.data());
  IntList sizes = x.sizes();
  int64_t n = sizes[dim];
  int64_t inner = 1;
  for (int64_t d = dim + 1; d < x.dim(); ++d)
    inner *= sizes[d];
  int64_t outer = x.numel() / std::max<int64_t>(n * inner, 1);
  std::vector<int64_t> out(static_cast<size_t>(outer * k * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) {
        return static_cast<double>(data[offs[(o * n + j) * inner + i]]);
      };
      std::vector<int64_t> order(static_cast<size_t>(n));
      std::iota(order.begin(), order.end(), int64_t(0));
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return descending ? lessNanLast(at(b), at(a))
                          : lessNanLast(at(a), at(b));
      });
      for (int64_t j = 0; j < k; ++j)
        out[(o * k + j) * inner + i] = order[j];
    }
  return out;
}

// Checks values[..] is x's element at indices[..] along `dim`, bit for bit.
void expectGathered(const Tensor &x, int64_t dim, const Tensor &values,
                    const Tensor &indices) {
  ASSERT_EQ(values.sizes(), indices.sizes());
  std::vector<float> v = elements<float>(values);
  std::vector<int64_t> idx = elements<int64_t>(indices);
  const float *data = static_cast<const float *>(x.data());
  IntList index(values.dim(), 0);
  for (size_t e = 0; e < v.size(); ++e) {
    int64_t offset = 0;
    for (int64_t d = 0; d < values.dim(); ++d)
      offset += (d == dim ? idx[e] : index[d]) * x.strides()[d];
    ASSERT_EQ(std::memcmp(&v[e], &data[offset], sizeof(float)), 0)
        << "element " << e;
    for (int64_t d = values.dim() - 1; d >= 0; --d) {
      if (++index[d] < values.sizes()[d])
        break;
      index[d] = 0;
    }
  }
}

// A [6, 8, 10] float32 tensor of small integers, so ties are common, with a
// few NaNs, infinities and negative zeros.
Tensor randomBase(std::mt19937 &rng) {
  std::vector<float> values(480);
  for (float &v : values) {
    uint32_t r = rng() % 100;
    v = r < 3    ? NAN
        : r < 5  ? -INFINITY
        : r < 7  ? INFINITY
        : r < 10 ? -0.0f
                 : static_cast<float>(static_cast<int>(rng() % 13) - 6);
  }
  return make({6, 8, 10}, DType::Float32, values);
}

std::vector<Tensor> views(const Tensor &base) {
  return {base,
          base.permute({2, 0, 1}),
          base.slice(2, 1, std::nullopt, 2),
          base.transpose(0, 2).slice(1, 2, 7),
          base.select(1, 3),
          base.select(0, 1).select(0, 2)};
}

TEST(SortTest, MatchesStableReferenceOnViews) {
  std::mt19937 rng(1);
  Tensor base = randomBase(rng);
  for (const Tensor &x : views(base))
    for (int64_t dim = -x.dim(); dim < x.dim(); ++dim)
      for (bool descending : {false, true}) {
        SCOPED_TRACE(::testing::Message()
                     << "sizes " << formatList(x.sizes()) << " dim " << dim
                     << " descending " << descending);
        auto [values, indices] = sort(x, dim, descending, /*stable=*/true);
        int64_t d = dim < 0 ? dim + x.dim() : dim;
        EXPECT_EQ(values.sizes(), x.sizes());
        EXPECT_EQ(indices.dtype(), DType::Int64);
        EXPECT_EQ(elements<int64_t>(indices),
                  referenceIndices(x, d, descending, x.size(d)));
        expectGathered(x, d, values, indices);
        auto [unstable, unstableIndices] = sort(x, dim, descending, false);
        EXPECT_EQ(elements<int64_t>(unstableIndices),
                  elements<int64_t>(indices));
      }
}

TEST(SortTest, NanSortsLargestAndTiesKeepOrder) {
  Tensor x = make({8}, DType::Float32,
                  std::vector<float>{3, NAN, 1, NAN, -INFINITY, 0, -0.0f, 1});
  auto [up, upIdx] = sort(x, 0, false, false);
  EXPECT_EQ(elements<int64_t>(upIdx),
            (std::vector<int64_t>{4, 5, 6, 2, 7, 0, 1, 3}));
  std::vector<float> v = elements<float>(up);
  EXPECT_EQ(v[0], -INFINITY);
  EXPECT_FALSE(std::signbit(v[1]));
  EXPECT_TRUE(std::signbit(v[2]));
  EXPECT_TRUE(std::isnan(v[6]) && std::isnan(v[7]));
  auto [down, downIdx] = sort(x, 0, true, true);
  EXPECT_EQ(elements<int64_t>(downIdx),
            (std::vector<int64_t>{1, 3, 0, 2, 7, 5, 6, 4}));
  EXPECT_TRUE(std::isnan(elements<float>(down)[0]));

  Tensor d =
      make({4}, DType::Float64, std::vector<double>{NAN, -1e300, 1e300, 0.5});
  EXPECT_EQ(elements<int64_t>(sort(d, 0, false, false).second),
            (std::vector<int64_t>{1, 3, 2, 0}));
}

TEST(SortTest, IntegerAndHalfDtypes) {
  // Values beyond 2^53 must not be compared through a double.
  int64_t big = int64_t(1) << 62;
  Tensor i64 =
      make({4}, DType::Int64, std::vector<int64_t>{big + 1, -5, big, big + 1});
  auto [v64, i64Idx] = sort(i64, 0, false, false);
  EXPECT_EQ(elements<int64_t>(v64),
            (std::vector<int64_t>{-5, big, big + 1, big + 1}));
  EXPECT_EQ(elements<int64_t>(i64Idx), (std::vector<int64_t>{1, 2, 0, 3}));
  EXPECT_EQ(elements<int64_t>(sort(i64, 0, true, false).second),
            (std::vector<int64_t>{0, 3, 2, 1}));

  Tensor i8 = make({5}, DType::Int8, std::vector<int8_t>{3, -128, 127, 0, -1});
  EXPECT_EQ(elements<int8_t>(sort(i8, 0, false, false).first),
            (std::vector<int8_t>{-128, -1, 0, 3, 127}));
  EXPECT_EQ(elements<int8_t>(sort(i8, 0, true, false).first),
            (std::vector<int8_t>{127, 3, 0, -1, -128}));
  Tensor u8 = make({4}, DType::UInt8, std::vector<uint8_t>{200, 7, 255, 0});
  EXPECT_EQ(elements<uint8_t>(sort(u8, 0, true, false).first),
            (std::vector<uint8_t>{255, 200, 7, 0}));
  Tensor i32 =
      make({2, 3}, DType::Int32, std::vector<int32_t>{5, -2, 9, 1, 1, 0});
  auto [v32, idx32] = sort(i32, 0, false, false);
  EXPECT_EQ(elements<int32_t>(v32), (std::vector<int32_t>{1, -2, 0, 5, 1, 9}));
  EXPECT_EQ(elements<int64_t>(idx32), (std::vector<int64_t>{1, 0, 1, 0, 1, 0}));
  Tensor flags = make({5}, DType::Bool, std::vector<uint8_t>{1, 0, 1, 0, 0});
  auto [vb, ib] = sort(flags, 0, true, false);
  EXPECT_EQ(elements<uint8_t>(vb), (std::vector<uint8_t>{1, 1, 0, 0, 0}));
  EXPECT_EQ(elements<int64_t>(ib), (std::vector<int64_t>{0, 2, 1, 3, 4}));

  // float16 bits: 2.0, -1.0, NaN, 0.5, -0.0, 65504.
  Tensor f16 = make(
      {6}, DType::Float16,
      std::vector<uint16_t>{0x4000, 0xBC00, 0x7E00, 0x3800, 0x8000, 0x7BFF});
  auto [vh, ih] = sort(f16, 0, false, false);
  EXPECT_EQ(elements<int64_t>(ih), (std::vector<int64_t>{1, 4, 3, 0, 5, 2}));
  EXPECT_EQ(
      elements<uint16_t>(vh),
      (std::vector<uint16_t>{0xBC00, 0x8000, 0x3800, 0x4000, 0x7BFF, 0x7E00}));
  Tensor bf16 =
      make({4}, DType::BFloat16,
           std::vector<uint16_t>{floatToBFloat16(3.5f), floatToBFloat16(-2.0f),
                                 floatToBFloat16(NAN), floatToBFloat16(1e30f)});
  EXPECT_EQ(elements<int64_t>(sort(bf16, 0, true, false).second),
            (std::vector<int64_t>{2, 3, 0, 1}));
}

TEST(SortTest, ScalarAndZeroSize) {
  Tensor s = make({}, DType::Float32, std::vector<float>{4.5f});
  for (int64_t dim : {0, -1}) {
    auto [v, i] = sort(s, dim, true, false);
    EXPECT_EQ(v.dim(), 0);
    EXPECT_EQ(elements<float>(v)[0], 4.5f);
    EXPECT_EQ(elements<int64_t>(i)[0], 0);
  }
  EXPECT_KILN_ERROR(sort(s, 1, false, false), ErrorKind::Index,
                    "Dimension out of range (expected to be in range of [-1, "
                    "0], but got 1)");
  Tensor z = Tensor::empty({0, 3}, DType::Float32);
  for (int64_t dim : {0, 1}) {
    auto [v, i] = sort(z, dim, false, false);
    EXPECT_EQ(v.sizes(), (IntList{0, 3}));
    EXPECT_EQ(i.sizes(), (IntList{0, 3}));
  }
  Tensor m = make({2, 3}, DType::Float32, std::vector<float>{3, 1, 2, 6, 5, 4});
  EXPECT_KILN_ERROR(sort(m, -3, false, false), ErrorKind::Index,
                    "sort(): Dimension out of range");
  EXPECT_KILN_ERROR(sort(Tensor(), 0, false, false), ErrorKind::Value,
                    "sort(): expected a defined tensor");
}

TEST(SortTest, TopkMatchesReference) {
  std::mt19937 rng(2);
  Tensor base = randomBase(rng);
  for (const Tensor &x : views(base))
    for (int64_t dim = 0; dim < x.dim(); ++dim)
      for (int64_t k : {int64_t(0), int64_t(1), int64_t(3), x.size(dim)})
        for (bool largest : {false, true}) {
          if (k > x.size(dim))
            continue;
          SCOPED_TRACE(::testing::Message()
                       << "sizes " << formatList(x.sizes()) << " dim " << dim
                       << " k " << k << " largest " << largest);
          auto [values, indices] = topk(x, k, dim, largest, true);
          IntList expectedSizes = x.sizes();
          expectedSizes[dim] = k;
          EXPECT_EQ(values.sizes(), expectedSizes);
          EXPECT_EQ(elements<int64_t>(indices),
                    referenceIndices(x, dim, largest, k));
          expectGathered(x, dim, values, indices);
        }
}

TEST(SortTest, TopkEdgesAndErrors) {
  Tensor x = make({6}, DType::Float32, std::vector<float>{1, NAN, 5, 5, -2, 0});
  auto [top, topIdx] = topk(x, 3, -1, true, false);
  EXPECT_EQ(elements<int64_t>(topIdx), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(elements<int64_t>(topk(x, 2, 0, false, true).second),
            (std::vector<int64_t>{4, 5}));
  Tensor s = make({}, DType::Int64, std::vector<int64_t>{7});
  auto [sv, si] = topk(s, 1, 0, true, true);
  EXPECT_EQ(sv.dim(), 0);
  EXPECT_EQ(elements<int64_t>(sv)[0], 7);
  EXPECT_EQ(elements<int64_t>(si)[0], 0);
  EXPECT_KILN_ERROR(topk(x, 7, 0, true, true), ErrorKind::Runtime,
                    "selected index k out of range");
  EXPECT_KILN_ERROR(topk(x, -1, 0, true, true), ErrorKind::Runtime,
                    "selected index k out of range");
  EXPECT_KILN_ERROR(topk(s, 2, 0, true, true), ErrorKind::Runtime,
                    "selected index k out of range");
  EXPECT_KILN_ERROR(topk(x, 1, 1, true, true), ErrorKind::Index,
                    "topk(): Dimension out of range");
  Tensor z = Tensor::empty({4, 0}, DType::Float64);
  EXPECT_EQ(topk(z, 0, 1, true, true).first.sizes(), (IntList{4, 0}));
  EXPECT_EQ(topk(z, 2, 0, true, true).second.sizes(), (IntList{2, 0}));
}

// Reference nonzero: the multi-indices of the nonzero elements, row-major.
std::vector<int64_t> referenceNonzero(const Tensor &x) {
  std::vector<int64_t> out;
  std::vector<int64_t> offs = offsets(x);
  const float *data = static_cast<const float *>(x.data());
  for (size_t e = 0; e < offs.size(); ++e) {
    if (data[offs[e]] == 0.0f)
      continue;
    int64_t rest = static_cast<int64_t>(e);
    std::vector<int64_t> index(x.dim());
    for (int64_t d = x.dim() - 1; d >= 0; --d) {
      index[d] = rest % x.sizes()[d];
      rest /= x.sizes()[d];
    }
    out.insert(out.end(), index.begin(), index.end());
  }
  return out;
}

TEST(SortTest, NonzeroMatchesReference) {
  std::mt19937 rng(3);
  Tensor base = randomBase(rng);
  for (const Tensor &x : views(base)) {
    SCOPED_TRACE(formatList(x.sizes()));
    Tensor nz = nonzero(x);
    std::vector<int64_t> expected = referenceNonzero(x);
    EXPECT_EQ(nz.dtype(), DType::Int64);
    EXPECT_EQ(
        nz.sizes(),
        (IntList{static_cast<int64_t>(expected.size()) / x.dim(), x.dim()}));
    EXPECT_EQ(elements<int64_t>(nz), expected);
  }
}

TEST(SortTest, NonzeroDtypesAndShapes) {
  Tensor f = make({4}, DType::Float32, std::vector<float>{-0.0f, NAN, 0.0f, 2});
  EXPECT_EQ(elements<int64_t>(nonzero(f)), (std::vector<int64_t>{1, 3}));
  Tensor h = make({2, 2}, DType::Float16,
                  std::vector<uint16_t>{0x8000, 0x0001, 0, 0x3C00});
  EXPECT_EQ(elements<int64_t>(nonzero(h)), (std::vector<int64_t>{0, 1, 1, 1}));
  Tensor b = make({3}, DType::BFloat16,
                  std::vector<uint16_t>{floatToBFloat16(0.5f), 0x8000, 0});
  EXPECT_EQ(elements<int64_t>(nonzero(b)), (std::vector<int64_t>{0}));
  Tensor flags =
      make({2, 3}, DType::Bool, std::vector<uint8_t>{0, 1, 0, 1, 0, 1});
  Tensor nz = nonzero(flags.transpose(0, 1));
  EXPECT_EQ(nz.sizes(), (IntList{3, 2}));
  EXPECT_EQ(elements<int64_t>(nz), (std::vector<int64_t>{0, 1, 1, 0, 2, 1}));
  Tensor ints =
      make({3}, DType::Int64, std::vector<int64_t>{0, int64_t(1) << 40, 0});
  EXPECT_EQ(elements<int64_t>(nonzero(ints.expand({2, 3}))),
            (std::vector<int64_t>{0, 1, 1, 1}));

  Tensor one = make({}, DType::Int32, std::vector<int32_t>{3});
  EXPECT_EQ(nonzero(one).sizes(), (IntList{1, 0}));
  Tensor zero = make({}, DType::Float64, std::vector<double>{0.0});
  EXPECT_EQ(nonzero(zero).sizes(), (IntList{0, 0}));
  EXPECT_EQ(nonzero(Tensor::empty({0, 3}, DType::UInt8)).sizes(),
            (IntList{0, 2}));
}

} // namespace
