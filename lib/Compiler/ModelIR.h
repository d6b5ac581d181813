// The IR of a model file (.kiln): Kiln IR text <-> MLIR bytecode, verified against the model rules.
// Names no MLIR type, so the Python bindings and tools (built with exceptions) can include it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::compiler {

struct ModelIR {
  bool ok = false;
  // Bytecode (modelToBytecode) or the printed module (modelFromBytecode).
  std::string output;
  // Why it was rejected: MLIR's diagnostics or the broken model rule.
  std::string diagnostics;
  struct TensorType {
    std::string element; // "f32", "i64", "i1", ...
    std::vector<int64_t> shape;
  };
  // @forward's argument and result types.
  std::vector<TensorType> arguments, results;
};

// The model rules (docs/file-format.md, "Model files"): a builtin.module
// holding exactly one public func.func @forward with a body; only builtin,
// func (func.func, func.return) and kiln ops; statically shaped tensor
// arguments and results; the module verifies.

// Parses `text` (MLIR assembly), verifies it, checks the rules (unless
// !modelRules: for tests that need hostile model files) and writes MLIR
// bytecode (default writer options).
ModelIR modelToBytecode(const std::string &text, bool modelRules = true);

// Parses `bytes` (MLIR bytecode only), checks the rules and prints the
// module in MLIR's generic op form.
ModelIR modelFromBytecode(const std::string &bytes);

} // namespace kiln::compiler
