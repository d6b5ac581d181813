// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-parallelize-outer-loops))' | FileCheck %s

// Marked loops (already vectorized: affine's dependence analysis would
// refuse the vector transfers) become affine.parallel; unmarked ones stay.
// CHECK-LABEL: func.func @marked
// CHECK: affine.parallel (%[[I:.+]]) = (0) to (256) {
// CHECK:   affine.for %{{.+}} = 0 to 1024 step 16 {
// CHECK:     vector.transfer_read %{{.+}}[%[[I]], %{{.+}}]
// CHECK-NOT: kiln.parallel
// CHECK: affine.for %{{.+}} = 0 to 8 {
func.func @marked(%x: memref<256x1024xf32>, %y: memref<256x1024xf32>, %z: memref<8xf32>) {
  %pad = arith.constant 0.0 : f32
  affine.for %i = 0 to 256 {
    affine.for %j = 0 to 1024 step 16 {
      %a = vector.transfer_read %x[%i, %j], %pad : memref<256x1024xf32>, vector<16xf32>
      vector.transfer_write %a, %y[%i, %j] : vector<16xf32>, memref<256x1024xf32>
    }
  } {kiln.parallel}
  affine.for %k = 0 to 8 {
    affine.store %pad, %z[%k] : memref<8xf32>
  }
  return
}
