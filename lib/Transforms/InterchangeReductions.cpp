// kiln-interchange-reductions: the parallel loops of a reduction generic go outermost.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

#define DEBUG_TYPE "kiln-interchange-reductions"

namespace kiln {
#define GEN_PASS_DEF_KILNINTERCHANGEREDUCTIONS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

// The loop order with every parallel loop before every reduction loop (each
// kind in its original order), or empty when the generic should keep its
// order: it already is so, or its innermost loop is parallel (moving a
// reduction inward would change which loop is vectorized).
SmallVector<unsigned> parallelFirst(linalg::GenericOp generic) {
  SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
  if (iterators.empty() || iterators.back() != utils::IteratorType::reduction)
    return {};
  SmallVector<unsigned> order;
  for (auto [i, type] : llvm::enumerate(iterators))
    if (type == utils::IteratorType::parallel)
      order.push_back(i);
  if (order.empty())
    return {};
  for (auto [i, type] : llvm::enumerate(iterators))
    if (type != utils::IteratorType::parallel)
      order.push_back(i);
  bool identity = llvm::all_of(llvm::enumerate(order), [](auto pair) {
    return pair.index() == pair.value();
  });
  return identity ? SmallVector<unsigned>() : order;
}

struct InterchangeReductionsPass
    : public impl::KilnInterchangeReductionsBase<InterchangeReductionsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk([&](linalg::GenericOp generic) {
      if (!parallelFirst(generic).empty())
        generics.push_back(generic);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp generic : generics) {
      rewriter.setInsertionPoint(generic);
      if (failed(linalg::interchangeGenericOp(rewriter, generic,
                                              parallelFirst(generic))))
        generic.emitWarning("kiln-interchange-reductions: interchange failed");
    }
  }
};

} // namespace
} // namespace kiln
