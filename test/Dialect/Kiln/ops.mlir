// Round trip of every Kiln op: printed forms, inferred result types (pinned by the returns), broadcasting and every dtype.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// Generic form: the inferred result types printed explicitly.
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @unary_float(
func.func @unary_float(%x: tensor<2x3xf32>, %h: tensor<4xf16>, %b: tensor<4xbf16>, %d: tensor<f64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xf16>, tensor<4xbf16>, tensor<f64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
// CHECK: kiln.exp %{{[a-z0-9]+}} : tensor<2x3xf32>
  %0 = kiln.exp %x : tensor<2x3xf32>
// CHECK-NEXT: kiln.log %{{[a-z0-9]+}} : tensor<2x3xf32>
  %1 = kiln.log %0 : tensor<2x3xf32>
// CHECK-NEXT: kiln.log1p %{{[a-z0-9]+}} : tensor<2x3xf32>
  %2 = kiln.log1p %1 : tensor<2x3xf32>
// CHECK-NEXT: kiln.expm1 %{{[a-z0-9]+}} : tensor<2x3xf32>
  %3 = kiln.expm1 %2 : tensor<2x3xf32>
// CHECK-NEXT: kiln.sqrt %{{[a-z0-9]+}} : tensor<2x3xf32>
  %4 = kiln.sqrt %3 : tensor<2x3xf32>
// CHECK-NEXT: kiln.rsqrt %{{[a-z0-9]+}} : tensor<2x3xf32>
  %5 = kiln.rsqrt %4 : tensor<2x3xf32>
// CHECK-NEXT: kiln.tanh %{{[a-z0-9]+}} : tensor<2x3xf32>
  %6 = kiln.tanh %5 : tensor<2x3xf32>
// CHECK-NEXT: kiln.sigmoid %{{[a-z0-9]+}} : tensor<2x3xf32>
  %7 = kiln.sigmoid %6 : tensor<2x3xf32>
// CHECK-NEXT: kiln.silu %{{[a-z0-9]+}} : tensor<2x3xf32>
  %8 = kiln.silu %7 : tensor<2x3xf32>
// CHECK-NEXT: kiln.sin %{{[a-z0-9]+}} : tensor<2x3xf32>
  %9 = kiln.sin %8 : tensor<2x3xf32>
// CHECK-NEXT: kiln.cos %{{[a-z0-9]+}} : tensor<4xf16>
  %10 = kiln.cos %h : tensor<4xf16>
// CHECK-NEXT: kiln.erf %{{[a-z0-9]+}} : tensor<4xbf16>
  %11 = kiln.erf %b : tensor<4xbf16>
// CHECK-NEXT: kiln.gelu %{{[a-z0-9]+}} : tensor<f64>
  %12 = kiln.gelu %d : tensor<f64>
// CHECK-NEXT: kiln.gelu %{{[a-z0-9]+}} approximate tanh : tensor<2x3xf32>
  %13 = kiln.gelu %x approximate tanh : tensor<2x3xf32>
// CHECK-NEXT: kiln.gelu %{{[a-z0-9]+}} : tensor<2x3xf32>
  %14 = kiln.gelu %x approximate none : tensor<2x3xf32>
// CHECK-NEXT: kiln.exp %{{[a-z0-9]+}} {kiln.tag = 1 : i64} : tensor<2x3xf32>
  %15 = kiln.exp %x {kiln.tag = 1 : i64} : tensor<2x3xf32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xf16>, tensor<4xbf16>, tensor<f64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xf16>, tensor<4xbf16>, tensor<f64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: func.func @unary_any(
func.func @unary_any(%i: tensor<5xi32>, %j: tensor<5xi8>, %u: tensor<5xui8>, %l: tensor<?x5xi64>, %f: tensor<5xf32>) -> (tensor<5xi32>, tensor<5xi8>, tensor<5xui8>, tensor<?x5xi64>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xi1>, tensor<?x5xi1>) {
// CHECK: kiln.neg %{{[a-z0-9]+}} : tensor<5xi32>
  %0 = kiln.neg %i : tensor<5xi32>
// CHECK-NEXT: kiln.abs %{{[a-z0-9]+}} : tensor<5xi8>
  %1 = kiln.abs %j : tensor<5xi8>
// CHECK-NEXT: kiln.relu %{{[a-z0-9]+}} : tensor<5xui8>
  %2 = kiln.relu %u : tensor<5xui8>
// CHECK-NEXT: kiln.sign %{{[a-z0-9]+}} : tensor<?x5xi64>
  %3 = kiln.sign %l : tensor<?x5xi64>
// CHECK-NEXT: kiln.floor %{{[a-z0-9]+}} : tensor<5xf32>
  %4 = kiln.floor %f : tensor<5xf32>
// CHECK-NEXT: kiln.ceil %{{[a-z0-9]+}} : tensor<5xf32>
  %5 = kiln.ceil %4 : tensor<5xf32>
// CHECK-NEXT: kiln.round %{{[a-z0-9]+}} : tensor<5xf32>
  %6 = kiln.round %5 : tensor<5xf32>
// CHECK-NEXT: kiln.neg %{{[a-z0-9]+}} : tensor<5xf32>
  %7 = kiln.neg %6 : tensor<5xf32>
// CHECK-NEXT: kiln.logical_not %{{[a-z0-9]+}} : tensor<5xf32>
  %8 = kiln.logical_not %f : tensor<5xf32>
// CHECK-NEXT: kiln.logical_not %{{[a-z0-9]+}} : tensor<?x5xi64>
  %9 = kiln.logical_not %l : tensor<?x5xi64>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<5xi32>, tensor<5xi8>, tensor<5xui8>, tensor<?x5xi64>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xi1>, tensor<?x5xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<5xi32>, tensor<5xi8>, tensor<5xui8>, tensor<?x5xi64>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xi1>, tensor<?x5xi1>
}

// CHECK-LABEL: func.func @binary(
func.func @binary(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>, %i: tensor<3xi64>, %s: tensor<i64>, %d: tensor<?x3xi32>, %e: tensor<3xi32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<3xi64>, tensor<?x3xi32>) {
// CHECK: kiln.add %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x1xf32>, tensor<1x8xf32>
  %0 = kiln.add %a, %b : tensor<4x1xf32>, tensor<1x8xf32>
// CHECK-NEXT: kiln.sub %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x8xf32>, tensor<1x8xf32>
  %1 = kiln.sub %0, %b : tensor<4x8xf32>, tensor<1x8xf32>
// CHECK-NEXT: kiln.mul %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x1xf32>, tensor<4x8xf32>
  %2 = kiln.mul %a, %1 : tensor<4x1xf32>, tensor<4x8xf32>
// CHECK-NEXT: kiln.div %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x8xf32>, tensor<4x8xf32>
  %3 = kiln.div %2, %2 : tensor<4x8xf32>, tensor<4x8xf32>
// CHECK-NEXT: kiln.pow %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x8xf32>, tensor<4x1xf32>
  %4 = kiln.pow %3, %a : tensor<4x8xf32>, tensor<4x1xf32>
// CHECK-NEXT: kiln.maximum %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x8xf32>, tensor<1x8xf32>
  %5 = kiln.maximum %4, %b : tensor<4x8xf32>, tensor<1x8xf32>
// CHECK-NEXT: kiln.minimum %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x8xf32>, tensor<4x1xf32>
  %6 = kiln.minimum %5, %a : tensor<4x8xf32>, tensor<4x1xf32>
// CHECK-NEXT: kiln.remainder %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<3xi64>, tensor<i64>
  %7 = kiln.remainder %i, %s : tensor<3xi64>, tensor<i64>
// CHECK-NEXT: kiln.div %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<?x3xi32>, tensor<3xi32>
  %8 = kiln.div %d, %e : tensor<?x3xi32>, tensor<3xi32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<3xi64>, tensor<?x3xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<3xi64>, tensor<?x3xi32>
}

// CHECK-LABEL: func.func @compare_logic(
func.func @compare_logic(%a: tensor<2x1xi8>, %b: tensor<3xi8>, %p: tensor<3xi1>, %q: tensor<2x3xi1>, %u: tensor<3xui8>) -> (tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<3xi1>) {
// CHECK: kiln.eq %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %0 = kiln.eq %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.ne %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %1 = kiln.ne %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.lt %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %2 = kiln.lt %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.le %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %3 = kiln.le %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.gt %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %4 = kiln.gt %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.ge %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %5 = kiln.ge %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.logical_and %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<3xi1>, tensor<2x3xi1>
  %6 = kiln.logical_and %p, %q : tensor<3xi1>, tensor<2x3xi1>
// CHECK-NEXT: kiln.logical_or %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi8>, tensor<3xi8>
  %7 = kiln.logical_or %a, %b : tensor<2x1xi8>, tensor<3xi8>
// CHECK-NEXT: kiln.logical_xor %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x3xi1>, tensor<3xi1>
  %8 = kiln.logical_xor %q, %p : tensor<2x3xi1>, tensor<3xi1>
// CHECK-NEXT: kiln.logical_and %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<3xui8>, tensor<3xui8>
  %9 = kiln.logical_and %u, %u : tensor<3xui8>, tensor<3xui8>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<3xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9 : tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<3xi1>
}

// CHECK-LABEL: func.func @bitwise(
func.func @bitwise(%i: tensor<5xi32>, %j: tensor<2x1xi32>, %p: tensor<3xi1>, %q: tensor<2x3xi1>, %u: tensor<3xui8>, %l: tensor<4xi64>, %a: tensor<4x1xi8>, %b: tensor<1x8xi8>) -> (tensor<5xi32>, tensor<2x5xi32>, tensor<2x3xi1>, tensor<3xui8>, tensor<4xi64>, tensor<2x3xi1>, tensor<4x8xi8>, tensor<3xui8>, tensor<4xi64>) {
// CHECK: kiln.bitwise_and %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<5xi32>, tensor<5xi32>
  %0 = kiln.bitwise_and %i, %i : tensor<5xi32>, tensor<5xi32>
// CHECK-NEXT: kiln.bitwise_or %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x1xi32>, tensor<5xi32>
  %1 = kiln.bitwise_or %j, %i : tensor<2x1xi32>, tensor<5xi32>
// CHECK-NEXT: kiln.bitwise_xor %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<3xi1>, tensor<2x3xi1>
  %2 = kiln.bitwise_xor %p, %q : tensor<3xi1>, tensor<2x3xi1>
// CHECK-NEXT: kiln.bitwise_not %{{[a-z0-9]+}} : tensor<3xui8>
  %3 = kiln.bitwise_not %u : tensor<3xui8>
// CHECK-NEXT: kiln.bitwise_not %{{[a-z0-9]+}} : tensor<4xi64>
  %4 = kiln.bitwise_not %l : tensor<4xi64>
// CHECK-NEXT: kiln.bitwise_not %{{[a-z0-9]+}} : tensor<2x3xi1>
  %5 = kiln.bitwise_not %q : tensor<2x3xi1>
// CHECK-NEXT: kiln.shift_left %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x1xi8>, tensor<1x8xi8>
  %6 = kiln.shift_left %a, %b : tensor<4x1xi8>, tensor<1x8xi8>
// CHECK-NEXT: kiln.shift_right %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<3xui8>, tensor<3xui8>
  %7 = kiln.shift_right %u, %u : tensor<3xui8>, tensor<3xui8>
// CHECK-NEXT: kiln.shift_right %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4xi64>, tensor<4xi64>
  %8 = kiln.shift_right %l, %l : tensor<4xi64>, tensor<4xi64>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<5xi32>, tensor<2x5xi32>, tensor<2x3xi1>, tensor<3xui8>, tensor<4xi64>, tensor<2x3xi1>, tensor<4x8xi8>, tensor<3xui8>, tensor<4xi64>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<5xi32>, tensor<2x5xi32>, tensor<2x3xi1>, tensor<3xui8>, tensor<4xi64>, tensor<2x3xi1>, tensor<4x8xi8>, tensor<3xui8>, tensor<4xi64>
}

// CHECK-LABEL: func.func @where(
func.func @where(%c: tensor<4x1xi1>, %x: tensor<8xf32>, %y: tensor<f32>) -> tensor<4x8xf32> {
// CHECK: kiln.where %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x1xi1>, tensor<8xf32>, tensor<f32>
  %0 = kiln.where %c, %x, %y : tensor<4x1xi1>, tensor<8xf32>, tensor<f32>
// CHECK-NEXT: return %{{[a-z0-9]+}} : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @constants(
func.func @constants() -> (tensor<2xf32>, tensor<2x2xi64>, tensor<128x256xf32>, tensor<4xi1>, tensor<3xui8>, tensor<2xbf16>) {
// CHECK: kiln.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = kiln.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: kiln.constant dense<7> : tensor<2x2xi64>
  %1 = kiln.constant dense<7> : tensor<2x2xi64>
// CHECK-NEXT: kiln.splat 0.000000e+00 : f32 -> tensor<128x256xf32>
  %2 = kiln.splat 0.000000e+00 : f32 -> tensor<128x256xf32>
// CHECK-NEXT: kiln.splat true -> tensor<4xi1>
  %3 = kiln.splat true -> tensor<4xi1>
// CHECK-NEXT: kiln.splat 255 : ui8 -> tensor<3xui8>
  %4 = kiln.splat 255 : ui8 -> tensor<3xui8>
// CHECK-NEXT: kiln.splat -1.500000e+00 : bf16 -> tensor<2xbf16>
  %5 = kiln.splat -1.500000e+00 : bf16 -> tensor<2xbf16>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2xf32>, tensor<2x2xi64>, tensor<128x256xf32>, tensor<4xi1>, tensor<3xui8>, tensor<2xbf16>
  return %0, %1, %2, %3, %4, %5 : tensor<2xf32>, tensor<2x2xi64>, tensor<128x256xf32>, tensor<4xi1>, tensor<3xui8>, tensor<2xbf16>
}

// CHECK-LABEL: func.func @cast(
func.func @cast(%x: tensor<4xf32>, %b: tensor<4xi1>) -> (tensor<4xi64>, tensor<4xf16>, tensor<4xui8>) {
// CHECK: kiln.cast %{{[a-z0-9]+}} : tensor<4xf32> to tensor<4xi64>
  %0 = kiln.cast %x : tensor<4xf32> to tensor<4xi64>
// CHECK-NEXT: kiln.cast %{{[a-z0-9]+}} : tensor<4xi1> to tensor<4xf16>
  %1 = kiln.cast %b : tensor<4xi1> to tensor<4xf16>
// CHECK-NEXT: kiln.cast %{{[a-z0-9]+}} : tensor<4xi64> to tensor<4xui8>
  %2 = kiln.cast %0 : tensor<4xi64> to tensor<4xui8>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4xi64>, tensor<4xf16>, tensor<4xui8>
  return %0, %1, %2 : tensor<4xi64>, tensor<4xf16>, tensor<4xui8>
}

// CHECK-LABEL: func.func @shape(
func.func @shape(%x: tensor<4x8xf32>, %y: tensor<1x8xf32>, %z: tensor<2x3x4xi32>) -> (tensor<3x4x8xf32>, tensor<32xf32>, tensor<8x4xf32>, tensor<4x3x2xi32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<5x8xf32>, tensor<4x16xf32>, tensor<6x10xf32>, tensor<4x10xi32>) {
// CHECK: kiln.broadcast_to %{{[a-z0-9]+}} : tensor<1x8xf32> to tensor<3x4x8xf32>
  %0 = kiln.broadcast_to %y : tensor<1x8xf32> to tensor<3x4x8xf32>
// CHECK-NEXT: kiln.reshape %{{[a-z0-9]+}} : tensor<4x8xf32> to tensor<32xf32>
  %1 = kiln.reshape %x : tensor<4x8xf32> to tensor<32xf32>
// CHECK-NEXT: kiln.permute %{{[a-z0-9]+}} [1, 0] : tensor<4x8xf32>
  %2 = kiln.permute %x [1, 0] : tensor<4x8xf32>
// CHECK-NEXT: kiln.permute %{{[a-z0-9]+}} [2, 1, 0] : tensor<2x3x4xi32>
  %3 = kiln.permute %z [2, 1, 0] : tensor<2x3x4xi32>
// CHECK-NEXT: kiln.slice %{{[a-z0-9]+}} start [0, 1] end [4, 8] step [1, 2] : tensor<4x8xf32>
  %4 = kiln.slice %x start [0, 1] end [4, 8] step [1, 2] : tensor<4x8xf32>
// CHECK-NEXT: kiln.slice %{{[a-z0-9]+}} start [0, 0] end [4, 7] step [1, 3] : tensor<4x8xf32>
  %5 = kiln.slice %x start [0, 0] end [4, 7] step [1, 3] : tensor<4x8xf32>
// CHECK-NEXT: kiln.concat %{{[a-z0-9]+}}, %{{[a-z0-9]+}} dim 0 : tensor<4x8xf32>, tensor<1x8xf32>
  %6 = kiln.concat %x, %y dim 0 : tensor<4x8xf32>, tensor<1x8xf32>
// CHECK-NEXT: kiln.concat %{{[a-z0-9]+}}, %{{[a-z0-9]+}} dim 1 : tensor<4x8xf32>, tensor<4x8xf32>
  %7 = kiln.concat %x, %x dim 1 : tensor<4x8xf32>, tensor<4x8xf32>
// CHECK-NEXT: kiln.pad %{{[a-z0-9]+}} low [0, 1] high [2, 1] : tensor<4x8xf32>
  %8 = kiln.pad %x low [0, 1] high [2, 1] : tensor<4x8xf32>
// CHECK-NEXT: kiln.reshape %{{[a-z0-9]+}} : tensor<2x3x4xi32> to tensor<6x4xi32>
  %9 = kiln.reshape %z : tensor<2x3x4xi32> to tensor<6x4xi32>
// CHECK-NEXT: kiln.pad %{{[a-z0-9]+}} low [0, 3] high [0, 3] {value = -1 : i32} : tensor<6x4xi32>
  %10 = kiln.pad %9 low [0, 3] high [-0, 3] {value = -1 : i32} : tensor<6x4xi32>
// CHECK-NEXT: kiln.slice %{{[a-z0-9]+}} start [1, 0] end [5, 10] step [1, 1] : tensor<6x10xi32>
  %11 = kiln.slice %10 start [1, 0] end [5, 10] step [1, 1] : tensor<6x10xi32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<3x4x8xf32>, tensor<32xf32>, tensor<8x4xf32>, tensor<4x3x2xi32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<5x8xf32>, tensor<4x16xf32>, tensor<6x10xf32>, tensor<4x10xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %11 : tensor<3x4x8xf32>, tensor<32xf32>, tensor<8x4xf32>, tensor<4x3x2xi32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<5x8xf32>, tensor<4x16xf32>, tensor<6x10xf32>, tensor<4x10xi32>
}

// CHECK-LABEL: func.func @reduce(
func.func @reduce(%x: tensor<4x8xf32>, %i: tensor<2x3x4xi32>) -> (tensor<4xf32>, tensor<1x1xf32>, tensor<i64>, tensor<f32>, tensor<2x4xi32>, tensor<2x3x1xi64>, tensor<3xi32>, tensor<1x1x1xi64>) {
// CHECK: kiln.reduce sum %{{[a-z0-9]+}} dims [1] : tensor<4x8xf32>
  %0 = kiln.reduce sum %x dims [1] : tensor<4x8xf32>
// CHECK-NEXT: kiln.reduce max %{{[a-z0-9]+}} dims [0, 1] keepdim : tensor<4x8xf32>
  %1 = kiln.reduce max %x dims [0, 1] keepdim : tensor<4x8xf32>
// CHECK-NEXT: kiln.reduce argmax %{{[a-z0-9]+}} dims [] : tensor<4x8xf32>
  %2 = kiln.reduce argmax %x dims [] : tensor<4x8xf32>
// CHECK-NEXT: kiln.reduce mean %{{[a-z0-9]+}} dims [] : tensor<4x8xf32>
  %3 = kiln.reduce mean %x dims [] : tensor<4x8xf32>
// CHECK-NEXT: kiln.reduce prod %{{[a-z0-9]+}} dims [1] : tensor<2x3x4xi32>
  %4 = kiln.reduce prod %i dims [1] : tensor<2x3x4xi32>
// CHECK-NEXT: kiln.reduce argmin %{{[a-z0-9]+}} dims [2] keepdim : tensor<2x3x4xi32>
  %5 = kiln.reduce argmin %i dims [2] keepdim : tensor<2x3x4xi32>
// CHECK-NEXT: kiln.reduce min %{{[a-z0-9]+}} dims [2, 0] : tensor<2x3x4xi32>
  %6 = kiln.reduce min %i dims [2, 0] : tensor<2x3x4xi32>
// CHECK-NEXT: kiln.reduce argmax %{{[a-z0-9]+}} dims [] keepdim : tensor<2x3x4xi32>
  %7 = kiln.reduce argmax %i dims [] keepdim : tensor<2x3x4xi32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4xf32>, tensor<1x1xf32>, tensor<i64>, tensor<f32>, tensor<2x4xi32>, tensor<2x3x1xi64>, tensor<3xi32>, tensor<1x1x1xi64>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<4xf32>, tensor<1x1xf32>, tensor<i64>, tensor<f32>, tensor<2x4xi32>, tensor<2x3x1xi64>, tensor<3xi32>, tensor<1x1x1xi64>
}

// CHECK-LABEL: func.func @matmul(
func.func @matmul(%a: tensor<2x4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<4x3xf64>, %d: tensor<7x1x3x6xf64>, %e: tensor<?x3xi8>, %f: tensor<3x?xi8>) -> (tensor<2x4x5xf32>, tensor<7x1x4x6xf64>, tensor<?x?xi8>) {
// CHECK: kiln.matmul %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x4x3xf32>, tensor<3x5xf32>
  %0 = kiln.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x5xf32>
// CHECK-NEXT: kiln.matmul %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x3xf64>, tensor<7x1x3x6xf64>
  %1 = kiln.matmul %c, %d : tensor<4x3xf64>, tensor<7x1x3x6xf64>
// CHECK-NEXT: kiln.matmul %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<?x3xi8>, tensor<3x?xi8>
  %2 = kiln.matmul %e, %f : tensor<?x3xi8>, tensor<3x?xi8>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<2x4x5xf32>, tensor<7x1x4x6xf64>, tensor<?x?xi8>
  return %0, %1, %2 : tensor<2x4x5xf32>, tensor<7x1x4x6xf64>, tensor<?x?xi8>
}

// CHECK-LABEL: func.func @conv2d(
func.func @conv2d(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %bias: tensor<16xf32>, %gx: tensor<1x4x10x9xf32>, %gw: tensor<6x2x3x2xf32>) -> (tensor<8x16x32x32xf32>, tensor<1x6x2x4xf32>) {
// CHECK: kiln.conv2d %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
  %0 = kiln.conv2d %x, %w, %bias stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
// CHECK-NEXT: kiln.conv2d %{{[a-z0-9]+}}, %{{[a-z0-9]+}} stride [3, 2] padding [0, 1] dilation [2, 3] groups 2 : tensor<1x4x10x9xf32>, tensor<6x2x3x2xf32>
  %1 = kiln.conv2d %gx, %gw stride [3, 2] padding [0, 1] dilation [2, 3] groups 2 : tensor<1x4x10x9xf32>, tensor<6x2x3x2xf32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<8x16x32x32xf32>, tensor<1x6x2x4xf32>
  return %0, %1 : tensor<8x16x32x32xf32>, tensor<1x6x2x4xf32>
}

// CHECK-LABEL: func.func @pool(
func.func @pool(%x: tensor<1x3x8x8xf32>, %y: tensor<2x1x5x5xf32>, %i: tensor<1x1x4x4xi8>) -> (tensor<1x3x4x4xf32>, tensor<1x3x5x5xf32>, tensor<2x1x2x2xf32>, tensor<2x1x3x3xf32>, tensor<1x1x2x2xi8>, tensor<1x3x4x4xf32>) {
// CHECK: kiln.max_pool2d %{{[a-z0-9]+}} kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<1x3x8x8xf32>
  %0 = kiln.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<1x3x8x8xf32>
// CHECK-NEXT: kiln.avg_pool2d %{{[a-z0-9]+}} kernel [3, 3] stride [2, 2] padding [1, 1] ceil_mode count_include_pad : tensor<1x3x8x8xf32>
  %1 = kiln.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] ceil_mode count_include_pad : tensor<1x3x8x8xf32>
// CHECK-NEXT: kiln.max_pool2d %{{[a-z0-9]+}} kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<2x1x5x5xf32>
  %2 = kiln.max_pool2d %y kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<2x1x5x5xf32>
// CHECK-NEXT: kiln.max_pool2d %{{[a-z0-9]+}} kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] ceil_mode : tensor<2x1x5x5xf32>
  %3 = kiln.max_pool2d %y kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] ceil_mode : tensor<2x1x5x5xf32>
// CHECK-NEXT: kiln.max_pool2d %{{[a-z0-9]+}} kernel [2, 2] stride [2, 2] padding [1, 1] dilation [2, 2] : tensor<1x1x4x4xi8>
  %4 = kiln.max_pool2d %i kernel [2, 2] stride [2, 2] padding [1, 1] dilation [2, 2] : tensor<1x1x4x4xi8>
// CHECK-NEXT: kiln.avg_pool2d %{{[a-z0-9]+}} kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<1x3x8x8xf32>
  %5 = kiln.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<1x3x8x8xf32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<1x3x4x4xf32>, tensor<1x3x5x5xf32>, tensor<2x1x2x2xf32>, tensor<2x1x3x3xf32>, tensor<1x1x2x2xi8>, tensor<1x3x4x4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<1x3x4x4xf32>, tensor<1x3x5x5xf32>, tensor<2x1x2x2xf32>, tensor<2x1x3x3xf32>, tensor<1x1x2x2xi8>, tensor<1x3x4x4xf32>
}

// CHECK-LABEL: func.func @indexing(
func.func @indexing(%x: tensor<4x8xf32>, %idx: tensor<4x2xi64>, %sidx: tensor<2x8xi64>, %src: tensor<2x8xf32>) -> (tensor<4x2xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
// CHECK: kiln.gather %{{[a-z0-9]+}}, %{{[a-z0-9]+}} dim 1 : tensor<4x8xf32>, tensor<4x2xi64>
  %0 = kiln.gather %x, %idx dim 1 : tensor<4x8xf32>, tensor<4x2xi64>
// CHECK-NEXT: kiln.scatter %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} dim 0 : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
  %1 = kiln.scatter %x, %sidx, %src dim 0 : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
// CHECK-NEXT: kiln.scatter %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} dim 0 reduce add : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
  %2 = kiln.scatter %x, %sidx, %src dim 0 reduce add : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
// CHECK-NEXT: return %{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}} : tensor<4x2xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  return %0, %1, %2 : tensor<4x2xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
