// VJP rules of Kiln's elementwise ops: unary math, broadcasting binary
// arithmetic, where and cast.
#include "dialects/Kiln/IR/KilnVJP.h"

#include <cmath>

using namespace mlir;
using namespace kiln;

namespace {

constexpr double kPi = 3.14159265358979323846;

// `rule(v, g, x, y)` gives the input's gradient from the result cotangent
// `g`, the input `x` and the result `y`; a null Value means zero. Integer
// inputs and a zero cotangent get no gradient.
template <typename Rule>
LogicalResult unary(Operation *op, OpBuilder &builder, ValueRange resultGrads,
                    SmallVectorImpl<Value> &grads, Rule rule) {
  Value g = resultGrads[0], x = op->getOperand(0);
  if (!g || !isDifferentiable(x)) {
    grads.push_back(Value());
    return success();
  }
  VJPBuilder v(builder, op->getLoc());
  grads.push_back(rule(v, g, x, op->getResult(0)));
  return success();
}

// `rule(v, g, x, y, z)` gives both inputs' gradients of the broadcast result
// shape (or null for zero); they are summed back to each operand's shape.
template <typename Rule>
LogicalResult binary(Operation *op, OpBuilder &builder, ValueRange resultGrads,
                     SmallVectorImpl<Value> &grads, Rule rule) {
  Value g = resultGrads[0], x = op->getOperand(0), y = op->getOperand(1);
  if (!g || !isDifferentiable(x)) {
    grads.append(2, Value());
    return success();
  }
  VJPBuilder v(builder, op->getLoc());
  auto [dx, dy] = rule(v, g, x, y, op->getResult(0));
  for (auto [grad, operand] : {std::pair{dx, x}, std::pair{dy, y}})
    grads.push_back(
        grad ? v.sumTo(grad, llvm::cast<RankedTensorType>(operand.getType()))
             : Value());
  return success();
}

using Grads = std::pair<Value, Value>;

// maximum/minimum: the cotangent goes to the operand that won, split in half
// on ties, as PyTorch does; `loses` is the comparison under which x lost.
template <typename LosesOp, typename WinsOp>
Grads extremumGrads(VJPBuilder &v, Value g, Value x, Value y) {
  Value half = v.scale(g, 0.5);
  Value shared = v.create<WhereOp>(v.create<EqOp>(x, y), half, g);
  Value zero = v.scalar(g, 0.0);
  return {v.create<WhereOp>(v.create<LosesOp>(x, y), zero, shared),
          v.create<WhereOp>(v.create<WinsOp>(x, y), zero, shared)};
}

} // namespace

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads,
               [](VJPBuilder &v, Value g, Value, Value) { return v.neg(g); });
}

// PyTorch's sgn: 0 at 0.
LogicalResult AbsOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    return v.mul(g, v.create<SignOp>(x));
  });
}

LogicalResult ExpOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.mul(g, y);
  });
}

LogicalResult LogOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    return v.div(g, x);
  });
}

LogicalResult Log1pOp::buildVJP(OpBuilder &b, ValueRange gs,
                                SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    return v.div(g, v.add(x, v.scalar(x, 1.0)));
  });
}

LogicalResult Expm1Op::buildVJP(OpBuilder &b, ValueRange gs,
                                SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.mul(g, v.add(y, v.scalar(y, 1.0)));
  });
}

LogicalResult SqrtOp::buildVJP(OpBuilder &b, ValueRange gs,
                               SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.div(g, v.scale(y, 2.0));
  });
}

// d/dx x^-1/2 = -1/2 x^-3/2 = -y^3 / 2.
LogicalResult RsqrtOp::buildVJP(OpBuilder &b, ValueRange gs,
                                SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.mul(g, v.scale(v.mul(y, v.mul(y, y)), -0.5));
  });
}

LogicalResult TanhOp::buildVJP(OpBuilder &b, ValueRange gs,
                               SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.mul(g, v.sub(v.scalar(y, 1.0), v.mul(y, y)));
  });
}

