// kiln.matmul, conv2d, max_pool2d and avg_pool2d -> linalg's named contraction, convolution and pooling ops.
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

using namespace mlir;

namespace kiln {
namespace {

// Half-precision products accumulate in f32 (PyTorch's CPU kernels do too);
// the result is narrowed once at the end.
Type accumulatorType(Type element) {
  if (auto floatType = dyn_cast<FloatType>(element))
    return computeFloatType(floatType);
  return element;
}

Value narrowTo(OpBuilder &b, Location loc, Value value,
               RankedTensorType type) {
  if (cast<RankedTensorType>(value.getType()).getElementType() ==
      type.getElementType())
    return value;
  return buildElementwise(b, loc, type, value,
                          [&](OpBuilder &nb, Location nl, ValueRange args) {
                            return nb.create<arith::TruncFOp>(
                                nl, type.getElementType(), args[0]);
                          });
}

// The converted input X of `operand` = kiln.permute X dims [1, 0] (a 2-D
// transpose whose result has `type`), or null.
Value transposedSource(ConversionPatternRewriter &rewriter, Value operand,
                       RankedTensorType type) {
  auto permute = operand.getDefiningOp<PermuteOp>();
  if (!permute || type.getRank() != 2 ||
      permute.getDims() != ArrayRef<int64_t>({1, 0}))
    return Value();
  Value source = rewriter.getRemappedValue(permute.getInput());
  auto sourceType = dyn_cast_or_null<RankedTensorType>(source ? source.getType() : Type());
  if (!sourceType || sourceType.getElementType() != type.getElementType() ||
      sourceType.getShape() != ArrayRef<int64_t>({type.getDimSize(1), type.getDimSize(0)}))
    return Value();
  return source;
}

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    Type acc = accumulatorType(resultType.getElementType());
    auto accResultType = resultType.clone(acc);
    Value zero = scalarConstant(rewriter, loc, acc, 0);
    int64_t rank = resultType.getRank();
    int64_t m = resultType.getDimSize(rank - 2);
    int64_t n = resultType.getDimSize(rank - 1);
    int64_t k = lhsType.getDimSize(lhsType.getRank() - 1);
    Value result;
    if (rhsType.getRank() == 2) {
      // [B..., M, K] x [K, N]: fold the batch into M, one 2-D matmul.
      int64_t rows = lhsType.getNumElements() / k;
      auto flatLhsType =
          RankedTensorType::get({rows, k}, lhsType.getElementType());
      Value flatLhs = reshapeTensor(rewriter, loc, lhs, flatLhsType);
      Value init = filledTensor(rewriter, loc,
                                RankedTensorType::get({rows, n}, acc), zero);
      // A transposed operand (the backward's x^T @ dy and dy @ w^T) is read
      // in place through the transposed named op: no copy of the transpose.
      Value product;
      if (Value source = transposedSource(rewriter, op.getRhs(), rhsType)) {
        product = rewriter
                      .create<linalg::MatmulTransposeBOp>(
                          loc, ValueRange{flatLhs, source}, init)
                      .getResult(0);
      } else if (Value source = lhsType.getRank() == 2
                                    ? transposedSource(rewriter, op.getLhs(), lhsType)
                                    : Value()) {
        product = rewriter
                      .create<linalg::MatmulTransposeAOp>(
                          loc, ValueRange{source, rhs}, init)
                      .getResult(0);
      } else {
        product = rewriter
                      .create<linalg::MatmulOp>(loc, ValueRange{flatLhs, rhs}, init)
                      .getResult(0);
      }
      result = reshapeTensor(rewriter, loc, product, accResultType);
    } else {
      // Broadcast both batch shapes to the result's, collapse them into one
      // batch dimension for linalg.batch_matmul, and expand back.
      ArrayRef<int64_t> batch = resultType.getShape().drop_back(2);
      int64_t batchSize = 1;
      for (int64_t size : batch)
        batchSize *= size;
      auto prepare = [&](Value operand, int64_t rows, int64_t cols) {
        auto type = cast<RankedTensorType>(operand.getType());
        SmallVector<int64_t> full(batch);
        full.append({rows, cols});
        auto fullType = RankedTensorType::get(full, type.getElementType());
        if (type.getShape() != ArrayRef<int64_t>(full))
          operand = buildElementwise(
              rewriter, loc, fullType, operand,
              [](OpBuilder &, Location, ValueRange args) { return args[0]; });
        return reshapeTensor(
            rewriter, loc, operand,
            RankedTensorType::get({batchSize, rows, cols},
                                  type.getElementType()));
      };
      Value batchedLhs = prepare(lhs, m, k);
      Value batchedRhs = prepare(rhs, k, n);
      Value init = filledTensor(
          rewriter, loc, RankedTensorType::get({batchSize, m, n}, acc), zero);
      Value product = rewriter
                          .create<linalg::BatchMatmulOp>(
                              loc, ValueRange{batchedLhs, batchedRhs}, init)
                          .getResult(0);
      result = reshapeTensor(rewriter, loc, product, accResultType);
    }
    rewriter.replaceOp(op, narrowTo(rewriter, loc, result, resultType));
    return success();
  }
};

