// kiln-linalg-to-extern-kernels: routes f32 linalg matmul/batch_matmul/conv on
// memrefs to the oneDNN kernels in runtime/cpu.
#include "lib/Transforms/ExternKernelViews.h"
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define DEBUG_TYPE "kiln-linalg-to-extern-kernels"

namespace kiln {
#define GEN_PASS_DEF_KILNLINALGTOEXTERNKERNELS
#include "lib/Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

using namespace extern_kernels;

// How the output buffer is initialized right before the contraction, which
// decides the kernel variant: linalg ops accumulate into their output.
struct Initializer {
  enum Kind { None, Zero, Bias } kind = None;
  Operation *op = nullptr;
  Value bias; // rank = number of kept dims
};

// memref<?x...x?xf32, strided<[?, ...], offset: ?>>: every call site of one
// kernel casts to this type, so one declaration serves all shapes and
// layouts (the descriptor carries sizes, strides and offset at run time).
MemRefType dynamicType(MLIRContext *context, int64_t rank) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(context, ShapedType::kDynamic, dynamic);
  return MemRefType::get(dynamic, Float32Type::get(context), layout);
}

Value castToDynamic(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<MemRefType>(value.getType());
  MemRefType target = dynamicType(builder.getContext(), type.getRank());
  if (type == target)
    return value;
  return builder.create<memref::CastOp>(loc, target, value);
}

// The nearest earlier op in the block that touches memory; ops free of
// memory effects and pure allocations are looked through.
Operation *previousMemoryOp(Operation *op) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode())
    if (!isPureOrAlloc(prev))
      return prev;
  return nullptr;
}

bool yieldsZero(linalg::MapOp map) {
  auto yield = cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
  return map.getInputs().empty() && yield.getNumOperands() == 1 &&
         matchPattern(yield.getOperand(0), m_AnyZeroFloat());
}

// `linalg.fill 0.0` or a `linalg.map` yielding 0.0 (bufferized tensor.pad).
bool isZeroFill(Operation *op, Value buffer) {
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(op))
    return fill.getOutputs()[0] == buffer &&
           matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  if (auto map = dyn_cast_or_null<linalg::MapOp>(op))
    return map.getInit() == buffer && yieldsZero(map);
  return false;
}

// A linalg.generic copying its only input, indexed by dims `keptDims` of
// the identity-mapped `out`, into `out` (kiln-to-linalg seeds conv outputs
// with the bias this way).
bool isBroadcastGeneric(linalg::GenericOp generic, Value out,
                        ArrayRef<int64_t> keptDims) {
  if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getDpsInits()[0] != out ||
      !isF32Memref(generic.getDpsInputs()[0], keptDims.size()) ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return false;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  SmallVector<AffineExpr> kept;
  for (int64_t d : keptDims)
    kept.push_back(getAffineDimExpr(d, generic.getContext()));
  AffineMap expected =
      AffineMap::get(maps[1].getNumDims(), 0, kept, generic.getContext());
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  return maps[0] == expected && maps[1].isIdentity() &&
         yield.getNumOperands() == 1 &&
         yield.getOperand(0) == generic.getBody()->getArgument(0);
}

// Recognizes a zero fill of `out`, or a broadcast of a bias indexed by dims
// `keptDims` of `out` (linalg.broadcast or the equivalent linalg.generic),
// as the last write before `op`.
Initializer findInitializer(Operation *op, Value out,
                            ArrayRef<int64_t> keptDims) {
  Operation *prev = previousMemoryOp(op);
  if (isZeroFill(prev, out))
    return {Initializer::Zero, prev, Value()};
  if (auto broadcast = dyn_cast_or_null<linalg::BroadcastOp>(prev)) {
    SmallVector<int64_t> dims;
    for (int64_t d = 0; d < cast<MemRefType>(out.getType()).getRank(); ++d)
      if (!llvm::is_contained(keptDims, d))
        dims.push_back(d);
    if (broadcast.getInit() == out &&
        broadcast.getDimensions() == ArrayRef(dims) &&
        isF32Memref(broadcast.getInput(), keptDims.size()))
      return {Initializer::Bias, broadcast, broadcast.getInput()};
  }
  if (auto generic = dyn_cast_or_null<linalg::GenericOp>(prev))
    if (isBroadcastGeneric(generic, out, keptDims))
      return {Initializer::Bias, generic, generic.getDpsInputs()[0]};
  return {};
}

