// Binds the trace's ops: Python operators on kiln._C.Tensor, the recording entry points kiln/_ops.py builds on, and the trace's statistics.
#include "python/src/Bindings.h"

#include "lib/Trace/Ops.h"
#include "lib/Trace/Optim.h"
#include "lib/Trace/Trace.h"
#include "runtime/core/Error.h"

#include <pybind11/stl.h>

#include <optional>

namespace py = pybind11;
using kiln::DType;
using kiln::ErrorKind;
using kiln::IntList;
using kiln::trace::BinaryOp;
using kiln::trace::LazyTensor;
using kiln::trace::Operand;
using kiln::trace::Scalar;
using kiln::trace::UnaryOp;

namespace {

PyTypeObject *tensorType = nullptr;

// pybind11's isinstance/cast look the C++ type up by name on every call;
// the operators run often enough that a cached type check pays.
bool isTensor(py::handle h) {
  PyTypeObject *type = Py_TYPE(h.ptr());
  return type == tensorType || PyType_IsSubtype(type, tensorType);
}

LazyTensor &tensorOf(py::handle h) {
  auto *inst = reinterpret_cast<py::detail::instance *>(h.ptr());
  return *inst->get_value_and_holder().value_ptr<LazyTensor>();
}

std::string typeName(py::handle h) {
  return py::str(h.get_type().attr("__name__")).cast<std::string>();
}

// A Python number (bool, int, float, or a NumPy scalar) as a Scalar.
std::optional<Scalar> parseScalar(py::handle h) {
  PyObject *o = h.ptr();
  if (PyBool_Check(o))
    return Scalar::fromBool(o == Py_True);
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow)
      kiln::fail(ErrorKind::Runtime,
                 "value cannot be converted to type int64 without overflow");
    return Scalar::fromInt(v);
  }
  if (PyFloat_Check(o))
    return Scalar::fromFloat(PyFloat_AS_DOUBLE(o));
  if (isTensor(h) || PySequence_Check(o))
    return std::nullopt;
  // NumPy scalars: bool_, integers (which have __index__), floats.
  if (typeName(h) == "bool")
    return Scalar::fromBool(PyObject_IsTrue(o) == 1);
  if (PyIndex_Check(o)) {
    py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(o));
    if (!index)
      throw py::error_already_set();
    return parseScalar(index);
  }
  if (PyNumber_Check(o) && PyObject_HasAttrString(o, "__float__")) {
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred())
      throw py::error_already_set();
    return Scalar::fromFloat(v);
  }
  return std::nullopt;
}

std::optional<Operand> parseOperand(py::handle h) {
  if (isTensor(h))
    return Operand(tensorOf(h));
  if (std::optional<Scalar> s = parseScalar(h))
    return Operand(*s);
  return std::nullopt;
}

Scalar requireScalar(const char *op, py::handle h) {
  std::optional<Scalar> s = parseScalar(h);
  if (!s)
    kiln::fail(ErrorKind::Type, op, "(): expected a number, but got ",
               typeName(h));
  return *s;
}

py::object notImplemented() {
  return py::reinterpret_borrow<py::object>(Py_NotImplemented);
}

py::object applyBinary(BinaryOp op, py::handle self, py::handle other,
                       bool reflected) {
  std::optional<Operand> rhs = parseOperand(other);
  if (!rhs)
    return notImplemented();
  Operand lhs(tensorOf(self));
  return py::cast(reflected ? kiln::trace::binary(op, *rhs, lhs)
                            : kiln::trace::binary(op, lhs, *rhs));
}

py::object applyInPlace(BinaryOp op, py::object self, py::handle other) {
  std::optional<Operand> rhs = parseOperand(other);
  if (!rhs)
    kiln::fail(ErrorKind::Type, kiln::trace::opName(op),
               "_(): argument 'other' must be Tensor or Number, not ",
               typeName(other));
  kiln::trace::binaryInPlace(op, self.cast<LazyTensor &>(), *rhs);
  return self;
}

std::vector<const LazyTensor *> tensorList(py::handle list) {
  std::vector<const LazyTensor *> out;
  for (py::handle item : list)
    out.push_back(&item.cast<const LazyTensor &>());
  return out;
}

