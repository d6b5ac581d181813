// kiln-parallelize-outer-loops: affine.for loops marked kiln.parallel become affine.parallel.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Affine/Utils.h"

#define DEBUG_TYPE "kiln-parallelize-outer-loops"

namespace kiln {
#define GEN_PASS_DEF_KILNPARALLELIZEOUTERLOOPS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace mlir::affine;

namespace kiln {
namespace {

struct ParallelizeOuterLoopsPass
    : public impl::KilnParallelizeOuterLoopsBase<ParallelizeOuterLoopsPass> {
  void runOnOperation() override {
    SmallVector<AffineForOp> marked;
    getOperation().walk([&](AffineForOp loop) {
      if (loop->hasAttr("kiln.parallel"))
        marked.push_back(loop);
    });
    for (AffineForOp loop : marked) {
      loop->removeAttr("kiln.parallel");
      // Fails only on iter_args, which a marked loop never has: then the
      // loop simply stays sequential.
      (void)affineParallelize(loop);
    }
  }
};

} // namespace
} // namespace kiln
