// Printing an autograd pass's graph: MLIR text for kiln-autodiff, bytes for the derivative cache.
#include "lib/Trace/GradGraph.h"

#include "lib/Trace/Program.h"
#include "runtime/core/Error.h"

namespace kiln::trace {

namespace {

std::string name(const GradGraph &graph, const NodePtr &value) {
  Node *node = gradTarget(value).get();
  if (!graph.contains(node))
    fail(ErrorKind::Runtime, "backward(): internal error: a value outside the differentiated graph");
  return (graph.isArgument(node) ? "%a" : "%v") + std::to_string(node->gradId);
}

} // namespace

std::string emit(const GradGraph &graph, const NodePtr &root) {
  std::string out = "func.func @grad(";
  for (size_t i = 0; i < graph.arguments.size(); ++i) {
    out += (i ? ", %a" : "%a") + std::to_string(i) + ": ";
    appendType(out, *graph.arguments[i]);
  }
  out += ") -> ";
  appendType(out, *root);
  out += " {\n";
  for (Node *node : graph.order) {
    out += "  %v" + std::to_string(node->gradId) + " = \"" + node->op + "\"(";
    std::string types;
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      out += (i ? ", " : "") + name(graph, node->inputs[i]);
      if (i)
        types += ", ";
      appendType(types, *node->inputs[i]);
    }
    appendOpEnd(out, *node, types);
  }
  out += "  return " + name(graph, root) + " : ";
  appendType(out, *root);
  return out + "\n}\n";
}

void structureKey(std::string &key, const GradGraph &graph, const NodePtr &root,
                  const std::vector<int> &positions) {
  key.clear();
  auto raw = [&key](const auto &value) {
    key.append(reinterpret_cast<const char *>(&value), sizeof value);
  };
  auto type = [&](const Node &node) {
    raw(static_cast<uint8_t>(node.dtype));
    raw(static_cast<uint8_t>(node.sizes.size()));
    key.append(reinterpret_cast<const char *>(node.sizes.data()),
               node.sizes.size() * sizeof(int64_t));
  };
  auto ref = [&](const NodePtr &value) {
    Node *node = gradTarget(value).get();
    if (!graph.contains(node))
      fail(ErrorKind::Runtime, "backward(): internal error: a value outside the differentiated graph");
    int32_t id = node->gradId;
    raw(graph.isArgument(node) ? -1 - id : id);
  };
  raw(static_cast<uint32_t>(positions.size()));
  for (int position : positions)
    raw(static_cast<int32_t>(position));
  raw(static_cast<uint32_t>(graph.arguments.size()));
  for (const NodePtr &argument : graph.arguments)
    type(*argument);
  for (Node *node : graph.order) {
    raw(node->op);
    raw(static_cast<uint32_t>(node->inputs.size()));
    for (const NodePtr &input : node->inputs) {
      ref(input);
      type(*input);
    }
    raw(static_cast<uint32_t>(node->attrs.size()));
    key += node->attrs;
    type(*node);
  }
  ref(root);
  type(*root);
}

} // namespace kiln::trace
