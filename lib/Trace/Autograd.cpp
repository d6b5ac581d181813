// Autograd over the trace: the recorded history of a loss goes through the kiln-autodiff pass, and its gradients come back as pending nodes.
#include "lib/Trace/Autograd.h"

#include "lib/Compiler/Pipeline.h"
#include "lib/Trace/Import.h"
#include "lib/Trace/Ops.h"
#include "lib/Trace/Program.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace kiln::trace {

namespace {

bool &gradModeRef() {
  static bool enabled = true;
  return enabled;
}

// The nodes gradients flow through, from `root` down to the arguments: leaves
// that require grad (or the explicit inputs), and values without history.
struct GradGraph {
  std::vector<Node *> order; // ops, inputs first
  std::vector<NodePtr> arguments;
  std::unordered_map<Node *, int> ids;
  std::unordered_set<Node *> isArgument;
};

// Where gradients continue from `node`: a memory leaf with history stands for
// that history.
const NodePtr &gradTarget(const NodePtr &node) {
  const NodePtr *current = &node;
  while (!(*current)->op && (*current)->gradSource)
    current = &(*current)->gradSource;
  return *current;
}

void collect(GradGraph &graph, const NodePtr &root,
             const std::unordered_set<Node *> &explicitInputs) {
  std::vector<std::pair<NodePtr, size_t>> stack{{gradTarget(root), 0}};
  while (!stack.empty()) {
    auto &[node, next] = stack.back();
    bool argument = !node->op || !node->requiresGrad ||
                    !node->gradLeafOf.expired() || explicitInputs.count(node.get());
    if (!argument && next < node->inputs.size()) {
      const NodePtr &input = gradTarget(node->inputs[next++]);
      if (!graph.ids.count(input.get()))
        stack.push_back({input, 0});
      continue;
    }
    NodePtr done = node;
    stack.pop_back();
    if (graph.ids.count(done.get()))
      continue;
    if (done->gradFreed)
      fail(ErrorKind::Runtime,
           "backward(): Trying to backward through the graph a second time "
           "(or directly access saved tensors after they have already been "
           "freed). Saved intermediate values of the graph are freed when you "
           "call .backward() or autograd.grad(). Specify retain_graph=True if "
           "you need to backward through the graph a second time or if you "
           "need to access saved tensors after calling backward.");
    if (argument) {
      graph.ids[done.get()] = static_cast<int>(graph.arguments.size());
      graph.isArgument.insert(done.get());
      graph.arguments.push_back(done);
    } else {
      graph.ids[done.get()] = static_cast<int>(graph.order.size());
      graph.order.push_back(done.get());
    }
  }
}

std::string name(const GradGraph &graph, const NodePtr &value) {
  Node *node = gradTarget(value).get();
  return (graph.isArgument.count(node) ? "%a" : "%v") +
         std::to_string(graph.ids.at(node));
}

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
    out += "  %v" + std::to_string(graph.ids.at(node)) + " = \"" + node->op + "\"(";
    std::string types;
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      out += (i ? ", " : "") + name(graph, node->inputs[i]);
      if (i)
        types += ", ";
      appendType(types, *node->inputs[i]);
    }
    out += ")";
    if (!node->attrs.empty())
      out += " <{" + node->attrs + "}>";
    out += " : (" + types + ") -> ";
    appendType(out, *node);
    out += "\n";
  }
  out += "  return " + name(graph, root) + " : ";
  appendType(out, *root);
  return out + "\n}\n";
}

// sum(output * gradOutput) over every pair, as one 0-d node.
NodePtr scalarRoot(const char *op, const std::vector<const LazyTensor *> &outputs,
                   const std::vector<const LazyTensor *> &gradOutputs) {
  NodePtr root;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const LazyTensor &out = *outputs[i];
    NodePtr node = out.gradValue();
    if (!node)
      fail(ErrorKind::Runtime, op, "(): element ", i,
           " of tensors does not require grad and does not have a grad_fn");
    if (!isFloatingPoint(node->dtype))
      fail(ErrorKind::Runtime, op, "(): only Tensors of floating point dtype can require gradients");
    const LazyTensor *seed = i < gradOutputs.size() ? gradOutputs[i] : nullptr;
    NodePtr term;
    if (seed) {
      if (seed->sizes() != out.sizes())
        fail(ErrorKind::Runtime, op, "(): Mismatch in shape: grad_output[", i,
             "] has a shape of ", formatList(seed->sizes()),
             " and output[", i, "] has a shape of ", formatList(out.sizes()), ".");
      NodePtr weight = castNode(seed->value(), node->dtype);
      NodePtr product = record("kiln.mul", {node, weight}, node->dtype, node->sizes);
      term = node->sizes.empty()
                 ? product
                 : record("kiln.reduce", {product}, node->dtype, {},
                          "dims = array<i64>, kind = #kiln<reduce_kind sum>");
    } else {
      if (out.numel() != 1)
        fail(ErrorKind::Runtime, op, "(): grad can be implicitly created only for scalar outputs");
      term = node->sizes.empty() ? node : record("kiln.reshape", {node}, node->dtype, {});
    }
    root = root ? record("kiln.add", {root, castNode(term, root->dtype)}, root->dtype, {}) : term;
  }
  return root;
}

