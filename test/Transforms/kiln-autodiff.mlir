// RUN: kiln-opt %s --kiln-autodiff --split-input-file | FileCheck %s

// The results are the originals followed by one gradient per float argument.
// x feeds the product twice (directly and through exp): its two
// contributions are summed. The seed is a 1.0 splat of the loss type.
// CHECK-LABEL: func.func @elementwise(
// CHECK-SAME: %[[X:.+]]: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK: %[[E:.+]] = kiln.exp %[[X]]
// CHECK: %[[L:.+]] = kiln.reduce sum
// CHECK: %[[SEED:.+]] = kiln.splat 1.000000e+00 : f32 -> tensor<f32>
// CHECK: %[[R:.+]] = kiln.reshape %[[SEED]] : tensor<f32> to tensor<1xf32>
// CHECK: %[[G:.+]] = kiln.broadcast_to %[[R]] : tensor<1xf32> to tensor<4xf32>
// CHECK: %[[GE:.+]] = kiln.mul %[[G]], %[[X]]
// CHECK: %[[GX1:.+]] = kiln.mul %[[G]], %[[E]]
// CHECK: %[[GX2:.+]] = kiln.mul %[[GE]], %[[E]]
// CHECK: %[[GX:.+]] = kiln.add %[[GX1]], %[[GX2]]
// CHECK: return %[[L]], %[[GX]] : tensor<f32>, tensor<4xf32>
func.func @elementwise(%x: tensor<4xf32>) -> tensor<f32> {
  %e = kiln.exp %x : tensor<4xf32>
  %m = kiln.mul %e, %x : tensor<4xf32>, tensor<4xf32>
  %s = kiln.reduce sum %m dims [] : tensor<4xf32>
  return %s : tensor<f32>
}

// -----

// Broadcast operands get the cotangent summed over the dimensions they were
// broadcast along: a dropped leading dimension, and an expanded size-1
// dimension reshaped back.
// CHECK-LABEL: func.func @broadcasting(
// CHECK-SAME: -> (tensor<f32>, tensor<2x3xf32>, tensor<3xf32>, tensor<2x1xf32>)
// CHECK: %[[G:.+]] = kiln.broadcast_to %{{.+}} : tensor<1x1xf32> to tensor<2x3xf32>
// CHECK: %[[NEG:.+]] = kiln.neg %[[G]]
// CHECK: %[[SC:.+]] = kiln.reduce sum %[[NEG]] dims [1] : tensor<2x3xf32>
// CHECK: %[[GC:.+]] = kiln.reshape %[[SC]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[GB:.+]] = kiln.reduce sum %[[G]] dims [0] : tensor<2x3xf32>
// CHECK: return %{{.+}}, %[[G]], %[[GB]], %[[GC]]
func.func @broadcasting(%x: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xf32>) -> tensor<f32> {
  %y = kiln.add %x, %b : tensor<2x3xf32>, tensor<3xf32>
  %z = kiln.sub %y, %c : tensor<2x3xf32>, tensor<2x1xf32>
  %s = kiln.reduce sum %z dims [] : tensor<2x3xf32>
  return %s : tensor<f32>
}

// -----

// mean scales by 1/count and broadcasts back; max sends the cotangent to the
// elements equal to the maximum, divided by how many there are.
// CHECK-LABEL: func.func @reductions(
// CHECK-SAME: %[[X:.+]]: tensor<2x3xf32>)
// CHECK: %[[M:.+]] = kiln.reduce max %[[X]] dims [1]
// CHECK: %[[HALF:.+]] = kiln.splat 5.000000e-01 : f32 -> tensor<f32>
// CHECK: %[[SCALED:.+]] = kiln.mul %{{.+}}, %[[HALF]] : tensor<1xf32>, tensor<f32>
// CHECK: %[[GM:.+]] = kiln.broadcast_to %[[SCALED]] : tensor<1xf32> to tensor<2xf32>
// CHECK: %[[GK:.+]] = kiln.reshape %[[GM]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[MK:.+]] = kiln.reshape %[[M]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[HIT:.+]] = kiln.eq %[[X]], %[[MK]]
// CHECK: %[[HITF:.+]] = kiln.cast %[[HIT]] : tensor<2x3xi1> to tensor<2x3xf32>
// CHECK: %[[TIES:.+]] = kiln.reduce sum %[[HITF]] dims [1] keepdim
// CHECK: %[[SHARE:.+]] = kiln.div %[[GK]], %[[TIES]]
// CHECK: %[[GX:.+]] = kiln.where %[[HIT]], %[[SHARE]], %{{.+}} : tensor<2x3xi1>, tensor<2x1xf32>, tensor<f32>
// CHECK: return %{{.+}}, %[[GX]]
func.func @reductions(%x: tensor<2x3xf32>) -> tensor<f32> {
  %m = kiln.reduce max %x dims [1] : tensor<2x3xf32>
  %s = kiln.reduce mean %m dims [0] : tensor<2xf32>
  return %s : tensor<f32>
}

