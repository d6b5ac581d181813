// One case per verifier and result-type inference error of the Kiln ops.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @exp_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'kiln.exp' op operand #0 must be ranked tensor of Kiln float element type (f32, f64, f16, bf16) values, but got 'tensor<4xi32>'}}
  %0 = kiln.exp %x : tensor<4xi32>
  return
}

// -----

func.func @unsupported_dtype(%x: tensor<4xi16>) {
  // expected-error @+1 {{'kiln.neg' op operand #0 must be ranked tensor of Kiln element type}}
  %0 = kiln.neg %x : tensor<4xi16>
  return
}

// -----

func.func @bitwise_and_float(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.bitwise_and' op operand #0 must be ranked tensor of Kiln integer or bool element type (i1, i8, i32, i64, ui8) values, but got 'tensor<4xf32>'}}
  %0 = kiln.bitwise_and %a, %b : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bitwise_or_half(%a: tensor<4x1xbf16>, %b: tensor<8xbf16>) {
  // expected-error @+1 {{'kiln.bitwise_or' op operand #0 must be ranked tensor of Kiln integer or bool element type (i1, i8, i32, i64, ui8) values, but got 'tensor<4x1xbf16>'}}
  %0 = kiln.bitwise_or %a, %b : tensor<4x1xbf16>, tensor<8xbf16>
  return
}

// -----

func.func @bitwise_xor_float(%a: tensor<4xf64>) {
  // expected-error @+1 {{'kiln.bitwise_xor' op operand #0 must be ranked tensor of Kiln integer or bool element type (i1, i8, i32, i64, ui8) values, but got 'tensor<4xf64>'}}
  %0 = kiln.bitwise_xor %a, %a : tensor<4xf64>, tensor<4xf64>
  return
}

// -----

func.func @bitwise_xor_element_types(%a: tensor<4xi32>, %b: tensor<4xi64>) {
  // expected-error @+1 {{'kiln.bitwise_xor' op operands must have the same element type, got lhs 'i32' and rhs 'i64'}}
  %0 = kiln.bitwise_xor %a, %b : tensor<4xi32>, tensor<4xi64>
  return
}

// -----

func.func @bitwise_not_float(%x: tensor<4xf16>) {
  // expected-error @+1 {{'kiln.bitwise_not' op operand #0 must be ranked tensor of Kiln integer or bool element type (i1, i8, i32, i64, ui8) values, but got 'tensor<4xf16>'}}
  %0 = kiln.bitwise_not %x : tensor<4xf16>
  return
}

// -----

func.func @shift_left_float(%a: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.shift_left' op operand #0 must be ranked tensor of Kiln integer element type (i8, i32, i64, ui8) values, but got 'tensor<4xf32>'}}
  %0 = kiln.shift_left %a, %a : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @shift_right_bool(%p: tensor<4xi1>) {
  // expected-error @+1 {{'kiln.shift_right' op operand #0 must be ranked tensor of Kiln integer element type (i8, i32, i64, ui8) values, but got 'tensor<4xi1>'}}
  %0 = kiln.shift_right %p, %p : tensor<4xi1>, tensor<4xi1>
  return
}

// -----

func.func @binary_element_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{'kiln.mul' op operands must have the same element type, got lhs 'f32' and rhs 'i32'}}
  %0 = kiln.mul %a, %b : tensor<4xf32>, tensor<4xi32>
  return
}

// -----

func.func @binary_shapes(%a: tensor<4x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'kiln.add' op shapes are not broadcastable: lhs 4x3 vs rhs 5}}
  %0 = kiln.add %a, %b : tensor<4x3xf32>, tensor<5xf32>
  return
}

// -----

func.func @inferred_type_mismatch(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+2 {{'kiln.add' op failed to infer returned types}}
  // expected-error @+1 {{'kiln.add' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  %0 = "kiln.add"(%a, %b) : (tensor<4x1xf32>, tensor<1x8xf32>) -> tensor<4x1xf32>
  return
}

// -----

func.func @where_cond_type(%c: tensor<4xf32>, %x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.where' op operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = kiln.where %c, %x, %x : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @where_element_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xf64>) {
  // expected-error @+1 {{'kiln.where' op x and y must have the same element type, got 'f32' and 'f64'}}
  %0 = kiln.where %c, %x, %y : tensor<4xi1>, tensor<4xf32>, tensor<4xf64>
  return
}

// -----

