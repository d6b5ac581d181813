// convert-kiln-to-linalg on kiln.matmul: linalg.matmul / batch_matmul into a zero-filled init, batch dims broadcast and collapsed.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF
// RUN: kiln-opt %s -convert-kiln-to-linalg -canonicalize | FileCheck %s --check-prefix=CANON

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @matmul_2d(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x5xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<4x5xf32>)
// CHECK: %[[M:.*]] = linalg.matmul ins(%[[A]], %[[B]] : tensor<4x3xf32>, tensor<3x5xf32>) outs(%[[F]] : tensor<4x5xf32>)
// CHECK: return %[[M]]
// BUF-LABEL: func.func @matmul_2d(
// BUF: linalg.fill
// BUF: linalg.matmul
func.func @matmul_2d(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> tensor<4x5xf32> {
  %0 = kiln.matmul %a, %b : tensor<4x3xf32>, tensor<3x5xf32>
  return %0 : tensor<4x5xf32>
}

// A batched lhs times a matrix folds the batch into the rows.
// CHECK-LABEL: func.func @matmul_batch_2d(
// CHECK: %[[L:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<2x6x4x3xf32> into tensor<48x3xf32>
// CHECK: %[[M:.*]] = linalg.matmul ins(%[[L]], %{{.*}} : tensor<48x3xf32>, tensor<3x5xf32>) outs(%{{.*}} : tensor<48x5xf32>)
// CHECK: tensor.expand_shape %[[M]] {{\[}}[0, 1, 2], [3]] output_shape [2, 6, 4, 5] : tensor<48x5xf32> into tensor<2x6x4x5xf32>
func.func @matmul_batch_2d(%a: tensor<2x6x4x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x6x4x5xf32> {
  %0 = kiln.matmul %a, %b : tensor<2x6x4x3xf32>, tensor<3x5xf32>
  return %0 : tensor<2x6x4x5xf32>
}

// CHECK-LABEL: func.func @matmul_batch(
// CHECK: %[[Z:.*]] = arith.constant 0 : i32
// CHECK: linalg.fill ins(%[[Z]] : i32)
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x4x3xi32>, tensor<2x3x5xi32>) outs(%{{.*}} : tensor<2x4x5xi32>)
func.func @matmul_batch(%a: tensor<2x4x3xi32>, %b: tensor<2x3x5xi32>) -> tensor<2x4x5xi32> {
  %0 = kiln.matmul %a, %b : tensor<2x4x3xi32>, tensor<2x3x5xi32>
  return %0 : tensor<2x4x5xi32>
}

// The lhs is broadcast over the batch, both batch shapes collapse to one dim.
// CHECK-LABEL: func.func @matmul_broadcast(
// CHECK: %[[BL:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4x3xf32>) outs(%{{.*}} : tensor<2x1x4x3xf32>)
// CHECK: %[[L:.*]] = tensor.collapse_shape %[[BL]] {{\[}}[0], [1, 2], [3]] : tensor<2x1x4x3xf32> into tensor<2x4x3xf32>
// CHECK: %[[R:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3]] : tensor<2x1x3x5xf32> into tensor<2x3x5xf32>
// CHECK: %[[M:.*]] = linalg.batch_matmul ins(%[[L]], %[[R]] : tensor<2x4x3xf32>, tensor<2x3x5xf32>)
// CHECK: tensor.expand_shape %[[M]] {{\[}}[0], [1, 2], [3]] output_shape [2, 1, 4, 5]
func.func @matmul_broadcast(%a: tensor<4x3xf32>, %b: tensor<2x1x3x5xf32>) -> tensor<2x1x4x5xf32> {
  %0 = kiln.matmul %a, %b : tensor<4x3xf32>, tensor<2x1x3x5xf32>
  return %0 : tensor<2x1x4x5xf32>
}

// f16 products accumulate in f32, narrowed once.
// CHECK-LABEL: func.func @matmul_half(
// CHECK: %[[M:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x3xf16>, tensor<3x5xf16>) outs(%{{.*}} : tensor<4x5xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[M]] : tensor<4x5xf32>) outs(%{{.*}} : tensor<4x5xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @matmul_half(%a: tensor<4x3xf16>, %b: tensor<3x5xf16>) -> tensor<4x5xf16> {
  %0 = kiln.matmul %a, %b : tensor<4x3xf16>, tensor<3x5xf16>
  return %0 : tensor<4x5xf16>
}

// A transposed operand (as the backward's x^T @ dy and dy @ w^T) is read in
// place by the transposed named ops: the permute's copy is left unused, and
// the canonicalizer drops it.
// CHECK-LABEL: func.func @matmul_transposed_lhs(
// CHECK-SAME: %[[X:.*]]: tensor<7x4xf32>, %[[B:.*]]: tensor<7x5xf32>
// CHECK: linalg.matmul_transpose_a ins(%[[X]], %[[B]] : tensor<7x4xf32>, tensor<7x5xf32>) outs(%{{.*}} : tensor<4x5xf32>)
// CANON-LABEL: func.func @matmul_transposed_lhs(
// CANON-NOT: linalg.transpose
// CANON: linalg.matmul_transpose_a
// CANON-NOT: linalg.transpose
// CANON-LABEL: func.func @matmul_transposed_rhs(
func.func @matmul_transposed_lhs(%x: tensor<7x4xf32>, %b: tensor<7x5xf32>) -> tensor<4x5xf32> {
  %t = kiln.permute %x [1, 0] : tensor<7x4xf32>
  %0 = kiln.matmul %t, %b : tensor<4x7xf32>, tensor<7x5xf32>
  return %0 : tensor<4x5xf32>
}

// CHECK-LABEL: func.func @matmul_transposed_rhs(
// CHECK-SAME: %[[A:.*]]: tensor<2x4x7xf32>, %[[W:.*]]: tensor<5x7xf32>
// CHECK: %[[L:.*]] = tensor.collapse_shape %[[A]]
// CHECK: linalg.matmul_transpose_b ins(%[[L]], %[[W]] : tensor<8x7xf32>, tensor<5x7xf32>) outs(%{{.*}} : tensor<8x5xf32>)
func.func @matmul_transposed_rhs(%a: tensor<2x4x7xf32>, %w: tensor<5x7xf32>) -> tensor<2x4x5xf32> {
  %t = kiln.permute %w [1, 0] : tensor<5x7xf32>
  %0 = kiln.matmul %a, %t : tensor<2x4x7xf32>, tensor<7x5xf32>
  return %0 : tensor<2x4x5xf32>
}

// A batched lhs cannot be a transposed 2-D operand: its permute stays.
// CHECK-LABEL: func.func @matmul_transposed_batch_lhs(
// CHECK: linalg.transpose
// CHECK: linalg.matmul ins
// CANON-LABEL: func.func @matmul_transposed_batch_lhs(
// CANON: linalg.transpose
func.func @matmul_transposed_batch_lhs(%x: tensor<2x7x4xf32>, %b: tensor<7x5xf32>) -> tensor<2x4x5xf32> {
  %t = kiln.permute %x [0, 2, 1] : tensor<2x7x4xf32>
  %0 = kiln.matmul %t, %b : tensor<2x4x7xf32>, tensor<7x5xf32>
  return %0 : tensor<2x4x5xf32>
}
