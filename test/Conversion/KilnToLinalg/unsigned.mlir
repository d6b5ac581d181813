// convert-kiln-to-linalg on ui8: signless i8 everywhere (signatures, constants), unsigned arith ops.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: ui8
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @arith(
// CHECK-SAME: %{{.*}}: tensor<4xi8>, %{{.*}}: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi1>)
// CHECK: arith.divui
// CHECK-NOT: arith.divsi
// CHECK: arith.remui
// CHECK-NOT: arith.remsi
// CHECK: arith.maxui
// CHECK: arith.minui
// CHECK: arith.cmpi ult
func.func @arith(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xui8>, tensor<4xui8>, tensor<4xui8>, tensor<4xi1>) {
  %0 = kiln.div %a, %b : tensor<4xui8>, tensor<4xui8>
  %1 = kiln.remainder %a, %b : tensor<4xui8>, tensor<4xui8>
  %2 = kiln.maximum %a, %b : tensor<4xui8>, tensor<4xui8>
  %3 = kiln.minimum %a, %b : tensor<4xui8>, tensor<4xui8>
  %4 = kiln.lt %a, %b : tensor<4xui8>, tensor<4xui8>
  return %0, %1, %2, %3, %4 : tensor<4xui8>, tensor<4xui8>, tensor<4xui8>, tensor<4xui8>, tensor<4xi1>
}

// abs and relu are the identity; sign is x != 0.
// CHECK-LABEL: func.func @unary(
// CHECK: ^bb0(%[[A:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[A]] : i8
// CHECK: ^bb0(%[[B:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[B]] : i8
// CHECK: %[[NZ:.*]] = arith.cmpi ne
// CHECK-NEXT: arith.extui %[[NZ]] : i1 to i8
func.func @unary(%a: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xui8>, tensor<4xui8>) {
  %0 = kiln.abs %a : tensor<4xui8>
  %1 = kiln.relu %a : tensor<4xui8>
  %2 = kiln.sign %a : tensor<4xui8>
  return %0, %1, %2 : tensor<4xui8>, tensor<4xui8>, tensor<4xui8>
}

// Exponents above 127 must not read as negative.
// CHECK-LABEL: func.func @pow(
// CHECK: %[[A:.*]] = arith.extui %{{.*}} : i8 to i64
// CHECK-NEXT: %[[B:.*]] = arith.extui %{{.*}} : i8 to i64
// CHECK-NEXT: %[[P:.*]] = math.ipowi %[[A]], %[[B]] : i64
// CHECK-NEXT: arith.trunci %[[P]] : i64 to i8
func.func @pow(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = kiln.pow %a, %b : tensor<4xui8>, tensor<4xui8>
  return %0 : tensor<4xui8>
}

// CHECK-LABEL: func.func @constants(
// CHECK: arith.constant dense<[1, -56]> : tensor<2xi8>
// CHECK: %[[V:.*]] = arith.constant -1 : i8
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3xi8>
// CHECK: linalg.fill ins(%[[V]] : i8) outs(%[[E]] : tensor<3xi8>)
func.func @constants() -> (tensor<2xui8>, tensor<3xui8>) {
  %0 = kiln.constant dense<[1, 200]> : tensor<2xui8>
  %1 = kiln.splat 255 : ui8 -> tensor<3xui8>
  return %0, %1 : tensor<2xui8>, tensor<3xui8>
}

// CHECK-LABEL: func.func @callee(
// CHECK-SAME: tensor<4xi8>) -> tensor<4xi8>
func.func @callee(%a: tensor<4xui8>) -> tensor<4xui8> {
  return %a : tensor<4xui8>
}

// CHECK-LABEL: func.func @call(
// CHECK: call @callee(%{{.*}}) : (tensor<4xi8>) -> tensor<4xi8>
func.func @call(%a: tensor<4xui8>) -> tensor<4xui8> {
  %0 = call @callee(%a) : (tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// max starts from 0, argmin from 255, both compare unsigned.
// CHECK-LABEL: func.func @reduce_max(
// CHECK: %[[Z:.*]] = arith.constant 0 : i8
// CHECK: linalg.fill ins(%[[Z]] : i8)
// CHECK: linalg.reduce { arith.maxui }
// CHECK: %[[M:.*]] = arith.constant -1 : i8
// CHECK: linalg.fill ins(%[[M]] : i8)
// CHECK: arith.cmpi ult
func.func @reduce_max(%a: tensor<4x8xui8>) -> (tensor<4xui8>, tensor<4xi64>) {
  %0 = kiln.reduce max %a dims [1] : tensor<4x8xui8>
  %1 = kiln.reduce argmin %a dims [1] : tensor<4x8xui8>
  return %0, %1 : tensor<4xui8>, tensor<4xi64>
}
