// Validation, type promotion and recording of elementwise ops, casts, fills, where, reductions and matmul.
#include "lib/Trace/Ops.h"

#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>

namespace kiln::trace {

namespace {

// PyTorch's ScalarType names, which its messages use ("Float", "Long").
const char *scalarTypeName(DType dtype) {
  switch (dtype) {
  case DType::Float32: return "Float";
  case DType::Float64: return "Double";
  case DType::Float16: return "Half";
  case DType::BFloat16: return "BFloat16";
  case DType::Int8: return "Char";
  case DType::Int32: return "Int";
  case DType::Int64: return "Long";
  case DType::UInt8: return "Byte";
  case DType::Bool: return "Bool";
  }
  return "?";
}


// c10::canCast: no float -> integer and no non-bool -> bool in place.
bool canCast(DType from, DType to) {
  if (isFloatingPoint(from) && !isFloatingPoint(to))
    return false;
  if (from != DType::Bool && to == DType::Bool)
    return false;
  return true;
}

std::optional<DType> promoteSkip(std::optional<DType> a, std::optional<DType> b) {
  if (!a)
    return b;
  if (!b)
    return a;
  return promoteTypes(*a, *b);
}

// c10's combine_categories.
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (higher && isFloatingPoint(*higher))
    return higher;
  if ((higher && *higher == DType::Bool) || (lower && isFloatingPoint(*lower)))
    return promoteSkip(higher, lower);
  if (higher)
    return higher;
  return lower;
}


std::string hex(uint64_t bits, int digits) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%0*" PRIX64, digits, bits);
  return buffer;
}

// The splat's `value` property for `scalar` in `dtype`.
std::string scalarAttr(const char *op, Scalar s, DType dtype) {
  auto overflow = [&]() {
    fail(ErrorKind::Runtime, op, "(): value cannot be converted to type ",
         name(dtype), " without overflow");
  };
  switch (dtype) {
  case DType::Float64: {
    uint64_t bits;
    std::memcpy(&bits, &s.f, 8);
    return "value = " + hex(bits, 16) + " : f64";
  }
  case DType::Float32: {
    float v = static_cast<float>(s.f);
    if (std::isinf(v) && std::isfinite(s.f))
      overflow();
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return "value = " + hex(bits, 8) + " : f32";
  }
  case DType::Float16: {
    if (std::isfinite(s.f) && std::fabs(s.f) > 65504.0)
      overflow();
    return "value = " + hex(floatToHalf(static_cast<float>(s.f)), 4) + " : f16";
  }
  case DType::BFloat16: {
    float v = static_cast<float>(s.f);
    uint16_t bits = floatToBFloat16(v);
    if (std::isfinite(s.f) && std::isinf(bfloat16ToFloat(bits)))
      overflow();
    return "value = " + hex(bits, 4) + " : bf16";
  }
  case DType::Bool:
    return std::string("value = ") + ((s.kind == Scalar::Float ? s.f != 0 : s.i != 0) ? "true" : "false");
  default:
    break;
  }
  int64_t v = s.i;
  if (s.kind == Scalar::Float) {
    if (!std::isfinite(s.f) || std::fabs(s.f) >= 9.2e18)
      overflow();
    v = static_cast<int64_t>(s.f);
  }
  int64_t low = std::numeric_limits<int64_t>::min(), high = std::numeric_limits<int64_t>::max();
  const char *type = "i64";
  if (dtype == DType::Int8) {
    low = -128, high = 127, type = "i8";
  } else if (dtype == DType::Int32) {
    low = std::numeric_limits<int32_t>::min(), high = std::numeric_limits<int32_t>::max(), type = "i32";
  } else if (dtype == DType::UInt8) {
    low = 0, high = 255, type = "ui8";
  }
  // PyTorch allows the wrap-around values of unsigned and negative int8.
  if (v < low || v > high) {
    if (!(dtype == DType::UInt8 && v >= -128 && v < 0))
      overflow();
    v += 256;
  }
  return "value = " + std::to_string(v) + " : " + type;
}

