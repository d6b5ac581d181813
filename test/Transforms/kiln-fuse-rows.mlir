// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-fuse-rows),canonicalize,cse)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kiln-fuse-rows{tile-rows=4}),canonicalize,cse)' | FileCheck %s --check-prefix=TILE4

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Softmax as kiln-fuse-elementwise leaves it: row max; exp(x - max) summed;
// exp(x - max) / sum. The three nests become one loop over rows, each
// reading one row of %x.
// CHECK-LABEL: func.func @softmax
// CHECK: %[[OUT:.+]] = tensor.empty() : tensor<512x1024xf32>
// CHECK: scf.forall (%[[I:.+]]) in (512) shared_outs(%[[ACC:.+]] = %[[OUT]])
// CHECK:   %[[ROW:.+]] = tensor.extract_slice %{{.+}}[%[[I]], 0] [1, 1024] [1, 1] : tensor<512x1024xf32> to tensor<1x1024xf32>
// CHECK:   linalg.fill {{.*}} -> tensor<1xf32>
// CHECK:   %[[MAX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[ROW]] : tensor<1x1024xf32>)
// CHECK:     arith.maximumf
// CHECK:   linalg.fill {{.*}} -> tensor<1xf32>
// CHECK:   %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[ROW]], %[[MAX]] :
// CHECK:     math.exp
// CHECK:   %[[DST:.+]] = tensor.extract_slice %[[ACC]][%[[I]], 0] [1, 1024] [1, 1]
// CHECK:   %[[Y:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[ROW]], %[[MAX]], %[[SUM]] : {{.*}}) outs(%[[DST]] : tensor<1x1024xf32>)
// CHECK:     arith.divf
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[Y]] into %[[ACC]][%[[I]], 0] [1, 1024] [1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return

// TILE4-LABEL: func.func @softmax
// TILE4: scf.forall (%{{.+}}) = (0) to (512) step (4)
// TILE4: tensor.extract_slice {{.*}} [4, 1024] [1, 1] : tensor<512x1024xf32> to tensor<4x1024xf32>
func.func @softmax(%x: tensor<512x1024xf32>) -> tensor<512x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e0 = tensor.empty() : tensor<512xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<512xf32>) -> tensor<512xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<512x1024xf32>) outs(%m0 : tensor<512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<512xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<512xf32>) -> tensor<512xf32>
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<512x1024xf32>, tensor<512xf32>) outs(%s0 : tensor<512xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    %1 = math.exp %0 : f32
    %2 = arith.addf %out, %1 : f32
    linalg.yield %2 : f32
  } -> tensor<512xf32>
  %e1 = tensor.empty() : tensor<512x1024xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %s : tensor<512x1024xf32>, tensor<512xf32>, tensor<512xf32>) outs(%e1 : tensor<512x1024xf32>) {
  ^bb0(%in: f32, %mx: f32, %sum: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    %1 = math.exp %0 : f32
    %2 = arith.divf %1, %sum : f32
    linalg.yield %2 : f32
  } -> tensor<512x1024xf32>
  return %y : tensor<512x1024xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#keep = affine_map<(d0, d1) -> (d0, 0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#keep3 = affine_map<(d0, d1, d2) -> (d0, d1)>

// A keepdim reduction reaches its user through tensor.expand_shape: the
// unit dims are dropped first, then the two nests fuse.
// CHECK-LABEL: func.func @keepdim_mean
// CHECK-NOT: tensor.expand_shape
// CHECK: scf.forall (%{{.+}}) in (512)
// CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.generic
func.func @keepdim_mean(%x: tensor<512x1024xf32>) -> tensor<512x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 1024.0 : f32
  %e0 = tensor.empty() : tensor<512x1xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<512x1xf32>) -> tensor<512x1xf32>
  %x3 = tensor.expand_shape %x [[0, 1], [2]] output_shape [512, 1, 1024] : tensor<512x1024xf32> into tensor<512x1x1024xf32>
  %s = linalg.generic {indexing_maps = [#id3, #keep3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x3 : tensor<512x1x1024xf32>) outs(%s0 : tensor<512x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<512x1xf32>
  %e1 = tensor.empty() : tensor<512x1024xf32>
  %y = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<512x1024xf32>, tensor<512x1xf32>) outs(%e1 : tensor<512x1024xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %0 = arith.divf %sum, %n : f32
    %1 = arith.subf %in, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<512x1024xf32>
  return %y : tensor<512x1024xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The row sums are also returned: fusing them would compute them twice, so
// only the consumer's own nest remains and nothing is tiled.
// CHECK-LABEL: func.func @reduction_used_outside
// CHECK-NOT: scf.forall
// CHECK: return
func.func @reduction_used_outside(%x: tensor<512x1024xf32>) -> (tensor<512x1024xf32>, tensor<512xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<512xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<512xf32>) -> tensor<512xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<512x1024xf32>) outs(%s0 : tensor<512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<512xf32>
  %e1 = tensor.empty() : tensor<512x1024xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<512x1024xf32>, tensor<512xf32>) outs(%e1 : tensor<512x1024xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %0 = arith.divf %in, %sum : f32
    linalg.yield %0 : f32
  } -> tensor<512x1024xf32>
  return %y, %s : tensor<512x1024xf32>, tensor<512xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// A column reduction does not share the consumer's row dimension: its
// result is indexed by d1, so it stays a nest of its own and no loop is made.
// Small tensors (below min-work) stay as they are too.
// CHECK-LABEL: func.func @column_sum
// CHECK-NOT: scf.forall
// CHECK: return
func.func @column_sum(%x: tensor<512x1024xf32>) -> tensor<512x1024xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1024xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1024xf32>) -> tensor<1024xf32>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<512x1024xf32>) outs(%s0 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<1024xf32>
  %e1 = tensor.empty() : tensor<512x1024xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<512x1024xf32>, tensor<1024xf32>) outs(%e1 : tensor<512x1024xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %0 = arith.divf %in, %sum : f32
    linalg.yield %0 : f32
  } -> tensor<512x1024xf32>
  return %y : tensor<512x1024xf32>
}

// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
// CHECK: return
func.func @small(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x16xf32>) outs(%s0 : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<8xf32>
  %e1 = tensor.empty() : tensor<8x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<8x16xf32>, tensor<8xf32>) outs(%e1 : tensor<8x16xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %0 = arith.divf %in, %sum : f32
    linalg.yield %0 : f32
  } -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}
