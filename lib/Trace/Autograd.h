// Autograd over the trace: gradients of recorded values through the kiln-autodiff pass.
#pragma once

#include "lib/Trace/Trace.h"

#include <functional>
#include <vector>

namespace kiln::trace {

// The gradients of sum(outputs[i] * gradOutputs[i]) (a missing gradOutput
// stands for 1 and needs a one-element output) with respect to the nodes in
// `wrt` (LazyTensor::gradValue() of the inputs), as pending nodes; a null
// entry for an input the outputs do not depend on. The history is emitted as
// a Kiln function, differentiated by the kiln-autodiff pass and read back, so
// forward and backward compile into one program. Without `retainGraph` the
// history is marked freed (a second backward through it raises PyTorch's
// error); with `createGraph` the gradients have history themselves.
std::vector<NodePtr> gradients(const char *op,
                               const std::vector<const LazyTensor *> &outputs,
                               const std::vector<const LazyTensor *> &gradOutputs,
                               const std::vector<NodePtr> &wrt, bool retainGraph,
                               bool createGraph);

// Tensor.backward(): accumulates into .grad of every leaf that requires grad
// and that the outputs depend on (or only of `inputs`, when given; a
// non-leaf there keeps its gradient as a retained .grad), after their hooks.
void backward(const std::vector<const LazyTensor *> &outputs,
              const std::vector<const LazyTensor *> &gradOutputs,
              const std::vector<const LazyTensor *> &inputs, bool retainGraph,
              bool createGraph);

// What backward() calls out to (installed by the Python bindings): a
// tensor's hooks (returns the gradient to use, the given one when no hook
// replaced it), and a custom Function's backward (the gradients of its
// outputs, null for none, to those of its inputs).
struct GradCallbacks {
  std::function<NodePtr(const std::shared_ptr<void> &hooks, NodePtr grad)> runHooks;
  std::function<std::vector<NodePtr>(const CustomFunction &function,
                                     const std::vector<NodePtr> &outputGrads)>
      runFunction;
};
void setGradCallbacks(GradCallbacks callbacks);

// Makes `outputs` (computed with grad mode off) the outputs of a custom
// Function applied to inputs that require grad: each floating-point output
// comes back as a new non-leaf tensor whose gradient backward() hands to
// `function`; other outputs come back unchanged.
std::vector<LazyTensor> attachFunction(const std::shared_ptr<CustomFunction> &function,
                                       const std::vector<const LazyTensor *> &outputs);

} // namespace kiln::trace
