// convert-kiln-to-linalg on broadcasting: NumPy broadcasting lives in the generic's indexing maps.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-DAG: #[[ZERO:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-DAG: #[[B3:.*]] = affine_map<(d0, d1, d2) -> (0, d2)>

// CHECK-LABEL: func.func @add_broadcast(
// CHECK-SAME: %[[A:.*]]: tensor<4x1xf32>, %[[B:.*]]: tensor<8xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[COL]], #[[ROW]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<4x1xf32>, tensor<8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
// BUF-LABEL: func.func @add_broadcast(
// BUF: memref.alloc() {{.*}} : memref<4x8xf32>
// BUF: linalg.generic
func.func @add_broadcast(%a: tensor<4x1xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.add %a, %b : tensor<4x1xf32>, tensor<8xf32>
  return %0 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @mul_scalar(
// CHECK: linalg.generic {indexing_maps = [#[[ID3]], #[[SCALAR]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
func.func @mul_scalar(%a: tensor<2x3x5xi32>, %b: tensor<i32>) -> tensor<2x3x5xi32> {
  %0 = kiln.mul %a, %b : tensor<2x3x5xi32>, tensor<i32>
  return %0 : tensor<2x3x5xi32>
}

// CHECK-LABEL: func.func @where(
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ROW]], #[[ZERO]], #[[ID2]]]
// CHECK: ^bb0(%[[C:.*]]: i1, %[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.select %[[C]], %[[X]], %[[Y]] : f32
func.func @where(%c: tensor<4x1xi1>, %x: tensor<8xf32>, %y: tensor<1xf32>) -> tensor<4x8xf32> {
  %0 = kiln.where %c, %x, %y : tensor<4x1xi1>, tensor<8xf32>, tensor<1xf32>
  return %0 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @broadcast_to(
// CHECK: tensor.empty() : tensor<3x4x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[B3]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
func.func @broadcast_to(%x: tensor<1x8xf32>) -> tensor<3x4x8xf32> {
  %0 = kiln.broadcast_to %x : tensor<1x8xf32> to tensor<3x4x8xf32>
  return %0 : tensor<3x4x8xf32>
}

// A size-1 dim against size 1 keeps its dim expression (no broadcast).
// CHECK-LABEL: func.func @ones_stay(
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]], #[[ID2]]]
// CHECK: arith.subf
func.func @ones_stay(%a: tensor<1x1xf32>, %b: tensor<1x1xf32>) -> tensor<1x1xf32> {
  %0 = kiln.sub %a, %b : tensor<1x1xf32>, tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
