// Op interfaces of the Kiln dialect: markers that later passes (fusion, lowering) query, and VJP rules.
#ifndef KILN_INTERFACES_TD
#define KILN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def KilnElementwiseOpInterface : OpInterface<"KilnElementwiseOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    Marks Kiln ops that compute each result element from the operand elements
    at the same (broadcast) index: the unary math ops, the broadcasting binary
    ops, comparisons, logical ops, `kiln.where` and `kiln.cast`. Upstream's
    `ElementwiseMappable` trait does not fit because Kiln's operands broadcast
    to the result shape rather than sharing it.
  }];
  let methods = [
    InterfaceMethod<
      "Returns true when every operand already has the result's shape, so no "
      "operand is broadcast.",
      "bool", "isSameShapeElementwise", (ins), [{}], [{
        auto resultType = ::llvm::cast<::mlir::ShapedType>(
            $_op->getResult(0).getType());
        return ::llvm::all_of($_op->getOperandTypes(), [&](::mlir::Type t) {
          return ::llvm::cast<::mlir::ShapedType>(t).getShape() ==
                 resultType.getShape();
        });
      }]>
  ];
}

def KilnDifferentiableOpInterface : OpInterface<"KilnDifferentiableOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    Kiln ops that know their vector-Jacobian product (VJP): given the
    cotangent of each result, they build the cotangent of each operand out of
    Kiln ops, so the backward program is ordinary Kiln IR that the rest of
    the pipeline fuses and lowers. `kiln-autodiff` calls it (as the trace's
    `backward()` is meant to) through `kiln::buildOperandGradients`
    (KilnVJP.h), which also checks what the rules promise. The rules assume
    static shapes. docs/autodiff.md lists the rules' conventions.
  }];
  let methods = [
    InterfaceMethod<
      "Inserts, at the builder's insertion point, the ops that compute the "
      "cotangent of every operand from `resultGrads` (one per result; a null "
      "Value stands for a zero cotangent) and appends one Value per operand "
      "to `operandGrads`: a tensor of exactly the operand's type, or a null "
      "Value when the operand receives no gradient (integer, bool and index "
      "operands, the condition of `where`, or a zero derivative). Emits an "
      "error on the op and fails when the rule does not cover its attributes.",
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

// What an op lists among its traits to carry a VJP rule: it declares
// buildVJP, which KilnVJPElementwise.cpp or KilnVJPStructured.cpp defines.
defvar KilnDifferentiable = DeclareOpInterfaceMethods<KilnDifferentiableOpInterface>;

#endif // KILN_INTERFACES_TD
