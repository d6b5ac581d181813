// What kiln-linalg-to-extern-kernels needs to hand oneDNN views instead of copies: the buffer behind a view, the
// batch/channel-swapped operands and result of a convolution's weight gradient (and a transposed matmul result),
// and the ReLU a convolution can take as its post-op.
#include "lib/Transforms/ExternKernelViews.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace kiln::extern_kernels {

bool isF32Memref(Value value, int64_t rank) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.getRank() == rank && type.getElementType().isF32() &&
         !type.getMemorySpace() && isStrided(type);
}

bool isPureOrAlloc(Operation *op) {
  return isMemoryEffectFree(op) || hasSingleEffect<MemoryEffects::Allocate>(op);
}

linalg::GenericOp nextMemoryGeneric(Operation *op) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode())
    if (!isPureOrAlloc(next))
      return dyn_cast<linalg::GenericOp>(next);
  return {};
}

// The buffer a view is taken of, through view-like ops.
Value rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

// True when `map` is (d0, d1, ...) -> (d1, d0, ...): a 2-D transpose, or
// the batch and channel swap that the conv2d VJP's weight gradient applies
// to its operands and result.
static bool isBatchChannelSwap(AffineMap map) {
  if (!map.isPermutation() || map.getNumResults() < 2)
    return false;
  SmallVector<unsigned> swap = {1, 0};
  for (unsigned d = 2; d < map.getNumResults(); ++d)
    swap.push_back(d);
  return map == AffineMap::getPermutationMap(swap, map.getContext());
}

// A linalg.generic that copies its only input into its only output, reading
// the input through `inputMap` and writing the output in identity order:
// `out[i] = in[inputMap(i)]`.
static bool isPermutingCopy(linalg::GenericOp generic, AffineMap &inputMap) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getNumResults() != 0 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return false;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  if (!maps[1].isIdentity() || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != generic.getBody()->getArgument(0))
    return false;
  inputMap = maps[0];
  return true;
}

// True when no op strictly between `first` and `last` (one block) may write
// memory whose root buffer is `root`; a function argument's memory may also
// be reached through another argument, so then no write to any argument is
// allowed. `alsoReads` makes reads of `root` count too.
static bool untouchedBetween(Operation *first, Operation *last, Value root,
                      bool alsoReads = false) {
  if (first->getBlock() != last->getBlock() || !first->isBeforeInBlock(last))
    return false;
  bool argument = isa<BlockArgument>(root);
  auto conflicts = [&](Value value) {
    Value other = rootBuffer(value);
    return other == root || (argument && isa<BlockArgument>(other));
  };
  for (Operation *op = first->getNextNode(); op != last; op = op->getNextNode()) {
    if (isPureOrAlloc(op))
      continue;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects || (op->getNumRegions() > 0 && !isa<linalg::LinalgOp>(op))) {
      // Unknown effects (calls of the kernels): any memref operand may be
      // written.
      for (Value operand : op->getOperands())
        if (isa<MemRefType>(operand.getType()) && conflicts(operand))
          return false;
      if (!effects)
        continue;
    }
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (const MemoryEffects::EffectInstance &effect : list) {
      bool counts = isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()) ||
                    (alsoReads && isa<MemoryEffects::Read>(effect.getEffect()));
      if (!counts)
        continue;
      if (!effect.getValue() || conflicts(effect.getValue()))
        return false;
    }
  }
  return true;
}

// The users of an allocation other than `keep` and its deallocations; the
// deallocations are collected in `deallocs`.
static SmallVector<Operation *> otherUsers(memref::AllocOp alloc,
                                    ArrayRef<Operation *> keep,
                                    SmallVectorImpl<Operation *> &deallocs) {
  SmallVector<Operation *> others;
  for (Operation *user : alloc->getUsers()) {
    if (llvm::is_contained(keep, user))
      continue;
    if (isa<memref::DeallocOp>(user))
      deallocs.push_back(user);
    else
      others.push_back(user);
  }
  return others;
}

// The weight gradient of a convolution, as the conv2d VJP writes it:
// dW^T = conv(x^T, dy^T) with batch and channels swapped in both operands and
// the result, a "kernel" (dy's image) larger than the output. The runtime
// runs it on oneDNN's backward-weights primitive, which reads x and dy and
// writes dW unswapped (runtime/cpu/Conv.cpp).
bool isWeightGradientShape(Value weight, Value out) {
  auto w = cast<MemRefType>(weight.getType());
  auto o = cast<MemRefType>(out.getType());
  return w.hasStaticShape() && o.hasStaticShape() &&
         w.getDimSize(2) * w.getDimSize(3) > o.getDimSize(2) * o.getDimSize(3);
}

// `value` with its first two dims swapped (batch and channels of NCHW, or
// a matrix transposed), as a view.
Value swapView(OpBuilder &builder, Location loc, Value value) {
  SmallVector<unsigned> order = {1, 0};
  for (int64_t d = 2; d < cast<MemRefType>(value.getType()).getRank(); ++d)
    order.push_back(d);
  auto swap = AffineMapAttr::get(
      AffineMap::getPermutationMap(order, builder.getContext()));
  return builder.create<memref::TransposeOp>(loc, value, swap);
}

