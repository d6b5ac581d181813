// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-affine-vectorize{vector-size=8}))" | FileCheck %s

// A unit-stride elementwise loop is vectorized.
// CHECK-LABEL: func.func @unit_stride
// CHECK: affine.for %{{.*}} = 0 to 64 step 8
// CHECK: vector.transfer_read
// CHECK: vector.transfer_write
func.func @unit_stride(%a: memref<64xf32>, %b: memref<64xf32>) {
  affine.for %i = 0 to 64 {
    %x = affine.load %a[%i] : memref<64xf32>
    %y = arith.addf %x, %x : f32
    affine.store %y, %b[%i] : memref<64xf32>
  }
  return
}

// -----

// A dilated window reads every other element: MLIR 19's affine-super-vectorize
// reads consecutive ones here; the loop must stay scalar.
// CHECK-LABEL: func.func @stride_two
// CHECK-NOT: vector.
// CHECK: affine.for %{{.*}} = 0 to 32 {
// CHECK-NOT: vector.
func.func @stride_two(%a: memref<64xf32>, %b: memref<32xf32>) {
  affine.for %i = 0 to 32 {
    %x = affine.load %a[%i * 2] : memref<64xf32>
    affine.store %x, %b[%i] : memref<32xf32>
  }
  return
}

// -----

// A reduction whose accesses are unit-stride is vectorized with its iter_arg.
// CHECK-LABEL: func.func @sum
// CHECK: affine.for %{{.*}} = 0 to 64 step 8 iter_args(%{{.*}} = %{{.*}}) -> (vector<8xf32>)
// CHECK: vector.reduction <add>
func.func @sum(%a: memref<64xf32>, %out: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  %s = affine.for %i = 0 to 64 iter_args(%acc = %zero) -> (f32) {
    %x = affine.load %a[%i] : memref<64xf32>
    %n = arith.addf %acc, %x : f32
    affine.yield %n : f32
  }
  affine.store %s, %out[] : memref<f32>
  return
}

// -----

// The loop index inside a division is not a stride-one access either.
// CHECK-LABEL: func.func @floordiv
// CHECK-NOT: vector.
func.func @floordiv(%a: memref<32xf32>, %b: memref<64xf32>) {
  affine.for %i = 0 to 64 {
    %x = affine.load %a[%i floordiv 2] : memref<32xf32>
    affine.store %x, %b[%i] : memref<64xf32>
  }
  return
}

// -----

// A loop of fewer iterations than half a vector (a 2x2 pooling window's row)
// stays scalar: masked vectors of 8 lanes would be 3/4 padding. A loop of 4
// (half a vector) is vectorized.
// CHECK-LABEL: func.func @short_loops
// CHECK: affine.for %{{.*}} = 0 to 3 {
// CHECK-NEXT: affine.load
// CHECK: affine.for %{{.*}} = 0 to 4 step 8
// CHECK: vector.transfer_read
func.func @short_loops(%a: memref<3xf32>, %b: memref<3xf32>, %c: memref<4xf32>, %d: memref<4xf32>) {
  affine.for %i = 0 to 3 {
    %x = affine.load %a[%i] : memref<3xf32>
    affine.store %x, %b[%i] : memref<3xf32>
  }
  affine.for %i = 0 to 4 {
    %x = affine.load %c[%i] : memref<4xf32>
    affine.store %x, %d[%i] : memref<4xf32>
  }
  return
}
