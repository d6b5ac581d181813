// Storage construction from an allocator or from external memory.
#include "runtime/core/Storage.h"

namespace kiln {

Storage::Storage(Allocator &allocator, size_t nbytes)
    : impl_(std::make_shared<Impl>(Impl{allocator.allocate(nbytes), nbytes})) {}

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
      Impl{DataPtr(data, context, &deleteExternal, device), nbytes}));
}

} // namespace kiln