// -----

// concat's inputs get slices of the cotangent and pad's input the unpadded
// part; a strided slice spreads its cotangent out with zeros (reshape, pad,
// reshape), crops and pads it into place; permute applies the inverse.
// CHECK-LABEL: func.func @shape_ops(
// CHECK: %[[GQ:.+]] = kiln.broadcast_to %{{.+}} to tensor<7x8xf32>
// CHECK: %[[GS:.+]] = kiln.broadcast_to %{{.+}} to tensor<3x4xf32>
// CHECK: %[[GC:.+]] = kiln.slice %[[GQ]] start [1, 0] end [7, 6] step [1, 1] : tensor<7x8xf32>
// CHECK: %[[GX1:.+]] = kiln.slice %[[GC]] start [0, 0] end [4, 6] step [1, 1] : tensor<6x6xf32>
// CHECK: %[[GY:.+]] = kiln.slice %[[GC]] start [4, 0] end [6, 6] step [1, 1] : tensor<6x6xf32>
// CHECK: %[[SPLIT:.+]] = kiln.reshape %[[GS]] : tensor<3x4xf32> to tensor<3x1x4xf32>
// CHECK: %[[SPREAD:.+]] = kiln.pad %[[SPLIT]] low [0, 0, 0] high [0, 1, 0]
// CHECK: %[[MERGED:.+]] = kiln.reshape %[[SPREAD]] : tensor<3x2x4xf32> to tensor<6x4xf32>
// CHECK: %[[CROP:.+]] = kiln.slice %[[MERGED]] start [0, 0] end [5, 4] step [1, 1]
// CHECK: %[[GP:.+]] = kiln.pad %[[CROP]] low [1, 0] high [0, 0] : tensor<5x4xf32>
// CHECK: %[[GX2:.+]] = kiln.permute %[[GP]] [1, 0] : tensor<6x4xf32>
// CHECK: %[[GX:.+]] = kiln.add %[[GX1]], %[[GX2]]
// CHECK: return %{{.+}}, %[[GX]], %[[GY]]
func.func @shape_ops(%x: tensor<4x6xf32>, %y: tensor<2x6xf32>) -> tensor<f32> {
  %p = kiln.permute %x [1, 0] : tensor<4x6xf32>
  %s = kiln.slice %p start [1, 0] end [6, 4] step [2, 1] : tensor<6x4xf32>
  %c = kiln.concat %x, %y dim 0 : tensor<4x6xf32>, tensor<2x6xf32>
  %q = kiln.pad %c low [1, 0] high [0, 2] : tensor<6x6xf32>
  %t = kiln.reduce sum %s dims [] : tensor<3x4xf32>
  %u = kiln.reduce sum %q dims [] : tensor<7x8xf32>
  %l = kiln.add %t, %u : tensor<f32>, tensor<f32>
  return %l : tensor<f32>
}

// -----

