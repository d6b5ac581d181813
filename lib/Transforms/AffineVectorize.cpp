// kiln-affine-vectorize: affine-super-vectorize restricted to loops whose accesses are unit-stride.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Affine/Analysis/AffineAnalysis.h"
#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/IR/AffineExprVisitor.h"

#define DEBUG_TYPE "kiln-affine-vectorize"

namespace kiln {
#define GEN_PASS_DEF_KILNAFFINEVECTORIZE
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

// The change of `expr` when the operands at `positions` go from 0 to 1 and
// every other operand stays 0: the coefficient of a linear expression.
// std::nullopt when the expression is not linear in them.
std::optional<int64_t> coefficient(AffineExpr expr, unsigned numDims,
                                   unsigned numSymbols,
                                   ArrayRef<unsigned> positions) {
  bool nonLinear = false;
  expr.walk([&](AffineExpr e) {
    auto binary = dyn_cast<AffineBinaryOpExpr>(e);
    if (!binary || e.getKind() == AffineExprKind::Add)
      return;
    if (e.getKind() == AffineExprKind::Mul &&
        (isa<AffineConstantExpr>(binary.getLHS()) ||
         isa<AffineConstantExpr>(binary.getRHS())))
      return;
    // A mod, a division or a product of two variables: not linear, unless it
    // does not involve the loop at all, which a zero coefficient below shows.
    nonLinear = true;
  });
  MLIRContext *ctx = expr.getContext();
  auto evaluate = [&](int64_t value) -> std::optional<int64_t> {
    SmallVector<AffineExpr> dims(numDims, getAffineConstantExpr(0, ctx));
    SmallVector<AffineExpr> symbols(numSymbols, getAffineConstantExpr(0, ctx));
    for (unsigned p : positions) {
      if (p < numDims)
        dims[p] = getAffineConstantExpr(value, ctx);
      else
        symbols[p - numDims] = getAffineConstantExpr(value, ctx);
    }
    AffineExpr folded = simplifyAffineExpr(
        expr.replaceDimsAndSymbols(dims, symbols), 0, 0);
    if (auto constant = dyn_cast<AffineConstantExpr>(folded))
      return constant.getValue();
    return std::nullopt;
  };
  std::optional<int64_t> at0 = evaluate(0), at1 = evaluate(1);
  if (!at0 || !at1)
    return std::nullopt;
  int64_t delta = *at1 - *at0;
  if (nonLinear && delta != 0)
    return std::nullopt;
  if (nonLinear) {
    // Zero at 0 -> 1 may still vary further on (e.g. (i floordiv 2)).
    std::optional<int64_t> at2 = evaluate(2);
    if (!at2 || *at2 != *at0)
      return std::nullopt;
  }
  return delta;
}

// True when vectorizing `loop` reads and writes whole contiguous vectors:
// under it, every affine access to a memref indexes only the last dimension
// with the induction variable, at coefficient 1 (other dimensions at 0),
// stores depend on the variable at all, no memref holds i1 and every memref
// has the identity layout. MLIR 19's
// vectorizer gets each excluded case wrong: a stride (dilated windows) reads
// consecutive elements; a store invariant in the loop becomes an invalid
// broadcasting transfer_write; and vector<Nxi1> loads and stores are bit-packed
// while i1 memrefs hold a byte per element.
bool isSafeToVectorize(affine::AffineForOp loop) {
  Value iv = loop.getInductionVar();
  WalkResult result = loop.walk([&](Operation *op) {
    AffineMap map;
    SmallVector<Value> operands;
    Value memref;
    bool isWrite = false;
    if (auto read = dyn_cast<affine::AffineReadOpInterface>(op)) {
      map = read.getAffineMap();
      operands = llvm::to_vector(read.getMapOperands());
      memref = read.getMemRef();
    } else if (auto write = dyn_cast<affine::AffineWriteOpInterface>(op)) {
      map = write.getAffineMap();
      operands = llvm::to_vector(write.getMapOperands());
      memref = write.getMemRef();
      isWrite = true;
    } else {
      return WalkResult::advance();
    }
    if (getElementTypeOrSelf(memref.getType()).getIntOrFloatBitWidth() < 8)
      return WalkResult::interrupt();
    // MLIR 19's vectorizer rejects (with an error) accesses to memrefs with
    // a layout other than the identity ("NYI: non-trivial layout map").
    if (auto type = dyn_cast<MemRefType>(memref.getType());
        type && !type.getLayout().isIdentity())
      return WalkResult::interrupt();
    SmallVector<unsigned> positions;
    for (auto [i, operand] : llvm::enumerate(operands))
      if (operand == iv)
        positions.push_back(i);
    bool varies = false;
    unsigned numResults = map.getNumResults();
    for (auto [r, expr] : llvm::enumerate(map.getResults())) {
      std::optional<int64_t> c =
          positions.empty() ? std::optional<int64_t>(0)
                            : coefficient(expr, map.getNumDims(),
                                          map.getNumSymbols(), positions);
      if (!c)
        return WalkResult::interrupt();
      if (*c == 0)
        continue;
      if (*c != 1 || r + 1 != numResults)
        return WalkResult::interrupt();
      varies = true;
    }
    if (isWrite && !varies)
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

struct AffineVectorizePass
    : public kiln::impl::KilnAffineVectorizeBase<AffineVectorizePass> {
  using KilnAffineVectorizeBase::KilnAffineVectorizeBase;

  void runOnOperation() override {
    if (vectorSize < 2)
      return;
    DenseSet<Operation *> loops;
    affine::ReductionLoopMap reductionLoops;
    getOperation().walk([&](affine::AffineForOp loop) {
      SmallVector<affine::LoopReduction, 2> reductions;
      if (!affine::isLoopParallel(loop,
                                  vectorizeReductions ? &reductions : nullptr))
        return;
      if (!isSafeToVectorize(loop))
        return;
      // A loop of fewer iterations than half a vector (a 2x2 pooling
      // window's row) would run masked vectors that are mostly padding:
      // it stays scalar, for LLVM to unroll.
      std::optional<uint64_t> trips = affine::getConstantTripCount(loop);
      if (trips && static_cast<int64_t>(*trips) * 2 < vectorSize)
        return;
      loops.insert(loop);
      if (!reductions.empty())
        reductionLoops[loop] = reductions;
    });
    affine::vectorizeAffineLoops(getOperation(), loops, {vectorSize},
                                 /*fastestVaryingPattern=*/{}, reductionLoops);
  }
};

} // namespace