// `value` with dims [dim, dim + 1] merged: the source of a memref.expand_shape
// that split them, or a new memref.collapse_shape of a contiguous buffer.
// Null when neither applies.
Value mergeDims(OpBuilder &builder, Value value, int64_t dim) {
  auto type = cast<MemRefType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<ReassociationIndices> merged;
  for (int64_t i = 0; i < rank - 1; ++i)
    merged.push_back(i < dim    ? ReassociationIndices{i}
                     : i == dim ? ReassociationIndices{i, i + 1}
                                : ReassociationIndices{i + 1});
  if (auto expand = value.getDefiningOp<memref::ExpandShapeOp>())
    if (expand.getReassociationIndices() == merged)
      return expand.getSrc();
  if (!type.getLayout().isIdentity() || !type.hasStaticShape())
    return Value();
  return builder.create<memref::CollapseShapeOp>(value.getLoc(), value, merged);
}

// An explicit zero padding in front of a convolution: `padded` is an
// allocation that is zero-filled, gets `source` copied into its interior
// and is read by the convolution only.
struct Padding {
  Value source;
  int64_t padH = 0, padW = 0;
  Operation *copy = nullptr;
  // What to erase once the kernel pads itself, users before the allocation.
  SmallVector<Operation *> ops;
};

std::optional<Padding> matchPadding(Value padded, Operation *conv) {
  auto alloc = padded.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != conv->getBlock())
    return std::nullopt;
  Padding padding;
  Operation *fill = nullptr, *copy = nullptr, *subview = nullptr;
  SmallVector<Operation *> views;
  for (Operation *user : alloc->getUsers()) {
    if (isZeroFill(user, padded) && !fill) {
      fill = user;
    } else if (auto sub = dyn_cast<memref::SubViewOp>(user); sub && !subview) {
      if (!sub->hasOneUse() || !sub.hasUnitStride())
        return std::nullopt;
      auto copyOp = dyn_cast<memref::CopyOp>(*sub->getUsers().begin());
      if (!copyOp || copyOp.getTarget() != sub.getResult())
        return std::nullopt;
      subview = sub;
      copy = copyOp;
      padding.source = copyOp.getSource();
    } else if (isa<memref::DeallocOp>(user)) {
      padding.ops.push_back(user);
    } else if (user == conv) {
      continue;
    } else if (isa<memref::ExpandShapeOp>(user) && user->hasOneUse() &&
               *user->getUsers().begin() == conv) {
      views.push_back(user);
    } else {
      return std::nullopt;
    }
  }
  if (!fill || !copy || !isF32Memref(padding.source, 4) ||
      fill->getBlock() != conv->getBlock() ||
      copy->getBlock() != conv->getBlock() || !fill->isBeforeInBlock(copy) ||
      !copy->isBeforeInBlock(conv))
    return std::nullopt;
  // The interior is [0, 0, padH, padW] + the source's shape, padded equally
  // on both sides (kiln-to-linalg pads convolutions symmetrically).
  auto sub = cast<memref::SubViewOp>(subview);
  auto sourceType = cast<MemRefType>(padding.source.getType());
  auto paddedType = cast<MemRefType>(padded.getType());
  ArrayRef<int64_t> offsets = sub.getStaticOffsets();
  if (!sourceType.hasStaticShape() || !paddedType.hasStaticShape() ||
      llvm::is_contained(offsets, ShapedType::kDynamic) || offsets[0] != 0 ||
      offsets[1] != 0 || sub.getStaticSizes() != sourceType.getShape())
    return std::nullopt;
  padding.padH = offsets[2];
  padding.padW = offsets[3];
  for (int64_t d = 0; d < 4; ++d)
    if (paddedType.getDimSize(d) !=
        sourceType.getDimSize(d) + 2 * (d == 2   ? padding.padH
                                        : d == 3 ? padding.padW
                                                 : 0))
      return std::nullopt;
  padding.copy = copy;
  padding.ops.append({copy, subview, fill});
  padding.ops.append(views.begin(), views.end());
  padding.ops.push_back(alloc);
  return padding;
}

