// The kiln._C module: registers bindings, maps kiln::Error to Python.
#include "python/src/Bindings.h"

#include "runtime/core/Error.h"

namespace py = pybind11;

PyObject *pythonExceptionFor(kiln::ErrorKind kind) {
  switch (kind) {
  case kiln::ErrorKind::Index:
    return PyExc_IndexError;
  case kiln::ErrorKind::Type:
    return PyExc_TypeError;
  case kiln::ErrorKind::Value:
    return PyExc_ValueError;
  case kiln::ErrorKind::NotImplemented:
    return PyExc_NotImplementedError;
  case kiln::ErrorKind::Runtime:
    break;
  }
  return PyExc_RuntimeError;
}

PYBIND11_MODULE(_C, m) {
  m.doc() = "Kiln's C++ core: dtypes, devices, tensors and the compiler";
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error)
        std::rethrow_exception(error);
    } catch (const kiln::Error &e) {
      PyErr_SetString(pythonExceptionFor(e.kind()), e.what());
    }
  });
  bindDTypes(m);
  bindTensor(m);
  bindNumpy(m);
  bindOps(m);
  bindDLPack(m);
  bindKernels(m);
  bindAutograd(m);
  bindCompiler(m);
  bindJit(m);
}
