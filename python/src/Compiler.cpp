// Binds lib/'s compiler entry points as kiln._C.compiler: text pipelines, the JIT and its statistics.
#include "python/src/Bindings.h"

#include "lib/Compiler/JIT.h"
#include "lib/Compiler/Pipeline.h"
#include "runtime/exec/Executable.h"
#include "lib/Trace/Trace.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

namespace py = pybind11;

namespace {

// What kiln._C.compiler.compile returns: a loaded function and its cache key.
struct CompiledFunction {
  std::shared_ptr<kiln::Executable> executable;
  std::string key;
  std::string origin;
};

py::list specsToPython(const std::vector<kiln::TensorSpec> &specs) {
  py::list list;
  for (const kiln::TensorSpec &spec : specs)
    list.append(py::make_tuple(dtypeObject(spec.dtype),
                               py::tuple(py::cast(spec.sizes))));
  return list;
}

py::dict statsToPython(const kiln::compiler::CompileStats &stats) {
  py::dict stages;
  for (const kiln::compiler::StageStats &stage : stats.stages) {
    py::dict entry;
    entry["last_ms"] = stage.lastMs;
    entry["total_ms"] = stage.totalMs;
    entry["runs"] = stage.runs;
    stages[py::str(stage.name)] = entry;
  }
  py::dict result;
  result["memory_hits"] = stats.memoryHits;
  result["disk_hits"] = stats.diskHits;
  result["misses"] = stats.misses;
  result["stages"] = stages;
  return result;
}

} // namespace

void bindCompiler(py::module_ &m) {
  py::module_ compiler = m.def_submodule(
      "compiler", "Kiln IR through the compiler: pass pipelines and the JIT");
  compiler.def(
      "run_pipeline",
      [](const std::string &source, const std::string &pipeline) {
        kiln::compiler::PipelineResult result;
        {
          py::gil_scoped_release release;
          result = kiln::compiler::runPipeline(source, pipeline);
        }
        if (!result.ok)
          throw py::value_error("run_pipeline(): the IR or the pipeline \"" +
                                pipeline + "\" was rejected:\n" +
                                result.diagnostics);
        return result.output;
      },
      py::arg("source"), py::arg("pipeline") = "",
      "Parses and verifies Kiln IR, runs a pass pipeline such as "
      "'canonicalize,cse', and returns the printed module. Raises ValueError "
      "with MLIR's diagnostics when the IR or the pipeline is invalid.");

  py::class_<CompiledFunction>(compiler, "CompiledFunction",
                               "A Kiln function compiled to native code.")
      .def(
          "__call__",
          [](const CompiledFunction &f, py::args args) {
            std::vector<kiln::Tensor> inputs;
            inputs.reserve(args.size());
            for (size_t i = 0; i < args.size(); ++i) {
              if (!py::isinstance<kiln::trace::LazyTensor>(args[i]))
                throw py::type_error(
                    f.executable->signature().name + "(): input " +
                    std::to_string(i) + " must be a kiln.Tensor, not " +
                    std::string(py::str(py::type::of(args[i]).attr("__name__"))));
              inputs.push_back(
                  args[i].cast<const kiln::trace::LazyTensor &>().materialize());
            }
            std::vector<kiln::Tensor> outputs;
            {
              py::gil_scoped_release release;
              outputs = f.executable->run(inputs);
            }
            py::tuple result(outputs.size());
            for (size_t i = 0; i < outputs.size(); ++i)
              result[i] = py::cast(
                  kiln::trace::LazyTensor::fromTensor(std::move(outputs[i])));
            return result;
          },
          "Runs the function on kiln.Tensors; returns a tuple of results.")
      .def_property_readonly(
          "signature",
          [](const CompiledFunction &f) {
            const kiln::Signature &sig = f.executable->signature();
            py::dict d;
            d["name"] = sig.name;
            d["inputs"] = specsToPython(sig.inputs);
            d["outputs"] = specsToPython(sig.outputs);
            return d;
          },
          "{'name', 'inputs': [(dtype, shape)], 'outputs': [(dtype, shape)]}")
      .def_property_readonly(
          "name", [](const CompiledFunction &f) {
            return f.executable->signature().name;
          })
      .def_readonly("key", &CompiledFunction::key,
                    "The cache key (SHA-256 hex).")
      .def_readonly("origin", &CompiledFunction::origin,
                    "Where it came from: 'memory', 'disk' or 'compiled'.")
      .def_property_readonly(
          "path", [](const CompiledFunction &f) { return f.executable->path(); },
          "The shared library it was loaded from.")
      .def("__repr__", [](const CompiledFunction &f) {
        return "<CompiledFunction " + f.executable->signature().name + " " +
               kiln::formatSignature(f.executable->signature()) + ">";
      });

  compiler.def(
      "compile",
      [](const std::string &source, const std::optional<std::string> &entry,
         bool vectorize,
         bool parallelize, bool externKernels, const std::string &pipeline) {
        kiln::compiler::CompileOptions options;
        options.entry = entry.value_or("");
        options.lowering.vectorize = vectorize;
        options.lowering.parallelize = parallelize;
        options.lowering.externKernels = externKernels;
        options.pipeline = pipeline;
        kiln::compiler::CompileResult result;
        {
          py::gil_scoped_release release;
          result = kiln::compiler::compile(source, options);
        }
        if (!result.executable) {
          std::string message = "compile(): " + result.diagnostics;
          if (result.invalidInput)
            throw py::value_error(message);
          throw std::runtime_error(message);
        }
        return CompiledFunction{result.executable, result.key, result.origin};
      },
      py::arg("source"), py::arg("entry") = py::none(), py::arg("vectorize") = true,
      py::arg("parallelize") = true, py::arg("extern_kernels") = true,
      py::arg("pipeline") = "",
      "Compiles function `entry` (default: the only public one) of MLIR "
      "source to native code, through the in-memory and disk caches. "
      "`pipeline` replaces the lowering stages by a pass list. Raises "
      "ValueError for invalid IR, RuntimeError when lowering fails.");
  compiler.def(
      "stats", [] { return statsToPython(kiln::compiler::stats()); },
      "Cache hits (memory, disk), misses and per-stage compile times (ms).");
  compiler.def("reset_stats", &kiln::compiler::resetStats);
  compiler.def("clear_memory_cache", &kiln::compiler::clearMemoryCache,
               "Forgets compiled functions kept in memory (not on disk).");
}
