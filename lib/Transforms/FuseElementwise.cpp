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

// The largest producer body (in ops) fused into a consumer that reads it
// through a broadcast, i.e. recomputes it for several of its points.
constexpr unsigned kMaxBroadcastRecompute = 8;

// The number of points a generic iterates over (0 when a range is dynamic).
int64_t iterationPoints(linalg::GenericOp op) {
  int64_t points = 1;
  for (int64_t range : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(range))
      return 0;
    points *= range;
  }
  return points;
}

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

// A bias (+ ReLU) epilogue of a matmul or convolution: a generic reading the
// kernel's result whose body only adds and takes maxima.
bool isKernelEpilogue(linalg::GenericOp op) {
  bool readsKernel = llvm::any_of(op.getDpsInputOperands(), [](OpOperand *in) {
    auto source = in->get().getDefiningOp<linalg::LinalgOp>();
    return source && (linalg::isaContractionOpInterface(source) ||
                      linalg::isaConvolutionOpInterface(source));
  });
  return readsKernel &&
         llvm::all_of(op.getBody()->without_terminator(), [](Operation &inner) {
           return isa<arith::AddFOp, arith::MaximumFOp>(inner);
         });
}

// A producer with several users fused into one all-parallel consumer that
// reads it in the same iteration space and order (an identity map; a
// transposing consumer, such as a permuted copy that a kernel can read as a
// view, stays apart): the fused op
// computes the producer's values once and also returns them to the other
// users (linalg's preserved producer results), so the producer's loop nest
// disappears without recomputation. linalg's own pattern rewires only the
// consumer's uses and keeps the producer for its other users, computing it
// twice. An optimizer's update is such a chain: the new running averages
// are both returned and read by the parameter's update, one pass over the
// arrays instead of three.
struct FuseMultiUseProducer : public OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    if (consumer.getNumParallelLoops() != consumer.getNumLoops() ||
        !consumer.hasPureTensorSemantics())
      return failure();
    for (OpOperand *operand : consumer.getDpsInputOperands()) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || producer->hasOneUse() ||
          !consumer.getMatchingIndexingMap(operand).isIdentity() ||
          !linalg::areElementwiseOpsFusable(operand))
        continue;
      // The producer's inputs must be read along their last dim in its
      // innermost loop (or not depend on it): a transposing producer fused
      // into a long chain would make every access of the fused loop
      // strided, and the loop scalar.
      unsigned innermost = producer.getNumLoops() - 1;
      if (llvm::any_of(producer.getDpsInputOperands(), [&](OpOperand *in) {
            AffineMap map = producer.getMatchingIndexingMap(in);
            if (map.getNumResults() == 0)
              return false;
            if (map.getResults().back() == rewriter.getAffineDimExpr(innermost))
              return false;
            return map.isFunctionOfDim(innermost);
          }))
        continue;
      // A producer that reads a matmul or convolution is its epilogue (bias,
      // ReLU), which kiln-linalg-to-extern-kernels folds into the kernel call
      // only in its plain form; a second result would also make it differ
      // from the same epilogue elsewhere (the forward that backward
      // recomputes), which CSE then could not merge.
      if (isKernelEpilogue(producer))
        continue;
      // The fused op replaces the consumer where it is: the producer's other
      // users must come after it.
      if (llvm::any_of(producer->getUsers(), [&](Operation *user) {
            if (user == consumer.getOperation())
              return false;
            Operation *ancestor =
                consumer->getBlock()->findAncestorOpInBlock(*user);
            return !ancestor || !consumer->isBeforeInBlock(ancestor);
          }))
        continue;
      // The consumer must not read the producer through a second operand:
      // that read would stay and keep the producer alive.
      if (llvm::count_if(consumer->getOperands(), [&](Value v) {
            return v.getDefiningOp() == producer.getOperation();
          }) != 1)
        continue;
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, operand);
      if (failed(fused))
        continue;
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return use.getOwner() != fused->fusedOp;
        });
      if (producer->use_empty())
        rewriter.eraseOp(producer);
      if (consumer->use_empty())
        rewriter.eraseOp(consumer);
      return success();
    }
    return failure();
  }
};

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
      if (producer->hasOneUse()) {
        // Read through a broadcast, a producer is recomputed at every point
        // the consumer adds (a 2x2 pooling window's argmax at each of its 4
        // inputs): only a cheap one is fused, an expensive one is computed
        // once and read back.
        auto generic = dyn_cast<linalg::GenericOp>(producer);
        auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
        if (generic && consumer &&
            !consumer.getMatchingIndexingMap(fused).isPermutation() &&
            iterationPoints(consumer) > iterationPoints(generic) &&
            bodySize(generic) > kMaxBroadcastRecompute)
          return false;
        return true;
      }
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
    // After the fusions above (which duplicate cheap producers into every
    // user instead, saving the producer's store).
    patterns.add<FuseMultiUseProducer>(context, /*benefit=*/0);
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
