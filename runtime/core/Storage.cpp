// Storage construction from an allocator or from external memory.
#include "runtime/core/Storage.h"

#include "runtime/core/Error.h"

#include <utility>

namespace kiln {

Storage::Storage(Allocator &allocator, size_t nbytes)
    : impl_(std::make_shared<Impl>(Impl{allocator.allocate(nbytes), nbytes})) {}

Storage Storage::deferred(size_t nbytes, Device device) {
  return Storage(std::make_shared<Impl>(
      Impl{DataPtr(nullptr, nullptr, nullptr, device), nbytes, true}));
}

void Storage::swapMemory(const Storage &other) const {
  if (!impl_ || !other.impl_ || impl_->nbytes != other.impl_->nbytes ||
      impl_->deferred || other.impl_->deferred || !movable() || !other.movable())
    fail(ErrorKind::Runtime, "Storage::swapMemory(): the storages cannot exchange memory");
  std::swap(impl_->dataPtr, other.impl_->dataPtr);
}

void Storage::allocate(Allocator &allocator) const {
  if (!impl_ || !impl_->deferred)
    fail(ErrorKind::Runtime, "Storage::allocate(): the storage already has memory");
  impl_->dataPtr = allocator.allocate(impl_->nbytes);
  impl_->deferred = false;
}

namespace {
// The DataPtr context for external memory: the pointer and the caller's
// deleter.
struct ExternalContext {
  void *data;
  std::function<void(void *)> deleter;
};

void deleteExternal(void *context) {
  std::unique_ptr<ExternalContext> external(
      static_cast<ExternalContext *>(context));
  if (external->deleter)
    external->deleter(external->data);
}
} // namespace

Storage Storage::fromExternal(void *data, size_t nbytes, Device device,
                              std::function<void(void *)> deleter) {
  auto *context = new ExternalContext{data, std::move(deleter)};
  return Storage(std::make_shared<Impl>(
      Impl{DataPtr(data, context, &deleteExternal, device), nbytes, false, true}));
}

} // namespace kiln
