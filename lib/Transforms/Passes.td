// Kiln's own passes over Kiln, linalg, affine and func IR (the lowering pipeline names most of them).
#ifndef KILN_TRANSFORMS_PASSES
#define KILN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def KilnAutodiff : Pass<"kiln-autodiff", "mlir::ModuleOp"> {
  let summary = "Append the gradient of a scalar result to Kiln functions (reverse mode)";
  let description = [{
    Rewrites each public `func.func` (or only `function`) to return, after
    its original results, the gradient of result `result` (a 0-d float
    tensor: a loss) with respect to each argument in `wrt`. The cotangent of
    the loss starts as 1.0; the ops on the way from the chosen arguments to
    the loss are visited in reverse and each builds its vector-Jacobian
    product through `KilnDifferentiableOpInterface`; cotangents of a value
    with several uses are summed with `kiln.add`. An argument the loss does
    not depend on gets zeros. The backward ops are ordinary Kiln IR: the
    forward values they read are shared with the forward computation, and
    what the returned values do not need is left to `canonicalize`.

    The function must be a single block of ops with static shapes. An op on
    the way from an argument to the loss without a VJP rule (a call) is an
    error naming it. docs/autodiff.md describes the rules.
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
  let options = [
    ListOption<"wrt", "wrt", "int64_t",
               "Argument indices to differentiate with respect to (default: "
               "every float tensor argument)">,
    Option<"result", "result", "int64_t", "0",
           "Index of the 0-d float result to differentiate">,
    Option<"function", "function", "std::string", "\"\"",
           "Only differentiate this function (default: every public one)">
  ];
}

def KilnFuseElementwise : Pass<"kiln-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg ops, duplicating cheap multi-user producers";
  let description = [{
    Runs linalg's elementwise fusion with a control function that also fuses
    a producer with several users (softmax's exp feeds both the row sum and
    the division): the producer is recomputed in each consumer, which removes
    its loop nest and the round trip of its result through memory. Producers
    whose body is expensive are still fused only into a single user.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
  let options = [
    Option<"maxDuplicatedOps", "max-duplicated-ops", "unsigned", "16",
           "Largest producer body (in ops) recomputed per user when it has several users">
  ];
}

def KilnMathApproximation : Pass<"kiln-math-approximation"> {
  let summary = "Replace math functions with polynomial approximations";
  let description = [{
    Rewrites math.exp/tanh/erf/log/log1p/expm1/... on f32 scalars and vectors
    into arithmetic, so vector loops never scalarize into libm calls.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
  let options = [
    Option<"enableAvx2", "enable-avx2", "bool", "false",
           "Use AVX2 intrinsics (x86vector dialect) where an approximation has one">
  ];
}

def KilnUnshareFills : Pass<"kiln-unshare-fills"> {
  let summary = "Give every op that accumulates into a filled tensor a fill of its own";
  let description = [{
    CSE merges equal `linalg.fill`s, so several matmuls (or reductions) of one
    shape end up accumulating into one zero-filled tensor. One-shot
    bufferization must then fill a buffer once and copy it for every op that
    writes into it, and the extern-kernel pass no longer sees a zero fill
    right before each matmul (so no overwriting kernel and no fused bias or
    relu epilogue). This pass clones the fill (and its `tensor.empty`) right
    before each such op; the fill itself is not shared by anything else.
    A `tensor.empty` used by several ops is cloned for each of them too, so
    that each result gets a buffer of its own.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def KilnReadOnlyArguments : Pass<"kiln-read-only-arguments", "mlir::ModuleOp"> {
  let summary = "Mark the tensor arguments of public functions read-only for bufferization";
  let description = [{
    The runtime passes the caller's tensors as the arguments of a compiled
    function; a kernel that updates in place (scatter, a fused in-place op)
    must write a copy, never the caller's data. With
    `bufferize-function-boundaries`, one-shot-bufferize treats arguments as
    writable unless they carry `bufferization.writable = false`.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def KilnEmitCInterface : Pass<"kiln-emit-c-interface", "mlir::ModuleOp"> {
  let summary = "Mark every public function with llvm.emit_c_interface";
  let description = [{
    The runtime calls compiled functions through `_mlir_ciface_<name>`, which
    convert-func-to-llvm only emits for functions carrying the attribute.
  }];
}

def KilnAffinePromoteReductions : Pass<"kiln-affine-promote-reductions",
                                       "mlir::func::FuncOp"> {
  let summary = "Turn accumulations through memory in affine loops into iter_args";
  let description = [{
    Lowering a linalg reduction to affine loops loads and stores the
    accumulator in every iteration. When the innermost loop loads and stores
    the same loop-invariant element and nothing else in the loop touches that
    memref, the accumulator is carried in an iter_arg instead, which is the
    form affine-super-vectorize's vectorize-reductions recognizes.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect"];
}

def KilnAffineVectorize : Pass<"kiln-affine-vectorize", "mlir::func::FuncOp"> {
  let summary = "Vectorize affine loops whose accesses are contiguous in the loop";
  let description = [{
    affine-super-vectorize, offered only the loops it vectorizes correctly in
    MLIR 19: under the loop, each access indexes only the memref's last
    dimension with the induction variable, at coefficient 1 (`%x[%i * 2]`, a
    dilated window, would read consecutive elements), every store varies
    with it (an invariant store becomes an invalid broadcasting write), and
    no memref holds i1 (vector<Nxi1> memory accesses are bit-packed while i1
    memrefs hold a byte per element). Reductions are included when
    `vectorize-reductions` is set.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"16",
           "Elements per vector">,
    Option<"vectorizeReductions", "vectorize-reductions", "bool",
           /*default=*/"true", "Vectorize reduction loops too">,
  ];
  let dependentDialects = ["mlir::vector::VectorDialect"];
}

def KilnMarkParallelLoops : Pass<"kiln-mark-parallel-loops", "mlir::func::FuncOp"> {
  let summary = "Mark the outermost loop of large dependence-free affine nests as parallel";
  let description = [{
    For each top-level affine.for nest with constant bounds whose iteration
    count reaches `min-work`, marks the outermost loop `kiln.parallel` when it
    carries no dependence. A nest that is a single loop is first strip-mined
    into chunks of about `chunk-size` iterations: the chunk loop is marked and
    the loop over a chunk stays sequential for the vectorizer. Smaller nests
    stay sequential: an OpenMP parallel region costs microseconds to start,
    about what 64K elementwise iterations take on one core.

    Runs before affine-super-vectorize, whose vector transfers the affine
    dependence analysis cannot see through; kiln-parallelize-outer-loops
    turns the marks into affine.parallel after vectorization.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect"];
  let options = [
    Option<"minWork", "min-work", "int64_t", "65536",
           "Smallest iteration count of a nest worth running in parallel">,
    Option<"chunkSize", "chunk-size", "int64_t", "4096",
           "Iterations per parallel chunk when strip-mining a single loop">
  ];
}

def KilnParallelizeOuterLoops : Pass<"kiln-parallelize-outer-loops",
                                     "mlir::func::FuncOp"> {
  let summary = "Turn affine.for loops marked kiln.parallel into affine.parallel";
  let description = [{
    lower-affine then gives scf.parallel, which convert-scf-to-openmp turns
    into an OpenMP work-sharing loop. Legality was checked when
    kiln-mark-parallel-loops placed the mark.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect"];
}

def KilnLinalgToExternKernels : Pass<"kiln-linalg-to-extern-kernels",
                                     "mlir::ModuleOp"> {
  let summary = "Call oneDNN kernels for f32 matmul, batch_matmul and conv on memrefs";
  let description = [{
    Runs after bufferization. Replaces linalg.matmul, linalg.batch_matmul and
    linalg.conv_2d_nchw_fchw whose operands are all f32 strided memrefs with
    `func.call`s of the runtime's extern kernels (runtime/cpu/ExternKernels.h),
    declared private with `llvm.emit_c_interface` so compiled code calls
    `_mlir_ciface_kiln_*` with memref descriptors. Operands are cast to fully
    dynamic strided memrefs: one declaration per kernel.

    linalg ops accumulate into their output, so the op that last wrote the
    output picks the variant: a `linalg.fill` of 0.0 is dropped and the
    overwriting kernel called; a `linalg.broadcast` of a 1-D bias (along the
    rows of a matmul, or dims [0, 2, 3] of a conv) is dropped and the bias
    kernel called; otherwise matmuls call the accumulating kernel and convs
    stay loops. Other element types, grouped convs and unstrided layouts stay
    linalg.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
}

def KilnDistinctReturnBuffers : Pass<"kiln-distinct-return-buffers",
                                     "mlir::func::FuncOp"> {
  let summary = "Give each memref a function returns a buffer of its own";
  let description = [{
    When a function returns the same buffer twice (two equal results that
    CSE merged), buffer-results-to-out-params{hoist-static-allocs} replaces
    the allocation by the first out-param and then crashes on the second
    (MLIR 19); it also crashes on a returned function argument. Each such
    return operand becomes a fresh allocation and a copy, which that pass
    then turns into an out-param and a copy into it.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def KilnInterchangeReductions : Pass<"kiln-interchange-reductions",
                                     "mlir::func::FuncOp"> {
  let summary = "Put the parallel loops of a reduction outermost";
  let description = [{
    A reduction over dims [0, 2, 3] of an NCHW tensor (a convolution's bias
    gradient) iterates (n, c, h, w) with only c parallel: no outer loop can
    run in parallel, and the accumulator of each c is loaded and stored in
    every n. When a linalg.generic's innermost loop is a reduction, its
    parallel loops are moved in front of its reduction loops (each kind
    keeping its order): (c, n, h, w) runs c in parallel, with the
    accumulator promoted to a register over the rest. A generic whose
    innermost loop is parallel is left alone: that loop is the one that is
    vectorized.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def KilnFuseRows : Pass<"kiln-fuse-rows", "mlir::func::FuncOp"> {
  let summary = "Fuse row reductions with their producers and consumers into one parallel row loop";
  let description = [{
    After elementwise fusion, a row softmax or layernorm is still several
    loop nests over the whole tensor (row max; exp and sum; exp and divide),
    each reading the input from memory. This pass tiles the last generic of
    such a group along its first loop, a parallel one that indexes the
    leading dimension of every result, with an `scf.forall` of `tile-rows`
    rows, and fuses into that loop the producers (generics and fills) that
    are indexed by the same rows and used only inside the group. A row block
    is then read from memory once and stays in cache for the other passes.

    Applies only when the group holds a reduction and at least two generics,
    and the root's iteration count reaches `min-work`. Unit dimensions of
    generics are dropped first (keepdim reductions reach their users through
    tensor.expand_shape, which tiling cannot fuse through). After
    bufferization, kiln-forall-to-affine turns the forall into an affine.for
    marked parallel.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect"];
  let options = [
    Option<"tileRows", "tile-rows", "int64_t", "1",
           "Rows per iteration of the fused row loop">,
    Option<"minWork", "min-work", "int64_t", "65536",
           "Smallest iteration count of the group's last generic worth fusing">
  ];
}

def KilnForallToAffine : Pass<"kiln-forall-to-affine", "mlir::func::FuncOp"> {
  let summary = "Turn bufferized scf.forall loops into affine.for loops, the outermost marked parallel";
  let description = [{
    Runs after bufferization and convert-linalg-to-affine-loops, on the row
    loops of kiln-fuse-rows. Each scf.forall with constant bounds and no
    results becomes a nest of affine.for loops; the outermost carries
    `kiln.parallel` (when `parallel` is set), which kiln-parallelize-outer-
    loops turns into an OpenMP loop. Loads and stores through subviews inside
    the loop are then folded into accesses of the subviews' sources: the
    row loop's induction variable is a valid affine index, and the
    vectorizer only takes memrefs with identity layouts.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect",
                           "mlir::memref::MemRefDialect"];
  let options = [
    Option<"parallel", "parallel", "bool", "true",
           "Mark the outermost loop kiln.parallel">
  ];
}

#endif // KILN_TRANSFORMS_PASSES
