// kiln::jit::load and Module::forward on model files from test/models/make_models.py, and every way loading rejects one.
#include "lib/Model/ModelFile.h"
#include "lib/Model/Module.h"
#include "runtime/io/Npy.h"

#include "TestUtil.h"

#include "llvm/Support/CRC.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

using kiln::ErrorKind;

// Where the ctest fixture wrote the model files.
std::string models() {
  const char *dir = std::getenv("KILN_TEST_MODELS");
  return dir ? dir : "";
}

std::string model(const std::string &name) { return models() + "/" + name; }

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Model : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(models().empty()) << "KILN_TEST_MODELS is not set (run through ctest)";
    char pattern[] = "/tmp/kiln-model-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    setenv("KILN_CACHE_DIR", (dir_ + "/cache").c_str(), 1);
  }
  void TearDown() override {
    ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  // Writes `bytes` to a file in the test's directory and returns its path.
  std::string write(const std::string &name, const std::string &bytes) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string dir_;
};

void expectClose(const kiln::Tensor &actual, const kiln::Tensor &expected) {
  ASSERT_EQ(actual.dtype(), expected.dtype());
  ASSERT_EQ(actual.sizes(), expected.sizes());
  const float *a = static_cast<const float *>(actual.data());
  const float *e = static_cast<const float *>(expected.data());
  for (int64_t i = 0; i < actual.numel(); ++i)
    EXPECT_NEAR(a[i], e[i], 1e-5f * (1 + std::fabs(e[i]))) << "element " << i;
}

TEST_F(Model, LoadsAndRunsForward) {
  kiln::jit::Module m = kiln::jit::load(model("mlp.kiln"));
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].name, "x");
  EXPECT_EQ(m.inputs()[0].dtype, kiln::DType::Float32);
  EXPECT_EQ(m.inputs()[0].shape, (kiln::IntList{2, 4}));
  ASSERT_EQ(m.outputs().size(), 2u);
  EXPECT_EQ(m.outputs()[1].name, "total");
  EXPECT_EQ(m.outputs()[1].shape, (kiln::IntList{2}));
  ASSERT_EQ(m.weights().size(), 4u);
  EXPECT_EQ(m.weights()[0].first, "fc1.weight");
  EXPECT_EQ(m.weights()[3].first, "fc2.bias");
  EXPECT_EQ(m.weights()[2].second.sizes(), (kiln::IntList{3, 8}));
  EXPECT_EQ(m.source(), "MLP");
  EXPECT_NE(m.ir().find("func.func @forward"), std::string::npos);

  std::vector<kiln::Tensor> out = m.forward({kiln::readNpy(model("mlp_x.npy"))});
  ASSERT_EQ(out.size(), 2u);
  expectClose(out[0], kiln::readNpy(model("mlp_logits.npy")));
  expectClose(out[1], kiln::readNpy(model("mlp_total.npy")));

  // A second module of the same file is served by the compile cache and
  // gives the same values; a non-contiguous input is accepted.
  kiln::jit::Module again = kiln::jit::load(model("mlp.kiln"));
  kiln::Tensor xt = kiln::readNpy(model("mlp_x.npy")).transpose(0, 1).contiguous().transpose(0, 1);
  ASSERT_FALSE(xt.isContiguous());
  expectClose(again.forward({xt})[0], out[0]);
}

TEST_F(Model, WeightsViewTheFile) {
  kiln::jit::Module m = kiln::jit::load(model("mlp.kiln"));
  std::string bytes = readBytes(model("mlp.kiln"));
  const kiln::Tensor &w = m.weights()[0].second;
  // The file holds the weight's bytes exactly (little-endian f32, C order).
  EXPECT_NE(bytes.find(std::string(static_cast<const char *>(w.data()), w.nbytes())),
            std::string::npos);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data()) % 64, 0u);
}

TEST_F(Model, ForwardChecksInputs) {
  kiln::jit::Module m = kiln::jit::load(model("mlp.kiln"));
  kiln::Tensor x = kiln::readNpy(model("mlp_x.npy"));
  EXPECT_KILN_ERROR(m.forward({}), ErrorKind::Value,
                    "takes 1 input(s) ('x' f32[2, 4]), but 0 were given");
  EXPECT_KILN_ERROR(m.forward({x, x}), ErrorKind::Value, "but 2 were given");
  EXPECT_KILN_ERROR(m.forward({kiln::Tensor::empty({2, 4}, kiln::DType::Float64)}),
                    ErrorKind::Type,
                    "forward(): input 0 ('x') has dtype float64, but the model expects float32");
  EXPECT_KILN_ERROR(m.forward({kiln::Tensor::empty({4, 2}, kiln::DType::Float32)}),
                    ErrorKind::Value,
                    "forward(): input 0 ('x') has shape [4, 2], but the model expects [2, 4]");
  EXPECT_KILN_ERROR(m.forward({kiln::Tensor()}), ErrorKind::Value, "undefined tensor");
}

