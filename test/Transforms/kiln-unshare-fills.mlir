// RUN: kiln-opt %s --kiln-unshare-fills --split-input-file | FileCheck %s

// Two matmuls accumulating into one (CSE-merged) zero fill: each gets its
// own tensor.empty and fill right before it, and the shared one is gone.
// CHECK-LABEL: func.func @two_matmuls
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.0
// CHECK-NEXT: %[[E1:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[F1:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E1]] : tensor<4x5xf32>)
// CHECK-NEXT: %[[M1:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3x5xf32>) outs(%[[F1]] : tensor<4x5xf32>)
// CHECK-NEXT: %[[E2:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E2]] : tensor<4x5xf32>)
// CHECK-NEXT: %[[M2:.*]] = linalg.matmul_transpose_b ins(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<5x3xf32>) outs(%[[F2]] : tensor<4x5xf32>)
// CHECK-NEXT: return %[[M1]], %[[M2]]
func.func @two_matmuls(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<5x3xf32>) -> (tensor<4x5xf32>, tensor<4x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x5xf32>) outs(%f : tensor<4x5xf32>) -> tensor<4x5xf32>
  %1 = linalg.matmul_transpose_b ins(%a, %c : tensor<4x3xf32>, tensor<5x3xf32>) outs(%f : tensor<4x5xf32>) -> tensor<4x5xf32>
  return %0, %1 : tensor<4x5xf32>, tensor<4x5xf32>
}

// -----

// A fill that is also read (not only written into) keeps that use.
// CHECK-LABEL: func.func @read_and_accumulated
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: %[[G:.*]] = linalg.fill
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3x5xf32>) outs(%[[G]] : tensor<4x5xf32>)
// CHECK: return %{{.*}}, %[[F]]
func.func @read_and_accumulated(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) -> (tensor<4x5xf32>, tensor<4x5xf32>) {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %f = linalg.fill ins(%one : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x5xf32>) outs(%f : tensor<4x5xf32>) -> tensor<4x5xf32>
  return %0, %f : tensor<4x5xf32>, tensor<4x5xf32>
}

// -----

// A tensor.empty that CSE shared between two ops: each gets its own, so
// bufferization gives each result a buffer of its own.
// CHECK-LABEL: func.func @shared_empty
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<16xf32>
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<16xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E2]] :
// CHECK: linalg.generic {{.*}} outs(%[[E1]] :
func.func @shared_empty(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.exp %in : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.log %in : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}
