// The checked entry point of Kiln's VJP rules and the shape helpers they share
// (broadcast sums, pads, flips, transposed convolutions).
#include "dialects/Kiln/IR/KilnVJP.h"

using namespace mlir;

namespace kiln {

bool isDifferentiable(Value value) {
  auto type = llvm::dyn_cast<RankedTensorType>(value.getType());
  return type && llvm::isa<FloatType>(type.getElementType());
}

LogicalResult buildOperandGradients(Operation *op, OpBuilder &builder,
                                    ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  auto differentiable = llvm::dyn_cast<KilnDifferentiableOpInterface>(op);
  if (!differentiable)
    return op->emitOpError(
        "is not differentiable: it has no vector-Jacobian product rule");
  auto isStatic = [](Type type) {
    auto shaped = llvm::dyn_cast<ShapedType>(type);
    return !shaped || shaped.hasStaticShape();
  };
  if (!llvm::all_of(op->getOperandTypes(), isStatic) ||
      !llvm::all_of(op->getResultTypes(), isStatic))
    return op->emitOpError("is differentiated only with static shapes");
  if (resultGrads.size() != op->getNumResults())
    return op->emitOpError("got ")
           << resultGrads.size() << " result cotangents for "
           << op->getNumResults() << " results";
  for (auto [grad, result] : llvm::zip(resultGrads, op->getResults()))
    if (grad && grad.getType() != result.getType())
      return op->emitOpError("got a cotangent of type ")
             << grad.getType() << " for a result of type " << result.getType();

  size_t first = operandGrads.size();
  if (failed(differentiable.buildVJP(builder, resultGrads, operandGrads)))
    return failure();
  // A rule that breaks these promises is a bug in this dialect, but reporting
  // it beats building IR that fails verification far from its cause.
  if (operandGrads.size() - first != op->getNumOperands())
    return op->emitOpError("VJP rule gave ")
           << operandGrads.size() - first << " gradients for "
           << op->getNumOperands() << " operands";
  for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
    Value grad = operandGrads[first + i];
    if (grad && grad.getType() != operand.getType())
      return op->emitOpError("VJP rule gave a gradient of type ")
             << grad.getType() << " for operand " << i << " of type "
             << operand.getType();
  }
  return success();
}

Value VJPBuilder::scalar(Value like, double value) {
  Type element = llvm::cast<ShapedType>(like.getType()).getElementType();
  return fill(RankedTensorType::get({}, element), value);
}

Value VJPBuilder::fill(RankedTensorType type, double value) {
  auto attr = FloatAttr::get(type.getElementType(), value);
  return b.create<SplatOp>(loc, type, llvm::cast<TypedAttr>(attr));
}

Value VJPBuilder::sumTo(Value grad, RankedTensorType target) {
  auto type = llvm::cast<RankedTensorType>(grad.getType());
  if (type.getShape() == target.getShape())
    return grad;
  int64_t offset = type.getRank() - target.getRank();
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d < offset ||
        (target.getDimSize(d - offset) == 1 && type.getDimSize(d) != 1))
      dims.push_back(d);
  // An empty dims list would reduce every dimension.
  if (!dims.empty())
    grad = create<ReduceOp>(ReduceKind::sum, grad, dims, /*keepdim=*/false);
  return reshape(grad, target.getShape());
}

Value VJPBuilder::reshape(Value value, ArrayRef<int64_t> shape) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return create<ReshapeOp>(type.clone(shape), value);
}

Value VJPBuilder::broadcastTo(Value value, RankedTensorType target) {
  if (value.getType() == target)
    return value;
  return create<BroadcastToOp>(target, value);
}

Value VJPBuilder::permute(Value value, ArrayRef<int64_t> dims) {
  for (auto [i, d] : llvm::enumerate(dims))
    if (static_cast<int64_t>(i) != d)
      return create<PermuteOp>(value, dims);
  return value;
}

Value VJPBuilder::sliceDim(Value value, int64_t dim, int64_t start,
                           int64_t end) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  if (start == 0 && end == type.getDimSize(dim))
    return value;
  SmallVector<int64_t> starts(type.getRank(), 0), ends(type.getShape()),
      steps(type.getRank(), 1);
  starts[dim] = start;
  ends[dim] = end;
  return create<SliceOp>(value, starts, ends, steps);
}

