// Tensor metadata over shared storage and the views computed from it.
#pragma once

#include "runtime/core/DType.h"
#include "runtime/core/Device.h"
#include "runtime/core/Storage.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

using IntList = std::vector<int64_t>;

// A strided view of a Storage. Copies are cheap and share the storage; every
// view op returns a new Tensor over the same storage without copying data.
// Strides and the storage offset count elements, not bytes, as in PyTorch.
class Tensor {
public:
  // An undefined tensor (no storage); only defined() may be asked of it.
  Tensor() = default;
  // Checks that every element the view reaches lies inside `storage`.
  Tensor(Storage storage, IntList sizes, IntList strides, int64_t storageOffset,
         DType dtype);

  // A fresh contiguous tensor from the device's allocator, uninitialized.
  static Tensor empty(const IntList &sizes, DType dtype,
                      Device device = Device());
  // Row-major strides for `sizes`.
  static IntList contiguousStrides(const IntList &sizes);

  bool defined() const { return storage_.defined(); }
  const Storage &storage() const { return storage_; }
  const IntList &sizes() const { return sizes_; }
  const IntList &strides() const { return strides_; }
  // Negative dims wrap; out-of-range dims are Index errors.
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t storageOffset() const { return storageOffset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_.device(); }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const;
  size_t elementSize() const { return kiln::elementSize(dtype_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * elementSize(); }
  // Row-major with dense strides; strides of size-1 dims are ignored (PyTorch's
  // rule).
  bool isContiguous() const;
  // Address of the first element (storage data + offset).
  void *data() const;
  // True when both view the same storage.
  bool sharesStorageWith(const Tensor &other) const {
    return storage_.isSameAs(other.storage_);
  }

  // View ops (PyTorch semantics and error messages).
  Tensor view(const IntList &sizes) const;
  Tensor reshape(const IntList &sizes) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(const IntList &dims) const;
  // Python slice semantics: negative and out-of-range bounds clamp; step > 0.
  Tensor slice(int64_t dim, std::optional<int64_t> start,
               std::optional<int64_t> end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  // -1 keeps a size; only size-1 dims expand (stride 0); new leading dims
  // allowed.
  Tensor expand(const IntList &sizes) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  // When `storageOffset` is empty, keeps this tensor's offset (as
  // torch.as_strided).
  Tensor asStrided(const IntList &sizes, const IntList &strides,
                   std::optional<int64_t> storageOffset = std::nullopt) const;

  // This tensor when already contiguous, else a contiguous copy.
  Tensor contiguous() const;
  // A contiguous copy into fresh storage.
  Tensor clone() const;
  // Copies the elements of `src` (same sizes and dtype, any strides) into this
  // tensor.
  void copyFrom(const Tensor &src);

private:
  Storage storage_;
  IntList sizes_;
  IntList strides_;
  int64_t storageOffset_ = 0;
  DType dtype_ = DType::Float32;
};

// Wraps a possibly negative dim into [0, ndim) for op `op`, or throws PyTorch's
// "Dimension out of range" Index error. A 0-d tensor accepts dims -1 and 0.
int64_t wrapDim(const char *op, int64_t dim, int64_t ndim);
// "[2, 3]", as PyTorch prints sizes in messages.
std::string formatList(const IntList &values);

} // namespace kiln
