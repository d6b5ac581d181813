// Materialization: cut the pending graph, key it structurally, emit Kiln IR on a miss, compile, run, write results back.
#include "lib/Trace/Program.h"

#include "lib/Trace/Export.h"

#include "lib/Compiler/JIT.h"
#include "runtime/core/Allocator.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace kiln::trace {

namespace {

struct State {
  std::vector<Base *> pending;
  uint64_t nextSeq = 0;
  TraceStats stats;
  std::unordered_map<std::string, std::shared_ptr<Executable>> programs;
  std::unordered_set<size_t> seenOps, seenDtypes, seenShapes;
};

State &state() {
  static State *s = new State();
  return *s;
}


} // namespace

void appendType(std::string &out, const Node &node) {
  out += "tensor<";
  for (int64_t size : node.sizes) {
    out += std::to_string(size);
    out += 'x';
  }
  out += shortName(node.dtype);
  out += '>';
}

void appendOpEnd(std::string &out, const Node &node, const std::string &operandTypes) {
  out += ")";
  if (!node.attrs.empty())
    out += " <{" + node.attrs + "}>";
  out += " : (" + operandTypes + ") -> ";
  appendType(out, node);
  out += "\n";
}

namespace {

// The leaves' identity: the same memory viewed the same way is one input.
struct SameView {
  bool operator()(const Tensor *a, const Tensor *b) const {
    return std::make_tuple(a->storage().id(), a->storageOffset(), a->dtype(),
                           std::cref(a->sizes()), std::cref(a->strides())) <
           std::make_tuple(b->storage().id(), b->storageOffset(), b->dtype(),
                           std::cref(b->sizes()), std::cref(b->strides()));
  }
};
using LeafIds = std::map<const Tensor *, int, SameView>;

struct Output {
  Node *node;
  std::shared_ptr<Base> base; // null for a value asked for by itself
};

// The part of the pending graph a materialization runs.
struct Cut {
  std::vector<Node *> order; // leaves and ops, inputs before users
  uint64_t epoch = 0;        // marks the nodes numbered by this cut
  std::vector<Node *> leaves;
  std::vector<Output> outputs;
  int ops = 0;
};

bool seen(const Cut &cut, const Node *node) { return node->cutEpoch == cut.epoch; }

int id(const Cut &cut, const Node *node) { return node->cutId; }

void number(Cut &cut, Node *node, int value) {
  node->cutEpoch = cut.epoch;
  node->cutId = value;
}

void visit(Cut &cut, LeafIds &leafIds, Node *root) {
  if (seen(cut, root))
    return;
  static std::vector<std::pair<Node *, size_t>> stack; // reused: no allocation per cut
  stack.assign(1, {root, 0});
  while (!stack.empty()) {
    auto &[node, next] = stack.back();
    if (next < node->inputs.size()) {
      Node *input = node->inputs[next++].get();
      if (!seen(cut, input))
        stack.push_back({input, 0});
      continue;
    }
    Node *done = node;
    stack.pop_back();
    if (seen(cut, done))
      continue;
    if (!done->op) {
      auto [it, inserted] = leafIds.emplace(&done->leaf, -1);
      if (!inserted) {
        number(cut, done, it->second);
        continue;
      }
      it->second = static_cast<int>(cut.order.size());
      cut.leaves.push_back(done);
    } else {
      cut.ops++;
    }
    number(cut, done, static_cast<int>(cut.order.size()));
    cut.order.push_back(done);
  }
}

bool contains(const std::vector<Output> &outputs, const Base *base) {
  for (const Output &o : outputs)
    if (o.base.get() == base)
      return true;
  return false;
}

Cut makeCut(std::vector<Output> outputs) {
  static uint64_t epochs = 0;
  Cut cut;
  cut.epoch = ++epochs;
  LeafIds leafIds;
  for (const Output &o : outputs)
    visit(cut, leafIds, o.node);
  // Pending bases computed anyway become outputs too, so a later step does
  // not recompute them (not while capturing: every value stays a node).
  for (Node *node : cut.order) {
    if (capturing())
      break;
    if (!node->op)
      continue;
    std::shared_ptr<Base> owner = node->owner.lock();
    if (owner && owner->pending.get() == node && !contains(outputs, owner.get()))
      outputs.push_back({node, owner});
  }
  cut.outputs = std::move(outputs);
  return cut;
}

bool writesBack(const Cut &cut) {
  for (const Output &o : cut.outputs)
    if (o.base && o.base->meta.storage().allocated())
      return true;
  return false;
}

// Every pending base, in recording order (so that equal steps cut equally).
std::vector<Output> allPending() {
  std::vector<Base *> bases = state().pending;
  std::sort(bases.begin(), bases.end(), [](const Base *a, const Base *b) {
    return a->pending->seq < b->pending->seq;
  });
  std::vector<Output> outputs;
  for (Base *base : bases) {
    std::shared_ptr<Base> owner = base->pending->owner.lock();
    // A base is always owned through a LazyTensor's shared_ptr; take the
    // reference from the node when it is the owner, else alias it.
    if (owner.get() != base)
      owner = std::shared_ptr<Base>(std::shared_ptr<Base>(), base);
    outputs.push_back({base->pending.get(), owner});
  }
  return outputs;
}

// FNV-1a over raw bytes, for the compile reasons' signatures.
void mix(size_t &hash, const void *data, size_t size) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 1099511628211ull;
}

