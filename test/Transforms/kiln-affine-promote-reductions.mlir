// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-affine-promote-reductions))' | FileCheck %s

// The row accumulator moves from memory into an iter_arg: one load before
// and one store after the inner loop.
// CHECK-LABEL: func.func @row_sum
// CHECK: affine.for %[[I:.+]] = 0 to 8 {
// CHECK:   %[[INIT:.+]] = affine.load %{{.+}}[%[[I]]]
// CHECK:   %[[R:.+]] = affine.for %{{.+}} = 0 to 128 iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32) {
// CHECK:     %[[X:.+]] = affine.load
// CHECK:     %[[S:.+]] = arith.addf %[[X]], %[[ACC]]
// CHECK:     affine.yield %[[S]]
// CHECK:   }
// CHECK:   affine.store %[[R]], %{{.+}}[%[[I]]]
func.func @row_sum(%x: memref<8x128xf32>, %out: memref<8xf32>) {
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 128 {
      %a = affine.load %x[%i, %j] : memref<8x128xf32>
      %acc = affine.load %out[%i] : memref<8xf32>
      %s = arith.addf %a, %acc : f32
      affine.store %s, %out[%i] : memref<8xf32>
    }
  }
  return
}

// -----

// A column sum stores a different element in each inner iteration: nothing
// to promote.
// CHECK-LABEL: func.func @col_sum
// CHECK-NOT: iter_args
func.func @col_sum(%x: memref<8x128xf32>, %out: memref<128xf32>) {
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 128 {
      %a = affine.load %x[%i, %j] : memref<8x128xf32>
      %acc = affine.load %out[%j] : memref<128xf32>
      %s = arith.addf %a, %acc : f32
      affine.store %s, %out[%j] : memref<128xf32>
    }
  }
  return
}

// -----

// A second read of the accumulator's memref in the loop (another element)
// blocks the promotion.
// CHECK-LABEL: func.func @other_access
// CHECK-NOT: iter_args
func.func @other_access(%x: memref<8x128xf32>, %out: memref<8xf32>) {
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 128 {
      %a = affine.load %x[%i, %j] : memref<8x128xf32>
      %acc = affine.load %out[%i] : memref<8xf32>
      %o = affine.load %out[0] : memref<8xf32>
      %s = arith.addf %a, %acc : f32
      %t = arith.addf %s, %o : f32
      affine.store %t, %out[%i] : memref<8xf32>
    }
  }
  return
}
