// Tests Philox4x32-10 against Random123's vectors, generator offsets, and each
// random fill.
#include "runtime/core/Random.h"
#include "runtime/core/BFloat16.h"
#include "test/unit/TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

using namespace kiln;

namespace {

template <typename T> std::vector<T> elements(const Tensor &t) {
  EXPECT_EQ(t.elementSize(), sizeof(T));
  EXPECT_TRUE(t.isContiguous());
  const T *p = static_cast<const T *>(t.data());
  return std::vector<T>(p, p + t.numel());
}

bool sameBytes(const Tensor &a, const Tensor &b) {
  return a.sizes() == b.sizes() && a.dtype() == b.dtype() &&
         std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

float halfBitsToFloat(uint16_t h) {
  int exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  float magnitude =
      exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -24)
      : exponent == 31
          ? (mantissa ? NAN : INFINITY)
          : std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  return (h & 0x8000) ? -magnitude : magnitude;
}

// Mean and (population) variance of a tensor's elements read as doubles.
template <typename T> std::pair<double, double> moments(const Tensor &t) {
  std::vector<T> v = elements<T>(t);
  double sum = 0, sumSq = 0;
  for (T x : v)
    sum += static_cast<double>(x);
  double mean = sum / static_cast<double>(v.size());
  for (T x : v)
    sumSq += (static_cast<double>(x) - mean) * (static_cast<double>(x) - mean);
  return {mean, sumSq / static_cast<double>(v.size())};
}

TEST(RandomTest, PhiloxKnownAnswers) {
  using Block = std::array<uint32_t, 4>;
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}),
            (Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                       {0xffffffff, 0xffffffff}),
            (Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                       {0xa4093822, 0x299f31d0}),
            (Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

// The vectorized fill must produce exactly the reference blocks: element i is
// lane i % 4 of the block with counter (i / 4, offset) under key seed. 5001
// elements cross the fill's internal batches and chunks and end mid-block.
TEST(RandomTest, FillsAreReferenceBlocks) {
  const uint64_t seed = 0x0123456789abcdefull;
  const uint64_t offset = 0xdeadbeef00001234ull;
  Generator gen(seed);
  gen.setOffset(offset);
  const int64_t n = 5001;
  // A range of 2^32 - 1 keeps each draw (bar one value) as it is.
  Tensor t = randint(0, 0xffffffffll, {n}, DType::Int64, gen);
  std::vector<int64_t> got = elements<int64_t>(t);
  for (int64_t i = 0; i < n; ++i) {
    uint64_t block = static_cast<uint64_t>(i / 4);
    std::array<uint32_t, 4> words = philox4x32(
        {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
         static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)},
        {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
    ASSERT_EQ(got[i], static_cast<int64_t>(words[i % 4] % 0xffffffffu))
        << "element " << i;
  }
  EXPECT_EQ(gen.offset(), offset + 5004);
}

TEST(RandomTest, GeneratorState) {
  Generator gen(7);
  EXPECT_EQ(gen.initialSeed(), 7u);
  EXPECT_EQ(gen.offset(), 0u);
  uniform({10}, DType::Float32, 0, 1, gen);
  EXPECT_EQ(gen.offset(), 12u); // One draw each, rounded up to whole blocks.
  uniform({10}, DType::Float64, 0, 1, gen);
  EXPECT_EQ(gen.offset(), 32u);
  normal({5}, DType::Float32, 0, 1, gen);
  EXPECT_EQ(gen.offset(), 44u); // One block per pair.
  randint(0, 10, {0}, DType::Int64, gen);
  EXPECT_EQ(gen.offset(), 44u);
  randperm(9, DType::Int64, gen);
  EXPECT_EQ(gen.offset(), 52u); // Eight swaps.
  gen.seed(9);
  EXPECT_EQ(gen.initialSeed(), 9u);
  EXPECT_EQ(gen.offset(), 0u);
  EXPECT_EQ(&defaultGenerator(), &defaultGenerator());
  uint64_t before = defaultGenerator().offset();
  uniform({4}, DType::Float32, 0, 1);
  EXPECT_EQ(defaultGenerator().offset(), before + 4);
  EXPECT_EQ(Generator().initialSeed(), Generator::kDefaultSeed);
}

TEST(RandomTest, SameSeedSameValues) {
  Generator a(1234), b(1234);
  for (DType dtype :
       {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    EXPECT_TRUE(sameBytes(uniform({3, 77}, dtype, -1, 3, a),
                          uniform({3, 77}, dtype, -1, 3, b)))
        << dtype;
    EXPECT_TRUE(
        sameBytes(normal({31}, dtype, 1, 2, a), normal({31}, dtype, 1, 2, b)))
        << dtype;
  }
  EXPECT_TRUE(sameBytes(randint(-5, 5, {100}, DType::Int32, a),
                        randint(-5, 5, {100}, DType::Int32, b)));
  EXPECT_TRUE(
      sameBytes(randperm(50, DType::Int64, a), randperm(50, DType::Int64, b)));
  EXPECT_EQ(a.offset(), b.offset());
}

// A call's values depend on (seed, offset) only, not on what ran before.
TEST(RandomTest, ValuesDependOnlyOnSeedAndOffset) {
  Generator a(99), b(99);
  uniform({1000}, DType::Float32, 0, 1, a);
  randint(0, 3, {17}, DType::Int8, a);
  uint64_t offset = a.offset();
  Tensor fromA = normal({64}, DType::Float64, 0, 1, a);
  b.setOffset(offset);
  EXPECT_TRUE(sameBytes(fromA, normal({64}, DType::Float64, 0, 1, b)));
  // A longer call at the same offset starts with the same elements.
  b.setOffset(offset);
  std::vector<double> longer =
      elements<double>(normal({65}, DType::Float64, 0, 1, b));
  std::vector<double> shorter = elements<double>(fromA);
  EXPECT_TRUE(std::equal(shorter.begin(), shorter.end(), longer.begin()));
}

TEST(RandomTest, DifferentOffsetsAndSeedsDiffer) {
  Generator gen(5);
  std::vector<float> first =
      elements<float>(uniform({256}, DType::Float32, 0, 1, gen));
  std::vector<float> second =
      elements<float>(uniform({256}, DType::Float32, 0, 1, gen));
  gen.setOffset(1);
  std::vector<float> third =
      elements<float>(uniform({256}, DType::Float32, 0, 1, gen));
  Generator other(6);
  std::vector<float> fourth =
      elements<float>(uniform({256}, DType::Float32, 0, 1, other));
  int same12 = 0, same13 = 0, same14 = 0;
  for (int i = 0; i < 256; ++i) {
    same12 += first[i] == second[i];
    same13 += first[i] == third[i];
    same14 += first[i] == fourth[i];
  }
  EXPECT_LT(same12, 3);
  EXPECT_LT(same13, 3);
  EXPECT_LT(same14, 3);
}

TEST(RandomTest, UniformDistribution) {
  Generator gen(2024);
  Tensor f = uniform({1000, 1000}, DType::Float32, 2, 5, gen);
  EXPECT_EQ(f.sizes(), (IntList{1000, 1000}));
  std::vector<float> v = elements<float>(f);
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 2.0f);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), 5.0f);
  auto [mean, var] = moments<float>(f);
  EXPECT_NEAR(mean, 3.5, 0.005);
  EXPECT_NEAR(var, 0.75, 0.005);

  Tensor d = uniform({1000000}, DType::Float64, -1, 1, gen);
  std::vector<double> w = elements<double>(d);
  EXPECT_GE(*std::min_element(w.begin(), w.end()), -1.0);
  EXPECT_LT(*std::max_element(w.begin(), w.end()), 1.0);
  std::tie(mean, var) = moments<double>(d);
  EXPECT_NEAR(mean, 0.0, 0.005);
  EXPECT_NEAR(var, 1.0 / 3.0, 0.005);
  // 53 random bits: nearly every value is distinct.
  std::sort(w.begin(), w.end());
  EXPECT_GT(std::unique(w.begin(), w.end()) - w.begin(), 999000);
}