template <typename T> void appendRaw(std::string &out, const T &value) {
  out.append(reinterpret_cast<const char *>(&value), sizeof value);
}

// The exact structure of the cut as bytes (op names are interned, so their
// addresses stand for them within the process): the program cache's key.
void keyOf(const Cut &cut, std::string &key) {
  key.clear();
  for (Node *node : cut.order) {
    for (const NodePtr &input : node->inputs)
      appendRaw(key, static_cast<int32_t>(id(cut, input.get())));
    appendRaw(key, node->op);
    appendRaw(key, static_cast<uint32_t>(node->attrs.size()));
    key += node->attrs;
    appendRaw(key, static_cast<uint8_t>(node->dtype));
    appendRaw(key, static_cast<uint8_t>(node->sizes.size()));
    key.append(reinterpret_cast<const char *>(node->sizes.data()),
               node->sizes.size() * sizeof(int64_t));
  }
  for (const Output &o : cut.outputs)
    appendRaw(key, static_cast<int32_t>(id(cut, o.node)));
}

// Hashes that tell, on a compile, a new op sequence (ops, wiring and short
// properties) from a new dtype (the same plus every dtype) from a new shape
// (the same plus every size); what is left is a new constant (a long
// property: a Python number's splat value).
void reasonHashes(const Cut &cut, size_t &opsHash, size_t &dtypesHash,
                  size_t &shapesHash) {
  size_t ops = 14695981039346656037ull, dtypes = ops, shapes = ops;
  for (Node *node : cut.order) {
    const char *op = node->op ? node->op : "leaf";
    mix(ops, op, std::strlen(op));
    for (const NodePtr &input : node->inputs) {
      int32_t inputId = id(cut, input.get());
      mix(ops, &inputId, sizeof inputId);
    }
    if (node->attrs.size() < 8)
      mix(ops, node->attrs.data(), node->attrs.size());
    auto dtype = static_cast<uint8_t>(node->dtype);
    mix(dtypes, &dtype, 1);
    mix(shapes, node->sizes.data(), node->sizes.size() * sizeof(int64_t));
    mix(shapes, &dtype, 1);
  }
  for (const Output &o : cut.outputs) {
    int32_t outputId = id(cut, o.node);
    mix(ops, &outputId, sizeof outputId);
  }
  opsHash = ops;
  dtypesHash = ops ^ (dtypes * 31);
  shapesHash = ops ^ (shapes * 37);
}

std::string emit(const Cut &cut) {
  std::string out = "func.func @trace(";
  for (size_t i = 0; i < cut.leaves.size(); ++i) {
    if (i)
      out += ", ";
    out += "%v" + std::to_string(id(cut, cut.leaves[i])) + ": ";
    appendType(out, *cut.leaves[i]);
  }
  out += ") -> (";
  std::string results;
  for (size_t i = 0; i < cut.outputs.size(); ++i) {
    if (i)
      results += ", ";
    appendType(results, *cut.outputs[i].node);
  }
  out += results + ") {\n";
  for (Node *node : cut.order) {
    if (!node->op)
      continue;
    out += "  %v" + std::to_string(id(cut, node)) + " = \"" + node->op + "\"(";
    std::string types;
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      if (i) {
        out += ", ";
        types += ", ";
      }
      out += "%v" + std::to_string(id(cut, node->inputs[i].get()));
      appendType(types, *node->inputs[i]);
    }
    appendOpEnd(out, *node, types);
  }
  out += "  return ";
  for (size_t i = 0; i < cut.outputs.size(); ++i)
    out += (i ? ", %v" : "%v") + std::to_string(id(cut, cut.outputs[i].node));
  out += " : " + results + "\n}\n";
  return out;
}

