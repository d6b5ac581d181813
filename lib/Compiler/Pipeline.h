// Runs Kiln IR text through a textual pass pipeline; the header names no MLIR type, so
// runtime users and the Python bindings (built with RTTI and exceptions) can include it.
#pragma once

#include <string>

namespace kiln::compiler {

struct PipelineResult {
  bool ok = false;
  // The module printed after the pipeline ran (empty when !ok).
  std::string output;
  // Every diagnostic MLIR emitted, one per line, with its location.
  std::string diagnostics;
};

// Parses `source` (MLIR assembly using the Kiln dialect), verifies it, runs
// `pipeline` (a pass list as kiln-opt takes it, e.g. "canonicalize,cse"; empty
// runs none) and prints the result (in MLIR's generic op form when `generic`,
// which the trace reads back). Errors come back in `diagnostics`.
PipelineResult runPipeline(const std::string &source, const std::string &pipeline,
                           bool generic = false);

} // namespace kiln::compiler
