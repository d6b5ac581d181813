// RUN: kiln-opt %s --kiln-stage-linalg | FileCheck %s

// The backward of softmax and of layernorm, written in Kiln ops as the
// autodiff pass will emit them: every reduction and elementwise nest of each
// runs inside one parallel loop over rows (kiln-fuse-elementwise, then
// kiln-fuse-rows), so each input row is read from memory once.

// softmax: dx = y * (dy - sum(dy * y, 1)). One row loop holding the sum's
// init, the sum (dy * y fused in) and the output nest: 2 nests and an init.
// CHECK-LABEL: func.func @softmax_backward
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.+}}) in (256)
// CHECK-COUNT-1: iterator_types = ["parallel", "reduction"]
// CHECK-NOT: "reduction"
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return
func.func @softmax_backward(%y: tensor<256x512xf32>, %dy: tensor<256x512xf32>) -> tensor<256x512xf32> {
  %p = kiln.mul %dy, %y : tensor<256x512xf32>, tensor<256x512xf32>
  %s = kiln.reduce sum %p dims [1] keepdim : tensor<256x512xf32>
  %d = kiln.sub %dy, %s : tensor<256x512xf32>, tensor<256x1xf32>
  %dx = kiln.mul %y, %d : tensor<256x512xf32>, tensor<256x512xf32>
  return %dx : tensor<256x512xf32>
}

// layernorm without affine: dx = rstd * (dy - mean(dy) - xhat * mean(dy * xhat)).
// Four row reductions (mean x, variance, mean dy, mean dy * xhat) and the
// output nest, all in one row loop.
// CHECK-LABEL: func.func @layernorm_backward
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.+}}) in (256)
// CHECK-COUNT-4: iterator_types = ["parallel", "reduction"]
// CHECK-NOT: "reduction"
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return
func.func @layernorm_backward(%x: tensor<256x512xf32>, %dy: tensor<256x512xf32>) -> tensor<256x512xf32> {
  %eps = kiln.constant dense<1.0e-05> : tensor<f32>
  %mu = kiln.reduce mean %x dims [1] keepdim : tensor<256x512xf32>
  %xc = kiln.sub %x, %mu : tensor<256x512xf32>, tensor<256x1xf32>
  %sq = kiln.mul %xc, %xc : tensor<256x512xf32>, tensor<256x512xf32>
  %var = kiln.reduce mean %sq dims [1] keepdim : tensor<256x512xf32>
  %ve = kiln.add %var, %eps : tensor<256x1xf32>, tensor<f32>
  %rstd = kiln.rsqrt %ve : tensor<256x1xf32>
  %xhat = kiln.mul %xc, %rstd : tensor<256x512xf32>, tensor<256x1xf32>
  %mdy = kiln.reduce mean %dy dims [1] keepdim : tensor<256x512xf32>
  %dyx = kiln.mul %dy, %xhat : tensor<256x512xf32>, tensor<256x512xf32>
  %mdyx = kiln.reduce mean %dyx dims [1] keepdim : tensor<256x512xf32>
  %a = kiln.sub %dy, %mdy : tensor<256x512xf32>, tensor<256x1xf32>
  %b = kiln.mul %xhat, %mdyx : tensor<256x512xf32>, tensor<256x1xf32>
  %c = kiln.sub %a, %b : tensor<256x512xf32>, tensor<256x512xf32>
  %dx = kiln.mul %c, %rstd : tensor<256x512xf32>, tensor<256x1xf32>
  return %dx : tensor<256x512xf32>
}
