// Vector-Jacobian products of Kiln ops: the checked entry point callers use,
// and the builder the rules share.
#pragma once

#include "dialects/Kiln/IR/KilnOps.h"

namespace kiln {

// Builds the VJP of `op` at `builder`'s insertion point through
// KilnDifferentiableOpInterface and checks the rule's promises: one gradient
// per operand, each null or of the operand's exact type. Fails with an error
// on `op` when it has no rule, has dynamic shapes or the rule fails.
llvm::LogicalResult
buildOperandGradients(mlir::Operation *op, mlir::OpBuilder &builder,
                      mlir::ValueRange resultGrads,
                      llvm::SmallVectorImpl<mlir::Value> &operandGrads);

// Whether a value takes part in differentiation: a tensor of a float element
// type.
bool isDifferentiable(mlir::Value value);

// Creates the Kiln ops the VJP rules are written with, at one location.
// Shapes are static (buildOperandGradients checks); every helper returns its
// input unchanged when the op it would create is the identity.
class VJPBuilder {
public:
  VJPBuilder(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}

  // An op whose result type is inferred from its operands and attributes.
  template <typename OpT, typename... Args> mlir::Value create(Args &&...args) {
    return b.create<OpT>(loc, std::forward<Args>(args)...).getResult();
  }

  // A 0-d tensor holding `value`, of `like`'s element type: it broadcasts
  // against any shape in binary ops.
  mlir::Value scalar(mlir::Value like, double value);
  // A tensor of `type` filled with `value`.
  mlir::Value fill(mlir::RankedTensorType type, double value);

  mlir::Value add(mlir::Value x, mlir::Value y) { return create<AddOp>(x, y); }
  mlir::Value sub(mlir::Value x, mlir::Value y) { return create<SubOp>(x, y); }
  mlir::Value mul(mlir::Value x, mlir::Value y) { return create<MulOp>(x, y); }
  mlir::Value div(mlir::Value x, mlir::Value y) { return create<DivOp>(x, y); }
  mlir::Value neg(mlir::Value x) { return create<NegOp>(x); }
  // `x * value` with `value` a scalar of x's element type.
  mlir::Value scale(mlir::Value x, double value) {
    return mul(x, scalar(x, value));
  }
  // `x ? y : 0`.
  mlir::Value select(mlir::Value cond, mlir::Value x) {
    return create<WhereOp>(cond, x, scalar(x, 0.0));
  }

  // Sums a cotangent of a broadcast result over the dimensions that
  // broadcasting added or expanded, so it gets `target`'s shape.
  mlir::Value sumTo(mlir::Value grad, mlir::RankedTensorType target);
  mlir::Value reshape(mlir::Value value, llvm::ArrayRef<int64_t> shape);
  mlir::Value broadcastTo(mlir::Value value, mlir::RankedTensorType target);
  mlir::Value permute(mlir::Value value, llvm::ArrayRef<int64_t> dims);
  // The elements [start, end) along `dim`, step 1.
  mlir::Value sliceDim(mlir::Value value, int64_t dim, int64_t start,
                       int64_t end);
  // Pads with zeros where `low`/`high` are positive and drops elements where
  // they are negative.
  mlir::Value padOrSlice(mlir::Value value, llvm::ArrayRef<int64_t> low,
                         llvm::ArrayRef<int64_t> high);
  // Follows every element along `dim` by `stride - 1` zeros (size n -> n *
  // stride).
  mlir::Value interleaveZeros(mlir::Value value, int64_t dim, int64_t stride);
  // Reverses `dim` (a concat of single-element slices: kernels are small).
  mlir::Value reverse(mlir::Value value, int64_t dim);
  // The gradient of a 2-D convolution (NCHW) with respect to its input of
  // type `inputType`, from the result cotangent `grad` and a weight already
  // flipped and laid out as [C, O / groups, kH, kW].
  mlir::Value convInputGrad(mlir::Value grad, mlir::Value flippedWeight,
                            mlir::RankedTensorType inputType,
                            llvm::ArrayRef<int64_t> stride,
                            llvm::ArrayRef<int64_t> padding,
                            llvm::ArrayRef<int64_t> dilation, int64_t groups);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace kiln
