// Kiln's constants and shape ops -> arith.constant, linalg.fill/transpose/generic and tensor ops.
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

using namespace mlir;

namespace kiln {
namespace {

// Re-types an attribute of ui8 (scalar or elements) as signless i8; the bits
// are unchanged.
TypedAttr toSignless(TypedAttr attr, Type convertedType) {
  if (attr.getType() == convertedType)
    return attr;
  if (auto intAttr = dyn_cast<IntegerAttr>(attr))
    return IntegerAttr::get(convertedType, intAttr.getValue());
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense.bitcast(cast<ShapedType>(convertedType).getElementType());
  return nullptr;
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type type = getTypeConverter()->convertType(op.getType());
    auto value = toSignless(cast<TypedAttr>(op.getValue()), type);
    if (!value)
      return rewriter.notifyMatchFailure(op, "ui8 constant is not dense");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, value);
    return success();
  }
};

// A fill rather than a splat constant: bufferizing a splat constant would
// materialize a global of the full size.
struct SplatLowering : OpConversionPattern<SplatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SplatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    auto value = toSignless(op.getValue(), type.getElementType());
    if (!value)
      return rewriter.notifyMatchFailure(op, "unsupported splat value");
    Value scalar = rewriter.create<arith::ConstantOp>(op.getLoc(), value);
    rewriter.replaceOp(op, filledTensor(rewriter, op.getLoc(), type, scalar));
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), type, adaptor.getInput(),
                             [](OpBuilder &, Location, ValueRange args) {
                               return args[0];
                             }));
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, op.getLoc(), adaptor.getInput(), type));
    return success();
  }
};

struct PermuteLowering : OpConversionPattern<PermuteOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PermuteOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    Value init = rewriter.create<tensor::EmptyOp>(
        op.getLoc(), type.getShape(), type.getElementType());
    auto transpose = rewriter.create<linalg::TransposeOp>(
        op.getLoc(), adaptor.getInput(), init, op.getDims());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, adaptor.getInput(), ValueRange{}, ValueRange{}, ValueRange{},
        op.getStart(), type.getShape(), op.getStep());
    return success();
  }
};

// tensor.empty + one insert_slice per input: bufferizes in place into the
// result buffer (tensor.concat has no bufferization in 19).
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    int64_t dim = op.getDim();
    if (dim < 0)
      dim += type.getRank();
    Value result = rewriter.create<tensor::EmptyOp>(
        op.getLoc(), type.getShape(), type.getElementType());
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<int64_t> offsets(type.getRank(), 0);
      offsets[dim] = offset;
      SmallVector<int64_t> strides(type.getRank(), 1);
      result = rewriter.create<tensor::InsertSliceOp>(
          op.getLoc(), input, result, ValueRange{}, ValueRange{}, ValueRange{},
          offsets, inputType.getShape(), strides);
      offset += inputType.getDimSize(dim);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = convertTensorType(*getTypeConverter(), op.getType());
    Type element = type.getElementType();
    Value padValue;
    if (auto value = op.getValueAttr()) {
      auto attr = toSignless(value, element);
      if (!attr || attr.getType() != element)
        return rewriter.notifyMatchFailure(op, "pad value type mismatch");
      padValue = rewriter.create<arith::ConstantOp>(op.getLoc(), attr);
    } else {
      padValue = scalarConstant(rewriter, op.getLoc(), element, 0);
    }
    SmallVector<OpFoldResult> low, high;
    for (int64_t v : op.getLow())
      low.push_back(rewriter.getIndexAttr(v));
    for (int64_t v : op.getHigh())
      high.push_back(rewriter.getIndexAttr(v));
    rewriter.replaceOpWithNewOp<tensor::PadOp>(op, type, adaptor.getInput(),
                                               low, high, padValue);
    return success();
  }
};

} // namespace

void populateShapeOpPatterns(TypeConverter &converter,
                             RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, SplatLowering, BroadcastToLowering,
               ReshapeLowering, PermuteLowering, SliceLowering, ConcatLowering,
               PadLowering>(converter, patterns.getContext());
}

} // namespace kiln
