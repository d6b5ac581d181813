// Result-type inference of Kiln's reductions, matmul, convolution, pooling and indexing ops.
#include "dialects/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Traits.h"

using namespace mlir;
using namespace kiln;

namespace {

bool isDynamic(int64_t size) { return ShapedType::isDynamic(size); }

// Checks that a per-spatial-dimension attribute has two entries of at least
// `minimum`; `what` names it in the error.
LogicalResult checkPair(std::optional<Location> loc, StringRef opName,
                        StringRef what, ArrayRef<int64_t> values,
                        int64_t minimum) {
  if (values.size() != 2 ||
      llvm::any_of(values, [&](int64_t v) { return v < minimum; }))
    return emitInferenceError(loc, opName, what, " must have 2 entries >= ",
                              minimum, ", got ", formatList(values));
  return success();
}

// PyTorch's pooling_output_shape: the window count along one dimension, with
// ceil_mode's rule that the last window must start inside the input or the
// left padding.
int64_t poolOutputSize(int64_t in, int64_t kernel, int64_t pad, int64_t stride,
                       int64_t dilation, bool ceilMode) {
  int64_t numerator = in + 2 * pad - dilation * (kernel - 1) - 1 +
                      (ceilMode ? stride - 1 : 0);
  // Floor division: the numerator is negative for windows larger than the input.
  int64_t out = (numerator >= 0 ? numerator / stride
                                : -((-numerator + stride - 1) / stride)) +
                1;
  if (ceilMode && (out - 1) * stride >= in + pad)
    --out;
  return out;
}

// Shared inference of max_pool2d and avg_pool2d on an NCHW input.
LogicalResult inferPool2d(std::optional<Location> loc, StringRef name, Value value,
                          ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                          ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
                          bool ceilMode, SmallVectorImpl<Type> &inferred) {
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, value);
  if (failed(input))
    return failure();
  if (input->getRank() != 4)
    return emitInferenceError(loc, name, "expects an NCHW input of rank 4, got ",
                              formatShape(input->getShape()));
  if (failed(checkPair(loc, name, "kernel_size", kernel, 1)) ||
      failed(checkPair(loc, name, "stride", stride, 1)) ||
      failed(checkPair(loc, name, "padding", padding, 0)) ||
      failed(checkPair(loc, name, "dilation", dilation, 1)))
    return failure();
  for (int i = 0; i < 2; ++i)
    if (padding[i] > kernel[i] / 2)
      return emitInferenceError(loc, name, "padding ", formatList(padding),
                                " must be at most half of kernel_size ",
                                formatList(kernel));
  SmallVector<int64_t> shape(input->getShape().take_front(2));
  for (int i = 0; i < 2; ++i) {
    int64_t in = input->getDimSize(2 + i);
    if (isDynamic(in)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t out =
        poolOutputSize(in, kernel[i], padding[i], stride[i], dilation[i], ceilMode);
    if (out < 1)
      return emitInferenceError(loc, name, "input ", formatShape(input->getShape()),
                                " is too small for kernel_size ", formatList(kernel),
                                " (output size ", out, ")");
    shape.push_back(out);
  }
  inferred.push_back(input->clone(shape));
  return success();
}

} // namespace

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  if (failed(input))
    return failure();
  ReduceKind kind = adaptor.getKind();
  ArrayRef<int64_t> dims = adaptor.getDims();
  int64_t rank = input->getRank();
  SmallVector<bool> reduced(rank, dims.empty());
  for (int64_t d : dims) {
    if (d < 0 || d >= rank || reduced[d])
      return emitInferenceError(loc, name, "dims ", formatList(dims),
                                " must be unique and in [0, ", rank, ") for ",
                                formatShape(input->getShape()));
    reduced[d] = true;
  }
  bool isArg = kind == ReduceKind::argmax || kind == ReduceKind::argmin;
  if (isArg && dims.size() > 1)
    return emitInferenceError(loc, name, stringifyReduceKind(kind),
                              " reduces one dimension or all (dims []), got dims ",
                              formatList(dims));
  if (kind == ReduceKind::mean && !llvm::isa<FloatType>(input->getElementType()))
    return emitInferenceError(loc, name, "mean requires a float element type, got ",
                              input->getElementType());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      shape.push_back(input->getDimSize(d));
    else if (adaptor.getKeepdim())
      shape.push_back(1);
  }
  Type element = isArg ? IntegerType::get(context, 64) : input->getElementType();
  inferred.push_back(RankedTensorType::get(shape, element));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> lhs = getRankedTensorType(loc, name, adaptor.getLhs());
  FailureOr<RankedTensorType> rhs = getRankedTensorType(loc, name, adaptor.getRhs());
  if (failed(lhs) || failed(rhs))
    return failure();
  ArrayRef<int64_t> a = lhs->getShape(), b = rhs->getShape();
  if (a.size() < 2 || b.size() < 2)
    return emitInferenceError(loc, name, "operands must have rank >= 2, got lhs ",
                              formatShape(a), " and rhs ", formatShape(b));
  if (lhs->getElementType() != rhs->getElementType())
    return emitInferenceError(loc, name,
                              "operands must have the same element type, got lhs ",
                              lhs->getElementType(), " and rhs ",
                              rhs->getElementType());
  int64_t k1 = a[a.size() - 1], k2 = b[b.size() - 2];
  if (!isDynamic(k1) && !isDynamic(k2) && k1 != k2)
    return emitInferenceError(loc, name, "contracting dimensions differ: lhs ",
                              formatShape(a), " vs rhs ", formatShape(b), " (", k1,
                              " != ", k2, ")");
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(a.drop_back(2), b.drop_back(2), shape))
    return emitInferenceError(loc, name, "batch dimensions are not broadcastable: lhs ",
                              formatShape(a), " vs rhs ", formatShape(b));
  shape.push_back(a[a.size() - 2]);
  shape.push_back(b.back());
  inferred.push_back(lhs->clone(shape));
  return success();
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  FailureOr<RankedTensorType> weight =
      getRankedTensorType(loc, name, adaptor.getWeight());
  if (failed(input) || failed(weight))
    return failure();
  ArrayRef<int64_t> x = input->getShape(), w = weight->getShape();
  if (x.size() != 4 || w.size() != 4)
    return emitInferenceError(loc, name,
                              "expects an NCHW input and an OIHW weight of rank 4, got ",
                              formatShape(x), " and ", formatShape(w));
  if (input->getElementType() != weight->getElementType())
    return emitInferenceError(loc, name, "input and weight element types differ: ",
                              input->getElementType(), " vs ",
                              weight->getElementType());
  if (Value biasValue = adaptor.getBias()) {
    FailureOr<RankedTensorType> bias = getRankedTensorType(loc, name, biasValue);
    if (failed(bias))
      return failure();
    if (bias->getElementType() != input->getElementType() || bias->getRank() != 1 ||
        (!isDynamic(bias->getDimSize(0)) && !isDynamic(w[0]) &&
         bias->getDimSize(0) != w[0]))
      return emitInferenceError(loc, name, "bias ", *bias,
                                " must be a vector of the ", w[0],
                                " output channels of weight ", formatShape(w),
                                " with element type ", input->getElementType());
  }
  ArrayRef<int64_t> stride = adaptor.getStride(), padding = adaptor.getPadding(),
                    dilation = adaptor.getDilation();
  if (failed(checkPair(loc, name, "stride", stride, 1)) ||
      failed(checkPair(loc, name, "padding", padding, 0)) ||
      failed(checkPair(loc, name, "dilation", dilation, 1)))
    return failure();
  int64_t groups = adaptor.getGroups();
  if (groups < 1)
    return emitInferenceError(loc, name, "groups must be >= 1, got ", groups);
  bool channelsOk =
      (isDynamic(x[1]) || x[1] % groups == 0) &&
      (isDynamic(w[0]) || w[0] % groups == 0) &&
      (isDynamic(x[1]) || isDynamic(w[1]) || w[1] * groups == x[1]);
  if (!channelsOk)
    return emitInferenceError(loc, name, "channels do not match groups ", groups,
                              ": input ", formatShape(x), ", weight ",
                              formatShape(w),
                              " (need C % groups == 0, O % groups == 0, "
                              "weight dim 1 == C / groups)");
  SmallVector<int64_t> shape{x[0], w[0]};
  for (int i = 0; i < 2; ++i) {
    int64_t in = x[2 + i], kernel = w[2 + i];
    if (isDynamic(in) || isDynamic(kernel)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t effective = in + 2 * padding[i] - dilation[i] * (kernel - 1) - 1;
    if (effective < 0)
      return emitInferenceError(loc, name, "kernel of weight ", formatShape(w),
                                " (dilation ", formatList(dilation),
                                ") is larger than the padded input ",
                                formatShape(x));
    shape.push_back(effective / stride[i] + 1);
  }
  inferred.push_back(input->clone(shape));
  return success();
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferPool2d(loc, getOperationName(), adaptor.getInput(),
                     adaptor.getKernelSize(), adaptor.getStride(),
                     adaptor.getPadding(), adaptor.getDilation(),
                     adaptor.getCeilMode(), inferred);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  const int64_t noDilation[] = {1, 1};
  return inferPool2d(loc, getOperationName(), adaptor.getInput(),
                     adaptor.getKernelSize(), adaptor.getStride(),
                     adaptor.getPadding(), noDilation, adaptor.getCeilMode(),
                     inferred);
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  FailureOr<RankedTensorType> index = getRankedTensorType(loc, name, adaptor.getIndex());
  if (failed(input) || failed(index))
    return failure();
  int64_t rank = input->getRank(), dim = adaptor.getDim();
  if (index->getRank() != rank)
    return emitInferenceError(loc, name, "index ", formatShape(index->getShape()),
                              " must have the rank of input ",
                              formatShape(input->getShape()));
  if (dim < 0 || dim >= rank)
    return emitInferenceError(loc, name, "dim ", dim, " is out of range for rank ",
                              rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t i = index->getDimSize(d), s = input->getDimSize(d);
    if (d != dim && !isDynamic(i) && !isDynamic(s) && i > s)
      return emitInferenceError(loc, name, "index ", formatShape(index->getShape()),
                                " is larger than input ",
                                formatShape(input->getShape()), " in dimension ", d);
  }
  inferred.push_back(index->clone(input->getElementType()));
  return success();
}