func.func @where_shapes(%c: tensor<3xi1>, %x: tensor<4xf32>, %y: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.where' op shapes are not broadcastable: cond 3, x 4, y 4}}
  %0 = kiln.where %c, %x, %y : tensor<3xi1>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @splat_type() {
  // expected-error @+1 {{'kiln.splat' op value 1.000000e+00 : f64 does not match the element type 'f32' of 'tensor<4xf32>'}}
  %0 = kiln.splat 1.0 : f64 -> tensor<4xf32>
  return
}

// -----

func.func @splat_kind() {
  // expected-error @+1 {{'kiln.splat' op value 1 : i32 does not match the element type 'f32'}}
  %0 = kiln.splat 1 : i32 -> tensor<4xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.cast' op cannot change the shape: input 4 vs result 2x2}}
  %0 = kiln.cast %x : tensor<4xf32> to tensor<2x2xi32>
  return
}

// -----

func.func @broadcast_element_type(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{'kiln.broadcast_to' op cannot change the element type: input 'f32' vs result 'f16'}}
  %0 = kiln.broadcast_to %x : tensor<1x8xf32> to tensor<4x8xf16>
  return
}

// -----

func.func @broadcast_shape(%x: tensor<3x8xf32>) {
  // expected-error @+1 {{'kiln.broadcast_to' op cannot broadcast 3x8 to 4x8}}
  %0 = kiln.broadcast_to %x : tensor<3x8xf32> to tensor<4x8xf32>
  return
}

// -----

func.func @broadcast_rank(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'kiln.broadcast_to' op cannot broadcast 2x8 to 8}}
  %0 = kiln.broadcast_to %x : tensor<2x8xf32> to tensor<8xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot change the element type: input 'f32' vs result 'i32'}}
  %0 = kiln.reshape %x : tensor<4xf32> to tensor<2x2xi32>
  return
}

// -----

func.func @reshape_dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'kiln.reshape' op requires static shapes, got ?x4 to 8}}
  %0 = kiln.reshape %x : tensor<?x4xf32> to tensor<8xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<4x3xf32>) {
  // expected-error @+1 {{'kiln.reshape' op element counts differ: 4x3 has 12, 5x2 has 10}}
  %0 = kiln.reshape %x : tensor<4x3xf32> to tensor<5x2xf32>
  return
}

// -----

