// Parsing and printing devices.
#include "runtime/core/Device.h"

#include "runtime/core/Error.h"

#include <cctype>

namespace kiln {

Device::Device(DeviceType type, int index) : type(type), index(index) {
  if (index < -1)
    fail(ErrorKind::Value,
         "Device(): device index must be -1 or non-negative, got ", index);
}

Device Device::parse(const std::string &text) {
  std::string typeName = text, indexText;
  size_t colon = text.find(':');
  if (colon != std::string::npos) {
    typeName = text.substr(0, colon);
    indexText = text.substr(colon + 1);
  }
  DeviceType type;
  if (typeName == "cpu")
    type = DeviceType::CPU;
  else if (typeName == "cuda")
    type = DeviceType::CUDA;
  else
    fail(ErrorKind::Value,
         "device(): Expected one of cpu, cuda device type at start of device "
         "string: ",
         text);
  if (colon == std::string::npos)
    return Device(type);
  // Only plain decimal digits, no sign or spaces, and no leading zeros, as
  // PyTorch.
  bool digits = !indexText.empty() && indexText.size() <= 9 &&
                !(indexText.size() > 1 && indexText[0] == '0');
  for (char c : indexText)
    digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits)
    fail(ErrorKind::Value, "device(): Invalid device string: '", text, "'");
  return Device(type, std::stoi(indexText));
}

std::string Device::str() const {
  std::string text = name(type);
  if (hasIndex())
    text += ":" + std::to_string(index);
  return text;
}

const char *name(DeviceType type) {
  return type == DeviceType::CPU ? "cpu" : "cuda";
}

std::ostream &operator<<(std::ostream &os, const Device &device) {
  return os << device.str();
}

} // namespace kiln