std::string describe(const std::vector<Node *> &nodes) {
  std::string out;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i)
      out += ", ";
    out += std::string(shortName(nodes[i]->dtype)) + formatList(nodes[i]->sizes);
  }
  return out;
}

std::shared_ptr<Executable> programFor(const Cut &cut) {
  State &s = state();
  static std::string key; // reused: a step's key is kilobytes
  keyOf(cut, key);
  auto found = s.programs.find(key);
  if (found != s.programs.end()) {
    s.stats.programHits++;
    return found->second;
  }
  auto start = std::chrono::steady_clock::now();
  CompileEvent event;
  size_t opsHash, dtypesHash, shapesHash;
  reasonHashes(cut, opsHash, dtypesHash, shapesHash);
  if (!s.seenOps.count(opsHash))
    event.reason = "new op sequence";
  else if (!s.seenDtypes.count(dtypesHash))
    event.reason = "new dtype";
  else if (!s.seenShapes.count(shapesHash))
    event.reason = "new shape";
  else
    event.reason = "new constant";
  s.seenOps.insert(opsHash);
  s.seenDtypes.insert(dtypesHash);
  s.seenShapes.insert(shapesHash);

  std::string source = emit(cut);
  compiler::CompileOptions options;
  options.entry = "trace";
  compiler::CompileResult result = compiler::compile(source, options);
  if (!result.executable)
    fail(ErrorKind::Runtime,
         "internal error: the traced program failed to compile:\n",
         result.diagnostics, "\nprogram:\n", source);
  event.ops = cut.ops;
  event.inputs = describe(cut.leaves);
  std::vector<Node *> outs;
  for (const Output &o : cut.outputs)
    outs.push_back(o.node);
  event.outputs = describe(outs);
  event.origin = result.origin;
  event.ms = std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now() - start)
                 .count();
  s.stats.compiles++;
  s.stats.events.push_back(std::move(event));
  if (s.stats.events.size() > 64)
    s.stats.events.erase(s.stats.events.begin());
  if (s.programs.size() >= compiler::maxCachedPrograms())
    s.programs.clear(); // bounded memory (JIT.h); the JIT's caches serve them again
  s.programs.emplace(key, result.executable);
  return result.executable;
}

void clearPending(Base &base) {
  base.updatedInPlace = false;
  base.pending.reset();
  base.leafNode.reset();
  base.version++;
  unregisterPending(base);
}

// Runs the cut; returns the values of outputs that have no base.
std::vector<Tensor> run(const Cut &cut) {
  std::shared_ptr<Executable> executable = programFor(cut);
  std::vector<Tensor> inputs;
  inputs.reserve(cut.leaves.size());
  for (Node *leaf : cut.leaves)
    inputs.push_back(leaf->leaf);
  std::vector<Tensor> outputs;
  std::vector<bool> copyBack;
  outputs.reserve(cut.outputs.size());
  for (const Output &o : cut.outputs) {
    const Tensor &meta = o.base ? o.base->meta : Tensor();
    bool fresh = o.base && !meta.storage().allocated() && meta.isContiguous() &&
                 meta.storageOffset() == 0;
    if (fresh) {
      meta.storage().allocate(cpuAllocator());
      outputs.push_back(meta);
    } else {
      outputs.push_back(Tensor::empty(o.node->sizes, o.node->dtype));
    }
    copyBack.push_back(o.base && !fresh);
  }
  executable->runInto(inputs, outputs);
  state().stats.materializations++;
  std::vector<Tensor> values;
  for (size_t i = 0; i < cut.outputs.size(); ++i) {
    const Output &o = cut.outputs[i];
    if (!o.base) {
      values.push_back(outputs[i]);
      continue;
    }
    if (copyBack[i]) {
      const Tensor &meta = o.base->meta;
      if (!meta.storage().allocated())
        meta.storage().allocate(cpuAllocator());
      // A whole Kiln-owned storage takes the result's memory instead of a
      // copy of it (model state updated every step); memory whose address
      // was handed out, or that NumPy owns, is written in place.
      bool whole = meta.isContiguous() && meta.storageOffset() == 0 &&
                   meta.storage().nbytes() == outputs[i].storage().nbytes();
      if (whole && meta.storage().movable() && outputs[i].storage().movable()) {
        meta.storage().swapMemory(outputs[i].storage());
      } else {
        Tensor target = meta;
        target.copyFrom(outputs[i]);
      }
    }
    if (o.base->pending.get() != o.node)
      continue;
    // While capturing, a value read (x.item()) stays a node of the graph.
    if (capturing())
      noteCapturedValue(o.base);
    else
      clearPending(*o.base);
  }
  return values;
}

