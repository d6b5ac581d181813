// kiln-fuse-rows: fuses row reductions and their elementwise producers/consumers into one parallel row loop.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "kiln-fuse-rows"

namespace kiln {
#define GEN_PASS_DEF_KILNFUSEROWS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

bool isRowOp(Operation *op) {
  return isa_and_nonnull<linalg::GenericOp, linalg::FillOp>(op);
}

// True when `map` sends loop d0 to its first result and nowhere else: a
// block of d0 is then a block of the operand's leading dimension.
bool leadsWithRow(AffineMap map) {
  if (map.getNumResults() == 0 || map.getResult(0) != getAffineDimExpr(0, map.getContext()))
    return false;
  for (AffineExpr expr : map.getResults().drop_front())
    if (expr.isFunctionOfDim(0))
      return false;
  return true;
}

// A linalg op that can be tiled along its first loop, a parallel one that
// indexes the leading dimension of every result.
bool isRowCompatible(linalg::LinalgOp op) {
  if (!isRowOp(op) || !op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      !linalg::isParallelIterator(op.getIteratorTypesArray()[0]))
    return false;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!leadsWithRow(op.getMatchingIndexingMap(&init)))
      return false;
  return true;
}

// The producers that can join `root`'s row loop: row-compatible linalg ops
// reached through operands indexed by rows, none of whose results is used
// outside the group (fusing those would compute them twice).
llvm::SetVector<Operation *> collectCluster(linalg::GenericOp root) {
  llvm::SetVector<Operation *> cluster;
  SmallVector<linalg::LinalgOp> worklist{root};
  cluster.insert(root);
  while (!worklist.empty()) {
    linalg::LinalgOp op = worklist.pop_back_val();
    for (OpOperand &operand : op->getOpOperands()) {
      auto producer = operand.get().getDefiningOp<linalg::LinalgOp>();
      if (!producer || cluster.contains(producer) ||
          !isRowCompatible(producer) ||
          !leadsWithRow(op.getMatchingIndexingMap(&operand)))
        continue;
      cluster.insert(producer);
      worklist.push_back(producer);
    }
  }
  // Drop members with users outside, until none is left.
  bool changed = true;
  while (changed) {
    changed = false;
    for (Operation *op : cluster.getArrayRef().drop_front()) {
      bool outside = llvm::any_of(op->getUsers(), [&](Operation *user) {
        return !cluster.contains(user);
      });
      if (outside) {
        cluster.remove(op);
        changed = true;
        break;
      }
    }
  }
  return cluster;
}

// True when dropping the op's unit loops leaves every operand at least one
// dimension: 0-d buffers inside vector loops are what the affine vectorizer
// handles badly (broadcast transfer_writes).
bool keepsRankedOperands(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (AffineMap map : op.getIndexingMapsArray()) {
    bool kept = map.getNumResults() == 0 ||
                llvm::any_of(map.getResults(), [&](AffineExpr expr) {
                  if (auto dim = dyn_cast<AffineDimExpr>(expr))
                    return ranges[dim.getPosition()] != 1;
                  return !isa<AffineConstantExpr>(expr);
                });
    if (!kept)
      return false;
  }
  return true;
}

// Iterations of the largest nest of the group (0 when one is dynamic).
int64_t clusterWork(const llvm::SetVector<Operation *> &cluster) {
  int64_t most = 0;
  for (Operation *op : cluster) {
    int64_t work = 1;
    for (int64_t range : cast<linalg::LinalgOp>(op).getStaticLoopRanges()) {
      if (ShapedType::isDynamic(range))
        return 0;
      work *= range;
    }
    most = std::max(most, work);
  }
  return most;
}

bool hasReduction(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

} // namespace

namespace kiln {
namespace {

struct FuseRowsPass : public impl::KilnFuseRowsBase<FuseRowsPass> {
  using KilnFuseRowsBase::KilnFuseRowsBase;