DType scalarDType(const Scalar &s) {
  switch (s.kind) {
  case Scalar::Bool: return DType::Bool;
  case Scalar::Int: return DType::Int64;
  case Scalar::Float: return DType::Float32;
  }
  return DType::Float32;
}

// Python numbers become 0-d splats; equal ones are shared (nodes are
// immutable), which keeps `x * 2.0` to one allocation.
NodePtr scalarNode(const char *op, const Scalar &s, DType dtype) {
  using Key = std::tuple<int, int, int64_t, uint64_t>;
  static std::map<Key, NodePtr> cache;
  uint64_t bits;
  std::memcpy(&bits, &s.f, sizeof bits);
  Key key{static_cast<int>(dtype), static_cast<int>(s.kind), s.i, bits};
  auto found = cache.find(key);
  if (found != cache.end())
    return found->second;
  NodePtr node = splatNode(op, s, dtype, {});
  if (cache.size() >= 1024)
    cache.clear();
  cache.emplace(key, node);
  return node;
}

NodePtr operandNode(const char *op, const Operand &o, DType dtype) {
  if (o.tensor)
    return castNode(o.tensor->value(), dtype);
  return scalarNode(op, o.scalar, dtype);
}

const IntList &operandSizes(const Operand &o) {
  static const IntList scalarSizes;
  return o.tensor ? o.tensor->sizes() : scalarSizes;
}

std::string dimsAttr(const IntList &dims) {
  std::string out = "array<i64";
  for (size_t i = 0; i < dims.size(); ++i)
    out += (i ? ", " : ": ") + std::to_string(dims[i]);
  return out + ">";
}

struct BinaryInfo {
  const char *name;
  const char *mlir;
  enum Kind { Arith, TrueDiv, FloorDiv, Remainder, Compare, Logical, Bitwise, Shift } kind;
};

const BinaryInfo &info(BinaryOp op) {
  static const BinaryInfo table[] = {
      {"add", "kiln.add", BinaryInfo::Arith},
      {"sub", "kiln.sub", BinaryInfo::Arith},
      {"mul", "kiln.mul", BinaryInfo::Arith},
      {"div", "kiln.div", BinaryInfo::TrueDiv},
      {"floor_divide", "kiln.div", BinaryInfo::FloorDiv},
      {"remainder", "kiln.remainder", BinaryInfo::Remainder},
      {"pow", "kiln.pow", BinaryInfo::Arith},
      {"maximum", "kiln.maximum", BinaryInfo::Arith},
      {"minimum", "kiln.minimum", BinaryInfo::Arith},
      {"eq", "kiln.eq", BinaryInfo::Compare},
      {"ne", "kiln.ne", BinaryInfo::Compare},
      {"lt", "kiln.lt", BinaryInfo::Compare},
      {"le", "kiln.le", BinaryInfo::Compare},
      {"gt", "kiln.gt", BinaryInfo::Compare},
      {"ge", "kiln.ge", BinaryInfo::Compare},
      {"logical_and", "kiln.logical_and", BinaryInfo::Logical},
      {"logical_or", "kiln.logical_or", BinaryInfo::Logical},
      {"logical_xor", "kiln.logical_xor", BinaryInfo::Logical},
      {"bitwise_and", "kiln.bitwise_and", BinaryInfo::Bitwise},
      {"bitwise_or", "kiln.bitwise_or", BinaryInfo::Bitwise},
      {"bitwise_xor", "kiln.bitwise_xor", BinaryInfo::Bitwise},
      {"bitwise_left_shift", "kiln.shift_left", BinaryInfo::Shift},
      {"bitwise_right_shift", "kiln.shift_right", BinaryInfo::Shift},
  };
  return table[static_cast<int>(op)];
}

