// kiln-math-approximation: polynomial approximations of math functions, so vector loops never call libm.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "kiln-math-approximation"

namespace kiln {
#define GEN_PASS_DEF_KILNMATHAPPROXIMATION
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct MathApproximationPass
    : public impl::KilnMathApproximationBase<MathApproximationPass> {
  using KilnMathApproximationBase::KilnMathApproximationBase;

  void getDependentDialects(DialectRegistry &registry) const override {
    KilnMathApproximationBase::getDependentDialects(registry);
    // The AVX2 variant of rsqrt emits x86vector ops.
    if (enableAvx2)
      registry.insert<x86vector::X86VectorDialect>();
  }

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    MathPolynomialApproximationOptions options;
    options.enableAvx2 = enableAvx2;
    populateMathPolynomialApproximationPatterns(patterns, options);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace kiln
