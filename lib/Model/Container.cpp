// The container reader: header, manifest (llvm::json), array and blob tables, padding, CRC-32s and the value tree.
#include "lib/Model/Container.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <set>

namespace kiln::model {
namespace {

constexpr char kMagic[8] = {'\x89', 'K', 'I', 'L', 'N', '\r', '\n', '\x1a'};
constexpr uint16_t kMajorVersion = 1;
constexpr uint16_t kMinorVersion = 0;
constexpr uint64_t kHeaderSize = 64;
constexpr uint64_t kAlignment = 64;
constexpr uint32_t kRequiredFlags = 0xFFFF0000u;
constexpr size_t kMaxDepth = 64; // nesting of saved values
constexpr size_t kMaxNdim = 64;
// JSON nesting the tagged encoding of kMaxDepth values needs at most (a dict
// level is {"dict": [[k, v]]}, three JSON levels), with room for the
// manifest around it. Deeper text is rejected before llvm::json's recursive
// parser sees it.
constexpr size_t kMaxJsonDepth = 3 * (kMaxDepth + 2) + 8;

struct DTypeInfo {
  const char *name;
  size_t itemSize;
};
constexpr DTypeInfo kDTypes[] = {
    {"float32", 4}, {"float64", 8}, {"float16", 2}, {"bfloat16", 2}, {"int8", 1},
    {"uint8", 1},   {"int32", 4},   {"int64", 8},   {"bool", 1},
};

std::string knownDTypes() {
  std::string text;
  for (const DTypeInfo &d : kDTypes)
    text += (text.empty() ? "" : ", ") + std::string(d.name);
  return text;
}

uint32_t crc(llvm::StringRef bytes) {
  return llvm::crc32(llvm::arrayRefFromStringRef(bytes));
}

std::string hex32(uint32_t value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format_hex(value, 10);
  return text;
}

// A short printable excerpt of a JSON value for messages.
std::string excerpt(const llvm::json::Value &value) {
  std::string text;
  llvm::raw_string_ostream(text) << value;
  if (text.size() > 80)
    text = text.substr(0, 80) + "...";
  return text;
}

// A JSON integer in [0, 2^64): llvm::json keeps integers apart from
// doubles only for the unsigned view, so 1.0 is not taken for 1 here.
std::optional<uint64_t> unsignedInt(const llvm::json::Value *value) {
  return value ? value->getAsUINT64() : std::nullopt;
}

// Depth and key-count scan of the manifest text: llvm::json::parse recurses
// without a limit and keeps the last of two equal keys, where the format
// rejects both. Each key is followed by exactly one ':' outside strings.
struct JsonShape {
  size_t maxDepth = 0;
  size_t keys = 0;
};
JsonShape scanJson(llvm::StringRef text) {
  JsonShape shape;
  size_t depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      shape.maxDepth = std::max(shape.maxDepth, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    } else if (c == ':') {
      ++shape.keys;
    }
  }
  return shape;
}

size_t countKeys(const llvm::json::Value &value) {
  size_t n = 0;
  if (const llvm::json::Object *object = value.getAsObject()) {
    n += object->size();
    for (const auto &entry : *object)
      n += countKeys(entry.second);
  } else if (const llvm::json::Array *array = value.getAsArray()) {
    for (const llvm::json::Value &item : *array)
      n += countKeys(item);
  }
  return n;
}

class Reader {
public:
  Reader(std::shared_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef name,
         const ReadOptions &options)
      : options_(options) {
    container_.name = name.str();
    container_.buffer = std::move(buffer);
    bytes_ = container_.buffer->getBuffer();
  }

