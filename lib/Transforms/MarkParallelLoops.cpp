// kiln-mark-parallel-loops: marks the outer loop of large dependence-free affine nests for OpenMP.
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Affine/Analysis/AffineAnalysis.h"
#include "mlir/Dialect/Affine/Analysis/LoopAnalysis.h"
#include "mlir/Dialect/Affine/LoopUtils.h"

#define DEBUG_TYPE "kiln-mark-parallel-loops"

namespace kiln {
#define GEN_PASS_DEF_KILNMARKPARALLELLOOPS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace mlir::affine;

namespace {

constexpr llvm::StringLiteral kParallelAttr = "kiln.parallel";

// Iterations of the innermost body in the largest path through the nest, or
// nullopt when a trip count is not a constant.
std::optional<int64_t> nestWork(AffineForOp loop) {
  std::optional<uint64_t> trip = getConstantTripCount(loop);
  if (!trip)
    return std::nullopt;
  int64_t inner = 1;
  for (auto child : loop.getBody()->getOps<AffineForOp>()) {
    std::optional<int64_t> work = nestWork(child);
    if (!work)
      return std::nullopt;
    inner = std::max(inner, *work);
  }
  return static_cast<int64_t>(*trip) * inner;
}

// Largest chunk <= `limit` that divides `trip` and is a multiple of 64 (so a
// vector width divides it too); `limit` itself when none does, leaving a
// partial last chunk.
int64_t chooseChunk(int64_t trip, int64_t limit) {
  for (int64_t chunk = limit - limit % 64; chunk >= 64; chunk -= 64)
    if (trip % chunk == 0)
      return chunk;
  return limit;
}

} // namespace

namespace kiln {
namespace {

struct MarkParallelLoopsPass
    : public impl::KilnMarkParallelLoopsBase<MarkParallelLoopsPass> {
  using KilnMarkParallelLoopsBase::KilnMarkParallelLoopsBase;

  void runOnOperation() override {
    SmallVector<AffineForOp> outermost;
    getOperation().walk([&](AffineForOp loop) {
      if (!loop->getParentOfType<AffineForOp>() &&
          !loop->getParentOfType<AffineParallelOp>())
        outermost.push_back(loop);
    });
    for (AffineForOp loop : outermost) {
      std::optional<int64_t> work = nestWork(loop);
      if (!work || *work < minWork || !isLoopParallel(loop))
        continue;
      // A lone loop is split into chunks: the chunk loop runs in parallel and
      // the loop over a chunk's elements is left for the vectorizer.
      if (loop.getBody()->getOps<AffineForOp>().empty() && chunkSize > 0 &&
          *work > chunkSize) {
        int64_t chunk = chooseChunk(*work, chunkSize);
        SmallVector<AffineForOp> band{loop}, tiled;
        if (failed(tilePerfectlyNested(band, {static_cast<unsigned>(chunk)},
                                       &tiled)))
          continue;
        loop = tiled.front();
      }
      loop->setAttr(kParallelAttr, UnitAttr::get(&getContext()));
    }
  }
};

} // namespace
} // namespace kiln
