// Philox4x32-10, the generator's offsets, and the random tensor fills.
#include "runtime/core/Random.h"

#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

// The block loop is integer-only, so every clone computes the same bits; the
// wider ones only compute more blocks at a time.
#if defined(__x86_64__) && defined(__ELF__) &&                                 \
    (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 7))
#define KILN_PHILOX_CLONES                                                     \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KILN_PHILOX_CLONES
#endif

namespace kiln {

namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;
constexpr int kPhiloxRounds = 10;

uint32_t low32(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t high32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

// Blocks [first, first + count) of subsequence `subsequence` under `seed`,
// block b written to out[4b .. 4b+3]. Structure-of-arrays over kLanes blocks
// so the compiler turns each round into vector multiplies.
KILN_PHILOX_CLONES
void philoxBlocks(uint64_t seed, uint64_t subsequence, uint64_t first,
                  int64_t count, uint32_t *out) {
  constexpr int kLanes = 32;
  for (int64_t base = 0; base < count; base += kLanes) {
    uint32_t x0[kLanes], x1[kLanes], x2[kLanes], x3[kLanes];
    for (int j = 0; j < kLanes; ++j) {
      uint64_t block = first + static_cast<uint64_t>(base + j);
      x0[j] = low32(block);
      x1[j] = high32(block);
      x2[j] = low32(subsequence);
      x3[j] = high32(subsequence);
    }
    uint32_t k0 = low32(seed), k1 = high32(seed);
    for (int round = 0; round < kPhiloxRounds; ++round) {
      uint64_t p0[kLanes], p1[kLanes];
      for (int j = 0; j < kLanes; ++j) {
        p0[j] = static_cast<uint64_t>(kPhiloxM0) * x0[j];
        p1[j] = static_cast<uint64_t>(kPhiloxM1) * x2[j];
      }
      for (int j = 0; j < kLanes; ++j) {
        x0[j] = high32(p1[j]) ^ x1[j] ^ k0;
        x1[j] = low32(p1[j]);
        x2[j] = high32(p0[j]) ^ x3[j] ^ k1;
        x3[j] = low32(p0[j]);
      }
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    int64_t valid = std::min<int64_t>(kLanes, count - base);
    uint32_t *dst = out + 4 * base;
    for (int64_t j = 0; j < valid; ++j) {
      dst[4 * j] = x0[j];
      dst[4 * j + 1] = x1[j];
      dst[4 * j + 2] = x2[j];
      dst[4 * j + 3] = x3[j];
    }
  }
}

constexpr int64_t kChunkBlocks = 1024;

// Reserves the draws of `n` elements of `wordsEach` draws each and hands them
// out a chunk of blocks at a time: fn(words, first, count), where
// words[k * wordsEach ..] are the draws of element first + k.
template <typename Fn>
void fillElements(Generator &gen, int64_t n, int64_t wordsEach, Fn &&fn) {
  int64_t blocks = (n * wordsEach + 3) / 4;
  PhiloxState state = gen.reserve(4 * static_cast<uint64_t>(blocks));
  std::vector<uint32_t> words(4 * std::min(blocks, kChunkBlocks));
  for (int64_t block = 0; block < blocks; block += kChunkBlocks) {
    int64_t count = std::min(kChunkBlocks, blocks - block);
    philoxBlocks(state.seed, state.offset, static_cast<uint64_t>(block), count,
                 words.data());
    int64_t first = 4 * block / wordsEach;
    int64_t last = std::min(n, 4 * (block + count) / wordsEach);
    fn(words.data(), first, last - first);
  }
}

uint64_t join64(uint32_t high, uint32_t low) {
  return (static_cast<uint64_t>(high) << 32) | low;
}

// torch's uniform_real: the low `digits` bits of a draw, scaled to [0, 1).
float unitFloat(uint32_t draw) {
  return static_cast<float>(draw & 0xFFFFFFu) * 0x1p-24f;
}
double unitDouble(uint64_t draw) {
  return static_cast<double>(draw & ((uint64_t(1) << 53) - 1)) * 0x1p-53;
}

// Storage of the two 16-bit float dtypes, so templates can tell them apart.
struct Half {
  uint16_t bits;
};
struct BHalf {
  uint16_t bits;
};

template <typename T> T fromDouble(double v) { return static_cast<T>(v); }
template <> Half fromDouble<Half>(double v) {
  return {floatToHalf(static_cast<float>(v))};
}
template <> BHalf fromDouble<BHalf>(double v) {
  return {floatToBFloat16(static_cast<float>(v))};
}
// Through float, as a C++ cast of int64 to a 16-bit float type would go.
template <typename T> T fromInt(int64_t v) { return static_cast<T>(v); }
template <> Half fromInt<Half>(int64_t v) {
  return {floatToHalf(static_cast<float>(v))};
}
template <> BHalf fromInt<BHalf>(int64_t v) {
  return {floatToBFloat16(static_cast<float>(v))};
}

float toFloat(Half v) { return halfToFloat(v.bits); }
float toFloat(BHalf v) { return bfloat16ToFloat(v.bits); }

// Calls fn(T{}) with the C++ type that stores `dtype` (bool as uint8_t).
template <typename Fn> void dispatchStorage(DType dtype, Fn &&fn) {
  switch (dtype) {
  case DType::Float32:
    return fn(float{});
  case DType::Float64:
    return fn(double{});
  case DType::Float16:
    return fn(Half{});
  case DType::BFloat16:
    return fn(BHalf{});
  case DType::Int8:
    return fn(int8_t{});
  case DType::Int32:
    return fn(int32_t{});
  case DType::Int64:
    return fn(int64_t{});
  case DType::UInt8:
    return fn(uint8_t{});
  case DType::Bool:
    return fn(uint8_t{});
  }
  fail(ErrorKind::Runtime, "unknown dtype ", static_cast<int>(dtype));
}

void checkSizes(const char *op, const IntList &sizes) {
  for (int64_t s : sizes)
    if (s < 0)
      fail(ErrorKind::Runtime, op,
           "(): Trying to create tensor with negative dimension ", s, ": ",
           formatList(sizes));
}

void checkFloatDType(const char *op, DType dtype) {
  if (!isFloatingPoint(dtype))
    fail(ErrorKind::Type, op,
         "(): expected a floating-point dtype (float32, float64, float16 or "
         "bfloat16), got ",
         dtype);
}

// The largest finite value of a floating-point dtype.
double floatMax(DType dtype) {
  switch (dtype) {
  case DType::Float16:
    return 65504.0;
  case DType::BFloat16:
    return 3.3895313892515355e38;
  case DType::Float32:
    return std::numeric_limits<float>::max();
  default:
    return std::numeric_limits<double>::max();
  }
}

// The 16-bit float (sign-magnitude) value just below `bits`.
uint16_t stepDown16(uint16_t bits) {
  if ((bits & 0x7FFFu) == 0)
    return 0x8001;
  return (bits & 0x8000u) ? bits + 1 : bits - 1;
}

void uniformFloat32(float *out, int64_t n, float low, float high,
                    Generator &gen) {
  float range = high - low;
  // What a draw that rounds up onto `high` becomes.
  float below = std::max(
      std::nextafter(high, -std::numeric_limits<float>::infinity()), low);
  fillElements(gen, n, 1,
               [&](const uint32_t *words, int64_t first, int64_t count) {
                 float *dst = out + first;
                 for (int64_t i = 0; i < count; ++i) {
                   float v = unitFloat(words[i]) * range + low;
                   dst[i] = v < high ? v : below;
                 }
               });
}

void uniformFloat64(double *out, int64_t n, double low, double high,
                    Generator &gen) {
  double range = high - low;
  double below = std::max(
      std::nextafter(high, -std::numeric_limits<double>::infinity()), low);
  fillElements(
      gen, n, 2, [&](const uint32_t *words, int64_t first, int64_t count) {
        double *dst = out + first;
        for (int64_t i = 0; i < count; ++i) {
          double v =
              unitDouble(join64(words[2 * i], words[2 * i + 1])) * range + low;
          dst[i] = v < high ? v : below;
        }
      });
}

// float16 and bfloat16: a float32 uniform on the rounded bounds, rounded.
template <typename T>
void uniform16(T *out, int64_t n, double lowIn, double highIn, Generator &gen) {
  T lowBits = fromDouble<T>(lowIn), highBits = fromDouble<T>(highIn);
  float low = toFloat(lowBits), high = toFloat(highBits);
  float range = high - low;
  T below{stepDown16(highBits.bits)};
  if (!(toFloat(below) >= low))
    below = lowBits;
  fillElements(gen, n, 1,
               [&](const uint32_t *words, int64_t first, int64_t count) {
                 T *dst = out + first;
                 for (int64_t i = 0; i < count; ++i) {
                   T v = fromDouble<T>(unitFloat(words[i]) * range + low);
                   dst[i] = toFloat(v) < high ? v : below;
                 }
               });
}

} // namespace

std::array<uint32_t, 4> philox4x32(const std::array<uint32_t, 4> &counter,
                                   const std::array<uint32_t, 2> &key) {
  std::array<uint32_t, 4> x = counter;
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < kPhiloxRounds; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * x[0];
    uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * x[2];
    x = {high32(p1) ^ x[1] ^ k0, low32(p1), high32(p0) ^ x[3] ^ k1, low32(p0)};
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return x;
}

void Generator::seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::initialSeed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seed_;
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_;
}

void Generator::setOffset(uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  offset_ = offset;
}

PhiloxState Generator::reserve(uint64_t draws) {
  std::lock_guard<std::mutex> lock(mutex_);
  PhiloxState state{seed_, offset_};
  offset_ += draws;
  return state;
}

Generator &defaultGenerator() {
  static Generator generator;
  return generator;
}

Tensor uniform(const IntList &sizes, DType dtype, double low, double high,
               Generator &gen) {
  checkSizes("uniform", sizes);
  checkFloatDType("uniform", dtype);
  double max = floatMax(dtype);
  if (!(low <= high))
    fail(ErrorKind::Runtime,
         "uniform(): uniform_ expects to return a [from, to) range, but found "
         "from=",
         low, " > to=", high);
  if (!(low >= -max && low <= max))
    fail(ErrorKind::Runtime, "uniform(): from is out of bounds for ", dtype);
  if (!(high >= -max && high <= max))
    fail(ErrorKind::Runtime, "uniform(): to is out of bounds for ", dtype);
  if (!(high - low <= max))
    fail(ErrorKind::Runtime, "uniform(): uniform_ expects to-from <= ", max,
         " (the largest ", dtype, "), but found to=", high, " and from=", low,
         " which result in to-from to exceed the limit");
  Tensor out = Tensor::empty(sizes, dtype);
  int64_t n = out.numel();
  switch (dtype) {
  case DType::Float32:
    uniformFloat32(static_cast<float *>(out.data()), n, static_cast<float>(low),
                   static_cast<float>(high), gen);
    break;
  case DType::Float64:
    uniformFloat64(static_cast<double *>(out.data()), n, low, high, gen);
    break;
  case DType::Float16:
    uniform16(static_cast<Half *>(out.data()), n, low, high, gen);
    break;
  default:
    uniform16(static_cast<BHalf *>(out.data()), n, low, high, gen);
    break;
  }
  return out;
}

Tensor normal(const IntList &sizes, DType dtype, double mean, double std,
              Generator &gen) {
  checkSizes("normal", sizes);
  checkFloatDType("normal", dtype);
  if (!(std >= 0.0))
    fail(ErrorKind::Runtime,
         "normal(): normal expects std >= 0.0, but found std ", std);
  Tensor out = Tensor::empty(sizes, dtype);
  int64_t n = out.numel();
  constexpr double kTwoPi = 6.283185307179586;
  dispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    T *dst = static_cast<T *>(out.data());
    // Two elements per block: elements 2p and 2p + 1 are the cosine and sine
    // halves of pair p.
    fillElements(gen, n, 2,
                 [&](const uint32_t *words, int64_t first, int64_t count) {
                   // `first` is even: chunks hold whole blocks.
                   for (int64_t i = 0; i < count; i += 2) {
                     const uint32_t *pair = words + 2 * i;
                     double u1 = unitDouble(join64(pair[0], pair[1]));
                     double u2 = unitDouble(join64(pair[2], pair[3]));
                     double radius = std::sqrt(-2.0 * std::log1p(-u1));
                     double angle = kTwoPi * u2;
                     dst[first + i] =
                         fromDouble<T>(radius * std::cos(angle) * std + mean);
                     if (i + 1 < count)
                       dst[first + i + 1] =
                           fromDouble<T>(radius * std::sin(angle) * std + mean);
                   }
                 });
  });
  return out;
}