LogicalResult SigmoidOp::buildVJP(OpBuilder &b, ValueRange gs,
                                  SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.mul(g, v.mul(y, v.sub(v.scalar(y, 1.0), y)));
  });
}

// PyTorch's threshold_backward: no gradient where the result is 0, x = 0
// included.
LogicalResult ReluOp::buildVJP(OpBuilder &b, ValueRange gs,
                               SmallVectorImpl<Value> &grads) {
  // The mask reads the result (y > 0 exactly where x > 0): the input is then
  // not needed by the backward, so a matmul + bias + relu forward can run as
  // one oneDNN call with post-ops.
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value, Value y) {
    return v.select(v.create<GtOp>(y, v.scalar(y, 0.0)), g);
  });
}

// d/dx x s(x) = s (1 + x (1 - s)).
LogicalResult SiluOp::buildVJP(OpBuilder &b, ValueRange gs,
                               SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    Value s = v.create<SigmoidOp>(x);
    Value one = v.scalar(x, 1.0);
    return v.mul(g, v.mul(s, v.add(one, v.mul(x, v.sub(one, s)))));
  });
}

LogicalResult SinOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    return v.mul(g, v.create<CosOp>(x));
  });
}

LogicalResult CosOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    return v.neg(v.mul(g, v.create<SinOp>(x)));
  });
}

LogicalResult ErfOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return unary(*this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value) {
    Value gauss = v.create<ExpOp>(v.neg(v.mul(x, x)));
    return v.mul(g, v.scale(gauss, 2.0 / std::sqrt(kPi)));
  });
}

// Exact: Phi(x) + x phi(x). Tanh: PyTorch's GeluBackward formula for
// 0.5 x (1 + tanh(k (x + c x^3))).
LogicalResult GeluOp::buildVJP(OpBuilder &b, ValueRange gs,
                               SmallVectorImpl<Value> &grads) {
  bool exact = getApproximate() == GeluApproximate::none;
  return unary(
      *this, b, gs, grads, [exact](VJPBuilder &v, Value g, Value x, Value) {
        Value one = v.scalar(x, 1.0);
        Value x2 = v.mul(x, x);
        if (exact) {
          Value cdf = v.scale(
              v.add(one, v.create<ErfOp>(v.scale(x, 1.0 / std::sqrt(2.0)))),
              0.5);
          Value pdf = v.scale(v.create<ExpOp>(v.scale(x2, -0.5)),
                              1.0 / std::sqrt(2.0 * kPi));
          return v.mul(g, v.add(cdf, v.mul(x, pdf)));
        }
        const double k = std::sqrt(2.0 / kPi), c = 0.044715;
        Value t =
            v.create<TanhOp>(v.scale(v.add(x, v.scale(v.mul(x2, x), c)), k));
        Value left = v.scale(v.add(one, t), 0.5);
        Value inner = v.scale(v.add(one, v.scale(x2, 3.0 * c)), k);
        Value right =
            v.mul(v.mul(v.scale(x, 0.5), v.sub(one, v.mul(t, t))), inner);
        return v.mul(g, v.add(left, right));
      });
}

// Piecewise constant: the derivative is zero wherever it exists.
LogicalResult FloorOp::buildVJP(OpBuilder &, ValueRange,
                                SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult CeilOp::buildVJP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult RoundOp::buildVJP(OpBuilder &, ValueRange,
                                SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

LogicalResult SignOp::buildVJP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &grads) {
  grads.push_back(Value());
  return success();
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return binary(*this, b, gs, grads,
                [](VJPBuilder &, Value g, Value, Value, Value) {
                  return Grads{g, g};
                });
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return binary(*this, b, gs, grads,
                [](VJPBuilder &v, Value g, Value, Value, Value) {
                  return Grads{g, v.neg(g)};
                });
}

LogicalResult MulOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return binary(*this, b, gs, grads,
                [](VJPBuilder &v, Value g, Value x, Value y, Value) {
                  return Grads{v.mul(g, y), v.mul(g, x)};
                });
}

