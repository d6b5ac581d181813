// A compiled Kiln function loaded from a shared library, called with tensors through one C entry point.
#pragma once

#include "runtime/core/DType.h"
#include "runtime/core/Tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace kiln {

// The dtype and static shape of one argument or result.
struct TensorSpec {
  DType dtype = DType::Float32;
  IntList sizes;
};

// What a compiled function takes and returns. Inputs come first in the
// entry point's argument array, then the outputs (bufferization turned
// results into out-parameters).
struct Signature {
  std::string name;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// "f32[2, 3]", as signatures and error messages print a spec.
std::string formatSpec(const TensorSpec &spec);
// "(f32[2, 3], i64[4]) -> (f32[2, 3])".
std::string formatSignature(const Signature &signature);

// The symbol a compiled library exports for `function`:
// `void kiln_entry_<function>(void **descriptors)`.
std::string entrySymbol(const std::string &function);

// A loaded library and its entry point. Immutable after loading, so one
// Executable may be run from several threads at once.
class Executable {
public:
  using EntryFn = void (*)(void **);

  // dlopens `path` and looks up the entry of `signature.name`. Returns null
  // and sets `error` on failure (callers in lib/ are built without
  // exceptions). `displayPath`, when given, is what path() reports (the
  // caller may load through a temporary name).
  static std::shared_ptr<Executable> load(const std::string &path,
                                          Signature signature,
                                          std::string &error,
                                          const std::string &displayPath = "");
  ~Executable();
  Executable(const Executable &) = delete;
  Executable &operator=(const Executable &) = delete;

  const Signature &signature() const { return signature_; }
  const std::string &path() const { return path_; }

  // Checks `inputs` against the signature (count, dtype, shape, device),
  // makes them contiguous, allocates the outputs from the caching allocator
  // and calls the compiled code. Mismatches throw kiln::Error naming the
  // function and the argument.
  std::vector<Tensor> run(const std::vector<Tensor> &inputs) const;
  // As run(), into caller-provided contiguous outputs (benchmarks reuse them).
  void runInto(const std::vector<Tensor> &inputs,
               const std::vector<Tensor> &outputs) const;

private:
  Executable(void *handle, EntryFn entry, Signature signature, std::string path)
      : handle_(handle), entry_(entry), signature_(std::move(signature)),
        path_(std::move(path)) {}
  void call(const std::vector<Tensor> &inputs,
            const std::vector<Tensor> &outputs) const;

  void *handle_;
  EntryFn entry_;
  Signature signature_;
  std::string path_;
};

} // namespace kiln
