// Kiln's unary, binary, comparison, logical, bitwise and where ops -> one broadcasting linalg.generic each.
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace {

// sigmoid(x) = 1 / (1 + exp(-x)).
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = scalarConstant(b, loc, x.getType(), 1.0);
  Value negX = b.create<arith::NegFOp>(loc, x);
  Value denom =
      b.create<arith::AddFOp>(loc, one, b.create<math::ExpOp>(loc, negX));
  return b.create<arith::DivFOp>(loc, one, denom);
}

Value gelu(OpBuilder &b, Location loc, Value x, GeluApproximate approximate) {
  Type t = x.getType();
  Value half = scalarConstant(b, loc, t, 0.5);
  Value one = scalarConstant(b, loc, t, 1.0);
  Value inner;
  if (approximate == GeluApproximate::tanh) {
    // tanh(sqrt(2/pi) * (x + 0.044715 x^3)), as PyTorch's approximate='tanh'.
    Value x3 = b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, x, x),
                                       x);
    Value poly = b.create<arith::AddFOp>(
        loc, x,
        b.create<arith::MulFOp>(loc, scalarConstant(b, loc, t, 0.044715), x3));
    Value scaled = b.create<arith::MulFOp>(
        loc, scalarConstant(b, loc, t, std::sqrt(2.0 / M_PI)), poly);
    inner = b.create<math::TanhOp>(loc, scaled);
  } else {
    Value scaled = b.create<arith::MulFOp>(
        loc, x, scalarConstant(b, loc, t, 1.0 / std::sqrt(2.0)));
    inner = b.create<math::ErfOp>(loc, scaled);
  }
  Value cdf = b.create<arith::AddFOp>(loc, one, inner);
  return b.create<arith::MulFOp>(loc, b.create<arith::MulFOp>(loc, half, x),
                                 cdf);
}

// -1, 0 or 1 by sign; zeros and NaN come back unchanged (NaN stays NaN).
Value floatSign(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value zero = scalarConstant(b, loc, t, 0.0);
  Value pos = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
  Value neg = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, zero);
  Value negOrX = b.create<arith::SelectOp>(
      loc, neg, scalarConstant(b, loc, t, -1.0), x);
  return b.create<arith::SelectOp>(loc, pos, scalarConstant(b, loc, t, 1.0),
                                   negOrX);
}

Value intSign(OpBuilder &b, Location loc, Value x, bool isUnsigned) {
  Type t = x.getType();
  if (t.isInteger(1))
    return x;
  if (isUnsigned)
    return b.create<arith::ExtUIOp>(loc, t, isNonZero(b, loc, x));
  Value zero = scalarConstant(b, loc, t, 0);
  Value pos = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x, zero);
  Value neg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x, zero);
  Value negOrZero = b.create<arith::SelectOp>(
      loc, neg, scalarConstant(b, loc, t, -1), zero);
  return b.create<arith::SelectOp>(loc, pos, scalarConstant(b, loc, t, 1),
                                   negOrZero);
}

Value lowerFloatUnary(Operation *op, OpBuilder &b, Location loc, Value x) {
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) { return b.create<arith::NegFOp>(loc, x); })
      .Case([&](AbsOp) { return b.create<math::AbsFOp>(loc, x); })
      .Case([&](ExpOp) { return b.create<math::ExpOp>(loc, x); })
      .Case([&](LogOp) { return b.create<math::LogOp>(loc, x); })
      .Case([&](Log1pOp) { return b.create<math::Log1pOp>(loc, x); })
      .Case([&](Expm1Op) { return b.create<math::ExpM1Op>(loc, x); })
      .Case([&](SqrtOp) { return b.create<math::SqrtOp>(loc, x); })
      .Case([&](RsqrtOp) { return b.create<math::RsqrtOp>(loc, x); })
      .Case([&](TanhOp) { return b.create<math::TanhOp>(loc, x); })
      .Case([&](SinOp) { return b.create<math::SinOp>(loc, x); })
      .Case([&](CosOp) { return b.create<math::CosOp>(loc, x); })
      .Case([&](ErfOp) { return b.create<math::ErfOp>(loc, x); })
      .Case([&](FloorOp) { return b.create<math::FloorOp>(loc, x); })
      .Case([&](CeilOp) { return b.create<math::CeilOp>(loc, x); })
      // torch.round rounds half to even.
      .Case([&](RoundOp) { return b.create<math::RoundEvenOp>(loc, x); })
      .Case([&](SigmoidOp) { return sigmoid(b, loc, x); })
      // maximumf keeps NaN, as torch.relu does.
      .Case([&](ReluOp) {
        return b.create<arith::MaximumFOp>(
            loc, x, scalarConstant(b, loc, x.getType(), 0.0));
      })
      // PyTorch's silu is x / (1 + exp(-x)).
      .Case([&](SiluOp) {
        Value one = scalarConstant(b, loc, x.getType(), 1.0);
        Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
        return b.create<arith::DivFOp>(loc, x,
                                       b.create<arith::AddFOp>(loc, one, e));
      })
      .Case([&](SignOp) { return floatSign(b, loc, x); })
      .Case([&](GeluOp geluOp) {
        return gelu(b, loc, x, geluOp.getApproximate());
      })
      .Case([&](LogicalNotOp) {
        return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x,
                                       scalarConstant(b, loc, x.getType(), 0));
      })
      .Default([](Operation *) { return Value(); });
}

