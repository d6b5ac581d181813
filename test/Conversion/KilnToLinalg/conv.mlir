// convert-kiln-to-linalg on kiln.conv2d: tensor.pad, conv_2d_nchw_fchw (or the grouped ngchw_gfchw), bias seeding the init.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv_bias(
// CHECK-SAME: %[[X:.*]]: tensor<8x3x32x32xf32>, %[[W:.*]]: tensor<16x3x3x3xf32>, %[[B:.*]]: tensor<16xf32>
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: } : tensor<8x3x32x32xf32> to tensor<8x3x34x34xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], #[[ID4]]], {{.*}} ins(%[[B]] : tensor<16xf32>) outs(%{{.*}} : tensor<8x16x32x32xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[P]], %[[W]] : tensor<8x3x34x34xf32>, tensor<16x3x3x3xf32>) outs(%[[INIT]] : tensor<8x16x32x32xf32>)
// CHECK: return %[[C]]
// BUF-LABEL: func.func @conv_bias(
// BUF: linalg.conv_2d_nchw_fchw
func.func @conv_bias(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>) -> tensor<8x16x32x32xf32> {
  %0 = kiln.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1
      : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
  return %0 : tensor<8x16x32x32xf32>
}

// No padding: no tensor.pad.
// CHECK-LABEL: func.func @conv_strided(
// CHECK-NOT: tensor.pad
// CHECK: linalg.fill
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x2x9x9xf32>, tensor<4x2x3x3xf32>)
func.func @conv_strided(%x: tensor<1x2x9x9xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = kiln.conv2d %x, %w stride [2, 2] padding [0, 0] dilation [2, 2] groups 1
      : tensor<1x2x9x9xf32>, tensor<4x2x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// CHECK-LABEL: func.func @conv_groups(
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: %[[X:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 8, 8]
// CHECK: %[[W:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3]
// CHECK: %[[O:.*]] = tensor.expand_shape %[[F]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 3, 6, 6]
// CHECK: %[[C:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[X]], %[[W]] : tensor<1x2x2x8x8xf32>, tensor<2x3x2x3x3xf32>) outs(%[[O]] : tensor<1x2x3x6x6xf32>)
// CHECK: tensor.collapse_shape %[[C]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x3x6x6xf32> into tensor<1x6x6x6xf32>
func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 2
      : tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>
  return %0 : tensor<1x6x6x6xf32>
}
