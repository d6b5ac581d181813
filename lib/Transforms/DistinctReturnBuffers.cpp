// kiln-distinct-return-buffers: a buffer returned twice, or an argument returned, becomes a fresh copy.
#include "lib/Transforms/Passes.h"

#include "llvm/ADT/DenseSet.h"

#define DEBUG_TYPE "kiln-distinct-return-buffers"

namespace kiln {
#define GEN_PASS_DEF_KILNDISTINCTRETURNBUFFERS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct DistinctReturnBuffersPass
    : public impl::KilnDistinctReturnBuffersBase<DistinctReturnBuffersPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::DenseSet<Value> seen;
      OpBuilder builder(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value value = operand.get();
        auto type = dyn_cast<MemRefType>(value.getType());
        // Repeated values and block arguments (a function returning its
        // input) both crash the MLIR 19 pass.
        bool repeated = !seen.insert(value).second;
        if (!type || (!repeated && !isa<BlockArgument>(value)))
          continue;
        // Only static shapes reach here (Kiln compiles per shape); a
        // dynamic one is left alone rather than guessed at.
        if (!type.hasStaticShape())
          continue;
        auto copyType = MemRefType::get(type.getShape(), type.getElementType());
        Value copy = builder.create<memref::AllocOp>(ret.getLoc(), copyType);
        builder.create<memref::CopyOp>(ret.getLoc(), value, copy);
        operand.set(copy);
      }
    });
  }
};

} // namespace
} // namespace kiln
