// RUN: kiln-opt %s --kiln-linalg-to-extern-kernels --split-input-file | FileCheck %s

// A zero fill before the matmul is dropped: the kernel overwrites.
// CHECK-LABEL: func.func @matmul_fill
// CHECK-SAME: (%[[A:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<8x16xf32>, %[[C:.*]]: memref<4x16xf32>)
// CHECK-NOT: linalg.fill
// CHECK-DAG: %[[CA:.*]] = memref.cast %[[A]] : memref<4x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[CB:.*]] = memref.cast %[[B]]
// CHECK-DAG: %[[CC:.*]] = memref.cast %[[C]]
// CHECK: call @kiln_matmul_f32(%[[CA]], %[[CB]], %[[CC]])
// CHECK-NOT: linalg.matmul
// CHECK: func.func private @kiln_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @matmul_fill(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// Without a fill the output keeps its contents: the accumulating kernel.
// A transposed (strided) operand is passed as is, its layout in the descriptor.
// CHECK-LABEL: func.func @matmul_accumulate
// CHECK: memref.cast %{{.*}} : memref<2x3xf32, strided<[1, 2]>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @kiln_matmul_acc_f32
// CHECK-NOT: linalg.matmul
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<3x5xf32>)
func.func @matmul_accumulate(%a: memref<2x3xf32, strided<[1, 2]>>, %b: memref<3x5xf32>, %c: memref<2x5xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.matmul ins(%a, %b : memref<2x3xf32, strided<[1, 2]>>, memref<3x5xf32>) outs(%c : memref<2x5xf32>)
  // A fill after the matmul is unrelated and stays.
  linalg.fill ins(%one : f32) outs(%b : memref<3x5xf32>)
  return
}

// -----

// A nonzero fill or a write in between keeps the accumulating form.
// CHECK-LABEL: func.func @matmul_not_zero
// CHECK: linalg.fill
// CHECK: call @kiln_matmul_acc_f32
// CHECK: linalg.fill
// CHECK: memref.copy
// CHECK: call @kiln_matmul_acc_f32
func.func @matmul_not_zero(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>, %d: memref<4x4xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<4x4xf32>)
  linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<4x4xf32>)
  memref.copy %a, %d : memref<4x4xf32> to memref<4x4xf32>
  linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%d : memref<4x4xf32>)
  return
}

// -----

// A broadcast bias becomes the fused-bias kernel.
// CHECK-LABEL: func.func @matmul_bias
// CHECK-NOT: linalg.broadcast
// CHECK: call @kiln_matmul_bias_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
func.func @matmul_bias(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %bias: memref<16xf32>, %c: memref<4x16xf32>) {
  linalg.broadcast ins(%bias : memref<16xf32>) outs(%c : memref<4x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// Batch matmul, after an allocation; one declaration serves both calls.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: memref.alloc
// CHECK-NOT: linalg.fill
// CHECK: call @kiln_batch_matmul_f32
// CHECK: call @kiln_batch_matmul_f32
// CHECK: func.func private @kiln_batch_matmul_f32
// CHECK-NOT: func.func private @kiln_batch_matmul_f32
func.func @batch_matmul(%a: memref<2x4x8xf32>, %b: memref<2x8x3xf32>, %c: memref<2x4x3xf32>) -> memref<2x4x3xf32> {
  %zero = arith.constant 0.0 : f32
  %tmp = memref.alloc() : memref<2x4x3xf32>
  linalg.fill ins(%zero : f32) outs(%tmp : memref<2x4x3xf32>)
  linalg.batch_matmul ins(%a, %b : memref<2x4x8xf32>, memref<2x8x3xf32>) outs(%tmp : memref<2x4x3xf32>)
  linalg.fill ins(%zero : f32) outs(%c : memref<2x4x3xf32>)
  linalg.batch_matmul ins(%a, %b : memref<2x4x8xf32>, memref<2x8x3xf32>) outs(%c : memref<2x4x3xf32>)
  return %tmp : memref<2x4x3xf32>
}

// -----

// Other element types and tensors stay linalg.
// CHECK-LABEL: func.func @not_f32
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<4x4xf64>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<4x4xf16>, memref<4x4xf16>) outs(%{{.*}} : memref<4x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x4xf32>
// CHECK-NOT: call
func.func @not_f32(%a: memref<4x4xf64>, %c: memref<4x4xf64>, %h: memref<4x4xf16>, %f: memref<4x4xf32>, %t: tensor<4x4xf32>) -> tensor<4x4xf32> {
  linalg.matmul ins(%a, %a : memref<4x4xf64>, memref<4x4xf64>) outs(%c : memref<4x4xf64>)
  linalg.matmul ins(%h, %h : memref<4x4xf16>, memref<4x4xf16>) outs(%f : memref<4x4xf32>)
  %r = linalg.matmul ins(%t, %t : tensor<4x4xf32>, tensor<4x4xf32>) outs(%t : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// Conv: strides and dilations become i64 arguments (padding 0, groups 1).
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK: call @kiln_conv2d_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[C2]], %[[C1]], %[[C0]], %[[C0]], %[[C1]], %[[C3]], %[[C1]])
// CHECK: call @kiln_conv2d_bias_f32
// CHECK-NOT: linalg.conv
// CHECK-NOT: linalg.broadcast
// CHECK: func.func private @kiln_conv2d_f32({{.*}}, i64, i64, i64, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
func.func @conv(%x: memref<1x3x9x12xf32>, %w: memref<4x3x3x3xf32>, %y: memref<1x4x4x6xf32>, %bias: memref<4xf32>, %z: memref<1x4x4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x4x4x6xf32>)
  linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 3]> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x12xf32>, memref<4x3x3x3xf32>) outs(%y : memref<1x4x4x6xf32>)
  linalg.broadcast ins(%bias : memref<4xf32>) outs(%z : memref<1x4x4x6xf32>) dimensions = [0, 2, 3]
  linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<[1, 3]> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x9x12xf32>, memref<4x3x3x3xf32>) outs(%z : memref<1x4x4x6xf32>)
  return
}

