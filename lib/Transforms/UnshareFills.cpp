// kiln-unshare-fills: every op that accumulates into a filled tensor gets a fill of its own.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#define DEBUG_TYPE "kiln-unshare-fills"

namespace kiln {
#define GEN_PASS_DEF_KILNUNSHAREFILLS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

bool isInitOperand(OpOperand &use) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
  return dps && dps.isDpsInit(&use);
}

struct UnshareFillsPass : public impl::KilnUnshareFillsBase<UnshareFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      SmallVector<OpOperand *> inits;
      for (OpOperand &use : fill->getResult(0).getUses())
        if (isInitOperand(use))
          inits.push_back(&use);
      // Each init gets a copy right before its op; the original is erased
      // when nothing else reads it.
      for (OpOperand *use : inits) {
        OpBuilder builder(use->getOwner());
        IRMapping mapping;
        Value out = fill.getOutputs()[0];
        if (auto empty = out.getDefiningOp<tensor::EmptyOp>())
          mapping.map(out, builder.clone(*empty)->getResult(0));
        Operation *copy = builder.clone(*fill, mapping);
        use->set(copy->getResult(0));
      }
      if (fill->use_empty()) {
        Value out = fill.getOutputs()[0];
        fill->erase();
        if (auto empty = out.getDefiningOp<tensor::EmptyOp>(); empty && empty->use_empty())
          empty->erase();
      }
    }
    // The same for a tensor.empty that CSE shared between several ops: each
    // gets its own, so each result gets a buffer of its own. Sharing one
    // lets bufferization write a later result into an earlier one's buffer
    // once that is dead, which saves little (the caching allocator reuses
    // freed buffers anyway) and hides from kiln-linalg-to-extern-kernels
    // which op last wrote a buffer (a convolution's output and the ReLU
    // after it, a permuted copy a kernel could read in place).
    SmallVector<tensor::EmptyOp> empties;
    getOperation()->walk([&](tensor::EmptyOp empty) {
      if (!empty->getResult(0).hasOneUse())
        empties.push_back(empty);
    });
    for (tensor::EmptyOp empty : empties) {
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : empty->getResult(0).getUses())
        uses.push_back(&use);
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder builder(use->getOwner());
        use->set(builder.clone(*empty)->getResult(0));
      }
    }
  }
};

} // namespace
} // namespace kiln
