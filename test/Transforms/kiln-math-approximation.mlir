// RUN: kiln-opt %s --kiln-math-approximation | FileCheck %s

// Vector exp/tanh/erf/log/log1p/expm1 on f32 become polynomials (fma chains):
// no math call survives that convert-math-to-libm would turn into one libm
// call per lane.
// CHECK-LABEL: func.func @vector_math
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.log
// CHECK-NOT: math.expm1
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.log
// CHECK-NOT: math.expm1
// CHECK: return
func.func @vector_math(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
  %0 = math.exp %x : vector<16xf32>
  %1 = math.tanh %x : vector<16xf32>
  %2 = math.erf %x : vector<16xf32>
  %3 = math.log %x : vector<16xf32>
  %4 = math.log1p %x : vector<16xf32>
  %5 = math.expm1 %x : vector<16xf32>
  return %0, %1, %2, %3, %4, %5 : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
}

// Scalars too (loops that stay scalar must not call libm either).
// CHECK-LABEL: func.func @scalar_tanh
// CHECK-NOT: math.tanh
// CHECK: math.fma {{.*}} : f32
// CHECK: return
func.func @scalar_tanh(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  return %0 : f32
}

// f64 has no polynomial here: it is left for convert-math-to-libm.
// CHECK-LABEL: func.func @f64_left_alone
// CHECK: math.tanh {{.*}} : f64
func.func @f64_left_alone(%x: f64) -> f64 {
  %0 = math.tanh %x : f64
  return %0 : f64
}
