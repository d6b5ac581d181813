// The disk cache: hits across memory-cache clears, 0700 directories, KILN_CACHE=0, and recovery from bad entries.
#include "lib/Compiler/CompileCache.h"
#include "lib/Compiler/JIT.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

namespace {

std::string negExp(const std::string &name) {
  return "func.func @" + name +
         "(%a: tensor<8xf32>) -> tensor<8xf32> {\n"
         "  %0 = kiln.neg %a : tensor<8xf32>\n"
         "  %1 = kiln.exp %0 : tensor<8xf32>\n"
         "  return %1 : tensor<8xf32>\n"
         "}\n";
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

int countFiles(const std::string &dir) {
  DIR *d = opendir(dir.c_str());
  if (!d)
    return -1;
  int n = 0;
  while (dirent *e = readdir(d))
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// Checks the executable computes exp(-x).
void expectValues(const kiln::Executable &exe) {
  kiln::Tensor x = kiln::Tensor::empty({8}, kiln::DType::Float32);
  for (int i = 0; i < 8; ++i)
    static_cast<float *>(x.data())[i] = 0.25f * i;
  kiln::Tensor y = exe.run({x})[0];
  for (int i = 0; i < 8; ++i)
    EXPECT_NEAR(static_cast<float *>(y.data())[i], std::exp(-0.25 * i), 1e-6);
}

class DiskCache : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/kiln-disk-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    dir_ = root_ + "/nested/kiln";
    setenv("KILN_CACHE_DIR", dir_.c_str(), 1);
    unsetenv("KILN_CACHE");
    kiln::compiler::clearMemoryCache();
    kiln::compiler::resetStats();
  }
  void TearDown() override {
    unsetenv("KILN_CACHE");
    ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0);
  }
  kiln::compiler::CompileResult compile(const std::string &source) {
    kiln::compiler::CompileResult r =
        kiln::compiler::compile(source, kiln::compiler::CompileOptions());
    EXPECT_TRUE(r.executable) << r.diagnostics;
    return r;
  }
  // Compiles, forgets the memory cache, damages the entry with `damage` and
  // compiles again: expects one warning, a recompile and a valid entry.
  void expectRecovery(const std::string &name,
                      const std::function<void(const std::string &)> &damage,
                      const std::string &reason) {
    kiln::compiler::CompileResult first = compile(negExp(name));
    const std::string path = dir_ + "/" + first.key + ".so";
    ASSERT_EQ(kiln::compiler::verifyCacheEntry(path, first.key), "");
    damage(path);
    EXPECT_NE(kiln::compiler::verifyCacheEntry(path, first.key), "");
    first = {};
    kiln::compiler::clearMemoryCache();
    ::testing::internal::CaptureStderr();
    kiln::compiler::CompileResult second = compile(negExp(name));
    std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_STREQ(second.origin, "compiled");
    EXPECT_NE(err.find("kiln: warning: ignoring corrupt compile cache entry " +
                       path + ": " + reason),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("; recompiling"), std::string::npos) << err;
    EXPECT_EQ(kiln::compiler::verifyCacheEntry(path, second.key), "");
    expectValues(*second.executable);
  }
  std::string root_, dir_;
};

TEST_F(DiskCache, CreatesAPrivateDirectoryAndHitsAfterAMemoryClear) {
  kiln::compiler::CompileResult first = compile(negExp("disk_hit"));
  struct stat st;
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(countFiles(dir_), 1);
  const std::string path = dir_ + "/" + first.key + ".so";
  EXPECT_EQ(kiln::compiler::verifyCacheEntry(path, first.key), "");

  kiln::compiler::clearMemoryCache();
  kiln::compiler::CompileResult second = compile(negExp("disk_hit"));
  EXPECT_STREQ(second.origin, "disk");
  EXPECT_EQ(second.key, first.key);
  expectValues(*second.executable);
  kiln::compiler::CompileStats stats = kiln::compiler::stats();
  EXPECT_EQ(stats.misses, 1);
  EXPECT_EQ(stats.diskHits, 1);
}

TEST_F(DiskCache, DisabledCacheWritesNothing) {
  setenv("KILN_CACHE", "0", 1);
  kiln::compiler::CompileResult r = compile(negExp("no_disk"));
  ASSERT_TRUE(r.executable);
  expectValues(*r.executable);
  struct stat st;
  EXPECT_NE(stat(dir_.c_str(), &st), 0) << "the cache directory was created";
  kiln::compiler::clearMemoryCache();
  EXPECT_STREQ(compile(negExp("no_disk")).origin, "compiled");
}

TEST_F(DiskCache, RecoversFromATruncatedEntry) {
  expectRecovery("truncated", [](const std::string &path) {
    std::string bytes = readFile(path);
    writeFile(path, bytes.substr(0, bytes.size() / 2));
  }, "no Kiln trailer");
}

TEST_F(DiskCache, RecoversFromAFlippedByte) {
  expectRecovery("flipped", [](const std::string &path) {
    std::string bytes = readFile(path);
    bytes[bytes.size() / 3] ^= 0x40;
    writeFile(path, bytes);
  }, "checksum mismatch");
}

TEST_F(DiskCache, RecoversFromAnEntryOfAnotherKey) {
  kiln::compiler::CompileResult other = compile(negExp("foreign_source"));
  const std::string foreign = readFile(dir_ + "/" + other.key + ".so");
  expectRecovery("foreign_target", [&](const std::string &path) {
    writeFile(path, foreign);
  }, "it belongs to another key");
}

TEST_F(DiskCache, RecoversFromAnotherFormatVersion) {
  expectRecovery("versioned", [](const std::string &path) {
    std::string bytes = readFile(path);
    // The trailer's version word follows its 8-byte magic.
    bytes[bytes.size() - 120 + 8] = 99;
    writeFile(path, bytes);
  }, "format version 99, expected 1");
}

TEST_F(DiskCache, RecoversFromAnEmptyFile) {
  expectRecovery("empty", [](const std::string &path) { writeFile(path, ""); },
                 "truncated (0 bytes)");
}

} // namespace
