// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=16" | FileCheck %s --check-prefixes=CHECK,PAR
// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=8 parallelize=false" | FileCheck %s --check-prefixes=CHECK,SEQ
// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=16" | FileCheck %s --check-prefix=ONLY-LLVM

// A large elementwise function and a row reduction go all the way to the
// LLVM dialect: vector code of the requested width, OpenMP loops only when
// parallel, and a C interface wrapper for each public function.

// CHECK-LABEL: llvm.func @gelu(
// PAR: omp.parallel
// PAR: omp.wsloop
// CHECK: llvm.intr.fma{{.*}}vector<{{16|8}}xf32>
// CHECK-LABEL: llvm.func @_mlir_ciface_gelu(
// CHECK-LABEL: llvm.func @row_max(
// PAR: omp.parallel
// SEQ-NOT: omp.
// CHECK: llvm.intr.maximum{{.*}}vector<{{16|8}}xf32>
// CHECK: llvm.intr.vector.reduce.fmaximum
// CHECK-LABEL: llvm.func @_mlir_ciface_row_max(

// Nothing but the LLVM and OpenMP dialects is left.
// ONLY-LLVM-NOT: {{^ *(func|arith|math|memref|vector|scf|affine|linalg|tensor|cf|bufferization)\.}}
// ONLY-LLVM-NOT: vector<8xf32>

func.func @gelu(%x: tensor<512x1024xf32>) -> tensor<512x1024xf32> {
  %c05 = arith.constant dense<0.5> : tensor<512x1024xf32>
  %c1 = arith.constant dense<1.0> : tensor<512x1024xf32>
  %ck = arith.constant dense<0.7978845608> : tensor<512x1024xf32>
  %cc = arith.constant dense<0.044715> : tensor<512x1024xf32>
  %x2 = arith.mulf %x, %x : tensor<512x1024xf32>
  %x3 = arith.mulf %x2, %x : tensor<512x1024xf32>
  %t = arith.mulf %x3, %cc : tensor<512x1024xf32>
  %u = arith.addf %x, %t : tensor<512x1024xf32>
  %v = arith.mulf %u, %ck : tensor<512x1024xf32>
  %th = math.tanh %v : tensor<512x1024xf32>
  %w = arith.addf %th, %c1 : tensor<512x1024xf32>
  %y = arith.mulf %x, %w : tensor<512x1024xf32>
  %z = arith.mulf %y, %c05 : tensor<512x1024xf32>
  return %z : tensor<512x1024xf32>
}

func.func @row_max(%x: tensor<256x1024xf32>) -> tensor<256xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<256xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<256xf32>) -> tensor<256xf32>
  %max = linalg.reduce ins(%x : tensor<256x1024xf32>) outs(%mi : tensor<256xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %m = arith.maximumf %a, %acc : f32
      linalg.yield %m : f32
    }
  return %max : tensor<256xf32>
}
