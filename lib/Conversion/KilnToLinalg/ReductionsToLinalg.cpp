// kiln.reduce -> linalg.reduce (sum, mean, prod, max, min) or a two-output linalg.generic (argmax, argmin).
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

using namespace mlir;

namespace kiln {
namespace {

// The combiner of a value reduction on signless scalars of Kiln type `et`.
// bf16 maximum/minimum: LLVM's x86 vector lowering of a bf16 maximum drops
// a NaN against +-0 (LLVM 19), so for bf16 the NaN is selected explicitly
// (a + b is NaN when either is); other types keep the plain op.
Value keepNaN(OpBuilder &b, Location loc, Type et, Value lhs, Value rhs,
              Value value) {
  if (!et.isBF16())
    return value;
  Value unordered =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, lhs, rhs);
  Value nan = b.create<arith::AddFOp>(loc, lhs, rhs);
  return b.create<arith::SelectOp>(loc, unordered, nan, value);
}

Value combine(OpBuilder &b, Location loc, ReduceKind kind, Value acc, Value x,
              Type et) {
  bool isFloat = isa<FloatType>(x.getType());
  bool isBool = x.getType().isInteger(1);
  bool isUnsigned = isUnsignedLike(et);
  switch (kind) {
  case ReduceKind::sum:
  case ReduceKind::mean:
    if (isFloat)
      return b.create<arith::AddFOp>(loc, acc, x);
    if (isBool)
      return b.create<arith::OrIOp>(loc, acc, x);
    return b.create<arith::AddIOp>(loc, acc, x);
  case ReduceKind::prod:
    if (isFloat)
      return b.create<arith::MulFOp>(loc, acc, x);
    return b.create<arith::MulIOp>(loc, acc, x);
  case ReduceKind::max:
    // maximumf propagates NaN, as torch.max/amax do.
    if (isFloat)
      return keepNaN(b, loc, et, acc, x,
                     b.create<arith::MaximumFOp>(loc, acc, x));
    if (isUnsigned)
      return b.create<arith::MaxUIOp>(loc, acc, x);
    return b.create<arith::MaxSIOp>(loc, acc, x);
  default:
    if (isFloat)
      return keepNaN(b, loc, et, acc, x,
                     b.create<arith::MinimumFOp>(loc, acc, x));
    if (isUnsigned)
      return b.create<arith::MinUIOp>(loc, acc, x);
    return b.create<arith::MinSIOp>(loc, acc, x);
  }
}

Value identity(OpBuilder &b, Location loc, ReduceKind kind, Type type,
               Type et) {
  switch (kind) {
  case ReduceKind::sum:
  case ReduceKind::mean:
    return scalarConstant(b, loc, type, 0);
  case ReduceKind::prod:
    return scalarConstant(b, loc, type, 1);
  case ReduceKind::max:
    return lowestValue(b, loc, type, isUnsignedLike(et));
  default:
    return highestValue(b, loc, type, isUnsignedLike(et));
  }
}

// The shape with `dims` dropped.
SmallVector<int64_t> reducedShape(ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> dims) {
  SmallVector<int64_t> result;
  for (auto [i, size] : llvm::enumerate(shape))
    if (!llvm::is_contained(dims, static_cast<int64_t>(i)))
      result.push_back(size);
  return result;
}

Value reduceValues(OpBuilder &b, Location loc, ReduceKind kind, Value input,
                   ArrayRef<int64_t> dims, Type et) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type element = inputType.getElementType();
  // Half-precision sums and products accumulate in f32, as PyTorch does.
  auto floatType = dyn_cast<FloatType>(element);
  bool widen = floatType && computeFloatType(floatType) != floatType &&
               kind != ReduceKind::max && kind != ReduceKind::min;
  if (widen) {
    auto wideType = inputType.clone(computeFloatType(floatType));
    input = buildElementwise(b, loc, wideType, input,
                             [&](OpBuilder &nb, Location nl, ValueRange args) {
                               return nb.create<arith::ExtFOp>(
                                   nl, wideType.getElementType(), args[0]);
                             });
    inputType = wideType;
  }
  Type accType = inputType.getElementType();
  auto outType = RankedTensorType::get(
      reducedShape(inputType.getShape(), dims), accType);
  Value init =
      filledTensor(b, loc, outType, identity(b, loc, kind, accType, et));
  Value result =
      b.create<linalg::ReduceOp>(
           loc, input, init, dims,
           [&](OpBuilder &nb, Location nl, ValueRange args) {
             nb.create<linalg::YieldOp>(
                 nl, combine(nb, nl, kind, args[1], args[0], et));
           })
          .getResult(0);
  if (kind == ReduceKind::mean) {
    int64_t count = 1;
    for (int64_t d : dims)
      count *= inputType.getDimSize(d);
    result = buildElementwise(b, loc, outType, result,
                              [&](OpBuilder &nb, Location nl, ValueRange args) {
                                return nb.create<arith::DivFOp>(
                                    nl, args[0],
                                    scalarConstant(nb, nl, accType, count));
                              });
  }
  if (widen) {
    auto narrowType = outType.clone(element);
    result = buildElementwise(b, loc, narrowType, result,
                              [&](OpBuilder &nb, Location nl, ValueRange args) {
                                return nb.create<arith::TruncFOp>(nl, element,
                                                                  args[0]);
                              });
  }
  return result;
}

