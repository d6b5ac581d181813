// kiln.jit.trace's C++ half: capturing a forward on the pending trace and emitting it as one Kiln IR function.
#pragma once

#include "lib/Trace/Trace.h"

#include <string>
#include <vector>

namespace kiln::trace {

// Starts a capture: each argument (whole, materialized tensors: the inputs,
// parameters and buffers) becomes pending on a leaf standing for it, so that
// its views are replayed as IR ops. While capturing, a materialization
// computes the values asked for without taking any base off the pending
// graph (a value read as a Python number stays a node of the graph), and
// writes through views, opaque views and eager kernels are refused or
// noted. Throws if a capture is already running or an argument is a view.
void beginCapture(const std::vector<LazyTensor> &arguments);
bool capturing();
// Eager kernels (random fills, sort, topk, nonzero) call this; the names
// noted while capturing come back from endCapture().
void noteEagerKernel(const char *name);
// Whether `base` is a capture argument (pending on its own leaf).
bool isCaptureArgument(const Base &base);
// Notes a base materialized while capturing (its memory is current).
void noteCapturedValue(const std::shared_ptr<Base> &base);

struct ExportedOp {
  const char *op = nullptr;
  std::vector<int> inputs; // value ids (see ExportedFunction)
  std::string attrs;
  DType dtype = DType::Float32;
  IntList sizes;
};

struct ExportedFunction {
  // A module holding `func.func @<name>`.
  std::string text;
  // Memory the graph reads that is not an argument, as trailing arguments.
  std::vector<Tensor> constants;
  // Value ids: the arguments, then the constants, then ops[i] is id
  // arguments + constants + i.
  std::vector<ExportedOp> ops;
  std::vector<int> results;
};

// The function computing `outputs` from the capture's arguments.
ExportedFunction exportCapture(const std::vector<LazyTensor> &outputs,
                               const std::string &function);

struct CaptureSummary {
  // Indices of arguments whose value an in-place op replaced (they keep it).
  std::vector<size_t> modified;
  std::vector<std::string> eagerKernels;
};

// Ends the capture (also after an error) and gives the arguments back their
// state.
CaptureSummary endCapture();

} // namespace kiln::trace