TEST(RandomTest, UniformHalfTypesStayBelowHigh) {
  Generator gen(3);
  std::vector<uint16_t> h =
      elements<uint16_t>(uniform({100000}, DType::Float16, 0, 1, gen));
  std::vector<uint16_t> b =
      elements<uint16_t>(uniform({100000}, DType::BFloat16, 0, 1, gen));
  double sumH = 0, sumB = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    float x = halfBitsToFloat(h[i]), y = bfloat16ToFloat(b[i]);
    ASSERT_TRUE(x >= 0.0f && x < 1.0f) << x;
    ASSERT_TRUE(y >= 0.0f && y < 1.0f) << y;
    sumH += x;
    sumB += y;
  }
  EXPECT_NEAR(sumH / h.size(), 0.5, 0.01);
  EXPECT_NEAR(sumB / b.size(), 0.5, 0.01);
}

// Rounding x * (high - low) + low can land on high; such draws are pulled
// back below it.
TEST(RandomTest, UniformNeverReturnsHigh) {
  Generator gen(11);
  float high = std::nextafter(1.0f, 2.0f);
  for (float x :
       elements<float>(uniform({4096}, DType::Float32, 1.0, high, gen)))
    ASSERT_EQ(x, 1.0f);
  for (float x : elements<float>(uniform({64}, DType::Float32, 2.5, 2.5, gen)))
    ASSERT_EQ(x, 2.5f);
  for (uint16_t x : elements<uint16_t>(
           uniform({4096}, DType::BFloat16, 1.0, 1.0078125, gen)))
    ASSERT_EQ(bfloat16ToFloat(x), 1.0f);
}