py::dict statsToPython(const kiln::trace::TraceStats &stats) {
  py::list events;
  for (const kiln::trace::CompileEvent &e : stats.events) {
    py::dict d;
    d["reason"] = e.reason;
    d["ops"] = e.ops;
    d["inputs"] = e.inputs;
    d["outputs"] = e.outputs;
    d["origin"] = e.origin;
    d["ms"] = e.ms;
    events.append(d);
  }
  py::dict d;
  d["recorded"] = stats.recorded;
  d["materializations"] = stats.materializations;
  d["program_hits"] = stats.programHits;
  d["compiles"] = stats.compiles;
  d["pending"] = stats.pending;
  d["events"] = events;
  return d;
}

// The hottest operators also get CPython number slots, so `x * w` skips the
// lookup of __mul__ and pybind11's dispatcher. CPython calls a binary slot
// with the operands in source order whichever of them is the tensor, so one
// function serves `x * 2` and `2 * x`.
template <typename Fn> PyObject *guarded(Fn &&fn) {
  try {
    return fn();
  } catch (const kiln::Error &e) {
    PyErr_SetString(pythonExceptionFor(e.kind()), e.what());
  } catch (py::error_already_set &e) {
    e.restore();
  } catch (const std::exception &e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

template <BinaryOp op> PyObject *binarySlot(PyObject *a, PyObject *b) {
  return guarded([&]() -> PyObject * {
    std::optional<Operand> x = parseOperand(a), y = parseOperand(b);
    if (!x || !y)
      Py_RETURN_NOTIMPLEMENTED;
    return py::cast(kiln::trace::binary(op, *x, *y)).release().ptr();
  });
}

template <BinaryOp op> PyObject *inPlaceSlot(PyObject *self, PyObject *other) {
  return guarded([&]() -> PyObject * {
    if (!isTensor(self))
      Py_RETURN_NOTIMPLEMENTED;
    return applyInPlace(op, py::reinterpret_borrow<py::object>(self), other)
        .release()
        .ptr();
  });
}

void installNumberSlots(PyTypeObject *type) {
  PyNumberMethods *n = type->tp_as_number;
  n->nb_add = binarySlot<BinaryOp::Add>;
  n->nb_subtract = binarySlot<BinaryOp::Sub>;
  n->nb_multiply = binarySlot<BinaryOp::Mul>;
  n->nb_true_divide = binarySlot<BinaryOp::Div>;
  n->nb_inplace_add = inPlaceSlot<BinaryOp::Add>;
  n->nb_inplace_subtract = inPlaceSlot<BinaryOp::Sub>;
  n->nb_inplace_multiply = inPlaceSlot<BinaryOp::Mul>;
  n->nb_inplace_true_divide = inPlaceSlot<BinaryOp::Div>;
}

template <BinaryOp op> void defBinary(py::class_<LazyTensor> &cls, const char *name, const char *rname, const char *iname) {
  cls.def(name, [](py::handle self, py::handle other) { return applyBinary(op, self, other, false); }, py::is_operator());
  if (rname)
    cls.def(rname, [](py::handle self, py::handle other) { return applyBinary(op, self, other, true); }, py::is_operator());
  if (iname)
    cls.def(iname, [](py::object self, py::handle other) { return applyInPlace(op, std::move(self), other); }, py::is_operator());
}

} // namespace

void bindOps(py::module_ &m) {
  auto cls = py::reinterpret_borrow<py::class_<LazyTensor>>(m.attr("Tensor"));
  tensorType = reinterpret_cast<PyTypeObject *>(cls.ptr());
  defBinary<BinaryOp::Add>(cls, "__add__", "__radd__", "__iadd__");
  defBinary<BinaryOp::Sub>(cls, "__sub__", "__rsub__", "__isub__");
  defBinary<BinaryOp::Mul>(cls, "__mul__", "__rmul__", "__imul__");
  defBinary<BinaryOp::Div>(cls, "__truediv__", "__rtruediv__", "__itruediv__");
  defBinary<BinaryOp::FloorDiv>(cls, "__floordiv__", "__rfloordiv__", "__ifloordiv__");
  defBinary<BinaryOp::Remainder>(cls, "__mod__", "__rmod__", "__imod__");
  defBinary<BinaryOp::Pow>(cls, "__pow__", "__rpow__", "__ipow__");
  defBinary<BinaryOp::Eq>(cls, "__eq__", nullptr, nullptr);
  defBinary<BinaryOp::Ne>(cls, "__ne__", nullptr, nullptr);
  defBinary<BinaryOp::Lt>(cls, "__lt__", nullptr, nullptr);
  defBinary<BinaryOp::Le>(cls, "__le__", nullptr, nullptr);
  defBinary<BinaryOp::Gt>(cls, "__gt__", nullptr, nullptr);
  defBinary<BinaryOp::Ge>(cls, "__ge__", nullptr, nullptr);
  defBinary<BinaryOp::BitwiseAnd>(cls, "__and__", "__rand__", "__iand__");
  defBinary<BinaryOp::BitwiseOr>(cls, "__or__", "__ror__", "__ior__");
  defBinary<BinaryOp::BitwiseXor>(cls, "__xor__", "__rxor__", "__ixor__");
  defBinary<BinaryOp::ShiftLeft>(cls, "__lshift__", "__rlshift__", "__ilshift__");
  defBinary<BinaryOp::ShiftRight>(cls, "__rshift__", "__rrshift__", "__irshift__");
  cls.def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); })
      .def("__neg__", [](const LazyTensor &t) { return kiln::trace::unary(UnaryOp::Neg, t); })
      .def("__abs__", [](const LazyTensor &t) { return kiln::trace::unary(UnaryOp::Abs, t); })
      .def("__invert__", [](const LazyTensor &t) { return kiln::trace::unary(UnaryOp::BitwiseNot, t); })
      .def("__pos__", [](py::handle self) { return py::reinterpret_borrow<py::object>(self); })
      .def("__matmul__", [](const LazyTensor &a, py::handle b) -> py::object {
        if (!py::isinstance<LazyTensor>(b))
          return notImplemented();
        return py::cast(kiln::trace::matmul(a, b.cast<const LazyTensor &>()));
      }, py::is_operator())
      .def("__rmatmul__", [](const LazyTensor &b, py::handle a) -> py::object {
        if (!py::isinstance<LazyTensor>(a))
          return notImplemented();
        return py::cast(kiln::trace::matmul(a.cast<const LazyTensor &>(), b));
      }, py::is_operator());
  installNumberSlots(tensorType);

  py::dict binaryOps, unaryOps;
  for (int i = 0; i <= static_cast<int>(BinaryOp::ShiftRight); ++i)
    binaryOps[kiln::trace::opName(static_cast<BinaryOp>(i))] = i;
  for (int i = 0; i <= static_cast<int>(UnaryOp::BitwiseNot); ++i)
    unaryOps[py::str(i == static_cast<int>(UnaryOp::GeluTanh) ? "gelu_tanh" : kiln::trace::opName(static_cast<UnaryOp>(i)))] = i;
  m.attr("_BINARY") = binaryOps;
  m.attr("_UNARY") = unaryOps;

  m.def("_binary", [](int op, py::handle a, py::handle b) {
    std::optional<Operand> x = parseOperand(a), y = parseOperand(b);
    const char *name = kiln::trace::opName(static_cast<BinaryOp>(op));
    if (!x || !y || (!x->tensor && !y->tensor))
      kiln::fail(ErrorKind::Type, name, "(): expected Tensor or Number arguments with at least one Tensor, but got ", typeName(a), " and ", typeName(b));
    return kiln::trace::binary(static_cast<BinaryOp>(op), *x, *y);
  });
  m.def("_binary_", [](int op, py::object self, py::handle other) {
    return applyInPlace(static_cast<BinaryOp>(op), std::move(self), other);
  });
  // One parameter's Adadelta update (kiln/optim/adadelta.py): the ops of the
  // Python loop, recorded by one call.
  m.def("_adadelta_update", [](py::object param, const LazyTensor &grad, py::object squareAvg,
                               py::object accDelta, py::object step, const LazyTensor &lr, double rho,
                               double eps, double weightDecay, bool maximize) {
    kiln::trace::adadeltaUpdate(param.cast<LazyTensor &>(), grad, squareAvg.cast<LazyTensor &>(),
                                accDelta.cast<LazyTensor &>(), step.cast<LazyTensor &>(), lr,
                                {rho, eps, weightDecay, maximize});
  });
  m.def("_unary", [](int op, const LazyTensor &x) { return kiln::trace::unary(static_cast<UnaryOp>(op), x); });
  m.def("_cast", &kiln::trace::cast);
  m.def("_full", [](py::handle sizes, py::handle value, DType dtype) {
    return kiln::trace::full(toIntListArg("full", "size", sizes), requireScalar("full", value), dtype);
  });
  m.def("_fill_", [](py::object self, py::handle value) {
    kiln::trace::fillInPlace(self.cast<LazyTensor &>(), requireScalar("fill_", value));
    return self;
  });
  m.def("_copy_", [](py::object self, const LazyTensor &src) {
    kiln::trace::copyInPlace(self.cast<LazyTensor &>(), src);
    return self;
  });
  m.def("_where", [](const LazyTensor &cond, py::handle a, py::handle b) {
    std::optional<Operand> x = parseOperand(a), y = parseOperand(b);
    if (!x || !y)
      kiln::fail(ErrorKind::Type, "where(): expected Tensor or Number for input and other, but got ", typeName(a), " and ", typeName(b));
    return kiln::trace::where(cond, *x, *y);
  });
  m.def("_reduce", [](const std::string &op, int kind, const LazyTensor &x, py::object dims, bool keepdim, std::optional<DType> dtype) {
    bool all = dims.is_none();
    IntList list;
    if (!all) {
      if (PyIndex_Check(dims.ptr()))
        list.push_back(dims.cast<int64_t>());
      else
        list = toIntListArg(op.c_str(), "dim", dims);
    }
    return kiln::trace::reduce(op.c_str(), static_cast<kiln::trace::ReduceKind>(kind), x, list, all, keepdim, dtype);
  }, py::arg("op"), py::arg("kind"), py::arg("x"), py::arg("dims"), py::arg("keepdim"), py::arg("dtype") = py::none());
  m.def("_matmul", &kiln::trace::matmul);
  m.def("_result_type", [](py::list operands) {
    std::vector<Operand> list;
    for (py::handle h : operands) {
      std::optional<Operand> o = parseOperand(h);
      if (!o)
        kiln::fail(ErrorKind::Type, "result_type(): expected Tensor or Number, got ", typeName(h));
      list.push_back(*o);
    }
    return dtypeObject(kiln::trace::resultType(list));
  });
  m.def("_broadcast_shapes", [](const std::string &op, py::handle a, py::handle b) {
    IntList out = kiln::trace::broadcastShapes(op.c_str(), toIntListArg(op.c_str(), "shape", a), toIntListArg(op.c_str(), "shape", b));
    return py::tuple(py::cast(out));
  });
  m.def("_record", [](const std::string &op, py::list inputs, DType dtype, py::handle sizes, const std::string &attrs) {
    std::vector<kiln::trace::NodePtr> nodes;
    for (py::handle item : inputs)
      nodes.push_back(item.cast<const LazyTensor &>().value());
    return LazyTensor::fromNode(kiln::trace::record(kiln::trace::internOp(op), std::move(nodes), dtype, toIntListArg(op.c_str(), "size", sizes), attrs));
  }, py::arg("op"), py::arg("inputs"), py::arg("dtype"), py::arg("sizes"), py::arg("attrs") = "",
     "Records Kiln op `op` (e.g. 'kiln.slice') on `inputs` with result type dtype[sizes] and generic-form properties `attrs`; the caller has validated everything.");
  m.def("_assign", [](py::object self, const LazyTensor &value) {
    self.cast<LazyTensor &>().assign(value.value());
    return self;
  });
  m.def("_is_whole_base", [](const LazyTensor &t) { return t.isWholeBase(); });
  m.def("_materialize", [](py::list tensors) { kiln::trace::materialize(tensorList(tensors)); });
  m.def("sync", &kiln::trace::syncAll, "Materializes every pending tensor.");
  m.def("_trace_stats", [] { return statsToPython(kiln::trace::stats()); });
  m.def("_reset_trace_stats", &kiln::trace::resetStats);
  m.def("_clear_program_cache", &kiln::trace::clearProgramCache);
  m.def("_program_text", [](py::list tensors) { return kiln::trace::programText(tensorList(tensors)); });
  m.def("_max_pending_depth", &kiln::trace::maxPendingDepth);
  m.def("_set_max_pending_depth", &kiln::trace::setMaxPendingDepth);
}
