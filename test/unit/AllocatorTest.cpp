// Tests the caching CPU allocator: size classes, alignment, reuse, stats.
#include "runtime/core/Allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

using namespace kiln;

namespace {

bool aligned(void *p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

TEST(AllocatorTest, SizeClasses) {
  EXPECT_EQ(CPUCachingAllocator::sizeClass(0), 64u);
  EXPECT_EQ(CPUCachingAllocator::sizeClass(1), 64u);
  EXPECT_EQ(CPUCachingAllocator::sizeClass(65), 128u);
  EXPECT_EQ(CPUCachingAllocator::sizeClass(512), 512u);
  EXPECT_EQ(CPUCachingAllocator::sizeClass(513), 1024u);
  EXPECT_EQ(CPUCachingAllocator::sizeClass(1 << 20), size_t(1) << 20);
  // Above 1 MiB: quarter steps of the power of two below.
  EXPECT_EQ(CPUCachingAllocator::sizeClass((1 << 20) + 1),
            (size_t(1) << 20) + (1 << 18));
  EXPECT_EQ(CPUCachingAllocator::sizeClass(3 << 20), size_t(3) << 20);
  EXPECT_EQ(CPUCachingAllocator::sizeClass((3 << 20) + 1), size_t(7) << 19);
}

TEST(AllocatorTest, AlignmentAndZeroBytes) {
  CPUCachingAllocator allocator;
  for (size_t n : {0, 1, 63, 100, 4096, 3 << 20}) {
    DataPtr p = allocator.allocate(n);
    EXPECT_NE(p.get(), nullptr) << n;
    EXPECT_TRUE(aligned(p.get())) << n;
    EXPECT_TRUE(p.device().isCPU());
    std::memset(p.get(), 0xab, n);
  }
}

TEST(AllocatorTest, FreedBlockIsReused) {
  CPUCachingAllocator allocator;
  void *first;
  {
    DataPtr p = allocator.allocate(1000);
    first = p.get();
  }
  EXPECT_EQ(allocator.stats().cacheHits, 0u);
  DataPtr again = allocator.allocate(1024); // same 1024-byte class
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(allocator.stats().cacheHits, 1u);
  DataPtr other = allocator.allocate(1000); // the class is now empty again
  EXPECT_NE(other.get(), first);
  EXPECT_EQ(allocator.stats().cacheHits, 1u);
}

TEST(AllocatorTest, Stats) {
  CPUCachingAllocator allocator;
  {
    DataPtr a = allocator.allocate(100); // 128-byte class
    DataPtr b = allocator.allocate(600); // 1024-byte class
    AllocatorStats s = allocator.stats();
    EXPECT_EQ(s.allocatedBytes, 128u + 1024u);
    EXPECT_EQ(s.reservedBytes, 128u + 1024u);
    EXPECT_EQ(s.peakAllocatedBytes, 128u + 1024u);
    EXPECT_EQ(s.allocationCount, 2u);
  }
  AllocatorStats s = allocator.stats();
  EXPECT_EQ(s.allocatedBytes, 0u);
  EXPECT_EQ(s.reservedBytes, 128u + 1024u);
  EXPECT_EQ(s.peakAllocatedBytes, 128u + 1024u);
  allocator.resetPeak();
  EXPECT_EQ(allocator.stats().peakAllocatedBytes, 0u);
  allocator.emptyCache();
  EXPECT_EQ(allocator.stats().reservedBytes, 0u);
  DataPtr c = allocator.allocate(100);
  EXPECT_EQ(allocator.stats().cacheHits, 0u);
  EXPECT_EQ(allocator.stats().allocationCount, 3u);
}

TEST(AllocatorTest, CacheIsBounded) {
  // A limit of 64 KiB: freed blocks of ever new sizes stay cached until a miss
  // finds more than max(limit, bytes in use) cached, which empties the cache.
  CPUCachingAllocator allocator(64 << 10);
  DataPtr live = allocator.allocate(16 << 10);
  for (size_t i = 1; i <= 64; ++i) {
    allocator.allocate(i * 4096); // freed at once, a new size class each time
    AllocatorStats s = allocator.stats();
    EXPECT_EQ(s.allocatedBytes, 16u << 10);
    // Cached: at most the limit plus the block freed last.
    EXPECT_LE(s.reservedBytes - s.allocatedBytes, (64u << 10) + i * 4096);
  }
  // The same size again and again is served from the cache (no bound involved).
  size_t hits = allocator.stats().cacheHits;
  for (int i = 0; i < 10; ++i)
    allocator.allocate(8192);
  EXPECT_GE(allocator.stats().cacheHits, hits + 9);
  EXPECT_EQ(allocator.stats().allocatedBytes, 16u << 10);
}

TEST(AllocatorTest, MoveTransfersOwnership) {
  CPUCachingAllocator allocator;
  DataPtr a = allocator.allocate(64);
  void *raw = a.get();
  DataPtr b = std::move(a);
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(allocator.stats().allocatedBytes, 64u);
  b.release();
  EXPECT_EQ(allocator.stats().allocatedBytes, 0u);
}

TEST(AllocatorTest, ThreadSafe) {
  CPUCachingAllocator allocator;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&allocator, t] {
      for (int i = 0; i < 500; ++i) {
        DataPtr p = allocator.allocate(64 * (1 + (i + t) % 8));
        static_cast<char *>(p.get())[0] = static_cast<char>(i);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  AllocatorStats s = allocator.stats();
  EXPECT_EQ(s.allocatedBytes, 0u);
  EXPECT_EQ(s.allocationCount, 2000u);
  EXPECT_GT(s.cacheHits, 0u);
}

TEST(AllocatorTest, GlobalAllocatorIsCPU) {
  EXPECT_TRUE(cpuAllocator().device().isCPU());
  EXPECT_EQ(&cpuAllocator(), &cpuAllocator());
}
} // namespace
