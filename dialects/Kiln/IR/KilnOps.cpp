// Verifiers and result-type inference of Kiln's elementwise, constant and shape ops.
#include "dialects/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Traits.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace kiln;

std::string kiln::formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::interleave(
      shape, os,
      [&](int64_t size) {
        if (ShapedType::isDynamic(size))
          os << "?";
        else
          os << size;
      },
      "x");
  return out;
}

std::string kiln::formatList(ArrayRef<int64_t> values) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "[";
  llvm::interleaveComma(values, os);
  os << "]";
  return out;
}

FailureOr<RankedTensorType> kiln::getRankedTensorType(std::optional<Location> loc,
                                                      StringRef opName,
                                                      Value value) {
  if (auto type = llvm::dyn_cast<RankedTensorType>(value.getType()))
    return type;
  return emitInferenceError(loc, opName, "expects ranked tensor operands, got ",
                            value.getType());
}

LogicalResult
kiln::inferBroadcastResultType(std::optional<Location> loc, StringRef opName,
                               ValueRange operands, bool boolResult,
                               SmallVectorImpl<Type> &inferred) {
  FailureOr<RankedTensorType> lhs = getRankedTensorType(loc, opName, operands[0]);
  FailureOr<RankedTensorType> rhs = getRankedTensorType(loc, opName, operands[1]);
  if (failed(lhs) || failed(rhs))
    return failure();
  // Type promotion is the front end's job (it inserts kiln.cast), so a
  // mismatch here is a bug upstream that must not be papered over.
  if (lhs->getElementType() != rhs->getElementType())
    return emitInferenceError(loc, opName,
                              "operands must have the same element type, got lhs ",
                              lhs->getElementType(), " and rhs ",
                              rhs->getElementType());
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(lhs->getShape(), rhs->getShape(), shape))
    return emitInferenceError(loc, opName, "shapes are not broadcastable: lhs ",
                              formatShape(lhs->getShape()), " vs rhs ",
                              formatShape(rhs->getShape()));
  Type element = boolResult ? IntegerType::get(lhs->getContext(), 1)
                            : lhs->getElementType();
  inferred.push_back(RankedTensorType::get(shape, element));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise ops with their own rules
//===----------------------------------------------------------------------===//

