// Reference-counted memory that tensors view: a DataPtr, its size, device.
#pragma once

#include "runtime/core/Allocator.h"

#include <functional>
#include <memory>

namespace kiln {

// Copies of a Storage share one block; the block is freed when the last copy
// (and so the last tensor viewing it) goes away.
class Storage {
public:
  Storage() = default;
  // Allocates `nbytes` from `allocator`.
  Storage(Allocator &allocator, size_t nbytes);
  // Adopts memory Kiln did not allocate (e.g. a NumPy array's buffer);
  // `deleter(data)` runs when the last reference goes away.
  static Storage fromExternal(void *data, size_t nbytes, Device device,
                              std::function<void(void *)> deleter);

  // A storage whose memory comes later (a lazy tensor's value): views can be
  // made of it, but its data must not be read until allocate() ran.
  static Storage deferred(size_t nbytes, Device device);

  void *data() const { return impl_ ? impl_->dataPtr.get() : nullptr; }
  // False only for a deferred storage not yet allocated.
  bool allocated() const { return impl_ && !impl_->deferred; }
  // Gives a deferred storage its memory; every tensor viewing it sees it.
  void allocate(Allocator &allocator) const;
  // Marks the memory as handed out by address (NumPy, DLPack, data_ptr()):
  // it must then stay where it is for as long as the storage lives.
  void markExported() const {
    if (impl_)
      impl_->exported = true;
  }
  // True when swapMemory() may move this storage to other memory: Kiln
  // allocated it and never handed its address out.
  bool movable() const { return impl_ && !impl_->external && !impl_->exported; }
  // Exchanges the memory of two storages of equal size (a computed result
  // becomes this storage's contents without a copy); views of either see
  // the other's old memory afterwards.
  void swapMemory(const Storage &other) const;
  // Identity of the shared block (equal for copies of one Storage).
  const void *id() const { return impl_.get(); }
  size_t nbytes() const { return impl_ ? impl_->nbytes : 0; }
  Device device() const { return impl_ ? impl_->dataPtr.device() : Device(); }
  bool defined() const { return impl_ != nullptr; }
  long useCount() const { return impl_.use_count(); }
  bool isSameAs(const Storage &other) const { return impl_ == other.impl_; }

private:
  struct Impl {
    DataPtr dataPtr;
    size_t nbytes;
    bool deferred = false;
    bool external = false;
    bool exported = false;
  };
  explicit Storage(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

} // namespace kiln
