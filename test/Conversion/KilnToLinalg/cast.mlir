// convert-kiln-to-linalg on kiln.cast: arith conversions with PyTorch's .to(dtype) rules, one generic each.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @float_widths(
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f32 to f16
// f16 -> bf16 goes through f32, which holds both exactly.
// CHECK: ^bb0(%[[H:.*]]: f16, %{{.*}}: bf16):
// CHECK-NEXT: %[[W:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK-NEXT: %[[N:.*]] = arith.truncf %[[W]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[N]] : bf16
func.func @float_widths(%x: tensor<4xf32>, %h: tensor<4xf16>) -> (tensor<4xf64>, tensor<4xf16>, tensor<4xbf16>) {
  %0 = kiln.cast %x : tensor<4xf32> to tensor<4xf64>
  %1 = kiln.cast %x : tensor<4xf32> to tensor<4xf16>
  %2 = kiln.cast %h : tensor<4xf16> to tensor<4xbf16>
  return %0, %1, %2 : tensor<4xf64>, tensor<4xf16>, tensor<4xbf16>
}

// f64 -> f16/bf16 rounds through f32, as PyTorch's Half/BFloat16 constructors do.
// CHECK-LABEL: func.func @f64_to_half(
// CHECK: ^bb0(%[[D:.*]]: f64, %{{.*}}: bf16):
// CHECK-NEXT: %[[F:.*]] = arith.truncf %[[D]] : f64 to f32
// CHECK-NEXT: %[[B:.*]] = arith.truncf %[[F]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[B]] : bf16
// CHECK: ^bb0(%[[D2:.*]]: f64, %{{.*}}: f16):
// CHECK-NEXT: %[[F2:.*]] = arith.truncf %[[D2]] : f64 to f32
// CHECK-NEXT: %[[H:.*]] = arith.truncf %[[F2]] : f32 to f16
// CHECK-NEXT: linalg.yield %[[H]] : f16
func.func @f64_to_half(%d: tensor<4xf64>) -> (tensor<4xbf16>, tensor<4xf16>) {
  %0 = kiln.cast %d : tensor<4xf64> to tensor<4xbf16>
  %1 = kiln.cast %d : tensor<4xf64> to tensor<4xf16>
  return %0, %1 : tensor<4xbf16>, tensor<4xf16>
}

// CHECK-LABEL: func.func @int_to_float(
// CHECK-SAME: %{{.*}}: tensor<4xi32>, %{{.*}}: tensor<4xi8>, %{{.*}}: tensor<4xi1>
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.uitofp %{{.*}} : i1 to f64
func.func @int_to_float(%i: tensor<4xi32>, %u: tensor<4xui8>, %b: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf64>) {
  %0 = kiln.cast %i : tensor<4xi32> to tensor<4xf32>
  %1 = kiln.cast %u : tensor<4xui8> to tensor<4xf32>
  %2 = kiln.cast %b : tensor<4xi1> to tensor<4xf64>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf64>
}

// Narrow integers go through i64 so that out-of-range values wrap as in
// PyTorch instead of becoming poison; to bool tests for non-zero (NaN is true).
// CHECK-LABEL: func.func @float_to_int(
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: i64):
// CHECK-NEXT: arith.fptosi %[[X]] : f32 to i64
// CHECK: ^bb0(%[[Y:.*]]: f32, %{{.*}}: i8):
// CHECK-NEXT: %[[W:.*]] = arith.fptosi %[[Y]] : f32 to i64
// CHECK-NEXT: arith.trunci %[[W]] : i64 to i8
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK-NEXT: arith.trunci %{{.*}} : i64 to i8
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.cmpf une, %{{.*}}, %[[Z]] : f32
func.func @float_to_int(%x: tensor<4xf32>) -> (tensor<4xi64>, tensor<4xi8>, tensor<4xui8>, tensor<4xi1>) {
  %0 = kiln.cast %x : tensor<4xf32> to tensor<4xi64>
  %1 = kiln.cast %x : tensor<4xf32> to tensor<4xi8>
  %2 = kiln.cast %x : tensor<4xf32> to tensor<4xui8>
  %3 = kiln.cast %x : tensor<4xf32> to tensor<4xi1>
  return %0, %1, %2, %3 : tensor<4xi64>, tensor<4xi8>, tensor<4xui8>, tensor<4xi1>
}

// CHECK-LABEL: func.func @int_widths(
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.trunci %{{.*}} : i64 to i8
// ui8 -> i8 keeps the bits.
// CHECK: ^bb0(%[[U:.*]]: i8, %{{.*}}: i8):
// CHECK-NEXT: linalg.yield %[[U]] : i8
// CHECK: arith.extui %{{.*}} : i1 to i64
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : i64
func.func @int_widths(%i: tensor<4xi8>, %u: tensor<4xui8>, %l: tensor<4xi64>, %b: tensor<4xi1>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi8>, tensor<4xi64>, tensor<4xi1>) {
  %0 = kiln.cast %i : tensor<4xi8> to tensor<4xi32>
  %1 = kiln.cast %u : tensor<4xui8> to tensor<4xi32>
  %2 = kiln.cast %l : tensor<4xi64> to tensor<4xi8>
  %3 = kiln.cast %u : tensor<4xui8> to tensor<4xi8>
  %4 = kiln.cast %b : tensor<4xi1> to tensor<4xi64>
  %5 = kiln.cast %l : tensor<4xi64> to tensor<4xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<4xi8>, tensor<4xi64>, tensor<4xi1>
}
