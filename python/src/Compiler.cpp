// Binds lib/'s text-in, text-out compiler entry points as kiln._C.compiler.
#include "python/src/Bindings.h"

#include "lib/Compiler/Pipeline.h"

#include <pybind11/pybind11.h>

namespace py = pybind11;

void bindCompiler(py::module_ &m) {
  py::module_ compiler = m.def_submodule(
      "compiler", "Kiln IR through the compiler's passes (text in, text out)");
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
}
