// RUN: kiln-opt %s --convert-elementwise-to-linalg --kiln-fuse-elementwise --canonicalize --split-input-file | FileCheck %s

// GELU as 9 elementwise ops: one loop nest remains, with tanh inside it.
// CHECK-LABEL: func.func @gelu
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: math.tanh
// CHECK: return
func.func @gelu(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %c05 = arith.constant dense<0.5> : tensor<64x128xf32>
  %c1 = arith.constant dense<1.0> : tensor<64x128xf32>
  %ck = arith.constant dense<0.7978845608> : tensor<64x128xf32>
  %cc = arith.constant dense<0.044715> : tensor<64x128xf32>
  %x2 = arith.mulf %x, %x : tensor<64x128xf32>
  %x3 = arith.mulf %x2, %x : tensor<64x128xf32>
  %t = arith.mulf %x3, %cc : tensor<64x128xf32>
  %u = arith.addf %x, %t : tensor<64x128xf32>
  %v = arith.mulf %u, %ck : tensor<64x128xf32>
  %th = math.tanh %v : tensor<64x128xf32>
  %w = arith.addf %th, %c1 : tensor<64x128xf32>
  %y = arith.mulf %x, %w : tensor<64x128xf32>
  %z = arith.mulf %y, %c05 : tensor<64x128xf32>
  return %z : tensor<64x128xf32>
}

// -----

// Bias add with a broadcast row, then relu: one loop nest reading the bias
// through a broadcasting indexing map.
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias_relu
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[COL]], #{{.+}}]
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @bias_relu(%x: tensor<32x256xf32>, %b: tensor<256xf32>) -> tensor<32x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x256xf32>
  %bb = linalg.broadcast ins(%b : tensor<256xf32>) outs(%e : tensor<32x256xf32>) dimensions = [0]
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %bb : tensor<32x256xf32>, tensor<32x256xf32>) outs(%e : tensor<32x256xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<32x256xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<32x256xf32>) outs(%e : tensor<32x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<32x256xf32>
  return %relu : tensor<32x256xf32>
}

// -----

// A producer (x * x) with two users fuses into the first with its value
// kept as a result for the second, which then fuses the two-result op: one
// nest computing x * x once and writing both results (not 3 nests, nor x * x
// computed twice).
// CHECK-LABEL: func.func @multi_user
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK-NOT: arith.mulf %in, %in
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @multi_user(%x: tensor<1024xf32>, %y: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
  %e = arith.mulf %x, %x : tensor<1024xf32>
  %a = arith.addf %e, %y : tensor<1024xf32>
  %m = arith.mulf %e, %y : tensor<1024xf32>
  return %a, %m : tensor<1024xf32>, tensor<1024xf32>
}

// -----

// exp becomes a polynomial of a dozen ops: with two users it is computed once
// in the one fused nest, never recomputed per user.
// CHECK-LABEL: func.func @multi_user_transcendental
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK-NOT: math.exp
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @multi_user_transcendental(%x: tensor<1024xf32>, %y: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
  %e = math.exp %x : tensor<1024xf32>
  %a = arith.addf %e, %y : tensor<1024xf32>
  %m = arith.mulf %e, %y : tensor<1024xf32>
  return %a, %m : tensor<1024xf32>, tensor<1024xf32>
}

// -----

// A producer the function also returns fuses into its user and stays a
// result of the fused nest (one nest, two results).
// CHECK-LABEL: func.func @escaping_producer
// CHECK: %[[R:.*]]:2 = linalg.generic
// CHECK: math.exp
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @escaping_producer(%x: tensor<1024xf32>, %y: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
  %e = math.exp %x : tensor<1024xf32>
  %a = arith.addf %e, %y : tensor<1024xf32>
  return %e, %a : tensor<1024xf32>, tensor<1024xf32>
}

// -----

