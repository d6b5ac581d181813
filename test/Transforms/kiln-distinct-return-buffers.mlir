// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-distinct-return-buffers))' | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-distinct-return-buffers),buffer-results-to-out-params{hoist-static-allocs})' | FileCheck %s --check-prefix=OUT

// The second use of a returned buffer and a returned argument each get a
// fresh buffer and a copy; the first use of %a stays.
// CHECK-LABEL: func.func @twice
// CHECK: %[[A:.+]] = memref.alloc() : memref<4xf32>
// CHECK: %[[C1:.+]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[A]], %[[C1]]
// CHECK: %[[C2:.+]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %arg0, %[[C2]]
// CHECK: return %[[A]], %[[C1]], %[[C2]]
// After out-params: three out-params, the first written in place.
// OUT: func.func @twice(%{{.+}}: memref<4xf32>, %[[O1:.+]]: memref<4xf32>, %[[O2:.+]]: memref<4xf32>, %[[O3:.+]]: memref<4xf32>)
// OUT: linalg.fill {{.*}} outs(%[[O1]]
// OUT: memref.copy %[[O1]], %[[O2]]
// OUT: memref.copy %arg0, %[[O3]]
func.func @twice(%arg0: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%one : f32) outs(%a : memref<4xf32>)
  return %a, %a, %arg0 : memref<4xf32>, memref<4xf32>, memref<4xf32>
}
