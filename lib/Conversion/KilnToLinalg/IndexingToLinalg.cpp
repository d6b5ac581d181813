// kiln.gather -> a linalg.generic reading with tensor.extract; kiln.scatter -> an scf.for nest of tensor.insert.
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace kiln {
namespace {

// An i64 index as an `index` clamped into [0, size): PyTorch raises on an
// out-of-range index, which the front end checks before it runs a kernel
// (a compiled kernel cannot raise); the clamp only keeps a bad index from
// reading or writing outside the buffer.
Value clampedIndex(OpBuilder &b, Location loc, Value index, int64_t size) {
  Value i = b.create<arith::IndexCastOp>(loc, b.getIndexType(), index);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value last = b.create<arith::ConstantIndexOp>(loc, size - 1);
  return b.create<arith::MinSIOp>(loc, b.create<arith::MaxSIOp>(loc, i, zero),
                                  last);
}

int64_t normalizedDim(int64_t dim, int64_t rank) {
  return dim < 0 ? dim + rank : dim;
}

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = resultType.getRank();
    int64_t dim = normalizedDim(op.getDim(), rank);
    int64_t dimSize = inputType.getDimSize(dim);
    Value init = rewriter.create<tensor::EmptyOp>(loc, resultType.getShape(),
                                                  resultType.getElementType());
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, adaptor.getIndex(), init, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d)
            coords.push_back(d == dim ? clampedIndex(b, l, args[0], dimSize)
                                      : b.create<linalg::IndexOp>(l, d));
          Value value = b.create<tensor::ExtractOp>(l, input, coords);
          b.create<linalg::YieldOp>(l, value);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

// Writes conflict when indices repeat, which a parallel linalg.generic cannot
// express: a sequential loop nest over the index shape carries the result.
// With duplicate indices and no reduction, the last write in row-major
// order wins (PyTorch leaves the winner unspecified).
struct ScatterLowering : OpConversionPattern<ScatterOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ScatterOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto indexType = cast<RankedTensorType>(adaptor.getIndex().getType());
    int64_t rank = inputType.getRank();
    int64_t dim = normalizedDim(op.getDim(), rank);
    int64_t dimSize = inputType.getDimSize(dim);
    bool add = op.getReduce() == ScatterReduce::add;
    Value index = adaptor.getIndex(), src = adaptor.getSrc();
    if (indexType.getNumElements() == 0) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    // The loop updates a fresh copy: writing into `input` in place would
    // clobber a caller's tensor where function arguments bufferize writable.
    Value init = rewriter.create<tensor::EmptyOp>(
        loc, inputType.getShape(), inputType.getElementType());
    Value copy =
        rewriter.create<linalg::CopyOp>(loc, adaptor.getInput(), init)
            .getResult(0);
    SmallVector<Value> lbs, ubs, steps;
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    for (int64_t size : indexType.getShape()) {
      lbs.push_back(zero);
      ubs.push_back(rewriter.create<arith::ConstantIndexOp>(loc, size));
      steps.push_back(one);
    }
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{copy},
        [&](OpBuilder &b, Location l, ValueRange ivs,
            ValueRange iterArgs) -> scf::ValueVector {
          Value target = b.create<tensor::ExtractOp>(l, index, ivs);
          SmallVector<Value> coords(ivs);
          coords[dim] = clampedIndex(b, l, target, dimSize);
          Value value = b.create<tensor::ExtractOp>(l, src, ivs);
          if (add) {
            Value old = b.create<tensor::ExtractOp>(l, iterArgs[0], coords);
            if (isa<FloatType>(value.getType()))
              value = b.create<arith::AddFOp>(l, old, value);
            else if (value.getType().isInteger(1))
              value = b.create<arith::OrIOp>(l, old, value);
            else
              value = b.create<arith::AddIOp>(l, old, value);
          }
          return {b.create<tensor::InsertOp>(l, value, iterArgs[0], coords)};
        });
    rewriter.replaceOp(op, nest.results);
    return success();
  }
};

} // namespace

void populateIndexingPatterns(TypeConverter &converter,
                              RewritePatternSet &patterns) {
  patterns.add<GatherLowering, ScatterLowering>(converter,
                                                patterns.getContext());
}

} // namespace kiln
