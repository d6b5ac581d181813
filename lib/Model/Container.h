// Reads a Kiln container file (docs/file-format.md) with every check its "Rules for readers" lists; no MLIR.
#pragma once

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kiln::model {

// One entry of the manifest's array table, pointing into the container's
// buffer (which the Container keeps alive).
struct ArrayEntry {
  std::string name;
  std::string dtype; // "float32", "int64", ... (the container's names)
  std::vector<int64_t> shape;
  uint64_t offset = 0; // from the start of the data section
  uint64_t length = 0;
  uint32_t crc32 = 0;
  const char *data = nullptr;
  // False only when read with verifyChecksums = false and the bytes do not
  // match `crc32`; `computedCrc32` is then what they hash to.
  bool checksumOk = true;
  uint32_t computedCrc32 = 0;
};

struct BlobEntry {
  std::string name;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc32 = 0;
  const char *data = nullptr;
  bool checksumOk = true;
  uint32_t computedCrc32 = 0;
  llvm::StringRef bytes() const { return llvm::StringRef(data, length); }
};

struct Container {
  // The file name used in messages.
  std::string name;
  // Holds the bytes every entry points into: a read-only map of the file
  // when the system maps it, else a 64-byte aligned copy.
  std::shared_ptr<llvm::MemoryBuffer> buffer;
  uint16_t majorVersion = 0;
  uint16_t minorVersion = 0;
  uint64_t manifestLength = 0;
  uint64_t dataOffset = 0;
  uint64_t dataLength = 0;
  // The saved object in the manifest's tagged encoding, already checked
  // (tags, types, tensor references, depth).
  llvm::json::Value root = nullptr;
  std::vector<ArrayEntry> arrays;
  std::vector<BlobEntry> blobs; // in the manifest's key order
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string producer;

  const BlobEntry *findBlob(llvm::StringRef blobName) const;
  const std::string *findMetadata(llvm::StringRef key) const;
};

struct ReadOptions {
  // When false, an array or blob whose CRC-32 differs is recorded
  // (checksumOk = false) instead of rejected, so kiln-inspect can show
  // which one is damaged. Every other check still applies.
  bool verifyChecksums = true;
  // Model files only (ModelFile.h): parse and verify the IR in a forked child
  // process, so that a crash of MLIR's bytecode reader on a hostile blob is
  // reported as an error. False parses in this process (faster; for callers
  // that trust the file).
  bool isolateIR = true;
};

// Bytes per element of a container dtype name, 0 for a name it does not know.
size_t dtypeItemSize(llvm::StringRef dtype);

// Checks and decodes `buffer`. Errors are one line, "<name>: <problem>",
// e.g. "m.kiln: array 'fc1.weight' checksum mismatch (stored 0x1c291ca3,
// computed 0x5f0a0e12)".
llvm::Expected<Container> readContainer(std::shared_ptr<llvm::MemoryBuffer> buffer,
                                        llvm::StringRef name,
                                        const ReadOptions &options = {});

// Maps the file at `path` read-only (or reads it when it is too small to be
// worth mapping) and calls readContainer.
llvm::Expected<Container> readContainerFile(llvm::StringRef path,
                                            const ReadOptions &options = {});

} // namespace kiln::model
