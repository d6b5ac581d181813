// Autograd over the trace: the recorded history of a loss goes through the kiln-autodiff pass, and its gradients come back as pending nodes.
#include "lib/Trace/Autograd.h"

#include "lib/Compiler/Pipeline.h"
#include "lib/Trace/GradGraph.h"
#include "lib/Trace/Import.h"
#include "lib/Trace/Ops.h"
#include "lib/Trace/Program.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace kiln::trace {

namespace {

bool &gradModeRef() {
  static bool enabled = true;
  return enabled;
}

GradCallbacks &callbacks() {
  static GradCallbacks instance;
  return instance;
}

// Sets the grad mode for a scope and restores it, exceptions included.
class GradModeScope {
public:
  explicit GradModeScope(bool enabled) : previous_(gradModeRef()) {
    gradModeRef() = enabled;
  }
  ~GradModeScope() { gradModeRef() = previous_; }
  GradModeScope(const GradModeScope &) = delete;
  GradModeScope &operator=(const GradModeScope &) = delete;

private:
  bool previous_;
};

const char *const kFreedMessage =
    "(): Trying to backward through the graph a second time (or directly "
    "access saved tensors after they have already been freed). Saved "
    "intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors "
    "after calling backward.";

// `stop(node)`: whether gradients stop at `node` (it becomes an argument).
template <typename Stop>
void collect(GradGraph &graph, const NodePtr &root, const char *op, Stop stop) {
  std::vector<std::pair<NodePtr, size_t>> stack{{gradTarget(root), 0}};
  while (!stack.empty()) {
    auto &[node, next] = stack.back();
    bool argument = !node->op || !node->requiresGrad ||
                    !node->gradLeafOf.expired() || stop(node.get());
    if (!argument && next < node->inputs.size()) {
      const NodePtr &input = gradTarget(node->inputs[next++]);
      if (!graph.contains(input.get()))
        stack.push_back({input, 0});
      continue;
    }
    NodePtr done = node;
    stack.pop_back();
    if (graph.contains(done.get()))
      continue;
    if (done->gradFreed)
      fail(ErrorKind::Runtime, op, kFreedMessage);
    if (argument) {
      graph.add(done.get(), true, static_cast<int>(graph.arguments.size()));
      graph.arguments.push_back(done);
    } else {
      graph.add(done.get(), false, static_cast<int>(graph.order.size()));
      graph.order.push_back(done.get());
    }
  }
}

// The graph under `root` differentiated with respect to the arguments at
// `positions`. A training loop differentiates the same structure every
// step: the pass's output is kept per structure (structureKey), so later
// steps skip the text and MLIR.
const ParsedFunction &derive(const char *op, const GradGraph &graph, const NodePtr &root,
                             const std::vector<int> &positions) {
  static std::unordered_map<std::string, ParsedFunction> derivedCache;
  static std::string key; // reused: its capacity outlives the step
  structureKey(key, graph, root, positions);
  auto cached = derivedCache.find(key);
  if (cached == derivedCache.end()) {
    std::string wrtList;
    for (int position : positions)
      wrtList += (wrtList.empty() ? "" : ",") + std::to_string(position);
    compiler::PipelineResult derived = compiler::runPipeline(
        emit(graph, root), "kiln-autodiff{wrt=" + wrtList + "}", /*generic=*/true);
    if (!derived.ok)
      fail(ErrorKind::Runtime, op, "(): the derivative could not be built:\n",
           derived.diagnostics);
    ParsedFunction parsed = parseFunction(derived.output);
    if (derivedCache.size() >= 256)
      derivedCache.clear();
    cached = derivedCache.emplace(key, std::move(parsed)).first;
  }
  return cached->second;
}

// PyTorch's version check: a gradient that reads memory changed in place
// since the forward read it would be silently wrong.
void checkVersions(const char *op, const std::vector<NodePtr> &grads,
                   const GradGraph &graph) {
  std::unordered_set<Node *> seen;
  std::vector<Node *> stack;
  for (const NodePtr &g : grads)
    stack.push_back(g.get());
  while (!stack.empty()) {
    Node *node = stack.back();
    stack.pop_back();
    if (!seen.insert(node).second)
      continue;
    if (graph.isArgument(node)) {
      std::shared_ptr<Base> base = node->leafBase.lock();
      if (base && base->dataVersion != node->leafVersion)
        fail(ErrorKind::Runtime, op,
             "(): one of the variables needed for gradient computation has "
             "been modified by an inplace operation: [",
             kiln::name(node->dtype), " ", formatList(node->sizes),
             "] is at version ", base->dataVersion, "; expected version ",
             node->leafVersion, " instead.");
      continue;
    }
    for (const NodePtr &input : node->inputs)
      stack.push_back(input.get());
  }
}

NodePtr onesLike(const Node &node) {
  return splatNode("backward", Scalar::fromFloat(1.0), node.dtype, node.sizes);
}

NodePtr addNodes(const NodePtr &a, const NodePtr &b) {
  if (!a)
    return b;
  return record("kiln.add", {a, castNode(b, a->dtype)}, a->dtype, a->sizes);
}

// One backward (or autograd.grad) call. Gradients flow from the outputs
// through the recorded history in passes: each pass differentiates the
// graph down to the next boundaries (values with hooks or a retained .grad,
// custom Function outputs, requested non-leaf inputs), whose gradients are
// complete once every later boundary is done. Boundaries are therefore
// handled latest-recorded first, and each starts a pass of its own.
class Engine {
public:
  Engine(const char *op, std::vector<NodePtr> wrt, bool createGraph)
      : op_(op), createGraph_(createGraph), mode_(gradEnabled()),
        wrt_(std::move(wrt)) {
    for (NodePtr &node : wrt_) {
      node = gradTarget(node);
      wrtSet_.insert(node.get());
    }
  }

