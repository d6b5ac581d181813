// Rank-erased memref descriptors: the one place that spells out the ABI's word layout.
#include "runtime/exec/MemRefDescriptor.h"

#include <cstring>

kiln::MemRefDescriptor::MemRefDescriptor(void *data,
                                         const std::vector<int64_t> &sizes,
                                         const std::vector<int64_t> &strides,
                                         int64_t offset) {
  const size_t rank = sizes.size();
  words_.resize(3 + 2 * rank);
  int64_t pointerBits = 0;
  static_assert(sizeof(void *) == sizeof(int64_t), "64-bit hosts only");
  std::memcpy(&pointerBits, &data, sizeof(void *));
  words_[0] = pointerBits;
  words_[1] = pointerBits;
  words_[2] = offset;
  for (size_t d = 0; d < rank; ++d) {
    words_[3 + d] = sizes[d];
    words_[3 + rank + d] = strides[d];
  }
}

void *kiln::MemRefDescriptor::data() const {
  void *pointer = nullptr;
  std::memcpy(&pointer, &words_[1], sizeof(void *));
  return pointer;
}