// Loading `name` throws a Runtime error naming the file and containing `text`.
void expectRejected(const std::string &path, const std::string &text) {
  SCOPED_TRACE(path);
  EXPECT_KILN_ERROR(kiln::jit::load(path), ErrorKind::Runtime, path + ": ");
  EXPECT_KILN_ERROR(kiln::jit::load(path), ErrorKind::Runtime, text);
}

TEST_F(Model, RejectsWhatIsNotAModel) {
  expectRejected(model("missing.kiln"), "cannot open: No such file or directory");
  expectRejected(model("checkpoint.kiln"), "not a model file (a kiln.save checkpoint?)");
  expectRejected(model("model_version2.kiln"),
                 "unknown model version '2' (this Kiln reads model version 1)");
  expectRejected(model("mlp_x.npy"), "not a Kiln file (magic bytes 934e554d");
}

TEST_F(Model, RejectsBadModelKeys) {
  expectRejected(model("bad_format.kiln"),
                 "model key 'format' must be \"kiln.model\", got \"kiln.checkpoint\"");
  expectRejected(model("bad_root_version.kiln"), "model key 'version' must be the int 1");
  expectRejected(model("bad_inputs.kiln"), "model key 'inputs' must be a list");
  expectRejected(model("bad_dtype.kiln"), "'dtype' must be a dtype name, got \"complex64\"");
  expectRejected(model("bad_shape.kiln"), "'shape' must be a list of non-negative ints");
  expectRejected(model("bad_weights.kiln"), "model key 'weights': entry \"fc1.weight\" must map");
  expectRejected(model("bad_source.kiln"), "model key 'source' must be a string");
}

TEST_F(Model, RejectsBadIR) {
  expectRejected(model("no_ir.kiln"), "no 'ir' blob");
  expectRejected(model("text_ir.kiln"), "blob 'ir' is not MLIR bytecode");
  expectRejected(model("foreign_dialect.kiln"), "blob 'ir' does not parse: ");
  expectRejected(model("foreign_dialect.kiln"), "arith");
  expectRejected(model("two_functions.kiln"),
                 "the module must hold exactly one function, @forward; it holds 2: @forward, @helper");
  expectRejected(model("no_forward.kiln"), "it holds 1: @main");
  expectRejected(model("private_forward.kiln"), "@forward must be a public function");
  // MLIR's bytecode reader crashes on this blob: it runs in a child process.
  expectRejected(model("hostile_ir.kiln"),
                 "blob 'ir' is malformed: the IR reader crashed (signal 11, Segmentation fault)");
}

TEST_F(Model, RejectsWeightsOrSignatureThatDisagreeWithTheIR) {
  expectRejected(model("weight_shape.kiln"),
                 "@forward's argument 1 is tensor<8x4xf32> (float32[8, 4]), but weight "
                 "'fc1.weight' is float32[4, 8]");
  expectRejected(model("weight_dtype.kiln"), "but weight 'fc1.bias' is float64[8]");
  expectRejected(model("missing_weight.kiln"),
                 "@forward takes 5 arguments, but the model lists 1 input(s) and 3 weight(s)");
  expectRejected(model("input_shape.kiln"), "but input 0 'x' is float32[1, 4]");
  expectRejected(model("output_dtype.kiln"),
                 "@forward's result 0 is tensor<2x3xf32> (float32[2, 3]), but output 0 'logits' "
                 "is int64[2, 3]");
}

TEST_F(Model, RejectsDamagedContainers) {
  expectRejected(model("major_version.kiln"), "unsupported format version 2.0 (this Kiln reads 1.x)");
  expectRejected(model("array_dtype_unknown.kiln"),
                 "array 'weights.fc1.weight': unknown dtype \"complex64\" (known: float32,");
  expectRejected(model("array_dtype_number.kiln"), "array 'weights.fc1.weight': unknown dtype 4");
  expectRejected(model("array_shape_negative.kiln"),
                 "array 'weights.fc1.weight': shape must be a list of at most 64 non-negative integers");
  expectRejected(model("array_length.kiln"),
                 "array 'weights.fc1.weight': shape [8,4] of float32 needs 128 bytes, but its length is 64");
  expectRejected(model("array_offset_unaligned.kiln"),
                 "array 'weights.fc1.weight': offset 8 is not a multiple of 64");
  expectRejected(model("array_outside.kiln"), "lie outside the data section");
  expectRejected(model("array_offset_float.kiln"), "'offset' must be an integer, got 0.5");
  expectRejected(model("arrays_overlap.kiln"), "overlaps");
  expectRejected(model("manifest_not_object.kiln"), "the manifest's 'arrays' must be a list");
  expectRejected(model("tensor_ref_range.kiln"), "tensor refers to array 99, but the file has 4");
  expectRejected(model("unknown_tag.kiln"), "manifest value at 'version': unknown tag 'complex'");
  expectRejected(model("nonzero_padding.kiln"),
                 "nonzero padding byte in the padding before array 'weights.fc2.weight'");
  expectRejected(model("bool_value.kiln"), "array 'mask': bool values other than 0 and 1");
}