// -----

// A conv that accumulates into existing contents has no kernel: it stays.
// CHECK-LABEL: func.func @conv_accumulate
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: call
func.func @conv_accumulate(%x: memref<1x3x5x5xf32>, %w: memref<4x3x3x3xf32>, %y: memref<1x4x3x3xf32>) {
  linalg.conv_2d_nchw_fchw ins(%x, %w : memref<1x3x5x5xf32>, memref<4x3x3x3xf32>) outs(%y : memref<1x4x3x3xf32>)
  return
}

// -----

// kiln-to-linalg's forms: the bias seeded by a linalg.generic, and groups > 1
// as conv_2d_ngchw_gfchw over expand_shape views of the NCHW/OIHW buffers.
// CHECK-LABEL: func.func @conv_generic_bias_grouped
// CHECK-SAME: (%[[X:.*]]: memref<1x4x6x6xf32>, %[[W:.*]]: memref<6x2x3x3xf32>, %[[BIAS:.*]]: memref<6xf32>, %[[Y:.*]]: memref<1x6x4x4xf32>)
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[CX:.*]] = memref.cast %[[X]] : memref<1x4x6x6xf32> to
// CHECK-DAG: %[[CW:.*]] = memref.cast %[[W]] : memref<6x2x3x3xf32> to
// CHECK-DAG: %[[CB:.*]] = memref.cast %[[BIAS]] : memref<6xf32> to
// CHECK-DAG: %[[CY:.*]] = memref.cast %[[Y]] : memref<1x6x4x4xf32> to
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : i64
// CHECK: call @kiln_conv2d_bias_f32(%[[CX]], %[[CW]], %[[CB]], %[[CY]], %[[ONE]], %[[ONE]], %[[ZERO]], %[[ZERO]], %[[ONE]], %[[ONE]], %[[TWO]])
// CHECK-NOT: linalg.conv
#bias = affine_map<(d0, d1, d2, d3) -> (d1)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_generic_bias_grouped(%x: memref<1x4x6x6xf32>, %w: memref<6x2x3x3xf32>, %bias: memref<6xf32>, %y: memref<1x6x4x4xf32>) {
  linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : memref<6xf32>) outs(%y : memref<1x6x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %gx = memref.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 6, 6] : memref<1x4x6x6xf32> into memref<1x2x2x6x6xf32>
  %gw = memref.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : memref<6x2x3x3xf32> into memref<2x3x2x3x3xf32>
  %gy = memref.expand_shape %y [[0], [1, 2], [3], [4]] output_shape [1, 2, 3, 4, 4] : memref<1x6x4x4xf32> into memref<1x2x3x4x4xf32>
  linalg.conv_2d_ngchw_gfchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%gx, %gw : memref<1x2x2x6x6xf32>, memref<2x3x2x3x3xf32>) outs(%gy : memref<1x2x3x4x4xf32>)
  return
}

