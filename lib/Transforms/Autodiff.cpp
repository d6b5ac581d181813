// kiln-autodiff: reverse-mode differentiation of Kiln functions through the
// ops' VJP rules.
#include "lib/Transforms/Passes.h"

#include "dialects/Kiln/IR/KilnDialect.h"
#include "dialects/Kiln/IR/KilnVJP.h"
#include "llvm/ADT/DenseSet.h"

#define DEBUG_TYPE "kiln-autodiff"

namespace kiln {
#define GEN_PASS_DEF_KILNAUTODIFF
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

// Reverse mode over one block: `lossIndex` selects the returned scalar, `wrt`
// the arguments whose gradients are appended to the returned values.
LogicalResult differentiate(func::FuncOp func, int64_t lossIndex,
                            ArrayRef<int64_t> wrtOption) {
  if (!llvm::hasSingleElement(func.getBody()))
    return func.emitError("kiln-autodiff: @")
           << func.getName() << " must have a body of one block";
  Block &block = func.getBody().front();
  auto ret = llvm::dyn_cast<func::ReturnOp>(block.getTerminator());
  if (!ret)
    return func.emitError("kiln-autodiff: @")
           << func.getName() << " must end in func.return";
  int64_t numResults = ret.getNumOperands();
  if (lossIndex < 0 || lossIndex >= numResults)
    return func.emitError("kiln-autodiff: result index ")
           << lossIndex << " is out of range: @" << func.getName() << " has "
           << numResults << " results";
  Value loss = ret.getOperand(lossIndex);
  auto lossType = llvm::dyn_cast<RankedTensorType>(loss.getType());
  if (!lossType || lossType.getRank() != 0 || !isDifferentiable(loss))
    return func.emitError("kiln-autodiff: result ")
           << lossIndex << " of @" << func.getName()
           << " must be a 0-d float tensor (a scalar loss), got "
           << loss.getType();

  SmallVector<int64_t> wrt(wrtOption);
  if (wrt.empty())
    for (BlockArgument arg : block.getArguments())
      if (isDifferentiable(arg))
        wrt.push_back(arg.getArgNumber());
  for (int64_t index : wrt) {
    if (index < 0 || index >= block.getNumArguments())
      return func.emitError("kiln-autodiff: argument index ")
             << index << " is out of range: @" << func.getName() << " has "
             << block.getNumArguments() << " arguments";
    Value arg = block.getArgument(index);
    if (!isDifferentiable(arg) ||
        !llvm::cast<RankedTensorType>(arg.getType()).hasStaticShape())
      return func.emitError("kiln-autodiff: argument ")
             << index << " of @" << func.getName()
             << " must be a float tensor of static shape, got "
             << arg.getType();
  }

  // Only values computed from a chosen argument carry cotangents: ops that
  // merely feed the loss with constants or other inputs (index arithmetic,
  // masks) need no rule.
  llvm::DenseSet<Value> active;
  for (int64_t index : wrt)
    active.insert(block.getArgument(index));
  SmallVector<Operation *> forward;
  for (Operation &op : block.without_terminator()) {
    forward.push_back(&op);
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value result : op.getResults())
        if (isDifferentiable(result))
          active.insert(result);
  }

  OpBuilder builder(ret);
  VJPBuilder v(builder, ret.getLoc());
  DenseMap<Value, Value> cotangents;
  if (active.contains(loss))
    cotangents[loss] = v.fill(lossType, 1.0);
  for (Operation *op : llvm::reverse(forward)) {
    SmallVector<Value> resultGrads;
    for (Value result : op->getResults())
      resultGrads.push_back(cotangents.lookup(result));
    if (llvm::all_of(resultGrads, [](Value g) { return !g; }))
      continue;
    SmallVector<Value> operandGrads;
    if (failed(buildOperandGradients(op, builder, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, grad] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!grad || !active.contains(operand))
        continue;
      auto [it, inserted] = cotangents.try_emplace(operand, grad);
      if (!inserted)
        it->second = v.add(it->second, grad);
    }
  }

  SmallVector<Value> results(ret.getOperands());
  SmallVector<Type> gradTypes;
  for (int64_t index : wrt) {
    Value arg = block.getArgument(index);
    Value grad = cotangents.lookup(arg);
    if (!grad)
      grad = v.fill(llvm::cast<RankedTensorType>(arg.getType()), 0.0);
    results.push_back(grad);
    gradTypes.push_back(grad.getType());
  }
  builder.create<func::ReturnOp>(ret.getLoc(), results);
  ret.erase();
  SmallVector<unsigned> positions(gradTypes.size(), numResults);
  SmallVector<DictionaryAttr> noAttrs(gradTypes.size());
  func.insertResults(positions, gradTypes, noAttrs);
  return success();
}

struct AutodiffPass : public impl::KilnAutodiffBase<AutodiffPass> {
  using KilnAutodiffBase::KilnAutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs;
    if (!function.empty()) {
      auto func = module.lookupSymbol<func::FuncOp>(function);
      if (!func || func.isExternal()) {
        module.emitError("kiln-autodiff: no function body named @") << function;
        return signalPassFailure();
      }
      funcs.push_back(func);
    } else {
      for (func::FuncOp func : module.getOps<func::FuncOp>())
        if (func.isPublic() && !func.isExternal())
          funcs.push_back(func);
    }
    for (func::FuncOp func : funcs)
      if (failed(differentiate(func, result, llvm::to_vector(wrt))))
        return signalPassFailure();
  }
};

} // namespace
} // namespace kiln
