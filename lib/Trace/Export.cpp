// Capture for kiln.jit.trace: arguments pending on their own leaves, then one Kiln IR function of the outputs' graph.
#include "lib/Trace/Export.h"

#include "lib/Trace/Program.h"
#include "runtime/core/Error.h"

#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace kiln::trace {

namespace {

struct Argument {
  std::shared_ptr<Base> base;
  NodePtr leaf;
  NodePtr savedLeafNode;
  bool savedLeafRequiresGrad = false;
  uint64_t savedDataVersion = 0;
};

struct Capture {
  bool active = false;
  std::vector<Argument> arguments;
  std::vector<std::string> eager;
  // Bases materialized while capturing, with the node they were pending on.
  std::vector<std::pair<std::weak_ptr<Base>, Node *>> values;
};

Capture &capture() {
  static Capture *c = new Capture();
  return *c;
}

using LeafKey = std::tuple<const void *, int64_t, IntList, IntList, DType>;

LeafKey keyOf(const Tensor &t) {
  return {t.storage().id(), t.storageOffset(), t.sizes(), t.strides(),
          t.dtype()};
}

std::string typeText(const Node &node) {
  std::string out;
  appendType(out, node);
  return out;
}

} // namespace

bool capturing() { return capture().active; }

void noteEagerKernel(const char *name) {
  if (capture().active)
    capture().eager.push_back(name);
}

bool isCaptureArgument(const Base &base) {
  if (!capture().active || !base.pending || base.pending->op)
    return false;
  for (const Argument &a : capture().arguments)
    if (a.base.get() == &base)
      return a.leaf == base.pending;
  return false;
}

void noteCapturedValue(const std::shared_ptr<Base> &base) {
  capture().values.push_back({base, base->pending.get()});
}

void beginCapture(const std::vector<LazyTensor> &arguments) {
  Capture &c = capture();
  if (c.active)
    fail(ErrorKind::Runtime,
         "kiln.jit.trace(): a trace is already running (tracing is not "
         "reentrant)");
  std::unordered_set<const Base *> seen;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const LazyTensor &t = arguments[i];
    if (!t.isWholeBase())
      fail(ErrorKind::Value, "kiln.jit.trace(): argument ", i,
           " is a view of another tensor; pass a whole tensor");
    if (!seen.insert(t.base().get()).second)
      fail(ErrorKind::Value, "kiln.jit.trace(): argument ", i,
           " is the same tensor as an earlier argument");
  }
  c.arguments.clear();
  c.eager.clear();
  c.values.clear();
  // All at once, before any argument is pending on its leaf: a program that
  // computed a pending argument would take it off its leaf again.
  std::vector<const LazyTensor *> all;
  for (const LazyTensor &t : arguments)
    all.push_back(&t);
  materialize(all);
  for (const LazyTensor &t : arguments) {
    Argument a;
    a.base = t.base();
    Base &b = *a.base;
    a.savedLeafNode = b.leafNode;
    a.savedLeafRequiresGrad = b.leafRequiresGrad;
    a.savedDataVersion = b.dataVersion;
    a.leaf = leafOf(b.meta);
    a.leaf->leafBase = a.base;
    b.leafRequiresGrad = false;
    setPending(b, a.leaf);
    c.arguments.push_back(std::move(a));
  }
  c.active = true;
}

CaptureSummary endCapture() {
  Capture &c = capture();
  CaptureSummary summary;
  if (!c.active)
    return summary;
  c.active = false;
  for (size_t i = 0; i < c.arguments.size(); ++i) {
    Argument &a = c.arguments[i];
    Base &b = *a.base;
    b.leafRequiresGrad = a.savedLeafRequiresGrad;
    if (b.pending == a.leaf) {
      unregisterPending(b);
      b.pending.reset();
      b.leafNode = a.savedLeafNode;
      b.dataVersion = a.savedDataVersion;
      b.version++;
    } else {
      // Updated in place: the update stays, computed with the next program.
      summary.modified.push_back(i);
      b.updatedInPlace = true;
    }
  }
  // Values computed while capturing stayed pending; their memory is current.
  for (auto &[weak, node] : c.values) {
    std::shared_ptr<Base> base = weak.lock();
    if (!base || base->pending.get() != node)
      continue;
    unregisterPending(*base);
    base->pending.reset();
    base->leafNode.reset();
    base->updatedInPlace = false;
    base->version++;
  }
  summary.eagerKernels = std::move(c.eager);
  c.arguments.clear();
  c.values.clear();
  return summary;
}