  // Gradients enter at `nodes` with cotangents `seeds`.
  void route(const std::vector<NodePtr> &nodes, const std::vector<NodePtr> &seeds) {
    std::vector<NodePtr> outs, grads;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i] || !seeds[i])
        continue;
      const NodePtr &node = gradTarget(nodes[i]);
      if (isBoundary(node.get())) {
        addPending(node, seeds[i]);
      } else if (!node->op || !node->requiresGrad || !node->gradLeafOf.expired()) {
        if (wrtSet_.count(node.get()))
          totals_[node.get()] = addNodes(totals_[node.get()], seeds[i]);
      } else {
        outs.push_back(node);
        grads.push_back(seeds[i]);
      }
    }
    if (!outs.empty())
      pass(outs, grads);
  }

  void run() {
    while (!pending_.empty()) {
      auto last = std::prev(pending_.end());
      NodePtr node = last->second.node, grad = last->second.grad;
      pending_.erase(last);
      GradBoundary *boundary = node->boundary.get();
      if (boundary && boundary->function) {
        functionsRun_.push_back(boundary->function);
        runFunction(*boundary->function, node, grad);
        continue;
      }
      grad = callHooks(node, grad);
      if (wrtSet_.count(node.get()))
        totals_[node.get()] = addNodes(totals_[node.get()], grad);
      pass({node}, {grad});
    }
  }

  NodePtr total(const NodePtr &node) const {
    auto found = totals_.find(gradTarget(node).get());
    return found == totals_.end() ? nullptr : found->second;
  }

  void freeGraph() {
    for (Node *node : visited_)
      node->gradFreed = true;
    // A custom Function's context (its saved tensors) goes with the graph.
    for (const std::shared_ptr<CustomFunction> &function : functionsRun_)
      function->object.reset();
  }