DenseIntElementsAttr pair(OpBuilder &b, ArrayRef<int64_t> values) {
  return DenseIntElementsAttr::get(
      RankedTensorType::get({2}, b.getI64Type()), values);
}

// Pads the H and W dims of an NCHW tensor with `value`: `low` before and
// enough after that every window of the `out` output fits (PyTorch's
// ceil_mode windows may reach past the symmetric padding).
Value padSpatial(OpBuilder &b, Location loc, Value input, Value value,
                 ArrayRef<int64_t> low, ArrayRef<int64_t> kernel,
                 ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
                 ArrayRef<int64_t> out) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> high(2), shape(type.getShape());
  bool any = false;
  for (int i = 0; i < 2; ++i) {
    int64_t size = type.getDimSize(2 + i);
    int64_t needed = (out[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1;
    high[i] = std::max(low[i], needed - size - low[i]);
    shape[2 + i] = size + low[i] + high[i];
    any |= low[i] != 0 || high[i] != 0;
  }
  if (!any)
    return input;
  SmallVector<OpFoldResult> lo = {b.getIndexAttr(0), b.getIndexAttr(0),
                                  b.getIndexAttr(low[0]),
                                  b.getIndexAttr(low[1])};
  SmallVector<OpFoldResult> hi = {b.getIndexAttr(0), b.getIndexAttr(0),
                                  b.getIndexAttr(high[0]),
                                  b.getIndexAttr(high[1])};
  return b.create<tensor::PadOp>(loc, type.clone(shape), input, lo, hi, value);
}

struct Conv2dLowering : OpConversionPattern<Conv2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    auto weightType = cast<RankedTensorType>(adaptor.getWeight().getType());
    Type element = resultType.getElementType();
    Type acc = accumulatorType(element);
    auto accType = resultType.clone(acc);
    int64_t groups = op.getGroups();
    if (groups < 1)
      return rewriter.notifyMatchFailure(op, "groups must be positive");
    ArrayRef<int64_t> out = resultType.getShape().drop_front(2);
    ArrayRef<int64_t> kernel = weightType.getShape().drop_front(2);
    Value input = padSpatial(rewriter, loc, adaptor.getInput(),
                             scalarConstant(rewriter, loc, element, 0),
                             op.getPadding(), kernel, op.getStride(),
                             op.getDilation(), out);

    // The bias seeds the accumulator, so the convolution adds onto it.
    Value init;
    if (Value bias = adaptor.getBias()) {
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps = {
          AffineMap::get(4, 0, getAffineDimExpr(1, ctx), ctx),
          rewriter.getMultiDimIdentityMap(4)};
      Value empty = rewriter.create<tensor::EmptyOp>(loc, accType.getShape(),
                                                     acc);
      init = rewriter
                 .create<linalg::GenericOp>(
                     loc, accType, bias, empty, maps,
                     SmallVector<utils::IteratorType>(
                         4, utils::IteratorType::parallel),
                     [&](OpBuilder &b, Location l, ValueRange args) {
                       Value v = args[0];
                       if (v.getType() != acc)
                         v = b.create<arith::ExtFOp>(l, acc, v);
                       b.create<linalg::YieldOp>(l, v);
                     })
                 .getResult(0);
    } else {
      init = filledTensor(rewriter, loc, accType,
                          scalarConstant(rewriter, loc, acc, 0));
    }
    auto strides = pair(rewriter, op.getStride());
    auto dilations = pair(rewriter, op.getDilation());
    Value result;
    if (groups == 1) {
      result = rewriter
                   .create<linalg::Conv2DNchwFchwOp>(
                       loc, TypeRange{accType},
                       ValueRange{input, adaptor.getWeight()}, init, strides,
                       dilations)
                   .getResult(0);
    } else {
      // Split channels into [groups, channels / groups] on every operand.
      auto inType = cast<RankedTensorType>(input.getType());
      auto splitDim = [&](Value v, RankedTensorType type, int64_t dim) {
        SmallVector<int64_t> shape(type.getShape());
        shape[dim] /= groups;
        shape.insert(shape.begin() + dim, groups);
        SmallVector<ReassociationIndices> reassociation;
        for (int64_t i = 0; i < type.getRank(); ++i)
          reassociation.push_back(i < dim    ? ReassociationIndices{i}
                                  : i == dim ? ReassociationIndices{i, i + 1}
                                             : ReassociationIndices{i + 1});
        return rewriter.create<tensor::ExpandShapeOp>(loc, type.clone(shape), v,
                                                      reassociation);
      };
      Value groupedInput = splitDim(input, inType, 1);
      Value groupedWeight = splitDim(adaptor.getWeight(), weightType, 0);
      Value groupedInit = splitDim(init, accType, 1);
      Value conv = rewriter
                       .create<linalg::Conv2DNgchwGfchwOp>(
                           loc, TypeRange{groupedInit.getType()},
                           ValueRange{groupedInput, groupedWeight}, groupedInit,
                           strides, dilations)
                       .getResult(0);
      result = reshapeTensor(rewriter, loc, conv, accType);
    }
    rewriter.replaceOp(op, narrowTo(rewriter, loc, result, resultType));
    return success();
  }
};