// Every bit set: -1 on the integer types, true on i1.
Value allOnes(OpBuilder &b, Location loc, Type type) {
  APInt ones = APInt::getAllOnes(type.getIntOrFloatBitWidth());
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, ones));
}

Value lowerIntUnary(Operation *op, OpBuilder &b, Location loc, Value x,
                    bool isUnsigned) {
  Type t = x.getType();
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) {
        return b.create<arith::SubIOp>(loc, scalarConstant(b, loc, t, 0), x);
      })
      .Case([&](AbsOp) {
        return isUnsigned ? x : b.create<math::AbsIOp>(loc, x).getResult();
      })
      .Case([&](ReluOp) {
        return isUnsigned ? x
                          : b.create<arith::MaxSIOp>(
                                 loc, x, scalarConstant(b, loc, t, 0))
                                .getResult();
      })
      .Case<FloorOp, CeilOp, RoundOp>([&](Operation *) { return x; })
      .Case([&](SignOp) { return intSign(b, loc, x, isUnsigned); })
      .Case([&](LogicalNotOp) {
        return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x,
                                       scalarConstant(b, loc, t, 0));
      })
      .Case([&](BitwiseNotOp) {
        return b.create<arith::XOrIOp>(loc, x, allOnes(b, loc, t));
      })
      .Default([](Operation *) { return Value(); });
}

// torch.remainder: the C remainder moved into the divisor's sign.
Value floatRemainder(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Value zero = scalarConstant(b, loc, lhs.getType(), 0.0);
  Value r = b.create<arith::RemFOp>(loc, lhs, rhs);
  Value nonZero =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, r, zero);
  Value rNeg = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, r, zero);
  Value bNeg =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, rhs, zero);
  Value signsDiffer = b.create<arith::XOrIOp>(loc, rNeg, bNeg);
  Value adjust = b.create<arith::AndIOp>(loc, nonZero, signsDiffer);
  return b.create<arith::SelectOp>(loc, adjust,
                                   b.create<arith::AddFOp>(loc, r, rhs), r);
}

// Integer division and remainder by 0 trap on x86 (and MIN / -1 overflows):
// PyTorch raises for a zero divisor, which the front end must check; here the
// divisor is replaced so that the kernel never traps, giving 0 for x / 0 and
// x % 0, -x for x / -1 and 0 for x % -1.
Value safeDivisor(OpBuilder &b, Location loc, Value rhs, bool isUnsigned) {
  Type t = rhs.getType();
  Value one = scalarConstant(b, loc, t, 1);
  Value bad = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rhs,
                                      scalarConstant(b, loc, t, 0));
  if (!isUnsigned)
    bad = b.create<arith::OrIOp>(
        loc, bad,
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rhs,
                                scalarConstant(b, loc, t, -1)));
  return b.create<arith::SelectOp>(loc, bad, one, rhs);
}

Value intDiv(OpBuilder &b, Location loc, Value lhs, Value rhs,
             bool isUnsigned) {
  Type t = lhs.getType();
  Value zero = scalarConstant(b, loc, t, 0);
  Value divisor = safeDivisor(b, loc, rhs, isUnsigned);
  Value isZero =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rhs, zero);
  if (isUnsigned) {
    Value q = b.create<arith::DivUIOp>(loc, lhs, divisor);
    return b.create<arith::SelectOp>(loc, isZero, zero, q);
  }
  Value q = b.create<arith::DivSIOp>(loc, lhs, divisor);
  Value isMinusOne = b.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::eq, rhs, scalarConstant(b, loc, t, -1));
  Value negated = b.create<arith::SubIOp>(loc, zero, lhs);
  Value fixed = b.create<arith::SelectOp>(loc, isMinusOne, negated, q);
  return b.create<arith::SelectOp>(loc, isZero, zero, fixed);
}

