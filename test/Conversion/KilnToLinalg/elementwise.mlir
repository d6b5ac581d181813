// convert-kiln-to-linalg on elementwise ops: one linalg.generic each, bodies in arith/math with PyTorch's semantics.
// RUN: kiln-opt %s -convert-kiln-to-linalg | FileCheck %s
// RUN: kiln-opt %s -convert-kiln-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// BUF-NOT: kiln.
// BUF-NOT: tensor<

// CHECK-LABEL: func.func @float_unary(
// CHECK-SAME: %[[X:.*]]: tensor<4xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel"]} ins(%[[X]] : tensor<4xf32>) outs(%[[E]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[R:.*]] = math.exp %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: math.log1p
// CHECK: math.expm1
// CHECK: math.rsqrt
// torch.round rounds half to even.
// CHECK: math.roundeven
// CHECK: math.erf
// CHECK: return
func.func @float_unary(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.exp %x : tensor<4xf32>
  %1 = kiln.log1p %x : tensor<4xf32>
  %2 = kiln.expm1 %x : tensor<4xf32>
  %3 = kiln.rsqrt %x : tensor<4xf32>
  %4 = kiln.round %x : tensor<4xf32>
  %5 = kiln.erf %x : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @float_unary2(
// CHECK: math.log %{{.*}} : f32
// CHECK: math.sqrt
// CHECK: math.tanh
// CHECK: math.sin
// CHECK: math.cos
// CHECK: math.floor
func.func @float_unary2(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.log %x : tensor<4xf32>
  %1 = kiln.sqrt %x : tensor<4xf32>
  %2 = kiln.tanh %x : tensor<4xf32>
  %3 = kiln.sin %x : tensor<4xf32>
  %4 = kiln.cos %x : tensor<4xf32>
  %5 = kiln.floor %x : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @float_unary3(
// CHECK: math.ceil
// CHECK: arith.negf
// CHECK: math.absf
// relu keeps NaN: maximumf, not maxnumf.
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.maximumf %{{.*}}, %[[Z]] : f32
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i1):
// CHECK: %[[Z2:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: arith.cmpf oeq, %[[IN]], %[[Z2]] : f32
func.func @float_unary3(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>) {
  %0 = kiln.ceil %x : tensor<4xf32>
  %1 = kiln.neg %x : tensor<4xf32>
  %2 = kiln.abs %x : tensor<4xf32>
  %3 = kiln.relu %x : tensor<4xf32>
  %4 = kiln.logical_not %x : tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>
}

// CHECK-LABEL: func.func @sigmoid_silu(
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK-NEXT: %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK-NEXT: arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK: ^bb0(%[[IN2:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[DEN2:.*]] = arith.addf
// CHECK-NEXT: arith.divf %[[IN2]], %[[DEN2]] : f32
func.func @sigmoid_silu(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.sigmoid %x : tensor<4xf32>
  %1 = kiln.silu %x : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @gelu(
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[RS2:.*]] = arith.constant 0.707106769 : f32
// CHECK-NEXT: %[[S:.*]] = arith.mulf %[[IN]], %[[RS2]] : f32
// CHECK-NEXT: %[[ERF:.*]] = math.erf %[[S]] : f32
// CHECK-NEXT: %[[CDF:.*]] = arith.addf %{{.*}}, %[[ERF]] : f32
// CHECK-NEXT: %[[H:.*]] = arith.mulf %{{.*}}, %[[IN]] : f32
// CHECK-NEXT: arith.mulf %[[H]], %[[CDF]] : f32
// CHECK: ^bb0(%[[IN2:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.constant 4.471500e-02 : f32
// CHECK: arith.constant 0.797884583 : f32
// CHECK: math.tanh
func.func @gelu(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.gelu %x : tensor<4xf32>
  %1 = kiln.gelu %x approximate tanh : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @sign(
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[IN]]
// CHECK: %[[NEG:.*]] = arith.cmpf olt, %[[IN]]
// NaN and zeros come back unchanged.
// CHECK: %[[NEGV:.*]] = arith.select %[[NEG]], %{{.*}}, %[[IN]] : f32
// CHECK: arith.select %[[POS]], %{{.*}}, %[[NEGV]] : f32
// CHECK: arith.cmpi sgt
// CHECK: arith.cmpi slt
func.func @sign(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0 = kiln.sign %x : tensor<4xf32>
  %1 = kiln.sign %i : tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}

// CHECK-LABEL: func.func @int_unary(
// CHECK: %[[Z:.*]] = arith.constant 0 : i32
// CHECK-NEXT: arith.subi %[[Z]], %{{.*}} : i32
// CHECK: math.absi
// CHECK: arith.maxsi
// Floor of an integer is the identity.
// CHECK: ^bb0(%[[IN:.*]]: i32, %{{.*}}: i32):
// CHECK-NEXT: linalg.yield %[[IN]] : i32
func.func @int_unary(%x: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = kiln.neg %x : tensor<4xi32>
  %1 = kiln.abs %x : tensor<4xi32>
  %2 = kiln.relu %x : tensor<4xi32>
  %3 = kiln.floor %x : tensor<4xi32>
  return %0, %1, %2, %3 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// CHECK-LABEL: func.func @float_binary(
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: arith.subf %[[A]], %[[B]] : f32
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: math.powf
// NaN propagates as in torch.maximum/minimum.
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.addf
func.func @float_binary(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.sub %a, %b : tensor<4xf32>, tensor<4xf32>
  %1 = kiln.mul %a, %b : tensor<4xf32>, tensor<4xf32>
  %2 = kiln.div %a, %b : tensor<4xf32>, tensor<4xf32>
  %3 = kiln.pow %a, %b : tensor<4xf32>, tensor<4xf32>
  %4 = kiln.maximum %a, %b : tensor<4xf32>, tensor<4xf32>
  %5 = kiln.minimum %a, %b : tensor<4xf32>, tensor<4xf32>
  %6 = kiln.add %a, %b : tensor<4xf32>, tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// The C remainder, moved to the divisor's sign when it is non-zero.
// CHECK-LABEL: func.func @float_remainder(
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[R:.*]] = arith.remf %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[NZ:.*]] = arith.cmpf one, %[[R]]
// CHECK-NEXT: %[[RN:.*]] = arith.cmpf olt, %[[R]]
// CHECK-NEXT: %[[BN:.*]] = arith.cmpf olt, %[[B]]
// CHECK-NEXT: %[[D:.*]] = arith.xori %[[RN]], %[[BN]] : i1
// CHECK-NEXT: %[[ADJ:.*]] = arith.andi %[[NZ]], %[[D]] : i1
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[R]], %[[B]] : f32
// CHECK-NEXT: %[[RES:.*]] = arith.select %[[ADJ]], %[[S]], %[[R]] : f32
// CHECK-NEXT: linalg.yield %[[RES]]
func.func @float_remainder(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.remainder %a, %b : tensor<4xf32>, tensor<4xf32>
  return %0 : tensor<4xf32>
}

// Integer division truncates; a 0 or -1 divisor is replaced so that the
// kernel never traps (x / 0 gives 0, x / -1 gives -x).
// CHECK-LABEL: func.func @int_binary(
// CHECK: ^bb0(%[[A:.*]]: i64, %[[B:.*]]: i64, %{{.*}}: i64):
// CHECK: %[[SAFE:.*]] = arith.select %{{.*}}, %{{.*}}, %[[B]] : i64
// CHECK: %[[Q:.*]] = arith.divsi %[[A]], %[[SAFE]] : i64
// CHECK: %[[NEGA:.*]] = arith.subi %{{.*}}, %[[A]] : i64
// CHECK: %[[FIX:.*]] = arith.select %{{.*}}, %[[NEGA]], %[[Q]] : i64
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[FIX]] : i64
// CHECK: ^bb0(%[[A2:.*]]: i64, %[[B2:.*]]: i64, %{{.*}}: i64):
// CHECK: %[[SAFE2:.*]] = arith.select %{{.*}}, %{{.*}}, %[[B2]] : i64
// CHECK: %[[R:.*]] = arith.remsi %[[A2]], %[[SAFE2]] : i64
// CHECK: arith.cmpi slt, %[[B2]]
// CHECK: %[[S:.*]] = arith.addi %[[R]], %[[B2]] : i64
// CHECK: arith.select %{{.*}}, %[[S]], %[[R]] : i64
// CHECK: math.ipowi %{{.*}}, %{{.*}} : i64
// CHECK: arith.maxsi
func.func @int_binary(%a: tensor<4xi64>, %b: tensor<4xi64>) -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) {
  %0 = kiln.div %a, %b : tensor<4xi64>, tensor<4xi64>
  %1 = kiln.remainder %a, %b : tensor<4xi64>, tensor<4xi64>
  %2 = kiln.pow %a, %b : tensor<4xi64>, tensor<4xi64>
  %3 = kiln.maximum %a, %b : tensor<4xi64>, tensor<4xi64>
  return %0, %1, %2, %3 : tensor<4xi64>, tensor<4xi64>, tensor<4xi64>, tensor<4xi64>
}

// Ordered predicates, except ne which is true on NaN.
// CHECK-LABEL: func.func @compare(
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpf une
// CHECK: arith.cmpf olt
// CHECK: arith.cmpi sge, %{{.*}}, %{{.*}} : i8
func.func @compare(%a: tensor<4xf32>, %b: tensor<4xf32>, %i: tensor<4xi8>, %j: tensor<4xi8>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = kiln.eq %a, %b : tensor<4xf32>, tensor<4xf32>
  %1 = kiln.ne %a, %b : tensor<4xf32>, tensor<4xf32>
  %2 = kiln.lt %a, %b : tensor<4xf32>, tensor<4xf32>
  %3 = kiln.ge %i, %j : tensor<4xi8>, tensor<4xi8>
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// CHECK-LABEL: func.func @logical(
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: i1):
// CHECK: %[[NA:.*]] = arith.cmpf une, %[[A]]
// CHECK: %[[NB:.*]] = arith.cmpf une, %[[B]]
// CHECK-NEXT: arith.andi %[[NA]], %[[NB]] : i1
// CHECK: arith.ori %{{.*}}, %{{.*}} : i1
// CHECK: arith.xori %{{.*}}, %{{.*}} : i1
func.func @logical(%a: tensor<4xf32>, %b: tensor<4xf32>, %p: tensor<4xi1>, %q: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = kiln.logical_and %a, %b : tensor<4xf32>, tensor<4xf32>
  %1 = kiln.logical_or %p, %q : tensor<4xi1>, tensor<4xi1>
  %2 = kiln.logical_xor %p, %q : tensor<4xi1>, tensor<4xi1>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// bool + bool is or; comparisons and max are unsigned (true is 1).
// CHECK-LABEL: func.func @bool_arith(
// CHECK: arith.ori %{{.*}}, %{{.*}} : i1
// CHECK: arith.muli %{{.*}}, %{{.*}} : i1
// CHECK: arith.maxui %{{.*}}, %{{.*}} : i1
// CHECK: arith.cmpi ugt, %{{.*}}, %{{.*}} : i1
func.func @bool_arith(%p: tensor<4xi1>, %q: tensor<4xi1>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = kiln.add %p, %q : tensor<4xi1>, tensor<4xi1>
  %1 = kiln.mul %p, %q : tensor<4xi1>, tensor<4xi1>
  %2 = kiln.maximum %p, %q : tensor<4xi1>, tensor<4xi1>
  %3 = kiln.gt %p, %q : tensor<4xi1>, tensor<4xi1>
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// Half-precision arithmetic runs in f32, rounded once.
// CHECK-LABEL: func.func @half(
// CHECK: ^bb0(%[[A:.*]]: bf16, %[[B:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: %[[WA:.*]] = arith.extf %[[A]] : bf16 to f32
// CHECK-NEXT: %[[WB:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[WA]], %[[WB]] : f32
// CHECK-NEXT: %[[N:.*]] = arith.truncf %[[Q]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[N]] : bf16
// BUF-LABEL: func.func @half(
// BUF-SAME: memref<4xbf16
// BUF: linalg.generic
func.func @half(%a: tensor<4xbf16>, %b: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = kiln.div %a, %b : tensor<4xbf16>, tensor<4xbf16>
  return %0 : tensor<4xbf16>
}