  void runOnOperation() override {
    Operation *func = getOperation();
    MLIRContext *context = &getContext();
    bool anyReduction = false;
    func->walk([&](linalg::GenericOp op) {
      anyReduction |= op.hasPureTensorSemantics() && hasReduction(op);
    });
    if (!anyReduction)
      return;

    // The function as it was, put back when no group is fused: dropping
    // unit dims alone is not this pass's business.
    Operation *backup = func->clone();
    auto dropBackup = llvm::make_scope_exit([&] { backup->erase(); });

    // Reductions with keepdim come out of the kiln -> linalg conversion with
    // a unit dimension and a tensor.expand_shape between them and their
    // users, which tiling cannot see through: drop unit dims first.
    {
      RewritePatternSet patterns(context);
      linalg::ControlDropUnitDims control;
      control.controlFn = [](Operation *op) -> SmallVector<unsigned> {
        auto generic = dyn_cast<linalg::GenericOp>(op);
        if (!generic || !generic.hasPureTensorSemantics() ||
            !keepsRankedOperands(generic))
          return {};
        return llvm::to_vector(llvm::seq<unsigned>(0, generic.getNumLoops()));
      };
      linalg::populateFoldUnitExtentDimsPatterns(patterns, control);
      tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
      tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
      tensor::populateFoldTensorEmptyPatterns(patterns);
      // Not converging only leaves some unit dims: no reason to fail.
      (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
    }

    // Roots: the last generic of each group, visited from the end so that a
    // root is never a producer fused into a later one.
    SmallVector<linalg::GenericOp> generics;
    func->walk([&](linalg::GenericOp op) { generics.push_back(op); });
    llvm::DenseSet<Operation *> taken;
    IRRewriter rewriter(context);
    bool fused = false;
    for (linalg::GenericOp root : llvm::reverse(generics)) {
      if (taken.contains(root) || !isRowCompatible(root) ||
          root->getParentOfType<scf::ForallOp>())
        continue;
      SmallVector<int64_t> ranges = root.getStaticLoopRanges();
      if (ranges[0] < 2 || llvm::any_of(ranges, ShapedType::isDynamic))
        continue;
      llvm::SetVector<Operation *> cluster = collectCluster(root);
      // Worth a row loop: two nests that read data (fills do not), one of
      // them a reduction, and enough iterations in the largest.
      if (llvm::count_if(cluster, [](Operation *op) {
            auto generic = dyn_cast<linalg::GenericOp>(op);
            return generic && generic.getNumDpsInputs() > 0;
          }) < 2 ||
          llvm::none_of(cluster, hasReduction) ||
          clusterWork(cluster) < minWork)
        continue;

      SmallVector<OpFoldResult> tileSizes(root.getNumLoops(),
                                          rewriter.getIndexAttr(0));
      tileSizes[0] = rewriter.getIndexAttr(std::min<int64_t>(tileRows, ranges[0]));
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(tileSizes);
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool) {
            return std::make_tuple(cluster.contains(producer.getOwner()),
                                   false);
          });
      rewriter.setInsertionPoint(root);
      FailureOr<scf::SCFTileAndFuseResult> result =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(root.getOperation()), options);
      if (failed(result)) {
        root.emitError("kiln-fuse-rows: tiling failed");
        return signalPassFailure();
      }
      fused = true;
      for (Operation *op : cluster)
        taken.insert(op);
      for (OpResult res : root->getResults()) {
        auto it = result->replacements.find(res);
        if (it != result->replacements.end())
          rewriter.replaceAllUsesWith(res, it->second);
      }
    }

    if (!fused) {
      func->getRegion(0).takeBody(backup->getRegion(0));
      return;
    }

    // The fused producers' originals are now dead; slices of tensor.empty
    // become tensor.empty of a row block.
    RewritePatternSet cleanup(context);
    tensor::populateFoldTensorEmptyPatterns(cleanup);
    (void)applyPatternsAndFoldGreedily(func, std::move(cleanup));
  }
};

} // namespace
} // namespace kiln
