// Binds kiln.dtype (one object per dtype), promote_types and kiln.device.
#include "python/src/Bindings.h"

#include "runtime/core/Device.h"
#include "runtime/core/Error.h"

#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <functional>
#include <vector>

namespace py = pybind11;
using kiln::Device;
using kiln::DeviceType;
using kiln::DType;

py::object dtypeObject(DType dtype) {
  // Leaked on purpose: the objects must outlive every static destructor that
  // could run after the interpreter is gone.
  static auto *objects = [] {
    auto *list = new std::vector<py::object>();
    for (int i = 0; i < kiln::kNumDTypes; ++i)
      list->push_back(py::cast(static_cast<DType>(i)));
    return list;
  }();
  return (*objects)[static_cast<int>(dtype)];
}

void bindDTypes(py::module_ &m) {
  py::class_<DType>(
      m, "dtype",
      "An element type; compare with ==, e.g. t.dtype == kiln.float32.")
      .def_property_readonly("itemsize",
                             [](DType d) { return kiln::elementSize(d); })
      .def_property_readonly("is_floating_point",
                             [](DType d) { return kiln::isFloatingPoint(d); })
      .def_property_readonly(
          "is_signed",
          [](DType d) { return d != DType::UInt8 && d != DType::Bool; })
      .def("__repr__",
           [](DType d) { return std::string("kiln.") + kiln::name(d); })
      .def("__str__",
           [](DType d) { return std::string("kiln.") + kiln::name(d); })
      .def("__eq__",
           [](DType a, py::object b) {
             return py::isinstance<DType>(b) && a == b.cast<DType>();
           })
      .def("__hash__",
           [](DType d) { return std::hash<int>()(static_cast<int>(d)); })
      .def("__reduce__", [](DType d) {
        return py::make_tuple(
            py::module_::import("kiln").attr("_dtype_from_name"),
            py::make_tuple(kiln::name(d)));
      });

  const std::pair<const char *, DType> names[] = {
      {"float32", DType::Float32},   {"float", DType::Float32},
      {"float64", DType::Float64},   {"double", DType::Float64},
      {"float16", DType::Float16},   {"half", DType::Float16},
      {"bfloat16", DType::BFloat16}, {"int8", DType::Int8},
      {"int32", DType::Int32},       {"int", DType::Int32},
      {"int64", DType::Int64},       {"long", DType::Int64},
      {"uint8", DType::UInt8},       {"bool", DType::Bool},
  };
  for (const auto &entry : names)
    m.attr(entry.first) = dtypeObject(entry.second);

  m.def(
      "promote_types",
      [](DType a, DType b) { return dtypeObject(kiln::promoteTypes(a, b)); },
      py::arg("type1"), py::arg("type2"),
      "The dtype a binary op on the two dtypes computes in (PyTorch's table; "
      "uint8+int8 is "
      "int32 because Kiln has no int16).");
  m.def(
      "_parse_dtype",
      [](const std::string &text) {
        return dtypeObject(kiln::parseDType(text));
      },
      py::arg("name"));

  py::class_<Device>(
      m, "device",
      "Where a tensor lives: kiln.device('cpu'), kiln.device('cuda:1').")
      .def(
          py::init([](const std::string &text) { return Device::parse(text); }),
          py::arg("type"))
      .def(py::init([](const std::string &type, int index) {
             Device device = Device::parse(type);
             if (device.hasIndex())
               kiln::fail(kiln::ErrorKind::Value,
                          "device(): type (string) must not include an "
                          "index because index was passed explicitly: ",
                          type);
             if (index < 0)
               kiln::fail(kiln::ErrorKind::Value,
                          "device(): Device index must not be negative, got ",
                          index);
             return Device(device.type, index);
           }),
           py::arg("type"), py::arg("index"))
      .def_property_readonly("type",
                             [](const Device &d) { return kiln::name(d.type); })
      .def_property_readonly("index",
                             [](const Device &d) -> py::object {
                               if (!d.hasIndex())
                                 return py::none();
                               return py::int_(d.index);
                             })
      .def("__str__", &Device::str)
      .def("__repr__",
           [](const Device &d) {
             std::string text =
                 std::string("device(type='") + kiln::name(d.type) + "'";
             if (d.hasIndex())
               text += ", index=" + std::to_string(d.index);
             return text + ")";
           })
      .def("__eq__",
           [](const Device &a, py::object b) {
             return py::isinstance<Device>(b) && a == b.cast<Device>();
           })
      .def("__hash__", [](const Device &d) {
        return std::hash<int>()(static_cast<int>(d.type) * 1000003 + d.index);
      });
  py::implicitly_convertible<std::string, Device>();
}
