// Lazy tensors: recording nodes, views of pending bases, and in-place updates.
#include "lib/Trace/Trace.h"

#include "lib/Trace/Export.h"
#include "lib/Trace/Program.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace kiln::trace {

namespace {

uint32_t initialMaxDepth() {
  if (const char *env = std::getenv("KILN_MAX_PENDING_DEPTH")) {
    long value = std::strtol(env, nullptr, 10);
    if (value > 0)
      return static_cast<uint32_t>(value);
  }
  return 256;
}

uint32_t &maxDepthRef() {
  static uint32_t depth = initialMaxDepth();
  return depth;
}

const char *internName(const std::string &name) {
  static std::unordered_set<std::string> *names = new std::unordered_set<std::string>();
  return names->insert(name).first->c_str();
}

// Op names are compared by pointer; C++ callers pass literals, so the
// pointer cache answers without hashing the text.
const char *intern(const char *op) {
  static std::unordered_map<const void *, const char *> byPointer;
  auto found = byPointer.find(op);
  if (found != byPointer.end())
    return found->second;
  const char *name = internName(op);
  if (byPointer.size() < 4096)
    byPointer.emplace(op, name);
  return name;
}

std::string formatDims(const IntList &values) {
  std::string out = "array<i64";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : ": ") + std::to_string(values[i]);
  return out + ">";
}

void checkNoOverlap(const Tensor &t) {
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.stride(d) == 0 && t.size(d) > 1)
      fail(ErrorKind::Runtime,
           "unsupported operation: more than one element of the written-to "
           "tensor refers to a single memory location. Please clone() the "
           "tensor before performing the operation.");
}

} // namespace

const char *internOp(const std::string &name) { return intern(internName(name)); }

uint32_t maxPendingDepth() { return maxDepthRef(); }
void setMaxPendingDepth(uint32_t depth) { maxDepthRef() = depth ? depth : 1; }

Base::Base(Tensor t) : meta(std::move(t)) {}

Base::~Base() { unregisterPending(*this); }

NodePtr record(const char *op, std::vector<NodePtr> inputs, DType dtype,
               IntList sizes, std::string attrs) {
  auto node = std::make_shared<Node>();
  node->op = intern(op);
  uint32_t depth = 0;
  bool requiresGrad = false;
  for (const NodePtr &input : inputs) {
    depth = std::max(depth, input->depth);
    requiresGrad |= input->requiresGrad;
  }
  node->requiresGrad = requiresGrad && gradEnabled();
  node->depth = depth + 1;
  node->inputs = std::move(inputs);
  node->dtype = dtype;
  node->sizes = std::move(sizes);
  node->attrs = std::move(attrs);
  noteRecorded(*node);
  return node;
}

NodePtr leafOf(const Tensor &t) {
  auto node = std::make_shared<Node>();
  node->dtype = t.dtype();
  node->sizes = t.sizes();
  node->leaf = t;
  return node;
}

LazyTensor LazyTensor::fromTensor(Tensor t) {
  LazyTensor result;
  result.base_ = std::make_shared<Base>(std::move(t));
  return result;
}

LazyTensor LazyTensor::ofBase(std::shared_ptr<Base> base) {
  LazyTensor result;
  result.base_ = std::move(base);
  return result;
}

LazyTensor LazyTensor::fromNode(NodePtr node) {
  int64_t numel = 1;
  for (int64_t size : node->sizes)
    numel *= size;
  Storage storage = Storage::deferred(
      static_cast<size_t>(numel) * elementSize(node->dtype), Device());
  Tensor meta(std::move(storage), node->sizes,
              Tensor::contiguousStrides(node->sizes), 0, node->dtype);
  LazyTensor result = fromTensor(std::move(meta));
  if (node->requiresGrad)
    result.base_->gradNode = node;
  bool deep = node->depth > maxPendingDepth() && !capturing();
  setPending(*result.base_, std::move(node));
  if (deep)
    result.materialize();
  return result;
}

bool LazyTensor::isWholeBase() const {
  if (opaque_)
    return false;
  if (!chain_)
    return true;
  const Tensor &b = base_->meta;
  return meta().sizes() == b.sizes() && meta().strides() == b.strides() &&
         meta().storageOffset() == b.storageOffset();
}

NodePtr LazyTensor::replayChain(NodePtr node) const {
  std::vector<const ViewStep *> steps;
  for (const ViewChain *link = chain_.get(); link; link = link->parent.get())
    steps.push_back(&link->step);
  DType dtype = meta().dtype();
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    const ViewStep &step = **it;
    switch (step.kind) {
    case ViewStep::Reshape:
      node = record("kiln.reshape", {node}, dtype, step.sizes);
      break;
    case ViewStep::Permute:
      node = record("kiln.permute", {node}, dtype, step.sizes,
                    "dims = " + formatDims(step.a));
      break;
    case ViewStep::Slice:
      node = record("kiln.slice", {node}, dtype, step.sizes,
                    "end = " + formatDims(step.b) +
                        ", start = " + formatDims(step.a) +
                        ", step = " + formatDims(step.c));
      break;
    case ViewStep::Broadcast:
      node = record("kiln.broadcast_to", {node}, dtype, step.sizes);
      break;
    }
  }
  return node;
}

