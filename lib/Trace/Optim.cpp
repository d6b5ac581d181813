// Optimizer updates recorded from C++ (see Optim.h).
#include "lib/Trace/Optim.h"

#include "lib/Trace/Ops.h"

namespace kiln::trace {

void adadeltaUpdate(LazyTensor &param, const LazyTensor &gradIn, LazyTensor &squareAvg,
                    LazyTensor &accDelta, LazyTensor &step, const LazyTensor &lr,
                    const AdadeltaOptions &options) {
  using B = BinaryOp;
  Scalar rho = Scalar::fromFloat(options.rho);
  Scalar oneMinusRho = Scalar::fromFloat(1 - options.rho);
  Scalar eps = Scalar::fromFloat(options.eps);
  // One statement per op, in the Python loop's order (C++ leaves the order of
  // a call's arguments open; the recording order is part of the program key).
  binaryInPlace(B::Add, step, Scalar::fromInt(1));
  LazyTensor grad = options.maximize ? unary(UnaryOp::Neg, gradIn) : gradIn;
  if (options.weightDecay != 0) {
    LazyTensor decay = binary(B::Mul, param, Scalar::fromFloat(options.weightDecay));
    grad = binary(B::Add, grad, decay);
  }
  binaryInPlace(B::Mul, squareAvg, rho);
  LazyTensor gradSquared = binary(B::Mul, grad, grad);
  binaryInPlace(B::Add, squareAvg, binary(B::Mul, gradSquared, oneMinusRho));
  LazyTensor numerator = unary(UnaryOp::Sqrt, binary(B::Add, accDelta, eps));
  LazyTensor denominator = unary(UnaryOp::Sqrt, binary(B::Add, squareAvg, eps));
  LazyTensor delta = binary(B::Mul, binary(B::Div, numerator, denominator), grad);
  binaryInPlace(B::Mul, accDelta, rho);
  LazyTensor deltaSquared = binary(B::Mul, delta, delta);
  binaryInPlace(B::Add, accDelta, binary(B::Mul, deltaSquared, oneMinusRho));
  binaryInPlace(B::Sub, param, binary(B::Mul, delta, lr));
}

} // namespace kiln::trace