ExportedFunction exportCapture(const std::vector<LazyTensor> &outputs,
                               const std::string &function) {
  Capture &c = capture();
  if (!c.active)
    fail(ErrorKind::Runtime, "internal: exportCapture() outside a capture");
  std::unordered_map<const Node *, int> arguments;
  std::unordered_set<const void *> argumentStorage;
  for (size_t i = 0; i < c.arguments.size(); ++i) {
    arguments[c.arguments[i].leaf.get()] = static_cast<int>(i);
    argumentStorage.insert(c.arguments[i].base->meta.storage().id());
  }

  // A reshape to the same sizes (a detached leaf's alias) is its input.
  auto resolve = [](const Node *node) {
    while (node->op && std::strcmp(node->op, "kiln.reshape") == 0 &&
           node->inputs[0]->sizes == node->sizes &&
           node->inputs[0]->dtype == node->dtype)
      node = node->inputs[0].get();
    return node;
  };
  // Post-order walk: constants in discovery order, ops inputs-first.
  std::vector<const Node *> roots;
  std::vector<NodePtr> keep;
  for (const LazyTensor &t : outputs) {
    keep.push_back(t.value());
    roots.push_back(resolve(keep.back().get()));
  }
  std::unordered_map<const Node *, int> constantOf, opOf;
  std::map<LeafKey, int> constantKeys;
  std::vector<const Node *> constants, ops;
  std::unordered_set<const Node *> done;
  for (const Node *root : roots) {
    std::vector<std::pair<const Node *, size_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto &[node, next] = stack.back();
      if (done.count(node)) {
        stack.pop_back();
        continue;
      }
      if (next < node->inputs.size()) {
        const Node *input = resolve(node->inputs[next++].get());
        if (!done.count(input))
          stack.push_back({input, 0});
        continue;
      }
      const Node *finished = node;
      stack.pop_back();
      done.insert(finished);
      if (finished->op) {
        opOf[finished] = static_cast<int>(ops.size());
        ops.push_back(finished);
        continue;
      }
      if (arguments.count(finished))
        continue;
      const Tensor &t = finished->leaf;
      if (argumentStorage.count(t.storage().id()))
        fail(ErrorKind::NotImplemented,
             "kiln.jit.trace(): the traced function reads an input or module "
             "state through a view that the trace could not record (",
             name(t.dtype()), formatList(t.sizes()),
             "); as_strided-like views of traced tensors cannot be exported");
      auto [it, inserted] =
          constantKeys.emplace(keyOf(t), static_cast<int>(constants.size()));
      if (inserted)
        constants.push_back(finished);
      constantOf[finished] = it->second;
    }
  }

  ExportedFunction result;
  int nArgs = static_cast<int>(c.arguments.size());
  int nConsts = static_cast<int>(constants.size());
  auto idOf = [&](const Node *node) {
    auto a = arguments.find(node);
    if (a != arguments.end())
      return a->second;
    auto k = constantOf.find(node);
    if (k != constantOf.end())
      return nArgs + k->second;
    return nArgs + nConsts + opOf.at(node);
  };
  auto valueName = [&](int id) {
    return id < nArgs + nConsts ? "%arg" + std::to_string(id)
                                : "%" + std::to_string(id - nArgs - nConsts);
  };

  std::string &out = result.text;
  out = "module {\n  func.func @" + function + "(";
  for (int i = 0; i < nArgs + nConsts; ++i) {
    const Node &node =
        i < nArgs ? *c.arguments[i].leaf : *constants[i - nArgs];
    out += (i ? ", " : "") + valueName(i) + ": " + typeText(node);
  }
  std::string resultTypes;
  for (size_t i = 0; i < roots.size(); ++i)
    resultTypes += (i ? ", " : "") + typeText(*roots[i]);
  out += ") -> (" + resultTypes + ") {\n";
  for (const Node *node : ops) {
    ExportedOp op;
    op.op = node->op;
    op.attrs = node->attrs;
    op.dtype = node->dtype;
    op.sizes = node->sizes;
    std::string operands, types;
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      int id = idOf(resolve(node->inputs[i].get()));
      op.inputs.push_back(id);
      operands += (i ? ", " : "") + valueName(id);
      types += (i ? ", " : "") + typeText(*node->inputs[i]);
    }
    out += "    " + valueName(idOf(node)) + " = \"" + node->op + "\"(" +
           operands + ")";
    if (!node->attrs.empty())
      out += " <{" + node->attrs + "}>";
    out += " : (" + types + ") -> " + typeText(*node) + "\n";
    result.ops.push_back(std::move(op));
  }
  out += "    return ";
  for (size_t i = 0; i < roots.size(); ++i) {
    int id = idOf(roots[i]);
    result.results.push_back(id);
    out += (i ? ", " : "") + valueName(id);
  }
  out += " : " + resultTypes + "\n  }\n}\n";
  for (const Node *k : constants)
    result.constants.push_back(k->leaf);
  return result;
}

} // namespace kiln::trace
