// convert-kiln-to-linalg on constants and shape ops: arith.constant, linalg.fill/transpose and tensor ops.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @constant(
// CHECK: %[[C:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK: return %[[C]]
func.func @constant() -> tensor<2xf32> {
  %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// A fill, not a splat constant: bufferization would make a full-size global.
// CHECK-LABEL: func.func @splat(
// CHECK: %[[V:.*]] = arith.constant 1.500000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<128x256xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[V]] : f32) outs(%[[E]] : tensor<128x256xf32>)
// CHECK: return %[[F]]
// BUF-LABEL: func.func @splat(
// BUF: linalg.fill
func.func @splat() -> tensor<128x256xf32> {
  %0 = kiln.splat 1.500000e+00 : f32 -> tensor<128x256xf32>
  return %0 : tensor<128x256xf32>
}

// CHECK-LABEL: func.func @reshape_collapse(
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<4x8x2xf32> into tensor<32x2xf32>
func.func @reshape_collapse(%x: tensor<4x8x2xf32>) -> tensor<32x2xf32> {
  %0 = kiln.reshape %x : tensor<4x8x2xf32> to tensor<32x2xf32>
  return %0 : tensor<32x2xf32>
}

// CHECK-LABEL: func.func @reshape_expand(
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
func.func @reshape_expand(%x: tensor<32xf32>) -> tensor<4x8xf32> {
  %0 = kiln.reshape %x : tensor<32xf32> to tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// Neither a collapse nor an expansion: through 1-D.
// CHECK-LABEL: func.func @reshape_general(
// CHECK: %[[F:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<6x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
func.func @reshape_general(%x: tensor<6x4xf32>) -> tensor<4x6xf32> {
  %0 = kiln.reshape %x : tensor<6x4xf32> to tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// CHECK-LABEL: func.func @reshape_scalar(
// CHECK: tensor.collapse_shape %{{.*}} [] : tensor<1x1xf32> into tensor<f32>
func.func @reshape_scalar(%x: tensor<1x1xf32>) -> tensor<f32> {
  %0 = kiln.reshape %x : tensor<1x1xf32> to tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @permute(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[E]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @permute(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = kiln.permute %x [2, 0, 1] : tensor<2x3x4xf32>
  return %0 : tensor<4x2x3xf32>
}

// CHECK-LABEL: func.func @slice(
// CHECK: tensor.extract_slice %{{.*}}[1, 1] [3, 4] [1, 2] : tensor<4x8xf32> to tensor<3x4xf32>
func.func @slice(%x: tensor<4x8xf32>) -> tensor<3x4xf32> {
  %0 = kiln.slice %x start [1, 1] end [4, 8] step [1, 2] : tensor<4x8xf32>
  return %0 : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @concat(
// CHECK-SAME: %[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<4x5xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[I:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [4, 3] [1, 1]
// CHECK: %[[J:.*]] = tensor.insert_slice %[[B]] into %[[I]][0, 3] [4, 5] [1, 1]
// CHECK: return %[[J]]
// BUF-LABEL: func.func @concat(
// BUF: memref.alloc() {{.*}} : memref<4x8xf32>
// BUF: memref.subview
// BUF: memref.copy
func.func @concat(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) -> tensor<4x8xf32> {
  %0 = kiln.concat %a, %b dim 1 : tensor<4x3xf32>, tensor<4x5xf32>
  return %0 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @pad(
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: tensor.pad %{{.*}} low[0, 1] high[2, 1]
// CHECK: tensor.yield %[[Z]] : f32
// CHECK: } : tensor<4x8xf32> to tensor<6x10xf32>
// CHECK: %[[M:.*]] = arith.constant -1 : i64
// CHECK: tensor.pad %{{.*}} low[1] high[1]
// CHECK: tensor.yield %[[M]] : i64
func.func @pad(%x: tensor<4x8xf32>, %i: tensor<3xi64>) -> (tensor<6x10xf32>, tensor<5xi64>) {
  %0 = kiln.pad %x low [0, 1] high [2, 1] : tensor<4x8xf32>
  %1 = kiln.pad %i low [1] high [1] {value = -1 : i64} : tensor<3xi64>
  return %0, %1 : tensor<6x10xf32>, tensor<5xi64>
}
