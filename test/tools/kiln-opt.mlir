// kiln-opt names itself, lists the kiln dialect among those it registers, and round-trips Kiln IR through a pipe.
// RUN: kiln-opt --help | FileCheck %s --check-prefix=HELP
// RUN: kiln-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// RUN: kiln-opt %S/../Dialect/Kiln/ops.mlir | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --canonicalize | FileCheck %s --check-prefix=PASS

// HELP: OVERVIEW: Kiln optimizer driver
// HELP: Available Dialects: {{.*}}kiln
// HELP: --canonicalize

// DIALECTS: Available Dialects:
// DIALECTS: kiln

// CHECK-LABEL: func.func @unary_float(
// CHECK: kiln.gelu %{{.*}} approximate tanh : tensor<2x3xf32>
// CHECK-LABEL: func.func @conv2d(
// CHECK: kiln.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 1
// CHECK-LABEL: func.func @indexing(
// CHECK: kiln.scatter {{.*}} dim 0 reduce add

// PASS-LABEL: func.func @pipe(
// PASS-SAME: %[[X:.*]]: tensor<3xf32>
// PASS-NEXT: return %[[X]]
func.func @pipe(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = kiln.permute %x [0] : tensor<3xf32>
  return %0 : tensor<3xf32>
}