TEST(RandomTest, NormalDistribution) {
  Generator gen(77);
  Tensor f = normal({1000000}, DType::Float32, 0.5, 2.0, gen);
  auto [mean, var] = moments<float>(f);
  EXPECT_NEAR(mean, 0.5, 0.01);
  EXPECT_NEAR(var, 4.0, 0.04);
  int64_t within = 0;
  for (float x : elements<float>(f))
    within += std::abs(x - 0.5f) < 2.0f;
  EXPECT_NEAR(static_cast<double>(within) / 1e6, 0.682689, 0.003);

  Tensor d = normal({999999}, DType::Float64, -3, 0.25, gen);
  std::tie(mean, var) = moments<double>(d);
  EXPECT_NEAR(mean, -3.0, 0.002);
  EXPECT_NEAR(var, 0.0625, 0.001);
  // The float32 fill is the float64 one rounded.
  Generator a(8), b(8);
  std::vector<float> single =
      elements<float>(normal({33}, DType::Float32, 1, 3, a));
  std::vector<double> twice =
      elements<double>(normal({33}, DType::Float64, 1, 3, b));
  for (int i = 0; i < 33; ++i)
    EXPECT_EQ(single[i], static_cast<float>(twice[i]));
  for (float x : elements<float>(normal({8}, DType::Float32, 4, 0, a)))
    EXPECT_EQ(x, 4.0f);
}