  llvm::Expected<Container> read() {
    if (llvm::Error e = readHeader())
      return std::move(e);
    if (llvm::Error e = readManifest())
      return std::move(e);
    if (llvm::Error e = checkZero(kHeaderSize + manifestLength_,
                                  container_.dataOffset - kHeaderSize - manifestLength_,
                                  "the padding after the manifest"))
      return std::move(e);
    if (llvm::Error e = readTables())
      return std::move(e);
    if (llvm::Error e = readData())
      return std::move(e);
    const llvm::json::Value *root = manifest_.get("root");
    if (!root)
      return error("the manifest has no 'root'");
    if (llvm::Error e = checkValue(*root, "", 0))
      return std::move(e);
    container_.root = *root;
    return std::move(container_);
  }

private:
  llvm::Error error(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   container_.name + ": " + message.str());
  }

  llvm::Error readHeader() {
    size_t shown = std::min<size_t>(bytes_.size(), sizeof kMagic);
    if (bytes_.take_front(shown) != llvm::StringRef(kMagic, shown))
      return error("not a Kiln file (magic bytes " +
                   llvm::toHex(bytes_.take_front(shown), true) +
                   ", expected 894b494c4e0d0a1a)");
    if (bytes_.size() < kHeaderSize)
      return error("truncated: expected at least " + llvm::Twine(kHeaderSize) +
                   " bytes of header, file has " + llvm::Twine(bytes_.size()));
    using namespace llvm::support;
    const char *p = bytes_.data();
    uint16_t major = endian::read16le(p + 8), minor = endian::read16le(p + 10);
    uint32_t flags = endian::read32le(p + 12);
    manifestLength_ = endian::read64le(p + 16);
    uint64_t dataOffset = endian::read64le(p + 24);
    uint64_t dataLength = endian::read64le(p + 32);
    manifestCrc_ = endian::read32le(p + 40);
    uint32_t headerCrc = endian::read32le(p + 60);
    container_.majorVersion = major;
    container_.minorVersion = minor;
    if (major != kMajorVersion)
      return error("unsupported format version " + llvm::Twine(major) + "." +
                   llvm::Twine(minor) + " (this Kiln reads " +
                   llvm::Twine(kMajorVersion) + ".x)");
    if (crc(bytes_.substr(0, 60)) != headerCrc)
      return error("header checksum mismatch (the header is damaged)");
    if (flags & kRequiredFlags)
      return error("the file needs features this Kiln lacks (flags " +
                   hex32(flags) + ", format " + llvm::Twine(major) + "." +
                   llvm::Twine(minor) + ")");
    bool reservedZero = llvm::all_of(bytes_.substr(44, 16), [](char c) { return c == 0; });
    if (minor <= kMinorVersion && (flags || !reservedZero))
      return error("reserved header fields are not zero");
    if (dataOffset % kAlignment || dataLength % kAlignment ||
        dataOffset < kHeaderSize || manifestLength_ > dataOffset - kHeaderSize)
      return error("bad layout: manifest of " + llvm::Twine(manifestLength_) +
                   " bytes, data section at " + llvm::Twine(dataOffset) + " of " +
                   llvm::Twine(dataLength) + " bytes (offsets must be multiples of " +
                   llvm::Twine(kAlignment) + ", after the manifest)");
    uint64_t expected;
    if (__builtin_add_overflow(dataOffset, dataLength, &expected) ||
        bytes_.size() < expected)
      return error("truncated: expected " +
                   (expected < dataOffset ? std::string("more than 2^64")
                                          : std::to_string(expected)) +
                   " bytes, file has " + llvm::Twine(bytes_.size()));
    if (bytes_.size() > expected)
      return error(llvm::Twine(bytes_.size() - expected) +
                   " trailing bytes after the data section");
    container_.manifestLength = manifestLength_;
    container_.dataOffset = dataOffset;
    container_.dataLength = dataLength;
    return llvm::Error::success();
  }

  llvm::Error readManifest() {
    llvm::StringRef text = bytes_.substr(kHeaderSize, manifestLength_);
    if (crc(text) != manifestCrc_)
      return error("manifest checksum mismatch (the manifest is damaged)");
    JsonShape shape = scanJson(text);
    if (shape.maxDepth > kMaxJsonDepth)
      return error("the manifest is not valid JSON: nested deeper than " +
                   llvm::Twine(kMaxJsonDepth) + " levels");
    llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
    if (!parsed)
      return error("the manifest is not valid JSON: " + llvm::toString(parsed.takeError()));
    if (countKeys(*parsed) != shape.keys)
      return error("the manifest is not valid JSON: an object has a duplicate key");
    llvm::json::Object *object = parsed->getAsObject();
    if (!object)
      return error("the manifest is not a JSON object");
    manifest_ = std::move(*object);
    return llvm::Error::success();
  }

