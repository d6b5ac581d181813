// Trace internals shared by Trace.cpp and Program.cpp: the registry of pending bases and materialization.
#pragma once

#include "lib/Trace/Trace.h"

namespace kiln::trace {

// "tensor<2x3xf32>", the node's result type in MLIR.
void appendType(std::string &out, const Node &node);
// Ends the generic form of `node`'s op after its operands (shared by the
// trace's and autograd's emitters): `) <{attrs}> : (operandTypes) -> type`
// and a newline.
void appendOpEnd(std::string &out, const Node &node, const std::string &operandTypes);
// Makes `node` the pending value of `base` (registering the base).
void setPending(Base &base, NodePtr node);
// Drops `base` from the registry of pending bases.
void unregisterPending(Base &base);
// Counts a recorded node and stamps its sequence number.
void noteRecorded(Node &node);
// Computes `node` (with every pending base, so that no pending graph still
// reads memory that is about to be written) and returns its value.
Tensor materializeValue(const NodePtr &node);

} // namespace kiln::trace