// A transposing producer (its input read along a non-innermost dim) with a
// second user is not fused: the fused nest would read every operand in the
// transposed order's loop, its accesses strided and its loop scalar.
// CHECK-LABEL: func.func @transposing_producer
// CHECK-COUNT-2: linalg.generic
// CHECK: return
#t = affine_map<(d0, d1) -> (d1, d0)>
#i = affine_map<(d0, d1) -> (d0, d1)>
func.func @transposing_producer(%x: tensor<64x32xf32>, %y: tensor<32x64xf32>) -> (tensor<32x64xf32>, tensor<32x64xf32>) {
  %e0 = tensor.empty() : tensor<32x64xf32>
  %t = linalg.generic {indexing_maps = [#t, #i], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x32xf32>) outs(%e0 : tensor<32x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<32x64xf32>
  %a = arith.addf %t, %y : tensor<32x64xf32>
  return %t, %a : tensor<32x64xf32>, tensor<32x64xf32>
}

// Softmax over rows, as the Kiln lowering writes it (linalg.reduce and
// broadcasts). The row max and row sum stay reductions; x - max fuses into
// exp, which has two users (sum and division) and is computed once: 4 nests
// (max, exp, sum, divide) plus the 2 fills of the accumulators, from 8 ops.
// kiln-fuse-rows then runs all of them in one loop over rows.
// CHECK-LABEL: func.func @softmax
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK-NOT: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-NOT: math.exp
// CHECK: arith.divf
// CHECK-NOT: linalg.{{generic|fill}}
// CHECK: return
func.func @softmax(%x: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<64xf32>
  %e1 = tensor.empty() : tensor<64x512xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<64xf32>) -> tensor<64xf32>
  %max = linalg.reduce ins(%x : tensor<64x512xf32>) outs(%mi : tensor<64xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %m = arith.maximumf %a, %acc : f32
      linalg.yield %m : f32
    }
  %maxb = linalg.broadcast ins(%max : tensor<64xf32>) outs(%e1 : tensor<64x512xf32>) dimensions = [1]
  %sub = arith.subf %x, %maxb : tensor<64x512xf32>
  %exp = math.exp %sub : tensor<64x512xf32>
  %si = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64xf32>) -> tensor<64xf32>
  %sum = linalg.reduce ins(%exp : tensor<64x512xf32>) outs(%si : tensor<64xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    }
  %sumb = linalg.broadcast ins(%sum : tensor<64xf32>) outs(%e1 : tensor<64x512xf32>) dimensions = [1]
  %div = arith.divf %exp, %sumb : tensor<64x512xf32>
  return %div : tensor<64x512xf32>
}

// -----

// Layernorm over rows with scale and shift: mean and variance stay
// reductions; the centering is recomputed inside the variance and the
// output nest, and mean / N, rsqrt, gamma and beta fuse into their users:
// 3 nests plus 2 fills.
// CHECK-LABEL: func.func @layernorm
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: math.rsqrt
// CHECK-NOT: linalg.{{generic|fill}}
// CHECK: return
func.func @layernorm(%x: tensor<64x512xf32>, %gamma: tensor<512xf32>, %beta: tensor<512xf32>) -> tensor<64x512xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant dense<512.0> : tensor<64xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<64xf32>
  %e0 = tensor.empty() : tensor<64xf32>
  %e1 = tensor.empty() : tensor<64x512xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64xf32>) -> tensor<64xf32>
  %sum = linalg.reduce ins(%x : tensor<64x512xf32>) outs(%z : tensor<64xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    }
  %mean = arith.divf %sum, %n : tensor<64xf32>
  %meanb = linalg.broadcast ins(%mean : tensor<64xf32>) outs(%e1 : tensor<64x512xf32>) dimensions = [1]
  %c = arith.subf %x, %meanb : tensor<64x512xf32>
  %c2 = arith.mulf %c, %c : tensor<64x512xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64xf32>) -> tensor<64xf32>
  %ss = linalg.reduce ins(%c2 : tensor<64x512xf32>) outs(%z2 : tensor<64xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    }
  %var = arith.divf %ss, %n : tensor<64xf32>
  %ve = arith.addf %var, %eps : tensor<64xf32>
  %rs = math.rsqrt %ve : tensor<64xf32>
  %rsb = linalg.broadcast ins(%rs : tensor<64xf32>) outs(%e1 : tensor<64x512xf32>) dimensions = [1]
  %gb = linalg.broadcast ins(%gamma : tensor<512xf32>) outs(%e1 : tensor<64x512xf32>) dimensions = [0]
  %bb = linalg.broadcast ins(%beta : tensor<512xf32>) outs(%e1 : tensor<64x512xf32>) dimensions = [0]
  %y0 = arith.mulf %c, %rsb : tensor<64x512xf32>
  %y1 = arith.mulf %y0, %gb : tensor<64x512xf32>
  %y = arith.addf %y1, %bb : tensor<64x512xf32>
  return %y : tensor<64x512xf32>
}