private:
  bool isBoundary(Node *node) const {
    if (node->boundary)
      return true;
    return wrtSet_.count(node) && node->op && node->requiresGrad &&
           node->gradLeafOf.expired();
  }

  void addPending(const NodePtr &node, const NodePtr &grad) {
    Entry &entry = pending_[node->seq];
    entry.node = node;
    entry.grad = addNodes(entry.grad, grad);
  }

  // A non-leaf's hooks (their returned tensors replace the gradient), then
  // its retained .grad.
  NodePtr callHooks(const NodePtr &node, NodePtr grad) {
    GradBoundary *boundary = node->boundary.get();
    if (!boundary)
      return grad;
    if (boundary->hooks && callbacks().runHooks) {
      GradModeScope scope(createGraph_ && mode_);
      grad = callbacks().runHooks(boundary->hooks, grad);
    }
    if (boundary->retainGrad) {
      if (!boundary->grad)
        boundary->grad = std::make_shared<LazyTensor>(LazyTensor::fromNode(grad));
      else
        boundary->grad->assign(addNodes(boundary->grad->value(), grad));
    }
    return grad;
  }

  void runFunction(const CustomFunction &function, const NodePtr &popped,
                   const NodePtr &poppedGrad) {
    std::vector<NodePtr> outGrads(function.outputs.size());
    for (size_t i = 0; i < function.outputs.size(); ++i) {
      NodePtr output = function.outputs[i].lock();
      if (!output)
        continue;
      NodePtr grad;
      if (output == popped) {
        grad = poppedGrad;
      } else {
        auto found = pending_.find(output->seq);
        if (found == pending_.end())
          continue;
        grad = found->second.grad;
        pending_.erase(found);
      }
      outGrads[i] = callHooks(output, grad);
    }
    if (!function.object)
      fail(ErrorKind::Runtime, op_, kFreedMessage);
    if (!callbacks().runFunction)
      fail(ErrorKind::Runtime, op_, "(): custom Functions need the Python bindings");
    std::vector<NodePtr> inputGrads;
    {
      GradModeScope scope(createGraph_ && mode_);
      inputGrads = callbacks().runFunction(function, outGrads);
    }
    route(function.inputs, inputGrads);
  }

  // Differentiates sum(outs[i] * grads[i]) down to the next arguments.
  void pass(const std::vector<NodePtr> &outs, const std::vector<NodePtr> &grads) {
    NodePtr root;
    {
      GradModeScope scope(true);
      for (size_t i = 0; i < outs.size(); ++i) {
        NodePtr product = record("kiln.mul", {outs[i], castNode(grads[i], outs[i]->dtype)},
                                 outs[i]->dtype, outs[i]->sizes);
        NodePtr term = outs[i]->sizes.empty()
                           ? product
                           : record("kiln.reduce", {product}, outs[i]->dtype, {},
                                    "dims = array<i64>, kind = #kiln<reduce_kind sum>");
        root = root ? record("kiln.add", {root, castNode(term, root->dtype)}, root->dtype, {})
                    : term;
      }
    }
    std::unordered_set<Node *> starts;
    for (const NodePtr &out : outs)
      starts.insert(out.get());
    GradGraph graph;
    collect(graph, root, op_, [&](Node *node) {
      return !starts.count(node) && isBoundary(node);
    });
    visited_.insert(visited_.end(), graph.order.begin(), graph.order.end());
    // Arguments that take a gradient: requested inputs, boundaries, and
    // leaves (for backward(), which asks for every leaf).
    std::vector<int> positions;
    for (size_t i = 0; i < graph.arguments.size(); ++i) {
      Node *argument = graph.arguments[i].get();
      if (!argument->requiresGrad || starts.count(argument))
        continue;
      if (wrtSet_.count(argument) || isBoundary(argument))
        positions.push_back(static_cast<int>(i));
    }
    if (positions.empty())
      return;
    const ParsedFunction &derived = derive(op_, graph, root, positions);
    std::vector<NodePtr> values;
    {
      GradModeScope scope(createGraph_ && mode_);
      values = replayFunction(derived, graph.arguments);
    }
    if (values.size() != positions.size() + 1)
      fail(ErrorKind::Runtime, op_, "(): internal error: the derivative has ",
           values.size(), " results for ", positions.size(), " inputs");
    std::vector<NodePtr> argumentGrads(values.begin() + 1, values.end());
    checkVersions(op_, argumentGrads, graph);
    std::vector<NodePtr> targets;
    for (int position : positions)
      targets.push_back(graph.arguments[position]);
    route(targets, argumentGrads);
  }

  struct Entry {
    NodePtr node, grad;
  };

  const char *op_;
  bool createGraph_, mode_;
  std::vector<NodePtr> wrt_;
  std::unordered_set<Node *> wrtSet_;
  std::unordered_map<Node *, NodePtr> totals_;
  // Boundaries waiting for their gradient to be complete, by recording order.
  std::map<uint64_t, Entry> pending_;
  std::vector<Node *> visited_;
  std::vector<std::shared_ptr<CustomFunction>> functionsRun_;
};

