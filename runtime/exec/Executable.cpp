// Loads compiled libraries with dlopen and marshals tensors into memref descriptors for their entry point.
#include "runtime/exec/Executable.h"

#include "runtime/cpu/ExternKernels.h"

#include "runtime/core/Error.h"
#include "runtime/exec/MemRefDescriptor.h"

#include <dlfcn.h>

#include <sstream>

namespace kiln {

namespace {


std::string formatSpecs(const std::vector<TensorSpec> &specs) {
  std::string out = "(";
  for (size_t i = 0; i < specs.size(); ++i)
    out += (i ? ", " : "") + formatSpec(specs[i]);
  return out + ")";
}

void checkTensor(const Signature &sig, const char *role, size_t index,
                 const Tensor &tensor, const TensorSpec &spec) {
  if (!tensor.defined())
    fail(ErrorKind::Value, sig.name, "(): ", role, " ", index,
         " is an undefined tensor");
  if (!tensor.device().isCPU())
    fail(ErrorKind::Value, sig.name, "(): ", role, " ", index, " is on ",
         tensor.device().str(), ", but compiled code runs on the cpu");
  if (tensor.dtype() != spec.dtype)
    fail(ErrorKind::Type, sig.name, "(): ", role, " ", index, " has dtype ",
         name(tensor.dtype()), ", but the function expects ", name(spec.dtype),
         " (signature ", formatSignature(sig), ")");
  if (tensor.sizes() != spec.sizes)
    fail(ErrorKind::Value, sig.name, "(): ", role, " ", index, " has shape ",
         formatList(tensor.sizes()), ", but the function expects ",
         formatList(spec.sizes), " (signature ", formatSignature(sig), ")");
}

} // namespace

std::string formatSpec(const TensorSpec &spec) {
  return shortName(spec.dtype) + formatList(spec.sizes);
}

std::string formatSignature(const Signature &signature) {
  return formatSpecs(signature.inputs) + " -> " +
         formatSpecs(signature.outputs);
}

std::string entrySymbol(const std::string &function) {
  return "kiln_entry_" + function;
}

std::shared_ptr<Executable> Executable::load(const std::string &path,
                                             Signature signature,
                                             std::string &error,
                                             const std::string &displayPath) {
  // RTLD_LOCAL: each library's symbols stay private, so two compiled
  // versions of a function never interpose on each other.
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = dlerror();
    error = "cannot load " + path + ": " + (message ? message : "dlopen failed");
    return nullptr;
  }
  const std::string symbol = entrySymbol(signature.name);
  void *entry = dlsym(handle, symbol.c_str());
  if (!entry) {
    error = path + " has no symbol " + symbol;
    dlclose(handle);
    return nullptr;
  }
  return std::shared_ptr<Executable>(
      new Executable(handle, reinterpret_cast<EntryFn>(entry),
                     std::move(signature),
                     displayPath.empty() ? path : displayPath));
}

Executable::~Executable() { dlclose(handle_); }

std::vector<Tensor> Executable::run(const std::vector<Tensor> &inputs) const {
  if (inputs.size() != signature_.inputs.size())
    fail(ErrorKind::Value, signature_.name, "() takes ",
         signature_.inputs.size(), " input(s), but ", inputs.size(),
         " were given (signature ", formatSignature(signature_), ")");
  std::vector<Tensor> outputs;
  outputs.reserve(signature_.outputs.size());
  for (const TensorSpec &spec : signature_.outputs)
    outputs.push_back(Tensor::empty(spec.sizes, spec.dtype));
  call(inputs, outputs);
  return outputs;
}

void Executable::runInto(const std::vector<Tensor> &inputs,
                         const std::vector<Tensor> &outputs) const {
  if (inputs.size() != signature_.inputs.size())
    fail(ErrorKind::Value, signature_.name, "() takes ",
         signature_.inputs.size(), " input(s), but ", inputs.size(),
         " were given (signature ", formatSignature(signature_), ")");
  if (outputs.size() != signature_.outputs.size())
    fail(ErrorKind::Value, signature_.name, "() writes ",
         signature_.outputs.size(), " output(s), but ", outputs.size(),
         " were given");
  for (size_t i = 0; i < outputs.size(); ++i) {
    checkTensor(signature_, "output", i, outputs[i], signature_.outputs[i]);
    if (!outputs[i].isContiguous())
      fail(ErrorKind::Value, signature_.name, "(): output ", i,
           " must be contiguous");
  }
  call(inputs, outputs);
}

void Executable::call(const std::vector<Tensor> &inputs,
                      const std::vector<Tensor> &outputs) const {
  std::vector<Tensor> dense;
  dense.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    checkTensor(signature_, "input", i, inputs[i], signature_.inputs[i]);
    dense.push_back(inputs[i].contiguous());
  }
  std::vector<MemRefDescriptor> descriptors;
  descriptors.reserve(dense.size() + outputs.size());
  for (const Tensor &t : dense)
    descriptors.emplace_back(t.data(), t.sizes(),
                             Tensor::contiguousStrides(t.sizes()));
  for (const Tensor &t : outputs)
    descriptors.emplace_back(t.data(), t.sizes(),
                             Tensor::contiguousStrides(t.sizes()));
  std::vector<void *> args;
  args.reserve(descriptors.size());
  for (MemRefDescriptor &d : descriptors)
    args.push_back(d.get());
  // Extern kernels cannot throw through compiled code: they record an error
  // on this thread and leave their output untouched.
  kiln_rt_clear_error();
  entry_(args.data());
  if (const char *error = kiln_rt_last_error())
    fail(ErrorKind::Runtime, signature_.name, "(): ", error);
}

} // namespace kiln