// The argument positions of `wrt` that the graph reaches, sorted, unique.
std::vector<int> wrtPositions(const GradGraph &graph, const std::vector<Node *> &wrt) {
  std::vector<int> positions;
  for (Node *node : wrt)
    if (graph.isArgument.count(node))
      positions.push_back(graph.ids.at(node));
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  return positions;
}

} // namespace

bool gradEnabled() { return gradModeRef(); }
void setGradEnabled(bool enabled) { gradModeRef() = enabled; }

std::vector<NodePtr> gradients(const char *op,
                               const std::vector<const LazyTensor *> &outputs,
                               const std::vector<const LazyTensor *> &gradOutputs,
                               const std::vector<NodePtr> &wrt, bool retainGraph,
                               bool createGraph) {
  bool mode = gradEnabled();
  setGradEnabled(true);
  NodePtr root;
  try {
    root = scalarRoot(op, outputs, gradOutputs);
  } catch (...) {
    setGradEnabled(mode);
    throw;
  }
  setGradEnabled(mode);
  std::unordered_set<Node *> explicitInputs;
  std::vector<Node *> wrtNodes;
  for (const NodePtr &node : wrt) {
    Node *target = gradTarget(node).get();
    explicitInputs.insert(target);
    wrtNodes.push_back(target);
  }
  GradGraph graph;
  collect(graph, root, explicitInputs);
  std::vector<int> positions = wrtPositions(graph, wrtNodes);
  std::vector<NodePtr> result(wrt.size());
  if (!positions.empty()) {
    std::string wrtList;
    for (int position : positions)
      wrtList += (wrtList.empty() ? "" : ",") + std::to_string(position);
    std::string source = emit(graph, root);
    std::string pipeline = "kiln-autodiff{wrt=" + wrtList + "}";
    // A training loop differentiates the same structure every step: keep the
    // pass's output per (function, options), so later steps skip MLIR.
    static std::unordered_map<std::string, std::string> derivedCache;
    std::string cacheKey = pipeline + "\n" + source;
    auto cached = derivedCache.find(cacheKey);
    if (cached == derivedCache.end()) {
      compiler::PipelineResult derived =
          compiler::runPipeline(source, pipeline, /*generic=*/true);
      if (!derived.ok)
        fail(ErrorKind::Runtime, op, "(): the derivative could not be built:\n",
             derived.diagnostics);
      if (derivedCache.size() >= 256)
        derivedCache.clear();
      cached = derivedCache.emplace(cacheKey, std::move(derived.output)).first;
    }
    const std::string &derivedText = cached->second;
    const std::vector<NodePtr> &arguments = graph.arguments;
    setGradEnabled(createGraph && mode);
    std::vector<NodePtr> values;
    try {
      values = importFunction(derivedText, arguments);
    } catch (...) {
      setGradEnabled(mode);
      throw;
    }
    setGradEnabled(mode);
    // values: the root, then one gradient per wrt argument in list order.
    // The pass returns the root, then a gradient per position in order.
    if (values.size() != positions.size() + 1)
      fail(ErrorKind::Runtime, op, "(): internal error: the derivative has ",
           values.size(), " results for ", positions.size(), " inputs");
    for (size_t k = 0; k < positions.size(); ++k)
      for (size_t i = 0; i < wrt.size(); ++i)
        if (graph.isArgument.count(wrtNodes[i]) &&
            graph.ids.at(wrtNodes[i]) == positions[k])
          result[i] = values[k + 1];
  }
  if (!retainGraph)
    for (Node *node : graph.order)
      node->gradFreed = true;
  return result;
}

std::vector<std::shared_ptr<Base>> reachableLeaves(
    const std::vector<const LazyTensor *> &outputs) {
  GradGraph graph;
  for (const LazyTensor *out : outputs)
    if (NodePtr node = out->gradValue())
      collect(graph, node, {});
  std::vector<std::shared_ptr<Base>> leaves;
  for (const NodePtr &argument : graph.arguments)
    if (std::shared_ptr<Base> base = argument->gradLeafOf.lock())
      leaves.push_back(std::move(base));
  return leaves;
}