// The elementwise epilogue of a 2-D matmul into `c`: a linalg.generic that
// reads `c` (identity map) and a bias[N] (map (i, j) -> (j)), in either
// order, and writes `addf(c, bias)` (either operand order), optionally
// followed by `maximumf(., 0.0)` (either order), to an identity-mapped output
// that is neither `a` nor `b`. kiln-fuse-elementwise leaves `relu(x @ w + b)`
// in this form.
struct BiasEpilogue {
  linalg::GenericOp generic;
  Value bias, out;
  bool relu = false;
};

std::optional<BiasEpilogue> matchBiasEpilogue(Operation *matmul, Value a,
                                              Value b, Value c) {
  // The generic must be the next op that touches memory after the matmul.
  linalg::GenericOp generic = nextMemoryGeneric(matmul);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1 || generic.getNumLoops() != 2 ||
      generic.getNumParallelLoops() != 2 || generic.getNumResults() != 0)
    return std::nullopt;
  MLIRContext *ctx = generic.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap rowBroadcast =
      AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  Value out = generic.getDpsInits()[0];
  if (maps[2] != identity || !isF32Memref(out, 2))
    return std::nullopt;
  // Which input is the matmul result and which the bias.
  int cIndex = -1;
  for (int i = 0; i < 2; ++i)
    if (generic.getDpsInputs()[i] == c && maps[i] == identity &&
        maps[1 - i] == rowBroadcast)
      cIndex = i;
  if (cIndex < 0)
    return std::nullopt;
  Value bias = generic.getDpsInputs()[1 - cIndex];
  if (!isF32Memref(bias, 1))
    return std::nullopt;
  // The kernel reads a and b while it writes out.
  Value outRoot = rootBuffer(out);
  if (outRoot == rootBuffer(a) || outRoot == rootBuffer(b))
    return std::nullopt;

  Block *body = generic.getBody();
  Value cArg = body->getArgument(cIndex),
        biasArg = body->getArgument(1 - cIndex);
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  // addf, an optional maximumf, and the yield: nothing else in the body.
  if (yield.getNumOperands() != 1 || body->getOperations().size() > 3 ||
      !body->getArgument(2).use_empty())
    return std::nullopt;
  bool relu = false;
  Value sum = yield.getOperand(0);
  if (auto max = sum.getDefiningOp<arith::MaximumFOp>()) {
    Value lhs = max.getLhs(), rhs = max.getRhs();
    if (matchPattern(rhs, m_AnyZeroFloat()))
      sum = lhs;
    else if (matchPattern(lhs, m_AnyZeroFloat()))
      sum = rhs;
    else
      return std::nullopt;
    if (!sum.hasOneUse())
      return std::nullopt;
    relu = true;
  }
  auto add = sum.getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != body ||
      body->getOperations().size() != (relu ? 3u : 2u))
    return std::nullopt;
  if (!((add.getLhs() == cArg && add.getRhs() == biasArg) ||
        (add.getLhs() == biasArg && add.getRhs() == cArg)))
    return std::nullopt;
  return BiasEpilogue{generic, bias, out, relu};
}

class ExternKernelRewriter {
public:
  explicit ExternKernelRewriter(ModuleOp module) : module_(module) {}

