// Binds kiln._C.Tensor: a lazy tensor (lib/Trace) with its metadata, views, operators and the trace controls.
#include "python/src/Bindings.h"

#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"
#include "runtime/core/Tensor.h"
#include "lib/Trace/Ops.h"
#include "lib/Trace/Trace.h"

#include <pybind11/stl.h>

namespace py = pybind11;
using kiln::DType;
using kiln::ErrorKind;
using kiln::IntList;
using kiln::Tensor;
using kiln::trace::LazyTensor;

namespace {

int64_t toInt(const char *op, const char *argName, py::handle item,
              size_t pos) {
  // bool is an int subclass in Python, but PyTorch rejects it as a size.
  if (PyBool_Check(item.ptr()) || !PyIndex_Check(item.ptr()))
    kiln::fail(ErrorKind::Type, op, "(): argument '", argName,
               "' must be tuple of ints, but found element of type ",
               py::str(item.get_type().attr("__name__")).cast<std::string>(),
               " at pos ", pos);
  py::object index =
      py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
  if (!index)
    throw py::error_already_set();
  int overflow = 0;
  long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow)
    kiln::fail(ErrorKind::Runtime, op, "(): argument '", argName,
               "' element at pos ", pos, " does not fit in int64");
  return value;
}

IntList toIntList(const char *op, const char *argName, py::handle sequence) {
  if (!py::isinstance<py::sequence>(sequence) ||
      py::isinstance<py::str>(sequence))
    kiln::fail(
        ErrorKind::Type, op, "(): argument '", argName,
        "' must be tuple of ints, but got ",
        py::str(sequence.get_type().attr("__name__")).cast<std::string>());
  IntList out;
  size_t pos = 0;
  for (py::handle item : py::reinterpret_borrow<py::sequence>(sequence))
    out.push_back(toInt(op, argName, item, pos++));
  return out;
}

// Accepts both spellings PyTorch does: t.view(2, 3) and t.view((2, 3)).
IntList varargsToList(const char *op, const char *argName,
                      const py::args &args) {
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr()))
    return toIntList(op, argName, args[0]);
  IntList out;
  for (size_t i = 0; i < args.size(); ++i)
    out.push_back(toInt(op, argName, args[i], i));
  return out;
}

} // namespace

IntList toIntListArg(const char *op, const char *argName, py::handle sequence) {
  return toIntList(op, argName, sequence);
}

namespace {

py::tuple toTuple(const IntList &values) {
  py::tuple out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = py::int_(values[i]);
  return out;
}

} // namespace