// -----

// What kiln-to-linalg and bufferization make of conv2d with padding [1, 1],
// groups 2 and a bias: the zero-padded copy of the input is dropped (the
// kernel pads), the grouped output gets a 4-D view, the bias its 1-D source.
// CHECK-LABEL: func.func @conv_padded_grouped
// CHECK-SAME: (%[[X:.*]]: memref<2x8x16x16xf32>, %[[W:.*]]: memref<12x4x3x3xf32>, %[[BIAS:.*]]: memref<12xf32>
// CHECK-NOT: linalg.map
// CHECK-NOT: memref.alloc() {{.*}} : memref<2x8x18x18xf32>
// CHECK: %[[ALLOC:.*]] = memref.alloc() {{.*}} : memref<2x2x6x8x8xf32>
// CHECK: %[[OUT:.*]] = memref.collapse_shape %[[ALLOC]] {{\[}}[0], [1, 2], [3], [4]]
// CHECK-DAG: %[[CX:.*]] = memref.cast %[[X]] : memref<2x8x16x16xf32>
// CHECK-DAG: %[[CW:.*]] = memref.cast %[[W]] : memref<12x4x3x3xf32>
// CHECK-DAG: %[[CB:.*]] = memref.cast %[[BIAS]] : memref<12xf32>
// CHECK-DAG: %[[CO:.*]] = memref.cast %[[OUT]] : memref<2x12x8x8xf32>
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK: call @kiln_conv2d_bias_f32(%[[CX]], %[[CW]], %[[CB]], %[[CO]], %[[TWO]], %[[TWO]], %[[ONE]], %[[ONE]], %[[ONE]], %[[ONE]], %[[TWO]])
// CHECK-NOT: linalg.conv
// CHECK-NOT: linalg.generic
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<2x12x8x8xf32> to memref<2x12x8x8xf32>
#bias2 = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
func.func @conv_padded_grouped(%arg0: memref<2x8x16x16xf32>, %arg1: memref<12x4x3x3xf32>, %arg2: memref<12xf32>, %arg3: memref<2x12x8x8xf32>) {
  %cst = arith.constant 0.000000e+00 : f32
  %alloc = memref.alloc() {alignment = 64 : i64} : memref<2x8x18x18xf32>
  linalg.map outs(%alloc : memref<2x8x18x18xf32>)
    () {
      linalg.yield %cst : f32
    }
  %subview = memref.subview %alloc[0, 0, 1, 1] [2, 8, 16, 16] [1, 1, 1, 1] : memref<2x8x18x18xf32> to memref<2x8x16x16xf32, strided<[2592, 324, 18, 1], offset: 19>>
  memref.copy %arg0, %subview : memref<2x8x16x16xf32> to memref<2x8x16x16xf32, strided<[2592, 324, 18, 1], offset: 19>>
  %expand_shape = memref.expand_shape %arg2 [[0, 1]] output_shape [2, 6] : memref<12xf32> into memref<2x6xf32>
  %alloc_0 = memref.alloc() {alignment = 64 : i64} : memref<2x2x6x8x8xf32>
  linalg.generic {indexing_maps = [#bias2, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%expand_shape : memref<2x6xf32>) outs(%alloc_0 : memref<2x2x6x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %expand_shape_1 = memref.expand_shape %alloc [[0], [1, 2], [3], [4]] output_shape [2, 2, 4, 18, 18] : memref<2x8x18x18xf32> into memref<2x2x4x18x18xf32>
  %expand_shape_2 = memref.expand_shape %arg1 [[0, 1], [2], [3], [4]] output_shape [2, 6, 4, 3, 3] : memref<12x4x3x3xf32> into memref<2x6x4x3x3xf32>
  linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%expand_shape_1, %expand_shape_2 : memref<2x2x4x18x18xf32>, memref<2x6x4x3x3xf32>) outs(%alloc_0 : memref<2x2x6x8x8xf32>)
  %collapse_shape = memref.collapse_shape %alloc_0 [[0], [1, 2], [3], [4]] : memref<2x2x6x8x8xf32> into memref<2x12x8x8xf32>
  memref.copy %collapse_shape, %arg3 : memref<2x12x8x8xf32> to memref<2x12x8x8xf32>
  memref.dealloc %alloc : memref<2x8x18x18xf32>
  memref.dealloc %alloc_0 : memref<2x2x6x8x8xf32>
  return
}

// -----

// The padded buffer is written again after the copy: the padding stays.
// CHECK-LABEL: func.func @conv_pad_clobbered
// CHECK: linalg.fill
// CHECK: memref.copy
// CHECK: linalg.fill
// CHECK-DAG: %[[S:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[P:.*]] = arith.constant 0 : i64
// CHECK: call @kiln_conv2d_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[S]], %[[S]], %[[P]], %[[P]], %[[S]], %[[S]], %[[S]])
func.func @conv_pad_clobbered(%x: memref<1x1x4x4xf32>, %w: memref<1x1x3x3xf32>, %y: memref<1x1x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %padded = memref.alloc() : memref<1x1x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%padded : memref<1x1x6x6xf32>)
  %interior = memref.subview %padded[0, 0, 1, 1] [1, 1, 4, 4] [1, 1, 1, 1] : memref<1x1x6x6xf32> to memref<1x1x4x4xf32, strided<[36, 36, 6, 1], offset: 7>>
  memref.copy %x, %interior : memref<1x1x4x4xf32> to memref<1x1x4x4xf32, strided<[36, 36, 6, 1], offset: 7>>
  linalg.fill ins(%one : f32) outs(%x : memref<1x1x4x4xf32>)
  linalg.fill ins(%zero : f32) outs(%y : memref<1x1x4x4xf32>)
  linalg.conv_2d_nchw_fchw ins(%padded, %w : memref<1x1x6x6xf32>, memref<1x1x3x3xf32>) outs(%y : memref<1x1x4x4xf32>)
  memref.dealloc %padded : memref<1x1x6x6xf32>
  return
}

