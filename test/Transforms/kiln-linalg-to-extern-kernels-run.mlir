// Runs the rewritten calls against libkiln_runtime.so: checks the C-interface ABI end to end.
// RUN: kiln-opt %s --kiln-linalg-to-extern-kernels \
// RUN: | mlir-opt --convert-linalg-to-loops --expand-strided-metadata --lower-affine \
// RUN:   --convert-scf-to-cf --finalize-memref-to-llvm --convert-arith-to-llvm \
// RUN:   --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts \
// RUN: | mlir-cpu-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%kiln_lib/libkiln_runtime.so,%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)

func.func @main() {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %a = memref.alloc() : memref<3x4xf32>
  %b = memref.alloc() : memref<4x5xf32>
  %c = memref.alloc() : memref<3x5xf32>
  %bias = memref.alloc() : memref<5xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<3x4xf32>)
  linalg.fill ins(%two : f32) outs(%b : memref<4x5xf32>)
  linalg.fill ins(%one : f32) outs(%bias : memref<5xf32>)

  // Overwrite: every element is 4 * 1 * 2.
  linalg.fill ins(%zero : f32) outs(%c : memref<3x5xf32>)
  linalg.matmul ins(%a, %b : memref<3x4xf32>, memref<4x5xf32>) outs(%c : memref<3x5xf32>)
  %u = memref.cast %c : memref<3x5xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  // CHECK: rank = 2 {{.*}} sizes = [3, 5]
  // CHECK-COUNT-3: {{\[}}8,{{ +}}8,{{ +}}8,{{ +}}8,{{ +}}8]

  // Accumulate: 8 + 8.
  linalg.matmul ins(%a, %b : memref<3x4xf32>, memref<4x5xf32>) outs(%c : memref<3x5xf32>)
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  // CHECK-COUNT-3: {{\[}}16,{{ +}}16,{{ +}}16,{{ +}}16,{{ +}}16]

  // Bias: 8 + 1.
  linalg.broadcast ins(%bias : memref<5xf32>) outs(%c : memref<3x5xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<3x4xf32>, memref<4x5xf32>) outs(%c : memref<3x5xf32>)
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  // CHECK-COUNT-3: {{\[}}9,{{ +}}9,{{ +}}9,{{ +}}9,{{ +}}9]

  // Conv 1x2x4x4 (ones) with 3x2x3x3 (twos), stride 1: 2*9*2 = 36 everywhere.
  %x = memref.alloc() : memref<1x2x4x4xf32>
  %w = memref.alloc() : memref<3x2x3x3xf32>
  %y = memref.alloc() : memref<1x3x2x2xf32>
  linalg.fill ins(%one : f32) outs(%x : memref<1x2x4x4xf32>)
  linalg.fill ins(%two : f32) outs(%w : memref<3x2x3x3xf32>)
  linalg.fill ins(%zero : f32) outs(%y : memref<1x3x2x2xf32>)
  linalg.conv_2d_nchw_fchw ins(%x, %w : memref<1x2x4x4xf32>, memref<3x2x3x3xf32>) outs(%y : memref<1x3x2x2xf32>)
  %uy = memref.cast %y : memref<1x3x2x2xf32> to memref<*xf32>
  call @printMemrefF32(%uy) : (memref<*xf32>) -> ()
  // CHECK: rank = 4
  // CHECK-COUNT-6: {{\[}}36,{{ +}}36]

  memref.dealloc %a : memref<3x4xf32>
  memref.dealloc %b : memref<4x5xf32>
  memref.dealloc %c : memref<3x5xf32>
  memref.dealloc %bias : memref<5xf32>
  memref.dealloc %x : memref<1x2x4x4xf32>
  memref.dealloc %w : memref<3x2x3x3xf32>
  memref.dealloc %y : memref<1x3x2x2xf32>
  return
}