  // Reads offset, length and crc32 of an array or blob entry.
  llvm::Error readExtent(const llvm::Twine &what, const llvm::json::Object &entry,
                         uint64_t &offset, uint64_t &length, uint32_t &crc32) {
    for (const char *field : {"offset", "length", "crc32"}) {
      const llvm::json::Value *value = entry.get(field);
      std::optional<int64_t> signedValue = value ? value->getAsInteger() : std::nullopt;
      if (signedValue && *signedValue < 0)
        return error(what + ": negative " + field + " " + excerpt(*value));
      if (!unsignedInt(value))
        return error(what + ": '" + field + "' must be an integer, got " +
                     (value ? excerpt(*value) : std::string("nothing")));
    }
    offset = *unsignedInt(entry.get("offset"));
    length = *unsignedInt(entry.get("length"));
    uint64_t crcValue = *unsignedInt(entry.get("crc32"));
    if (offset % kAlignment)
      return error(what + ": offset " + llvm::Twine(offset) +
                   " is not a multiple of " + llvm::Twine(kAlignment));
    uint64_t end;
    bool overflow = __builtin_add_overflow(offset, length, &end);
    if (overflow || end > container_.dataLength)
      return error(what + ": bytes " + llvm::Twine(offset) + ".." +
                   (overflow ? std::string("2^64 and more") : std::to_string(end)) +
                   " lie outside the data section of " +
                   llvm::Twine(container_.dataLength) + " bytes");
    if (crcValue >= (uint64_t(1) << 32))
      return error(what + ": crc32 " + llvm::Twine(crcValue) + " is not a 32-bit value");
    crc32 = static_cast<uint32_t>(crcValue);
    return llvm::Error::success();
  }