// Integer division and remainder by zero raise, as PyTorch's CPU kernels do;
// that needs the divisor's values.
// True when `pred` holds for some value of the integer operand `b`.
template <typename Pred> bool anyValue(const Operand &b, Pred pred) {
  if (!b.tensor)
    return pred(b.scalar.i);
  LazyTensor values = cast(*b.tensor, DType::Int64);
  Tensor dense = values.materialize().contiguous();
  const int64_t *data = static_cast<const int64_t *>(dense.data());
  for (int64_t i = 0, n = dense.numel(); i < n; ++i)
    if (pred(data[i]))
      return true;
  return false;
}

void checkIntegerDivisor(const char *op, const Operand &b, DType compute) {
  if (!isFloatingPoint(compute) && anyValue(b, [](int64_t v) { return v == 0; }))
    fail(ErrorKind::Runtime, op, "(): ZeroDivisionError");
}

NodePtr recordBinary(const char *mlir, NodePtr a, NodePtr b, DType result,
                     IntList sizes) {
  return record(mlir, {std::move(a), std::move(b)}, result, std::move(sizes));
}

// The value of op(a, b) and its dtype, without wrapping it in a tensor.
NodePtr binaryNode(BinaryOp op, const Operand &a, const Operand &b) {
  const BinaryInfo &bi = info(op);
  IntList sizes = broadcastShapes(bi.name, operandSizes(a), operandSizes(b));
  DType common = resultType({a, b});
  switch (bi.kind) {
  case BinaryInfo::Arith: {
    if (common == DType::Bool) {
      if (op == BinaryOp::Sub)
        fail(ErrorKind::Runtime, "sub(): Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
      if (op == BinaryOp::Add)
        return recordBinary("kiln.logical_or", operandNode(bi.name, a, common), operandNode(bi.name, b, common), DType::Bool, sizes);
      if (op == BinaryOp::Mul)
        return recordBinary("kiln.logical_and", operandNode(bi.name, a, common), operandNode(bi.name, b, common), DType::Bool, sizes);
      if (op == BinaryOp::Pow)
        fail(ErrorKind::Runtime, "pow(): \"pow\" not implemented for 'Bool'");
    }
    if (op == BinaryOp::Pow && !isFloatingPoint(common) &&
        anyValue(b, [](int64_t v) { return v < 0; }))
      fail(ErrorKind::Runtime, "pow(): Integers to negative integer powers are not allowed.");
    return recordBinary(bi.mlir, operandNode(bi.name, a, common), operandNode(bi.name, b, common), common, sizes);
  }
  case BinaryInfo::TrueDiv: {
    DType compute = isFloatingPoint(common) ? common : DType::Float32;
    return recordBinary(bi.mlir, operandNode(bi.name, a, compute), operandNode(bi.name, b, compute), compute, sizes);
  }
  case BinaryInfo::FloorDiv:
  case BinaryInfo::Remainder: {
    if (common == DType::Bool)
      fail(ErrorKind::Runtime, bi.name, "(): \"", bi.name, "\" not implemented for 'Bool'");
    checkIntegerDivisor(bi.name, b, common);
    NodePtr x = operandNode(bi.name, a, common), y = operandNode(bi.name, b, common);
    if (op == BinaryOp::Remainder)
      return recordBinary("kiln.remainder", x, y, common, sizes);
    if (isFloatingPoint(common))
      return record("kiln.floor", {recordBinary("kiln.div", x, y, common, sizes)}, common, sizes);
    // (x - mod(x, y)) / y divides exactly, so truncation is the floor.
    NodePtr mod = recordBinary("kiln.remainder", x, y, common, sizes);
    return recordBinary("kiln.div", recordBinary("kiln.sub", x, mod, common, sizes), y, common, sizes);
  }
  case BinaryInfo::Compare:
    return recordBinary(bi.mlir, operandNode(bi.name, a, common), operandNode(bi.name, b, common), DType::Bool, sizes);
  case BinaryInfo::Logical:
    return recordBinary(bi.mlir, operandNode(bi.name, a, common), operandNode(bi.name, b, common), DType::Bool, sizes);
  case BinaryInfo::Bitwise:
  case BinaryInfo::Shift:
    if (isFloatingPoint(common))
      fail(ErrorKind::Runtime, bi.name, "(): \"", bi.name, "_cpu\" not implemented for '", scalarTypeName(common), "'");
    if (common == DType::Bool && bi.kind == BinaryInfo::Bitwise) {
      const char *logical = op == BinaryOp::BitwiseAnd ? "kiln.logical_and" : op == BinaryOp::BitwiseOr ? "kiln.logical_or" : "kiln.logical_xor";
      return recordBinary(logical, operandNode(bi.name, a, common), operandNode(bi.name, b, common), DType::Bool, sizes);
    }
    if (common == DType::Bool)
      fail(ErrorKind::Runtime, bi.name, "(): \"", bi.name, "_cpu\" not implemented for 'Bool'");
    return recordBinary(bi.mlir, operandNode(bi.name, a, common), operandNode(bi.name, b, common), common, sizes);
  }
  return nullptr;
}

} // namespace