// d/dy x / y = -(x / y) / y, PyTorch's form.
LogicalResult DivOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return binary(*this, b, gs, grads,
                [](VJPBuilder &v, Value g, Value, Value y, Value z) {
                  return Grads{v.div(g, y), v.neg(v.mul(g, v.div(z, y)))};
                });
}

// As PyTorch: d/dx = y x^(y-1), zero where y == 0 (so 0^0 has no 0 * inf);
// d/dy = x^y log(x), zero where x == 0 and y >= 0 (the limit), NaN for x < 0.
LogicalResult PowOp::buildVJP(OpBuilder &b, ValueRange gs,
                              SmallVectorImpl<Value> &grads) {
  return binary(
      *this, b, gs, grads,
      [](VJPBuilder &v, Value g, Value x, Value y, Value z) {
        Value zero = v.scalar(x, 0.0);
        Value power = v.mul(y, v.create<PowOp>(x, v.sub(y, v.scalar(y, 1.0))));
        Value dx = v.create<WhereOp>(v.create<EqOp>(y, zero), zero, power);
        Value atZero = v.create<LogicalAndOp>(v.create<EqOp>(x, zero),
                                              v.create<GeOp>(y, zero));
        Value dy =
            v.create<WhereOp>(atZero, zero, v.mul(z, v.create<LogOp>(x)));
        return Grads{v.mul(g, dx), v.mul(g, dy)};
      });
}

LogicalResult MaximumOp::buildVJP(OpBuilder &b, ValueRange gs,
                                  SmallVectorImpl<Value> &grads) {
  return binary(*this, b, gs, grads,
                [](VJPBuilder &v, Value g, Value x, Value y, Value) {
                  return extremumGrads<LtOp, GtOp>(v, g, x, y);
                });
}

LogicalResult MinimumOp::buildVJP(OpBuilder &b, ValueRange gs,
                                  SmallVectorImpl<Value> &grads) {
  return binary(*this, b, gs, grads,
                [](VJPBuilder &v, Value g, Value x, Value y, Value) {
                  return extremumGrads<GtOp, LtOp>(v, g, x, y);
                });
}

// x - floor(x / y) * y, with floor's derivative taken as zero.
LogicalResult RemainderOp::buildVJP(OpBuilder &b, ValueRange gs,
                                    SmallVectorImpl<Value> &grads) {
  return binary(
      *this, b, gs, grads, [](VJPBuilder &v, Value g, Value x, Value y, Value) {
        return Grads{g, v.neg(v.mul(g, v.create<FloorOp>(v.div(x, y))))};
      });
}

//===----------------------------------------------------------------------===//
// where and cast
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::buildVJP(OpBuilder &b, ValueRange gs,
                                SmallVectorImpl<Value> &grads) {
  Value g = gs[0];
  grads.push_back(Value());
  if (!g || !isDifferentiable(getX())) {
    grads.append(2, Value());
    return success();
  }
  VJPBuilder v(b, getLoc());
  Value zero = v.scalar(g, 0.0);
  grads.push_back(
      v.sumTo(v.create<WhereOp>(getCond(), g, zero), getX().getType()));
  grads.push_back(
      v.sumTo(v.create<WhereOp>(getCond(), zero, g), getY().getType()));
  return success();
}

// Float to float casts back; a cast from or to an integer type has no gradient.
LogicalResult CastOp::buildVJP(OpBuilder &b, ValueRange gs,
                               SmallVectorImpl<Value> &grads) {
  Value g = gs[0];
  if (!g || !isDifferentiable(getInput()) || !isDifferentiable(getResult())) {
    grads.push_back(Value());
    return success();
  }
  VJPBuilder v(b, getLoc());
  grads.push_back(v.create<CastOp>(getInput().getType(), g));
  return success();
}
