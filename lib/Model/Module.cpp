// kiln::jit::load and Module::forward: the checked model file, its weights as tensors over the map, the JIT.
#include "lib/Model/Module.h"

#include "lib/Compiler/JIT.h"
#include "lib/Model/ModelFile.h"
#include "runtime/core/Error.h"
#include "runtime/exec/Executable.h"

namespace kiln::jit {

struct Module::Impl {
  std::string path;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  std::vector<std::pair<std::string, Tensor>> weights;
  std::string source;
  std::string ir;
  std::shared_ptr<Executable> executable;
};

namespace {

TensorInfo info(const model::TensorDescription &d) {
  return TensorInfo{d.name, parseDType(d.dtype), IntList(d.shape.begin(), d.shape.end())};
}

std::string describe(const TensorInfo &t) {
  return "'" + t.name + "' " + formatSpec(TensorSpec{t.dtype, t.shape});
}

} // namespace

const std::string &Module::path() const { return impl_->path; }
const std::vector<TensorInfo> &Module::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo> &Module::outputs() const { return impl_->outputs; }
const std::vector<std::pair<std::string, Tensor>> &Module::weights() const {
  return impl_->weights;
}
const std::string &Module::source() const { return impl_->source; }
const std::string &Module::ir() const { return impl_->ir; }

std::vector<Tensor> Module::forward(const std::vector<Tensor> &inputs) const {
  const Impl &m = *impl_;
  if (inputs.size() != m.inputs.size()) {
    std::string expected;
    for (const TensorInfo &t : m.inputs)
      expected += (expected.empty() ? "" : ", ") + describe(t);
    fail(ErrorKind::Value, "forward(): ", m.path, " takes ", m.inputs.size(),
         " input(s) (", expected, "), but ", inputs.size(), " were given");
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor &t = inputs[i];
    const TensorInfo &want = m.inputs[i];
    if (!t.defined())
      fail(ErrorKind::Value, "forward(): input ", i, " ('", want.name,
           "') is an undefined tensor");
    if (!t.device().isCPU())
      fail(ErrorKind::Value, "forward(): input ", i, " ('", want.name, "') is on ",
           t.device().str(), ", but the model runs on the cpu");
    if (t.dtype() != want.dtype)
      fail(ErrorKind::Type, "forward(): input ", i, " ('", want.name, "') has dtype ",
           name(t.dtype()), ", but the model expects ", name(want.dtype));
    if (t.sizes() != want.shape)
      fail(ErrorKind::Value, "forward(): input ", i, " ('", want.name, "') has shape ",
           formatList(t.sizes()), ", but the model expects ", formatList(want.shape));
  }
  std::vector<Tensor> arguments(inputs);
  for (const auto &weight : m.weights)
    arguments.push_back(weight.second);
  return m.executable->run(arguments);
}

Module load(const std::string &path) {
  llvm::Expected<model::Model> read = model::readModelFile(path);
  if (!read)
    fail(ErrorKind::Runtime, "kiln::jit::load(): ", llvm::toString(read.takeError()));
  model::Model &file = *read;

  auto impl = std::make_shared<Module::Impl>();
  impl->path = path;
  impl->source = file.source;
  impl->ir = file.ir;
  for (const model::TensorDescription &d : file.inputs)
    impl->inputs.push_back(info(d));
  for (const model::TensorDescription &d : file.outputs)
    impl->outputs.push_back(info(d));
  // Each weight views the file's bytes; the storage keeps the map alive.
  std::shared_ptr<llvm::MemoryBuffer> buffer = file.container.buffer;
  for (const model::Weight &w : file.weights) {
    const model::ArrayEntry &array = file.container.arrays[w.array];
    DType dtype = parseDType(array.dtype);
    IntList shape(array.shape.begin(), array.shape.end());
    Storage storage = Storage::fromExternal(const_cast<char *>(array.data), array.length,
                                            Device(), [buffer](void *) {});
    impl->weights.emplace_back(
        w.name, Tensor(storage, shape, Tensor::contiguousStrides(shape), 0, dtype));
  }

  compiler::CompileOptions options;
  options.entry = "forward";
  compiler::CompileResult compiled = compiler::compile(file.ir, options);
  if (!compiled.executable)
    fail(ErrorKind::Runtime, "kiln::jit::load(): ", path, ": @forward does not compile: ",
         compiled.diagnostics);
  impl->executable = compiled.executable;
  return Module(std::move(impl));
}

} // namespace kiln::jit
