// VJP rules of Kiln's shape ops, reductions, matmul, convolution, average
// pooling and indexing.
#include "dialects/Kiln/IR/KilnVJP.h"

using namespace mlir;
using namespace kiln;

namespace {

RankedTensorType tensorType(Value value) {
  return llvm::cast<RankedTensorType>(value.getType());
}

// Runs `rule(v, g)` for ops with one result when it has a cotangent and
// operand 0 is a float tensor; every other operand gets no gradient, unless
// the rule appends them itself (`rule` returns true for that).
template <typename Rule>
LogicalResult single(Operation *op, OpBuilder &builder, ValueRange resultGrads,
                     SmallVectorImpl<Value> &grads, Rule rule) {
  Value g = resultGrads[0];
  if (!g || !isDifferentiable(op->getOperand(0))) {
    grads.append(op->getNumOperands(), Value());
    return success();
  }
  VJPBuilder v(builder, op->getLoc());
  size_t first = grads.size();
  if (failed(rule(v, g)))
    return failure();
  grads.append(op->getNumOperands() - (grads.size() - first), Value());
  return success();
}

// The inverse permutation of the last two dimensions (a batched transpose).
SmallVector<int64_t> transposeLastTwo(int64_t rank) {
  SmallVector<int64_t> dims = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(dims[rank - 1], dims[rank - 2]);
  return dims;
}

// PyTorch's avg_pool2d divisor of every output position, as the lowering
// computes it (lib/Conversion/KilnToLinalg): the window clipped to the padded
// input, or to the real input without count_include_pad.
DenseElementsAttr avgPoolDivisors(AvgPool2dOp op, RankedTensorType type) {
  ArrayRef<int64_t> in = op.getInput().getType().getShape().drop_front(2);
  ArrayRef<int64_t> out = type.getShape(), kernel = op.getKernelSize(),
                    stride = op.getStride(), pad = op.getPadding();
  SmallVector<Attribute> divisors;
  for (int64_t oh = 0; oh < out[0]; ++oh) {
    for (int64_t ow = 0; ow < out[1]; ++ow) {
      int64_t hStart = oh * stride[0] - pad[0],
              wStart = ow * stride[1] - pad[1];
      int64_t hEnd = std::min(hStart + kernel[0], in[0] + pad[0]);
      int64_t wEnd = std::min(wStart + kernel[1], in[1] + pad[1]);
      if (!op.getCountIncludePad()) {
        hStart = std::max<int64_t>(hStart, 0);
        wStart = std::max<int64_t>(wStart, 0);
        hEnd = std::min(hEnd, in[0]);
        wEnd = std::min(wEnd, in[1]);
      }
      double count = static_cast<double>((hEnd - hStart) * (wEnd - wStart));
      divisors.push_back(FloatAttr::get(type.getElementType(), count));
    }
  }
  return DenseElementsAttr::get(type, divisors);
}

} // namespace

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::buildVJP(OpBuilder &b, ValueRange gs,
                                      SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    grads.push_back(v.sumTo(g, getInput().getType()));
    return success();
  });
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange gs,
                                  SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    grads.push_back(v.reshape(g, getInput().getType().getShape()));
    return success();
  });
}

LogicalResult PermuteOp::buildVJP(OpBuilder &b, ValueRange gs,
                                  SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    SmallVector<int64_t> inverse(getDims().size());
    for (auto [i, d] : llvm::enumerate(getDims()))
      inverse[d] = i;
    grads.push_back(v.permute(g, inverse));
    return success();
  });
}

// The cotangent goes back to the positions start + j * step: each strided
// dimension is spread out with zeros, then everything is padded into place.
LogicalResult SliceOp::buildVJP(OpBuilder &b, ValueRange gs,
                                SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    ArrayRef<int64_t> in = getInput().getType().getShape(),
                      out = getType().getShape();
    SmallVector<int64_t> low(getStart()), high(in.size());
    for (size_t d = 0; d < in.size(); ++d) {
      g = v.interleaveZeros(g, d, getStep()[d]);
      high[d] = in[d] - getStart()[d] - out[d] * getStep()[d];
    }
    grads.push_back(v.padOrSlice(g, low, high));
    return success();
  });
}

LogicalResult ConcatOp::buildVJP(OpBuilder &b, ValueRange gs,
                                 SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    int64_t dim = getDim(), offset = 0;
    for (Value input : getInputs()) {
      int64_t size = tensorType(input).getDimSize(dim);
      grads.push_back(v.sliceDim(g, dim, offset, offset + size));
      offset += size;
    }
    return success();
  });
}

