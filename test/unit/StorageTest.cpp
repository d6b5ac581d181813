// Tests Storage reference counting and external memory.
#include "runtime/core/Storage.h"

#include <gtest/gtest.h>

using namespace kiln;

namespace {

TEST(StorageTest, AllocatesAndShares) {
  CPUCachingAllocator allocator;
  {
    Storage s(allocator, 40);
    EXPECT_EQ(s.nbytes(), 40u);
    EXPECT_NE(s.data(), nullptr);
    EXPECT_TRUE(s.device().isCPU());
    Storage copy = s;
    EXPECT_TRUE(copy.isSameAs(s));
    EXPECT_EQ(s.useCount(), 2);
    EXPECT_EQ(allocator.stats().allocatedBytes, 64u);
  }
  EXPECT_EQ(allocator.stats().allocatedBytes, 0u);
}

TEST(StorageTest, ExternalMemoryDeleterRunsOnce) {
  static float buffer[4] = {1, 2, 3, 4};
  int calls = 0;
  void *seen = nullptr;
  {
    Storage s =
        Storage::fromExternal(buffer, sizeof(buffer), Device(), [&](void *p) {
          ++calls;
          seen = p;
        });
    Storage copy = s;
    EXPECT_EQ(copy.data(), buffer);
    EXPECT_EQ(copy.nbytes(), sizeof(buffer));
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, buffer);
}

TEST(StorageTest, Undefined) {
  Storage s;
  EXPECT_FALSE(s.defined());
  EXPECT_EQ(s.nbytes(), 0u);
  EXPECT_EQ(s.data(), nullptr);
}
} // namespace