Value intRemainder(OpBuilder &b, Location loc, Value lhs, Value rhs,
                   bool isUnsigned) {
  Value divisor = safeDivisor(b, loc, rhs, isUnsigned);
  if (isUnsigned)
    return b.create<arith::RemUIOp>(loc, lhs, divisor);
  Value zero = scalarConstant(b, loc, lhs.getType(), 0);
  Value r = b.create<arith::RemSIOp>(loc, lhs, divisor);
  Value nonZero =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, r, zero);
  Value rNeg = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, r, zero);
  Value bNeg =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, rhs, zero);
  Value adjust = b.create<arith::AndIOp>(
      loc, nonZero, b.create<arith::XOrIOp>(loc, rNeg, bNeg));
  return b.create<arith::SelectOp>(loc, adjust,
                                   b.create<arith::AddIOp>(loc, r, rhs), r);
}

// Integer power by math.ipowi; ui8 goes through i64 so that exponents above
// 127 are not read as negative. For bools, a ** b = a or not b.
Value intPow(OpBuilder &b, Location loc, Value lhs, Value rhs,
             bool isUnsigned) {
  Type t = lhs.getType();
  if (t.isInteger(1))
    return b.create<arith::OrIOp>(
        loc, lhs,
        b.create<arith::XOrIOp>(loc, rhs, scalarConstant(b, loc, t, 1)));
  if (!isUnsigned)
    return b.create<math::IPowIOp>(loc, lhs, rhs);
  Type i64 = b.getI64Type();
  Value wideL = b.create<arith::ExtUIOp>(loc, i64, lhs);
  Value wideR = b.create<arith::ExtUIOp>(loc, i64, rhs);
  return b.create<arith::TruncIOp>(
      loc, t, b.create<math::IPowIOp>(loc, wideL, wideR));
}

// arith's shifts are poison for an amount >= the bit width (x86 itself
// disagrees there: its scalar shifts mask the amount to 5 or 6 bits, its
// vector shifts give 0). PyTorch defines them: << gives 0, >> the sign fill,
// and a negative amount counts as too large, as the unsigned compares see it.
// The amount is clamped to width - 1 so that no shift is ever poison, and the
// out-of-range lanes are selected where the clamped shift is not the answer.
Value shiftLeft(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Type t = lhs.getType();
  Value maxAmount = scalarConstant(b, loc, t, t.getIntOrFloatBitWidth() - 1);
  Value tooFar =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt, rhs, maxAmount);
  Value shifted = b.create<arith::ShLIOp>(
      loc, lhs, b.create<arith::MinUIOp>(loc, rhs, maxAmount));
  return b.create<arith::SelectOp>(loc, tooFar, scalarConstant(b, loc, t, 0),
                                   shifted);
}

Value shiftRight(OpBuilder &b, Location loc, Value lhs, Value rhs,
                 bool isUnsigned) {
  Type t = lhs.getType();
  Value maxAmount = scalarConstant(b, loc, t, t.getIntOrFloatBitWidth() - 1);
  Value amount = b.create<arith::MinUIOp>(loc, rhs, maxAmount);
  // An arithmetic shift by width - 1 already is the sign fill.
  if (!isUnsigned)
    return b.create<arith::ShRSIOp>(loc, lhs, amount);
  Value tooFar =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt, rhs, maxAmount);
  return b.create<arith::SelectOp>(loc, tooFar, scalarConstant(b, loc, t, 0),
                                   b.create<arith::ShRUIOp>(loc, lhs, amount));
}

Value lowerFloatBinary(Operation *op, OpBuilder &b, Location loc, Value lhs,
                       Value rhs) {
  auto cmp = [&](arith::CmpFPredicate predicate) {
    return b.create<arith::CmpFOp>(loc, predicate, lhs, rhs).getResult();
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) { return b.create<arith::AddFOp>(loc, lhs, rhs); })
      .Case([&](SubOp) { return b.create<arith::SubFOp>(loc, lhs, rhs); })
      .Case([&](MulOp) { return b.create<arith::MulFOp>(loc, lhs, rhs); })
      .Case([&](DivOp) { return b.create<arith::DivFOp>(loc, lhs, rhs); })
      .Case([&](PowOp) { return b.create<math::PowFOp>(loc, lhs, rhs); })
      // torch.maximum/minimum propagate NaN: the IEEE maximum/minimum ops.
      .Case([&](MaximumOp) {
        return b.create<arith::MaximumFOp>(loc, lhs, rhs);
      })
      .Case([&](MinimumOp) {
        return b.create<arith::MinimumFOp>(loc, lhs, rhs);
      })
      .Case([&](RemainderOp) { return floatRemainder(b, loc, lhs, rhs); })
      // Ordered predicates are false on NaN, une is true: as IEEE and PyTorch.
      .Case([&](EqOp) { return cmp(arith::CmpFPredicate::OEQ); })
      .Case([&](NeOp) { return cmp(arith::CmpFPredicate::UNE); })
      .Case([&](LtOp) { return cmp(arith::CmpFPredicate::OLT); })
      .Case([&](LeOp) { return cmp(arith::CmpFPredicate::OLE); })
      .Case([&](GtOp) { return cmp(arith::CmpFPredicate::OGT); })
      .Case([&](GeOp) { return cmp(arith::CmpFPredicate::OGE); })
      .Default([](Operation *) { return Value(); });
}