LogicalResult PadOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    auto negated = [](ArrayRef<int64_t> values) {
      return llvm::to_vector(
          llvm::map_range(values, [](int64_t x) { return -x; }));
    };
    grads.push_back(v.padOrSlice(g, negated(getLow()), negated(getHigh())));
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// sum and mean spread the cotangent over the reduced elements; prod gives
// each element the product of the others, exactly at zeros as PyTorch's
// prod_backward: prod / x where the group has no zero, the product of the
// non-zeros for the one zero of a group and 0 beside it, 0 everywhere in a
// group with two or more zeros; max and min give it to the elements equal to
// the extremum, split evenly among ties as torch.amax does.
LogicalResult ReduceOp::buildVJP(OpBuilder &b, ValueRange gs,
                                 SmallVectorImpl<Value> &grads) {
  if (getKind() == ReduceKind::argmax || getKind() == ReduceKind::argmin) {
    grads.push_back(Value());
    return success();
  }
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    RankedTensorType inputType = getInput().getType();
    SmallVector<int64_t> keptShape(inputType.getShape());
    SmallVector<int64_t> dims(getDims());
    if (dims.empty())
      dims = llvm::to_vector(llvm::seq<int64_t>(0, inputType.getRank()));
    int64_t count = 1;
    for (int64_t d : dims) {
      count *= keptShape[d];
      keptShape[d] = 1;
    }
    Value gKept = v.reshape(g, keptShape);
    Value x = getInput(), grad;
    auto yKept = [&] { return v.reshape(getResult(), keptShape); };
    switch (getKind()) {
    case ReduceKind::sum:
      grad = v.broadcastTo(gKept, inputType);
      break;
    case ReduceKind::mean:
      grad = v.broadcastTo(v.scale(gKept, 1.0 / static_cast<double>(count)),
                           inputType);
      break;
    case ReduceKind::prod: {
      Value isZero = v.create<EqOp>(x, v.scalar(x, 0.0));
      Value nonZero = v.create<WhereOp>(isZero, v.scalar(x, 1.0), x);
      Value others = v.create<ReduceOp>(ReduceKind::prod, nonZero, dims,
                                        /*keepdim=*/true);
      Value zeros = v.create<ReduceOp>(ReduceKind::sum,
                                       v.create<CastOp>(inputType, isZero),
                                       dims, /*keepdim=*/true);
      Value noZero = v.create<EqOp>(zeros, v.scalar(zeros, 0.0));
      Value oneZero = v.create<EqOp>(zeros, v.scalar(zeros, 1.0));
      Value atTheZero = v.create<WhereOp>(oneZero, v.select(isZero, others),
                                          v.scalar(x, 0.0));
      Value local = v.create<WhereOp>(noZero, v.div(others, nonZero), atTheZero);
      grad = v.mul(gKept, local);
      break;
    }
    default: {
      Value hits = v.create<EqOp>(x, yKept());
      Value ties = v.create<ReduceOp>(ReduceKind::sum,
                                      v.create<CastOp>(inputType, hits), dims,
                                      /*keepdim=*/true);
      grad = v.select(hits, v.div(gKept, ties));
    }
    }
    grads.push_back(grad);
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Matmul, convolution, pooling
//===----------------------------------------------------------------------===//

// dA = G B^T and dB = A^T G, batched; batch dimensions that broadcasting
// added or expanded are summed away.
LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange gs,
                                 SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    Value lhs = getLhs(), rhs = getRhs();
    RankedTensorType lhsType = tensorType(lhs), rhsType = tensorType(rhs);
    Value rhsT = v.permute(rhs, transposeLastTwo(rhsType.getRank()));
    Value lhsT = v.permute(lhs, transposeLastTwo(lhsType.getRank()));
    grads.push_back(v.sumTo(v.create<MatmulOp>(g, rhsT), lhsType));
    grads.push_back(v.sumTo(v.create<MatmulOp>(lhsT, g), rhsType));
    return success();
  });
}

