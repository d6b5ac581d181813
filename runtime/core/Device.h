// Where a tensor's memory lives: the CPU or one CUDA device.
#pragma once

#include <ostream>
#include <string>

namespace kiln {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  // -1 means "no index given" ("cuda" rather than "cuda:0"), as in
  // torch.device.
  int index = -1;

  Device() = default;
  Device(DeviceType type, int index = -1);

  // Parses "cpu", "cuda", "cuda:1" (and "cpu:0"); anything else is a Value
  // error.
  static Device parse(const std::string &text);

  bool isCPU() const { return type == DeviceType::CPU; }
  bool isCUDA() const { return type == DeviceType::CUDA; }
  bool hasIndex() const { return index >= 0; }
  // "cpu", "cuda", "cuda:0".
  std::string str() const;

  bool operator==(const Device &other) const {
    return type == other.type && index == other.index;
  }
  bool operator!=(const Device &other) const { return !(*this == other); }
};

const char *name(DeviceType type);
std::ostream &operator<<(std::ostream &os, const Device &device);

} // namespace kiln
