// The conversion passes that lower the Kiln dialect to upstream MLIR dialects.
#ifndef KILN_CONVERSION_PASSES_TD
#define KILN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnConvertKilnToLinalg : Pass<"convert-kiln-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower every Kiln op to linalg, tensor, arith, math and scf on tensors";
  let description = [{
    Rewrites each Kiln op into destination-passing ops on tensors:
    elementwise ops become one `linalg.generic` each (NumPy broadcasting
    lives in the indexing maps), reductions `linalg.reduce` or a two-output
    `linalg.generic` (argmax/argmin), matmul `linalg.matmul` /
    `linalg.batch_matmul`, convolution and pooling the NCHW named ops, shape
    ops the `tensor` dialect, gather a `linalg.generic` with `tensor.extract`
    and scatter an `scf.for` nest. `ui8` becomes signless `i8` everywhere,
    function signatures included; unsigned-ness survives in the choice of
    arith ops. Shapes must be static. No Kiln op is left behind.
  }];
  let constructor = "kiln::createConvertKilnToLinalgPass()";
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect"
  ];
}

#endif // KILN_CONVERSION_PASSES_TD