LogicalResult LogicalNotOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  FailureOr<RankedTensorType> input =
      getRankedTensorType(loc, getOperationName(), adaptor.getInput());
  if (failed(input))
    return failure();
  inferred.push_back(input->clone(IntegerType::get(context, 1)));
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> cond = getRankedTensorType(loc, name, adaptor.getCond());
  FailureOr<RankedTensorType> x = getRankedTensorType(loc, name, adaptor.getX());
  FailureOr<RankedTensorType> y = getRankedTensorType(loc, name, adaptor.getY());
  if (failed(cond) || failed(x) || failed(y))
    return failure();
  if (x->getElementType() != y->getElementType())
    return emitInferenceError(loc, name,
                              "x and y must have the same element type, got ",
                              x->getElementType(), " and ", y->getElementType());
  SmallVector<int64_t> xy, shape;
  if (!OpTrait::util::getBroadcastedShape(x->getShape(), y->getShape(), xy) ||
      !OpTrait::util::getBroadcastedShape(cond->getShape(), xy, shape))
    return emitInferenceError(loc, name, "shapes are not broadcastable: cond ",
                              formatShape(cond->getShape()), ", x ",
                              formatShape(x->getShape()), ", y ",
                              formatShape(y->getShape()));
  inferred.push_back(RankedTensorType::get(shape, x->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Constants and casts
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  inferred.push_back(llvm::cast<TypedAttr>(adaptor.getValueAttr()).getType());
  return success();
}

LogicalResult SplatOp::verify() {
  Type element = getType().getElementType();
  Type valueType = getValue().getType();
  bool kindMatches = llvm::isa<FloatType>(element)
                         ? llvm::isa<FloatAttr>(getValue())
                         : llvm::isa<IntegerAttr>(getValue());
  if (!kindMatches || valueType != element)
    return emitOpError("value ")
           << getValue() << " does not match the element type " << element
           << " of " << getType();
  return success();
}

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getType().getShape())
    return emitOpError("cannot change the shape: input ")
           << formatShape(getInput().getType().getShape()) << " vs result "
           << formatShape(getType().getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  RankedTensorType input = getInput().getType(), result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("cannot change the element type: input ")
           << input.getElementType() << " vs result "
           << result.getElementType();
  auto incompatible = [&] {
    return emitOpError("cannot broadcast ")
           << formatShape(input.getShape()) << " to "
           << formatShape(result.getShape());
  };
  int64_t offset = result.getRank() - input.getRank();
  if (offset < 0)
    return incompatible();
  for (auto [i, size] : llvm::enumerate(input.getShape())) {
    int64_t target = result.getDimSize(offset + i);
    if (size != 1 && size != target && !ShapedType::isDynamic(size) &&
        !ShapedType::isDynamic(target))
      return incompatible();
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType(), result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("cannot change the element type: input ")
           << input.getElementType() << " vs result "
           << result.getElementType();
  if (!input.hasStaticShape() || !result.hasStaticShape())
    return emitOpError("requires static shapes, got ")
           << formatShape(input.getShape()) << " to "
           << formatShape(result.getShape());
  if (input.getNumElements() != result.getNumElements())
    return emitOpError("element counts differ: ")
           << formatShape(input.getShape()) << " has "
           << input.getNumElements() << ", " << formatShape(result.getShape())
           << " has " << result.getNumElements();
  return success();
}

LogicalResult PermuteOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  if (failed(input))
    return failure();
  ArrayRef<int64_t> dims = adaptor.getDims();
  int64_t rank = input->getRank();
  llvm::SmallVector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(dims.size()) == rank;
  for (int64_t d : dims) {
    if (!valid || d < 0 || d >= rank || seen[d]) {
      valid = false;
      break;
    }
    seen[d] = true;
  }
  if (!valid)
    return emitInferenceError(loc, name, "dims ", formatList(dims),
                              " is not a permutation of the ", rank,
                              " dimensions of ", formatShape(input->getShape()));
  SmallVector<int64_t> shape;
  for (int64_t d : dims)
    shape.push_back(input->getDimSize(d));
  inferred.push_back(input->clone(shape));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  if (failed(input))
    return failure();
  ArrayRef<int64_t> start = adaptor.getStart(), end = adaptor.getEnd(),
                    step = adaptor.getStep();
  int64_t rank = input->getRank();
  if (static_cast<int64_t>(start.size()) != rank ||
      static_cast<int64_t>(end.size()) != rank ||
      static_cast<int64_t>(step.size()) != rank)
    return emitInferenceError(loc, name, "needs one start, end and step per dimension of ",
                              formatShape(input->getShape()), ", got ",
                              start.size(), ", ", end.size(), " and ", step.size());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = input->getDimSize(d);
    bool inBounds = 0 <= start[d] && start[d] <= end[d] &&
                    (ShapedType::isDynamic(size) || end[d] <= size);
    if (!inBounds || step[d] < 1)
      return emitInferenceError(
          loc, name, "dimension ", d, " of size ",
          ShapedType::isDynamic(size) ? std::string("?") : std::to_string(size),
          " has start ", start[d], ", end ", end[d], ", step ", step[d],
          "; expected 0 <= start <= end <= size and step >= 1");
    shape.push_back((end[d] - start[d] + step[d] - 1) / step[d]);
  }
  inferred.push_back(input->clone(shape));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitInferenceError(loc, name, "needs at least one input");
  FailureOr<RankedTensorType> first = getRankedTensorType(loc, name, inputs[0]);
  if (failed(first))
    return failure();
  int64_t rank = first->getRank(), dim = adaptor.getDim();
  if (dim < 0 || dim >= rank)
    return emitInferenceError(loc, name, "dim ", dim, " is out of range for rank ",
                              rank);
  SmallVector<int64_t> shape(first->getShape());
  for (auto [i, value] : llvm::enumerate(inputs.drop_front())) {
    FailureOr<RankedTensorType> type = getRankedTensorType(loc, name, value);
    if (failed(type))
      return failure();
    if (type->getElementType() != first->getElementType())
      return emitInferenceError(loc, name, "input ", i + 1, " has element type ",
                                type->getElementType(), ", input 0 has ",
                                first->getElementType());
    bool compatible = type->getRank() == rank;
    for (int64_t d = 0; compatible && d < rank; ++d) {
      int64_t a = shape[d], b = type->getDimSize(d);
      if (d == dim)
        shape[d] = ShapedType::isDynamic(a) || ShapedType::isDynamic(b)
                       ? ShapedType::kDynamic
                       : a + b;
      else if (ShapedType::isDynamic(a))
        shape[d] = b;
      else
        compatible = ShapedType::isDynamic(b) || a == b;
    }
    if (!compatible)
      return emitInferenceError(loc, name, "input ", i + 1, " of shape ",
                                formatShape(type->getShape()),
                                " does not match input 0 of shape ",
                                formatShape(first->getShape()),
                                " outside dimension ", dim);
  }
  inferred.push_back(first->clone(shape));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  FailureOr<RankedTensorType> input = getRankedTensorType(loc, name, adaptor.getInput());
  if (failed(input))
    return failure();
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh();
  int64_t rank = input->getRank();
  if (static_cast<int64_t>(low.size()) != rank ||
      static_cast<int64_t>(high.size()) != rank)
    return emitInferenceError(loc, name, "needs one low and high entry per dimension of ",
                              formatShape(input->getShape()), ", got low ",
                              formatList(low), " and high ", formatList(high));
  if (llvm::any_of(low, [](int64_t v) { return v < 0; }) ||
      llvm::any_of(high, [](int64_t v) { return v < 0; }))
    return emitInferenceError(loc, name, "padding must be non-negative, got low ",
                              formatList(low), " and high ", formatList(high));
  if (TypedAttr value = adaptor.getValueAttr()) {
    Type element = input->getElementType();
    bool kindMatches = llvm::isa<FloatType>(element) ? llvm::isa<FloatAttr>(value)
                                                      : llvm::isa<IntegerAttr>(value);
    if (!kindMatches || value.getType() != element)
      return emitInferenceError(loc, name, "padding value ", value,
                                " does not match the element type ", element);
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = input->getDimSize(d);
    shape.push_back(ShapedType::isDynamic(size) ? size : size + low[d] + high[d]);
  }
  inferred.push_back(input->clone(shape));
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Kiln/IR/KilnOps.cpp.inc"
