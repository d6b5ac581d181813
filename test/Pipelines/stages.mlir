// RUN: kiln-opt %s --kiln-stage-linalg | FileCheck %s --check-prefix=LINALG
// RUN: kiln-opt %s --kiln-stage-linalg --kiln-stage-bufferized | FileCheck %s --check-prefix=BUF
// RUN: kiln-opt %s --kiln-stage-linalg --kiln-stage-bufferized --kiln-stage-loops | FileCheck %s --check-prefix=LOOPS
// RUN: kiln-opt %s --kiln-stage-linalg --kiln-stage-bufferized --kiln-stage-loops --kiln-stage-vectorized="vector-width=16" | FileCheck %s --check-prefix=VEC
// RUN: kiln-opt %s --kiln-stage-linalg --kiln-stage-bufferized --kiln-stage-loops --kiln-stage-vectorized="vector-width=16" --kiln-stage-parallel | FileCheck %s --check-prefix=PAR
// RUN: kiln-opt %s --kiln-lower-to-linalg | FileCheck %s --check-prefix=LINALG

// Each stage alone, on a bias add + relu over 512x256 (128K elements: above
// the parallel threshold).

// LINALG-LABEL: func.func @bias_relu
// LINALG-COUNT-1: linalg.generic
// LINALG-NOT: linalg.generic
// LINALG: return %{{.+}} : tensor<512x256xf32>

// The result became an out-param; no allocation or copy is left in the body.
// BUF-LABEL: func.func @bias_relu(%{{.+}}: memref<512x256xf32>, %{{.+}}: memref<256xf32>, %{{.+}}: memref<512x256xf32>)
// BUF-SAME: llvm.emit_c_interface
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: linalg.generic
// BUF: return

// LOOPS: affine.for %{{.+}} = 0 to 512 {
// LOOPS:   affine.for %{{.+}} = 0 to 256 {
// LOOPS:     affine.load
// LOOPS: } {kiln.parallel}

// VEC: affine.for %{{.+}} = 0 to 512 {
// VEC:   affine.for %{{.+}} = 0 to 256 step 16 {
// VEC:     vector.transfer_read {{.*}} vector<16xf32>
// VEC:     arith.maximumf {{.*}} : vector<16xf32>
// VEC: } {kiln.parallel}

// PAR: omp.parallel
// PAR: omp.wsloop
// PAR: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// PAR:   vector.transfer_read
func.func @bias_relu(%x: tensor<512x256xf32>, %b: tensor<256xf32>) -> tensor<512x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<512x256xf32>
  %bb = linalg.broadcast ins(%b : tensor<256xf32>) outs(%e : tensor<512x256xf32>) dimensions = [0]
  %s = arith.addf %x, %bb : tensor<512x256xf32>
  %z = arith.constant dense<0.0> : tensor<512x256xf32>
  %r = arith.maximumf %s, %z : tensor<512x256xf32>
  return %r : tensor<512x256xf32>
}