LogicalResult ScatterOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  FailureOr<RankedTensorType> index = getRankedTensorType(loc, name, adaptor.getIndex());
  FailureOr<RankedTensorType> src = getRankedTensorType(loc, name, adaptor.getSrc());
  if (failed(input) || failed(index) || failed(src))
    return failure();
  int64_t rank = input->getRank(), dim = adaptor.getDim();
  if (index->getRank() != rank || src->getRank() != rank)
    return emitInferenceError(loc, name, "input ", formatShape(input->getShape()),
                              ", index ", formatShape(index->getShape()), " and src ",
                              formatShape(src->getShape()), " must have one rank");
  if (dim < 0 || dim >= rank)
    return emitInferenceError(loc, name, "dim ", dim, " is out of range for rank ",
                              rank);
  if (src->getElementType() != input->getElementType())
    return emitInferenceError(loc, name, "src element type ", src->getElementType(),
                              " differs from input's ", input->getElementType());
  for (int64_t d = 0; d < rank; ++d) {
    int64_t i = index->getDimSize(d), s = src->getDimSize(d),
            in = input->getDimSize(d);
    bool fitsSrc = isDynamic(i) || isDynamic(s) || i <= s;
    bool fitsInput = d == dim || isDynamic(i) || isDynamic(in) || i <= in;
    if (!fitsSrc || !fitsInput)
      return emitInferenceError(loc, name, "index ", formatShape(index->getShape()),
                                " exceeds src ", formatShape(src->getShape()),
                                " or input ", formatShape(input->getShape()),
                                " in dimension ", d);
  }
  inferred.push_back(*input);
  return success();
}
