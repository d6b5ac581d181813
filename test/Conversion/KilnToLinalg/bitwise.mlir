// convert-kiln-to-linalg on bitwise ops: arith's and/or/xor, not as xor with all ones, shifts clamped to PyTorch's rules.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// ui8 becomes i8; the bits are the same.
// CHECK-LABEL: func.func @logic(
// CHECK-SAME: %[[A:.*]]: tensor<4x1xi32>, %[[B:.*]]: tensor<8xi32>, %[[U:.*]]: tensor<4xi8>, %[[P:.*]]: tensor<4xi1>
// CHECK: linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<4x1xi32>, tensor<8xi32>) outs(%{{.*}} : tensor<4x8xi32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[R:.*]] = arith.andi %[[X]], %[[Y]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
// CHECK: ^bb0(%[[X2:.*]]: i8, %[[Y2:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: arith.ori %[[X2]], %[[Y2]] : i8
// CHECK: ^bb0(%[[X3:.*]]: i1, %[[Y3:.*]]: i1, %{{.*}}: i1):
// CHECK-NEXT: arith.xori %[[X3]], %[[Y3]] : i1
// BUF-LABEL: func.func @logic(
// BUF-SAME: memref<4x1xi32
// BUF: linalg.generic
func.func @logic(%a: tensor<4x1xi32>, %b: tensor<8xi32>, %u: tensor<4xui8>, %p: tensor<4xi1>) -> (tensor<4x8xi32>, tensor<4xui8>, tensor<4xi1>) {
  %0 = kiln.bitwise_and %a, %b : tensor<4x1xi32>, tensor<8xi32>
  %1 = kiln.bitwise_or %u, %u : tensor<4xui8>, tensor<4xui8>
  %2 = kiln.bitwise_xor %p, %p : tensor<4xi1>, tensor<4xi1>
  return %0, %1, %2 : tensor<4x8xi32>, tensor<4xui8>, tensor<4xi1>
}

// Not is xor with every bit set: -1, and true on i1 (logical not).
// CHECK-LABEL: func.func @bitwise_not(
// CHECK: ^bb0(%[[X:.*]]: i64, %{{.*}}: i64):
// CHECK-NEXT: %[[ONES:.*]] = arith.constant -1 : i64
// CHECK-NEXT: arith.xori %[[X]], %[[ONES]] : i64
// CHECK: ^bb0(%[[X2:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: %[[ONES2:.*]] = arith.constant -1 : i8
// CHECK-NEXT: arith.xori %[[X2]], %[[ONES2]] : i8
// CHECK: ^bb0(%[[X3:.*]]: i1, %{{.*}}: i1):
// CHECK-NEXT: %[[TRUE:.*]] = arith.constant true
// CHECK-NEXT: arith.xori %[[X3]], %[[TRUE]] : i1
func.func @bitwise_not(%l: tensor<4xi64>, %u: tensor<4xui8>, %p: tensor<4xi1>) -> (tensor<4xi64>, tensor<4xui8>, tensor<4xi1>) {
  %0 = kiln.bitwise_not %l : tensor<4xi64>
  %1 = kiln.bitwise_not %u : tensor<4xui8>
  %2 = kiln.bitwise_not %p : tensor<4xi1>
  return %0, %1, %2 : tensor<4xi64>, tensor<4xui8>, tensor<4xi1>
}

// arith's shifts are poison for amounts >= the bit width: the amount is
// clamped to width - 1 (negative amounts are huge unsigned), and << selects 0
// past it. Signed >> by width - 1 already is the sign fill; ui8 >> selects 0.
// CHECK-LABEL: func.func @shifts(
// CHECK: ^bb0(%[[X:.*]]: i32, %[[N:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: %[[MAX:.*]] = arith.constant 31 : i32
// CHECK-NEXT: %[[FAR:.*]] = arith.cmpi ugt, %[[N]], %[[MAX]] : i32
// CHECK-NEXT: %[[AMT:.*]] = arith.minui %[[N]], %[[MAX]] : i32
// CHECK-NEXT: %[[SH:.*]] = arith.shli %[[X]], %[[AMT]] : i32
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[FAR]], %[[Z]], %[[SH]] : i32
// CHECK-NEXT: linalg.yield %[[R]] : i32
// CHECK: ^bb0(%[[X2:.*]]: i64, %[[N2:.*]]: i64, %{{.*}}: i64):
// CHECK-NEXT: %[[MAX2:.*]] = arith.constant 63 : i64
// CHECK-NEXT: %[[AMT2:.*]] = arith.minui %[[N2]], %[[MAX2]] : i64
// CHECK-NEXT: %[[R2:.*]] = arith.shrsi %[[X2]], %[[AMT2]] : i64
// CHECK-NEXT: linalg.yield %[[R2]] : i64
// CHECK: ^bb0(%[[X3:.*]]: i8, %[[N3:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: %[[MAX3:.*]] = arith.constant 7 : i8
// CHECK-NEXT: %[[AMT3:.*]] = arith.minui %[[N3]], %[[MAX3]] : i8
// CHECK-NEXT: %[[FAR3:.*]] = arith.cmpi ugt, %[[N3]], %[[MAX3]] : i8
// CHECK-NEXT: %[[SH3:.*]] = arith.shrui %[[X3]], %[[AMT3]] : i8
// CHECK-NEXT: %[[Z3:.*]] = arith.constant 0 : i8
// CHECK-NEXT: %[[R3:.*]] = arith.select %[[FAR3]], %[[Z3]], %[[SH3]] : i8
// CHECK-NEXT: linalg.yield %[[R3]] : i8
// The signed i8 right shift is arithmetic.
// CHECK: ^bb0(%{{.*}}: i8, %{{.*}}: i8, %{{.*}}: i8):
// CHECK: arith.shrsi %{{.*}}, %{{.*}} : i8
func.func @shifts(%a: tensor<4xi32>, %n: tensor<4xi32>, %l: tensor<2x4xi64>, %m: tensor<i64>, %u: tensor<4xui8>, %s: tensor<4xi8>) -> (tensor<4xi32>, tensor<2x4xi64>, tensor<4xui8>, tensor<4xi8>) {
  %0 = kiln.shift_left %a, %n : tensor<4xi32>, tensor<4xi32>
  %1 = kiln.shift_right %l, %m : tensor<2x4xi64>, tensor<i64>
  %2 = kiln.shift_right %u, %u : tensor<4xui8>, tensor<4xui8>
  %3 = kiln.shift_right %s, %s : tensor<4xi8>, tensor<4xi8>
  return %0, %1, %2, %3 : tensor<4xi32>, tensor<2x4xi64>, tensor<4xui8>, tensor<4xi8>
}
