// kiln-run's errors: a missing file, a wrong number of inputs, a dtype or shape that differs from the signature, bad IR.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/f32.npy', np.zeros((2, 3), np.float32)); np.save('%t/f64.npy', np.zeros((2, 3), np.float64)); np.save('%t/shape.npy', np.zeros((3, 2), np.float32))"
// RUN: export KILN_CACHE_DIR=%t/cache
// RUN: not kiln-run %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not kiln-run %s --input %t/f32.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not kiln-run %s --input %t/f32.npy --input %t/f64.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not kiln-run %s --input %t/shape.npy --input %t/f32.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not kiln-run %s --input %t/f32.npy --input %t/nothere.npy 2>&1 | FileCheck %s --check-prefix=NPY
// RUN: not kiln-run %s --entry nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not kiln-run %s --time x 2>&1 | FileCheck %s --check-prefix=USAGE

// MISSING: kiln-run: error: cannot open {{.*}}missing.mlir: No such file or directory
// COUNT: kiln-run: error: @g takes 2 input(s) (f32[2, 3], f32[2, 3]) -> (f32[2, 3]), but 1 --input were given
// DTYPE: kiln-run: error: g(): input 1 has dtype float64, but the function expects float32
// SHAPE: kiln-run: error: g(): input 0 has shape [3, 2], but the function expects [2, 3]
// NPY: kiln-run: error: readNpy(): cannot open {{.*}}nothere.npy
// ENTRY: error: no function @nope to compile
// ENTRY: kiln-run: error: cannot compile
// USAGE: kiln-run: error: --time needs a non-negative integer, got 'x'
// USAGE: usage: kiln-run FILE.mlir

func.func @g(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.add %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
