// The C++ API for saved models: kiln::jit::load(path) -> Module, module.forward(inputs) -> outputs, no Python.
// Errors are kiln::Error exceptions (runtime/core/Error.h); the header names no MLIR or LLVM type.
#pragma once

#include "runtime/core/Tensor.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kiln::jit {

// An input or output of a model: its name in the file, dtype and static shape.
struct TensorInfo {
  std::string name;
  DType dtype = DType::Float32;
  IntList shape;
};

// A loaded model: its verified program, compiled for the host CPU, and its
// weights (viewing the read-only map of the file). Copies share one model;
// forward() may be called from several threads at once.
class Module {
public:
  const std::string &path() const;
  const std::vector<TensorInfo> &inputs() const;
  const std::vector<TensorInfo> &outputs() const;
  // Name and value of each weight, in the order @forward takes them.
  const std::vector<std::pair<std::string, Tensor>> &weights() const;
  // The traced module's class name (empty when the file does not say).
  const std::string &source() const;
  // @forward as Kiln IR text.
  const std::string &ir() const;

  // Runs @forward on `inputs` (one tensor per model input, of its dtype and
  // shape, on the cpu; any strides) and returns fresh output tensors.
  std::vector<Tensor> forward(const std::vector<Tensor> &inputs) const;

  struct Impl;
  explicit Module(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

private:
  std::shared_ptr<const Impl> impl_;
};

// Reads and checks the model file at `path` (docs/file-format.md, "Model
// files"): everything the container format checks, the model keys, the IR
// (bytecode, verifier, dialects, @forward's signature against the inputs,
// weights and outputs); then compiles @forward through the compile caches
// (lib/Compiler/JIT.h). Nothing in the file is executed. A damaged or
// hostile file throws kiln::Error (ErrorKind::Runtime) naming the file and
// the problem.
Module load(const std::string &path);

} // namespace kiln::jit
