// Compiles kiln functions through the JIT with the extern kernels and checks them against NumPy (float64).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/extern_kernels_ref.py gen %t
// RUN: env KILN_CACHE=0 KILN_DUMP_IR=%t/dump kiln-run %s --entry mm --input %t/mm.0.npy --input %t/mm.1.npy --output %t/mm.out.npy
// RUN: env KILN_CACHE=0 KILN_DUMP_IR=%t/dump kiln-run %s --entry bmm --input %t/bmm.0.npy --input %t/bmm.1.npy --output %t/bmm.out.npy
// RUN: env KILN_CACHE=0 KILN_DUMP_IR=%t/dump kiln-run %s --entry conv_grouped --input %t/conv_grouped.0.npy --input %t/conv_grouped.1.npy --input %t/conv_grouped.2.npy --output %t/conv_grouped.out.npy
// RUN: env KILN_CACHE=0 KILN_DUMP_IR=%t/dump kiln-run %s --entry conv_dilated --input %t/conv_dilated.0.npy --input %t/conv_dilated.1.npy --output %t/conv_dilated.out.npy
// RUN: %python %S/Inputs/extern_kernels_ref.py check %t | FileCheck %s --check-prefix=MATCH
// RUN: cat %t/dump/*/02-bufferized.mlir | FileCheck %s
//
// MATCH: mm ok
// MATCH: bmm ok
// MATCH: conv_grouped ok
// MATCH: conv_dilated ok
//
// The extern kernels did run: every contraction became a call, padding included.
// CHECK-DAG: call @kiln_matmul_f32
// CHECK-DAG: call @kiln_batch_matmul_f32
// CHECK-DAG: call @kiln_conv2d_bias_f32
// CHECK-DAG: call @kiln_conv2d_f32
// CHECK-NOT: linalg.conv
// CHECK-NOT: linalg.matmul

func.func @mm(%a: tensor<33x47xf32>, %b: tensor<47x29xf32>) -> tensor<33x29xf32> {
  %c = kiln.matmul %a, %b : tensor<33x47xf32>, tensor<47x29xf32>
  return %c : tensor<33x29xf32>
}

func.func @bmm(%a: tensor<3x9x14xf32>, %b: tensor<3x14x5xf32>) -> tensor<3x9x5xf32> {
  %c = kiln.matmul %a, %b : tensor<3x9x14xf32>, tensor<3x14x5xf32>
  return %c : tensor<3x9x5xf32>
}

func.func @conv_grouped(%x: tensor<2x8x16x16xf32>, %w: tensor<12x4x3x3xf32>, %b: tensor<12xf32>) -> tensor<2x12x8x8xf32> {
  %y = kiln.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [1, 1] groups 2
      : tensor<2x8x16x16xf32>, tensor<12x4x3x3xf32>, tensor<12xf32>
  return %y : tensor<2x12x8x8xf32>
}

func.func @conv_dilated(%x: tensor<1x3x11x13xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<1x5x11x13xf32> {
  %y = kiln.conv2d %x, %w stride [1, 1] padding [2, 2] dilation [2, 2] groups 1
      : tensor<1x3x11x13xf32>, tensor<5x3x3x3xf32>
  return %y : tensor<1x5x11x13xf32>
}
