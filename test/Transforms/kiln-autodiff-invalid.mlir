// RUN: kiln-opt %s --kiln-autodiff --split-input-file --verify-diagnostics

// An op on the way from an argument to the loss without a VJP rule is named.
func.func private @helper(tensor<4xf32>) -> tensor<4xf32>

func.func @call(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'func.call' op is not differentiable: it has no vector-Jacobian product rule}}
  %y = func.call @helper(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %s = kiln.reduce sum %y dims [] : tensor<4xf32>
  return %s : tensor<f32>
}

// -----

// expected-error @+1 {{kiln-autodiff: result 0 of @not_scalar must be a 0-d float tensor (a scalar loss), got 'tensor<4xf32>'}}
func.func @not_scalar(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = kiln.exp %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-error @+1 {{kiln-autodiff: result 0 of @integer_loss must be a 0-d float tensor (a scalar loss), got 'tensor<i64>'}}
func.func @integer_loss(%x: tensor<4xi64>) -> tensor<i64> {
  %s = kiln.reduce sum %x dims [] : tensor<4xi64>
  return %s : tensor<i64>
}

// -----

// expected-error @+1 {{kiln-autodiff: result index 0 is out of range: @no_results has 0 results}}
func.func @no_results(%x: tensor<4xf32>) {
  return
}

// -----

// expected-error @+1 {{kiln-autodiff: argument 0 of @dynamic must be a float tensor of static shape, got 'tensor<?xf32>'}}
func.func @dynamic(%x: tensor<?xf32>) -> tensor<f32> {
  %s = kiln.reduce sum %x dims [] : tensor<?xf32>
  return %s : tensor<f32>
}
