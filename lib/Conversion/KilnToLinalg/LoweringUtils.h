// Helpers shared by the kiln -> linalg patterns: scalar constants, dtype queries and linalg builders.
#pragma once

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {

// The per-family pattern lists that populateKilnToLinalgPatterns gathers.
void populateElementwisePatterns(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);
void populateCastPatterns(mlir::TypeConverter &converter,
                          mlir::RewritePatternSet &patterns);
void populateShapeOpPatterns(mlir::TypeConverter &converter,
                             mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::TypeConverter &converter,
                               mlir::RewritePatternSet &patterns);
void populateLinalgOpPatterns(mlir::TypeConverter &converter,
                              mlir::RewritePatternSet &patterns);
void populateIndexingPatterns(mlir::TypeConverter &converter,
                              mlir::RewritePatternSet &patterns);

// The element type of a (Kiln) tensor type.
mlir::Type elementTypeOf(mlir::Type tensorType);

// ui8: arith ops must be the unsigned variants. i1 counts as unsigned too
// (true is 1, not -1), which is what comparisons and max/min need.
bool isUnsignedLike(mlir::Type kilnElementType);

// The type float arithmetic runs in: f32 for f16/bf16 (as PyTorch's CPU
// kernels do), the type itself otherwise.
mlir::FloatType computeFloatType(mlir::FloatType type);

// A scalar arith.constant of `type` (float, integer or index).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

// The lowest / highest value of a (signless) scalar type: -inf / +inf for
// floats, the min/max integer by `isUnsigned`.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                        bool isUnsigned);
mlir::Value highestValue(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Type type, bool isUnsigned);

// `value != 0` as i1 (NaN counts as non-zero, as bool(NaN) in Python).
mlir::Value isNonZero(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::Value value);

// A tensor.empty of `type` filled with `value` by linalg.fill.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::Value value);

// The NumPy-broadcast indexing map of an operand of `operandShape` into a
// loop nest of `resultShape`: trailing dims align, a size-1 dim against a
// larger one reads index 0, missing leading dims are dropped.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape);

// Body of an elementwise generic: the scalar operands in, the result out.
using ScalarBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

// One all-parallel linalg.generic over `resultType` whose operands broadcast
// NumPy-style, computing each element with `body`.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange operands, ScalarBuilder body);

// Reshapes `value` to `type` (same element count): one collapse_shape or
// expand_shape when that expresses it, else through a 1-D tensor.
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::RankedTensorType type);

// Converts a scalar between Kiln element types with PyTorch's `.to(dtype)`
// rules; `src`/`dst` are the Kiln (unconverted) types, so ui8 is visible.
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value value, mlir::Type src, mlir::Type dst);

// The converted type of `type`, asserted ranked by the op's constraints.
mlir::RankedTensorType convertTensorType(const mlir::TypeConverter &converter,
                                         mlir::Type type);

} // namespace kiln