// The gradient nodes of the outputs and their cotangents (ones for a
// one-element output without one), with PyTorch's errors.
void seedsOf(const char *op, const std::vector<const LazyTensor *> &outputs,
             const std::vector<const LazyTensor *> &gradOutputs,
             std::vector<NodePtr> &nodes, std::vector<NodePtr> &seeds) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const LazyTensor &out = *outputs[i];
    NodePtr node = out.gradValue();
    if (!node)
      fail(ErrorKind::Runtime, op, "(): element ", i,
           " of tensors does not require grad and does not have a grad_fn");
    if (!isFloatingPoint(node->dtype))
      fail(ErrorKind::Runtime, op, "(): only Tensors of floating point dtype can require gradients");
    const LazyTensor *seed = i < gradOutputs.size() ? gradOutputs[i] : nullptr;
    NodePtr value;
    if (seed) {
      if (seed->sizes() != out.sizes())
        fail(ErrorKind::Runtime, op, "(): Mismatch in shape: grad_output[", i,
             "] has a shape of ", formatList(seed->sizes()),
             " and output[", i, "] has a shape of ", formatList(out.sizes()), ".");
      value = castNode(seed->value(), node->dtype);
    } else {
      if (out.numel() != 1)
        fail(ErrorKind::Runtime, op, "(): grad can be implicitly created only for scalar outputs");
      value = onesLike(*node);
    }
    nodes.push_back(node);
    seeds.push_back(value);
  }
}

} // namespace

bool gradEnabled() { return gradModeRef(); }
void setGradEnabled(bool enabled) { gradModeRef() = enabled; }
void setGradCallbacks(GradCallbacks callbacks_) { callbacks() = std::move(callbacks_); }

std::vector<NodePtr> gradients(const char *op,
                               const std::vector<const LazyTensor *> &outputs,
                               const std::vector<const LazyTensor *> &gradOutputs,
                               const std::vector<NodePtr> &wrt, bool retainGraph,
                               bool createGraph) {
  std::vector<NodePtr> nodes, seeds;
  {
    GradModeScope scope(true);
    seedsOf(op, outputs, gradOutputs, nodes, seeds);
  }
  Engine engine(op, wrt, createGraph);
  engine.route(nodes, seeds);
  engine.run();
  if (!retainGraph)
    engine.freeGraph();
  std::vector<NodePtr> result;
  for (const NodePtr &node : wrt)
    result.push_back(engine.total(node));
  return result;
}