// -----

// relu(x @ w + b) as kiln-fuse-elementwise and bufferization leave it: a
// zero-filled matmul, then one generic adding the row-broadcast bias and
// taking max(., 0), written in place. One fused call replaces both.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul_bias_relu_inplace
// CHECK-SAME: (%[[A:.*]]: memref<5x8xf32>, %[[B:.*]]: memref<8x6xf32>, %[[BIAS:.*]]: memref<6xf32>, %[[C:.*]]: memref<5x6xf32>)
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.matmul
// CHECK-DAG: %[[CA:.*]] = memref.cast %[[A]]
// CHECK-DAG: %[[CB:.*]] = memref.cast %[[B]]
// CHECK-DAG: %[[CBIAS:.*]] = memref.cast %[[BIAS]]
// CHECK-DAG: %[[CC:.*]] = memref.cast %[[C]]
// CHECK: call @kiln_matmul_bias_relu_f32(%[[CA]], %[[CB]], %[[CBIAS]], %[[CC]])
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK: func.func private @kiln_matmul_bias_relu_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @matmul_bias_relu_inplace(%a: memref<5x8xf32>, %b: memref<8x6xf32>, %bias: memref<6xf32>, %c: memref<5x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<5x6xf32>)
  linalg.matmul ins(%a, %b : memref<5x8xf32>, memref<8x6xf32>) outs(%c : memref<5x6xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %bias : memref<5x6xf32>, memref<6xf32>) outs(%c : memref<5x6xf32>) {
  ^bb0(%in: f32, %b_in: f32, %out: f32):
    %s = arith.addf %in, %b_in : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// The same with the operands the other way round (bias first, addf(b, c),
// maximumf(0, .)) and the matmul into a temporary: the call writes the
// generic's output and the temporary's alloc and dealloc go.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul_bias_relu_temporary
// CHECK-SAME: (%[[A:.*]]: memref<5x8xf32>, %[[B:.*]]: memref<8x6xf32>, %[[BIAS:.*]]: memref<6xf32>, %[[OUT:.*]]: memref<5x6xf32>)
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.matmul
// CHECK: %[[CO:.*]] = memref.cast %[[OUT]]
// CHECK: call @kiln_matmul_bias_relu_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[CO]])
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @matmul_bias_relu_temporary(%a: memref<5x8xf32>, %b: memref<8x6xf32>, %bias: memref<6xf32>, %out: memref<5x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<5x6xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<5x6xf32>)
  linalg.matmul ins(%a, %b : memref<5x8xf32>, memref<8x6xf32>) outs(%c : memref<5x6xf32>)
  linalg.generic {indexing_maps = [#row, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%bias, %c : memref<6xf32>, memref<5x6xf32>) outs(%out : memref<5x6xf32>) {
  ^bb0(%b_in: f32, %in: f32, %o: f32):
    %s = arith.addf %b_in, %in : f32
    %r = arith.maximumf %zero, %s : f32
    linalg.yield %r : f32
  }
  memref.dealloc %c : memref<5x6xf32>
  return
}

// -----

// A bias add alone becomes the fused-bias kernel.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul_bias_epilogue
// CHECK-NOT: linalg.fill
// CHECK-NOT: linalg.matmul
// CHECK: call @kiln_matmul_bias_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: linalg.generic
// CHECK-NOT: kiln_matmul_bias_relu_f32
func.func @matmul_bias_epilogue(%a: memref<5x8xf32>, %b: memref<8x6xf32>, %bias: memref<6xf32>, %c: memref<5x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<5x6xf32>)
  linalg.matmul ins(%a, %b : memref<5x8xf32>, memref<8x6xf32>) outs(%c : memref<5x6xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %bias : memref<5x6xf32>, memref<6xf32>) outs(%c : memref<5x6xf32>) {
  ^bb0(%in: f32, %b_in: f32, %out: f32):
    %s = arith.addf %in, %b_in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not an epilogue the kernels compute: max(., 1.0), a column-broadcast bias
// (map (i, j) -> (i)), and a temporary read again later. The matmuls become
// plain calls and the generics stay.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#col = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @matmul_epilogue_not_matched
// CHECK: call @kiln_matmul_f32
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: call @kiln_matmul_f32
// CHECK: linalg.generic
// CHECK: memref.alloc
// CHECK: call @kiln_matmul_f32
// CHECK: linalg.generic
// CHECK: memref.copy
// CHECK-NOT: kiln_matmul_bias
func.func @matmul_epilogue_not_matched(%a: memref<6x8xf32>, %b: memref<8x6xf32>, %bias: memref<6xf32>, %c: memref<6x6xf32>, %d: memref<6x6xf32>, %e: memref<6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<6x6xf32>)
  linalg.matmul ins(%a, %b : memref<6x8xf32>, memref<8x6xf32>) outs(%c : memref<6x6xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %bias : memref<6x6xf32>, memref<6xf32>) outs(%c : memref<6x6xf32>) {
  ^bb0(%in: f32, %b_in: f32, %out: f32):
    %s = arith.addf %in, %b_in : f32
    %r = arith.maximumf %s, %one : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%zero : f32) outs(%d : memref<6x6xf32>)
  linalg.matmul ins(%a, %b : memref<6x8xf32>, memref<8x6xf32>) outs(%d : memref<6x6xf32>)
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%d, %bias : memref<6x6xf32>, memref<6xf32>) outs(%d : memref<6x6xf32>) {
  ^bb0(%in: f32, %b_in: f32, %out: f32):
    %s = arith.addf %in, %b_in : f32
    linalg.yield %s : f32
  }
  %t = memref.alloc() : memref<6x6xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<6x6xf32>)
  linalg.matmul ins(%a, %b : memref<6x8xf32>, memref<8x6xf32>) outs(%t : memref<6x6xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%t, %bias : memref<6x6xf32>, memref<6xf32>) outs(%e : memref<6x6xf32>) {
  ^bb0(%in: f32, %b_in: f32, %out: f32):
    %s = arith.addf %in, %b_in : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.copy %t, %d : memref<6x6xf32> to memref<6x6xf32>
  memref.dealloc %t : memref<6x6xf32>
  return
}

