// Runs convert-kiln-to-linalg's output through upstream lowering and checks PyTorch's semantics on tricky cases.
// The upstream passes (not lib/Pipelines) keep this a test of the conversion alone.
// RUN: kiln-opt %s -convert-kiln-to-linalg \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   --convert-linalg-to-loops --expand-strided-metadata --lower-affine \
// RUN:   --convert-scf-to-cf --convert-math-to-libm --convert-math-to-llvm \
// RUN:   --finalize-memref-to-llvm --convert-arith-to-llvm --convert-index-to-llvm \
// RUN:   --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts \
// RUN: | mlir-cpu-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%mlir_c_runner_utils \
// RUN:   -shared-libs=%mlir_runner_utils \
// RUN: | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>) attributes {llvm.emit_c_interface}
func.func private @printMemrefI64(memref<*xi64>) attributes {llvm.emit_c_interface}

func.func @printF32(%t: tensor<?xf32>) {
  %m = bufferization.to_memref %t : memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @printI64(%t: tensor<?xi64>) {
  %m = bufferization.to_memref %t : memref<?xi64>
  %u = memref.cast %m : memref<?xi64> to memref<*xi64>
  call @printMemrefI64(%u) : (memref<*xi64>) -> ()
  return
}

func.func @main() {
  // torch.remainder takes the divisor's sign.
  %a = kiln.constant dense<[5.0, -5.0, 5.0, -5.0, 6.0]> : tensor<5xf32>
  %b = kiln.constant dense<[3.0, 3.0, -3.0, -3.0, -3.0]> : tensor<5xf32>
  %r = kiln.remainder %a, %b : tensor<5xf32>, tensor<5xf32>
  %r_ = tensor.cast %r : tensor<5xf32> to tensor<?xf32>
  call @printF32(%r_) : (tensor<?xf32>) -> ()
  // CHECK: [2,  1,  -1,  -2,  0]

  %ia = kiln.constant dense<[-7, 7, -7, 7, 9, -9]> : tensor<6xi64>
  %ib = kiln.constant dense<[2, -2, -2, 2, 0, -1]> : tensor<6xi64>
  %ir = kiln.remainder %ia, %ib : tensor<6xi64>, tensor<6xi64>
  %ir_ = tensor.cast %ir : tensor<6xi64> to tensor<?xi64>
  call @printI64(%ir_) : (tensor<?xi64>) -> ()
  // CHECK: [1,  -1,  -1,  1,  0,  0]

  // Integer division truncates; x / 0 gives 0 instead of trapping, x / -1 is -x.
  %iq = kiln.div %ia, %ib : tensor<6xi64>, tensor<6xi64>
  %iq_ = tensor.cast %iq : tensor<6xi64> to tensor<?xi64>
  call @printI64(%iq_) : (tensor<?xi64>) -> ()
  // CHECK: [-3,  -3,  3,  3,  0,  9]

  // torch.round: half to even.
  %h = kiln.constant dense<[0.5, 1.5, 2.5, -0.5, -1.5, 2.6]> : tensor<6xf32>
  %rh = kiln.round %h : tensor<6xf32>
  %rh_ = tensor.cast %rh : tensor<6xf32> to tensor<?xf32>
  call @printF32(%rh_) : (tensor<?xf32>) -> ()
  // CHECK: [0,  2,  2,  -0,  -2,  3]

  // argmax: the first of tied maxima; NaN is the maximum (its first index).
  %m = kiln.constant dense<[[1.0, 3.0, 3.0, 2.0], [0x7FC00000, 1.0, 0x7FC00000, 5.0]]> : tensor<2x4xf32>
  %am = kiln.reduce argmax %m dims [1] : tensor<2x4xf32>
  %am_ = tensor.cast %am : tensor<2xi64> to tensor<?xi64>
  call @printI64(%am_) : (tensor<?xi64>) -> ()
  // CHECK: [1,  0]
  %an = kiln.reduce argmin %m dims [] : tensor<2x4xf32>
  %an_1 = tensor.expand_shape %an [] output_shape [1] : tensor<i64> into tensor<1xi64>
  %an_ = tensor.cast %an_1 : tensor<1xi64> to tensor<?xi64>
  call @printI64(%an_) : (tensor<?xi64>) -> ()
  // CHECK: [4]

  // ui8 compares and divides unsigned: 200 / 3 = 66 and 200 > 100.
  %u = kiln.constant dense<[200, 255, 7]> : tensor<3xui8>
  %v = kiln.constant dense<[3, 16, 100]> : tensor<3xui8>
  %q = kiln.div %u, %v : tensor<3xui8>, tensor<3xui8>
  %mx = kiln.maximum %u, %v : tensor<3xui8>, tensor<3xui8>
  %both = kiln.concat %q, %mx dim 0 : tensor<3xui8>, tensor<3xui8>
  %wide = kiln.cast %both : tensor<6xui8> to tensor<6xi64>
  %wide_ = tensor.cast %wide : tensor<6xi64> to tensor<?xi64>
  call @printI64(%wide_) : (tensor<?xi64>) -> ()
  // CHECK: [66,  15,  0,  200,  255,  100]

  // avg_pool2d without count_include_pad divides by the real elements only.
  %x = kiln.constant dense<[[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]]]> : tensor<1x1x4x4xf32>
  %p = kiln.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<1x1x4x4xf32>
  %pf = kiln.reshape %p : tensor<1x1x2x2xf32> to tensor<4xf32>
  %pf_ = tensor.cast %pf : tensor<4xf32> to tensor<?xf32>
  call @printF32(%pf_) : (tensor<?xf32>) -> ()
  // CHECK: [3.5,  5,  9.5,  11]

  // scatter with reduce add accumulates repeated indices.
  %dst = kiln.constant dense<[0, 0, 0, 0]> : tensor<4xi64>
  %idx = kiln.constant dense<[1, 3, 1]> : tensor<3xi64>
  %src = kiln.constant dense<[10, 20, 30]> : tensor<3xi64>
  %sc = kiln.scatter %dst, %idx, %src dim 0 reduce add : tensor<4xi64>, tensor<3xi64>, tensor<3xi64>
  %sc_ = tensor.cast %sc : tensor<4xi64> to tensor<?xi64>
  call @printI64(%sc_) : (tensor<?xi64>) -> ()
  // CHECK: [0,  40,  0,  20]

  // Grouped convolution with bias: 2 groups of 1 channel each, 2x2 kernel of
  // ones on a 3x3 input, padding 1 and stride 2.
  %ci = kiln.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]]> : tensor<1x2x3x3xf32>
  %cw = kiln.splat 1.0 : f32 -> tensor<2x1x2x2xf32>
  %cb = kiln.constant dense<[100.0, 0.5]> : tensor<2xf32>
  %co = kiln.conv2d %ci, %cw, %cb stride [2, 2] padding [1, 1] dilation [1, 1] groups 2
      : tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>
  %cf = kiln.reshape %co : tensor<1x2x2x2xf32> to tensor<8xf32>
  %cf_ = tensor.cast %cf : tensor<8xf32> to tensor<?xf32>
  call @printF32(%cf_) : (tensor<?xf32>) -> ()
  // CHECK: [101,  105,  111,  128,  1.5,  2.5,  2.5,  4.5]

  // Batched matmul with a broadcast lhs: [2, 2] x [2, 1, 2, 1].
  %ml = kiln.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %mr = kiln.constant dense<[[[[1.0], [1.0]]], [[[1.0], [-1.0]]]]> : tensor<2x1x2x1xf32>
  %mo = kiln.matmul %ml, %mr : tensor<2x2xf32>, tensor<2x1x2x1xf32>
  %mf = kiln.reshape %mo : tensor<2x1x2x1xf32> to tensor<4xf32>
  %mf_ = tensor.cast %mf : tensor<4xf32> to tensor<?xf32>
  call @printF32(%mf_) : (tensor<?xf32>) -> ()
  // CHECK: [3,  7,  -1,  -1]

  // max_pool2d with ceil_mode: the last window hangs over the right edge.
  %pi = kiln.constant dense<[[[[1.0, 2.0, 3.0, 4.0, 5.0]]]]> : tensor<1x1x1x5xf32>
  %po = kiln.max_pool2d %pi kernel [1, 2] stride [1, 2] padding [0, 0] dilation [1, 1] ceil_mode : tensor<1x1x1x5xf32>
  %pf2 = kiln.reshape %po : tensor<1x1x1x3xf32> to tensor<3xf32>
  %pf2_ = tensor.cast %pf2 : tensor<3xf32> to tensor<?xf32>
  call @printF32(%pf2_) : (tensor<?xf32>) -> ()
  // CHECK: [2,  4,  5]

  // gather along dim 1.
  %gx = kiln.constant dense<[[10.0, 11.0, 12.0], [20.0, 21.0, 22.0]]> : tensor<2x3xf32>
  %gi = kiln.constant dense<[[2, 0], [1, 1]]> : tensor<2x2xi64>
  %go = kiln.gather %gx, %gi dim 1 : tensor<2x3xf32>, tensor<2x2xi64>
  %gf = kiln.reshape %go : tensor<2x2xf32> to tensor<4xf32>
  %gf_ = tensor.cast %gf : tensor<4xf32> to tensor<?xf32>
  call @printF32(%gf_) : (tensor<?xf32>) -> ()
  // CHECK: [12,  10,  21,  21]

  // float -> uint8 wraps as PyTorch on x86 (-1.0 -> 255); sign keeps NaN.
  %fx = kiln.constant dense<[-1.0, 300.0, 2.9, 0x7FC00000]> : tensor<4xf32>
  %fu = kiln.cast %fx : tensor<4xf32> to tensor<4xui8>
  %fw = kiln.cast %fu : tensor<4xui8> to tensor<4xi64>
  %fw3 = kiln.slice %fw start [0] end [3] step [1] : tensor<4xi64>
  %fw_ = tensor.cast %fw3 : tensor<3xi64> to tensor<?xi64>
  call @printI64(%fw_) : (tensor<?xi64>) -> ()
  // CHECK: [255,  44,  2]
  %sg = kiln.sign %fx : tensor<4xf32>
  %sg_ = tensor.cast %sg : tensor<4xf32> to tensor<?xf32>
  call @printF32(%sg_) : (tensor<?xf32>) -> ()
  // CHECK: [-1,  1,  1,  nan]

  // Shifts by amounts outside [0, 32) follow PyTorch where arith gives poison:
  // << is 0, >> the sign fill; in range, << wraps and >> is arithmetic.
  %sa = kiln.constant dense<[-8, 5, -8, 5, 1, -5, 7]> : tensor<7xi32>
  %sn = kiln.constant dense<[32, 33, 100, -1, 31, 1, 0]> : tensor<7xi32>
  %sl = kiln.shift_left %sa, %sn : tensor<7xi32>, tensor<7xi32>
  %sr = kiln.shift_right %sa, %sn : tensor<7xi32>, tensor<7xi32>
  %sboth = kiln.concat %sl, %sr dim 0 : tensor<7xi32>, tensor<7xi32>
  %swide = kiln.cast %sboth : tensor<14xi32> to tensor<14xi64>
  %swide_ = tensor.cast %swide : tensor<14xi64> to tensor<?xi64>
  call @printI64(%swide_) : (tensor<?xi64>) -> ()
  // CHECK: [0,  0,  0,  0,  -2147483648,  -10,  7,  -1,  0,  -1,  0,  0,  -3,  7]

  // ui8 >> is logical, and 0 from 8 on (200 as a shift amount too); ~ flips
  // the bits of ui8 (200 -> 55) and is logical not on bools.
  %ua = kiln.constant dense<[200, 200, 200, 255]> : tensor<4xui8>
  %un = kiln.constant dense<[1, 7, 8, 200]> : tensor<4xui8>
  %ur = kiln.shift_right %ua, %un : tensor<4xui8>, tensor<4xui8>
  %unot = kiln.bitwise_not %ua : tensor<4xui8>
  %uboth = kiln.concat %ur, %unot dim 0 : tensor<4xui8>, tensor<4xui8>
  %bt = kiln.constant dense<[true, false, true, false]> : tensor<4xi1>
  %bnot = kiln.bitwise_not %bt : tensor<4xi1>
  %bnot8 = kiln.cast %bnot : tensor<4xi1> to tensor<4xui8>
  %uall = kiln.concat %uboth, %bnot8 dim 0 : tensor<8xui8>, tensor<4xui8>
  %uwide = kiln.cast %uall : tensor<12xui8> to tensor<12xi64>
  %uwide_ = tensor.cast %uwide : tensor<12xi64> to tensor<?xi64>
  call @printI64(%uwide_) : (tensor<?xi64>) -> ()
  // CHECK: [100,  1,  0,  0,  55,  55,  55,  0,  0,  1,  0,  1]
  return
}