// The outputs for `requested`, widened to every pending base when results
// are written into memory that pending graphs may still read.
// A base updated in place (model state: a parameter after an optimizer
// step, a running statistic), whether or not its memory exists yet, is
// computed with whatever materializes next, so that its pending graph does
// not grow step after step when only a loss is read.
bool stateIsPending() {
  for (const Base *base : state().pending)
    if (base->updatedInPlace || base->meta.storage().allocated())
      return true;
  return false;
}

Cut cutFor(std::vector<Output> requested) {
  // With state pending (a training step) the cut is every pending base: no
  // need to cut the requested values alone first.
  if (capturing() || !stateIsPending()) {
    Cut cut = makeCut(requested);
    if (capturing() || !writesBack(cut))
      return cut;
  }
  std::vector<Output> all;
  for (const Output &o : requested)
    if (!o.base)
      all.push_back(o);
  for (Output &o : allPending())
    all.push_back(o);
  return makeCut(std::move(all));
}

} // namespace

void setPending(Base &base, NodePtr node) {
  State &s = state();
  if (!node->owner.lock())
    node->owner = base.weak_from_this();
  base.pending = std::move(node);
  base.leafNode.reset();
  base.version++;
  base.dataVersion++;
  if (base.registryIndex < 0) {
    base.registryIndex = static_cast<int64_t>(s.pending.size());
    s.pending.push_back(&base);
  }
}

void unregisterPending(Base &base) {
  if (base.registryIndex < 0)
    return;
  std::vector<Base *> &pending = state().pending;
  Base *last = pending.back();
  pending[base.registryIndex] = last;
  last->registryIndex = base.registryIndex;
  pending.pop_back();
  base.registryIndex = -1;
}

void noteRecorded(Node &node) {
  State &s = state();
  node.seq = s.nextSeq++;
  s.stats.recorded++;
}

void materialize(const std::vector<const LazyTensor *> &tensors) {
  std::vector<Output> requested;
  for (const LazyTensor *t : tensors) {
    const std::shared_ptr<Base> &base = t->base();
    // A capture argument's memory is its value.
    if (isCaptureArgument(*base))
      continue;
    if (base->pending && !contains(requested, base.get()))
      requested.push_back({base->pending.get(), base});
  }
  if (requested.empty())
    return;
  run(cutFor(std::move(requested)));
}

void syncAll() {
  std::vector<Output> all = allPending();
  if (!all.empty())
    run(cutFor(std::move(all)));
}

Tensor materializeValue(const NodePtr &node) {
  if (!node->op && node->leaf.storage().allocated() &&
      state().pending.empty())
    return node->leaf.clone();
  std::vector<Output> outputs{{node.get(), nullptr}};
  for (Output &o : allPending())
    outputs.push_back(o);
  Cut cut = makeCut(std::move(outputs));
  return run(cut).at(0);
}

std::string programText(const std::vector<const LazyTensor *> &tensors) {
  std::vector<Output> requested;
  for (const LazyTensor *t : tensors)
    if (t->base()->pending && !contains(requested, t->base().get()))
      requested.push_back({t->base()->pending.get(), t->base()});
  if (requested.empty())
    return "";
  return emit(cutFor(std::move(requested)));
}

TraceStats stats() {
  TraceStats result = state().stats;
  result.pending = static_cast<int64_t>(state().pending.size());
  return result;
}

void resetStats() {
  State &s = state();
  s.stats = TraceStats();
}

void clearProgramCache() {
  State &s = state();
  s.programs.clear();
  s.seenOps.clear();
  s.seenDtypes.clear();
  s.seenShapes.clear();
}

} // namespace kiln::trace