// Max pooling over the windows of an NCHW tensor as a linalg.generic over
// (n, c, oh, ow, kh, kw) whose body `combine(x, max)` folds each window
// element into the running maximum.
Value windowMaxPool(
    OpBuilder &b, Location loc, Value input, Value window, Value init,
    ArrayRef<int64_t> stride, ArrayRef<int64_t> dilation,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             oh = getAffineDimExpr(2, ctx), ow = getAffineDimExpr(3, ctx),
             kh = getAffineDimExpr(4, ctx), kw = getAffineDimExpr(5, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0,
                     {n, c, oh * stride[0] + kh * dilation[0],
                      ow * stride[1] + kw * dilation[1]},
                     ctx),
      AffineMap::get(6, 0, {kh, kw}, ctx),
      AffineMap::get(6, 0, {n, c, oh, ow}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.append(2, utils::IteratorType::reduction);
  return b
      .create<linalg::GenericOp>(
          loc, init.getType(), ValueRange{input, window}, init, maps, iterators,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            nb.create<linalg::YieldOp>(nl, combine(nb, nl, args[0], args[2]));
          })
      .getResult(0);
}

// Unsigned compares, for the element types (ui8, i1) that pooling_nchw_max's
// signed max gets wrong.
Value unsignedMax(OpBuilder &b, Location loc, Value x, Value max) {
  return b.create<arith::MaxUIOp>(loc, max, x);
}

// PyTorch's rule for floats, `x > max || isnan(x)`: the first maximum in
// window order, a NaN propagates. arith.maximumf (what pooling_nchw_max uses)
// gives the same values but also orders -0 below +0, which costs LLVM's
// llvm.maximum expansion several instructions per element on x86; two
// compares and a select are cheaper.
Value floatMax(OpBuilder &b, Location loc, Value x, Value max) {
  Value greater = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, max);
  Value nan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
  Value take = b.create<arith::OrIOp>(loc, greater, nan);
  return b.create<arith::SelectOp>(loc, take, x, max);
}

