// The .npy header is a Python dict literal; this parses the three keys NumPy writes and nothing more.
#include "runtime/io/Npy.h"

#include "runtime/core/Error.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace kiln {

namespace {

const char kMagic[] = "\x93NUMPY";

struct DescrEntry {
  const char *descr;
  DType dtype;
};

// Both '<' and '|' spellings: NumPy writes '|' for one-byte types.
const DescrEntry kDescrs[] = {
    {"<f4", DType::Float32}, {"<f8", DType::Float64}, {"<f2", DType::Float16},
    {"<i1", DType::Int8},    {"|i1", DType::Int8},    {"<i4", DType::Int32},
    {"<i8", DType::Int64},   {"|u1", DType::UInt8},   {"<u1", DType::UInt8},
    {"|b1", DType::Bool},    {"<b1", DType::Bool},
};

// The text after `key` (a quoted dict key) up to the value's end.
std::string valueOf(const std::string &header, const std::string &key,
                    const std::string &path) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    fail(ErrorKind::Value, "readNpy(): ", path, ": header lacks '", key, "'");
  at = header.find(':', at);
  if (at == std::string::npos)
    fail(ErrorKind::Value, "readNpy(): ", path, ": malformed header");
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  size_t end = at;
  if (header[at] == '(') {
    end = header.find(')', at);
    if (end == std::string::npos)
      fail(ErrorKind::Value, "readNpy(): ", path, ": malformed shape");
    return header.substr(at + 1, end - at - 1);
  }
  if (header[at] == '\'') {
    end = header.find('\'', at + 1);
    if (end == std::string::npos)
      fail(ErrorKind::Value, "readNpy(): ", path, ": malformed header");
    return header.substr(at + 1, end - at - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}')
    ++end;
  return header.substr(at, end - at);
}

IntList parseShape(const std::string &text, const std::string &path) {
  IntList sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t first = item.find_first_not_of(' ');
    if (first == std::string::npos)
      continue;
    try {
      sizes.push_back(std::stoll(item.substr(first)));
    } catch (const std::exception &) {
      fail(ErrorKind::Value, "readNpy(): ", path, ": bad shape entry '", item,
           "'");
    }
    if (sizes.back() < 0)
      fail(ErrorKind::Value, "readNpy(): ", path, ": negative size");
  }
  return sizes;
}

} // namespace

const char *npyDescr(DType dtype) {
  switch (dtype) {
  case DType::Float32: return "<f4";
  case DType::Float64: return "<f8";
  case DType::Float16: return "<f2";
  case DType::BFloat16: return "<V2";
  case DType::Int8: return "|i1";
  case DType::Int32: return "<i4";
  case DType::Int64: return "<i8";
  case DType::UInt8: return "|u1";
  case DType::Bool: return "|b1";
  }
  return "?";
}

Tensor readNpy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(ErrorKind::Value, "readNpy(): cannot open ", path, ": ",
         std::strerror(errno));
  char magic[6];
  unsigned char version[2];
  if (!in.read(magic, 6) || std::memcmp(magic, kMagic, 6) != 0 ||
      !in.read(reinterpret_cast<char *>(version), 2))
    fail(ErrorKind::Value, "readNpy(): ", path, " is not a .npy file");
  uint32_t headerLength = 0;
  if (version[0] == 1) {
    unsigned char bytes[2];
    if (!in.read(reinterpret_cast<char *>(bytes), 2))
      fail(ErrorKind::Value, "readNpy(): ", path, ": truncated header");
    headerLength = bytes[0] | (bytes[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    unsigned char bytes[4];
    if (!in.read(reinterpret_cast<char *>(bytes), 4))
      fail(ErrorKind::Value, "readNpy(): ", path, ": truncated header");
    headerLength = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) |
                   (static_cast<uint32_t>(bytes[3]) << 24);
  } else {
    fail(ErrorKind::Value, "readNpy(): ", path, ": unsupported format version ",
         int(version[0]));
  }
  std::string header(headerLength, '\0');
  if (!in.read(&header[0], headerLength))
    fail(ErrorKind::Value, "readNpy(): ", path, ": truncated header");

  const std::string descr = valueOf(header, "descr", path);
  const DescrEntry *entry = nullptr;
  for (const DescrEntry &e : kDescrs)
    if (descr == e.descr)
      entry = &e;
  if (!entry)
    fail(ErrorKind::Value, "readNpy(): ", path, ": unsupported dtype '", descr,
         "' (Kiln reads little-endian float16/32/64, int8/32/64, uint8, bool)");
  if (valueOf(header, "fortran_order", path).find("True") != std::string::npos)
    fail(ErrorKind::Value, "readNpy(): ", path,
         ": Fortran-order arrays are not supported");
  IntList sizes = parseShape(valueOf(header, "shape", path), path);

  Tensor tensor = Tensor::empty(sizes, entry->dtype);
  if (!in.read(static_cast<char *>(tensor.data()),
               static_cast<std::streamsize>(tensor.nbytes())))
    fail(ErrorKind::Value, "readNpy(): ", path, ": truncated data (expected ",
         tensor.nbytes(), " bytes for shape ", formatList(sizes), ")");
  return tensor;
}

void writeNpy(const std::string &path, const Tensor &tensor) {
  if (tensor.dtype() == DType::BFloat16)
    fail(ErrorKind::Value, "writeNpy(): NumPy has no bfloat16 dtype");
  Tensor dense = tensor.contiguous();
  std::string shape = "(";
  for (size_t i = 0; i < dense.sizes().size(); ++i)
    shape += std::to_string(dense.sizes()[i]) + ", ";
  if (dense.sizes().size() > 1)
    shape.resize(shape.size() - 2);
  else if (dense.sizes().size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '" + std::string(npyDescr(dense.dtype())) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so the data starts at a multiple of 64 bytes.
  const size_t prefix = 10;
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    fail(ErrorKind::Value, "writeNpy(): cannot open ", path, ": ",
         std::strerror(errno));
  const unsigned char version[2] = {1, 0};
  const unsigned char length[2] = {
      static_cast<unsigned char>(header.size() & 0xff),
      static_cast<unsigned char>(header.size() >> 8)};
  out.write(kMagic, 6);
  out.write(reinterpret_cast<const char *>(version), 2);
  out.write(reinterpret_cast<const char *>(length), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char *>(dense.data()),
            static_cast<std::streamsize>(dense.nbytes()));
  if (!out)
    fail(ErrorKind::Runtime, "writeNpy(): writing ", path, " failed");
}

} // namespace kiln
