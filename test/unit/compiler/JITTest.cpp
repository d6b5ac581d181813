// The JIT end to end: compile Kiln functions, run them on tensors, check values, errors, caches, stats and IR dumps.
#include "lib/Compiler/JIT.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

using kiln::compiler::CompileOptions;
using kiln::compiler::CompileResult;

// exp(a + b) with broadcasting; `name` makes each test's program (and key)
// its own.
std::string expAdd(const std::string &name) {
  return "func.func @" + name +
         "(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>) -> tensor<4x8xf32> {\n"
         "  %0 = kiln.add %a, %b : tensor<4x1xf32>, tensor<1x8xf32>\n"
         "  %1 = kiln.exp %0 : tensor<4x8xf32>\n"
         "  return %1 : tensor<4x8xf32>\n"
         "}\n";
}

kiln::Tensor filled(const kiln::IntList &sizes, float start, float step) {
  kiln::Tensor t = kiln::Tensor::empty(sizes, kiln::DType::Float32);
  auto *p = static_cast<float *>(t.data());
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = start + step * static_cast<float>(i);
  return t;
}

// Each test gets its own cache directory, so disk state never leaks.
class JIT : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/kiln-jit-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    setenv("KILN_CACHE_DIR", dir_.c_str(), 1);
    unsetenv("KILN_CACHE");
    unsetenv("KILN_DUMP_IR");
    kiln::compiler::clearMemoryCache();
    kiln::compiler::resetStats();
  }
  void TearDown() override {
    std::string command = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  CompileResult compileOk(const std::string &source,
                          const CompileOptions &options = CompileOptions()) {
    CompileResult result = kiln::compiler::compile(source, options);
    EXPECT_TRUE(result.executable) << result.diagnostics;
    return result;
  }
  std::string dir_;
};

TEST_F(JIT, RunsABroadcastingElementwiseFunction) {
  CompileResult r = compileOk(expAdd("exp_add"));
  ASSERT_TRUE(r.executable);
  EXPECT_STREQ(r.origin, "compiled");
  EXPECT_EQ(r.key.size(), 64u);
  EXPECT_EQ(kiln::formatSignature(r.executable->signature()),
            "(f32[4, 1], f32[1, 8]) -> (f32[4, 8])");
  kiln::Tensor a = filled({4, 1}, -1.0f, 0.5f), b = filled({1, 8}, 0.0f, 0.25f);
  std::vector<kiln::Tensor> out = r.executable->run({a, b});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].sizes(), (kiln::IntList{4, 8}));
  auto *y = static_cast<float *>(out[0].data());
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j)
      EXPECT_NEAR(y[i * 8 + j], std::exp((-1.0 + 0.5 * i) + 0.25 * j),
                  1e-5 * std::exp((-1.0 + 0.5 * i) + 0.25 * j));
}

TEST_F(JIT, MakesNonContiguousInputsContiguousAndRunsIntoOutputs) {
  CompileResult r = compileOk(expAdd("exp_add_views"));
  ASSERT_TRUE(r.executable);
  // Column 1 of a [4, 2] tensor: a [4, 1] view with row stride 2.
  kiln::Tensor wide = filled({4, 2}, 0.0f, 1.0f);
  kiln::Tensor a = wide.narrow(1, 1, 1);
  ASSERT_FALSE(a.isContiguous());
  kiln::Tensor b = filled({1, 8}, 0.0f, 0.0f);
  kiln::Tensor out = kiln::Tensor::empty({4, 8}, kiln::DType::Float32);
  r.executable->runInto({a, b}, {out});
  auto *y = static_cast<float *>(out.data());
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(y[i * 8 + 3], std::exp(2.0 * i + 1.0), 1e-4 * std::exp(2.0 * i + 1.0));
}

TEST_F(JIT, RejectsMismatchedInputsNamingTheFunction) {
  CompileResult r = compileOk(expAdd("checked"));
  ASSERT_TRUE(r.executable);
  const kiln::Executable &exe = *r.executable;
  kiln::Tensor a = filled({4, 1}, 0, 1), b = filled({1, 8}, 0, 1);
  EXPECT_KILN_ERROR(exe.run({a}), kiln::ErrorKind::Value,
                    "checked() takes 2 input(s), but 1 were given");
  EXPECT_KILN_ERROR(exe.run({a, kiln::Tensor::empty({1, 8}, kiln::DType::Float64)}),
                    kiln::ErrorKind::Type,
                    "checked(): input 1 has dtype float64, but the function "
                    "expects float32");
  EXPECT_KILN_ERROR(exe.run({filled({4, 2}, 0, 1), b}), kiln::ErrorKind::Value,
                    "checked(): input 0 has shape [4, 2], but the function "
                    "expects [4, 1]");
  EXPECT_KILN_ERROR(exe.runInto({a, b}, {filled({4, 7}, 0, 1)}),
                    kiln::ErrorKind::Value, "output 0 has shape [4, 7]");
}

