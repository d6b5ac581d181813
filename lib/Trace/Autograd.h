// Autograd over the trace: gradients of recorded values through the kiln-autodiff pass.
#pragma once

#include "lib/Trace/Trace.h"

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

// The leaves that require grad and that the outputs depend on, in the order
// backward() reaches them.
std::vector<std::shared_ptr<Base>> reachableLeaves(
    const std::vector<const LazyTensor *> &outputs);

// Tensor.backward(): accumulates into .grad of every leaf that requires grad
// and that the outputs depend on.
void backward(const std::vector<const LazyTensor *> &outputs,
              const std::vector<const LazyTensor *> &gradOutputs,
              bool retainGraph, bool createGraph);

} // namespace kiln::trace
