// Kiln's lowering stages from Kiln IR through linalg on tensors to the LLVM dialect, and their registration.
#include "lib/Pipelines/Pipelines.h"

#include "lib/Transforms/Passes.h"
#ifdef KILN_HAVE_CONVERSION
#include "lib/Conversion/Passes.h"
#endif

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Affine/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

using namespace mlir;

namespace kiln {
namespace {

// The kiln -> linalg conversion (lib/Conversion); the linalg stage starts
// with it whenever it is registered.
constexpr llvm::StringLiteral kKilnToLinalgPass = "convert-kiln-to-linalg";

// Name of the post-bufferization pass that routes matmul/conv to oneDNN: it
// is added only when it is registered (lib/Transforms/Passes.td lists it).
constexpr llvm::StringLiteral kExternKernelsPass =
    "kiln-linalg-to-extern-kernels";

// Passes nested under func.func when the pipeline runs on a module.
// kiln-forall-to-affine (added between the two) turns kiln-fuse-rows' row
// loops into affine loops once the nests inside them are affine too, and
// before reductions are promoted: their accumulators are then indexed by the
// row loop, invariant in the reduction loop.
constexpr llvm::StringLiteral kLoopsPipeline = "convert-linalg-to-affine-loops";
constexpr llvm::StringLiteral kPromoteReductions =
    "func.func(kiln-affine-promote-reductions),canonicalize";

// The stage texts name upstream passes: they must be registered for the
// parser to find them, whoever builds the pipeline (kiln-opt or the JIT).
void registerPipelinePasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerTransformsPasses();
    registerConversionPasses();
    affine::registerAffinePasses();
    registerLinalgPasses();
    memref::registerMemRefPasses();
    bufferization::registerBufferizationPasses();
    bufferization::registerBufferizationPipelines();
    registerKilnTransformsPasses();
#ifdef KILN_HAVE_CONVERSION
    registerKilnConversionPasses();
#endif
  });
}

// Appends a textual pass list. The texts are fixed in this file and covered
// by the lit tests, so a parse failure is a bug here: report it loudly.
void addPasses(OpPassManager &pm, llvm::StringRef text) {
  registerPipelinePasses();
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine("kiln: bad pipeline text: ") + text);
}

} // namespace

int64_t hostVectorWidth() {
  // Asked on every compile-cache lookup: query the CPU once per process.
  static const int64_t width = [] {
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    if (features.lookup("avx512f"))
      return int64_t{16};
    if (features.lookup("avx2") || features.lookup("avx"))
      return int64_t{8};
    return int64_t{4};
  }();
  return width;
}

