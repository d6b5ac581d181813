// RUN: kiln-opt %s --kiln-stage-linalg | FileCheck %s --check-prefix=LINALG
// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=16" | FileCheck %s
// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=16" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=skylake-avx512 | FileCheck %s --check-prefix=ASM

// Kiln IR all the way down: the linalg stage starts with
// convert-kiln-to-linalg. Softmax over rows built from Kiln ops keeps its
// two reductions and one output nest, fused by kiln-fuse-rows into one
// parallel loop over rows; everything vectorizes (erf and exp as
// polynomials) and the big nests run under OpenMP.

// Unit dims dropped: the max, exp(x - max) computed once into a row buffer,
// the sum and the output nest reading it, all inside one scf.forall over rows.
// LINALG-LABEL: func.func @softmax
// LINALG-NOT: kiln.
// LINALG: scf.forall (%{{.+}}) in (256)
// LINALG: linalg.generic {{.*}}iterator_types = ["parallel"]
// LINALG: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// LINALG: arith.maximumf
// LINALG: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// LINALG: math.exp
// LINALG: linalg.generic {{.*}}iterator_types = ["parallel"]
// LINALG: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// LINALG-NOT: math.exp
// LINALG: arith.addf
// LINALG: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// LINALG-NOT: math.exp
// LINALG: arith.divf
// LINALG: scf.forall.in_parallel
// LINALG-NOT: linalg.generic
// LINALG-LABEL: func.func @gelu_erf
// LINALG-COUNT-1: linalg.generic
// LINALG-NOT: linalg.generic

// CHECK-NOT: kiln.
// CHECK-LABEL: llvm.func @softmax(
// CHECK: omp.parallel
// CHECK: llvm.intr.stacksave
// CHECK: llvm.alloca
// CHECK: llvm.intr.vector.reduce.fmaximum
// CHECK-NOT: omp.parallel
// CHECK: llvm.intr.vector.reduce.fadd
// CHECK-NOT: omp.parallel
// CHECK: llvm.fdiv {{.*}} : vector<16xf32>
// CHECK-NOT: llvm.call @malloc
// CHECK-LABEL: llvm.func @_mlir_ciface_softmax(
// CHECK-LABEL: llvm.func @gelu_erf(
// CHECK: omp.parallel
// CHECK: llvm.intr.fma{{.*}}vector<16xf32>
// CHECK-LABEL: llvm.func @_mlir_ciface_gelu_erf(

// ASM-LABEL: softmax:
// ASM-NOT: call{{.*}}{{expf|erff|fmaf}}
// ASM-LABEL: gelu_erf:
// ASM-NOT: call{{.*}}{{expf|erff|fmaf}}
// ASM: vfmadd{{...}}ps {{.*}}%zmm
// ASM-NOT: call{{.*}}{{expf|erff|fmaf}}
// ASM-LABEL: _mlir_ciface_gelu_erf:

func.func @softmax(%x: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
  %m = kiln.reduce max %x dims [1] keepdim : tensor<256x1024xf32>
  %s = kiln.sub %x, %m : tensor<256x1024xf32>, tensor<256x1xf32>
  %e = kiln.exp %s : tensor<256x1024xf32>
  %z = kiln.reduce sum %e dims [1] keepdim : tensor<256x1024xf32>
  %y = kiln.div %e, %z : tensor<256x1024xf32>, tensor<256x1xf32>
  return %y : tensor<256x1024xf32>
}

func.func @gelu_erf(%x: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %0 = kiln.gelu %x : tensor<1024x1024xf32>
  return %0 : tensor<1024x1024xf32>
}
