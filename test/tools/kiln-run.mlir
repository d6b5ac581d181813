// kiln-run compiles a Kiln function, runs it on .npy inputs and writes .npy results whose values NumPy checks.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/a.npy', np.arange(4, dtype=np.float32).reshape(4, 1) / 4); np.save('%t/b.npy', np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8))"
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %s --entry f --input %t/a.npy --input %t/b.npy --output %t/y.npy --output %t/s.npy --print | FileCheck %s
// RUN: %python -c "import numpy as np; a = np.load('%t/a.npy'); b = np.load('%t/b.npy'); y = np.load('%t/y.npy'); s = np.load('%t/s.npy'); assert y.shape == (4, 8) and y.dtype == np.float32; assert np.allclose(y, np.exp(a * b)), y; assert np.allclose(s, np.exp(a * b).sum(1)), s"
//
// A second run is served by the disk cache and times N runs.
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %s --input %t/a.npy --input %t/b.npy --time 5 | FileCheck %s --check-prefix=TIME
// RUN: ls %t/cache | count 1
//
// Random inputs are reproducible for a given seed.
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %s --seed 7 --print > %t/r1.txt
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %s --seed 7 --print > %t/r2.txt
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %s --seed 8 --print > %t/r3.txt
// RUN: diff %t/r1.txt %t/r2.txt
// RUN: not diff %t/r1.txt %t/r3.txt

// CHECK: result 0: f32[4, 8]
// CHECK-NEXT: 1 1 1 1 1 1 1 1 0.778801 0.836464 0.898397 0.964916 1.03636 1.11309 1.19551 1.28403 0.606531 0.699673 0.807118 0.931063 1.07404 1.23898 1.42924 1.64872 0.472367 0.585251 0.725112 0.898397 1.11309 1.3791 1.70867 2.117
// CHECK-NEXT: result 1: f32[4]
// CHECK-NEXT: 8 8.10756 8.43536 8.99899
// TIME: @f: median {{[0-9.]+}} ms over 5 runs

func.func @f(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>) -> (tensor<4x8xf32>, tensor<4xf32>) {
  %0 = kiln.mul %a, %b : tensor<4x1xf32>, tensor<1x8xf32>
  %1 = kiln.exp %0 : tensor<4x8xf32>
  %2 = kiln.reduce sum %1 dims [1] : tensor<4x8xf32>
  return %1, %2 : tensor<4x8xf32>, tensor<4xf32>
}