std::vector<PipelineStage> getLoweringStages(const LoweringOptions &options) {
  std::vector<PipelineStage> stages;
  int64_t width =
      options.vectorWidth > 0 ? options.vectorWidth : hostVectorWidth();

  // Kiln ops to linalg on tensors, elementwise chains fused into one
  // generic; reductions and the generics around them that share the row
  // dimension are fused into one scf.forall over row blocks. CSE on the Kiln
  // ops first: a traced step holds the forward twice (autodiff recomputes
  // the values its gradients need), and once fusion has folded the two
  // copies into different consumers they no longer merge (the CNN's fc1
  // and fc2 forward matmuls ran twice).
  stages.push_back({"linalg", [](OpPassManager &pm) {
                      registerPipelinePasses();
                      addPasses(pm, "cse");
                      if (PassInfo::lookup(kKilnToLinalgPass))
                        addPasses(pm, kKilnToLinalgPass);
                      addPasses(pm, "convert-elementwise-to-linalg,"
                                    "canonicalize,kiln-fuse-elementwise,"
                                    "canonicalize,cse,func.func(kiln-fuse-rows),"
                                    "canonicalize,cse");
                    }});

  // Tensors to buffers. canonicalize must run before
  // buffer-results-to-out-params so the result's allocation is hoisted into
  // the caller's out-param instead of being copied on every call.
  bool externKernels = options.externKernels;
  stages.push_back(
      {"bufferized", [externKernels](OpPassManager &pm) {
         addPasses(pm, "kiln-unshare-fills,kiln-read-only-arguments,"
                       "one-shot-bufferize{bufferize-function-boundaries "
                       "function-boundary-type-conversion=identity-layout-map},"
                       "canonicalize,func.func(kiln-distinct-return-buffers),"
                       "buffer-results-to-out-params{hoist-static-allocs}");
         registerPipelinePasses();
         if (externKernels && PassInfo::lookup(kExternKernelsPass))
           addPasses(pm, kExternKernelsPass);
         addPasses(pm, "buffer-deallocation-pipeline,"
                       "convert-bufferization-to-memref,canonicalize,"
                       "kiln-emit-c-interface");
       }});

  // Affine loops (kiln-fuse-rows' row loops too, marked parallel); large
  // dependence-free nests are marked parallel while the
  // affine dependence analysis can still see every access.
  bool parallelize = options.parallelize;
  stages.push_back({"loops", [parallelize](OpPassManager &pm) {
                      addPasses(pm, "func.func(kiln-interchange-reductions)");
                      addPasses(pm, kLoopsPipeline);
                      addPasses(pm, parallelize
                                        ? "func.func(kiln-forall-to-affine)"
                                        : "func.func(kiln-forall-to-affine{"
                                          "parallel=false})");
                      addPasses(pm, "canonicalize,cse");
                      addPasses(pm, kPromoteReductions);
                      if (parallelize)
                        addPasses(pm, "func.func(kiln-mark-parallel-loops)");
                    }});

  // Innermost loops (reductions included) become vector loops of the host's
  // width; math functions become polynomials so vectors never hit libm.
  bool vectorize = options.vectorize;
  stages.push_back(
      {"vectorized", [vectorize, width](OpPassManager &pm) {
         if (vectorize)
           addPasses(pm, "func.func(kiln-affine-vectorize{vector-size=" +
                             std::to_string(width) + "}),canonicalize");
         addPasses(pm, "kiln-math-approximation,canonicalize,cse");
       }});

  if (parallelize)
    stages.push_back({"parallel", [](OpPassManager &pm) {
                        addPasses(pm, "func.func(kiln-parallelize-outer-loops),"
                                      "lower-affine,convert-scf-to-openmp");
                      }});

  // The tail. convert-math-to-funcs writes integer powers (math.ipowi, from
  // kiln.pow on integers) as small functions: they have no LLVM lowering.
  // memref lowering runs before scf-to-cf because convert-scf-to-
  // openmp wraps loop bodies in memref.alloca_scope, whose region must stay
  // a single block. math-to-llvm first: it maps math.fma (which the
  // polynomials are made of) to the llvm.intr.fma, where math-to-libm would
  // call fmaf per lane; math-to-libm then takes what has no intrinsic (f64
  // tanh/erf...), before vector-to-llvm. Allocations call MLIR's generic
  // functions, which libkiln_runtime implements with its caching allocator
  // (runtime/exec/ProgramMemory.cpp).
  stages.push_back(
      {"llvm", [parallelize](OpPassManager &pm) {
         addPasses(pm, "convert-math-to-funcs,"
                       "convert-vector-to-scf,expand-strided-metadata,"
                       "lower-affine,"
                       "finalize-memref-to-llvm{use-generic-functions},"
                       "convert-scf-to-cf,"
                       "convert-math-to-llvm,convert-math-to-libm,"
                       "convert-vector-to-llvm,"
                       "convert-arith-to-llvm,convert-index-to-llvm,"
                       "convert-func-to-llvm,convert-cf-to-llvm");
         if (parallelize)
           addPasses(pm, "convert-openmp-to-llvm");
         addPasses(pm, "reconcile-unrealized-casts");
       }});
  return stages;
}

namespace {

struct PipelineOptions : public PassPipelineOptions<PipelineOptions> {
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Vectorize loops for the host CPU"),
                         llvm::cl::init(true)};
  Option<bool> parallelize{*this, "parallelize",
                           llvm::cl::desc("Run large loop nests with OpenMP"),
                           llvm::cl::init(true)};
  Option<bool> externKernels{
      *this, "extern-kernels",
      llvm::cl::desc("Route matmul/conv to oneDNN kernels"),
      llvm::cl::init(true)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector (0: detect the host CPU)"),
      llvm::cl::init(0)};

  LoweringOptions toLowering() const {
    LoweringOptions options;
    options.vectorize = vectorize;
    options.parallelize = parallelize;
    options.externKernels = externKernels;
    options.vectorWidth = vectorWidth;
    return options;
  }
};

// Runs the stages whose names pass `select`, in order.
void buildStages(OpPassManager &pm, const PipelineOptions &options,
                 llvm::function_ref<bool(llvm::StringRef)> select) {
  for (const PipelineStage &stage : getLoweringStages(options.toLowering()))
    if (select(stage.name))
      stage.build(pm);
}

} // namespace

void registerKilnPipelines() {
  registerPipelinePasses();
  static std::once_flag once;
  std::call_once(once, [] {
    PassPipelineRegistration<PipelineOptions>(
        "kiln-lower-to-llvm", "Lower Kiln IR to the LLVM dialect (all stages)",
        [](OpPassManager &pm, const PipelineOptions &options) {
          buildStages(pm, options, [](llvm::StringRef) { return true; });
        });
    PassPipelineRegistration<PipelineOptions>(
        "kiln-lower-to-linalg",
        "Lower Kiln IR to fused linalg on tensors (the linalg stage)",
        [](OpPassManager &pm, const PipelineOptions &options) {
          buildStages(pm, options,
                      [](llvm::StringRef name) { return name == "linalg"; });
        });
    // Every stage name, whether or not the default options include it.
    LoweringOptions all;
    all.parallelize = true;
    for (const PipelineStage &stage : getLoweringStages(all)) {
      std::string name = stage.name;
      PassPipelineRegistration<PipelineOptions>(
          "kiln-stage-" + name, "Kiln lowering stage '" + name + "' alone",
          [name](OpPassManager &pm, const PipelineOptions &options) {
            buildStages(pm, options,
                        [&](llvm::StringRef stage) { return stage == name; });
          });
    }
  });
}

} // namespace kiln
