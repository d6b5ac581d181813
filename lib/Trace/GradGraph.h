// The graph one autograd pass differentiates (Autograd.cpp), and its two
// printings: MLIR text for the kiln-autodiff pass, bytes for the derivative
// cache's key. Private to lib/Trace.
#pragma once

#include "lib/Trace/Trace.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::trace {

// Where gradients continue from `node`: a memory leaf with history stands for
// that history.
inline const NodePtr &gradTarget(const NodePtr &node) {
  const NodePtr *current = &node;
  while (!(*current)->op && (*current)->gradSource)
    current = &(*current)->gradSource;
  return *current;
}

// The nodes gradients flow through, from a root down to the arguments:
// leaves, values without history, boundaries and the requested inputs.
// Its nodes carry their number (Node::gradEpoch/gradId/gradArgument), as a
// cut's do: no hash maps per step.
struct GradGraph {
  std::vector<Node *> order; // ops, inputs first
  std::vector<NodePtr> arguments;
  uint64_t epoch;

  GradGraph() {
    static uint64_t epochs = 0;
    epoch = ++epochs;
  }
  bool contains(const Node *node) const { return node->gradEpoch == epoch; }
  bool isArgument(const Node *node) const { return contains(node) && node->gradArgument; }
  void add(Node *node, bool argument, int id) const {
    node->gradEpoch = epoch;
    node->gradArgument = argument;
    node->gradId = id;
  }
};

// The graph as a function @grad(arguments) -> root, in Kiln IR's generic form.
std::string emit(const GradGraph &graph, const NodePtr &root);

// The structure emit() prints, as bytes (interned op names stand for
// themselves), with the differentiated positions, into `key`: the derivative
// cache's key, so that a step differentiated before builds no text.
void structureKey(std::string &key, const GradGraph &graph, const NodePtr &root,
                  const std::vector<int> &positions);

} // namespace kiln::trace