// -----

// A reshape after a matmul is not folded into it: expanded, the matmul would
// become a generic contraction that the elementwise fusion buries in a loop
// nest, out of reach of the oneDNN kernels.
// CHECK-LABEL: func.func @reshape_after_matmul
// CHECK: linalg.matmul
// CHECK: tensor.expand_shape
// CHECK: linalg.generic
func.func @reshape_after_matmul(%a: tensor<4x3xf32>, %b: tensor<3x6xf32>, %c: tensor<4x2x3xf32>) -> tensor<4x2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x6xf32>) outs(%f : tensor<4x6xf32>) -> tensor<4x6xf32>
  %r = tensor.expand_shape %m [[0], [1, 2]] output_shape [4, 2, 3] : tensor<4x6xf32> into tensor<4x2x3xf32>
  %o = tensor.empty() : tensor<4x2x3xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%r, %c : tensor<4x2x3xf32>, tensor<4x2x3xf32>) outs(%o : tensor<4x2x3xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %p = arith.mulf %x, %y : f32
    linalg.yield %p : f32
  } -> tensor<4x2x3xf32>
  return %s : tensor<4x2x3xf32>
}

// -----

// An expensive producer read through a broadcast (one value per 2-wide
// window, read at both of the window's points) is computed once and read
// back, not recomputed at each point.
// CHECK-LABEL: func.func @broadcast_expensive_producer
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-COUNT-3: math.exp
// CHECK: } -> tensor<8x1xf32>
// CHECK: linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<8x1xf32>, tensor<8x2xf32>)
// CHECK-NOT: math.exp
// CHECK: return
func.func @broadcast_expensive_producer(%x: tensor<8x1xf32>, %y: tensor<8x2xf32>) -> tensor<8x2xf32> {
  %e0 = tensor.empty() : tensor<8x1xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x1xf32>) outs(%e0 : tensor<8x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %1 = math.exp %a : f32
    %2 = math.exp %1 : f32
    %3 = math.exp %2 : f32
    %4 = arith.mulf %1, %2 : f32
    %5 = arith.mulf %4, %3 : f32
    %6 = arith.addf %5, %1 : f32
    %7 = arith.addf %6, %2 : f32
    %8 = arith.addf %7, %3 : f32
    %9 = arith.mulf %8, %8 : f32
    linalg.yield %9 : f32
  } -> tensor<8x1xf32>
  %e1 = tensor.empty() : tensor<8x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%p, %y : tensor<8x1xf32>, tensor<8x2xf32>) outs(%e1 : tensor<8x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x2xf32>
  return %r : tensor<8x2xf32>
}

// -----

// A matmul's bias + ReLU epilogue with a second user (a ReLU mask, as backward
// reads it) stays a plain generic: kiln-linalg-to-extern-kernels folds only
// that form into the kernel call.
// CHECK-LABEL: func.func @epilogue_stays_plain
// CHECK: linalg.matmul
// CHECK: %[[E:.*]] = linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: } -> tensor<4x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<4x8xf32>)
func.func @epilogue_stays_plain(%a: tensor<4x16xf32>, %w: tensor<16x8xf32>, %b: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xi1>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = linalg.matmul ins(%a, %w : tensor<4x16xf32>, tensor<16x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x8xi1>
  %mask = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%r : tensor<4x8xf32>) outs(%e1 : tensor<4x8xi1>) {
  ^bb0(%x: f32, %o: i1):
    %c = arith.cmpf ogt, %x, %zero : f32
    linalg.yield %c : i1
  } -> tensor<4x8xi1>
  return %r, %mask : tensor<4x8xf32>, tensor<4x8xi1>
}
