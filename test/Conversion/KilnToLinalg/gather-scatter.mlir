// convert-kiln-to-linalg on gather/scatter: a generic with tensor.extract, an scf.for nest of tensor.insert.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @gather(
// CHECK-SAME: %[[X:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<4x2xi64>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[I]] : tensor<4x2xi64>) outs(%[[E]] : tensor<4x2xf32>)
// CHECK-NEXT: ^bb0(%[[IDX:.*]]: i64, %{{.*}}: f32):
// CHECK-NEXT: %[[ROW:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[COL:.*]] = arith.index_cast %[[IDX]] : i64 to index
// A memory-safety clamp only: the front end validates indices.
// CHECK: %[[LO:.*]] = arith.maxsi %[[COL]], %{{.*}} : index
// CHECK-NEXT: %[[SAFE:.*]] = arith.minsi %[[LO]], %{{.*}} : index
// CHECK-NEXT: %[[V:.*]] = tensor.extract %[[X]][%[[ROW]], %[[SAFE]]] : tensor<4x8xf32>
// CHECK-NEXT: linalg.yield %[[V]] : f32
// BUF-LABEL: func.func @gather(
// BUF: memref.load
func.func @gather(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>) -> tensor<4x2xf32> {
  %0 = kiln.gather %x, %i dim 1 : tensor<4x8xf32>, tensor<4x2xi64>
  return %0 : tensor<4x2xf32>
}

// CHECK-LABEL: func.func @scatter(
// CHECK-SAME: %[[X:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<2x8xi64>, %[[S:.*]]: tensor<2x8xf32>
// The loop writes into a copy, never into the argument.
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[C:.*]] = linalg.copy ins(%[[X]] : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: %[[R:.*]] = scf.for %[[A:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[T0:.*]] = %[[C]]) -> (tensor<4x8xf32>)
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[T1:.*]] = %[[T0]]) -> (tensor<4x8xf32>)
// CHECK: tensor.extract %[[I]][%[[A]], %[[B]]] : tensor<2x8xi64>
// CHECK: %[[SAFE:.*]] = arith.minsi
// CHECK: %[[V:.*]] = tensor.extract %[[S]][%[[A]], %[[B]]] : tensor<2x8xf32>
// CHECK: %[[U:.*]] = tensor.insert %[[V]] into %[[T1]][%[[SAFE]], %[[B]]] : tensor<4x8xf32>
// CHECK: scf.yield %[[U]]
// CHECK: return %[[R]]
// BUF-LABEL: func.func @scatter(
// BUF-SAME: %[[BX:.*]]: memref<4x8xf32, {{.*}}>,
// BUF: %[[BA:.*]] = memref.alloc() {{.*}} : memref<4x8xf32>
// BUF: linalg.copy ins(%[[BX]] : {{.*}}) outs(%[[BA]] : memref<4x8xf32>)
// BUF: scf.for
// BUF: memref.store
func.func @scatter(%x: tensor<4x8xf32>, %i: tensor<2x8xi64>, %s: tensor<2x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.scatter %x, %i, %s dim 0 : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
  return %0 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @scatter_add(
// CHECK: scf.for %{{.*}} iter_args(%[[T:.*]] = %{{.*}}) -> (tensor<5xi32>)
// CHECK: %[[SAFE:.*]] = arith.minsi
// CHECK: %[[V:.*]] = tensor.extract %{{.*}} : tensor<3xi32>
// CHECK: %[[OLD:.*]] = tensor.extract %[[T]][%[[SAFE]]] : tensor<5xi32>
// CHECK: %[[SUM:.*]] = arith.addi %[[OLD]], %[[V]] : i32
// CHECK: tensor.insert %[[SUM]] into %[[T]][%[[SAFE]]] : tensor<5xi32>
func.func @scatter_add(%x: tensor<5xi32>, %i: tensor<3xi64>, %s: tensor<3xi32>) -> tensor<5xi32> {
  %0 = kiln.scatter %x, %i, %s dim 0 reduce add : tensor<5xi32>, tensor<3xi64>, tensor<3xi32>
  return %0 : tensor<5xi32>
}
