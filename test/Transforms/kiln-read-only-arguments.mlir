// RUN: kiln-opt %s --kiln-read-only-arguments | FileCheck %s
// RUN: kiln-opt %s --kiln-read-only-arguments --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s --check-prefix=BUF

// Tensor arguments of public functions become read-only; others are untouched.
// CHECK-LABEL: func.func @update(%{{.*}}: tensor<4xf32> {bufferization.writable = false}, %{{.*}}: f32)
// CHECK-LABEL: func.func private @helper(%{{.*}}: tensor<4xf32>)

// An in-place update of an argument writes a copy, not the caller's buffer.
// BUF-LABEL: func.func @update(
// BUF-SAME: %[[ARG:[a-z0-9]+]]: memref<4xf32>
// BUF: %[[COPY:.*]] = memref.alloc
// BUF: memref.copy %[[ARG]], %[[COPY]]
// BUF: memref.store %{{.*}}, %[[COPY]]
func.func @update(%t: tensor<4xf32>, %v: f32) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %r = tensor.insert %v into %t[%c0] : tensor<4xf32>
  return %r : tensor<4xf32>
}

func.func private @helper(%t: tensor<4xf32>) -> tensor<4xf32> {
  return %t : tensor<4xf32>
}
