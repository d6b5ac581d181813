// Tests device parsing, printing and equality.
#include "runtime/core/Device.h"
#include "test/unit/TestUtil.h"

#include <gtest/gtest.h>

using namespace kiln;

namespace {

TEST(DeviceTest, Parse) {
  Device cpu = Device::parse("cpu");
  EXPECT_TRUE(cpu.isCPU());
  EXPECT_EQ(cpu.index, -1);
  Device cuda = Device::parse("cuda:1");
  EXPECT_TRUE(cuda.isCUDA());
  EXPECT_EQ(cuda.index, 1);
  EXPECT_EQ(Device::parse("cuda").index, -1);
  EXPECT_EQ(Device::parse("cpu:0").index, 0);
}

TEST(DeviceTest, Str) {
  EXPECT_EQ(Device::parse("cpu").str(), "cpu");
  EXPECT_EQ(Device(DeviceType::CUDA, 0).str(), "cuda:0");
  EXPECT_EQ(Device::parse("cuda").str(), "cuda");
  EXPECT_EQ(Device::parse("cuda:12").str(), "cuda:12");
}

TEST(DeviceTest, Equality) {
  EXPECT_EQ(Device::parse("cuda:1"), Device(DeviceType::CUDA, 1));
  EXPECT_NE(Device::parse("cuda:1"), Device(DeviceType::CUDA, 0));
  EXPECT_NE(Device::parse("cpu"), Device::parse("cuda"));
}

TEST(DeviceTest, BadStrings) {
  for (const char *text :
       {"gpu", "cuda:", "cuda:-1", "cuda:x", "", "cuda:1:2", "cuda:01"})
    EXPECT_KILN_ERROR(Device::parse(text), ErrorKind::Value, "device()");
  EXPECT_KILN_ERROR(Device::parse("tpu:0"), ErrorKind::Value, "tpu:0");
}
} // namespace