// The input gradient is a transposed convolution (VJPBuilder::convInputGrad)
// with the kernel flipped and its channel dimensions swapped within each
// group. The weight gradient correlates the input with the cotangent as
// kernel: with batch and channels swapped, input channel c' of group gi
// becomes a batch row whose channels are the N samples of that group's
// channel, stride and dilation trade places, and taps past the kernel size
// (rows the forward convolution never reached) are cropped.
LogicalResult Conv2dOp::buildVJP(OpBuilder &b, ValueRange gs,
                                 SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    Value input = getInput(), weight = getWeight();
    RankedTensorType inputType = tensorType(input);
    ArrayRef<int64_t> x = inputType.getShape(),
                      w = tensorType(weight).getShape();
    int64_t groups = getGroups(), perGroupOut = w[0] / groups;
    ArrayRef<int64_t> stride = getStride(), padding = getPadding(),
                      dilation = getDilation();

    const int64_t swap[] = {1, 0, 2, 3};

    // Weight [O, C/G, kH, kW] -> [G, O/G, C/G, kH, kW] -> [G, C/G, O/G, ...] ->
    // [C, O/G, ...].
    Value flipped = v.reverse(v.reverse(weight, 2), 3);
    Value swapped =
        groups == 1
            ? v.permute(flipped, swap)
            : v.reshape(v.permute(v.reshape(flipped, {groups, perGroupOut, w[1],
                                                      w[2], w[3]}),
                                  {0, 2, 1, 3, 4}),
                        {x[1], perGroupOut, w[2], w[3]});
    grads.push_back(v.convInputGrad(g, swapped, inputType, stride, padding,
                                    dilation, groups));

    // Input [N, C, H, W] -> [N, G, C/G, H, W] -> [C/G, G, N, H, W] -> [C/G,
    // G*N, H, W].
    Value rows =
        groups == 1
            ? v.permute(input, swap)
            : v.reshape(
                  v.permute(v.reshape(input, {x[0], groups, w[1], x[2], x[3]}),
                            {2, 1, 0, 3, 4}),
                  {w[1], groups * x[0], x[2], x[3]});
    Value kernel = v.permute(g, swap);
    Value taps = v.create<Conv2dOp>(rows, kernel, Value(), dilation, padding,
                                    stride, groups);
    Value cropped = v.sliceDim(v.sliceDim(taps, 2, 0, w[2]), 3, 0, w[3]);
    grads.push_back(v.permute(cropped, swap));

    if (getBias()) {
      const int64_t spatial[] = {0, 2, 3};
      grads.push_back(v.create<ReduceOp>(ReduceKind::sum, g, spatial,
                                         /*keepdim=*/false));
    }
    return success();
  });
}

// Average pooling is a depthwise convolution with a kernel of ones divided
// per output position: its input gradient is the transposed convolution of
// the divided cotangent, one channel at a time.
LogicalResult AvgPool2dOp::buildVJP(OpBuilder &b, ValueRange gs,
                                    SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    RankedTensorType inputType = getInput().getType();
    ArrayRef<int64_t> x = inputType.getShape(), y = getType().getShape();
    auto divisorType =
        RankedTensorType::get(y.drop_front(2), inputType.getElementType());
    Value divisors = v.create<ConstantOp>(avgPoolDivisors(*this, divisorType));
    Value scaled = v.reshape(v.div(g, divisors), {x[0] * x[1], 1, y[2], y[3]});
    ArrayRef<int64_t> kernel = getKernelSize();
    Value ones = v.fill(RankedTensorType::get({1, 1, kernel[0], kernel[1]},
                                              inputType.getElementType()),
                        1.0);
    const int64_t noDilation[] = {1, 1};
    Value grad =
        v.convInputGrad(scaled, ones,
                        RankedTensorType::get({x[0] * x[1], 1, x[2], x[3]},
                                              inputType.getElementType()),
                        getStride(), getPadding(), noDilation, /*groups=*/1);
    grads.push_back(v.reshape(grad, x));
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

// Every gathered element adds its cotangent to the element it came from.
LogicalResult GatherOp::buildVJP(OpBuilder &b, ValueRange gs,
                                 SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    Value zeros = v.fill(getInput().getType(), 0.0);
    grads.push_back(v.create<ScatterOp>(zeros, getIndex(), g, getDim(),
                                        ScatterReduce::add));
    return success();
  });
}

// The input keeps the cotangent where nothing was written over it (all of it
// with reduce add); src gets the cotangent of the positions it was written
// to, and none outside the index's extent, which scatter never reads.
LogicalResult ScatterOp::buildVJP(OpBuilder &b, ValueRange gs,
                                  SmallVectorImpl<Value> &grads) {
  return single(*this, b, gs, grads, [&](VJPBuilder &v, Value g) {
    RankedTensorType indexType = getIndex().getType();
    Value inputGrad = g;
    if (getReduce() == ScatterReduce::none) {
      Value zeros =
          v.fill(indexType.clone(getInput().getType().getElementType()), 0.0);
      inputGrad = v.create<ScatterOp>(g, getIndex(), zeros, getDim(),
                                      ScatterReduce::none);
    }
    grads.push_back(inputGrad);
    grads.push_back(Value());
    Value picked = v.create<GatherOp>(g, getIndex(), getDim());
    ArrayRef<int64_t> src = getSrc().getType().getShape();
    SmallVector<int64_t> low(src.size(), 0), high;
    for (auto [s, i] : llvm::zip(src, indexType.getShape()))
      high.push_back(s - i);
    grads.push_back(v.padOrSlice(picked, low, high));
    return success();
  });
}