void backward(const std::vector<const LazyTensor *> &outputs,
              const std::vector<const LazyTensor *> &gradOutputs,
              bool retainGraph, bool createGraph) {
  // The leaves reachable from the outputs receive gradients.
  bool mode = gradEnabled();
  setGradEnabled(true);
  NodePtr root = scalarRoot("backward", outputs, gradOutputs);
  setGradEnabled(mode);
  std::vector<NodePtr> leaves;
  std::vector<std::shared_ptr<Base>> bases;
  GradGraph probe;
  collect(probe, root, {});
  for (const NodePtr &argument : probe.arguments) {
    std::shared_ptr<Base> base = argument->gradLeafOf.lock();
    if (!base)
      continue;
    bases.push_back(base);
    leaves.push_back(argument);
  }
  std::vector<NodePtr> grads =
      gradients("backward", outputs, gradOutputs, leaves, retainGraph, createGraph);
  for (size_t i = 0; i < bases.size(); ++i) {
    if (!grads[i])
      continue;
    Base &base = *bases[i];
    if (!base.grad) {
      base.grad = std::make_shared<LazyTensor>(LazyTensor::fromNode(grads[i]));
    } else {
      NodePtr sum = record("kiln.add", {base.grad->value(), grads[i]},
                           grads[i]->dtype, grads[i]->sizes);
      base.grad->assign(sum);
    }
  }
}

bool LazyTensor::isLeaf() const {
  if (!base_->gradNode || detached_)
    return true;
  return isWholeBase() && base_->leafRequiresGrad;
}

void LazyTensor::setRequiresGrad(bool requiresGrad) {
  if (!isLeaf())
    fail(ErrorKind::Runtime,
         "requires_grad_(): you can only change requires_grad flags of leaf "
         "variables. If you want to use a computed variable in a subgraph that "
         "doesn't require differentiation use var_no_grad = var.detach().");
  if (requiresGrad && !isFloatingPoint(dtype()))
    fail(ErrorKind::Runtime, "requires_grad_(): only Tensors of floating point dtype can require gradients");
  if (!isWholeBase())
    fail(ErrorKind::Runtime, "requires_grad_(): Kiln supports requires_grad only on whole tensors, not on views");
  base_->leafRequiresGrad = requiresGrad;
  base_->leafNode.reset();
  base_->gradNode.reset();
  base_->version++;
  if (requiresGrad)
    value(); // creates the leaf's node (flagged)
}

const char *LazyTensor::viewGradFnName() const {
  if (!chain_)
    return opaque_ ? "AsStridedBackward0" : nullptr;
  switch (chain_->step.kind) {
  case ViewStep::Reshape: return "ViewBackward0";
  case ViewStep::Permute: return "PermuteBackward0";
  case ViewStep::Slice: return "SliceBackward0";
  case ViewStep::Broadcast: return "ExpandBackward0";
  }
  return nullptr;
}

LazyTensor LazyTensor::detach() const {
  LazyTensor result = *this;
  result.detached_ = true;
  result.cached_.reset();
  return result;
}

LazyTensor LazyTensor::copyOf(const LazyTensor &value) {
  bool mode = gradEnabled();
  setGradEnabled(false);
  NodePtr node;
  try {
    node = value.value();
    // A node with history gets a grad-free alias, so the copy has none.
    if (node->requiresGrad)
      node = record("kiln.reshape", {node}, node->dtype, node->sizes);
  } catch (...) {
    setGradEnabled(mode);
    throw;
  }
  setGradEnabled(mode);
  return fromNode(std::move(node));
}

void LazyTensor::setData(const LazyTensor &value) {
  if (!isWholeBase())
    fail(ErrorKind::Runtime, "data: Kiln assigns .data only to whole tensors, not to views");
  LazyTensor next = copyOf(value);
  Base &from = *base_, &to = *next.base_;
  to.grad = std::move(from.grad);
  to.retainGrad = from.retainGrad;
  to.hooks = std::move(from.hooks);
  bool leaf = from.leafRequiresGrad;
  *this = std::move(next);
  if (leaf)
    setRequiresGrad(true);
}

NodePtr LazyTensor::gradValue() const {
  if (!requiresGrad())
    return nullptr;
  NodePtr node = value();
  return node->requiresGrad ? node : nullptr;
}

} // namespace kiln::trace
