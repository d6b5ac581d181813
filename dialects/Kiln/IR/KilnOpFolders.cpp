// Folders of the Kiln ops: constants, identities (x + 0, x * 1, ...) and shape-op chains.
#include "dialects/Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;

namespace {

// True when `attr` is a splat tensor constant whose every element equals
// `value` (0 or 1); both zeros count for floats.
bool isSplatOf(Attribute attr, int64_t value) {
  auto splat = llvm::dyn_cast_if_present<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  if (llvm::isa<FloatType>(splat.getElementType())) {
    APFloat element = splat.getSplatValue<APFloat>();
    return value == 0 ? element.isZero() : element.isExactlyValue(value);
  }
  if (llvm::isa<IntegerType>(splat.getElementType()))
    return splat.getSplatValue<APInt>() == value;
  return false;
}

// `operand` can stand for the op's result only if broadcasting the other
// operand does not grow it: x + zeros(4x8) with x : 1x8 must stay an add.
OpFoldResult identityIf(Operation *op, Value operand, bool isIdentity) {
  if (isIdentity && operand.getType() == op->getResult(0).getType())
    return operand;
  return {};
}

} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

OpFoldResult SplatOp::fold(FoldAdaptor) {
  // A splat elements attribute stores one element whatever the shape, so
  // folding is cheap even for large fills.
  if (getValue().getType() != getType().getElementType())
    return {};
  return DenseElementsAttr::get(getType(), getValue());
}

// x + 0 -> x keeps a -0.0 element of x where IEEE addition would give +0.0;
// Kiln, like XLA's algebraic simplifier, accepts that difference.
OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = identityIf(*this, getLhs(), isSplatOf(adaptor.getRhs(), 0)))
    return r;
  return identityIf(*this, getRhs(), isSplatOf(adaptor.getLhs(), 0));
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return identityIf(*this, getLhs(), isSplatOf(adaptor.getRhs(), 0));
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult r = identityIf(*this, getLhs(), isSplatOf(adaptor.getRhs(), 1)))
    return r;
  return identityIf(*this, getRhs(), isSplatOf(adaptor.getLhs(), 1));
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return identityIf(*this, getLhs(), isSplatOf(adaptor.getRhs(), 1));
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  // reshape(reshape(x)) only depends on x's elements in row-major order.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    if (getInput().getType() == getType())
      return getInput();
    return getResult();
  }
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult PermuteOp::fold(FoldAdaptor) {
  // permute(permute(x, inner), outer): result dim i is x's dim inner[outer[i]].
  if (auto inner = getInput().getDefiningOp<PermuteOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t d : getDims())
      composed.push_back(inner.getDims()[d]);
    getInputMutable().assign(inner.getInput());
    setDims(composed);
    if (getInput().getType() == getType() &&
        llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return getInput();
    return getResult();
  }
  if (llvm::equal(getDims(), llvm::seq<int64_t>(0, getDims().size())))
    return getInput();
  return {};
}
