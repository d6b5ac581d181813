// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-mark-parallel-loops))' | FileCheck %s

// 256 x 1024 = 256K iterations: the row loop is marked, the inner one not.
// CHECK-LABEL: func.func @big_2d
// CHECK: affine.for %{{.+}} = 0 to 256 {
// CHECK:   affine.for %{{.+}} = 0 to 1024 {
// CHECK:   }
// CHECK-NEXT: } {kiln.parallel}
func.func @big_2d(%x: memref<256x1024xf32>, %y: memref<256x1024xf32>) {
  affine.for %i = 0 to 256 {
    affine.for %j = 0 to 1024 {
      %a = affine.load %x[%i, %j] : memref<256x1024xf32>
      %b = arith.addf %a, %a : f32
      affine.store %b, %y[%i, %j] : memref<256x1024xf32>
    }
  }
  return
}

// -----

// A single loop of 1M iterations is strip-mined: chunks of 4096 run in
// parallel, the loop over a chunk stays for the vectorizer.
// CHECK-LABEL: func.func @big_1d
// CHECK: affine.for %[[C:.+]] = 0 to 1048576 step 4096 {
// CHECK:   affine.for %{{.+}} = #{{.+}}(%[[C]]) to #{{.+}}(%[[C]]) {
// CHECK:   }
// CHECK-NEXT: } {kiln.parallel}
func.func @big_1d(%x: memref<1048576xf32>, %y: memref<1048576xf32>) {
  affine.for %i = 0 to 1048576 {
    %a = affine.load %x[%i] : memref<1048576xf32>
    %b = arith.addf %a, %a : f32
    affine.store %b, %y[%i] : memref<1048576xf32>
  }
  return
}

// -----

// 64 x 64 = 4K iterations: not worth a parallel region.
// CHECK-LABEL: func.func @small
// CHECK-NOT: kiln.parallel
func.func @small(%x: memref<64x64xf32>, %y: memref<64x64xf32>) {
  affine.for %i = 0 to 64 {
    affine.for %j = 0 to 64 {
      %a = affine.load %x[%i, %j] : memref<64x64xf32>
      affine.store %a, %y[%i, %j] : memref<64x64xf32>
    }
  }
  return
}

// -----

// The outer loop carries a dependence (a prefix sum over rows): sequential.
// CHECK-LABEL: func.func @dependent
// CHECK-NOT: kiln.parallel
func.func @dependent(%y: memref<512x512xf32>) {
  affine.for %i = 1 to 512 {
    affine.for %j = 0 to 512 {
      %a = affine.load %y[%i - 1, %j] : memref<512x512xf32>
      %b = affine.load %y[%i, %j] : memref<512x512xf32>
      %c = arith.addf %a, %b : f32
      affine.store %c, %y[%i, %j] : memref<512x512xf32>
    }
  }
  return
}