Value lowerIntBinary(Operation *op, OpBuilder &b, Location loc, Value lhs,
                     Value rhs, bool isUnsigned) {
  bool isBool = lhs.getType().isInteger(1);
  auto cmp = [&](arith::CmpIPredicate predicate) {
    return b.create<arith::CmpIOp>(loc, predicate, lhs, rhs).getResult();
  };
  using P = arith::CmpIPredicate;
  return llvm::TypeSwitch<Operation *, Value>(op)
      // PyTorch's bool + bool is logical or.
      .Case([&](AddOp) {
        return isBool ? b.create<arith::OrIOp>(loc, lhs, rhs).getResult()
                      : b.create<arith::AddIOp>(loc, lhs, rhs).getResult();
      })
      .Case([&](SubOp) { return b.create<arith::SubIOp>(loc, lhs, rhs); })
      .Case([&](MulOp) { return b.create<arith::MulIOp>(loc, lhs, rhs); })
      .Case([&](DivOp) { return intDiv(b, loc, lhs, rhs, isUnsigned); })
      .Case([&](PowOp) { return intPow(b, loc, lhs, rhs, isUnsigned); })
      .Case([&](MaximumOp) {
        return isUnsigned ? b.create<arith::MaxUIOp>(loc, lhs, rhs).getResult()
                          : b.create<arith::MaxSIOp>(loc, lhs, rhs).getResult();
      })
      .Case([&](MinimumOp) {
        return isUnsigned ? b.create<arith::MinUIOp>(loc, lhs, rhs).getResult()
                          : b.create<arith::MinSIOp>(loc, lhs, rhs).getResult();
      })
      .Case([&](RemainderOp) {
        return intRemainder(b, loc, lhs, rhs, isUnsigned);
      })
      .Case([&](EqOp) { return cmp(P::eq); })
      .Case([&](NeOp) { return cmp(P::ne); })
      .Case([&](LtOp) { return cmp(isUnsigned ? P::ult : P::slt); })
      .Case([&](LeOp) { return cmp(isUnsigned ? P::ule : P::sle); })
      .Case([&](GtOp) { return cmp(isUnsigned ? P::ugt : P::sgt); })
      .Case([&](GeOp) { return cmp(isUnsigned ? P::uge : P::sge); })
      .Case([&](BitwiseAndOp) {
        return b.create<arith::AndIOp>(loc, lhs, rhs);
      })
      .Case([&](BitwiseOrOp) { return b.create<arith::OrIOp>(loc, lhs, rhs); })
      .Case([&](BitwiseXorOp) {
        return b.create<arith::XOrIOp>(loc, lhs, rhs);
      })
      .Case([&](ShiftLeftOp) { return shiftLeft(b, loc, lhs, rhs); })
      .Case([&](ShiftRightOp) {
        return shiftRight(b, loc, lhs, rhs, isUnsigned);
      })
      .Default([](Operation *) { return Value(); });
}

