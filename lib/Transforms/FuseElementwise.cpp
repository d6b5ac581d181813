// kiln-fuse-elementwise: linalg elementwise fusion that also recomputes cheap multi-user producers.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "kiln-fuse-elementwise"

namespace kiln {
#define GEN_PASS_DEF_KILNFUSEELEMENTWISE
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

// Named all-parallel ops (linalg.add, linalg.map, linalg.broadcast...) and
// linalg.reduce become generics so the fusion patterns, which only match
// generics, see them. Contractions, convolutions, pooling and fills keep
// their names: the extern-kernel pass matches named matmuls and convs, and
// fills are the inits of reductions.
struct GeneralizeElementwise
    : public OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (isa<linalg::GenericOp, linalg::FillOp>(op.getOperation()) ||
        !op.hasPureTensorSemantics() ||
        (!isa<linalg::ReduceOp>(op.getOperation()) &&
         op.getNumLoops() != op.getNumParallelLoops()))
      return failure();
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

// Number of ops in a generic's body, the yield excluded: the cost of
// recomputing the producer once more per extra user.
unsigned bodySize(linalg::GenericOp op) {
  return op.getBody()->getOperations().size() - 1;
}

// exp, tanh, erf, log... each become a polynomial of a dozen vector ops:
// computing one once per element and reading it twice (from a row buffer in
// cache, once kiln-fuse-rows has tiled the nest) beats recomputing it.
bool hasTranscendental(linalg::GenericOp op) {
  return llvm::any_of(op.getBody()->getOperations(), [](Operation &inner) {
    return isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp,
               math::Log1pOp, math::Log2Op, math::TanhOp, math::ErfOp,
               math::SinOp, math::CosOp, math::PowFOp, math::AtanOp>(inner);
  });
}

} // namespace

namespace kiln {
namespace {

struct FuseElementwisePass
    : public impl::KilnFuseElementwiseBase<FuseElementwisePass> {
  using KilnFuseElementwiseBase::KilnFuseElementwiseBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    unsigned maxOps = maxDuplicatedOps;

    // A producer with one user is always fused. One with several users is
    // fused only when it is cheap and every user can absorb it: then the
    // producer's loop nest disappears once the last user has fused it.
    // If any user cannot fuse, duplicating would add work and remove nothing.
    linalg::ControlFusionFn control = [maxOps](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer)
        return false;
      if (producer->hasOneUse())
        return true;
      auto generic = dyn_cast<linalg::GenericOp>(producer);
      if (!generic || bodySize(generic) > maxOps || hasTranscendental(generic))
        return false;
      for (OpOperand &use : producer->getUses()) {
        auto user = dyn_cast<linalg::GenericOp>(use.getOwner());
        if (!user || !linalg::areElementwiseOpsFusable(&use))
          return false;
      }
      return true;
    };
    // Reshapes move through generics only when that does not duplicate them,
    // and never into a contraction or convolution: expanded, a matmul becomes
    // a generic that the elementwise fusion then buries in a loop nest, where
    // kiln-linalg-to-extern-kernels can no longer hand it to oneDNN.
    linalg::ControlFusionFn singleUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(producer))
        if (linalg::isaContractionOpInterface(linalgOp) ||
            linalg::isaConvolutionOpInterface(linalgOp))
          return false;
      return true;
    };

    RewritePatternSet patterns(context);
    patterns.add<GeneralizeElementwise>(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, singleUse);
    linalg::populateConstantFoldLinalgOperations(patterns, singleUse);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);

    // Top-down visits producers first, the cheaper order for long chains.
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                            config)))
      signalPassFailure();
  }
};

} // namespace
} // namespace kiln
