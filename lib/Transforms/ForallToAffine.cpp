// kiln-forall-to-affine: bufferized scf.forall row loops become affine.for loops the affine passes can vectorize and parallelize.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Affine/LoopUtils.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "kiln-forall-to-affine"

namespace kiln {
#define GEN_PASS_DEF_KILNFORALLTOAFFINE
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

// Small statically shaped buffers allocated and freed in each iteration
// (a row's max and sum, a row of exponentials) go on the stack instead of
// through malloc/free.
// True when any was moved.
bool promoteSmallAllocs(RewriterBase &rewriter, Block *body) {
  // Within an alloca_scope per iteration; OpenMP workers have 4 MB stacks.
  constexpr int64_t kMaxBytes = 64 * 1024;
  bool promoted = false;
  for (auto alloc : llvm::make_early_inc_range(body->getOps<memref::AllocOp>())) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !type.getElementType().isIntOrFloat() ||
        type.getNumElements() * type.getElementTypeBitWidth() / 8 > kMaxBytes)
      continue;
    // Only loads, stores and views of it, in this body: nothing keeps it
    // past the iteration.
    bool local = llvm::all_of(alloc->getUsers(), [&](Operation *user) {
      return body->getParentOp()->isAncestor(user);
    }) && llvm::none_of(alloc->getUsers(), [](Operation *user) {
      return isa<CallOpInterface, RegionBranchTerminatorOpInterface>(user);
    });
    if (!local)
      continue;
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        rewriter.eraseOp(user);
    rewriter.setInsertionPoint(alloc);
    rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, type,
                                                  alloc.getAlignmentAttr());
    promoted = true;
  }
  return promoted;
}

// Rewrites an affine load or store so that map operands which are affine.for
// induction variables are dims, not symbols.
void symbolsToDims(RewriterBase &rewriter, Operation *op) {
  AffineMap map = isa<affine::AffineLoadOp>(op)
                      ? cast<affine::AffineLoadOp>(op).getAffineMap()
                      : cast<affine::AffineStoreOp>(op).getAffineMap();
  ValueRange operands = isa<affine::AffineLoadOp>(op)
                            ? cast<affine::AffineLoadOp>(op).getMapOperands()
                            : cast<affine::AffineStoreOp>(op).getMapOperands();
  MLIRContext *context = op->getContext();
  unsigned numDims = map.getNumDims();
  SmallVector<Value> dims(operands.take_front(numDims)), symbols;
  SmallVector<AffineExpr> dimExprs, symbolExprs;
  for (unsigned i = 0; i < numDims; ++i)
    dimExprs.push_back(getAffineDimExpr(i, context));
  bool changed = false;
  for (Value operand : operands.drop_front(numDims)) {
    if (affine::isAffineForInductionVar(operand)) {
      symbolExprs.push_back(getAffineDimExpr(dims.size(), context));
      dims.push_back(operand);
      changed = true;
    } else {
      symbolExprs.push_back(getAffineSymbolExpr(symbols.size(), context));
      symbols.push_back(operand);
    }
  }
  if (!changed)
    return;
  AffineMap newMap = map.replaceDimsAndSymbols(dimExprs, symbolExprs,
                                               dims.size(), symbols.size());
  SmallVector<Value> newOperands(dims);
  newOperands.append(symbols);
  rewriter.setInsertionPoint(op);
  if (auto load = dyn_cast<affine::AffineLoadOp>(op))
    rewriter.replaceOpWithNewOp<affine::AffineLoadOp>(load, load.getMemRef(),
                                                      newMap, newOperands);
  else if (auto store = dyn_cast<affine::AffineStoreOp>(op))
    rewriter.replaceOpWithNewOp<affine::AffineStoreOp>(
        store, store.getValueToStore(), store.getMemRef(), newMap,
        newOperands);
}

} // namespace

