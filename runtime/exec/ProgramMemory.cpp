// The allocation functions compiled programs call (MLIR's generic memref allocation entry points): Kiln's caching allocator.
//
// The pipeline lowers memref.alloc/dealloc with finalize-memref-to-llvm's
// use-generic-functions, so a program's intermediate buffers come from the
// caching allocator's free lists instead of malloc. A training step then
// reuses the blocks of the previous step: no mmap/munmap and no page faults
// for its large intermediates (glibc returns large freed blocks to the OS).
#include "runtime/core/Allocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>

namespace {

// The blocks handed out and not freed yet, by address (free() gets only the
// pointer). Never destroyed: programs may free after static destruction.
struct LiveBlocks {
  std::mutex mutex;
  std::unordered_map<void *, kiln::DataPtr> blocks;
};

LiveBlocks &liveBlocks() {
  static LiveBlocks *live = new LiveBlocks();
  return *live;
}

void *allocate(size_t alignment, size_t size) {
  kiln::DataPtr block;
  if (alignment <= kiln::CPUCachingAllocator::kAlignment) {
    try {
      block = kiln::cpuAllocator().allocate(size);
    } catch (...) {
      // Out of memory: a null pointer, as malloc gives (exceptions must
      // not cross the compiled code).
      return nullptr;
    }
  } else {
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    void *data = std::aligned_alloc(alignment, rounded ? rounded : alignment);
    if (!data)
      return nullptr;
    block = kiln::DataPtr(data, data, [](void *p) { std::free(p); }, kiln::Device());
  }
  void *data = block.get();
  LiveBlocks &live = liveBlocks();
  std::lock_guard<std::mutex> lock(live.mutex);
  live.blocks.emplace(data, std::move(block));
  return data;
}

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return allocate(kiln::CPUCachingAllocator::kAlignment, size);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  return allocate(alignment, size);
}

void _mlir_memref_to_llvm_free(void *data) {
  if (!data)
    return;
  kiln::DataPtr block;
  LiveBlocks &live = liveBlocks();
  {
    std::lock_guard<std::mutex> lock(live.mutex);
    auto found = live.blocks.find(data);
    if (found == live.blocks.end())
      return;
    block = std::move(found->second);
    live.blocks.erase(found);
  }
  // `block` goes back to the caching allocator here, outside the lock.
}

} // extern "C"
