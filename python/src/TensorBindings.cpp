// Binds kiln._C.Tensor: metadata and views over runtime/core/Tensor.
#include "python/src/Bindings.h"

#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"
#include "runtime/core/Tensor.h"

#include <pybind11/stl.h>

namespace py = pybind11;
using kiln::DType;
using kiln::ErrorKind;
using kiln::IntList;
using kiln::Tensor;

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

py::tuple toTuple(const IntList &values) {
  py::tuple out(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    out[i] = py::int_(values[i]);
  return out;
}

} // namespace

void bindTensor(py::module_ &m) {
  py::class_<Tensor> tensor(m, "Tensor", "A strided view of shared storage.");
  tensor
      .def_property_readonly("_sizes",
                             [](const Tensor &t) { return toTuple(t.sizes()); })
      .def(
          "_size", [](const Tensor &t, int64_t dim) { return t.size(dim); },
          py::arg("dim"))
      .def(
          "stride",
          [](const Tensor &t, py::object dim) -> py::object {
            if (dim.is_none())
              return toTuple(t.strides());
            return py::int_(t.stride(toInt("stride", "dim", dim, 0)));
          },
          py::arg("dim") = py::none())
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def_property_readonly("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def_property_readonly(
          "dtype", [](const Tensor &t) { return dtypeObject(t.dtype()); })
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly(
          "is_cuda", [](const Tensor &t) { return t.device().isCUDA(); })
      .def("storage_offset", &Tensor::storageOffset)
      .def("is_contiguous", &Tensor::isContiguous)
      .def("element_size", &Tensor::elementSize)
      .def_property_readonly("itemsize", &Tensor::elementSize)
      .def_property_readonly("nbytes", &Tensor::nbytes)
      .def(
          "data_ptr",
          [](const Tensor &t) { return reinterpret_cast<uintptr_t>(t.data()); })
      .def("_is_view_of", &Tensor::sharesStorageWith, py::arg("other"))
      .def("view",
           [](const Tensor &t, const py::args &shape) {
             return t.view(varargsToList("view", "size", shape));
           })
      .def("reshape",
           [](const Tensor &t, const py::args &shape) {
             return t.reshape(varargsToList("reshape", "shape", shape));
           })
      .def("transpose", &Tensor::transpose, py::arg("dim0"), py::arg("dim1"))
      .def("swapaxes", &Tensor::transpose, py::arg("axis0"), py::arg("axis1"))
      .def("permute",
           [](const Tensor &t, const py::args &dims) {
             return t.permute(varargsToList("permute", "dims", dims));
           })
      .def("t",
           [](const Tensor &t) {
             if (t.dim() > 2)
               kiln::fail(ErrorKind::Runtime,
                          "t(): t() expects a tensor with <= 2 dimensions, "
                          "but self is ",
                          t.dim(), "D");
             return t.dim() < 2 ? t : t.transpose(0, 1);
           })
      .def_property_readonly("T",
                             [](const Tensor &t) {
                               IntList dims;
                               for (int64_t d = t.dim() - 1; d >= 0; --d)
                                 dims.push_back(d);
                               return t.permute(dims);
                             })
      .def("narrow", &Tensor::narrow, py::arg("dim"), py::arg("start"),
           py::arg("length"))
      .def("select", &Tensor::select, py::arg("dim"), py::arg("index"))
      .def("_slice", &Tensor::slice, py::arg("dim"), py::arg("start"),
           py::arg("end"), py::arg("step"))
      .def("expand",
           [](const Tensor &t, const py::args &sizes) {
             return t.expand(varargsToList("expand", "size", sizes));
           })
      .def(
          "expand_as",
          [](const Tensor &t, const Tensor &other) {
            return t.expand(other.sizes());
          },
          py::arg("other"))
      .def(
          "squeeze",
          [](const Tensor &t, py::object dim) {
            return dim.is_none() ? t.squeeze()
                                 : t.squeeze(toInt("squeeze", "dim", dim, 0));
          },
          py::arg("dim") = py::none())
      .def("unsqueeze", &Tensor::unsqueeze, py::arg("dim"))
      .def(
          "as_strided",
          [](const Tensor &t, py::object size, py::object stride,
             std::optional<int64_t> offset) {
            return t.asStrided(toIntList("as_strided", "size", size),
                               toIntList("as_strided", "stride", stride),
                               offset);
          },
          py::arg("size"), py::arg("stride"),
          py::arg("storage_offset") = py::none())
      .def("contiguous", &Tensor::contiguous)
      .def("clone", &Tensor::clone)
      .def("_bfloat16_to_float32", &kiln::bfloat16ToFloat32);

  m.def(
      "empty",
      [](py::object size, DType dtype, kiln::Device device) {
        return Tensor::empty(toIntList("empty", "size", size), dtype, device);
      },
      py::arg("size"), py::arg("dtype"), py::arg("device"));
}
