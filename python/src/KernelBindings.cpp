// Binds the eager runtime kernels the trace cannot express as Kiln IR: the Philox random fills, sort, topk and nonzero.
#include "python/src/Bindings.h"

#include "lib/Trace/Export.h"
#include "lib/Trace/Trace.h"
#include "runtime/core/Random.h"
#include "runtime/cpu/Sort.h"

#include <pybind11/stl.h>

namespace py = pybind11;
using kiln::DType;
using kiln::trace::LazyTensor;

namespace {

py::tuple pair(std::pair<kiln::Tensor, kiln::Tensor> values) {
  return py::make_tuple(LazyTensor::fromTensor(std::move(values.first)),
                        LazyTensor::fromTensor(std::move(values.second)));
}

} // namespace

void bindKernels(py::module_ &m) {
  m.def("manual_seed", [](uint64_t seed) { kiln::defaultGenerator().seed(seed); },
        py::arg("seed"), "Seeds the default Philox generator and rewinds its offset.");
  m.def("initial_seed", [] { return kiln::defaultGenerator().initialSeed(); });
  m.def("_generator_offset", [] { return kiln::defaultGenerator().offset(); });
  m.def("_set_generator_offset", [](uint64_t offset) { kiln::defaultGenerator().setOffset(offset); });
  m.def("_uniform", [](py::handle sizes, DType dtype, double low, double high) {
    kiln::trace::noteEagerKernel("rand");
    return LazyTensor::fromTensor(kiln::uniform(toIntListArg("rand", "size", sizes), dtype, low, high));
  });
  m.def("_normal", [](py::handle sizes, DType dtype, double mean, double std) {
    kiln::trace::noteEagerKernel("randn");
    return LazyTensor::fromTensor(kiln::normal(toIntListArg("randn", "size", sizes), dtype, mean, std));
  });
  m.def("_randint", [](int64_t low, int64_t high, py::handle sizes, DType dtype) {
    kiln::trace::noteEagerKernel("randint");
    return LazyTensor::fromTensor(kiln::randint(low, high, toIntListArg("randint", "size", sizes), dtype));
  });
  m.def("_randperm", [](int64_t n, DType dtype) {
    kiln::trace::noteEagerKernel("randperm");
    return LazyTensor::fromTensor(kiln::randperm(n, dtype));
  });
  m.def("_bernoulli", [](const LazyTensor &p) {
    kiln::trace::noteEagerKernel("bernoulli");
    return LazyTensor::fromTensor(kiln::bernoulli(p.materialize()));
  });
  m.def("_sort", [](const LazyTensor &x, int64_t dim, bool descending, bool stable) {
    kiln::trace::noteEagerKernel("sort");
    return pair(kiln::sort(x.materialize(), dim, descending, stable));
  });
  m.def("_topk", [](const LazyTensor &x, int64_t k, int64_t dim, bool largest, bool sorted) {
    kiln::trace::noteEagerKernel("topk");
    return pair(kiln::topk(x.materialize(), k, dim, largest, sorted));
  });
  m.def("_nonzero", [](const LazyTensor &x) {
    kiln::trace::noteEagerKernel("nonzero");
    return LazyTensor::fromTensor(kiln::nonzero(x.materialize()));
  });
}
