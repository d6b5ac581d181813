// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-forall-to-affine))' | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-forall-to-affine{parallel=false}))' | FileCheck %s --check-prefix=SEQ

// A bufferized row loop of kiln-fuse-rows, its nests already affine loops
// over row subviews. The forall becomes an affine.for marked kiln.parallel;
// the subview accesses become accesses of %x and %y indexed by the row; the
// per-row accumulator moves from malloc to the stack of an alloca_scope.
// CHECK-LABEL: func.func @row_loop
// CHECK-NOT: scf.forall
// CHECK: affine.for %[[I:.+]] = 0 to 512 {
// CHECK:   memref.alloca_scope {
// CHECK:     %[[ACC:.+]] = memref.alloca() {alignment = 64 : i64} : memref<1xf32>
// CHECK-NOT: memref.subview
// CHECK:     affine.for %[[J:.+]] = 0 to 1024
// CHECK:       affine.load %{{.+}}[%[[I]], %[[J]]] : memref<512x1024xf32>
// CHECK:     affine.for %[[K:.+]] = 0 to 1024
// CHECK:       affine.load %{{.+}}[%[[I]], %[[K]]] : memref<512x1024xf32>
// CHECK:       affine.store %{{.+}}, %{{.+}}[%[[I]], %[[K]]] : memref<512x1024xf32>
// CHECK-NOT: memref.dealloc
// CHECK: } {kiln.parallel}

// SEQ-LABEL: func.func @row_loop
// SEQ: affine.for %{{.+}} = 0 to 512 {
// SEQ-NOT: kiln.parallel
func.func @row_loop(%x: memref<512x1024xf32>, %y: memref<512x1024xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) in (512) {
    %row = memref.subview %x[%i, 0] [1, 1024] [1, 1] : memref<512x1024xf32> to memref<1024xf32, strided<[1], offset: ?>>
    %acc = memref.alloc() {alignment = 64 : i64} : memref<1xf32>
    affine.store %zero, %acc[0] : memref<1xf32>
    %sum = affine.for %j = 0 to 1024 iter_args(%s = %zero) -> (f32) {
      %v = affine.load %row[%j] : memref<1024xf32, strided<[1], offset: ?>>
      %n = arith.addf %s, %v : f32
      affine.yield %n : f32
    }
    affine.store %sum, %acc[0] : memref<1xf32>
    %out = memref.subview %y[%i, 0] [1, 1024] [1, 1] : memref<512x1024xf32> to memref<1024xf32, strided<[1], offset: ?>>
    affine.for %k = 0 to 1024 {
      %v = affine.load %row[%k] : memref<1024xf32, strided<[1], offset: ?>>
      %t = affine.load %acc[0] : memref<1xf32>
      %q = arith.divf %v, %t : f32
      affine.store %q, %out[%k] : memref<1024xf32, strided<[1], offset: ?>>
    }
    memref.dealloc %acc : memref<1xf32>
  }
  return
}
