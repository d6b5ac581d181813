// The calling convention of compiled Kiln code: MLIR's ranked memref descriptor, rank-erased.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

// What a `memref<d0 x ... x T>` argument is in memory when compiled code is
// called through its C interface (_mlir_ciface_*): two pointers, an offset,
// then `rank` sizes and `rank` strides, all 64-bit, strides in elements.
// This is the layout of
//   template <int R> struct { T *allocated, *aligned; int64_t offset, sizes[R], strides[R]; };
class MemRefDescriptor {
public:
  MemRefDescriptor(void *data, const std::vector<int64_t> &sizes,
                   const std::vector<int64_t> &strides, int64_t offset = 0);

  // The address to pass where compiled code expects a descriptor pointer.
  void *get() { return words_.data(); }
  int64_t rank() const { return (static_cast<int64_t>(words_.size()) - 3) / 2; }
  void *data() const;
  int64_t offset() const { return words_[2]; }
  int64_t size(int64_t d) const { return words_[3 + d]; }
  int64_t stride(int64_t d) const { return words_[3 + rank() + d]; }

private:
  std::vector<int64_t> words_;
};

// Reads descriptor fields from a raw pointer handed to an extern kernel.
struct MemRefView {
  const int64_t *words;
  int64_t rank;
  template <typename T> T *data() const {
    return reinterpret_cast<T *>(words[1]) + words[2];
  }
  int64_t size(int64_t d) const { return words[3 + d]; }
  int64_t stride(int64_t d) const { return words[3 + rank + d]; }
};

} // namespace kiln