Value VJPBuilder::padOrSlice(Value value, ArrayRef<int64_t> low,
                             ArrayRef<int64_t> high) {
  auto type = llvm::cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts(rank), ends(rank), steps(rank, 1), padLow(rank),
      padHigh(rank);
  bool slices = false, pads = false;
  for (int64_t d = 0; d < rank; ++d) {
    starts[d] = std::max<int64_t>(0, -low[d]);
    ends[d] = type.getDimSize(d) - std::max<int64_t>(0, -high[d]);
    padLow[d] = std::max<int64_t>(0, low[d]);
    padHigh[d] = std::max<int64_t>(0, high[d]);
    slices |= low[d] < 0 || high[d] < 0;
    pads |= low[d] > 0 || high[d] > 0;
  }
  if (slices)
    value = create<SliceOp>(value, starts, ends, steps);
  if (pads)
    value = create<PadOp>(value, padLow, padHigh, TypedAttr());
  return value;
}

Value VJPBuilder::interleaveZeros(Value value, int64_t dim, int64_t stride) {
  if (stride == 1)
    return value;
  // [.., n, ..] -> [.., n, 1, ..] -> pad to [.., n, stride, ..] -> [.., n *
  // stride, ..].
  auto type = llvm::cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> split(type.getShape());
  split.insert(split.begin() + dim + 1, 1);
  SmallVector<int64_t> low(split.size(), 0), high(split.size(), 0);
  high[dim + 1] = stride - 1;
  Value padded = padOrSlice(reshape(value, split), low, high);
  SmallVector<int64_t> merged(type.getShape());
  merged[dim] *= stride;
  return reshape(padded, merged);
}

Value VJPBuilder::reverse(Value value, int64_t dim) {
  int64_t size = llvm::cast<RankedTensorType>(value.getType()).getDimSize(dim);
  if (size == 1)
    return value;
  SmallVector<Value> pieces;
  for (int64_t i = size - 1; i >= 0; --i)
    pieces.push_back(sliceDim(value, dim, i, i + 1));
  return create<ConcatOp>(pieces, dim);
}

Value VJPBuilder::convInputGrad(Value grad, Value flippedWeight,
                                RankedTensorType inputType,
                                ArrayRef<int64_t> stride,
                                ArrayRef<int64_t> padding,
                                ArrayRef<int64_t> dilation, int64_t groups) {
  // A transposed convolution: input row h receives output row ho through
  // kernel tap i when h = ho * stride - padding + i * dilation. Spreading the
  // cotangent's rows `stride` apart and padding it by the effective kernel
  // size minus one minus `padding` (cropping where that is negative) turns it
  // into a stride-1 correlation with the flipped kernel whose output has
  // exactly the input's size.
  auto weightType = llvm::cast<RankedTensorType>(flippedWeight.getType());
  auto gradType = llvm::cast<RankedTensorType>(grad.getType());
  SmallVector<int64_t> low(4, 0), high(4, 0);
  for (int i = 0; i < 2; ++i) {
    int64_t effective = dilation[i] * (weightType.getDimSize(2 + i) - 1) + 1;
    low[2 + i] = effective - 1 - padding[i];
    high[2 + i] = inputType.getDimSize(2 + i) + padding[i] -
                  gradType.getDimSize(2 + i) * stride[i];
    grad = interleaveZeros(grad, 2 + i, stride[i]);
  }
  const int64_t unitStride[] = {1, 1};
  // Equal non-negative padding on both sides (every stride-1 convolution)
  // is the correlation's own padding: the lowering then hands it to oneDNN
  // instead of writing a padded copy of the cotangent.
  if (low[2] == high[2] && low[3] == high[3] && low[2] >= 0 && low[3] >= 0) {
    const int64_t symmetric[] = {low[2], low[3]};
    return create<Conv2dOp>(grad, flippedWeight, Value(), unitStride, symmetric,
                            dilation, groups);
  }
  grad = padOrSlice(grad, low, high);
  const int64_t noPadding[] = {0, 0};
  return create<Conv2dOp>(grad, flippedWeight, Value(), unitStride, noPadding,
                          dilation, groups);
}

} // namespace kiln

using namespace kiln;

// Constants depend on nothing: there is no operand to give a gradient.
LogicalResult ConstantOp::buildVJP(OpBuilder &, ValueRange,
                                   SmallVectorImpl<Value> &) {
  return success();
}

LogicalResult SplatOp::buildVJP(OpBuilder &, ValueRange,
                                SmallVectorImpl<Value> &) {
  return success();
}
