// Kiln's named lowering pipelines, as ordered stages the JIT runs, times and dumps one by one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace kiln {

struct LoweringOptions {
  // Vectorize loops for the host CPU (AVX2 or AVX-512, detected at run time).
  bool vectorize = true;
  // Run the outer parallel loop of each nest on all cores (OpenMP).
  bool parallelize = true;
  // Route matmul/conv to oneDNN kernels in runtime/ instead of generated loops.
  bool externKernels = true;
  // f32 lanes per vector register; 0 detects the host CPU (AVX-512: 16,
  // AVX2: 8). Tests fix it so their output does not depend on the machine.
  int64_t vectorWidth = 0;
};

// One stage of the lowering: `name` is what KILN_DUMP_IR files and compile
// statistics call it ("linalg", "bufferized", "llvm", ...).
struct PipelineStage {
  std::string name;
  std::function<void(mlir::OpPassManager &)> build;
};

// The stages from a module of Kiln functions to the LLVM dialect, in order;
// running all of them equals --kiln-lower-to-llvm.
std::vector<PipelineStage> getLoweringStages(const LoweringOptions &options);

// f32 lanes of the widest vector registers the host CPU has.
int64_t hostVectorWidth();

// Registers --kiln-lower-to-linalg, --kiln-lower-to-llvm and one pipeline
// per stage (--kiln-stage-<name>) for kiln-opt.
void registerKilnPipelines();

} // namespace kiln
