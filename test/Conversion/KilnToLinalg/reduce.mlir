// convert-kiln-to-linalg on kiln.reduce: linalg.reduce with the kind's identity, argmax/argmin as a two-output generic.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @sum(
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK: %[[R:.*]] = linalg.reduce { arith.addf } ins(%{{.*}} : tensor<4x8xf32>) outs(%[[F]] : tensor<4xf32>) dimensions = [1]
// CHECK: return %[[R]]
func.func @sum(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %0 = kiln.reduce sum %x dims [1] : tensor<4x8xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @max_keepdim(
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NINF]] : f32)
// CHECK: %[[R:.*]] = linalg.reduce { arith.maximumf } ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0, 1]
// CHECK: tensor.expand_shape %[[R]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @max_keepdim(%x: tensor<4x8xf32>) -> tensor<1x1xf32> {
  %0 = kiln.reduce max %x dims [0, 1] keepdim : tensor<4x8xf32>
  return %0 : tensor<1x1xf32>
}

// CHECK-LABEL: func.func @min_prod_int(
// CHECK: %[[MAX:.*]] = arith.constant 2147483647 : i32
// CHECK: linalg.fill ins(%[[MAX]] : i32)
// CHECK: linalg.reduce { arith.minsi } {{.*}} dimensions = [0]
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: linalg.fill ins(%[[ONE]] : i32)
// CHECK: linalg.reduce { arith.muli {{.*}} } {{.*}} dimensions = [0, 1]
func.func @min_prod_int(%x: tensor<4x8xi32>) -> (tensor<8xi32>, tensor<i32>) {
  %0 = kiln.reduce min %x dims [0] : tensor<4x8xi32>
  %1 = kiln.reduce prod %x dims [] : tensor<4x8xi32>
  return %0, %1 : tensor<8xi32>, tensor<i32>
}

// CHECK-LABEL: func.func @mean(
// CHECK: %[[S:.*]] = linalg.reduce { arith.addf } {{.*}} dimensions = [1, 2]
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<2xf32>)
// CHECK: %[[N:.*]] = arith.constant 1.200000e+01 : f32
// CHECK-NEXT: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: tensor.expand_shape %[[M]] {{\[}}[0, 1, 2]] output_shape [2, 1, 1]
func.func @mean(%x: tensor<2x3x4xf32>) -> tensor<2x1x1xf32> {
  %0 = kiln.reduce mean %x dims [1, 2] keepdim : tensor<2x3x4xf32>
  return %0 : tensor<2x1x1xf32>
}

// Half-precision sums accumulate in f32.
// CHECK-LABEL: func.func @sum_half(
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: linalg.reduce { arith.addf } ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @sum_half(%x: tensor<4x8xf16>) -> tensor<4xf16> {
  %0 = kiln.reduce sum %x dims [1] : tensor<4x8xf16>
  return %0 : tensor<4xf16>
}

// First index of the maximum; NaN counts as the maximum. The init index is
// INT64_MAX so that any element wins a tie against the init.
// CHECK-LABEL: func.func @argmax(
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[V:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[IMAX:.*]] = arith.constant 9223372036854775807 : i64
// CHECK: %[[I:.*]] = linalg.fill ins(%[[IMAX]] : i64) outs(%{{.*}} : tensor<4xi64>)
// CHECK: %[[G:.*]]:2 = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<4x8xf32>) outs(%[[V]], %[[I]] : tensor<4xf32>, tensor<4xi64>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[ACC:.*]]: f32, %[[ACCI:.*]]: i64):
// CHECK-NEXT: %[[IDX:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[IDX64:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK-NEXT: %[[EARLIER:.*]] = arith.cmpi slt, %[[IDX64]], %[[ACCI]] : i64
// CHECK-NEXT: %[[GT:.*]] = arith.cmpf ogt, %[[X]], %[[ACC]] : f32
// CHECK-NEXT: %[[EQ:.*]] = arith.cmpf oeq, %[[X]], %[[ACC]] : f32
// CHECK-NEXT: %[[XNAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK-NEXT: %[[ACCNAN:.*]] = arith.cmpf uno, %[[ACC]], %[[ACC]] : f32
// CHECK: %[[TIE:.*]] = arith.andi %{{.*}}, %[[EARLIER]] : i1
// CHECK-NEXT: %[[TAKE:.*]] = arith.ori %{{.*}}, %[[TIE]] : i1
// CHECK-NEXT: %[[NV:.*]] = arith.select %[[TAKE]], %[[X]], %[[ACC]] : f32
// CHECK-NEXT: %[[NI:.*]] = arith.select %[[TAKE]], %[[IDX64]], %[[ACCI]] : i64
// CHECK-NEXT: linalg.yield %[[NV]], %[[NI]] : f32, i64
// CHECK: return %[[G]]#1
func.func @argmax(%x: tensor<4x8xf32>) -> tensor<4xi64> {
  %0 = kiln.reduce argmax %x dims [1] : tensor<4x8xf32>
  return %0 : tensor<4xi64>
}

// Empty dims: the flattened, row-major index.
// CHECK-LABEL: func.func @argmin_all(
// CHECK: %[[F:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<4x8xi32> into tensor<32xi32>
// CHECK: %[[G:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[F]] : tensor<32xi32>) outs(%{{.*}}, %{{.*}} : tensor<i32>, tensor<i64>)
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK: return %[[G]]#1 : tensor<i64>
func.func @argmin_all(%x: tensor<4x8xi32>) -> tensor<i64> {
  %0 = kiln.reduce argmin %x dims [] : tensor<4x8xi32>
  return %0 : tensor<i64>
}

// CHECK-LABEL: func.func @argmax_keepdim(
// CHECK: %[[G:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]}
// CHECK: linalg.index 0 : index
// CHECK: tensor.expand_shape %[[G]]#1 {{\[}}[0, 1]] output_shape [1, 8] : tensor<8xi64> into tensor<1x8xi64>
func.func @argmax_keepdim(%x: tensor<4x8xf32>) -> tensor<1x8xi64> {
  %0 = kiln.reduce argmax %x dims [0] keepdim : tensor<4x8xf32>
  return %0 : tensor<1x8xi64>
}
