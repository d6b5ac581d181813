// The pending trace: lazy tensors whose values are nodes of a graph, cut and compiled through the JIT when needed.
//
// A LazyTensor is a strided view (`meta`) of a Base. The Base owns the
// storage and, while its value is not yet in memory, the node that computes
// it (`pending`). Views of a pending base read it through IR view ops
// (reshape, permute, slice, broadcast_to); views of a materialized base read
// the memory directly as a leaf. In-place ops on a whole base only replace
// its pending node; writes through a view are done eagerly (see assign()).
// Plain C++ with exceptions (kiln::Error); includes no MLIR header.
#pragma once

#include "runtime/core/Tensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::trace {

struct Base;
struct Node;
class LazyTensor;
using NodePtr = std::shared_ptr<Node>;

// A kiln.autograd.Function application: backward() calls its Python
// backward through the bindings (Autograd.h's GradCallbacks).
struct CustomFunction {
  // The bindings' context object (opaque here).
  std::shared_ptr<void> object;
  // grad_fn's name ("MyFunctionBackward").
  std::string name;
  // The gradient nodes of the inputs (null for one that needs no gradient).
  std::vector<NodePtr> inputs;
  // The nodes standing for its outputs, in order.
  std::vector<std::weak_ptr<Node>> outputs;
};

// Where backward() stops, calls out and goes on: a non-leaf value with
// hooks or a retained .grad, or an output of a custom Function.
struct GradBoundary {
  // The bindings' list of Python hooks (opaque here).
  std::shared_ptr<void> hooks;
  bool retainGrad = false;
  std::shared_ptr<LazyTensor> grad;
  std::shared_ptr<CustomFunction> function;
  size_t outputIndex = 0;
};

// One recorded op (or a leaf: a materialized tensor passed in).
struct Node {
  // Interned "kiln.add"; null for a leaf.
  const char *op = nullptr;
  // The op's properties in MLIR's generic form, without `<{ }>`:
  // "dims = array<i64: 1>, kind = #kiln<reduce_kind sum>". Part of the cache
  // key, so it must not hold data values of tensors.
  std::string attrs;
  std::vector<NodePtr> inputs;
  DType dtype = DType::Float32;
  IntList sizes;
  // For a leaf: the view of memory the compiled program reads.
  Tensor leaf;
  // The base whose pending value this node is (expired or stale otherwise).
  std::weak_ptr<Base> owner;
  // Longest path from a leaf; bounds the pending trace.
  uint32_t depth = 0;
  // Recording order; orders the outputs of a whole-trace sync.
  uint64_t seq = 0;
  // This node's position in the cut numbered `cutEpoch` (Program.cpp).
  uint64_t cutEpoch = 0;
  int cutId = -1;
  // Its position in the autograd pass numbered `gradEpoch` (Autograd.cpp):
  // the index among that pass's arguments or among its ops.
  uint64_t gradEpoch = 0;
  int gradId = -1;
  bool gradArgument = false;

  // Autograd (Autograd.cpp). Set when grad mode is on and an input requires
  // grad, or for the nodes standing for tensors that require grad.
  bool requiresGrad = false;
  // Set once backward() ran through this node without retain_graph.
  bool gradFreed = false;
  // For a leaf read from memory: the node whose history it has (gradients
  // flow through that node, values come from memory).
  NodePtr gradSource;
  // For the node standing for a leaf tensor that requires grad: its base,
  // where backward() accumulates .grad.
  std::weak_ptr<Base> gradLeafOf;
  // Set on the node of a non-leaf value that has hooks or retains .grad, and
  // on the outputs of a custom Function.
  std::shared_ptr<GradBoundary> boundary;
  // For a leaf reading memory: the base it reads and the base's version then
  // (backward() refuses memory changed in place since it was read).
  std::weak_ptr<Base> leafBase;
  uint64_t leafVersion = 0;
};

// What all views of one storage share.
struct Base : std::enable_shared_from_this<Base> {
  explicit Base(Tensor meta);
  ~Base();
  Base(const Base &) = delete;
  Base &operator=(const Base &) = delete;

