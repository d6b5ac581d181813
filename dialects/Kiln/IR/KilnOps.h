// The Kiln ops, enums and attributes, and the shape-inference helpers their generated code calls.
#pragma once

#include "dialects/Kiln/IR/KilnDialect.h"
#include "dialects/Kiln/IR/KilnInterfaces.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Kiln/IR/KilnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Kiln/IR/KilnAttrs.h.inc"

namespace kiln {

// Infers the result of a broadcasting binary op: the broadcast shape of both
// operands, with their (shared) element type or, if `boolResult`, i1. Errors
// name `opName` and both shapes or element types.
llvm::LogicalResult
inferBroadcastResultType(std::optional<mlir::Location> loc,
                         llvm::StringRef opName, mlir::ValueRange operands,
                         bool boolResult,
                         llvm::SmallVectorImpl<mlir::Type> &inferred);

// Reports an inference error as the op's verifier would: "'kiln.x' op ...".
template <typename... Args>
llvm::LogicalResult emitInferenceError(std::optional<mlir::Location> loc,
                                       llvm::StringRef opName,
                                       Args &&...args) {
  return mlir::emitOptionalError(loc, "'", opName, "' op ",
                                 std::forward<Args>(args)...);
}

// Prints a shape as PyTorch users read it in messages: "4x?x8", "scalar" for rank 0.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

// Prints an attribute list of integers as written in the assembly: "[1, 2]".
std::string formatList(llvm::ArrayRef<int64_t> values);

// The ranked tensor type of `value`, or an error naming the op when it has
// another type (inference runs before the ODS type constraints are checked).
llvm::FailureOr<mlir::RankedTensorType>
getRankedTensorType(std::optional<mlir::Location> loc, llvm::StringRef opName,
                    mlir::Value value);

} // namespace kiln

#define GET_OP_CLASSES
#include "dialects/Kiln/IR/KilnOps.h.inc"