// Computes one element of `op` from scalars of Kiln element type `et` (f16
// and bf16 operands arrive widened to f32).
Value lowerScalar(Operation *op, OpBuilder &b, Location loc, ValueRange args,
                  Type et) {
  if (isa<WhereOp>(op))
    return b.create<arith::SelectOp>(loc, args[0], args[1], args[2]);
  if (isa<LogicalAndOp, LogicalOrOp, LogicalXorOp>(op)) {
    Value l = isNonZero(b, loc, args[0]);
    Value r = isNonZero(b, loc, args[1]);
    if (isa<LogicalAndOp>(op))
      return b.create<arith::AndIOp>(loc, l, r);
    if (isa<LogicalOrOp>(op))
      return b.create<arith::OrIOp>(loc, l, r);
    return b.create<arith::XOrIOp>(loc, l, r);
  }
  bool isFloat = isa<FloatType>(et);
  if (args.size() == 1)
    return isFloat ? lowerFloatUnary(op, b, loc, args[0])
                   : lowerIntUnary(op, b, loc, args[0], isUnsignedLike(et));
  if (!isFloat)
    return lowerIntBinary(op, b, loc, args[0], args[1], isUnsignedLike(et));
  Value value = lowerFloatBinary(op, b, loc, args[0], args[1]);
  // bf16 maximum/minimum: LLVM narrows the f32 maximumf between extf and
  // truncf to a bf16 maximum, whose x86 vector lowering drops a NaN against
  // +-0 (LLVM 19). The NaN is selected explicitly (a + b is NaN when either
  // is), so no narrowing or lowering can lose it.
  if (value && et.isBF16() && isa<MaximumOp, MinimumOp>(op)) {
    Value unordered =
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, args[0], args[1]);
    Value nan = b.create<arith::AddFOp>(loc, args[0], args[1]);
    value = b.create<arith::SelectOp>(loc, unordered, nan, value);
  }
  return value;
}

template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Operation *operation = op.getOperation();
    // The data operand's Kiln type decides float/signed/unsigned (where's
    // first operand is the i1 condition, so read the last one).
    Type et = elementTypeOf(operation->getOperands().back().getType());
    auto resultType = convertTensorType(*this->getTypeConverter(),
                                        operation->getResult(0).getType());
    bool failed = false;
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          SmallVector<Value> widened;
          for (Value arg : args) {
            auto ft = dyn_cast<FloatType>(arg.getType());
            if (ft && computeFloatType(ft) != ft)
              arg = b.create<arith::ExtFOp>(loc, computeFloatType(ft), arg);
            widened.push_back(arg);
          }
          Value value = lowerScalar(operation, b, loc, widened, et);
          if (!value) {
            failed = true;
            return args.front();
          }
          Type resultElement = resultType.getElementType();
          if (value.getType() != resultElement)
            value = b.create<arith::TruncFOp>(loc, resultElement, value);
          return value;
        });
    if (failed) {
      // Undo the generic and its init so that the failed match leaves no IR.
      auto generic = result.getDefiningOp<linalg::GenericOp>();
      Operation *init = generic.getDpsInits()[0].getDefiningOp();
      rewriter.eraseOp(generic);
      rewriter.eraseOp(init);
      return rewriter.notifyMatchFailure(op, "no scalar lowering");
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateElementwisePatterns(TypeConverter &converter,
                                 RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseLowering<NegOp>, ElementwiseLowering<AbsOp>,
      ElementwiseLowering<ExpOp>, ElementwiseLowering<LogOp>,
      ElementwiseLowering<Log1pOp>, ElementwiseLowering<Expm1Op>,
      ElementwiseLowering<SqrtOp>, ElementwiseLowering<RsqrtOp>,
      ElementwiseLowering<TanhOp>, ElementwiseLowering<SigmoidOp>,
      ElementwiseLowering<ReluOp>, ElementwiseLowering<SiluOp>,
      ElementwiseLowering<SinOp>, ElementwiseLowering<CosOp>,
      ElementwiseLowering<ErfOp>, ElementwiseLowering<FloorOp>,
      ElementwiseLowering<CeilOp>, ElementwiseLowering<RoundOp>,
      ElementwiseLowering<SignOp>, ElementwiseLowering<GeluOp>,
      ElementwiseLowering<LogicalNotOp>, ElementwiseLowering<AddOp>,
      ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
      ElementwiseLowering<DivOp>, ElementwiseLowering<PowOp>,
      ElementwiseLowering<MaximumOp>, ElementwiseLowering<MinimumOp>,
      ElementwiseLowering<RemainderOp>, ElementwiseLowering<EqOp>,
      ElementwiseLowering<NeOp>, ElementwiseLowering<LtOp>,
      ElementwiseLowering<LeOp>, ElementwiseLowering<GtOp>,
      ElementwiseLowering<GeOp>, ElementwiseLowering<LogicalAndOp>,
      ElementwiseLowering<LogicalOrOp>, ElementwiseLowering<LogicalXorOp>,
      ElementwiseLowering<BitwiseNotOp>, ElementwiseLowering<BitwiseAndOp>,
      ElementwiseLowering<BitwiseOrOp>, ElementwiseLowering<BitwiseXorOp>,
      ElementwiseLowering<ShiftLeftOp>, ElementwiseLowering<ShiftRightOp>,
      ElementwiseLowering<WhereOp>>(converter, patterns.getContext());
}

} // namespace kiln