  // The tensor that created the storage (contiguous for op results).
  Tensor meta;
  // The value not yet in memory; null when memory is current.
  NodePtr pending;
  // The leaf reading `meta` while memory is current.
  NodePtr leafNode;
  // Bumped whenever the value changes, so cached view nodes go stale.
  uint64_t version = 0;
  // PyTorch's version counter: bumped by every in-place change of the value
  // (not by materializing it), checked by backward() for memory it reads.
  uint64_t dataVersion = 0;
  // Position in the registry of pending bases (-1 when not pending).
  int64_t registryIndex = -1;
  // Pending because an in-place op replaced the value (model state before
  // its first materialization): computed with whatever materializes next,
  // like state whose memory exists.
  bool updatedInPlace = false;

  // Autograd: a leaf the user asked gradients for (requires_grad_()).
  bool leafRequiresGrad = false;
  // The node whose history this tensor has (an op node for results of ops
  // that required grad, kept after materialization; the leaf's own node for
  // a leaf that requires grad); null when it requires no grad.
  NodePtr gradNode;
  // .grad of a leaf (a non-leaf's retained .grad is on its GradBoundary).
  std::shared_ptr<LazyTensor> grad;
  // Owned by the bindings (a leaf's Python gradient hooks); opaque here.
  std::shared_ptr<void> hooks;
};

// One step from a base to a view, replayed as an IR op while the base is
// pending.
struct ViewStep {
  enum Kind { Reshape, Permute, Slice, Broadcast } kind;
  IntList sizes; // result sizes
  IntList a, b, c; // permute dims / slice start, end, step
};

struct ViewChain {
  std::shared_ptr<const ViewChain> parent;
  ViewStep step;
};

class LazyTensor {
public:
  LazyTensor() = default;
  // A tensor over memory that is already current (from_numpy, creation ops).
  static LazyTensor fromTensor(Tensor t);
  // The whole tensor of `base`.
  static LazyTensor ofBase(std::shared_ptr<Base> base);
  // The result of `node`: a fresh contiguous base whose storage is allocated
  // when materialized.
  static LazyTensor fromNode(NodePtr node);

  // A whole base shares its base's metadata instead of copying it.
  const Tensor &meta() const {
    return chain_ || opaque_ ? meta_ : base_->meta;
  }
  const std::shared_ptr<Base> &base() const { return base_; }
  DType dtype() const { return meta().dtype(); }
  const IntList &sizes() const { return meta().sizes(); }
  int64_t dim() const { return meta().dim(); }
  int64_t numel() const { return meta().numel(); }
  bool isPending() const { return base_ && base_->pending != nullptr; }

  // The node giving this tensor's current value (a leaf when in memory).
  NodePtr value() const;
  // Materializes the value; afterwards meta() may be read and written.
  const Tensor &materialize() const;

  // Views (PyTorch semantics and errors, from runtime/core/Tensor).
  LazyTensor view(const IntList &sizes) const;
  // A view when the strides allow, else a reshaped copy.
  LazyTensor reshape(const IntList &sizes) const;
  LazyTensor permute(const IntList &dims) const;
  LazyTensor transpose(int64_t dim0, int64_t dim1) const;
  LazyTensor slice(int64_t dim, std::optional<int64_t> start,
                   std::optional<int64_t> end, int64_t step) const;
  LazyTensor select(int64_t dim, int64_t index) const;
  LazyTensor narrow(int64_t dim, int64_t start, int64_t length) const;
  LazyTensor expand(const IntList &sizes) const;
  LazyTensor squeeze() const;
  LazyTensor squeeze(int64_t dim) const;
  LazyTensor unsqueeze(int64_t dim) const;
  LazyTensor asStrided(const IntList &sizes, const IntList &strides,
                       std::optional<int64_t> offset) const;
  LazyTensor contiguous() const;
  LazyTensor clone() const;

  // In-place: this tensor's value becomes `value` (same sizes; cast to this
  // dtype by the caller). Whole bases stay lazy; views are written eagerly.
  void assign(const NodePtr &value);

