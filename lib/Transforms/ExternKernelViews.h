// Helpers of kiln-linalg-to-extern-kernels (LinalgToExternKernels.cpp) for passing oneDNN views of buffers instead
// of copies; the definitions say what each one matches.
#pragma once

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace kiln::extern_kernels {

// A strided f32 memref of `rank` dims in the default memory space.
bool isF32Memref(mlir::Value value, int64_t rank);
// Free of memory effects, or a pure allocation.
bool isPureOrAlloc(mlir::Operation *op);

// The first op after `op` in its block that touches memory, when it is a
// linalg.generic (an epilogue candidate); null otherwise.
mlir::linalg::GenericOp nextMemoryGeneric(mlir::Operation *op);
// The buffer a view is taken of, through view-like ops.
mlir::Value rootBuffer(mlir::Value value);

// The conv2d VJP's weight gradient, dW^T = conv(x^T, dy^T): a "kernel" larger than the output.
bool isWeightGradientShape(mlir::Value weight, mlir::Value out);
// `value` with its first two dims swapped, as a view.
mlir::Value swapView(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value value);
// What the kernel should read instead of a swapped operand that is only a swapping copy of another buffer (a
// swapped view of that buffer; the copy and its buffer go to `dead`), or `operand`.
mlir::Value readSwappedInPlace(mlir::OpBuilder &builder, mlir::Value operand, mlir::Operation *conv,
                               llvm::SmallVectorImpl<mlir::Operation *> &dead);
// Where the kernel should write a result that a swapping copy then moves into its final buffer (a swapped view
// of that buffer; the copy and the result's buffer go to `dead`), or `out`. `reads` are the kernel's inputs.
mlir::Value writeSwappedInPlace(mlir::OpBuilder &builder, mlir::Value out, mlir::Operation *conv,
                                mlir::Operation *initializer, llvm::ArrayRef<mlir::Value> reads,
                                llvm::SmallVectorImpl<mlir::Operation *> &dead);
// The ReLU generic right after a convolution into `out` that the kernel can apply as its post-op, or null.
mlir::linalg::GenericOp matchReluEpilogue(mlir::Operation *conv, mlir::Value out, mlir::Operation *initializer,
                                          llvm::ArrayRef<mlir::Value> reads);

} // namespace kiln::extern_kernels
