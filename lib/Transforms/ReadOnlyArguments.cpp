// kiln-read-only-arguments: public functions never write the tensors their caller passes in.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

#define DEBUG_TYPE "kiln-read-only-arguments"

namespace kiln {
#define GEN_PASS_DEF_KILNREADONLYARGUMENTS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct ReadOnlyArgumentsPass
    : public impl::KilnReadOnlyArgumentsBase<ReadOnlyArgumentsPass> {
  void runOnOperation() override {
    BoolAttr no = BoolAttr::get(&getContext(), false);
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      for (auto [index, type] : llvm::enumerate(func.getArgumentTypes()))
        if (isa<TensorType>(type))
          func.setArgAttr(index,
                          bufferization::BufferizationDialect::kWritableAttrName,
                          no);
    }
  }
};

} // namespace
} // namespace kiln