// The only user of `alloc` besides `except` (its deallocs go to `deallocs`)
// when that user is a copy that swaps the batch and channel dims, in
// `conv`'s block, before `conv` (it fills what the kernel reads) or after it
// (it moves what the kernel wrote); null otherwise.
static linalg::GenericOp swappingCopy(memref::AllocOp alloc, Operation *conv,
                                      ArrayRef<Operation *> except, bool beforeConv,
                                      SmallVectorImpl<Operation *> &deallocs) {
  if (!alloc || alloc->getBlock() != conv->getBlock())
    return {};
  SmallVector<Operation *> others = otherUsers(alloc, except, deallocs);
  auto copy = others.size() == 1 ? dyn_cast<linalg::GenericOp>(others.front())
                                 : linalg::GenericOp();
  AffineMap inputMap;
  if (!copy || copy->getBlock() != conv->getBlock() ||
      (beforeConv ? !copy->isBeforeInBlock(conv) : !conv->isBeforeInBlock(copy)) ||
      !isPermutingCopy(copy, inputMap) || !isBatchChannelSwap(inputMap))
    return {};
  return copy;
}

// A swapped operand of a weight-gradient convolution that is only a
// swapping copy of `source` (the permute the VJP wrote): the kernel reads a
// swapped view of `source` itself, so it sees plain NCHW memory and the copy
// and its buffer go to `dead`. Otherwise returns `operand`: a buffer that a
// computation writes swapped stays so (writing it through a strided view
// would keep MLIR 19's vectorizer off its loop).
Value readSwappedInPlace(OpBuilder &builder, Value operand, Operation *conv,
                         SmallVectorImpl<Operation *> &dead) {
  auto alloc = operand.getDefiningOp<memref::AllocOp>();
  SmallVector<Operation *> deallocs;
  linalg::GenericOp copy =
      swappingCopy(alloc, conv, {conv}, /*beforeConv=*/true, deallocs);
  if (!copy || copy.getDpsInits()[0] != operand)
    return operand;
  Value source = copy.getDpsInputs()[0];
  if (!isF32Memref(source, 4) ||
      !untouchedBetween(copy, conv, rootBuffer(source)))
    return operand;
  dead.push_back(copy);
  dead.append(deallocs.begin(), deallocs.end());
  dead.push_back(alloc);
  return swapView(builder, conv->getLoc(), source);
}

// The swapped result of a weight-gradient convolution (or the transposed
// result of a matmul) that a swapping copy moves into `final` (the
// gradient's buffer): the kernel writes a swapped view of `final` directly,
// and the copy and the buffer go to `dead`.
Value writeSwappedInPlace(OpBuilder &builder, Value out, Operation *conv,
                          Operation *initializer, ArrayRef<Value> reads,
                          SmallVectorImpl<Operation *> &dead) {
  auto alloc = out.getDefiningOp<memref::AllocOp>();
  SmallVector<Operation *> deallocs;
  linalg::GenericOp copy = swappingCopy(alloc, conv, {conv, initializer},
                                        /*beforeConv=*/false, deallocs);
  if (!copy || copy.getDpsInputs()[0] != out)
    return out;
  Value final = copy.getDpsInits()[0];
  if (!isF32Memref(final, cast<MemRefType>(out.getType()).getRank()))
    return out;
  Value root = rootBuffer(final);
  for (Value read : reads)
    if (rootBuffer(read) == root)
      return out;
  // `final` must exist at the convolution: an argument, or defined before.
  if (Operation *def = final.getDefiningOp()) {
    if (def->getBlock() != conv->getBlock() || !def->isBeforeInBlock(conv))
      return out;
  }
  if (!untouchedBetween(conv, copy, root, /*alsoReads=*/true))
    return out;
  dead.push_back(copy);
  dead.append(deallocs.begin(), deallocs.end());
  dead.push_back(alloc);
  return swapView(builder, conv->getLoc(), final);
}

// `maximumf(x, 0.0)` in either operand order, of `x` = `arg`.
static bool isReluOf(Value value, Value arg) {
  auto max = value.getDefiningOp<arith::MaximumFOp>();
  if (!max)
    return false;
  return (max.getLhs() == arg && matchPattern(max.getRhs(), m_AnyZeroFloat())) ||
         (max.getRhs() == arg && matchPattern(max.getLhs(), m_AnyZeroFloat()));
}

// The ReLU right after a convolution into `out`: the next op touching memory
// is a linalg.generic reading `out` (identity map) and writing `relu(out)`
// to an identity-mapped buffer that is `out` itself, or one the kernel may
// write instead (then `out` must have no other reader). Returns the generic.
linalg::GenericOp matchReluEpilogue(Operation *conv, Value out,
                                    Operation *initializer,
                                    ArrayRef<Value> reads) {
  linalg::GenericOp generic = nextMemoryGeneric(conv);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumResults() != 0 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getDpsInputs()[0] != out)
    return {};
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  Block *body = generic.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (!maps[0].isIdentity() || !maps[1].isIdentity() ||
      body->getOperations().size() != 2 || yield.getNumOperands() != 1 ||
      !isReluOf(yield.getOperand(0), body->getArgument(0)))
    return {};
  Value result = generic.getDpsInits()[0];
  if (result == out)
    return generic;
  if (!isF32Memref(result, 4))
    return {};
  for (Value read : reads)
    if (rootBuffer(read) == rootBuffer(result))
      return {};
  if (Operation *def = result.getDefiningOp())
    if (def->getBlock() != conv->getBlock() || !def->isBeforeInBlock(conv)) {
      // An allocation made between the two moves up.
      if (!isa<memref::AllocOp>(def) || def->getNumOperands() != 0 ||
          def->getBlock() != conv->getBlock())
        return {};
      def->moveBefore(conv);
    }
  // `out` is read by nothing else: the kernel may skip it.
  auto alloc = out.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return {};
  for (Operation *user : alloc->getUsers())
    if (user != conv && user != initializer && user != generic &&
        !isa<memref::DeallocOp, memref::CastOp>(user))
      return {};
  return generic;
}

} // namespace kiln::extern_kernels