NodePtr LazyTensor::value() const {
  NodePtr node = valueOf();
  if (detached_ && node->requiresGrad) {
    // A detached tensor shares the value but not the history.
    node = record("kiln.reshape", {node}, node->dtype, node->sizes);
    node->requiresGrad = false;
  }
  return node;
}

NodePtr LazyTensor::valueOf() const {
  Base &b = *base_;
  if (b.pending && b.leafRequiresGrad && !opaque_) {
    // A leaf that requires grad and was updated in place (an optimizer
    // step): the graph must still see the leaf, now computed.
    if (!b.leafNode || b.leafNode->inputs.empty() ||
        b.leafNode->inputs[0] != b.pending) {
      NodePtr leaf = record("kiln.reshape", {b.pending}, b.meta.dtype(),
                            b.meta.sizes());
      leaf->requiresGrad = true;
      leaf->gradLeafOf = base_;
      b.leafNode = leaf;
      b.gradNode = leaf;
    }
    if (!chain_)
      return b.leafNode;
    if (cached_ && cachedVersion_ == b.version)
      return cached_;
    cached_ = replayChain(b.leafNode);
    cachedVersion_ = b.version;
    return cached_;
  }
  if (b.pending && !chain_ && !opaque_)
    return b.pending;
  if (b.pending && opaque_) {
    if (capturing())
      fail(ErrorKind::NotImplemented,
           "kiln.jit.trace(): a strided view (as_strided) of a traced tensor "
           "cannot be exported");
    materialize();
  }
  if (cached_ && cachedVersion_ == b.version)
    return cached_;
  if (b.pending) {
    cached_ = replayChain(b.pending);
  } else if (!chain_ && !opaque_) {
    if (!b.leafNode) {
      b.leafNode = leafOf(b.meta);
      b.leafNode->leafBase = base_;
      b.leafNode->leafVersion = b.dataVersion;
      if (b.leafRequiresGrad) {
        b.leafNode->requiresGrad = true;
        b.leafNode->gradLeafOf = base_;
        b.gradNode = b.leafNode;
      } else if (b.gradNode) {
        b.leafNode->requiresGrad = true;
        b.leafNode->gradSource = b.gradNode;
      }
    }
    cached_ = b.leafNode;
  } else if (onlyPermutes()) {
    // A transpose of memory (F.linear's weight.t()) is read as the base and
    // a permute in the program: no strided copy when the program is called,
    // and a matmul reads it in place (linalg.matmul_transpose_a/b). Slices
    // stay leaves: their offsets would key a new program per slice.
    LazyTensor whole;
    whole.base_ = base_;
    cached_ = replayChain(whole.valueOf());
  } else {
    cached_ = leafOf(meta());
    cached_->leafBase = base_;
    cached_->leafVersion = b.dataVersion;
    if (b.gradNode && !opaque_) {
      LazyTensor whole;
      whole.base_ = base_;
      NodePtr root = b.leafRequiresGrad ? whole.valueOf() : b.gradNode;
      cached_->requiresGrad = true;
      cached_->gradSource = replayChain(root);
    }
  }
  cachedVersion_ = b.version;
  return cached_;
}

const Tensor &LazyTensor::materialize() const {
  if (base_->pending)
    trace::materialize({this});
  return meta();
}

bool LazyTensor::onlyPermutes() const {
  if (opaque_ || !chain_)
    return false;
  for (const ViewChain *link = chain_.get(); link; link = link->parent.get())
    if (link->step.kind != ViewStep::Permute)
      return false;
  return true;
}

LazyTensor LazyTensor::makeView(Tensor meta, ViewStep step) const {
  LazyTensor result;
  result.base_ = base_;
  step.sizes = meta.sizes();
  result.meta_ = std::move(meta);
  if (opaque_)
    result.opaque_ = true;
  else
    result.chain_ = std::make_shared<const ViewChain>(
        ViewChain{chain_, std::move(step)});
  return result;
}

LazyTensor LazyTensor::makeOpaque(Tensor meta) const {
  LazyTensor result;
  result.base_ = base_;
  result.meta_ = std::move(meta);
  result.opaque_ = true;
  return result;
}

LazyTensor LazyTensor::view(const IntList &sizes) const {
  Tensor meta = this->meta().view(sizes);
  return makeView(std::move(meta), {ViewStep::Reshape, {}, {}, {}, {}});
}

LazyTensor LazyTensor::reshape(const IntList &sizes) const {
  try {
    if (!meta().isContiguous()) {
      try {
        return view(sizes);
      } catch (const Error &) {
        return contiguous().view(sizes);
      }
    }
    return view(sizes);
  } catch (const Error &e) {
    // The checks are view()'s; the user called reshape().
    std::string message = e.what();
    if (message.rfind("view()", 0) == 0)
      message = "reshape()" + message.substr(6);
    throw Error(e.kind(), message);
  }
}