  llvm::Error readTables() {
    const llvm::json::Array *arrays = manifest_.getArray("arrays");
    if (!arrays)
      return error("the manifest's 'arrays' must be a list");
    for (size_t i = 0; i < arrays->size(); ++i) {
      const llvm::json::Object *entry = (*arrays)[i].getAsObject();
      if (!entry)
        return error("array #" + llvm::Twine(i) + " must be a JSON object");
      ArrayEntry array;
      array.name = "#" + std::to_string(i);
      if (const llvm::json::Value *name = entry->get("name")) {
        if (!name->getAsString())
          return error("array #" + llvm::Twine(i) + ": 'name' must be a string");
        array.name = name->getAsString()->str();
      }
      std::string what = "array '" + array.name + "'";
      const llvm::json::Value *dtype = entry->get("dtype");
      if (!dtype || !dtype->getAsString() || !dtypeItemSize(*dtype->getAsString()))
        return error(what + ": unknown dtype " +
                     (dtype ? excerpt(*dtype) : std::string("(none)")) +
                     " (known: " + knownDTypes() + ")");
      array.dtype = dtype->getAsString()->str();
      const llvm::json::Array *shape = entry->getArray("shape");
      bool shapeOk = shape && shape->size() <= kMaxNdim;
      uint64_t elements = 1;
      bool overflow = false;
      for (size_t d = 0; shapeOk && d < shape->size(); ++d) {
        std::optional<uint64_t> size = unsignedInt(&(*shape)[d]);
        if (!size || *size > uint64_t(INT64_MAX)) {
          shapeOk = false;
          break;
        }
        array.shape.push_back(static_cast<int64_t>(*size));
        overflow |= __builtin_mul_overflow(elements, *size, &elements);
      }
      if (!shapeOk)
        return error(what + ": shape must be a list of at most " + llvm::Twine(kMaxNdim) +
                     " non-negative integers, got " +
                     (entry->get("shape") ? excerpt(*entry->get("shape")) : "nothing"));
      if (llvm::Error e = readExtent(what, *entry, array.offset, array.length, array.crc32))
        return e;
      uint64_t needed;
      overflow |= __builtin_mul_overflow(elements, dtypeItemSize(array.dtype), &needed);
      if (overflow || needed != array.length)
        return error(what + ": shape " + excerpt(*entry->get("shape")) + " of " +
                     array.dtype + " needs " +
                     (overflow ? std::string("more than 2^64") : std::to_string(needed)) +
                     " bytes, but its length is " + llvm::Twine(array.length));
      container_.arrays.push_back(std::move(array));
    }
    if (const llvm::json::Value *blobs = manifest_.get("blobs")) {
      const llvm::json::Object *object = blobs->getAsObject();
      if (!object)
        return error("the manifest's 'blobs' must be a JSON object");
      // llvm::json::Object is unordered: sort the names for a stable order.
      std::vector<std::string> names;
      for (const auto &entry : *object)
        names.push_back(entry.first.str());
      llvm::sort(names);
      for (const std::string &name : names) {
        const llvm::json::Object *entry = object->getObject(name);
        if (!entry)
          return error("blob '" + name + "' must be a JSON object");
        BlobEntry blob;
        blob.name = name;
        if (llvm::Error e = readExtent("blob '" + name + "'", *entry, blob.offset,
                                       blob.length, blob.crc32))
          return e;
        container_.blobs.push_back(std::move(blob));
      }
    }
    if (const llvm::json::Value *metadata = manifest_.get("metadata")) {
      const llvm::json::Object *object = metadata->getAsObject();
      bool ok = object != nullptr;
      for (const auto &entry : object ? *object : llvm::json::Object()) {
        if (!entry.second.getAsString()) {
          ok = false;
          break;
        }
        container_.metadata.emplace_back(entry.first.str(),
                                         entry.second.getAsString()->str());
      }
      if (!ok)
        return error("the manifest's 'metadata' must map strings to strings");
      llvm::sort(container_.metadata);
    }
    if (const llvm::json::Value *producer = manifest_.get("producer"))
      if (producer->getAsString())
        container_.producer = producer->getAsString()->str();
    return checkOverlaps();
  }

  struct Extent {
    uint64_t offset, length;
    bool isArray;
    size_t index;
  };

  std::string describe(const Extent &e) const {
    return e.isArray ? "array '" + container_.arrays[e.index].name + "'"
                     : "blob '" + container_.blobs[e.index].name + "'";
  }

  llvm::Error checkOverlaps() {
    for (size_t i = 0; i < container_.arrays.size(); ++i)
      extents_.push_back({container_.arrays[i].offset, container_.arrays[i].length, true, i});
    for (size_t i = 0; i < container_.blobs.size(); ++i)
      extents_.push_back({container_.blobs[i].offset, container_.blobs[i].length, false, i});
    llvm::stable_sort(extents_, [](const Extent &a, const Extent &b) {
      return std::make_pair(a.offset, a.length) < std::make_pair(b.offset, b.length);
    });
    uint64_t end = 0;
    for (size_t i = 0; i < extents_.size(); ++i) {
      if (i > 0 && extents_[i].offset < end)
        return error(describe(extents_[i]) + " overlaps " + describe(extents_[i - 1]));
      end = extents_[i].offset + extents_[i].length;
    }
    return llvm::Error::success();
  }

  llvm::Error checkZero(uint64_t offset, uint64_t length, const llvm::Twine &what) {
    llvm::StringRef bytes = bytes_.substr(offset, length);
    size_t nonzero = bytes.find_first_not_of('\0');
    if (nonzero != llvm::StringRef::npos)
      return error("nonzero padding byte in " + what + " at offset " +
                   llvm::Twine(offset + nonzero));
    return llvm::Error::success();
  }

