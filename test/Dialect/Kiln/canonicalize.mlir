// Folds of the Kiln ops under -canonicalize, with the cases that must not fold.
// RUN: kiln-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @add_zero(
// CHECK-SAME: %[[X:.*]]: tensor<4x8xf32>
// CHECK-NEXT: return %[[X]], %[[X]], %[[X]]
func.func @add_zero(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %zero = kiln.splat 0.000000e+00 : f32 -> tensor<4x8xf32>
  %nzero = kiln.constant dense<-0.000000e+00> : tensor<8xf32>
  %0 = kiln.add %x, %zero : tensor<4x8xf32>, tensor<4x8xf32>
  %1 = kiln.add %zero, %x : tensor<4x8xf32>, tensor<4x8xf32>
  %2 = kiln.add %x, %nzero : tensor<4x8xf32>, tensor<8xf32>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Broadcasting the zero grows x: the add materializes the broadcast and stays.
// CHECK-LABEL: func.func @add_zero_broadcasts(
// CHECK-SAME: %[[X:.*]]: tensor<1x8xf32>
// CHECK: %[[Z:.*]] = kiln.splat 0.000000e+00 : f32 -> tensor<4x8xf32>
// CHECK: %[[R:.*]] = kiln.add %[[X]], %[[Z]] : tensor<1x8xf32>, tensor<4x8xf32>
// CHECK: return %[[R]]
func.func @add_zero_broadcasts(%x: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %zero = kiln.splat 0.000000e+00 : f32 -> tensor<4x8xf32>
  %0 = kiln.add %x, %zero : tensor<1x8xf32>, tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @add_nonzero(
// CHECK: kiln.add
// CHECK: kiln.add
func.func @add_nonzero(%x: tensor<4xi32>, %y: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %one = kiln.constant dense<1> : tensor<4xi32>
  %0 = kiln.add %x, %one : tensor<4xi32>, tensor<4xi32>
  %1 = kiln.add %x, %y : tensor<4xi32>, tensor<4xi32>
  return %0, %1 : tensor<4xi32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @add_zero_int(
// CHECK-SAME: %[[X:.*]]: tensor<4xi32>
// CHECK-NEXT: return %[[X]]
func.func @add_zero_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  %zero = kiln.constant dense<0> : tensor<4xi32>
  %0 = kiln.add %x, %zero : tensor<4xi32>, tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @sub_zero(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>
// CHECK: %[[R:.*]] = kiln.sub %{{.*}}, %[[X]]
// CHECK: return %[[X]], %[[R]]
func.func @sub_zero(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = kiln.splat 0.000000e+00 : f32 -> tensor<4xf32>
  %0 = kiln.sub %x, %zero : tensor<4xf32>, tensor<4xf32>
  %1 = kiln.sub %zero, %x : tensor<4xf32>, tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one(
// CHECK-SAME: %[[X:.*]]: tensor<2x3xf16>
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @mul_one(%x: tensor<2x3xf16>) -> (tensor<2x3xf16>, tensor<2x3xf16>) {
  %one = kiln.splat 1.000000e+00 : f16 -> tensor<3xf16>
  %0 = kiln.mul %x, %one : tensor<2x3xf16>, tensor<3xf16>
  %1 = kiln.mul %one, %x : tensor<3xf16>, tensor<2x3xf16>
  return %0, %1 : tensor<2x3xf16>, tensor<2x3xf16>
}

// -----

// CHECK-LABEL: func.func @mul_not_one(
// CHECK: kiln.mul
// CHECK: kiln.mul
func.func @mul_not_one(%x: tensor<4x1xf32>) -> (tensor<4x1xf32>, tensor<4x8xf32>) {
  %two = kiln.splat 2.000000e+00 : f32 -> tensor<4x1xf32>
  %ones = kiln.splat 1.000000e+00 : f32 -> tensor<4x8xf32>
  %0 = kiln.mul %x, %two : tensor<4x1xf32>, tensor<4x1xf32>
  %1 = kiln.mul %x, %ones : tensor<4x1xf32>, tensor<4x8xf32>
  return %0, %1 : tensor<4x1xf32>, tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @div_one(
// CHECK-SAME: %[[X:.*]]: tensor<4xf64>, %[[I:.*]]: tensor<4xi64>
// CHECK: %[[R:.*]] = kiln.div %{{.*}}, %[[X]]
// CHECK: return %[[X]], %[[I]], %[[R]]
func.func @div_one(%x: tensor<4xf64>, %i: tensor<4xi64>) -> (tensor<4xf64>, tensor<4xi64>, tensor<4xf64>) {
  %one = kiln.splat 1.000000e+00 : f64 -> tensor<4xf64>
  %ione = kiln.constant dense<1> : tensor<4xi64>
  %0 = kiln.div %x, %one : tensor<4xf64>, tensor<4xf64>
  %1 = kiln.div %i, %ione : tensor<4xi64>, tensor<4xi64>
  %2 = kiln.div %one, %x : tensor<4xf64>, tensor<4xf64>
  return %0, %1, %2 : tensor<4xf64>, tensor<4xi64>, tensor<4xf64>
}

// -----

// CHECK-LABEL: func.func @cast(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>
// CHECK: %[[C:.*]] = kiln.cast %[[X]] : tensor<4xf32> to tensor<4xi32>
// CHECK: return %[[X]], %[[C]]
func.func @cast(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0 = kiln.cast %x : tensor<4xf32> to tensor<4xf32>
  %1 = kiln.cast %x : tensor<4xf32> to tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @reshape(
// CHECK-SAME: %[[X:.*]]: tensor<4x6xf32>
// CHECK: %[[R:.*]] = kiln.reshape %[[X]] : tensor<4x6xf32> to tensor<3x8xf32>
// CHECK: return %[[X]], %[[R]], %[[X]]
func.func @reshape(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<3x8xf32>, tensor<4x6xf32>) {
  %0 = kiln.reshape %x : tensor<4x6xf32> to tensor<4x6xf32>
  %1 = kiln.reshape %x : tensor<4x6xf32> to tensor<24xf32>
  %2 = kiln.reshape %1 : tensor<24xf32> to tensor<3x8xf32>
  %3 = kiln.reshape %2 : tensor<3x8xf32> to tensor<4x6xf32>
  return %0, %2, %3 : tensor<4x6xf32>, tensor<3x8xf32>, tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @permute(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>
// CHECK: %[[P:.*]] = kiln.permute %[[X]] [2, 0, 1] : tensor<2x3x4xf32>
// CHECK: return %[[X]], %[[P]], %[[X]]
func.func @permute(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %0 = kiln.permute %x [0, 1, 2] : tensor<2x3x4xf32>
  %1 = kiln.permute %x [1, 2, 0] : tensor<2x3x4xf32>
  %2 = kiln.permute %1 [1, 2, 0] : tensor<3x4x2xf32>
  %3 = kiln.permute %1 [2, 0, 1] : tensor<3x4x2xf32>
  return %0, %2, %3 : tensor<2x3x4xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_to(
// CHECK-SAME: %[[X:.*]]: tensor<1x8xf32>
// CHECK: %[[B:.*]] = kiln.broadcast_to %[[X]] : tensor<1x8xf32> to tensor<4x8xf32>
// CHECK: return %[[X]], %[[B]]
func.func @broadcast_to(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<4x8xf32>) {
  %0 = kiln.broadcast_to %x : tensor<1x8xf32> to tensor<1x8xf32>
  %1 = kiln.broadcast_to %x : tensor<1x8xf32> to tensor<4x8xf32>
  return %0, %1 : tensor<1x8xf32>, tensor<4x8xf32>
}
