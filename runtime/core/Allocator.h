// The allocator contract (c10's DataPtr, Allocator) and a caching CPU one.
#pragma once

#include "runtime/core/Device.h"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace kiln {

// Called with the DataPtr's context when the memory is released.
using DeleterFn = void (*)(void *context);

// Owns one block of memory: the pointer users see, plus the context and
// deleter that give it back. Move-only; frees on destruction.
class DataPtr {
public:
  DataPtr() = default;
  DataPtr(void *data, void *context, DeleterFn deleter, Device device)
      : data_(data), context_(context), deleter_(deleter), device_(device) {}
  DataPtr(const DataPtr &) = delete;
  DataPtr &operator=(const DataPtr &) = delete;
  DataPtr(DataPtr &&other) noexcept;
  DataPtr &operator=(DataPtr &&other) noexcept;
  ~DataPtr() { release(); }

  void *get() const { return data_; }
  void *context() const { return context_; }
  DeleterFn deleter() const { return deleter_; }
  Device device() const { return device_; }
  explicit operator bool() const { return data_ != nullptr; }
  // Frees the memory now; the DataPtr becomes empty.
  void release();

private:
  void *data_ = nullptr;
  void *context_ = nullptr;
  DeleterFn deleter_ = nullptr;
  Device device_;
};

class Allocator {
public:
  virtual ~Allocator() = default;
  virtual DataPtr allocate(size_t nbytes) = 0;
  virtual Device device() const = 0;
};

struct AllocatorStats {
  // Bytes in blocks handed out and not yet freed (rounded to size classes).
  size_t allocatedBytes = 0;
  // Bytes obtained from the OS and not returned: in use plus cached.
  size_t reservedBytes = 0;
  size_t peakAllocatedBytes = 0;
  // allocate() calls, including zero-byte ones.
  size_t allocationCount = 0;
  // allocate() calls served from the free lists without asking the OS.
  size_t cacheHits = 0;
};

// Keeps freed blocks on per-size-class free lists so that the steady state of
// a training loop (the same shapes every step) never calls the OS allocator.
// Blocks are 64-byte aligned (a cache line and an AVX-512 vector). The
// allocator must outlive every DataPtr it returned.
//
// The free lists are bounded: when a request misses them while they hold
// more than max(cacheLimit, bytes in use), they are returned to the OS first.
// A workload whose shapes keep changing therefore holds about twice its live
// tensors (or the limit), not every size it ever freed.
class CPUCachingAllocator : public Allocator {
public:
  static constexpr size_t kDefaultCacheLimit = size_t(256) << 20;
  explicit CPUCachingAllocator(size_t cacheLimit = kDefaultCacheLimit)
      : cacheLimit_(cacheLimit) {}
  CPUCachingAllocator(const CPUCachingAllocator &) = delete;
  CPUCachingAllocator &operator=(const CPUCachingAllocator &) = delete;
  ~CPUCachingAllocator() override;

  static constexpr size_t kAlignment = 64;
  // The block size a request of `nbytes` is served from.
  static size_t sizeClass(size_t nbytes);

  DataPtr allocate(size_t nbytes) override;
  Device device() const override { return Device(DeviceType::CPU); }

  // Returns every cached (free) block to the OS.
  void emptyCache();
  AllocatorStats stats() const;
  void resetPeak();

private:
  struct Block {
    CPUCachingAllocator *owner;
    void *data;
    size_t size;
  };
  static void freeBlock(void *context);
  void release(Block *block);

  // Frees every cached block; mutex_ held.
  void emptyCacheLocked();

  size_t cacheLimit_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<Block *>> freeLists_;
  AllocatorStats stats_;
};

// The process-wide CPU allocator every CPU tensor allocates from. Never
// destroyed, so tensors alive at exit can still free into it.
CPUCachingAllocator &cpuAllocator();

} // namespace kiln