const char *opName(BinaryOp op) { return info(op).name; }

const char *opName(UnaryOp op) {
  static const char *names[] = {"neg", "abs", "exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "silu", "sin", "cos", "erf", "floor", "ceil", "round", "sign", "gelu", "gelu", "logical_not", "bitwise_not"};
  return names[static_cast<int>(op)];
}

DType resultType(const Operand *operands, size_t count) {
  std::optional<DType> dimResult, zeroResult, wrappedResult;
  for (size_t i = 0; i < count; ++i) {
    const Operand &o = operands[i];
    if (!o.tensor) {
      wrappedResult = promoteSkip(wrappedResult, scalarDType(o.scalar));
    } else if (o.tensor->dim() == 0) {
      zeroResult = promoteSkip(zeroResult, o.tensor->dtype());
    } else {
      dimResult = promoteSkip(dimResult, o.tensor->dtype());
    }
  }
  std::optional<DType> result = combine(dimResult, combine(zeroResult, wrappedResult));
  return result.value_or(DType::Float32);
}

IntList broadcastShapes(const char *op, const IntList &a, const IntList &b) {
  size_t rank = std::max(a.size(), b.size());
  IntList out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      fail(ErrorKind::Runtime, op, "(): The size of tensor a (", x,
           ") must match the size of tensor b (", y,
           ") at non-singleton dimension ", i);
    out[i] = x == 1 ? y : x;
  }
  return out;
}

NodePtr castNode(const NodePtr &node, DType dtype) {
  if (node->dtype == dtype)
    return node;
  return record("kiln.cast", {node}, dtype, node->sizes);
}

NodePtr splatNode(const char *op, Scalar value, DType dtype, IntList sizes) {
  return record("kiln.splat", {}, dtype, std::move(sizes), scalarAttr(op, value, dtype));
}

NodePtr broadcastNode(const NodePtr &node, const IntList &sizes) {
  if (node->sizes == sizes)
    return node;
  return record("kiln.broadcast_to", {node}, node->dtype, sizes);
}

LazyTensor binary(BinaryOp op, const Operand &a, const Operand &b) {
  return LazyTensor::fromNode(binaryNode(op, a, b));
}

void binaryInPlace(BinaryOp op, LazyTensor &self, const Operand &other) {
  const char *name = opName(op);
  IntList sizes = broadcastShapes(name, self.sizes(), operandSizes(other));
  if (sizes != self.sizes())
    fail(ErrorKind::Runtime, name, "_(): output with shape ", formatList(self.sizes()),
         " doesn't match the broadcast shape ", formatList(sizes));
  NodePtr value = binaryNode(op, Operand(self), other);
  if (!canCast(value->dtype, self.dtype()))
    fail(ErrorKind::Runtime, name, "_(): result type ", scalarTypeName(value->dtype),
         " can't be cast to the desired output type ", scalarTypeName(self.dtype()));
  self.assign(castNode(value, self.dtype()));
}

