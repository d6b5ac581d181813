// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=16 parallelize=false" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=skylake-avx512 | FileCheck %s --check-prefix=AVX512
// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=8 parallelize=false" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=haswell | FileCheck %s --check-prefix=AVX2
// RUN: kiln-opt %s --kiln-lower-to-llvm="vector-width=16" | mlir-translate --mlir-to-llvmir | llc -O3 -mtriple=x86_64-unknown-linux-gnu -mcpu=skylake-avx512 | FileCheck %s --check-prefix=OMP

// The fused GELU loop compiles to packed FMAs on full registers, with tanh
// as a polynomial: no libm call (expf/tanhf, or fmaf per lane) anywhere.
// AVX512-LABEL: gelu:
// AVX512: vfmadd{{...}}ps {{.*}}%zmm
// AVX512-NOT: call{{.*}}{{expf|tanhf|fmaf}}
// AVX512-LABEL: _mlir_ciface_gelu:
// AVX2-LABEL: gelu:
// AVX2: vfmadd{{...}}ps {{.*}}%ymm
// AVX2-NOT: call{{.*}}{{expf|tanhf|fmaf}}
// AVX2-LABEL: _mlir_ciface_gelu:
// The parallel version forks an OpenMP team around the same loop.
// OMP-LABEL: gelu:
// OMP: __kmpc_fork_call
// OMP-NOT: call{{.*}}{{expf|tanhf|fmaf}}
// OMP: vfmadd{{...}}ps {{.*}}%zmm
// OMP-NOT: call{{.*}}{{expf|tanhf|fmaf}}
// OMP-LABEL: _mlir_ciface_gelu:
func.func @gelu(%x: tensor<4194304xf32>) -> tensor<4194304xf32> {
  %c05 = arith.constant dense<0.5> : tensor<4194304xf32>
  %c1 = arith.constant dense<1.0> : tensor<4194304xf32>
  %ck = arith.constant dense<0.7978845608> : tensor<4194304xf32>
  %cc = arith.constant dense<0.044715> : tensor<4194304xf32>
  %x2 = arith.mulf %x, %x : tensor<4194304xf32>
  %x3 = arith.mulf %x2, %x : tensor<4194304xf32>
  %t = arith.mulf %x3, %cc : tensor<4194304xf32>
  %u = arith.addf %x, %t : tensor<4194304xf32>
  %v = arith.mulf %u, %ck : tensor<4194304xf32>
  %th = math.tanh %v : tensor<4194304xf32>
  %w = arith.addf %th, %c1 : tensor<4194304xf32>
  %y = arith.mulf %x, %w : tensor<4194304xf32>
  %z = arith.mulf %y, %c05 : tensor<4194304xf32>
  return %z : tensor<4194304xf32>
}