// dA = G B^T, dB = A^T G summed over the batch dimension B was broadcast along.
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[A:.+]]: tensor<2x3x4xf32>, %[[B:.+]]: tensor<4x5xf32>)
// CHECK: %[[G:.+]] = kiln.broadcast_to %{{.+}} to tensor<2x3x5xf32>
// CHECK: %[[BT:.+]] = kiln.permute %[[B]] [1, 0]
// CHECK: %[[AT:.+]] = kiln.permute %[[A]] [0, 2, 1]
// CHECK: %[[GA:.+]] = kiln.matmul %[[G]], %[[BT]] : tensor<2x3x5xf32>, tensor<5x4xf32>
// CHECK: %[[GBB:.+]] = kiln.matmul %[[AT]], %[[G]] : tensor<2x4x3xf32>, tensor<2x3x5xf32>
// CHECK: %[[GB:.+]] = kiln.reduce sum %[[GBB]] dims [0] : tensor<2x4x5xf32>
// CHECK: return %{{.+}}, %[[GA]], %[[GB]]
func.func @matmul(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<f32> {
  %c = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32>
  %t = kiln.reduce sum %c dims [] : tensor<2x3x5xf32>
  return %t : tensor<f32>
}

// -----

// gather scatters its cotangent into zeros with reduce add. Plain scatter
// zeroes the input's cotangent where src was written and gathers src's from
// there. The index gets no gradient and is not a result.
// CHECK-LABEL: func.func @indexing(
// CHECK-SAME: %[[X:.+]]: tensor<4x3xf32>, %[[I:.+]]: tensor<2x3xi64>, %[[SRC:.+]]: tensor<2x3xf32>)
// CHECK-SAME: -> (tensor<f32>, tensor<4x3xf32>, tensor<2x3xf32>)
// CHECK: %[[GS:.+]] = kiln.broadcast_to %{{.+}} to tensor<4x3xf32>
// CHECK: %[[GG:.+]] = kiln.broadcast_to %{{.+}} to tensor<2x3xf32>
// CHECK: %[[Z:.+]] = kiln.splat 0.000000e+00 : f32 -> tensor<2x3xf32>
// CHECK: %[[GX1:.+]] = kiln.scatter %[[GS]], %[[I]], %[[Z]] dim 0 :
// CHECK: %[[GSRC:.+]] = kiln.gather %[[GS]], %[[I]] dim 0
// CHECK: %[[ZX:.+]] = kiln.splat 0.000000e+00 : f32 -> tensor<4x3xf32>
// CHECK: %[[GX2:.+]] = kiln.scatter %[[ZX]], %[[I]], %[[GG]] dim 0 reduce add
// CHECK: %[[GX:.+]] = kiln.add %[[GX1]], %[[GX2]]
// CHECK: return %{{.+}}, %[[GX]], %[[GSRC]]
func.func @indexing(%x: tensor<4x3xf32>, %i: tensor<2x3xi64>, %src: tensor<2x3xf32>) -> tensor<f32> {
  %g = kiln.gather %x, %i dim 0 : tensor<4x3xf32>, tensor<2x3xi64>
  %s = kiln.scatter %x, %i, %src dim 0 : tensor<4x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>
  %t = kiln.reduce sum %g dims [] : tensor<2x3xf32>
  %u = kiln.reduce sum %s dims [] : tensor<4x3xf32>
  %l = kiln.add %t, %u : tensor<f32>, tensor<f32>
  return %l : tensor<f32>
}

// -----

// where's condition gets nothing; its branches get the cotangent where they
// were chosen, summed to their shapes. Float casts cast the cotangent back.
// CHECK-LABEL: func.func @where_cast(
// CHECK-SAME: %[[C:.+]]: tensor<3xi1>, %{{.+}}: tensor<3xf32>, %{{.+}}: tensor<f32>)
// CHECK-SAME: -> (tensor<f32>, tensor<3xf32>, tensor<f32>)
// CHECK: %[[SEED:.+]] = kiln.splat 1.000000e+00 : f32 -> tensor<f32>
// CHECK: %[[S64:.+]] = kiln.cast %[[SEED]] : tensor<f32> to tensor<f64>
// CHECK: %[[G64:.+]] = kiln.broadcast_to %{{.+}} : tensor<1xf64> to tensor<3xf64>
// CHECK: %[[G:.+]] = kiln.cast %[[G64]] : tensor<3xf64> to tensor<3xf32>
// CHECK: %[[Z:.+]] = kiln.splat 0.000000e+00 : f32 -> tensor<f32>
// CHECK: %[[GX:.+]] = kiln.where %[[C]], %[[G]], %[[Z]]
// CHECK: %[[GYB:.+]] = kiln.where %[[C]], %[[Z]], %[[G]]
// CHECK: %[[GY:.+]] = kiln.reduce sum %[[GYB]] dims [0] : tensor<3xf32>
// CHECK: return %{{.+}}, %[[GX]], %[[GY]]
func.func @where_cast(%c: tensor<3xi1>, %x: tensor<3xf32>, %y: tensor<f32>) -> tensor<f32> {
  %w = kiln.where %c, %x, %y : tensor<3xi1>, tensor<3xf32>, tensor<f32>
  %d = kiln.cast %w : tensor<3xf32> to tensor<3xf64>
  %s = kiln.reduce sum %d dims [] : tensor<3xf64>
  %l = kiln.cast %s : tensor<f64> to tensor<f32>
  return %l : tensor<f32>
}

// -----

// Convolution: the input gradient is a stride-1 convolution of the
// cotangent, padded by the convolution itself (equal padding on both sides),
// with the flipped (concats of slices), channel-swapped kernel; the weight
// gradient correlates the input with the cotangent, batch and channels
// swapped; the bias gradient sums over batch and space.
// CHECK-LABEL: func.func @conv(
// CHECK: %[[FLIP:.+]] = kiln.concat %{{.+}}, %{{.+}}, %{{.+}} dim 3 : tensor<3x2x3x1xf32>
// CHECK: %[[WT:.+]] = kiln.permute %[[FLIP]] [1, 0, 2, 3]
// CHECK-NOT: kiln.pad
// CHECK: %[[GX:.+]] = kiln.conv2d %{{.+}}, %[[WT]] stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<1x3x5x5xf32>, tensor<2x3x3x3xf32>
// CHECK: %[[TAPS:.+]] = kiln.conv2d %{{.+}}, %{{.+}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<2x1x5x5xf32>, tensor<3x1x5x5xf32>
// CHECK: %[[GW:.+]] = kiln.permute %[[TAPS]] [1, 0, 2, 3] : tensor<2x3x3x3xf32>
// CHECK: %[[GB:.+]] = kiln.reduce sum %{{.+}} dims [0, 2, 3] : tensor<1x3x5x5xf32>
// CHECK: return %{{.+}}, %[[GX]], %[[GW]], %[[GB]]
func.func @conv(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<f32> {
  %c = kiln.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>
  %t = kiln.reduce sum %c dims [] : tensor<1x3x5x5xf32>
  return %t : tensor<f32>
}

// -----

// Average pooling: the cotangent divided by each window's divisor, then a
// transposed convolution with a kernel of ones per channel.
// CHECK-LABEL: func.func @avg_pool(
// CHECK: %[[DIV:.+]] = kiln.constant dense<4.000000e+00> : tensor<2x2xf32>
// CHECK: %[[Q:.+]] = kiln.div %{{.+}}, %[[DIV]] : tensor<1x2x2x2xf32>, tensor<2x2xf32>
// CHECK: %[[Q2:.+]] = kiln.reshape %[[Q]] : tensor<1x2x2x2xf32> to tensor<2x1x2x2xf32>
// CHECK: %[[ONES:.+]] = kiln.splat 1.000000e+00 : f32 -> tensor<1x1x2x2xf32>
// CHECK: %[[GC:.+]] = kiln.conv2d %{{.+}}, %[[ONES]] stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<2x1x5x5xf32>, tensor<1x1x2x2xf32>
// CHECK: %[[GX:.+]] = kiln.reshape %[[GC]] : tensor<2x1x4x4xf32> to tensor<1x2x4x4xf32>
// CHECK: return %{{.+}}, %[[GX]]
func.func @avg_pool(%x: tensor<1x2x4x4xf32>) -> tensor<f32> {
  %p = kiln.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x2x4x4xf32>
  %t = kiln.reduce sum %p dims [] : tensor<1x2x2x2xf32>
  return %t : tensor<f32>
}

// -----

// Max pooling, windows that tile the input (stride == kernel): as
// [N, C, OH, kH, OW, kW] each window element is a slice, compared with the
// result. The winner's index is the first match (a select chain run from the
// last element back) unless the window holds NaN, whose last one wins (a
// chain run forwards); each window element takes the cotangent where the
// winner is its index, in one broadcasting select over the tiled view, which
// reshapes back and is padded over the row no window reached.
// CHECK-LABEL: func.func @max_pool_tiled(
// CHECK-SAME: %[[X:.+]]: tensor<1x2x5x4xf32>)
// CHECK: %[[Y:.+]] = kiln.max_pool2d %[[X]]
// CHECK: %[[CROP:.+]] = kiln.slice %[[X]] start [0, 0, 0, 0] end [1, 2, 4, 4] step [1, 1, 1, 1] : tensor<1x2x5x4xf32>
// CHECK: %[[T:.+]] = kiln.reshape %[[CROP]] : tensor<1x2x4x4xf32> to tensor<1x2x2x2x2x2xf32>
// CHECK: %[[T00:.+]] = kiln.slice %[[T]] start [0, 0, 0, 0, 0, 0] end [1, 2, 2, 1, 2, 1]
// CHECK: %[[T01:.+]] = kiln.slice %[[T]] start [0, 0, 0, 0, 0, 1] end [1, 2, 2, 1, 2, 2]
// CHECK: %[[T10:.+]] = kiln.slice %[[T]] start [0, 0, 0, 1, 0, 0] end [1, 2, 2, 2, 2, 1]
// CHECK: %[[T11:.+]] = kiln.slice %[[T]] start [0, 0, 0, 1, 0, 1] end [1, 2, 2, 2, 2, 2]
// CHECK: %[[Y6:.+]] = kiln.reshape %[[Y]] : tensor<1x2x2x2xf32> to tensor<1x2x2x1x2x1xf32>
// CHECK: %[[NONE:.+]] = kiln.splat 4 : i32 -> tensor<i32>
// CHECK: %[[EQ11:.+]] = kiln.eq %[[T11]], %[[Y6]]
// CHECK: %[[W11:.+]] = kiln.where %[[EQ11]], %{{.+}}, %[[NONE]]
// CHECK: %[[EQ10:.+]] = kiln.eq %[[T10]], %[[Y6]]
// CHECK: %[[W10:.+]] = kiln.where %[[EQ10]], %{{.+}}, %[[W11]]
// CHECK: kiln.eq %[[T01]], %[[Y6]]
// CHECK: %[[EQ00:.+]] = kiln.eq %[[T00]], %[[Y6]]
// CHECK: %[[FIRST:.+]] = kiln.where %[[EQ00]], %{{.+}}, %{{.+}} : tensor<1x2x2x1x2x1xi1>, tensor<i32>, tensor<1x2x2x1x2x1xi32>
// CHECK: %[[NAN00:.+]] = kiln.ne %[[T00]], %[[T00]]
// CHECK: kiln.where %[[NAN00]], %{{.+}}, %[[FIRST]]
// CHECK: kiln.ne %[[T01]], %[[T01]]
// CHECK: kiln.ne %[[T10]], %[[T10]]
// CHECK: %[[NAN11:.+]] = kiln.ne %[[T11]], %[[T11]]
// CHECK: %[[W:.+]] = kiln.where %[[NAN11]], %{{.+}}, %{{.+}} : tensor<1x2x2x1x2x1xi1>, tensor<i32>, tensor<1x2x2x1x2x1xi32>
// CHECK: %[[G6:.+]] = kiln.reshape %{{.+}} : tensor<1x2x2x2xf32> to tensor<1x2x2x1x2x1xf32>
// CHECK: %[[IDX:.+]] = kiln.constant dense<{{\[}}[{{\[}}[{{\[}}[0, 1]], {{\[}}[2, 3]]]]]]> : tensor<1x1x1x2x1x2xi32>
// CHECK: %[[TAKEN:.+]] = kiln.eq %{{.+}}, %[[IDX]] : tensor<1x2x2x1x2x1xi32>, tensor<1x1x1x2x1x2xi32>
// CHECK: %[[G:.+]] = kiln.where %[[TAKEN]], %[[G6]], %{{.+}} : tensor<1x2x2x2x2x2xi1>, tensor<1x2x2x1x2x1xf32>, tensor<f32>
// CHECK: %[[G4:.+]] = kiln.reshape %[[G]] : tensor<1x2x2x2x2x2xf32> to tensor<1x2x4x4xf32>
// CHECK: %[[GX:.+]] = kiln.pad %[[G4]] low [0, 0, 0, 0] high [0, 0, 1, 0] : tensor<1x2x4x4xf32>
// CHECK: return %{{.+}}, %[[GX]]
func.func @max_pool_tiled(%x: tensor<1x2x5x4xf32>) -> tensor<f32> {
  %p = kiln.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<1x2x5x4xf32>
  %t = kiln.reduce sum %p dims [] : tensor<1x2x2x2xf32>
  return %t : tensor<f32>
}

// -----

// Max pooling, any windows: window element i of every output is a strided
// slice of the input padded with -inf, masked where it reads padding (row -1
// for the first output, row 5 for the last). Element i of output row oh is
// input row 2 oh + i - 1: row 2 (oh + floor((i - 1) / 2)) + (i - 1) mod 2 of
// the grid [blocks, 2]. Elements 1 and 2 sit one block below element 0, so
// the winner and the cotangent are padded by a block (with "no winner", 3, and
// 0), and each shift selects once against the indices at their position in
// the block (-1: none); the grid reshapes to rows, from row -2.
// CHECK-LABEL: func.func @max_pool_general(
// CHECK-SAME: %[[X:.+]]: tensor<1x1x5x2xf32>)
// CHECK: %[[Y:.+]] = kiln.max_pool2d %[[X]]
// CHECK: %[[XP:.+]] = kiln.pad %[[X]] low [0, 0, 1, 0] high [0, 0, 1, 0] {value = 0xFF800000 : f32} : tensor<1x1x5x2xf32>
// CHECK: %[[M0:.+]] = kiln.constant dense<{{\[}}[false, false], [true, true], [true, true]]> : tensor<3x2xi1>
// CHECK: %[[T0:.+]] = kiln.slice %[[XP]] start [0, 0, 0, 0] end [1, 1, 5, 2] step [1, 1, 2, 1] : tensor<1x1x7x2xf32>
// CHECK: %[[T1:.+]] = kiln.slice %[[XP]] start [0, 0, 1, 0] end [1, 1, 6, 2] step [1, 1, 2, 1]
// CHECK: %[[M2:.+]] = kiln.constant dense<{{\[}}[true, true], [true, true], [false, false]]> : tensor<3x2xi1>
// CHECK: %[[T2:.+]] = kiln.slice %[[XP]] start [0, 0, 2, 0] end [1, 1, 7, 2] step [1, 1, 2, 1]
// CHECK: %[[EQ2:.+]] = kiln.eq %[[T2]], %[[Y]]
// CHECK: kiln.logical_and %[[EQ2]], %[[M2]] : tensor<1x1x3x2xi1>, tensor<3x2xi1>
// CHECK: %[[EQ0:.+]] = kiln.eq %[[T0]], %[[Y]]
// CHECK: kiln.logical_and %[[EQ0]], %[[M0]]
// CHECK: kiln.ne %[[T2]], %[[T2]]
// CHECK: %[[W:.+]] = kiln.where %{{.+}}, %{{.+}}, %{{.+}} : tensor<1x1x3x2xi1>, tensor<i32>, tensor<1x1x3x2xi32>
// CHECK: %[[WP:.+]] = kiln.pad %[[W]] low [0, 0, 1, 0] high [0, 0, 1, 0] {value = 3 : i32} : tensor<1x1x3x2xi32>
// CHECK: %[[GP:.+]] = kiln.pad %{{.+}} low [0, 0, 1, 0] high [0, 0, 1, 0] : tensor<1x1x3x2xf32>
// CHECK: %[[WP6:.+]] = kiln.reshape %[[WP]] : tensor<1x1x5x2xi32> to tensor<1x1x5x1x2x1xi32>
// CHECK: %[[GP6:.+]] = kiln.reshape %[[GP]] : tensor<1x1x5x2xf32> to tensor<1x1x5x1x2x1xf32>
// CHECK: %[[AT0:.+]] = kiln.constant dense<{{\[}}[{{\[}}[{{\[}}[-1]], {{\[}}[0]]]]]]> : tensor<1x1x1x2x1x1xi32>
// CHECK: %[[W0:.+]] = kiln.slice %[[WP6]] start [0, 0, 1, 0, 0, 0] end [1, 1, 5, 1, 2, 1]
// CHECK: %[[TAKEN0:.+]] = kiln.eq %[[W0]], %[[AT0]] : tensor<1x1x4x1x2x1xi32>, tensor<1x1x1x2x1x1xi32>
// CHECK: %[[G0:.+]] = kiln.slice %[[GP6]] start [0, 0, 1, 0, 0, 0] end [1, 1, 5, 1, 2, 1]
// CHECK: %[[S0:.+]] = kiln.where %[[TAKEN0]], %[[G0]], %{{.+}} : tensor<1x1x4x2x2x1xi1>
// CHECK: %[[AT1:.+]] = kiln.constant dense<{{\[}}[{{\[}}[{{\[}}[1]], {{\[}}[2]]]]]]> : tensor<1x1x1x2x1x1xi32>
// CHECK: %[[W1:.+]] = kiln.slice %[[WP6]] start [0, 0, 0, 0, 0, 0] end [1, 1, 4, 1, 2, 1]
// CHECK: %[[TAKEN1:.+]] = kiln.eq %[[W1]], %[[AT1]]
// CHECK: %[[G1:.+]] = kiln.slice %[[GP6]] start [0, 0, 0, 0, 0, 0] end [1, 1, 4, 1, 2, 1]
// CHECK: %[[S1:.+]] = kiln.where %[[TAKEN1]], %[[G1]], %{{.+}}
// CHECK: %[[GRID:.+]] = kiln.add %[[S0]], %[[S1]] : tensor<1x1x4x2x2x1xf32>, tensor<1x1x4x2x2x1xf32>
// CHECK: %[[ROWS:.+]] = kiln.reshape %[[GRID]] : tensor<1x1x4x2x2x1xf32> to tensor<1x1x8x2xf32>
// CHECK: %[[GX:.+]] = kiln.slice %[[ROWS]] start [0, 0, 2, 0] end [1, 1, 7, 2] step [1, 1, 1, 1] : tensor<1x1x8x2xf32>
// CHECK: return %{{.+}}, %[[GX]]
func.func @max_pool_general(%x: tensor<1x1x5x2xf32>) -> tensor<f32> {
  %p = kiln.max_pool2d %x kernel [3, 1] stride [2, 1] padding [1, 0] dilation [1, 1] : tensor<1x1x5x2xf32>
  %t = kiln.reduce sum %p dims [] : tensor<1x1x3x2xf32>
  return %t : tensor<f32>
}

// -----

// Only values computed from a differentiated argument carry cotangents: the
// pooling of a constant needs no rule, and its result is the gradient.
// CHECK-LABEL: func.func @inactive_max_pool(
// CHECK: %[[P:.+]] = kiln.max_pool2d
// CHECK: %[[S:.+]] = kiln.reduce sum %[[P]]
// CHECK: %[[GX:.+]] = kiln.mul %{{.+}}, %[[S]] : tensor<f32>, tensor<f32>
// CHECK: return %{{.+}}, %[[GX]]
func.func @inactive_max_pool(%x: tensor<f32>) -> tensor<f32> {
  %c = kiln.splat 1.0 : f32 -> tensor<1x1x4x4xf32>
  %p = kiln.max_pool2d %c kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<1x1x4x4xf32>
  %s = kiln.reduce sum %p dims [] : tensor<1x1x2x2xf32>
  %l = kiln.mul %s, %x : tensor<f32>, tensor<f32>
  return %l : tensor<f32>
}
