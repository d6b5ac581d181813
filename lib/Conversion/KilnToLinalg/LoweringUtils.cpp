// Helpers shared by the kiln -> linalg patterns: scalar constants, dtype queries and linalg builders.
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <limits>

using namespace mlir;

namespace kiln {

Type elementTypeOf(Type tensorType) {
  return cast<ShapedType>(tensorType).getElementType();
}

bool isUnsignedLike(Type kilnElementType) {
  return kilnElementType.isUnsignedInteger() || kilnElementType.isInteger(1);
}

FloatType computeFloatType(FloatType type) {
  if (type.getWidth() < 32)
    return Float32Type::get(type.getContext());
  return type;
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(floatType, value));
  if (type.isIndex())
    return b.create<arith::ConstantIndexOp>(loc, static_cast<int64_t>(value));
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

static Value extremeValue(OpBuilder &b, Location loc, Type type,
                          bool isUnsigned, bool lowest) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(floatType,
                            APFloat::getInf(floatType.getFloatSemantics(),
                                            /*Negative=*/lowest)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt bound = isUnsigned ? (lowest ? APInt::getMinValue(width)
                                     : APInt::getMaxValue(width))
                           : (lowest ? APInt::getSignedMinValue(width)
                                     : APInt::getSignedMaxValue(width));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, bound));
}

Value lowestValue(OpBuilder &b, Location loc, Type type, bool isUnsigned) {
  return extremeValue(b, loc, type, isUnsigned, /*lowest=*/true);
}

Value highestValue(OpBuilder &b, Location loc, Type type, bool isUnsigned) {
  return extremeValue(b, loc, type, isUnsigned, /*lowest=*/false);
}

Value isNonZero(OpBuilder &b, Location loc, Value value) {
  Type type = value.getType();
  if (type.isInteger(1))
    return value;
  Value zero = scalarConstant(b, loc, type, 0);
  if (isa<FloatType>(type))
    return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, value, zero);
  return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, value, zero);
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value value) {
  Value empty =
      b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
}

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  size_t lead = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    if (size == 1 && resultShape[lead + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(lead + i, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange operands, ScalarBuilder body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(
        broadcastMap(ctx, cast<RankedTensorType>(operand.getType()).getShape(),
                     resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  Value init = b.create<tensor::EmptyOp>(loc, resultType.getShape(),
                                         resultType.getElementType());
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, operands, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        nested.create<linalg::YieldOp>(nestedLoc, result);
      });
  return generic.getResult(0);
}

// Collapses all dims of `value` into one (rank 0 becomes 1-D too).
static Value flatten(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto flatType =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  if (type.getRank() == 1)
    return value;
  if (type.getRank() == 0)
    return b.create<tensor::ExpandShapeOp>(loc, flatType, value,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t i = 0; i < type.getRank(); ++i)
    all.push_back(i);
  return b.create<tensor::CollapseShapeOp>(loc, flatType, value,
                                           ArrayRef<ReassociationIndices>{all});
}

Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type) {
  auto srcType = cast<RankedTensorType>(value.getType());
  if (srcType.getShape() == type.getShape())
    return value;
  if (srcType.getRank() > type.getRank()) {
    if (auto reassociation = getReassociationIndicesForCollapse(
            srcType.getShape(), type.getShape()))
      return b.create<tensor::CollapseShapeOp>(loc, type, value,
                                               *reassociation);
  } else if (srcType.getRank() < type.getRank()) {
    if (auto reassociation = getReassociationIndicesForCollapse(
            type.getShape(), srcType.getShape()))
      return b.create<tensor::ExpandShapeOp>(loc, type, value, *reassociation);
  }
  Value flat = flatten(b, loc, value);
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(loc, type, flat,
                                             ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t i = 0; i < type.getRank(); ++i)
    all.push_back(i);
  return b.create<tensor::ExpandShapeOp>(loc, type, flat,
                                         ArrayRef<ReassociationIndices>{all});
}

RankedTensorType convertTensorType(const TypeConverter &converter, Type type) {
  return cast<RankedTensorType>(converter.convertType(type));
}

} // namespace kiln
