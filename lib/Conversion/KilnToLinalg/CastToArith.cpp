// kiln.cast -> an elementwise linalg.generic of arith conversions, with PyTorch's `.to(dtype)` rules.
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

using namespace mlir;

namespace kiln {

// Float -> narrow integer goes through i64 and truncates: fptosi straight to
// i8 yields poison out of range, while PyTorch (C++ casts on x86) wraps, e.g.
// -1.0 -> uint8 gives 255.
static Value floatToInt(OpBuilder &b, Location loc, Value value,
                        IntegerType dst, bool dstUnsigned) {
  if (dst.getWidth() >= 32 && !dstUnsigned)
    return b.create<arith::FPToSIOp>(loc, dst, value);
  Value wide = b.create<arith::FPToSIOp>(loc, b.getI64Type(), value);
  return b.create<arith::TruncIOp>(loc, dst, wide);
}

Value castScalar(OpBuilder &b, Location loc, Value value, Type src, Type dst) {
  if (src == dst)
    return value;
  if (dst.isInteger(1))
    return isNonZero(b, loc, value);
  auto srcFloat = dyn_cast<FloatType>(src);
  auto dstFloat = dyn_cast<FloatType>(dst);
  bool srcUnsigned = isUnsignedLike(src);
  if (srcFloat && dstFloat) {
    // f16 <-> bf16 have equal widths: go through f32, which holds both exactly.
    if (srcFloat.getWidth() == dstFloat.getWidth()) {
      Value wide = b.create<arith::ExtFOp>(loc, b.getF32Type(), value);
      return b.create<arith::TruncFOp>(loc, dstFloat, wide);
    }
    if (srcFloat.getWidth() < dstFloat.getWidth())
      return b.create<arith::ExtFOp>(loc, dstFloat, value);
    // f64 -> f16/bf16 rounds through f32, as c10::Half and c10::BFloat16
    // (built from float) do; LLVM would call __truncdfbf2, which the JIT
    // does not link.
    if (srcFloat.getWidth() == 64 && dstFloat.getWidth() < 32)
      value = b.create<arith::TruncFOp>(loc, b.getF32Type(), value);
    return b.create<arith::TruncFOp>(loc, dstFloat, value);
  }
  if (dstFloat) {
    if (srcUnsigned)
      return b.create<arith::UIToFPOp>(loc, dstFloat, value);
    return b.create<arith::SIToFPOp>(loc, dstFloat, value);
  }
  // The remaining destinations are integers; signless after conversion.
  auto dstInt = IntegerType::get(b.getContext(), dst.getIntOrFloatBitWidth());
  if (srcFloat)
    return floatToInt(b, loc, value, dstInt, dst.isUnsignedInteger());
  unsigned srcWidth = src.getIntOrFloatBitWidth();
  if (srcWidth == dstInt.getWidth())
    return value; // i8 <-> ui8: the same bits.
  if (srcWidth > dstInt.getWidth())
    return b.create<arith::TruncIOp>(loc, dstInt, value);
  if (srcUnsigned)
    return b.create<arith::ExtUIOp>(loc, dstInt, value);
  return b.create<arith::ExtSIOp>(loc, dstInt, value);
}

namespace {

struct CastLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type src = elementTypeOf(op.getInput().getType());
    Type dst = elementTypeOf(op.getType());
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getInput(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return castScalar(b, loc, args[0], src, dst);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateCastPatterns(TypeConverter &converter,
                          RewritePatternSet &patterns) {
  patterns.add<CastLowering>(converter, patterns.getContext());
}

} // namespace kiln