func.func @permute_duplicate(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.permute' op dims [1, 1] is not a permutation of the 2 dimensions of 4x8}}
  %0 = kiln.permute %x [1, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @permute_length(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.permute' op dims [0] is not a permutation of the 2 dimensions of 4x8}}
  %0 = kiln.permute %x [0] : tensor<4x8xf32>
  return
}

// -----

func.func @slice_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.slice' op needs one start, end and step per dimension of 4x8, got 1, 2 and 2}}
  %0 = kiln.slice %x start [0] end [4, 8] step [1, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @slice_end(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.slice' op dimension 1 of size 8 has start 2, end 9, step 1; expected 0 <= start <= end <= size and step >= 1}}
  %0 = kiln.slice %x start [0, 2] end [4, 9] step [1, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.slice' op dimension 0 of size 4 has start 0, end 4, step 0}}
  %0 = kiln.slice %x start [0, 0] end [4, 8] step [0, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @+2 {{'kiln.concat' op needs at least one input}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %0 = "kiln.concat"() <{dim = 0 : i64}> : () -> tensor<1xf32>
  return
}

// -----

func.func @concat_dim(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.concat' op dim 2 is out of range for rank 2}}
  %0 = kiln.concat %x, %x dim 2 : tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @concat_element_type(%x: tensor<4x8xf32>, %y: tensor<4x8xf64>) {
  // expected-error @+1 {{'kiln.concat' op input 1 has element type 'f64', input 0 has 'f32'}}
  %0 = kiln.concat %x, %y dim 0 : tensor<4x8xf32>, tensor<4x8xf64>
  return
}

// -----

func.func @concat_shape(%x: tensor<4x8xf32>, %y: tensor<4x7xf32>) {
  // expected-error @+1 {{'kiln.concat' op input 1 of shape 4x7 does not match input 0 of shape 4x8 outside dimension 0}}
  %0 = kiln.concat %x, %y dim 0 : tensor<4x8xf32>, tensor<4x7xf32>
  return
}

// -----

func.func @pad_count(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.pad' op needs one low and high entry per dimension of 4x8, got low [1] and high [1, 1]}}
  %0 = kiln.pad %x low [1] high [1, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.pad' op padding must be non-negative, got low [0, -1] and high [1, 1]}}
  %0 = kiln.pad %x low [0, -1] high [1, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @pad_value(%x: tensor<4xf32>) {
  // expected-error @+2 {{'kiln.pad' op padding value 1 : i64 does not match the element type 'f32'}}
  // expected-error @+1 {{'kiln.pad' op failed to infer returned types}}
  %0 = kiln.pad %x low [1] high [1] {value = 1 : i64} : tensor<4xf32>
  return
}

// -----

func.func @reduce_dims(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.reduce' op dims [1, 1] must be unique and in [0, 2) for 4x8}}
  %0 = kiln.reduce sum %x dims [1, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @reduce_dim_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.reduce' op dims [2] must be unique and in [0, 2) for 4x8}}
  %0 = kiln.reduce max %x dims [2] : tensor<4x8xf32>
  return
}

// -----

func.func @reduce_argmax_dims(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kiln.reduce' op argmax reduces one dimension or all (dims []), got dims [0, 1]}}
  %0 = kiln.reduce argmax %x dims [0, 1] : tensor<4x8xf32>
  return
}

// -----

func.func @reduce_mean_int(%x: tensor<4x8xi32>) {
  // expected-error @+1 {{'kiln.reduce' op mean requires a float element type, got 'i32'}}
  %0 = kiln.reduce mean %x dims [0] : tensor<4x8xi32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x2xf32>) {
  // expected-error @+1 {{'kiln.matmul' op operands must have rank >= 2, got lhs 4 and rhs 4x2}}
  %0 = kiln.matmul %a, %b : tensor<4xf32>, tensor<4x2xf32>
  return
}

// -----

func.func @matmul_element_type(%a: tensor<2x4xf32>, %b: tensor<4x2xf16>) {
  // expected-error @+1 {{'kiln.matmul' op operands must have the same element type, got lhs 'f32' and rhs 'f16'}}
  %0 = kiln.matmul %a, %b : tensor<2x4xf32>, tensor<4x2xf16>
  return
}

// -----

func.func @matmul_contracting(%a: tensor<4x3xf32>, %b: tensor<5x6xf32>) {
  // expected-error @+1 {{'kiln.matmul' op contracting dimensions differ: lhs 4x3 vs rhs 5x6 (3 != 5)}}
  %0 = kiln.matmul %a, %b : tensor<4x3xf32>, tensor<5x6xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<3x3x5xf32>) {
  // expected-error @+1 {{'kiln.matmul' op batch dimensions are not broadcastable: lhs 2x4x3 vs rhs 3x3x5}}
  %0 = kiln.matmul %a, %b : tensor<2x4x3xf32>, tensor<3x3x5xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'kiln.conv2d' op expects an NCHW input and an OIHW weight of rank 4, got 3x8x8 and 4x3x3x3}}
  %0 = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<3x8x8xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @conv_element_type(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf16>) {
  // expected-error @+1 {{'kiln.conv2d' op input and weight element types differ: 'f32' vs 'f16'}}
  %0 = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf16>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'kiln.conv2d' op bias 'tensor<5xf32>' must be a vector of the 4 output channels of weight 4x3x3x3 with element type 'f32'}}
  %0 = kiln.conv2d %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'kiln.conv2d' op stride must have 2 entries >= 1, got [1, 0]}}
  %0 = kiln.conv2d %x, %w stride [1, 0] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'kiln.conv2d' op groups must be >= 1, got 0}}
  %0 = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 0 : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+1 {{'kiln.conv2d' op channels do not match groups 2: input 1x4x8x8, weight 6x4x3x3}}
  %0 = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 2 : tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>
  return
}

// -----

func.func @conv_kernel_size(%x: tensor<1x3x4x4xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'kiln.conv2d' op kernel of weight 4x3x3x3 (dilation [2, 2]) is larger than the padded input 1x3x4x4}}
  %0 = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [2, 2] groups 1 : tensor<1x3x4x4xf32>, tensor<4x3x3x3xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<3x8x8xf32>) {
  // expected-error @+1 {{'kiln.max_pool2d' op expects an NCHW input of rank 4, got 3x8x8}}
  %0 = kiln.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<3x8x8xf32>
  return
}

// -----

func.func @pool_kernel(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{'kiln.avg_pool2d' op kernel_size must have 2 entries >= 1, got [2]}}
  %0 = kiln.avg_pool2d %x kernel [2] stride [2, 2] padding [0, 0] : tensor<1x3x8x8xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{'kiln.max_pool2d' op padding [2, 0] must be at most half of kernel_size [3, 3]}}
  %0 = kiln.max_pool2d %x kernel [3, 3] stride [1, 1] padding [2, 0] dilation [1, 1] : tensor<1x3x8x8xf32>
  return
}