  void rewriteMatmul(Operation *op, Value a, Value b, Value c, int64_t rank) {
    if (!isF32Memref(a, rank) || !isF32Memref(b, rank) || !isF32Memref(c, rank))
      return;
    // A bias [N] broadcast along the rows; batch matmul has no bias kernel.
    Initializer init = findInitializer(op, c, {rank - 1});
    if (init.kind == Initializer::Bias && rank != 2)
      init = {};
    if (rank == 2 && init.kind == Initializer::Zero &&
        rewriteMatmulEpilogue(op, a, b, c, init))
      return;
    // A product that is then copied transposed (a linear layer's weight
    // gradient, dW = (x^T dy)^T) is computed transposed, C^T = B^T A^T,
    // straight into the copy's target (oneDNN 2.6 has no fast kernel for a
    // transposed destination, but reads transposed operands in place).
    SmallVector<Operation *> dead;
    if (rank == 2 && init.kind == Initializer::Zero) {
      OpBuilder builder(op);
      Value written = writeSwappedInPlace(builder, c, op, init.op, {a, b}, dead);
      if (written != c) {
        auto view = written.getDefiningOp<memref::TransposeOp>();
        Value final = view.getIn();
        view->erase();
        auto transposed = [&](Value value) -> Value {
          if (auto t = value.getDefiningOp<memref::TransposeOp>())
            return t.getIn();
          return swapView(builder, op->getLoc(), value);
        };
        Value newA = transposed(b), newB = transposed(a);
        a = newA;
        b = newB;
        c = final;
      }
    }
    std::string name = rank == 2 ? "kiln_matmul" : "kiln_batch_matmul";
    name += init.kind == Initializer::None   ? "_acc_f32"
            : init.kind == Initializer::Bias ? "_bias_f32"
                                             : "_f32";
    OpBuilder builder(op);
    Location loc = op->getLoc();
    SmallVector<Value> args = {castToDynamic(builder, loc, a),
                               castToDynamic(builder, loc, b)};
    if (init.kind == Initializer::Bias)
      args.push_back(castToDynamic(builder, loc, init.bias));
    args.push_back(castToDynamic(builder, loc, c));
    if (!emitCall(builder, loc, name, args, op))
      return;
    if (init.op)
      init.op->erase();
    for (Operation *deadOp : dead)
      deadOp->erase();
  }