void bindTensor(py::module_ &m) {
  py::class_<LazyTensor> tensor(m, "Tensor", py::dynamic_attr(),
                                "A lazy strided view of shared storage.");
  tensor
      .def(py::init(&LazyTensor::copyOf), py::arg("data"),
           "A new tensor holding data's value (computed lazily; no shared memory, no history). Subclasses "
           "such as nn.Parameter are built through it.")
      .def_property_readonly(
          "_sizes", [](const LazyTensor &t) { return toTuple(t.sizes()); })
      .def(
          "_size",
          [](const LazyTensor &t, int64_t dim) { return t.meta().size(dim); },
          py::arg("dim"))
      .def(
          "stride",
          [](const LazyTensor &t, py::object dim) -> py::object {
            if (dim.is_none())
              return toTuple(t.meta().strides());
            return py::int_(t.meta().stride(toInt("stride", "dim", dim, 0)));
          },
          py::arg("dim") = py::none())
      .def("dim", &LazyTensor::dim)
      .def("ndimension", &LazyTensor::dim)
      .def_property_readonly("ndim", &LazyTensor::dim)
      .def("numel", &LazyTensor::numel)
      .def("nelement", &LazyTensor::numel)
      .def_property_readonly(
          "dtype", [](const LazyTensor &t) { return dtypeObject(t.dtype()); })
      .def_property_readonly(
          "device", [](const LazyTensor &t) { return t.meta().device(); })
      .def_property_readonly(
          "is_cuda",
          [](const LazyTensor &t) { return t.meta().device().isCUDA(); })
      .def("storage_offset",
           [](const LazyTensor &t) { return t.meta().storageOffset(); })
      .def("is_contiguous",
           [](const LazyTensor &t) { return t.meta().isContiguous(); })
      .def("element_size",
           [](const LazyTensor &t) { return t.meta().elementSize(); })
      .def_property_readonly(
          "itemsize", [](const LazyTensor &t) { return t.meta().elementSize(); })
      .def_property_readonly(
          "nbytes", [](const LazyTensor &t) { return t.meta().nbytes(); })
      .def("data_ptr",
           [](const LazyTensor &t) {
             const Tensor &values = t.materialize();
             values.storage().markExported();
             return reinterpret_cast<uintptr_t>(values.data());
           })
      .def_property_readonly("_is_pending", &LazyTensor::isPending)
      .def(
          "_is_view_of",
          [](const LazyTensor &t, const LazyTensor &other) {
            return t.base() == other.base() ||
                   t.meta().sharesStorageWith(other.meta());
          },
          py::arg("other"))
      .def("view",
           [](const LazyTensor &t, const py::args &shape) {
             return t.view(varargsToList("view", "size", shape));
           })
      .def("reshape",
           [](const LazyTensor &t, const py::args &shape) {
             return t.reshape(varargsToList("reshape", "shape", shape));
           })
      .def("transpose", &LazyTensor::transpose, py::arg("dim0"),
           py::arg("dim1"))
      .def("swapaxes", &LazyTensor::transpose, py::arg("axis0"),
           py::arg("axis1"))
      .def("permute",
           [](const LazyTensor &t, const py::args &dims) {
             return t.permute(varargsToList("permute", "dims", dims));
           })
      .def("t",
           [](const LazyTensor &t) {
             if (t.dim() > 2)
               kiln::fail(ErrorKind::Runtime,
                          "t(): t() expects a tensor with <= 2 dimensions, "
                          "but self is ",
                          t.dim(), "D");
             return t.dim() < 2 ? t : t.transpose(0, 1);
           })
      .def_property_readonly("T",
                             [](const LazyTensor &t) {
                               IntList dims;
                               for (int64_t d = t.dim() - 1; d >= 0; --d)
                                 dims.push_back(d);
                               return t.permute(dims);
                             })
      .def_property_readonly("mT",
                             [](const LazyTensor &t) {
                               if (t.dim() < 2)
                                 kiln::fail(ErrorKind::Runtime,
                                            "mT: tensor.mT is only supported on "
                                            "matrices or batches of matrices. "
                                            "Got ",
                                            t.dim(), "-D tensor.");
                               return t.transpose(-2, -1);
                             })
      .def("narrow", &LazyTensor::narrow, py::arg("dim"), py::arg("start"),
           py::arg("length"))
      .def("select", &LazyTensor::select, py::arg("dim"), py::arg("index"))
      .def("_slice", &LazyTensor::slice, py::arg("dim"), py::arg("start"),
           py::arg("end"), py::arg("step"))
      .def("expand",
           [](const LazyTensor &t, const py::args &sizes) {
             return t.expand(varargsToList("expand", "size", sizes));
           })
      .def(
          "expand_as",
          [](const LazyTensor &t, const LazyTensor &other) {
            return t.expand(other.sizes());
          },
          py::arg("other"))
      .def(
          "squeeze",
          [](const LazyTensor &t, py::object dim) {
            return dim.is_none() ? t.squeeze()
                                 : t.squeeze(toInt("squeeze", "dim", dim, 0));
          },
          py::arg("dim") = py::none())
      .def("unsqueeze", &LazyTensor::unsqueeze, py::arg("dim"))
      .def(
          "as_strided",
          [](const LazyTensor &t, py::object size, py::object stride,
             std::optional<int64_t> offset) {
            return t.asStrided(toIntList("as_strided", "size", size),
                               toIntList("as_strided", "stride", stride),
                               offset);
          },
          py::arg("size"), py::arg("stride"),
          py::arg("storage_offset") = py::none())
      .def("contiguous", &LazyTensor::contiguous)
      .def("clone", &LazyTensor::clone)
      .def("_bfloat16_to_float32", [](const LazyTensor &t) {
        return LazyTensor::fromTensor(kiln::bfloat16ToFloat32(t.materialize()));
      });

  m.def(
      "empty",
      [](py::object size, DType dtype, kiln::Device device) {
        return LazyTensor::fromTensor(
            Tensor::empty(toIntList("empty", "size", size), dtype, device));
      },
      py::arg("size"), py::arg("dtype"), py::arg("device"));
}
