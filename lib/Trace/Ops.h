// PyTorch's semantics for the ops the front end records most: elementwise (with type promotion and Python scalars), casts, fills, where, reductions and matmul.
//
// Every function validates its arguments first and throws kiln::Error with
// PyTorch's wording, prefixed by the op's name, before anything is recorded.
#pragma once

#include "lib/Trace/Trace.h"

#include <initializer_list>
#include <optional>

namespace kiln::trace {

// A Python number operand ("wrapped number" in PyTorch's promotion rules).
struct Scalar {
  enum Kind { Bool, Int, Float } kind = Int;
  int64_t i = 0;
  double f = 0;
  static Scalar fromBool(bool v) { return {Bool, v, static_cast<double>(v)}; }
  static Scalar fromInt(int64_t v) { return {Int, v, static_cast<double>(v)}; }
  static Scalar fromFloat(double v) { return {Float, 0, v}; }
};

// A tensor or a Python number.
struct Operand {
  const LazyTensor *tensor = nullptr;
  Scalar scalar;
  Operand(const LazyTensor &t) : tensor(&t) {}
  Operand(Scalar s) : scalar(s) {}
};

enum class BinaryOp {
  Add, Sub, Mul, Div, FloorDiv, Remainder, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,
  LogicalAnd, LogicalOr, LogicalXor,
  BitwiseAnd, BitwiseOr, BitwiseXor, ShiftLeft, ShiftRight
};

enum class UnaryOp {
  Neg, Abs, Exp, Log, Log1p, Expm1, Sqrt, Rsqrt, Tanh, Sigmoid, Relu, Silu,
  Sin, Cos, Erf, Floor, Ceil, Round, Sign, Gelu, GeluTanh, LogicalNot,
  BitwiseNot
};

// PyTorch's name of the op ("add", "floor_divide", ...).
const char *opName(BinaryOp op);
const char *opName(UnaryOp op);

// torch.result_type over tensors and Python numbers.
DType resultType(const Operand *operands, size_t count);
inline DType resultType(std::initializer_list<Operand> operands) {
  return resultType(operands.begin(), operands.size());
}
inline DType resultType(const std::vector<Operand> &operands) {
  return resultType(operands.data(), operands.size());
}
// NumPy broadcasting with PyTorch's error message.
IntList broadcastShapes(const char *op, const IntList &a, const IntList &b);

// `node` converted to `dtype` (itself when equal).
NodePtr castNode(const NodePtr &node, DType dtype);
// A tensor of `sizes` filled with `value` (converted to `dtype`; throws when
// it does not fit, as PyTorch does).
NodePtr splatNode(const char *op, Scalar value, DType dtype, IntList sizes);
NodePtr broadcastNode(const NodePtr &node, const IntList &sizes);

LazyTensor binary(BinaryOp op, const Operand &a, const Operand &b);
// self = op(self, other) with PyTorch's in-place checks (the result must
// broadcast to self's shape and cast to self's dtype).
void binaryInPlace(BinaryOp op, LazyTensor &self, const Operand &other);
LazyTensor unary(UnaryOp op, const LazyTensor &x);
LazyTensor cast(const LazyTensor &x, DType dtype);
LazyTensor full(const IntList &sizes, Scalar value, DType dtype);
// self.fill_(value) / self.copy_(src): the value broadcast and cast to self.
void fillInPlace(LazyTensor &self, Scalar value);
void copyInPlace(LazyTensor &self, const LazyTensor &src);
LazyTensor where(const LazyTensor &cond, const Operand &a, const Operand &b);

enum class ReduceKind { Sum, Mean, Prod, Max, Min, Argmax, Argmin };
// `dims` empty with `all` reduces every dimension. `op` names the caller in
// errors ("sum", "amax", ...).
LazyTensor reduce(const char *op, ReduceKind kind, const LazyTensor &x,
                  const IntList &dims, bool all, bool keepdim,
                  std::optional<DType> dtype);
LazyTensor matmul(const LazyTensor &a, const LazyTensor &b);

} // namespace kiln::trace