// argmax/argmin over `dim` as one generic with a (value, index) pair of
// outputs. The combiner is order-independent, so tiling or splitting the
// reduction keeps PyTorch's answer: the first index of the extreme value, a
// NaN counting as the extreme (the first NaN wins), as torch.argmax/argmin.
// The init index is INT64_MAX so that any real element beats the init.
Value argReduce(OpBuilder &b, Location loc, bool isMax, Value input,
                int64_t dim, Type et) {
  auto inputType = cast<RankedTensorType>(input.getType());
  Type element = inputType.getElementType();
  int64_t rank = inputType.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> outShape = reducedShape(inputType.getShape(), dim);
  auto valueType = RankedTensorType::get(outShape, element);
  auto indexType = RankedTensorType::get(outShape, b.getI64Type());
  bool isUnsigned = isUnsignedLike(et);
  Value valueInit = filledTensor(
      b, loc, valueType,
      isMax ? lowestValue(b, loc, element, isUnsigned)
            : highestValue(b, loc, element, isUnsigned));
  Value indexInit = filledTensor(
      b, loc, indexType,
      highestValue(b, loc, b.getI64Type(), /*isUnsigned=*/false));
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < rank; ++i)
    if (i != dim)
      outExprs.push_back(getAffineDimExpr(i, ctx));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), outMap,
                                 outMap};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[dim] = utils::IteratorType::reduction;
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{valueType, indexType}, input,
      ValueRange{valueInit, indexInit}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = args[0], acc = args[1], accIndex = args[2];
        Value index = nb.create<arith::IndexCastOp>(
            nl, nb.getI64Type(), nb.create<linalg::IndexOp>(nl, dim));
        Value earlier = nb.create<arith::CmpIOp>(
            nl, arith::CmpIPredicate::slt, index, accIndex);
        Value better, equal;
        if (isa<FloatType>(element)) {
          better = nb.create<arith::CmpFOp>(
              nl, isMax ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT,
              x, acc);
          equal = nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::OEQ, x,
                                           acc);
          // NaN is the extreme: x NaN beats a non-NaN acc, ties with a NaN
          // acc by index; a NaN acc is never beaten by a number.
          Value xNaN = nb.create<arith::CmpFOp>(nl, arith::CmpFPredicate::UNO,
                                                x, x);
          Value accNaN = nb.create<arith::CmpFOp>(
              nl, arith::CmpFPredicate::UNO, acc, acc);
          Value accNotNaN = nb.create<arith::XOrIOp>(
              nl, accNaN, scalarConstant(nb, nl, nb.getI1Type(), 1));
          better = nb.create<arith::OrIOp>(
              nl, better, nb.create<arith::AndIOp>(nl, xNaN, accNotNaN));
          equal = nb.create<arith::OrIOp>(
              nl, equal, nb.create<arith::AndIOp>(nl, xNaN, accNaN));
        } else {
          arith::CmpIPredicate predicate =
              isMax ? (isUnsigned ? arith::CmpIPredicate::ugt
                                  : arith::CmpIPredicate::sgt)
                    : (isUnsigned ? arith::CmpIPredicate::ult
                                  : arith::CmpIPredicate::slt);
          better = nb.create<arith::CmpIOp>(nl, predicate, x, acc);
          equal =
              nb.create<arith::CmpIOp>(nl, arith::CmpIPredicate::eq, x, acc);
        }
        Value take = nb.create<arith::OrIOp>(
            nl, better, nb.create<arith::AndIOp>(nl, equal, earlier));
        nb.create<linalg::YieldOp>(
            nl, ValueRange{nb.create<arith::SelectOp>(nl, take, x, acc),
                           nb.create<arith::SelectOp>(nl, take, index,
                                                      accIndex)});
      });
  return generic.getResult(1);
}

struct ReduceLowering : OpConversionPattern<ReduceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    Type et = elementTypeOf(op.getInput().getType());
    int64_t rank = inputType.getRank();
    SmallVector<int64_t> dims;
    for (int64_t d : op.getDims())
      dims.push_back(d < 0 ? d + rank : d);
    if (dims.empty())
      for (int64_t d = 0; d < rank; ++d)
        dims.push_back(d);
    llvm::sort(dims);

    ReduceKind kind = op.getKind();
    Value result;
    if (kind == ReduceKind::argmax || kind == ReduceKind::argmin) {
      bool isMax = kind == ReduceKind::argmax;
      if (op.getDims().empty()) {
        // Over the flattened tensor: the index is row-major, as torch.argmax(x).
        auto flatType = RankedTensorType::get({inputType.getNumElements()},
                                              inputType.getElementType());
        input = reshapeTensor(rewriter, loc, input, flatType);
        result = argReduce(rewriter, loc, isMax, input, 0, et);
      } else if (dims.size() == 1) {
        result = argReduce(rewriter, loc, isMax, input, dims[0], et);
      } else {
        return rewriter.notifyMatchFailure(op, "argmax over several dims");
      }
    } else {
      result = reduceValues(rewriter, loc, kind, input, dims, et);
    }
    // keepdim (and argmax of a flattened tensor): reinsert size-1 dims.
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, result, resultType));
    return success();
  }
};

} // namespace

void populateReductionPatterns(TypeConverter &converter,
                               RewritePatternSet &patterns) {
  patterns.add<ReduceLowering>(converter, patterns.getContext());
}

} // namespace kiln
