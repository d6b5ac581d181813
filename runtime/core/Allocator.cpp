// DataPtr ownership and the caching CPU allocator.
#include "runtime/core/Allocator.h"

#include "runtime/core/Error.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>

namespace kiln {

DataPtr::DataPtr(DataPtr &&other) noexcept
    : data_(other.data_), context_(other.context_), deleter_(other.deleter_),
      device_(other.device_) {
  other.data_ = nullptr;
  other.context_ = nullptr;
  other.deleter_ = nullptr;
}

DataPtr &DataPtr::operator=(DataPtr &&other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    context_ = other.context_;
    deleter_ = other.deleter_;
    device_ = other.device_;
    other.data_ = nullptr;
    other.context_ = nullptr;
    other.deleter_ = nullptr;
  }
  return *this;
}

void DataPtr::release() {
  if (deleter_)
    deleter_(context_);
  data_ = nullptr;
  context_ = nullptr;
  deleter_ = nullptr;
}

// Size classes trade memory for reuse:
//  - up to 512 bytes: multiples of 64, so small tensors waste at most a line;
//  - up to 1 MiB: multiples of 512, a few hundred classes of modest waste;
//  - above: multiples of a quarter of the largest power of two not above the
//    request, so waste stays under 25% while a 100 MB activation whose batch
//    shrinks slightly still reuses the block of the previous step.
// Zero bytes get the smallest class, so every DataPtr holds a real, aligned
// pointer and zero-size tensors need no special case.
size_t CPUCachingAllocator::sizeClass(size_t nbytes) {
  auto roundUp = [](size_t n, size_t to) {
    if (n > std::numeric_limits<size_t>::max() - to)
      fail(ErrorKind::Runtime, "CPUCachingAllocator: cannot allocate ", n,
           " bytes");
    return (n + to - 1) / to * to;
  };
  if (nbytes <= 512)
    return std::max<size_t>(kAlignment, roundUp(nbytes, kAlignment));
  if (nbytes <= (size_t(1) << 20))
    return roundUp(nbytes, 512);
  size_t power = size_t(1) << 20;
  while (power <= nbytes / 2)
    power *= 2;
  return roundUp(nbytes, power / 4);
}

CPUCachingAllocator::~CPUCachingAllocator() { emptyCache(); }

DataPtr CPUCachingAllocator::allocate(size_t nbytes) {
  size_t size = sizeClass(nbytes);
  Block *block = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.allocationCount;
    auto it = freeLists_.find(size);
    if (it != freeLists_.end() && !it->second.empty()) {
      block = it->second.back();
      it->second.pop_back();
      ++stats_.cacheHits;
    }
  }
  if (!block) {
    {
      // The cache bound (Allocator.h): past it, a miss empties the cache.
      std::lock_guard<std::mutex> lock(mutex_);
      size_t cached = stats_.reservedBytes - stats_.allocatedBytes;
      if (cached > std::max(cacheLimit_, stats_.allocatedBytes))
        emptyCacheLocked();
    }
    // Outside the lock: the OS call can be slow and needs no shared state.
    void *data = std::aligned_alloc(kAlignment, size);
    if (!data)
      fail(ErrorKind::Runtime, "CPUCachingAllocator: out of memory allocating ",
           nbytes, " bytes");
    block = new Block{this, data, size};
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.reservedBytes += size;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.allocatedBytes += size;
    stats_.peakAllocatedBytes =
        std::max(stats_.peakAllocatedBytes, stats_.allocatedBytes);
  }
  return DataPtr(block->data, block, &CPUCachingAllocator::freeBlock, device());
}

void CPUCachingAllocator::freeBlock(void *context) {
  Block *block = static_cast<Block *>(context);
  block->owner->release(block);
}

void CPUCachingAllocator::release(Block *block) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.allocatedBytes -= block->size;
  freeLists_[block->size].push_back(block);
}

void CPUCachingAllocator::emptyCache() {
  std::lock_guard<std::mutex> lock(mutex_);
  emptyCacheLocked();
}

void CPUCachingAllocator::emptyCacheLocked() {
  for (auto &entry : freeLists_) {
    for (Block *block : entry.second) {
      stats_.reservedBytes -= block->size;
      std::free(block->data);
      delete block;
    }
  }
  freeLists_.clear();
}

AllocatorStats CPUCachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CPUCachingAllocator::resetPeak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peakAllocatedBytes = stats_.allocatedBytes;
}

CPUCachingAllocator &cpuAllocator() {
  static CPUCachingAllocator *allocator = new CPUCachingAllocator();
  return *allocator;
}

} // namespace kiln