  // linalg.conv_2d_nchw_fchw, or the grouped conv_2d_ngchw_gfchw that
  // kiln-to-linalg emits for groups > 1, whose channel dims are split into
  // [G, C/G]: the kernel takes the merged NCHW / OIHW views and `groups`.
  void rewriteConv(linalg::LinalgOp conv, bool grouped, int64_t groups,
                   DenseIntElementsAttr stridesAttr,
                   DenseIntElementsAttr dilationsAttr) {
    const int64_t rank = grouped ? 5 : 4;
    Value in = conv.getDpsInputs()[0], weight = conv.getDpsInputs()[1];
    Value out = conv.getDpsInits()[0];
    if (!isF32Memref(in, rank) || !isF32Memref(weight, rank) ||
        !isF32Memref(out, rank))
      return;
    // The kernel has no accumulating form: without a recognized initializer
    // the convolution stays a loop nest.
    Initializer init = findInitializer(conv, out,
                                       grouped ? SmallVector<int64_t>{1, 2}
                                               : SmallVector<int64_t>{1});
    // A grouped conv may also write a [G, O/G] view of an initialized NCHW
    // buffer.
    if (auto expand = out.getDefiningOp<memref::ExpandShapeOp>();
        grouped && init.kind == Initializer::None && expand)
      init = findInitializer(conv, expand.getSrc(), {1});
    if (init.kind == Initializer::None)
      return;
    OpBuilder builder(conv);
    Location loc = conv.getLoc();
    Value bias = init.bias;
    if (grouped) {
      in = mergeDims(builder, in, 1);
      weight = mergeDims(builder, weight, 0);
      out = mergeDims(builder, out, 1);
      if (bias && cast<MemRefType>(bias.getType()).getRank() == 2)
        bias = mergeDims(builder, bias, 0);
      if (!in || !weight || !out || (init.bias && !bias))
        return; // unused views the canonicalizer removes
    }
    // A weight gradient reads and writes its swapped operands in place.
    SmallVector<Operation *> dead;
    if (!grouped && init.kind == Initializer::Zero &&
        isWeightGradientShape(weight, out)) {
      in = readSwappedInPlace(builder, in, conv, dead);
      weight = readSwappedInPlace(builder, weight, conv, dead);
      out = writeSwappedInPlace(builder, out, conv, init.op, {in, weight}, dead);
    }
    // A ReLU right after a biased convolution runs as its post-op.
    linalg::GenericOp relu;
    if (!grouped && init.kind == Initializer::Bias)
      relu = matchReluEpilogue(conv, out, init.op, {in, weight, bias});
    std::optional<Padding> padding = matchPadding(in, conv);
    if (padding && !onlyInitializerBetween(padding->copy, conv, init.op))
      padding.reset();
    if (padding)
      in = padding->source;
    SmallVector<Value> args = {castToDynamic(builder, loc, in),
                               castToDynamic(builder, loc, weight)};
    if (bias)
      args.push_back(castToDynamic(builder, loc, bias));
    Value written = relu ? relu.getDpsInits()[0] : out;
    args.push_back(castToDynamic(builder, loc, written));
    auto strides = stridesAttr.getValues<int64_t>();
    auto dilations = dilationsAttr.getValues<int64_t>();
    int64_t scalars[] = {strides[0],
                         strides[1],
                         padding ? padding->padH : 0,
                         padding ? padding->padW : 0,
                         dilations[0],
                         dilations[1],
                         groups};
    llvm::SmallDenseMap<int64_t, Value> constants;
    for (int64_t value : scalars) {
      Value &constant = constants[value];
      if (!constant)
        constant = builder.create<arith::ConstantIntOp>(loc, value, 64);
      args.push_back(constant);
    }
    if (!emitCall(builder, loc,
                  relu   ? "kiln_conv2d_bias_relu_f32"
                  : bias ? "kiln_conv2d_bias_f32"
                         : "kiln_conv2d_f32",
                  args, conv))
      return;
    init.op->erase();
    if (padding)
      for (Operation *op : padding->ops)
        op->erase();
    if (relu) {
      Value unused = relu.getDpsInputs()[0];
      relu->erase();
      // The convolution's own buffer, if the kernel wrote the ReLU's instead.
      if (auto alloc = unused.getDefiningOp<memref::AllocOp>();
          alloc && unused != written) {
        for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
          if (isa<memref::DeallocOp>(user) ||
              (isa<memref::CastOp>(user) && user->use_empty()))
            user->erase();
        if (alloc->use_empty())
          alloc->erase();
      }
    }
    for (Operation *op : dead)
      op->erase();
  }

private:
  // A zero-initialized 2-D matmul into `c` followed by a bias (+ ReLU)
  // epilogue generic becomes one kiln_matmul_bias[_relu]_f32 call writing the
  // generic's output. `c` is either that output itself, or an allocation
  // nothing else uses (then erased with its deallocation).
  bool rewriteMatmulEpilogue(Operation *op, Value a, Value b, Value c,
                             const Initializer &init) {
    std::optional<BiasEpilogue> epilogue = matchBiasEpilogue(op, a, b, c);
    if (!epilogue)
      return false;
    SmallVector<Operation *> deadBuffer;
    if (epilogue->out != c) {
      auto alloc = c.getDefiningOp<memref::AllocOp>();
      if (!alloc)
        return false;
      for (Operation *user : alloc->getUsers()) {
        if (user == op || user == init.op || user == epilogue->generic)
          continue;
        if (!isa<memref::DeallocOp>(user))
          return false;
        deadBuffer.push_back(user);
      }
      deadBuffer.push_back(alloc);
    }
    // The call goes where the generic was: the bias and the output are
    // defined there, and nothing between the matmul and the generic touches
    // memory.
    OpBuilder builder(epilogue->generic);
    Location loc = op->getLoc();
    SmallVector<Value> args = {castToDynamic(builder, loc, a),
                               castToDynamic(builder, loc, b),
                               castToDynamic(builder, loc, epilogue->bias),
                               castToDynamic(builder, loc, epilogue->out)};
    if (!emitCall(builder, loc,
                  epilogue->relu ? "kiln_matmul_bias_relu_f32"
                                 : "kiln_matmul_bias_f32",
                  args, epilogue->generic))
      return false;
    op->erase();
    init.op->erase();
    for (Operation *dead : deadBuffer)
      dead->erase();
    return true;
  }