Tensor randint(int64_t low, int64_t high, const IntList &sizes, DType dtype,
               Generator &gen) {
  checkSizes("randint", sizes);
  if (low >= high)
    fail(ErrorKind::Runtime,
         "randint(): random_ expects 'from' to be less than 'to', but got "
         "from=",
         low, " >= to=", high);
  int64_t min = std::numeric_limits<int64_t>::min(),
          max = std::numeric_limits<int64_t>::max();
  switch (dtype) {
  case DType::Bool:
    min = 0, max = 1;
    break;
  case DType::UInt8:
    min = 0, max = 255;
    break;
  case DType::Int8:
    min = -128, max = 127;
    break;
  case DType::Int32:
    min = std::numeric_limits<int32_t>::min();
    max = std::numeric_limits<int32_t>::max();
    break;
  case DType::Float16:
    min = -65504, max = 65504;
    break;
  default:
    break;
  }
  if (low < min || low > max)
    fail(ErrorKind::Runtime, "randint(): from is out of bounds for ", dtype);
  if (high - 1 < min || high - 1 > max)
    fail(ErrorKind::Runtime, "randint(): to - 1 is out of bounds for ", dtype);
  Tensor out = Tensor::empty(sizes, dtype);
  int64_t n = out.numel();
  uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  int64_t wordsEach = range >= (uint64_t(1) << 32) ? 2 : 1;
  dispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    T *dst = static_cast<T *>(out.data());
    fillElements(gen, n, wordsEach,
                 [&](const uint32_t *words, int64_t first, int64_t count) {
                   for (int64_t i = 0; i < count; ++i) {
                     uint64_t draw = wordsEach == 1 ? words[i]
                                                    : join64(words[2 * i],
                                                             words[2 * i + 1]);
                     uint64_t value = static_cast<uint64_t>(low) + draw % range;
                     dst[first + i] = fromInt<T>(static_cast<int64_t>(value));
                   }
                 });
  });
  return out;
}

