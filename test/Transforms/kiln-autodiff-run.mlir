// kiln-autodiff's gradients compiled through the default pipeline (kiln-run) and printed: values worked out by hand
// and checked against central differences in NumPy.
// RUN: rm -rf %t && mkdir -p %t
// RUN: kiln-opt %s --kiln-autodiff -o %t/grad.mlir
// RUN: %python -c "import numpy as np; s = lambda n, a: np.save('%t/' + n + '.npy', np.array(a, dtype=np.float64)); s('x4', [1, 2, 3, -1]); s('y4', [2, 2, -1, 0.5]); s('a', np.arange(6).reshape(2, 3)); s('b', np.arange(6).reshape(3, 2) - 2); s('c', [0.5, -0.5]); s('x24', [[1, -2, 3, 0.5], [-1, 2, -3, 4]]); s('x44', np.arange(16).reshape(1, 1, 4, 4)); s('w22', np.array([1, -1, 0.5, 2]).reshape(1, 1, 2, 2))"
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %t/grad.mlir --entry poly --input %t/x4.npy --input %t/y4.npy --print | FileCheck %s --check-prefix=POLY
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %t/grad.mlir --entry linear --input %t/a.npy --input %t/b.npy --input %t/c.npy --print | FileCheck %s --check-prefix=LINEAR
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %t/grad.mlir --entry shapes --input %t/x24.npy --print | FileCheck %s --check-prefix=SHAPES
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %t/grad.mlir --entry conv_pool --input %t/x44.npy --input %t/w22.npy --print | FileCheck %s --check-prefix=CONV
// RUN: %python -c "import numpy as np; n = np.nan; np.save('%t/p33.npy', np.array([[[[1, 3, 3], [2, 3, 0], [3, 1, 3]]]], dtype=np.float64)); np.save('%t/p44.npy', np.array([[[[1, n, 2, 2], [n, 0, 2, 1], [5, 5, 0, -1], [5, 4, 7, 7]]]], dtype=np.float64))"
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %t/grad.mlir --entry max_pool_overlapping --input %t/p33.npy --print | FileCheck %s --check-prefix=MAXPOOL
// RUN: env KILN_CACHE_DIR=%t/cache kiln-run %t/grad.mlir --entry max_pool_tiled --input %t/p44.npy --print | FileCheck %s --check-prefix=TILED

// sum(x^2 y + max(x, y)): d/dx = 2xy + [x > y], d/dy = x^2 + [y > x], the tie at x = y = 2 split in half.
// POLY: result 0: f64[]
// POLY-NEXT: 9
// POLY-NEXT: result 1: f64[4]
// POLY-NEXT: 4 8.5 -5 -1
// POLY-NEXT: result 2: f64[4]
// POLY-NEXT: 2 4.5 9 2
func.func @poly(%x: tensor<4xf64>, %y: tensor<4xf64>) -> tensor<f64> {
  %xx = kiln.mul %x, %x : tensor<4xf64>, tensor<4xf64>
  %xxy = kiln.mul %xx, %y : tensor<4xf64>, tensor<4xf64>
  %m = kiln.maximum %x, %y : tensor<4xf64>, tensor<4xf64>
  %s = kiln.add %xxy, %m : tensor<4xf64>, tensor<4xf64>
  %l = kiln.reduce sum %s dims [] : tensor<4xf64>
  return %l : tensor<f64>
}

// mean(a @ b + c): da = (1/4) 1 b^T (b's row sums / 4), db = (1/4) a^T 1 (a's column sums / 4), dc = 2/4.
// LINEAR: result 0: f64[]
// LINEAR-NEXT: 7.75
// LINEAR-NEXT: result 1: f64[2, 3]
// LINEAR-NEXT: -0.75 0.25 1.25 -0.75 0.25 1.25
// LINEAR-NEXT: result 2: f64[3, 2]
// LINEAR-NEXT: 0.75 0.75 1.25 1.25 1.75 1.75
// LINEAR-NEXT: result 3: f64[2]
// LINEAR-NEXT: 0.5 0.5
func.func @linear(%a: tensor<2x3xf64>, %b: tensor<3x2xf64>, %c: tensor<2xf64>) -> tensor<f64> {
  %p = kiln.matmul %a, %b : tensor<2x3xf64>, tensor<3x2xf64>
  %q = kiln.add %p, %c : tensor<2x2xf64>, tensor<2xf64>
  %l = kiln.reduce mean %q dims [] : tensor<2x2xf64>
  return %l : tensor<f64>
}