TEST_F(JIT, ReportsInvalidIRAsInvalidInput) {
  CompileResult r = kiln::compiler::compile("func.func @f(", CompileOptions());
  EXPECT_FALSE(r.executable);
  EXPECT_TRUE(r.invalidInput);
  EXPECT_NE(r.diagnostics.find("error"), std::string::npos) << r.diagnostics;

  CompileOptions options;
  options.entry = "missing";
  r = kiln::compiler::compile(expAdd("present"), options);
  EXPECT_FALSE(r.executable);
  EXPECT_NE(r.diagnostics.find("no function @missing"), std::string::npos)
      << r.diagnostics;
}

TEST_F(JIT, HitsTheMemoryCacheByTextAndByStructure) {
  CompileResult first = compileOk(expAdd("mem"));
  CompileResult again = compileOk(expAdd("mem"));
  EXPECT_STREQ(again.origin, "memory");
  EXPECT_EQ(again.executable, first.executable);
  EXPECT_EQ(again.key, first.key);
  // The same program spelled differently (a comment, other SSA names) has
  // the same structural key.
  std::string respelled = "// a comment\n" + expAdd("mem");
  CompileResult third = compileOk(respelled);
  EXPECT_STREQ(third.origin, "memory");
  EXPECT_EQ(third.key, first.key);
  kiln::compiler::CompileStats stats = kiln::compiler::stats();
  EXPECT_EQ(stats.misses, 1);
  EXPECT_EQ(stats.memoryHits, 2);
  EXPECT_EQ(stats.diskHits, 0);
}

TEST_F(JIT, OptionsArePartOfTheKey) {
  CompileOptions scalar;
  scalar.lowering.vectorize = false;
  scalar.lowering.parallelize = false;
  CompileResult a = compileOk(expAdd("opts"));
  CompileResult b = compileOk(expAdd("opts"), scalar);
  ASSERT_TRUE(a.executable && b.executable);
  EXPECT_NE(a.key, b.key);
  kiln::Tensor x = filled({4, 1}, 0, 0.1f), y = filled({1, 8}, 0, 0.1f);
  auto ra = a.executable->run({x, y}), rb = b.executable->run({x, y});
  for (int i = 0; i < 32; ++i)
    EXPECT_NEAR(static_cast<float *>(ra[0].data())[i],
                static_cast<float *>(rb[0].data())[i], 1e-5);
}

TEST_F(JIT, RecordsPerStageTimes) {
  compileOk(expAdd("timed"));
  kiln::compiler::CompileStats stats = kiln::compiler::stats();
  std::vector<std::string> names;
  for (const auto &stage : stats.stages) {
    names.push_back(stage.name);
    EXPECT_GE(stage.lastMs, 0.0);
    EXPECT_EQ(stage.runs, 1);
  }
  for (const kiln::PipelineStage &stage :
       kiln::getLoweringStages(kiln::LoweringOptions()))
    EXPECT_NE(std::find(names.begin(), names.end(), stage.name), names.end())
        << stage.name;
  for (const char *step : {"frontend", "translate", "llvm-O3", "codegen", "link", "load"})
    EXPECT_NE(std::find(names.begin(), names.end(), step), names.end()) << step;
  kiln::compiler::resetStats();
  EXPECT_TRUE(kiln::compiler::stats().stages.empty());
}

TEST_F(JIT, DumpsIRAfterEachStage) {
  const std::string dumpDir = dir_ + "/dump";
  setenv("KILN_DUMP_IR", dumpDir.c_str(), 1);
  CompileResult r = compileOk(expAdd("dumped"));
  unsetenv("KILN_DUMP_IR");
  ASSERT_TRUE(r.executable);
  std::vector<kiln::PipelineStage> stages =
      kiln::getLoweringStages(kiln::LoweringOptions());
  auto read = [&](const std::string &name) {
    std::ifstream in(dumpDir + "/" + r.key + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_NE(read("00-input.mlir").find("kiln.exp"), std::string::npos);
  for (size_t i = 0; i < stages.size(); ++i) {
    std::string name = (i + 1 < 10 ? "0" : "") + std::to_string(i + 1) + "-" +
                       stages[i].name + ".mlir";
    EXPECT_NE(read(name).find("func"), std::string::npos) << name;
  }
  std::string last = (stages.size() + 1 < 10 ? "0" : "") +
                     std::to_string(stages.size() + 1) + "-llvm-O3.ll";
  EXPECT_NE(read(last).find("define void @kiln_entry_dumped"), std::string::npos);
}

} // namespace