  llvm::Error readData() {
    uint64_t position = 0;
    const uint64_t base = container_.dataOffset;
    for (const Extent &extent : extents_) {
      std::string what = describe(extent);
      if (llvm::Error e = checkZero(base + position, extent.offset - position,
                                    "the padding before " + what))
        return e;
      llvm::StringRef bytes = bytes_.substr(base + extent.offset, extent.length);
      uint32_t computed = crc(bytes);
      uint32_t stored = extent.isArray ? container_.arrays[extent.index].crc32
                                       : container_.blobs[extent.index].crc32;
      if (computed != stored && options_.verifyChecksums)
        return error(what + " checksum mismatch (stored " + hex32(stored) +
                     ", computed " + hex32(computed) + ")");
      if (extent.isArray) {
        ArrayEntry &array = container_.arrays[extent.index];
        array.data = bytes.data();
        array.checksumOk = computed == stored;
        array.computedCrc32 = computed;
        if (array.dtype == "bool" &&
            bytes.find_first_not_of(llvm::StringRef("\0\1", 2)) != llvm::StringRef::npos)
          return error(what + ": bool values other than 0 and 1");
      } else {
        BlobEntry &blob = container_.blobs[extent.index];
        blob.data = bytes.data();
        blob.checksumOk = computed == stored;
        blob.computedCrc32 = computed;
      }
      position = extent.offset + extent.length;
    }
    return checkZero(base + position, container_.dataLength - position,
                     "the padding at the end of the data section");
  }

  llvm::Error valueError(const std::string &path, const llvm::Twine &message) const {
    return error("manifest value at '" + (path.empty() ? std::string("<root>") : path) +
                 "': " + message);
  }

  static std::string join(const std::string &path, const std::string &part) {
    return path.empty() ? part : path + "." + part;
  }

  // Rule 7: every value's tag and type, tensor references, nesting depth.
  llvm::Error checkValue(const llvm::json::Value &value, const std::string &path,
                         size_t depth) {
    if (depth > kMaxDepth)
      return valueError(path, "nested deeper than " + llvm::Twine(kMaxDepth) + " levels");
    using Kind = llvm::json::Value::Kind;
    if (value.kind() == Kind::Null || value.kind() == Kind::Boolean ||
        value.kind() == Kind::String)
      return llvm::Error::success();
    const llvm::json::Object *object = value.getAsObject();
    if (!object || object->size() != 1)
      return valueError(path, "expected null, a boolean, a string or a one-key tagged object, got " +
                                  excerpt(value));
    llvm::StringRef tag = object->begin()->first;
    const llvm::json::Value &body = object->begin()->second;
    if (tag == "int") {
      if (!body.getAsInteger())
        return valueError(path, "'int' must hold a 64-bit integer, got " + excerpt(body));
      return llvm::Error::success();
    }
    if (tag == "float") {
      std::optional<llvm::StringRef> text = body.getAsString();
      if (text ? (*text != "nan" && *text != "inf" && *text != "-inf")
               : body.kind() != Kind::Number)
        return valueError(path, "'float' must hold a number, 'nan', 'inf' or '-inf', got " +
                                    excerpt(body));
      return llvm::Error::success();
    }
    if (tag == "list" || tag == "tuple") {
      const llvm::json::Array *items = body.getAsArray();
      if (!items)
        return valueError(path, "'" + tag + "' must hold a JSON array");
      for (size_t i = 0; i < items->size(); ++i)
        if (llvm::Error e = checkValue((*items)[i], join(path, std::to_string(i)), depth + 1))
          return e;
      return llvm::Error::success();
    }
    if (tag == "dict")
      return checkDict(body, path, depth);
    if (tag == "tensor")
      return checkTensor(body, path);
    if (tag == "dtype") {
      if (!body.getAsString() || !dtypeItemSize(*body.getAsString()))
        return valueError(path, "unknown dtype " + excerpt(body));
      return llvm::Error::success();
    }
    return valueError(path, "unknown tag '" + tag + "'");
  }