struct MaxPool2dLowering : OpConversionPattern<MaxPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MaxPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    Type element = resultType.getElementType();
    bool isUnsigned = isUnsignedLike(elementTypeOf(op.getInput().getType()));
    Value lowest = lowestValue(rewriter, loc, element, isUnsigned);
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), lowest,
                             op.getPadding(), op.getKernelSize(),
                             op.getStride(), op.getDilation(),
                             resultType.getShape().drop_front(2));
    Value window = rewriter.create<tensor::EmptyOp>(loc, op.getKernelSize(),
                                                    element);
    Value init = filledTensor(rewriter, loc, resultType, lowest);
    Value result;
    if (isUnsigned)
      result = windowMaxPool(rewriter, loc, input, window, init,
                             op.getStride(), op.getDilation(), unsignedMax);
    else if (isa<FloatType>(element))
      result = windowMaxPool(rewriter, loc, input, window, init,
                             op.getStride(), op.getDilation(), floatMax);
    else
      result = rewriter
                   .create<linalg::PoolingNchwMaxOp>(
                       loc, TypeRange{resultType}, ValueRange{input, window},
                       init, pair(rewriter, op.getStride()),
                       pair(rewriter, op.getDilation()))
                   .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

// PyTorch's avg_pool2d divisor for each output position, known at compile
// time: the window clipped to the padded input (count_include_pad) or to the
// real input.
DenseElementsAttr avgPoolDivisors(RankedTensorType type, ArrayRef<int64_t> in,
                                  ArrayRef<int64_t> out,
                                  ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> stride,
                                  ArrayRef<int64_t> pad, bool includePad) {
  SmallVector<APFloat> divisors;
  const llvm::fltSemantics &semantics =
      cast<FloatType>(type.getElementType()).getFloatSemantics();
  for (int64_t oh = 0; oh < out[0]; ++oh) {
    for (int64_t ow = 0; ow < out[1]; ++ow) {
      int64_t hStart = oh * stride[0] - pad[0], wStart = ow * stride[1] - pad[1];
      int64_t hEnd = std::min(hStart + kernel[0], in[0] + pad[0]);
      int64_t wEnd = std::min(wStart + kernel[1], in[1] + pad[1]);
      int64_t count = (hEnd - hStart) * (wEnd - wStart);
      if (!includePad) {
        hStart = std::max<int64_t>(hStart, 0);
        wStart = std::max<int64_t>(wStart, 0);
        hEnd = std::min(hEnd, in[0]);
        wEnd = std::min(wEnd, in[1]);
        count = (hEnd - hStart) * (wEnd - wStart);
      }
      APFloat value(static_cast<double>(count));
      bool lossy;
      value.convert(semantics, APFloat::rmNearestTiesToEven, &lossy);
      divisors.push_back(value);
    }
  }
  return DenseElementsAttr::get(type, divisors);
}

struct AvgPool2dLowering : OpConversionPattern<AvgPool2dOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AvgPool2dOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = convertTensorType(*getTypeConverter(), op.getType());
    auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
    Type element = resultType.getElementType();
    Type acc = accumulatorType(element);
    auto accType = resultType.clone(acc);
    ArrayRef<int64_t> out = resultType.getShape().drop_front(2);
    SmallVector<int64_t> dilation = {1, 1};
    Value input = padSpatial(rewriter, loc, adaptor.getInput(),
                             scalarConstant(rewriter, loc, element, 0),
                             op.getPadding(), op.getKernelSize(),
                             op.getStride(), dilation, out);
    Value window = rewriter.create<tensor::EmptyOp>(loc, op.getKernelSize(),
                                                    element);
    Value init =
        filledTensor(rewriter, loc, accType, scalarConstant(rewriter, loc, acc, 0));
    Value sum = rewriter
                    .create<linalg::PoolingNchwSumOp>(
                        loc, TypeRange{accType}, ValueRange{input, window},
                        init, pair(rewriter, op.getStride()),
                        pair(rewriter, dilation))
                    .getResult(0);
    auto divisorType = RankedTensorType::get(out, acc);
    Value divisors = rewriter.create<arith::ConstantOp>(
        loc, avgPoolDivisors(divisorType, inputType.getShape().drop_front(2),
                             out, op.getKernelSize(), op.getStride(),
                             op.getPadding(), op.getCountIncludePad()));
    Value result = buildElementwise(
        rewriter, loc, resultType, ValueRange{sum, divisors},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = b.create<arith::DivFOp>(l, args[0], args[1]);
          if (v.getType() != element)
            v = b.create<arith::TruncFOp>(l, element, v);
          return v;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateLinalgOpPatterns(TypeConverter &converter,
                              RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, Conv2dLowering, MaxPool2dLowering,
               AvgPool2dLowering>(converter, patterns.getContext());
}

} // namespace kiln