namespace {

// The leaves that require grad and that `roots` depend on (through custom
// Functions too), with their nodes.
void reachableLeaves(const std::vector<NodePtr> &roots, std::vector<NodePtr> &leaves) {
  std::unordered_set<Node *> seen;
  std::vector<NodePtr> stack;
  for (const NodePtr &root : roots)
    stack.push_back(gradTarget(root));
  while (!stack.empty()) {
    NodePtr node = stack.back();
    stack.pop_back();
    if (!seen.insert(node.get()).second)
      continue;
    if (!node->gradLeafOf.expired()) {
      leaves.push_back(node);
      continue;
    }
    if (node->boundary && node->boundary->function) {
      for (const NodePtr &input : node->boundary->function->inputs)
        if (input)
          stack.push_back(gradTarget(input));
      continue;
    }
    if (!node->op || !node->requiresGrad)
      continue;
    for (const NodePtr &input : node->inputs)
      stack.push_back(gradTarget(input));
  }
}

} // namespace

void backward(const std::vector<const LazyTensor *> &outputs,
              const std::vector<const LazyTensor *> &gradOutputs,
              const std::vector<const LazyTensor *> &inputs, bool retainGraph,
              bool createGraph) {
  std::vector<NodePtr> targets;
  if (inputs.empty()) {
    std::vector<NodePtr> roots;
    for (const LazyTensor *out : outputs)
      if (NodePtr node = out->gradValue())
        roots.push_back(node);
    reachableLeaves(roots, targets);
  } else {
    for (const LazyTensor *input : inputs) {
      NodePtr node = input->gradValue();
      if (!node)
        fail(ErrorKind::Runtime, "backward(): One of the differentiated Tensors does not require grad");
      targets.push_back(node);
    }
  }
  std::vector<NodePtr> grads =
      gradients("backward", outputs, gradOutputs, targets, retainGraph, createGraph);
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!grads[i])
      continue;
    NodePtr target = gradTarget(targets[i]);
    NodePtr grad = grads[i];
    std::shared_ptr<Base> leaf = target->gradLeafOf.lock();
    std::shared_ptr<LazyTensor> *slot;
    if (leaf) {
      if (leaf->hooks && callbacks().runHooks) {
        GradModeScope scope(createGraph && gradEnabled());
        grad = callbacks().runHooks(leaf->hooks, grad);
      }
      slot = &leaf->grad;
    } else {
      // A non-leaf named in inputs=: its .grad is kept as a retained one.
      if (!target->boundary)
        target->boundary = std::make_shared<GradBoundary>();
      slot = &target->boundary->grad;
    }
    if (!*slot)
      *slot = std::make_shared<LazyTensor>(LazyTensor::fromNode(grad));
    else
      (*slot)->assign(addNodes((*slot)->value(), grad));
  }
}

std::vector<LazyTensor> attachFunction(const std::shared_ptr<CustomFunction> &function,
                                       const std::vector<const LazyTensor *> &outputs) {
  std::vector<LazyTensor> result;
  function->outputs.clear();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const LazyTensor &out = *outputs[i];
    if (!isFloatingPoint(out.dtype())) {
      function->outputs.emplace_back();
      result.push_back(out);
      continue;
    }
    NodePtr node;
    {
      GradModeScope scope(false);
      // A node of its own, even when forward returned an input unchanged.
      node = record("kiln.reshape", {out.value()}, out.dtype(), out.sizes());
    }
    node->requiresGrad = true;
    node->boundary = std::make_shared<GradBoundary>();
    node->boundary->function = function;
    node->boundary->outputIndex = i;
    function->outputs.push_back(node);
    result.push_back(LazyTensor::fromNode(node));
  }
  return result;
}

std::shared_ptr<GradBoundary> LazyTensor::gradBoundary(bool create) const {
  if (isLeaf())
    return nullptr;
  NodePtr node = gradValue();
  if (!node)
    return nullptr;
  const NodePtr &target = gradTarget(node);
  if (!target->boundary && create)
    target->boundary = std::make_shared<GradBoundary>();
  return target->boundary;
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
  // A detached tensor shares its base with a tensor that keeps its own
  // requires_grad: it becomes a leaf of its own (a lazy copy of the value).
  if (detached_ && requiresGrad)
    *this = copyOf(*this);
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