namespace kiln {
namespace {

struct ForallToAffinePass
    : public impl::KilnForallToAffineBase<ForallToAffinePass> {
  using KilnForallToAffineBase::KilnForallToAffineBase;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    SmallVector<scf::ForallOp> foralls;
    getOperation().walk([&](scf::ForallOp op) {
      // Outermost only: a nested forall is converted with its parent's body.
      if (op.getNumResults() == 0 && !op->getParentOfType<scf::ForallOp>())
        foralls.push_back(op);
    });

    IRRewriter rewriter(context);
    SmallVector<Operation *> converted;
    for (scf::ForallOp forall : foralls) {
      std::optional<SmallVector<int64_t>> lbs =
          getConstantIntValues(forall.getMixedLowerBound());
      std::optional<SmallVector<int64_t>> ubs =
          getConstantIntValues(forall.getMixedUpperBound());
      std::optional<SmallVector<int64_t>> steps =
          getConstantIntValues(forall.getMixedStep());
      if (!lbs || !ubs || !steps)
        continue;
      // One affine.for per forall dimension, the outermost marked for
      // kiln-parallelize-outer-loops: forall iterations are independent by
      // definition.
      rewriter.setInsertionPoint(forall);
      SmallVector<Value> ivs;
      affine::AffineForOp outer;
      for (auto [lb, ub, step] : llvm::zip(*lbs, *ubs, *steps)) {
        auto loop = rewriter.create<affine::AffineForOp>(forall.getLoc(), lb,
                                                         ub, step);
        if (!outer) {
          outer = loop;
          if (parallel)
            loop->setAttr("kiln.parallel", UnitAttr::get(context));
        }
        ivs.push_back(loop.getInductionVar());
        rewriter.setInsertionPointToStart(loop.getBody());
      }
      // The forall's terminator (an empty scf.forall.in_parallel once
      // bufferized) is dropped; the loop's affine.yield stays.
      Block *inner = rewriter.getInsertionBlock();
      Block *body = forall.getBody();
      rewriter.eraseOp(body->getTerminator());
      // Only in parallel loops, whose bodies convert-scf-to-openmp wraps in
      // an alloca_scope: a sequential loop would grow the stack each
      // iteration once canonicalize inlines the scope into the affine.for.
      bool stack = parallel && promoteSmallAllocs(rewriter, body);
      Operation *yield = inner->getTerminator();
      rewriter.setInsertionPoint(yield);
      if (stack) {
        // Each iteration's stack buffers are released at its end.
        auto scope = rewriter.create<memref::AllocaScopeOp>(forall.getLoc(),
                                                            TypeRange());
        Block *scopeBlock = rewriter.createBlock(&scope.getBodyRegion());
        rewriter.setInsertionPointToEnd(scopeBlock);
        auto scopeReturn = rewriter.create<memref::AllocaScopeReturnOp>(
            forall.getLoc(), ValueRange());
        rewriter.inlineBlockBefore(body, scopeReturn, ivs);
      } else {
        rewriter.inlineBlockBefore(body, yield, ivs);
      }
      rewriter.eraseOp(forall);
      converted.push_back(outer);
    }
    if (converted.empty())
      return;

    // Single-iteration loops (a one-row tile's) disappear.
    for (Operation *loop : converted) {
      SmallVector<affine::AffineForOp> inner;
      loop->walk([&](affine::AffineForOp op) {
        if (op != loop)
          inner.push_back(op);
      });
      for (affine::AffineForOp op : inner)
        (void)affine::promoteIfSingleIteration(op);
    }

    // Accesses through the row subviews (strided layouts, which
    // affine-super-vectorize does not take) become accesses of the whole
    // memref, indexed by the row loop's induction variable.
    SmallVector<Operation *> ops;
    for (Operation *loop : converted)
      loop->walk([&](Operation *op) {
        if (isa<affine::AffineLoadOp, affine::AffineStoreOp, memref::LoadOp,
                memref::StoreOp, memref::SubViewOp>(op))
          ops.push_back(op);
      });
    RewritePatternSet patterns(context);
    memref::populateFoldMemRefAliasOpPatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    affine::AffineLoadOp::getCanonicalizationPatterns(patterns, context);
    affine::AffineStoreOp::getCanonicalizationPatterns(patterns, context);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    (void)applyOpPatternsAndFold(ops, std::move(patterns), config);

    // The folded indices name loop induction variables as symbols; the
    // vectorizer would take an access indexed by a symbol for one invariant
    // in that loop. Make them dims again.
    for (Operation *loop : converted) {
      SmallVector<Operation *> accesses;
      loop->walk([&](Operation *op) {
        if (isa<affine::AffineLoadOp, affine::AffineStoreOp>(op))
          accesses.push_back(op);
      });
      for (Operation *op : accesses)
        symbolsToDims(rewriter, op);
    }
  }
};

} // namespace
} // namespace kiln