  // True when this tensor covers its base exactly (same layout).
  bool isWholeBase() const;

  // Autograd (Autograd.cpp).
  bool requiresGrad() const { return !detached_ && base_->gradNode != nullptr; }
  // PyTorch's is_leaf: no history (or a leaf that requires grad), whole base.
  bool isLeaf() const;
  void setRequiresGrad(bool requiresGrad);
  // PyTorch's grad_fn name of the last view step ("SliceBackward0"), or
  // null for a whole tensor.
  const char *viewGradFnName() const;
  // A tensor sharing this one's storage with no history.
  LazyTensor detach() const;
  // A new leaf whose value is `value`'s, computed lazily (no shared memory,
  // no history): what kiln.Tensor(t) and nn.Parameter(t) hold.
  static LazyTensor copyOf(const LazyTensor &value);
  // Tensor.data = value: this tensor becomes a new base holding `value`'s
  // value (any dtype and shape) and keeps its requires_grad, .grad and hooks.
  void setData(const LazyTensor &value);
  // The node gradients flow through for this tensor (its history, with the
  // view steps replayed), or null when it requires no grad.
  NodePtr gradValue() const;
  // The boundary of a non-leaf tensor that requires grad (hooks, retained
  // .grad, custom Function); created when `create`, else null if none.
  std::shared_ptr<GradBoundary> gradBoundary(bool create) const;

private:
  LazyTensor makeView(Tensor meta, ViewStep step) const;
  LazyTensor makeOpaque(Tensor meta) const;
  NodePtr valueOf() const;
  // Records this tensor's view steps on top of `root` (a node of the base).
  NodePtr replayChain(NodePtr root) const;
  // Whether every view step is a permute (a transpose of the base).
  bool onlyPermutes() const;

  Tensor meta_;
  std::shared_ptr<Base> base_;
  std::shared_ptr<const ViewChain> chain_;
  bool opaque_ = false;
  bool detached_ = false;
  mutable NodePtr cached_;
  mutable uint64_t cachedVersion_ = 0;
};

// A stable pointer for op name `name` (for names not given as literals).
const char *internOp(const std::string &name);
// Records `op` with `inputs`; the caller has validated them and computed the
// result type. `op` must be a string literal or come from internOp().
NodePtr record(const char *op, std::vector<NodePtr> inputs, DType dtype,
               IntList sizes, std::string attrs = {});
NodePtr leafOf(const Tensor &t);

// Grad mode (kiln.no_grad, enable_grad, set_grad_enabled): while off, no
// recorded node requires grad.
bool gradEnabled();
void setGradEnabled(bool enabled);

// Materializes every tensor in `tensors` (one program).
void materialize(const std::vector<const LazyTensor *> &tensors);
// Materializes every pending tensor.
void syncAll();

struct CompileEvent {
  // "new op sequence", "new dtype", "new shape" or "new outputs".
  std::string reason;
  int64_t ops = 0;
  std::string inputs;  // "f32[16], f32[16]"
  std::string outputs;
  std::string origin;  // "compiled", "disk" or "memory" (the JIT's caches)
  double ms = 0;
};

struct TraceStats {
  int64_t recorded = 0;        // nodes recorded
  int64_t materializations = 0; // programs run
  int64_t programHits = 0;     // served by the trace's program cache
  int64_t compiles = 0;        // programs handed to the JIT
  int64_t pending = 0;         // bases pending now
  std::vector<CompileEvent> events; // the latest 64 compiles
};
TraceStats stats();
void resetStats();
// Forgets the programs kept by the trace (the JIT's caches are separate).
void clearProgramCache();
// Environment KILN_MAX_PENDING_DEPTH (default 256): a node deeper than this
// is materialized as soon as it is recorded.
uint32_t maxPendingDepth();
void setMaxPendingDepth(uint32_t depth);
// The MLIR text of the program that would materialize `tensors` (for
// debugging and kiln.explain).
std::string programText(const std::vector<const LazyTensor *> &tensors);

} // namespace kiln::trace