  llvm::Error checkDict(const llvm::json::Value &body, const std::string &path,
                        size_t depth) {
    const llvm::json::Array *pairs = body.getAsArray();
    if (!pairs)
      return valueError(path, "'dict' must hold a JSON array of [key, value] pairs");
    std::set<std::string> keys;
    for (const llvm::json::Value &pair : *pairs) {
      const llvm::json::Array *kv = pair.getAsArray();
      if (!kv || kv->size() != 2)
        return valueError(path, "'dict' entries must be [key, value] pairs");
      const llvm::json::Value &key = (*kv)[0];
      std::string keyText;
      if (std::optional<llvm::StringRef> s = key.getAsString()) {
        keyText = "s" + s->str();
      } else if (const llvm::json::Object *o = key.getAsObject();
                 o && o->size() == 1 && o->get("int") && o->get("int")->getAsInteger()) {
        keyText = "i" + std::to_string(*o->get("int")->getAsInteger());
      } else {
        return valueError(path, "dict keys must be strings or ints, got " + excerpt(key));
      }
      if (!keys.insert(keyText).second)
        return valueError(path, "duplicate dict key " + excerpt(key));
      if (llvm::Error e = checkValue((*kv)[1], join(path, keyText.substr(1)), depth + 1))
        return e;
    }
    return llvm::Error::success();
  }

  llvm::Error checkTensor(const llvm::json::Value &body, const std::string &path) {
    const llvm::json::Object *object = body.getAsObject();
    const llvm::json::Value *requiresGrad = object ? object->get("requires_grad") : nullptr;
    std::optional<uint64_t> index = object ? unsignedInt(object->get("array")) : std::nullopt;
    bool indexIsInt = object && object->get("array") && object->get("array")->getAsInteger();
    if (!indexIsInt || (requiresGrad && !requiresGrad->getAsBoolean()))
      return valueError(path, "'tensor' must hold {\"array\": index, \"requires_grad\": bool}");
    if (!index || *index >= container_.arrays.size())
      return valueError(path, "tensor refers to array " +
                                  excerpt(*object->get("array")) + ", but the file has " +
                                  llvm::Twine(container_.arrays.size()));
    const std::string &dtype = container_.arrays[*index].dtype;
    bool floating = dtype == "float32" || dtype == "float64" || dtype == "float16" ||
                    dtype == "bfloat16";
    if (requiresGrad && *requiresGrad->getAsBoolean() && !floating)
      return valueError(path, "a " + dtype + " tensor can't require grad");
    return llvm::Error::success();
  }

  Container container_;
  ReadOptions options_;
  llvm::StringRef bytes_;
  uint64_t manifestLength_ = 0;
  uint32_t manifestCrc_ = 0;
  llvm::json::Object manifest_;
  std::vector<Extent> extents_;
};

} // namespace

size_t dtypeItemSize(llvm::StringRef dtype) {
  for (const DTypeInfo &d : kDTypes)
    if (dtype == d.name)
      return d.itemSize;
  return 0;
}

const BlobEntry *Container::findBlob(llvm::StringRef blobName) const {
  for (const BlobEntry &blob : blobs)
    if (blob.name == blobName)
      return &blob;
  return nullptr;
}

const std::string *Container::findMetadata(llvm::StringRef key) const {
  for (const auto &entry : metadata)
    if (entry.first == key)
      return &entry.second;
  return nullptr;
}

llvm::Expected<Container> readContainer(std::shared_ptr<llvm::MemoryBuffer> buffer,
                                        llvm::StringRef name,
                                        const ReadOptions &options) {
  return Reader(std::move(buffer), name, options).read();
}

llvm::Expected<Container> readContainerFile(llvm::StringRef path,
                                            const ReadOptions &options) {
  // Not null-terminated: the system may then map the file instead of
  // copying it; a copy is 64-byte aligned like the arrays in the file.
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false,
                                  /*IsVolatile=*/false, llvm::Align(kAlignment));
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   path + ": cannot open: " + buffer.getError().message());
  return readContainer(std::shared_ptr<llvm::MemoryBuffer>(std::move(*buffer)), path,
                       options);
}

} // namespace kiln::model
