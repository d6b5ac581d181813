// Reads a Kiln model file (.kiln: a container holding @forward as MLIR bytecode and its weights) and checks it whole.
// Names no MLIR type: the IR comes back as verified Kiln IR text, which the JIT (lib/Compiler/JIT.h) takes.
#pragma once

#include "lib/Model/Container.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln::model {

// One entry of the model's "inputs" or "outputs": dtype as the container
// names it ("float32"), static shape.
struct TensorDescription {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
};

struct Weight {
  std::string name;
  size_t array = 0; // index into container.arrays
};

struct Model {
  Container container;
  std::vector<TensorDescription> inputs;
  std::vector<TensorDescription> outputs;
  // In the order of @forward's trailing arguments.
  std::vector<Weight> weights;
  // The traced module's class name, or empty.
  std::string source;
  // The verified module (one public func.func @forward, only the builtin,
  // func and kiln dialects) printed as MLIR assembly.
  std::string ir;
};

// Checks the model keys of `container` (docs/file-format.md, "Model files")
// and its IR: the bytecode parses and verifies with only the builtin, func
// and kiln dialects loaded, the module holds exactly one function, a public
// @forward, whose argument types are the inputs' then the weights' and whose
// result types are the outputs'. Errors are "<file>: <problem>".
// The IR is parsed in a forked child process unless options.isolateIR is
// false (see ReadOptions).
llvm::Expected<Model> readModel(Container container, const ReadOptions &options = {});

// readContainerFile + readModel.
llvm::Expected<Model> readModelFile(llvm::StringRef path, const ReadOptions &options = {});

// The same checks on bytes in memory (copied), named `name` in messages.
llvm::Expected<Model> readModelFromMemory(llvm::StringRef bytes, llvm::StringRef name,
                                          const ReadOptions &options = {});

} // namespace kiln::model