TEST(RandomTest, RandintBounds) {
  Generator gen(10);
  std::map<int64_t, int64_t> counts;
  for (int64_t x :
       elements<int64_t>(randint(-3, 7, {1000000}, DType::Int64, gen)))
    ++counts[x];
  ASSERT_EQ(counts.size(), 10u);
  EXPECT_EQ(counts.begin()->first, -3);
  EXPECT_EQ(counts.rbegin()->first, 6);
  for (auto [value, count] : counts)
    EXPECT_NEAR(count, 100000, 1500) << value;

  std::vector<int8_t> i8 =
      elements<int8_t>(randint(-128, 128, {100000}, DType::Int8, gen));
  EXPECT_EQ(*std::min_element(i8.begin(), i8.end()), -128);
  EXPECT_EQ(*std::max_element(i8.begin(), i8.end()), 127);
  std::vector<uint8_t> u8 =
      elements<uint8_t>(randint(250, 256, {1000}, DType::UInt8, gen));
  EXPECT_EQ(*std::min_element(u8.begin(), u8.end()), 250);
  EXPECT_EQ(*std::max_element(u8.begin(), u8.end()), 255);
  std::vector<uint8_t> flags =
      elements<uint8_t>(randint(0, 2, {1000}, DType::Bool, gen));
  EXPECT_EQ(std::count(flags.begin(), flags.end(), 0) +
                std::count(flags.begin(), flags.end(), 1),
            1000);
  EXPECT_GT(std::count(flags.begin(), flags.end(), 1), 400);
  for (float x : elements<float>(randint(-10, 10, {1000}, DType::Float32, gen)))
    ASSERT_TRUE(x == std::floor(x) && x >= -10 && x < 10) << x;
  for (uint16_t x :
       elements<uint16_t>(randint(-4, 4, {1000}, DType::BFloat16, gen)))
    ASSERT_TRUE(bfloat16ToFloat(x) >= -4 && bfloat16ToFloat(x) < 4);

  // A range wider than 32 bits draws twice per element.
  uint64_t before = gen.offset();
  std::vector<int64_t> wide = elements<int64_t>(
      randint(std::numeric_limits<int64_t>::min(),
              std::numeric_limits<int64_t>::max(), {1000}, DType::Int64, gen));
  EXPECT_EQ(gen.offset() - before, 2000u);
  EXPECT_GT(
      std::count_if(wide.begin(), wide.end(), [](int64_t x) { return x < 0; }),
      400);
  EXPECT_GT(std::count_if(wide.begin(), wide.end(),
                          [](int64_t x) { return x > (int64_t(1) << 62); }),
            150);
}

TEST(RandomTest, RandpermIsAPermutation) {
  Generator gen(4);
  for (int64_t n : {0, 1, 2, 5, 1000, 5000}) {
    std::vector<int64_t> p = elements<int64_t>(randperm(n, DType::Int64, gen));
    ASSERT_EQ(static_cast<int64_t>(p.size()), n);
    std::vector<int64_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(sorted[i], i);
    if (n >= 1000) {
      int64_t fixed = 0;
      for (int64_t i = 0; i < n; ++i)
        fixed += p[i] == i;
      EXPECT_LT(fixed, 10); // About one fixed point expected.
    }
  }
  std::vector<float> f = elements<float>(randperm(100, DType::Float32, gen));
  std::sort(f.begin(), f.end());
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(f[i], static_cast<float>(i));
  std::vector<uint8_t> u = elements<uint8_t>(randperm(256, DType::UInt8, gen));
  std::sort(u.begin(), u.end());
  EXPECT_EQ(u.front(), 0);
  EXPECT_EQ(u.back(), 255);
  // Position 0 of a 3-permutation takes each value about a third of the time.
  int64_t counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i)
    ++counts[elements<int64_t>(randperm(3, DType::Int64, gen))[0]];
  for (int64_t c : counts)
    EXPECT_NEAR(c, 10000, 500);
}

TEST(RandomTest, Bernoulli) {
  Generator gen(21);
  Tensor p = Tensor::empty({1000, 1000}, DType::Float32);
  float *pp = static_cast<float *>(p.data());
  for (int64_t i = 0; i < 1000; ++i)
    for (int64_t j = 0; j < 1000; ++j)
      pp[i * 1000 + j] = j < 500 ? 0.2f : 0.9f;
  // Transposed: rows 0..499 of the view have p = 0.2, the rest 0.9.
  Tensor view = p.transpose(0, 1);
  Tensor out = bernoulli(view, gen);
  EXPECT_EQ(out.dtype(), DType::Float32);
  EXPECT_EQ(out.sizes(), (IntList{1000, 1000}));
  std::vector<float> v = elements<float>(out);
  double low = 0, high = 0;
  for (int64_t i = 0; i < 1000; ++i)
    for (int64_t j = 0; j < 1000; ++j) {
      float x = v[i * 1000 + j];
      ASSERT_TRUE(x == 0.0f || x == 1.0f);
      (i < 500 ? low : high) += x;
    }
  EXPECT_NEAR(low / 500000, 0.2, 0.003);
  EXPECT_NEAR(high / 500000, 0.9, 0.003);

  Tensor edges = Tensor::empty({2, 500}, DType::Float64);
  double *e = static_cast<double *>(edges.data());
  std::fill(e, e + 500, 0.0);
  std::fill(e + 500, e + 1000, 1.0);
  std::vector<double> sampled = elements<double>(bernoulli(edges, gen));
  EXPECT_EQ(std::count(sampled.begin(), sampled.begin() + 500, 0.0), 500);
  EXPECT_EQ(std::count(sampled.begin() + 500, sampled.end(), 1.0), 500);

  Tensor half = Tensor::empty({4000}, DType::BFloat16);
  uint16_t *hb = static_cast<uint16_t *>(half.data());
  std::fill(hb, hb + 4000, floatToBFloat16(0.5f));
  std::vector<uint16_t> hs = elements<uint16_t>(bernoulli(half, gen));
  int64_t ones = std::count(hs.begin(), hs.end(), floatToBFloat16(1.0f));
  EXPECT_EQ(ones + std::count(hs.begin(), hs.end(), floatToBFloat16(0.0f)),
            4000);
  EXPECT_NEAR(ones, 2000, 150);
}

