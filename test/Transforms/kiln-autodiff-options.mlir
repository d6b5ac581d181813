// RUN: kiln-opt %s --kiln-autodiff | FileCheck %s --check-prefix=DEFAULT
// RUN: kiln-opt %s --kiln-autodiff="function=two_results result=1 wrt=2,0" | FileCheck %s --check-prefix=CHOSEN
// RUN: not kiln-opt %s --kiln-autodiff="function=two_results wrt=1" 2>&1 | FileCheck %s --check-prefix=INT-ARG
// RUN: not kiln-opt %s --kiln-autodiff="function=two_results result=2" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not kiln-opt %s --kiln-autodiff="function=missing" 2>&1 | FileCheck %s --check-prefix=MISSING

// By default every public function is differentiated with respect to its
// float arguments (not the i64 one), result 0 being the loss; private
// functions are left alone. An argument the loss does not depend on gets zeros.
// DEFAULT-LABEL: func.func @two_results(
// DEFAULT-SAME: -> (tensor<f32>, tensor<f32>, tensor<3xf32>, tensor<3xf32>)
// DEFAULT: %[[Z:.+]] = kiln.splat 0.000000e+00 : f32 -> tensor<3xf32>
// DEFAULT: return %{{.+}}, %{{.+}}, %{{.+}}, %[[Z]]
// DEFAULT-LABEL: func.func private @untouched(
// DEFAULT-SAME: -> tensor<f32>
// DEFAULT-NOT: kiln.splat

// result=1 makes the second result the loss; wrt lists the arguments in the
// order their gradients are appended.
// CHOSEN-LABEL: func.func @two_results(
// CHOSEN-SAME: %[[X:[^:]+]]: tensor<3xf32>, %{{[^:]+}}: tensor<3xi64>, %[[Y:[^:]+]]: tensor<3xf32>)
// CHOSEN-SAME: -> (tensor<f32>, tensor<f32>, tensor<3xf32>, tensor<3xf32>)
// CHOSEN: %[[G:.+]] = kiln.broadcast_to %{{.+}} : tensor<1xf32> to tensor<3xf32>
// CHOSEN: %[[GX:.+]] = kiln.mul %[[G]], %[[Y]]
// CHOSEN: %[[GY:.+]] = kiln.mul %[[G]], %[[X]]
// CHOSEN: return %{{.+}}, %{{.+}}, %[[GY]], %[[GX]]
// CHOSEN-LABEL: func.func private @untouched(

// INT-ARG: error: kiln-autodiff: argument 1 of @two_results must be a float tensor of static shape, got 'tensor<3xi64>'
// RANGE: error: kiln-autodiff: result index 2 is out of range: @two_results has 2 results
// MISSING: error: kiln-autodiff: no function body named @missing

func.func @two_results(%x: tensor<3xf32>, %n: tensor<3xi64>, %y: tensor<3xf32>) -> (tensor<f32>, tensor<f32>) {
  %a = kiln.reduce sum %x dims [] : tensor<3xf32>
  %p = kiln.mul %x, %y : tensor<3xf32>, tensor<3xf32>
  %b = kiln.reduce sum %p dims [] : tensor<3xf32>
  return %a, %b : tensor<f32>, tensor<f32>
}

func.func private @untouched(%x: tensor<3xf32>) -> tensor<f32> {
  %a = kiln.reduce sum %x dims [] : tensor<3xf32>
  return %a : tensor<f32>
}
