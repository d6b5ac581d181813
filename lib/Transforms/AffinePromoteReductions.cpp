// kiln-affine-promote-reductions: carries accumulators of innermost affine loops in iter_args, not memory.
#include "lib/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define DEBUG_TYPE "kiln-affine-promote-reductions"

namespace kiln {
#define GEN_PASS_DEF_KILNAFFINEPROMOTEREDUCTIONS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace mlir::affine;

namespace {

// A load and a store of the same loop-invariant element in a loop's body.
struct Accumulator {
  AffineLoadOp load;
  AffineStoreOp store;
};

// The loop may only read and write memory through affine loads and stores:
// anything else (calls, vector transfers) could touch the accumulator.
bool hasOnlyAffineMemoryAccesses(AffineForOp loop) {
  bool ok = true;
  loop.getBody()->walk([&](Operation *op) {
    if (!isa<AffineLoadOp, AffineStoreOp, AffineYieldOp>(op) &&
        !isMemoryEffectFree(op))
      ok = false;
  });
  return ok;
}

// Finds a load whose element the loop stores back, where nothing else in the
// loop touches that memref, so the element can live in a register.
std::optional<Accumulator> findAccumulator(AffineForOp loop) {
  Block *body = loop.getBody();
  for (auto load : body->getOps<AffineLoadOp>()) {
    Value memref = load.getMemRef();
    if (!llvm::all_of(load.getMapOperands(), [&](Value v) {
          return loop.isDefinedOutsideOfLoop(v);
        }))
      continue;
    AffineStoreOp store;
    bool otherUse = false;
    for (Operation *user : memref.getUsers()) {
      if (user == load.getOperation() || !loop->isAncestor(user))
        continue;
      auto candidate = dyn_cast<AffineStoreOp>(user);
      if (!candidate || store || candidate->getBlock() != body ||
          candidate.getValueToStore() == memref) {
        otherUse = true;
        break;
      }
      store = candidate;
    }
    if (otherUse || !store || !load->isBeforeInBlock(store) ||
        store.getAffineMap() != load.getAffineMap() ||
        store.getMapOperands() != load.getMapOperands())
      continue;
    return Accumulator{load, store};
  }
  return std::nullopt;
}

// Hoists the load above the loop, carries the value in an iter_arg and
// stores the loop's result once after it. Returns the new loop.
AffineForOp promote(AffineForOp loop, Accumulator acc) {
  IRRewriter rewriter(loop.getContext());
  rewriter.setInsertionPoint(loop);
  Operation *init = rewriter.clone(*acc.load);
  Value stored = acc.store.getValueToStore();
  FailureOr<LoopLikeOpInterface> replaced = loop.replaceWithAdditionalYields(
      rewriter, init->getResults(), /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return SmallVector<Value>{stored};
      });
  if (failed(replaced))
    return nullptr;
  auto newLoop = cast<AffineForOp>(replaced->getOperation());
  rewriter.replaceAllUsesWith(acc.load.getResult(),
                              newLoop.getRegionIterArgs().back());
  rewriter.setInsertionPointAfter(newLoop);
  rewriter.create<AffineStoreOp>(acc.store.getLoc(), newLoop.getResults().back(),
                                 acc.store.getMemRef(),
                                 acc.store.getAffineMap(),
                                 acc.store.getMapOperands());
  rewriter.eraseOp(acc.store);
  rewriter.eraseOp(acc.load);
  return newLoop;
}

} // namespace

namespace kiln {
namespace {

struct AffinePromoteReductionsPass
    : public impl::KilnAffinePromoteReductionsBase<
          AffinePromoteReductionsPass> {
  void runOnOperation() override {
    SmallVector<AffineForOp> innermost;
    getOperation().walk([&](AffineForOp loop) {
      if (loop.getBody()->getOps<AffineForOp>().empty())
        innermost.push_back(loop);
    });
    for (AffineForOp loop : innermost) {
      if (!hasOnlyAffineMemoryAccesses(loop))
        continue;
      while (loop) {
        std::optional<Accumulator> acc = findAccumulator(loop);
        if (!acc)
          break;
        loop = promote(loop, *acc);
      }
    }
  }
};

} // namespace
} // namespace kiln
