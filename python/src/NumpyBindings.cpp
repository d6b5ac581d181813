// Zero-copy NumPy exchange (from_numpy, numpy()) and kiln.tensor's copy.
#include "python/src/Bindings.h"

#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"
#include "runtime/core/Tensor.h"
#include "lib/Trace/Trace.h"

#include <pybind11/numpy.h>

namespace py = pybind11;
using kiln::DType;
using kiln::ErrorKind;
using kiln::IntList;
using kiln::Tensor;

namespace {

py::dtype numpyDType(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return py::dtype::of<float>();
  case DType::Float64:
    return py::dtype::of<double>();
  case DType::Float16:
    return py::dtype("float16");
  case DType::Int8:
    return py::dtype::of<int8_t>();
  case DType::Int32:
    return py::dtype::of<int32_t>();
  case DType::Int64:
    return py::dtype::of<int64_t>();
  case DType::UInt8:
    return py::dtype::of<uint8_t>();
  case DType::Bool:
    return py::dtype::of<bool>();
  case DType::BFloat16:
    break;
  }
  // PyTorch's wording, so code that matches on it keeps working.
  kiln::fail(ErrorKind::Type, "numpy(): Got unsupported ScalarType BFloat16");
}

std::string dtypeString(const py::dtype &dtype) {
  return py::str(static_cast<const py::handle &>(dtype)).cast<std::string>();
}

// Reads the descriptor through Python attributes: pybind11 2.10's struct
// accessors assume NumPy 1.x's PyArray_Descr layout, which NumPy 2 changed.
size_t itemsizeOf(const py::dtype &dtype) {
  return dtype.attr("itemsize").cast<size_t>();
}

DType kilnDType(const py::dtype &dtype) {
  char kind = dtype.attr("kind").cast<std::string>()[0];
  size_t size = itemsizeOf(dtype);
  bool native = dtype.attr("byteorder").cast<std::string>() != ">";
  if (native) {
    if (kind == 'f' && size == 4)
      return DType::Float32;
    if (kind == 'f' && size == 8)
      return DType::Float64;
    if (kind == 'f' && size == 2)
      return DType::Float16;
    if (kind == 'i' && size == 1)
      return DType::Int8;
    if (kind == 'i' && size == 4)
      return DType::Int32;
    if (kind == 'i' && size == 8)
      return DType::Int64;
    if (kind == 'u' && size == 1)
      return DType::UInt8;
    if (kind == 'b' && size == 1)
      return DType::Bool;
  }
  kiln::fail(ErrorKind::Type,
             "from_numpy(): can't convert np.ndarray of type numpy.",
             dtypeString(dtype), native ? "" : " (non-native byte order)",
             ". The only supported types are: float64, float32, float16, "
             "int64, int32, int8, "
             "uint8, and bool.");
}

Tensor fromNumpy(py::object object) {
  if (!py::isinstance<py::array>(object))
    kiln::fail(ErrorKind::Type, "from_numpy(): expected np.ndarray (got ",
               py::str(object.get_type().attr("__name__")).cast<std::string>(),
               ")");
  py::array array = py::reinterpret_borrow<py::array>(object);
  DType dtype = kilnDType(array.dtype());
  int64_t itemsize = static_cast<int64_t>(itemsizeOf(array.dtype()));
  IntList sizes, strides;
  int64_t numel = 1, last = 0;
  for (py::ssize_t d = 0; d < array.ndim(); ++d) {
    int64_t size = array.shape(d), byteStride = array.strides(d);
    if (byteStride < 0)
      kiln::fail(ErrorKind::Value, "from_numpy(): At least one stride in the "
                                   "given numpy array is negative, and "
                                   "tensors with negative strides are not "
                                   "currently supported. (You can probably "
                                   "work around this by making a copy of your "
                                   "array  with array.copy().) ");
    if (byteStride % itemsize != 0)
      kiln::fail(ErrorKind::Value,
                 "from_numpy(): given numpy array strides not a multiple of "
                 "the element byte size. Copy the numpy array to reallocate "
                 "the memory.");
    sizes.push_back(size);
    strides.push_back(byteStride / itemsize);
    numel *= size;
    last += (size - 1) * (byteStride / itemsize);
  }
  size_t nbytes = numel == 0 ? 0 : static_cast<size_t>((last + 1) * itemsize);
  // The storage holds a reference to the array; the deleter drops it under the
  // GIL.
  auto *owner = new py::object(array);
  kiln::Storage storage =
      kiln::Storage::fromExternal(const_cast<void *>(array.data()), nbytes,
                                  kiln::Device(), [owner](void *) {
                                    py::gil_scoped_acquire gil;
                                    delete owner;
                                  });
  return Tensor(std::move(storage), sizes, strides, 0, dtype);
}

py::array toNumpy(const Tensor &t) {
  if (!t.device().isCPU())
    kiln::fail(
        ErrorKind::Type, "numpy(): can't convert ", t.device().str(),
        " device type tensor to numpy. Copy the tensor to host memory first.");
  py::dtype dtype = numpyDType(t.dtype());
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
  std::vector<py::ssize_t> strides;
  for (int64_t s : t.strides())
    strides.push_back(s * static_cast<int64_t>(t.elementSize()));
  // The capsule keeps the storage alive as long as the array (or its views)
  // live.
  t.storage().markExported();
  py::capsule base(new kiln::Storage(t.storage()),
                   [](void *p) { delete static_cast<kiln::Storage *>(p); });
  return py::array(dtype, shape, strides, t.data(), base);
}

} // namespace

void bindNumpy(py::module_ &m) {
  m.def("from_numpy", [](py::object array) { return kiln::trace::LazyTensor::fromTensor(fromNumpy(std::move(array))); }, py::arg("ndarray"),
        "A tensor sharing the array's memory and strides; keeps the array "
        "alive.");
  m.def(
      "_copy_from_numpy",
      [](py::object array, DType dtype) {
        Tensor view = fromNumpy(std::move(array));
        if (dtype == DType::BFloat16)
          return kiln::trace::LazyTensor::fromTensor(kiln::float32ToBFloat16(view));
        if (view.dtype() != dtype)
          kiln::fail(ErrorKind::Type, "tensor(): array dtype ", view.dtype(),
                     " does not match the requested ", dtype);
        return kiln::trace::LazyTensor::fromTensor(view.clone());
      },
      py::arg("array"), py::arg("dtype"));
  py::reinterpret_borrow<py::class_<kiln::trace::LazyTensor>>(m.attr("Tensor"))
      .def("numpy", [](const kiln::trace::LazyTensor &t) { return toNumpy(t.materialize()); },
           "A NumPy array over the same memory, with the same strides.");
}