// -----

func.func @pool_too_small(%x: tensor<1x3x2x2xf32>) {
  // expected-error @+1 {{'kiln.max_pool2d' op input 1x3x2x2 is too small for kernel_size [2, 2] (output size 0)}}
  %0 = kiln.max_pool2d %x kernel [2, 2] stride [1, 1] padding [0, 0] dilation [2, 2] : tensor<1x3x2x2xf32>
  return
}

// -----

func.func @avg_pool_int(%x: tensor<1x3x8x8xi32>) {
  // expected-error @+1 {{'kiln.avg_pool2d' op operand #0 must be ranked tensor of Kiln float element type}}
  %0 = kiln.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x3x8x8xi32>
  return
}

// -----

func.func @gather_index_type(%x: tensor<4x8xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'kiln.gather' op operand #1 must be ranked tensor of 64-bit signless integer values}}
  %0 = kiln.gather %x, %i dim 1 : tensor<4x8xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @gather_rank(%x: tensor<4x8xf32>, %i: tensor<4xi64>) {
  // expected-error @+1 {{'kiln.gather' op index 4 must have the rank of input 4x8}}
  %0 = kiln.gather %x, %i dim 0 : tensor<4x8xf32>, tensor<4xi64>
  return
}

// -----

func.func @gather_dim(%x: tensor<4x8xf32>, %i: tensor<4x2xi64>) {
  // expected-error @+1 {{'kiln.gather' op dim 2 is out of range for rank 2}}
  %0 = kiln.gather %x, %i dim 2 : tensor<4x8xf32>, tensor<4x2xi64>
  return
}

// -----

func.func @gather_index_size(%x: tensor<4x8xf32>, %i: tensor<5x2xi64>) {
  // expected-error @+1 {{'kiln.gather' op index 5x2 is larger than input 4x8 in dimension 0}}
  %0 = kiln.gather %x, %i dim 1 : tensor<4x8xf32>, tensor<5x2xi64>
  return
}

// -----

func.func @scatter_rank(%x: tensor<4x8xf32>, %i: tensor<2x8xi64>, %s: tensor<16xf32>) {
  // expected-error @+1 {{'kiln.scatter' op input 4x8, index 2x8 and src 16 must have one rank}}
  %0 = kiln.scatter %x, %i, %s dim 0 : tensor<4x8xf32>, tensor<2x8xi64>, tensor<16xf32>
  return
}

// -----

func.func @scatter_dim(%x: tensor<4x8xf32>, %i: tensor<2x8xi64>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{'kiln.scatter' op dim -1 is out of range for rank 2}}
  %0 = kiln.scatter %x, %i, %s dim -1 : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf32>
  return
}

// -----

func.func @scatter_element_type(%x: tensor<4x8xf32>, %i: tensor<2x8xi64>, %s: tensor<2x8xf64>) {
  // expected-error @+1 {{'kiln.scatter' op src element type 'f64' differs from input's 'f32'}}
  %0 = kiln.scatter %x, %i, %s dim 0 : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x8xf64>
  return
}

// -----

func.func @scatter_index_size(%x: tensor<4x8xf32>, %i: tensor<2x8xi64>, %s: tensor<2x4xf32>) {
  // expected-error @+1 {{'kiln.scatter' op index 2x8 exceeds src 2x4 or input 4x8 in dimension 1}}
  %0 = kiln.scatter %x, %i, %s dim 0 reduce add : tensor<4x8xf32>, tensor<2x8xi64>, tensor<2x4xf32>
  return
}

// -----

func.func @constant_dtype() {
  // expected-error @+1 {{'kiln.constant' op result #0 must be ranked tensor of Kiln element type}}
  %0 = kiln.constant dense<1> : tensor<2xi16>
  return
}

// -----

func.func @constant_vector() {
  // expected-error @+1 {{'kiln.constant' op result #0 must be ranked tensor of Kiln element type (f32, f64, f16, bf16, i1, i8, i32, i64, ui8) values, but got 'vector<4xf32>'}}
  %0 = kiln.constant dense<1.0> : vector<4xf32>
  return
}
