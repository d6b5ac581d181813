// libFuzzer target for the model loader: any bytes must give a model or a clear error, never a crash or UB.
//
// Each input is read twice: as it is (every check, so mutations mostly stop at a CRC), then with its header
// and manifest CRCs recomputed and array/blob CRCs not enforced, so mutations of the manifest JSON, the
// tables, the model keys and the IR bytecode reach the code behind the checksums.
#include "lib/Model/ModelFile.h"

#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

void readOnce(llvm::StringRef bytes, const kiln::model::ReadOptions &options) {
  llvm::Expected<kiln::model::Model> model =
      kiln::model::readModelFromMemory(bytes, "fuzz.kiln", options);
  if (!model) {
    llvm::consumeError(model.takeError());
    return;
  }
  // A model that loads is whole: its IR text and every weight's bytes are readable.
  volatile size_t sink = model->ir.size();
  for (const kiln::model::Weight &w : model->weights) {
    const kiln::model::ArrayEntry &a = model->container.arrays.at(w.array);
    for (uint64_t i = 0; i < a.length; ++i)
      sink = sink + static_cast<unsigned char>(a.data[i]);
  }
  (void)sink;
}

uint32_t crc(const char *data, size_t size) {
  return llvm::crc32(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data), size));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  readOnce(bytes, {});
  if (size < 64)
    return 0;
  std::string fixed = bytes.str();
  uint64_t manifestLength = llvm::support::endian::read64le(fixed.data() + 16);
  if (manifestLength <= size - 64)
    llvm::support::endian::write32le(&fixed[40], crc(fixed.data() + 64, manifestLength));
  llvm::support::endian::write32le(&fixed[60], crc(fixed.data(), 60));
  kiln::model::ReadOptions lenient;
  lenient.verifyChecksums = false;
  readOnce(fixed, lenient);
  return 0;
}