// -----

// The transposed named ops call the same kernels with a transposed view.
// CHECK-LABEL: func.func @matmul_transpose_a
// CHECK-SAME: (%[[X:.*]]: memref<8x4xf32>
// CHECK: %[[T:.*]] = memref.transpose %[[X]] (d0, d1) -> (d1, d0) : memref<8x4xf32> to memref<4x8xf32, strided<[1, 4]>>
// CHECK: %[[CT:.*]] = memref.cast %[[T]] : memref<4x8xf32, strided<[1, 4]>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @kiln_matmul_f32(%[[CT]],
// CHECK-NOT: linalg.matmul_transpose_a
func.func @matmul_transpose_a(%x: memref<8x4xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul_transpose_a ins(%x, %b : memref<8x4xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// CHECK-LABEL: func.func @matmul_transpose_b
// CHECK-SAME: (%[[A:.*]]: memref<4x8xf32>, %[[W:.*]]: memref<16x8xf32>
// CHECK: %[[T:.*]] = memref.transpose %[[W]] (d0, d1) -> (d1, d0) : memref<16x8xf32> to memref<8x16xf32, strided<[1, 8]>>
// CHECK: call @kiln_matmul_acc_f32(%{{.*}}, %{{.*}}, %{{.*}})
func.func @matmul_transpose_b(%a: memref<4x8xf32>, %w: memref<16x8xf32>, %c: memref<4x16xf32>) {
  linalg.matmul_transpose_b ins(%a, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// f64 has no kernel: the op stays, and no view is left behind.
// CHECK-LABEL: func.func @matmul_transpose_f64
// CHECK-NOT: memref.transpose
// CHECK: linalg.matmul_transpose_b
func.func @matmul_transpose_f64(%a: memref<4x8xf64>, %w: memref<16x8xf64>, %c: memref<4x16xf64>) {
  linalg.matmul_transpose_b ins(%a, %w : memref<4x8xf64>, memref<16x8xf64>) outs(%c : memref<4x16xf64>)
  return
}

// -----

// A biased convolution followed by a ReLU into another buffer: one call of
// the kernel with the ReLU as post-op, writing the ReLU's buffer; the
// convolution's own buffer and the ReLU's loop are gone.
// CHECK-LABEL: func.func @conv_bias_relu
// CHECK-SAME: (%[[X:.*]]: memref<2x3x8x8xf32>, %[[W:.*]]: memref<16x3x3x3xf32>, %[[B:.*]]: memref<16xf32>, %[[R:.*]]: memref<2x16x6x6xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[CR:.*]] = memref.cast %[[R]]
// CHECK: call @kiln_conv2d_bias_relu_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[CR]],
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.dealloc
func.func @conv_bias_relu(%x: memref<2x3x8x8xf32>, %w: memref<16x3x3x3xf32>, %b: memref<16xf32>, %r: memref<2x16x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<2x16x6x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<16xf32>) outs(%y : memref<2x16x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x3x8x8xf32>, memref<16x3x3x3xf32>) outs(%y : memref<2x16x6x6xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : memref<2x16x6x6xf32>) outs(%r : memref<2x16x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  memref.dealloc %y : memref<2x16x6x6xf32>
  return
}

// -----

// The ReLU also reads something else: not a post-op.
// CHECK-LABEL: func.func @conv_bias_not_relu
// CHECK: call @kiln_conv2d_bias_f32
// CHECK: linalg.generic
func.func @conv_bias_not_relu(%x: memref<2x3x8x8xf32>, %w: memref<16x3x3x3xf32>, %b: memref<16xf32>, %r: memref<2x16x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<2x16x6x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<16xf32>) outs(%y : memref<2x16x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x3x8x8xf32>, memref<16x3x3x3xf32>) outs(%y : memref<2x16x6x6xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : memref<2x16x6x6xf32>) outs(%r : memref<2x16x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    %s = arith.addf %m, %out : f32
    linalg.yield %s : f32
  }
  memref.dealloc %y : memref<2x16x6x6xf32>
  return
}

// -----

// The conv2d VJP's weight gradient, dW^T = conv(x^T, dy^T), with both
// operands swapping copies (batch <-> channels) and the result copied back
// swapped into the gradient: the kernel reads swapped views of x and dy and
// writes a swapped view of the gradient; the three copies are gone.
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME: (%[[X:.*]]: memref<4x3x8x8xf32>, %[[DY:.*]]: memref<4x16x6x6xf32>, %[[DW:.*]]: memref<16x3x3x3xf32>)
// CHECK-DAG: %[[TX:.*]] = memref.transpose %[[X]] (d0, d1, d2, d3) -> (d1, d0, d2, d3)
// CHECK-DAG: %[[TY:.*]] = memref.transpose %[[DY]] (d0, d1, d2, d3) -> (d1, d0, d2, d3)
// CHECK-DAG: %[[TW:.*]] = memref.transpose %[[DW]] (d0, d1, d2, d3) -> (d1, d0, d2, d3)
// CHECK-DAG: %[[CX:.*]] = memref.cast %[[TX]]
// CHECK-DAG: %[[CY:.*]] = memref.cast %[[TY]]
// CHECK-DAG: %[[CW:.*]] = memref.cast %[[TW]]
// CHECK: call @kiln_conv2d_f32(%[[CX]], %[[CY]], %[[CW]],
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.alloc
func.func @weight_gradient(%x: memref<4x3x8x8xf32>, %dy: memref<4x16x6x6xf32>, %dw: memref<16x3x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %xt = memref.alloc() : memref<3x4x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<4x3x8x8xf32>) outs(%xt : memref<3x4x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %dyt = memref.alloc() : memref<16x4x6x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%dy : memref<4x16x6x6xf32>) outs(%dyt : memref<16x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %dwt = memref.alloc() : memref<3x16x3x3xf32>
  linalg.fill ins(%zero : f32) outs(%dwt : memref<3x16x3x3xf32>)
  linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%xt, %dyt : memref<3x4x8x8xf32>, memref<16x4x6x6xf32>) outs(%dwt : memref<3x16x3x3xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%dwt : memref<3x16x3x3xf32>) outs(%dw : memref<16x3x3x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  memref.dealloc %xt : memref<3x4x8x8xf32>
  memref.dealloc %dyt : memref<16x4x6x6xf32>
  memref.dealloc %dwt : memref<3x16x3x3xf32>
  return
}

// -----

// A swapped operand that a computation writes (dy^T = relu'(...) fused with
// the swap) stays as it is, and so does a swapping copy whose source is
// written between the copy and the convolution.
// CHECK-LABEL: func.func @weight_gradient_computed
// CHECK: %[[DYT:.*]] = memref.alloc() : memref<16x4x6x6xf32>
// CHECK: %[[XT:.*]] = memref.alloc() : memref<3x4x8x8xf32>
// CHECK: linalg.generic {{.*}} outs(%[[XT]] :
// CHECK: linalg.fill {{.*}} outs(%{{.*}} : memref<4x3x8x8xf32>)
// CHECK-DAG: %[[CX:.*]] = memref.cast %[[XT]]
// CHECK-DAG: %[[CY:.*]] = memref.cast %[[DYT]]
// CHECK: call @kiln_conv2d_f32(%[[CX]], %[[CY]],
func.func @weight_gradient_computed(%x: memref<4x3x8x8xf32>, %dy: memref<4x16x6x6xf32>, %dw: memref<3x16x3x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %dyt = memref.alloc() : memref<16x4x6x6xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%dy : memref<4x16x6x6xf32>) outs(%dyt : memref<16x4x6x6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  %xt = memref.alloc() : memref<3x4x8x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<4x3x8x8xf32>) outs(%xt : memref<3x4x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%x : memref<4x3x8x8xf32>)
  linalg.fill ins(%zero : f32) outs(%dw : memref<3x16x3x3xf32>)
  linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>}
    ins(%xt, %dyt : memref<3x4x8x8xf32>, memref<16x4x6x6xf32>) outs(%dw : memref<3x16x3x3xf32>)
  memref.dealloc %dyt : memref<16x4x6x6xf32>
  memref.dealloc %xt : memref<3x4x8x8xf32>
  return
}

// -----

// A product copied transposed into its final buffer (a linear layer's
// weight gradient, dW = (x^T dy)^T) is computed as dy^T x straight into it:
// both operands read as transposed views, no copy, no intermediate buffer.
// CHECK-LABEL: func.func @matmul_transposed_result
// CHECK-SAME: (%[[X:.*]]: memref<64x784xf32>, %[[DY:.*]]: memref<64x256xf32>, %[[DW:.*]]: memref<256x784xf32>)
// CHECK-DAG: %[[DYT:.*]] = memref.transpose %[[DY]] (d0, d1) -> (d1, d0)
// CHECK-DAG: %[[CA:.*]] = memref.cast %[[DYT]]
// CHECK-DAG: %[[CB:.*]] = memref.cast %[[X]]
// CHECK-DAG: %[[CC:.*]] = memref.cast %[[DW]]
// CHECK: call @kiln_matmul_f32(%[[CA]], %[[CB]], %[[CC]])
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.alloc
func.func @matmul_transposed_result(%x: memref<64x784xf32>, %dy: memref<64x256xf32>, %dw: memref<256x784xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<784x256xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<784x256xf32>)
  linalg.matmul_transpose_a ins(%x, %dy : memref<64x784xf32>, memref<64x256xf32>) outs(%c : memref<784x256xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<784x256xf32>) outs(%dw : memref<256x784xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  memref.dealloc %c : memref<784x256xf32>
  return
}
