// Counter-based random numbers (Philox4x32-10) and the tensor fills built on
// them.
#pragma once

#include "runtime/core/Tensor.h"

#include <array>
#include <cstdint>
#include <mutex>

namespace kiln {

// One Philox4x32-10 block (Salmon et al., "Parallel Random Numbers: As Easy as
// 1, 2, 3", SC'11): four 32-bit outputs of a 128-bit counter under a 64-bit
// key, the function cuRAND and PyTorch's CUDA generator evaluate.
std::array<uint32_t, 4> philox4x32(const std::array<uint32_t, 4> &counter,
                                   const std::array<uint32_t, 2> &key);

// Where one call's draws come from: the key and the counter's upper 64 bits.
struct PhiloxState {
  uint64_t seed;
  uint64_t offset;
};

// A seed and an offset, nothing more: a call that needs random numbers takes
// the current offset as its subsequence (the counter's upper 64 bits; the lower
// 64 count 4-word blocks from 0) and moves the offset past its draws. So
// element i of a call depends only on (seed, offset, i), whatever ran before.
// Every member locks, so threads may share a generator.
class Generator {
public:
  // PyTorch's default seed (c10::detail::default_rng_seed_val).
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;

  explicit Generator(uint64_t seed = kDefaultSeed) : seed_(seed) {}
  Generator(const Generator &) = delete;
  Generator &operator=(const Generator &) = delete;

  // Sets the seed and rewinds the offset to 0, as torch.manual_seed does.
  void seed(uint64_t seed);
  uint64_t initialSeed() const;
  // How many 32-bit draws the calls since seeding have used.
  uint64_t offset() const;
  void setOffset(uint64_t offset);
  // The state a call that uses `draws` 32-bit draws runs from, moving the
  // offset past them in the same critical section.
  PhiloxState reserve(uint64_t draws);

private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator the functions below default to.
Generator &defaultGenerator();

// Each function returns a fresh contiguous tensor and advances `gen` by the
// draws it used, rounded up to whole 4-word Philox blocks.

// Uniform on [low, high) after both bounds are rounded to `dtype` (float32,
// float64, float16 or bfloat16), as torch.Tensor.uniform_: a float32 from 24
// random bits (one draw) for the 32- and 16-bit dtypes, a float64 from 53 bits
// (two draws) for float64.
Tensor uniform(const IntList &sizes, DType dtype, double low, double high,
               Generator &gen = defaultGenerator());
// Normal(mean, std) by the Box-Muller transform in float64: each pair of
// elements uses one block (two 53-bit uniforms), then rounds to `dtype`.
Tensor normal(const IntList &sizes, DType dtype, double mean, double std,
              Generator &gen = defaultGenerator());
// Integers in [low, high) as torch.randint: `low + draw % (high - low)`, one
// draw per element when the range fits 32 bits, else two. Any dtype; bounds
// must be representable in it.
Tensor randint(int64_t low, int64_t high, const IntList &sizes, DType dtype,
               Generator &gen = defaultGenerator());
// A random permutation of 0..n-1 by Fisher-Yates, as torch.randperm.
Tensor randperm(int64_t n, DType dtype = DType::Int64,
                Generator &gen = defaultGenerator());
// 1 where a uniform draw falls below p, else 0, in p's dtype and shape. `p`
// is a floating-point tensor (any strides) with every element in [0, 1].
Tensor bernoulli(const Tensor &p, Generator &gen = defaultGenerator());

} // namespace kiln
