// RUN: kiln-opt %s --kiln-stage-linalg | FileCheck %s

// A traced training step holds the forward twice: autodiff recomputes the
// values its gradients need. Here the copy the backward reads also returns
// its ReLU (a second use), as a max-pool backward reads its input. The linalg
// stage runs CSE on the Kiln ops before fusion, so the two copies are one and
// there is one matmul; fused first, the single-use ReLU of one copy and the
// two-use ReLU of the other became different generics, and the matmul after
// them ran twice (the CNN's fc1 and fc2 forward).
// CHECK-LABEL: func.func @recomputed
// CHECK-COUNT-1: linalg.matmul
// CHECK-NOT: linalg.matmul
// CHECK: return
func.func @recomputed(%x: tensor<64x4x4x6xf32>, %mask: tensor<64x4x4x6xf32>, %w: tensor<32x96xf32>)
    -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x4x4x6xf32>) {
  %p = kiln.relu %x : tensor<64x4x4x6xf32>
  %m = kiln.mul %p, %mask : tensor<64x4x4x6xf32>, tensor<64x4x4x6xf32>
  %r = kiln.reshape %m : tensor<64x4x4x6xf32> to tensor<64x96xf32>
  %wt = kiln.permute %w [1, 0] : tensor<32x96xf32>
  %h = kiln.matmul %r, %wt : tensor<64x96xf32>, tensor<96x32xf32>
  %p2 = kiln.relu %x : tensor<64x4x4x6xf32>
  %m2 = kiln.mul %p2, %mask : tensor<64x4x4x6xf32>, tensor<64x4x4x6xf32>
  %r2 = kiln.reshape %m2 : tensor<64x4x4x6xf32> to tensor<64x96xf32>
  %wt2 = kiln.permute %w [1, 0] : tensor<32x96xf32>
  %h2 = kiln.matmul %r2, %wt2 : tensor<64x96xf32>, tensor<96x32xf32>
  return %h, %h2, %p2 : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x4x4x6xf32>
}