Tensor randperm(int64_t n, DType dtype, Generator &gen) {
  if (n < 0)
    fail(ErrorKind::Runtime, "randperm(): n must be non-negative, got ", n);
  // Every value up to n - 1 must be exact in the dtype.
  int64_t largest = std::numeric_limits<int64_t>::max();
  switch (dtype) {
  case DType::Bool:
    fail(ErrorKind::Runtime,
         "randperm(): \"randperm_cpu\" not implemented for 'Bool'");
  case DType::UInt8:
    largest = 255;
    break;
  case DType::Int8:
    largest = 127;
    break;
  case DType::Int32:
    largest = std::numeric_limits<int32_t>::max();
    break;
  case DType::Float16:
    largest = int64_t(1) << 11;
    break;
  case DType::BFloat16:
    largest = int64_t(1) << 8;
    break;
  case DType::Float32:
    largest = int64_t(1) << 24;
    break;
  case DType::Float64:
    largest = int64_t(1) << 53;
    break;
  default:
    break;
  }
  if (n - 1 > largest)
    fail(ErrorKind::Runtime, "randperm(): n is too large for result tensor ",
         "type: '", dtype, "' (n=", n, ", at most ", largest + 1, ")");
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t(0));
  if (n > 1) {
    // Step i swaps perm[i] with perm[i + draw % (n - i)].
    int64_t wordsEach = n > (int64_t(1) << 32) ? 2 : 1;
    fillElements(gen, n - 1, wordsEach,
                 [&](const uint32_t *words, int64_t first, int64_t count) {
                   for (int64_t k = 0; k < count; ++k) {
                     int64_t i = first + k;
                     uint64_t draw = wordsEach == 1 ? words[k]
                                                    : join64(words[2 * k],
                                                             words[2 * k + 1]);
                     int64_t j = i + static_cast<int64_t>(
                                         draw % static_cast<uint64_t>(n - i));
                     std::swap(perm[i], perm[j]);
                   }
                 });
  }
  Tensor out = Tensor::empty({n}, dtype);
  dispatchStorage(dtype, [&](auto tag) {
    using T = decltype(tag);
    T *dst = static_cast<T *>(out.data());
    for (int64_t i = 0; i < n; ++i)
      dst[i] = fromInt<T>(perm[i]);
  });
  return out;
}