TEST(RandomTest, Errors) {
  Generator gen;
  EXPECT_KILN_ERROR(randint(5, 3, {2}, DType::Int64, gen), ErrorKind::Runtime,
                    "random_ expects 'from' to be less than 'to', but got "
                    "from=5 >= to=3");
  EXPECT_KILN_ERROR(randint(-1, 3, {2}, DType::UInt8, gen), ErrorKind::Runtime,
                    "from is out of bounds for uint8");
  EXPECT_KILN_ERROR(randint(0, 129, {2}, DType::Int8, gen), ErrorKind::Runtime,
                    "to - 1 is out of bounds for int8");
  EXPECT_KILN_ERROR(uniform({2}, DType::Int32, 0, 1, gen), ErrorKind::Type,
                    "uniform(): expected a floating-point dtype");
  EXPECT_KILN_ERROR(uniform({2}, DType::Float32, 2, 1, gen), ErrorKind::Runtime,
                    "but found from=2 > to=1");
  EXPECT_KILN_ERROR(uniform({2}, DType::Float16, 0, 1e5, gen),
                    ErrorKind::Runtime, "to is out of bounds for float16");
  EXPECT_KILN_ERROR(uniform({-2}, DType::Float32, 0, 1, gen),
                    ErrorKind::Runtime,
                    "uniform(): Trying to create tensor "
                    "with negative dimension -2");
  EXPECT_KILN_ERROR(normal({2}, DType::Float32, 0, -1, gen), ErrorKind::Runtime,
                    "normal expects std >= 0.0, but found std -1");
  EXPECT_KILN_ERROR(normal({2}, DType::Bool, 0, 1, gen), ErrorKind::Type,
                    "normal(): expected a floating-point dtype");
  EXPECT_KILN_ERROR(randperm(-1, DType::Int64, gen), ErrorKind::Runtime,
                    "randperm(): n must be non-negative, got -1");
  EXPECT_KILN_ERROR(randperm(129, DType::Int8, gen), ErrorKind::Runtime,
                    "n is too large for result tensor type: 'int8'");
  EXPECT_KILN_ERROR(randperm(3, DType::Bool, gen), ErrorKind::Runtime,
                    "not implemented for 'Bool'");
  Tensor ints = Tensor::empty({2}, DType::Int64);
  EXPECT_KILN_ERROR(bernoulli(ints, gen), ErrorKind::Type,
                    "bernoulli(): expected p to be a floating-point tensor");
  Tensor p = Tensor::empty({3}, DType::Float32);
  float *pp = static_cast<float *>(p.data());
  pp[0] = 0.5f, pp[1] = 1.5f, pp[2] = 0.0f;
  EXPECT_KILN_ERROR(
      bernoulli(p, gen), ErrorKind::Runtime,
      "expected all elements of p to be in [0, 1], but got p=1.5");
  pp[1] = NAN;
  EXPECT_KILN_ERROR(bernoulli(p, gen), ErrorKind::Runtime, "but got p=nan");
  // A failed call uses no draws.
  EXPECT_EQ(gen.offset(), 0u);
}

} // namespace
