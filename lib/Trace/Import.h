// Reads a function printed in MLIR's generic op form back into trace nodes.
#pragma once

#include "lib/Trace/Trace.h"

#include <string>
#include <vector>

namespace kiln::trace {

// `text` is a module holding one func.func in MLIR's generic form, whose
// block arguments stand for `arguments` (in order); records its ops as new
// nodes (through record(), so the grad mode applies) and returns the nodes
// of its func.return operands. Throws kiln::Error on text it cannot read.
std::vector<NodePtr> importFunction(const std::string &text,
                                    const std::vector<NodePtr> &arguments);

// The same in two steps, so that a function read once can be recorded
// again and again (the derivative of a training step's structure).
struct ParsedFunction {
  struct Op {
    const char *op = nullptr; // interned
    std::vector<int> inputs;  // value ids: arguments first, then ops
    DType dtype = DType::Float32;
    IntList sizes;
    std::string attrs;
  };
  int arguments = 0;
  std::vector<Op> ops;
  std::vector<int> results;
};
ParsedFunction parseFunction(const std::string &text);
std::vector<NodePtr> replayFunction(const ParsedFunction &parsed,
                                    const std::vector<NodePtr> &arguments);

} // namespace kiln::trace