// A strided slice, a concat and a pad, weighted by column (1..7); each column's max picks one element, which
// gets that weight: x[0][0] column 2 (3), x[0][2] column 4 (5), x[1][1] columns 0 and 3 (1 + 4), x[1][3]
// columns 1 and 5 (2 + 6); column 6 holds only padding.
// SHAPES: result 0: f64[]
// SHAPES-NEXT: 60
// SHAPES-NEXT: result 1: f64[2, 4]
// SHAPES-NEXT: 3 0 5 0 0 5 0 8
func.func @shapes(%x: tensor<2x4xf64>) -> tensor<f64> {
  %s = kiln.slice %x start [0, 1] end [2, 4] step [1, 2] : tensor<2x4xf64>
  %c = kiln.concat %s, %x dim 1 : tensor<2x2xf64>, tensor<2x4xf64>
  %p = kiln.pad %c low [1, 0] high [0, 1] : tensor<2x6xf64>
  %w = kiln.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]> : tensor<7xf64>
  %m = kiln.mul %p, %w : tensor<3x7xf64>, tensor<7xf64>
  %r = kiln.reduce max %m dims [0] : tensor<3x7xf64>
  %l = kiln.reduce sum %r dims [] : tensor<7xf64>
  return %l : tensor<f64>
}

// sum(avg_pool(conv(x, w))): every conv output position counts as often as pooling windows cover it, / 4.
// CONV: result 0: f64[]
// CONV-NEXT: 94
// CONV-NEXT: result 1: f64[1, 1, 4, 4]
// CONV-NEXT: 0.25 0.25 -0.25 -0.25 0.625 1.25 0.625 0 0.5 1.75 2 0.75 0.125 0.75 1.125 0.5
// CONV-NEXT: result 2: f64[1, 1, 2, 2]
// CONV-NEXT: 20 24 36 40
func.func @conv_pool(%x: tensor<1x1x4x4xf64>, %w: tensor<1x1x2x2xf64>) -> tensor<f64> {
  %c = kiln.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : tensor<1x1x4x4xf64>, tensor<1x1x2x2xf64>
  %p = kiln.avg_pool2d %c kernel [2, 2] stride [1, 1] padding [0, 0] : tensor<1x1x3x3xf64>
  %l = kiln.reduce sum %p dims [] : tensor<1x1x2x2xf64>
  return %l : tensor<f64>
}

// sum(max_pool(x) * [[1, 2], [3, 4]]) with 2x2 windows at stride 1: every window's maximum is a tied 3, and
// each gives its weight to its first 3 in row-major order: x[0][1] gets 1 + 2, x[1][1] gets 3 + 4.
// MAXPOOL: result 0: f64[]
// MAXPOOL-NEXT: 30
// MAXPOOL-NEXT: result 1: f64[1, 1, 3, 3]
// MAXPOOL-NEXT: 0 3 0 0 7 0 0 0 0
func.func @max_pool_overlapping(%x: tensor<1x1x3x3xf64>) -> tensor<f64> {
  %p = kiln.max_pool2d %x kernel [2, 2] stride [1, 1] padding [0, 0] dilation [1, 1] : tensor<1x1x3x3xf64>
  %w = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf64>
  %m = kiln.mul %p, %w : tensor<1x1x2x2xf64>, tensor<2x2xf64>
  %l = kiln.reduce sum %m dims [] : tensor<1x1x2x2xf64>
  return %l : tensor<f64>
}

// The same loss over 2x2 windows at stride 2 (the tiled path): the first window holds two NaNs and, as in
// PyTorch, the last one (x[1][0]) gets its weight; the others go to the first of tied maxima, x[0][2], x[2][0]
// and x[3][2].
// TILED: result 0: f64[]
// TILED-NEXT: nan
// TILED-NEXT: result 1: f64[1, 1, 4, 4]
// TILED-NEXT: 0 0 2 0 1 0 0 0 3 0 0 0 0 0 4 0
func.func @max_pool_tiled(%x: tensor<1x1x4x4xf64>) -> tensor<f64> {
  %p = kiln.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] dilation [1, 1] : tensor<1x1x4x4xf64>
  %w = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf64>
  %m = kiln.mul %p, %w : tensor<1x1x2x2xf64>, tensor<2x2xf64>
  %l = kiln.reduce sum %m dims [] : tensor<1x1x2x2xf64>
  return %l : tensor<f64>
}