TEST_F(Model, AcceptsANewerMinorVersion) {
  EXPECT_EQ(kiln::jit::load(model("minor_version.kiln")).weights().size(), 4u);
}

// Rewrites the header's CRC after an edit of bytes 0..59.
void fixHeaderCrc(std::string &bytes) {
  uint32_t crc = llvm::crc32(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), 60));
  std::memcpy(&bytes[60], &crc, 4);
}

TEST_F(Model, RejectsTruncatedFilesAndBadHeaders) {
  std::string good = readBytes(model("mlp.kiln"));
  expectRejected(write("empty.kiln", ""), "truncated: expected at least 64 bytes of header, file has 0");
  expectRejected(write("short.kiln", good.substr(0, 40)),
                 "truncated: expected at least 64 bytes of header, file has 40");
  expectRejected(write("cut.kiln", good.substr(0, good.size() - 64)),
                 "truncated: expected " + std::to_string(good.size()) + " bytes, file has " +
                     std::to_string(good.size() - 64));
  expectRejected(write("trailing.kiln", good + "x"), "1 trailing bytes after the data section");
  std::string magic = good;
  magic[1] = 'k';
  expectRejected(write("magic.kiln", magic), "not a Kiln file (magic bytes 896b494c4e0d0a1a");
  std::string version = good;
  version[8] = 3;
  fixHeaderCrc(version);
  expectRejected(write("version.kiln", version), "unsupported format version 3.0");
  std::string flags = good;
  flags[15] = 1;
  fixHeaderCrc(flags);
  expectRejected(write("flags.kiln", flags), "the file needs features this Kiln lacks (flags 0x01000000");
  std::string reserved = good;
  reserved[50] = 1;
  fixHeaderCrc(reserved);
  expectRejected(write("reserved.kiln", reserved), "reserved header fields are not zero");
  std::string layout = good;
  layout[24] += 1; // data_offset no longer a multiple of 64
  fixHeaderCrc(layout);
  expectRejected(write("layout.kiln", layout), "bad layout: manifest of");
}

// Every single-bit flip anywhere in a valid file is rejected, with the
// region's own message: CRCs cover the header, manifest, arrays and blob, and
// padding must be zero. Runs on the reader directly (no compile per flip).
TEST_F(Model, RejectsEveryBitFlip) {
  std::string good = readBytes(model("mlp.kiln"));
  llvm::Expected<kiln::model::Model> valid = kiln::model::readModelFromMemory(good, "m.kiln");
  ASSERT_TRUE(static_cast<bool>(valid)) << llvm::toString(valid.takeError());
  const kiln::model::Container &c = valid->container;
  const kiln::model::BlobEntry *ir = c.findBlob("ir");
  ASSERT_NE(ir, nullptr);
  // The message a flip at `offset` must give.
  auto region = [&](size_t offset) -> std::string {
    if (offset < 8)
      return "not a Kiln file";
    if (offset < 10)
      return "unsupported format version";
    if (offset < 64)
      return "header checksum mismatch";
    if (offset < 64 + c.manifestLength)
      return "manifest checksum mismatch";
    if (offset < c.dataOffset)
      return "nonzero padding byte in the padding after the manifest";
    uint64_t d = offset - c.dataOffset;
    for (const kiln::model::ArrayEntry &a : c.arrays)
      if (d >= a.offset && d < a.offset + a.length)
        return "array '" + a.name + "' checksum mismatch (stored 0x";
    if (d >= ir->offset && d < ir->offset + ir->length)
      return "blob 'ir' checksum mismatch";
    return "nonzero padding byte in the padding";
  };
  int flips = 0;
  for (size_t offset = 0; offset < good.size(); ++offset) {
    for (int bit : {0, 7}) {
      std::string bad = good;
      bad[offset] = static_cast<char>(bad[offset] ^ (1 << bit));
      llvm::Expected<kiln::model::Model> read = kiln::model::readModelFromMemory(bad, "m.kiln");
      ASSERT_FALSE(static_cast<bool>(read)) << "a flip of bit " << bit << " at " << offset
                                            << " was not detected";
      std::string message = llvm::toString(read.takeError());
      std::string expected = region(offset);
      EXPECT_NE(message.find(expected), std::string::npos)
          << "flip at " << offset << ": '" << message << "' lacks '" << expected << "'";
      ++flips;
    }
  }
  EXPECT_EQ(flips, static_cast<int>(2 * good.size()));
}

} // namespace