  // True when nothing between `first` (exclusive) and `last` writes memory
  // except `initializer`: the padded copy's source is still what it was.
  static bool onlyInitializerBetween(Operation *first, Operation *last,
                                     Operation *initializer) {
    for (Operation *op = first->getNextNode(); op && op != last;
         op = op->getNextNode())
      if (op != initializer && !isPureOrAlloc(op))
        return false;
    return true;
  }

  // A private declaration with llvm.emit_c_interface, so convert-func-to-llvm
  // calls _mlir_ciface_<name> with descriptor pointers; null when the module
  // already holds a different symbol of that name.
  func::FuncOp getOrDeclare(StringRef name, TypeRange argTypes) {
    auto type = FunctionType::get(module_.getContext(), argTypes, {});
    if (Operation *existing = module_.lookupSymbol(name)) {
      auto func = dyn_cast<func::FuncOp>(existing);
      return func && func.getFunctionType() == type ? func : nullptr;
    }
    auto builder = OpBuilder::atBlockEnd(module_.getBody());
    auto func = builder.create<func::FuncOp>(module_.getLoc(), name, type);
    func.setPrivate();
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  builder.getUnitAttr());
    return func;
  }

  // Replaces `replaced` by a call of `name`; false (and a warning) when the
  // symbol is taken by something else.
  bool emitCall(OpBuilder &builder, Location loc, StringRef name,
                ArrayRef<Value> args, Operation *replaced) {
    func::FuncOp callee = getOrDeclare(name, ValueRange(args).getTypes());
    if (!callee) {
      replaced->emitWarning()
          << "symbol @" << name << " exists with another type; kept as a loop";
      return false;
    }
    builder.create<func::CallOp>(loc, callee, args);
    replaced->erase();
    return true;
  }

  ModuleOp module_;
};

struct LinalgToExternKernelsPass
    : public impl::KilnLinalgToExternKernelsBase<LinalgToExternKernelsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::MatmulOp, linalg::MatmulTransposeAOp,
              linalg::MatmulTransposeBOp, linalg::BatchMatmulOp,
              linalg::Conv2DNchwFchwOp, linalg::Conv2DNgchwGfchwOp>(op))
        candidates.push_back(op);
    });
    ExternKernelRewriter rewriter(getOperation());
    for (Operation *op : candidates) {
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op)) {
        rewriter.rewriteMatmul(op, matmul.getInputs()[0], matmul.getInputs()[1],
                               matmul.getOutputs()[0], 2);
      } else if (isa<linalg::MatmulTransposeAOp, linalg::MatmulTransposeBOp>(op)) {
        // The kernels take any strides: the transposed operand is a view.
        auto linalgOp = cast<linalg::LinalgOp>(op);
        Value a = linalgOp.getDpsInputs()[0], b = linalgOp.getDpsInputs()[1];
        Value &transposed = isa<linalg::MatmulTransposeAOp>(op) ? a : b;
        if (!isF32Memref(transposed, 2))
          continue;
        OpBuilder builder(op);
        auto swap = AffineMapAttr::get(AffineMap::getPermutationMap(
            ArrayRef<unsigned>{1, 0}, op->getContext()));
        auto view = builder.create<memref::TransposeOp>(op->getLoc(), transposed, swap);
        transposed = view.getResult();
        rewriter.rewriteMatmul(op, a, b, linalgOp.getDpsInits()[0], 2);
        if (view->use_empty())
          view->erase();
      } else if (auto batch = dyn_cast<linalg::BatchMatmulOp>(op)) {
        rewriter.rewriteMatmul(op, batch.getInputs()[0], batch.getInputs()[1],
                               batch.getOutputs()[0], 3);
      } else if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
        rewriter.rewriteConv(conv, false, 1, conv.getStrides(),
                             conv.getDilations());
      } else {
        auto grouped = cast<linalg::Conv2DNgchwGfchwOp>(op);
        int64_t groups =
            cast<ShapedType>(grouped.getInputs()[0].getType()).getDimSize(1);
        if (!ShapedType::isDynamic(groups))
          rewriter.rewriteConv(grouped, true, groups, grouped.getStrides(),
                               grouped.getDilations());
      }
    }
  }
};

} // namespace
} // namespace kiln
