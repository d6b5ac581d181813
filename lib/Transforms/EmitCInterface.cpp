// kiln-emit-c-interface: marks public functions so convert-func-to-llvm emits _mlir_ciface_ wrappers.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#define DEBUG_TYPE "kiln-emit-c-interface"

namespace kiln {
#define GEN_PASS_DEF_KILNEMITCINTERFACE
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

struct EmitCInterfacePass
    : public impl::KilnEmitCInterfaceBase<EmitCInterfacePass> {
  void runOnOperation() override {
    UnitAttr unit = UnitAttr::get(&getContext());
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), unit);
  }
};

} // namespace
} // namespace kiln
