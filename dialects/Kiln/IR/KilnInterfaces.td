// Op interfaces of the Kiln dialect: markers that later passes (fusion, lowering) query.
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

#endif // KILN_INTERFACES_TD