Tensor bernoulli(const Tensor &p, Generator &gen) {
  if (!p.defined())
    fail(ErrorKind::Value, "bernoulli(): p is an undefined tensor");
  if (!isFloatingPoint(p.dtype()))
    fail(ErrorKind::Type,
         "bernoulli(): expected p to be a floating-point tensor of "
         "probabilities, got ",
         p.dtype());
  Tensor probs = p.contiguous();
  Tensor out = Tensor::empty(p.sizes(), p.dtype());
  int64_t n = p.numel();
  auto check = [&](double value) {
    if (!(value >= 0.0 && value <= 1.0))
      fail(ErrorKind::Runtime,
           "bernoulli(): expected all elements of p to be in [0, 1], but got "
           "p=",
           value);
  };
  if (p.dtype() == DType::Float64) {
    const double *src = static_cast<const double *>(probs.data());
    double *dst = static_cast<double *>(out.data());
    for (int64_t i = 0; i < n; ++i)
      check(src[i]);
    fillElements(gen, n, 2,
                 [&](const uint32_t *words, int64_t first, int64_t count) {
                   for (int64_t i = 0; i < count; ++i)
                     dst[first + i] =
                         unitDouble(join64(words[2 * i], words[2 * i + 1])) <
                                 src[first + i]
                             ? 1.0
                             : 0.0;
                 });
    return out;
  }
  std::vector<float> values(static_cast<size_t>(n));
  dispatchStorage(p.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *src = static_cast<const T *>(probs.data());
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BHalf>)
        values[i] = toFloat(src[i]);
      else
        values[i] = static_cast<float>(src[i]);
      check(values[i]);
    }
  });
  dispatchStorage(p.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T *dst = static_cast<T *>(out.data());
    fillElements(
        gen, n, 1, [&](const uint32_t *words, int64_t first, int64_t count) {
          for (int64_t i = 0; i < count; ++i)
            dst[first + i] =
                fromInt<T>(unitFloat(words[i]) < values[first + i] ? 1 : 0);
        });
  });
  return out;
}

} // namespace kiln