LazyTensor LazyTensor::permute(const IntList &dims) const {
  Tensor meta = this->meta().permute(dims);
  IntList wrapped;
  for (int64_t d : dims)
    wrapped.push_back(wrapDim("permute", d, dim()));
  return makeView(std::move(meta), {ViewStep::Permute, {}, wrapped, {}, {}});
}

LazyTensor LazyTensor::transpose(int64_t dim0, int64_t dim1) const {
  Tensor meta = this->meta().transpose(dim0, dim1);
  IntList dims;
  for (int64_t d = 0; d < dim(); ++d)
    dims.push_back(d);
  if (dim() > 0)
    std::swap(dims[wrapDim("transpose", dim0, dim())],
              dims[wrapDim("transpose", dim1, dim())]);
  return makeView(std::move(meta), {ViewStep::Permute, {}, dims, {}, {}});
}

LazyTensor LazyTensor::slice(int64_t d, std::optional<int64_t> start,
                             std::optional<int64_t> end, int64_t step) const {
  Tensor meta = this->meta().slice(d, start, end, step);
  d = wrapDim("slice", d, dim());
  int64_t size = sizes()[d];
  int64_t s = start.value_or(0);
  if (s < 0)
    s += size;
  s = std::clamp<int64_t>(s, 0, size);
  int64_t length = meta.size(d);
  IntList starts(dim(), 0), ends = sizes(), steps(dim(), 1);
  starts[d] = s;
  ends[d] = length ? s + (length - 1) * step + 1 : s;
  steps[d] = step;
  return makeView(std::move(meta), {ViewStep::Slice, {}, starts, ends, steps});
}

LazyTensor LazyTensor::select(int64_t d, int64_t index) const {
  Tensor selected = meta().select(d, index);
  d = wrapDim("select", d, dim());
  if (index < 0)
    index += sizes()[d];
  LazyTensor narrowed = slice(d, index, index + 1, 1);
  return narrowed.makeView(std::move(selected),
                           {ViewStep::Reshape, {}, {}, {}, {}});
}

LazyTensor LazyTensor::narrow(int64_t d, int64_t start, int64_t length) const {
  Tensor meta = this->meta().narrow(d, start, length);
  d = wrapDim("narrow", d, dim());
  if (start < 0)
    start += sizes()[d];
  return slice(d, start, start + length, 1);
}

LazyTensor LazyTensor::expand(const IntList &sizes) const {
  Tensor meta = this->meta().expand(sizes);
  return makeView(std::move(meta), {ViewStep::Broadcast, {}, {}, {}, {}});
}

LazyTensor LazyTensor::squeeze() const {
  return makeView(meta().squeeze(), {ViewStep::Reshape, {}, {}, {}, {}});
}

LazyTensor LazyTensor::squeeze(int64_t d) const {
  return makeView(meta().squeeze(d), {ViewStep::Reshape, {}, {}, {}, {}});
}

LazyTensor LazyTensor::unsqueeze(int64_t d) const {
  return makeView(meta().unsqueeze(d), {ViewStep::Reshape, {}, {}, {}, {}});
}

LazyTensor LazyTensor::asStrided(const IntList &sizes, const IntList &strides,
                                 std::optional<int64_t> offset) const {
  return makeOpaque(meta().asStrided(sizes, strides, offset));
}

LazyTensor LazyTensor::contiguous() const {
  if (meta().isContiguous())
    return *this;
  return clone();
}

LazyTensor LazyTensor::clone() const {
  if (!base_->pending)
    return fromTensor(meta().clone());
  return fromNode(record("kiln.reshape", {value()}, dtype(), sizes()));
}

void LazyTensor::assign(const NodePtr &node) {
  if (node->sizes != sizes() || node->dtype != dtype())
    fail(ErrorKind::Runtime, "internal: assign() of ", name(node->dtype),
         formatList(node->sizes), " to ", name(dtype()), formatList(sizes()));
  if (base_->leafRequiresGrad && gradEnabled())
    fail(ErrorKind::Runtime,
         "a leaf Variable that requires grad is being used in an in-place "
         "operation.");
  if (isWholeBase()) {
    setPending(*base_, node);
    base_->updatedInPlace = true;
    return;
  }
  if (capturing())
    fail(ErrorKind::NotImplemented,
         "kiln.jit.trace(): an in-place write into part of a tensor (x[i] = "
         "v, x[:, 0].add_(1), ...) cannot be exported; compute the result "
         "out of place instead (kiln.where, kiln.cat, index_put)");
  checkNoOverlap(meta());
  Tensor computed = materializeValue(node);
  Tensor target = meta();
  target.copyFrom(computed);
  base_->version++;
  base_->dataVersion++;
  base_->leafNode.reset();
}

} // namespace kiln::trace