LazyTensor unary(UnaryOp op, const LazyTensor &x) {
  const char *name = opName(op);
  DType dtype = x.dtype();
  NodePtr in = x.value();
  switch (op) {
  case UnaryOp::Neg:
    if (dtype == DType::Bool)
      fail(ErrorKind::Runtime, "neg(): Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
    return LazyTensor::fromNode(record("kiln.neg", {in}, dtype, x.sizes()));
  case UnaryOp::Abs:
  case UnaryOp::Relu:
    if (dtype == DType::Bool)
      fail(ErrorKind::Runtime, name, "(): \"", name, "\" not implemented for 'Bool'");
    return LazyTensor::fromNode(record(op == UnaryOp::Abs ? "kiln.abs" : "kiln.relu", {in}, dtype, x.sizes()));
  case UnaryOp::Floor:
  case UnaryOp::Ceil:
  case UnaryOp::Round:
    if (!isFloatingPoint(dtype))
      return LazyTensor::fromNode(record("kiln.reshape", {in}, dtype, x.sizes()));
    return LazyTensor::fromNode(record(op == UnaryOp::Floor ? "kiln.floor" : op == UnaryOp::Ceil ? "kiln.ceil" : "kiln.round", {in}, dtype, x.sizes()));
  case UnaryOp::Sign:
    if (dtype == DType::Bool)
      return LazyTensor::fromNode(record("kiln.reshape", {in}, dtype, x.sizes()));
    return LazyTensor::fromNode(record("kiln.sign", {in}, dtype, x.sizes()));
  case UnaryOp::LogicalNot:
    return LazyTensor::fromNode(record("kiln.logical_not", {in}, DType::Bool, x.sizes()));
  case UnaryOp::BitwiseNot:
    if (isFloatingPoint(dtype))
      fail(ErrorKind::Runtime, "bitwise_not(): \"bitwise_not_cpu\" not implemented for '", scalarTypeName(dtype), "'");
    if (dtype == DType::Bool)
      return LazyTensor::fromNode(record("kiln.logical_not", {in}, DType::Bool, x.sizes()));
    return LazyTensor::fromNode(record("kiln.bitwise_not", {in}, dtype, x.sizes()));
  default:
    break;
  }
  // The float functions compute integers and bools in the default dtype.
  DType compute = isFloatingPoint(dtype) ? dtype : DType::Float32;
  in = castNode(in, compute);
  std::string attrs;
  std::string mlir = std::string("kiln.") + name;
  if (op == UnaryOp::Gelu || op == UnaryOp::GeluTanh)
    attrs = op == UnaryOp::Gelu ? "approximate = #kiln<approximate none>"
                                : "approximate = #kiln<approximate tanh>";
  return LazyTensor::fromNode(record(internOp(mlir), {in}, compute, x.sizes(), attrs));
}

LazyTensor cast(const LazyTensor &x, DType dtype) {
  if (x.dtype() == dtype)
    return x;
  return LazyTensor::fromNode(castNode(x.value(), dtype));
}

LazyTensor full(const IntList &sizes, Scalar value, DType dtype) {
  for (int64_t size : sizes)
    if (size < 0)
      fail(ErrorKind::Runtime, "full(): Trying to create tensor with negative dimension ", size, ": ", formatList(sizes));
  return LazyTensor::fromNode(splatNode("full", value, dtype, sizes));
}

void fillInPlace(LazyTensor &self, Scalar value) {
  self.assign(splatNode("fill_", value, self.dtype(), self.sizes()));
}

void copyInPlace(LazyTensor &self, const LazyTensor &src) {
  IntList sizes = broadcastShapes("copy_", self.sizes(), src.sizes());
  if (sizes != self.sizes())
    fail(ErrorKind::Runtime, "copy_(): output with shape ", formatList(self.sizes()),
         " doesn't match the broadcast shape ", formatList(sizes));
  NodePtr value = broadcastNode(castNode(src.value(), self.dtype()), self.sizes());
  self.assign(value);
}

LazyTensor where(const LazyTensor &cond, const Operand &a, const Operand &b) {
  if (cond.dtype() != DType::Bool)
    fail(ErrorKind::Runtime, "where(): where expected condition to be a boolean tensor, but got a tensor with dtype ", scalarTypeName(cond.dtype()));
  IntList sizes = broadcastShapes("where", cond.sizes(), broadcastShapes("where", operandSizes(a), operandSizes(b)));
  DType common = resultType({a, b});
  return LazyTensor::fromNode(record("kiln.where", {cond.value(), operandNode("where", a, common), operandNode("where", b, common)}, common, sizes));
}

LazyTensor reduce(const char *op, ReduceKind kind, const LazyTensor &x,
                  const IntList &dims, bool all, bool keepdim,
                  std::optional<DType> dtype) {
  int64_t rank = x.dim();
  // PyTorch reads an empty dim list as "every dimension".
  if (!all && dims.empty())
    all = true;
  IntList wrapped;
  std::vector<bool> reduced(static_cast<size_t>(rank), all);
  if (!all) {
    for (int64_t d : dims) {
      int64_t w = wrapDim(op, d, rank);
      if (rank == 0)
        continue;
      if (reduced[w])
        fail(ErrorKind::Runtime, op, "(): dim ", w, " appears multiple times in the list of dims");
      reduced[w] = true;
      wrapped.push_back(w);
    }
    std::sort(wrapped.begin(), wrapped.end());
  } else {
    for (int64_t d = 0; d < rank; ++d)
      wrapped.push_back(d);
  }
  DType in = x.dtype();
  DType out = in;
  const char *kindName = "sum";
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Prod:
    kindName = kind == ReduceKind::Sum ? "sum" : "prod";
    out = dtype ? *dtype : (isFloatingPoint(in) ? in : DType::Int64);
    break;
  case ReduceKind::Mean:
    kindName = "mean";
    if (!dtype && !isFloatingPoint(in))
      fail(ErrorKind::Runtime, op, "(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ", scalarTypeName(in));
    out = dtype ? *dtype : in;
    if (!isFloatingPoint(out))
      fail(ErrorKind::Runtime, op, "(): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. Got: ", scalarTypeName(out));
    break;
  case ReduceKind::Max:
  case ReduceKind::Min:
  case ReduceKind::Argmax:
  case ReduceKind::Argmin: {
    kindName = kind == ReduceKind::Max ? "max" : kind == ReduceKind::Min ? "min" : kind == ReduceKind::Argmax ? "argmax" : "argmin";
    if (rank > 0 && x.numel() == 0 && all)
      fail(ErrorKind::Runtime, op, "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
    for (int64_t d : wrapped)
      if (x.sizes()[d] == 0)
        fail(ErrorKind::Index, op, "(): Expected reduction dim ", d, " to have non-zero size.");
    if (kind == ReduceKind::Argmax || kind == ReduceKind::Argmin) {
      out = DType::Int64;
      if (!all && wrapped.size() != 1 && rank > 0)
        fail(ErrorKind::Runtime, op, "(): expects exactly one dim");
    }
    break;
  }
  }
  NodePtr value = x.value();
  // Sum and prod of integers accumulate in int64; a bool max/min goes
  // through uint8.
  DType compute = kind == ReduceKind::Argmax || kind == ReduceKind::Argmin ? in : out;
  if (compute == DType::Bool)
    compute = DType::UInt8;
  value = castNode(value, compute);
  IntList sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      sizes.push_back(x.sizes()[d]);
    else if (keepdim)
      sizes.push_back(1);
  }
  if (rank == 0) {
    // A 0-d tensor reduces to itself (its index is 0); the reshape makes the
    // result a new tensor, as PyTorch's is.
    if (kind == ReduceKind::Argmax || kind == ReduceKind::Argmin)
      return LazyTensor::fromNode(splatNode(op, Scalar::fromInt(0), DType::Int64, {}));
    NodePtr result = castNode(value, out);
    return LazyTensor::fromNode(record("kiln.reshape", {result}, result->dtype, {}));
  }
  bool flatArg = (kind == ReduceKind::Argmax || kind == ReduceKind::Argmin) && all;
  std::string attrs = "dims = " + dimsAttr(flatArg ? IntList{} : wrapped);
  if (keepdim && !flatArg)
    attrs += ", keepdim";
  attrs += std::string(", kind = #kiln<reduce_kind ") + kindName + ">";
  DType resultDType = kind == ReduceKind::Argmax || kind == ReduceKind::Argmin ? DType::Int64 : compute;
  IntList resultSizes = sizes;
  if (flatArg)
    resultSizes = {};
  NodePtr result = record("kiln.reduce", {value}, resultDType, resultSizes, attrs);
  if (flatArg && keepdim)
    result = record("kiln.reshape", {result}, DType::Int64, IntList(static_cast<size_t>(rank), 1));
  return LazyTensor::fromNode(castNode(result, kind == ReduceKind::Argmax || kind == ReduceKind::Argmin ? DType::Int64 : out));
}

LazyTensor matmul(const LazyTensor &a, const LazyTensor &b) {
  if (a.dim() == 0 || b.dim() == 0)
    fail(ErrorKind::Runtime, "matmul(): both arguments to matmul need to be at least 1D, but they are ", a.dim(), "D and ", b.dim(), "D");
  if (a.dtype() != b.dtype())
    fail(ErrorKind::Runtime, "matmul(): expected m1 and m2 to have the same dtype, but got: ", name(a.dtype()), " != ", name(b.dtype()));
  if (a.dtype() == DType::Bool)
    fail(ErrorKind::Runtime, "matmul(): \"addmm_impl_cpu_\" not implemented for 'Bool'");
  IntList as = a.sizes(), bs = b.sizes();
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    as.insert(as.begin(), 1);
  if (vecB)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), k2 = bs[bs.size() - 2], n = bs.back();
  if (k != k2) {
    if (vecA && vecB)
      fail(ErrorKind::Runtime, "dot(): inconsistent tensor size, expected tensor [", k, "] and src [", k2, "] to have the same number of elements, but got ", k, " and ", k2, " elements respectively");
    fail(ErrorKind::Runtime, "matmul(): mat1 and mat2 shapes cannot be multiplied (", m, "x", k, " and ", k2, "x", n, ")");
  }
  IntList batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
  IntList batch = broadcastShapes("matmul", batchA, batchB);
  IntList final = batch;
  if (!vecA)
    final.push_back(m);
  if (!vecB)
    final.push_back(n);
  // An empty product is all zeros (and an empty result has nothing to
  // compute); the extern kernels are not called with zero sizes.
  int64_t batchCount = 1;
  for (int64_t size : batch)
    batchCount *= size;
  if (m == 0 || n == 0 || k == 0 || batchCount == 0)
    return LazyTensor::fromNode(splatNode("matmul", Scalar::fromInt(0), a.dtype(), final));
  NodePtr x = a.value(), y = b.value();
  if (vecA)
    x = record("kiln.reshape", {x}, x->dtype, as);
  if (vecB)
    y = record("kiln.reshape", {y}, y->dtype, bs);
  IntList sizes = batch;
  sizes.push_back(m);
  sizes.push_back(n);
  NodePtr result = record("kiln.matmul", {x, y}, a.dtype(), sizes);
  if (final != sizes)
    result = record("kiln.reshape", {result}, a.dtype(), final);
  return LazyTensor::fromNode(result);
}

} // namespace kiln::trace
