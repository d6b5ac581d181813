// The model layer over the container: the root's model keys, then the IR (bytecode, verifier, dialects, signature).
#include "lib/Model/ModelFile.h"

#include "lib/Model/Isolate.h"

#include "dialects/Kiln/IR/KilnDialect.h"
#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::model {
namespace {

// A valid model's IR parses in milliseconds; a hostile one may loop.
constexpr int kIsolationTimeoutSeconds = 60;

// MLIR element type (as printed) <-> container dtype name.
constexpr std::pair<const char *, const char *> kElementTypes[] = {
    {"f32", "float32"}, {"f64", "float64"}, {"f16", "float16"},
    {"bf16", "bfloat16"}, {"i8", "int8"},  {"ui8", "uint8"},
    {"i32", "int32"},   {"i64", "int64"},  {"i1", "bool"},
};

std::string excerpt(const llvm::json::Value &value) {
  std::string text;
  llvm::raw_string_ostream(text) << value;
  return text.size() > 80 ? text.substr(0, 80) + "..." : text;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string describe(const std::string &dtype, const std::vector<int64_t> &shape) {
  return dtype + formatShape(shape);
}

// The container dtype and shape of a tensor type, or false when it is not a
// statically shaped tensor of a Kiln dtype.
bool tensorDescription(mlir::Type type, std::string &dtype, std::vector<int64_t> &shape) {
  auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return false;
  std::string element;
  llvm::raw_string_ostream(element) << tensor.getElementType();
  for (const auto &[mlirName, dtypeName] : kElementTypes)
    if (element == mlirName) {
      dtype = dtypeName;
      shape.assign(tensor.getShape().begin(), tensor.getShape().end());
      return true;
    }
  return false;
}

std::string typeText(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

class ModelReader {
public:
  ModelReader(Container container, bool isolate) : isolate_(isolate) {
    model_.container = std::move(container);
  }

  llvm::Expected<Model> read() {
    if (llvm::Error e = checkMetadata())
      return std::move(e);
    if (llvm::Error e = readRoot())
      return std::move(e);
    if (llvm::Error e = readIR())
      return std::move(e);
    return std::move(model_);
  }

private:
  llvm::Error error(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   model_.container.name + ": " + message.str());
  }

  llvm::Error checkMetadata() {
    const std::string *file = model_.container.findMetadata("kiln.file");
    if (!file || *file != "model")
      return error("not a model file (a kiln.save checkpoint?): metadata 'kiln.file' is " +
                   (file ? "'" + *file + "'" : std::string("missing")) + ", expected 'model'");
    const std::string *version = model_.container.findMetadata("kiln.model_version");
    if (!version || *version != "1")
      return error("unknown model version " +
                   (version ? "'" + *version + "'" : std::string("(missing)")) +
                   " (this Kiln reads model version 1)");
    return llvm::Error::success();
  }

  // The value of `key` in a {"dict": [[k, v], ...]} (checked by the container
  // reader), or null.
  static const llvm::json::Value *lookup(const llvm::json::Array &pairs, llvm::StringRef key) {
    for (const llvm::json::Value &pair : pairs) {
      const llvm::json::Array &kv = *pair.getAsArray();
      if (kv[0].getAsString() && *kv[0].getAsString() == key)
        return &kv[1];
    }
    return nullptr;
  }

  // The body of a one-key tagged value `{tag: body}`, or null.
  static const llvm::json::Value *tagged(const llvm::json::Value *value, llvm::StringRef tag) {
    const llvm::json::Object *object = value ? value->getAsObject() : nullptr;
    return object ? object->get(tag) : nullptr;
  }

  static const llvm::json::Array *sequence(const llvm::json::Value *value) {
    const llvm::json::Value *body = tagged(value, "list");
    if (!body)
      body = tagged(value, "tuple");
    return body ? body->getAsArray() : nullptr;
  }

  llvm::Error readDescriptions(const llvm::json::Array &root, llvm::StringRef key,
                               std::vector<TensorDescription> &out) {
    const llvm::json::Array *items = sequence(lookup(root, key));
    if (!items)
      return error("model key '" + key + "' must be a list of {name, dtype, shape} dicts");
    for (size_t i = 0; i < items->size(); ++i) {
      std::string what = "model key '" + key.str() + "' entry " + std::to_string(i);
      const llvm::json::Value *dict = tagged(&(*items)[i], "dict");
      if (!dict)
        return error(what + " must be a dict with 'name', 'dtype' and 'shape', got " +
                     excerpt((*items)[i]));
      const llvm::json::Array &pairs = *dict->getAsArray();
      TensorDescription d;
      const llvm::json::Value *name = lookup(pairs, "name");
      const llvm::json::Value *dtype = lookup(pairs, "dtype");
      if (!name || !name->getAsString())
        return error(what + ": 'name' must be a string");
      d.name = name->getAsString()->str();
      if (!dtype || !dtype->getAsString() || !dtypeItemSize(*dtype->getAsString()))
        return error(what + " ('" + d.name + "'): 'dtype' must be a dtype name, got " +
                     (dtype ? excerpt(*dtype) : std::string("nothing")));
      d.dtype = dtype->getAsString()->str();
      const llvm::json::Array *shape = sequence(lookup(pairs, "shape"));
      bool ok = shape != nullptr;
      for (size_t k = 0; ok && k < shape->size(); ++k) {
        const llvm::json::Value *n = tagged(&(*shape)[k], "int");
        std::optional<int64_t> size = n ? n->getAsInteger() : std::nullopt;
        ok = size && *size >= 0;
        if (ok)
          d.shape.push_back(*size);
      }
      if (!ok)
        return error(what + " ('" + d.name +
                     "'): 'shape' must be a list of non-negative ints");
      out.push_back(std::move(d));
    }
    return llvm::Error::success();
  }

  llvm::Error readRoot() {
    const llvm::json::Value *dict = tagged(&model_.container.root, "dict");
    if (!dict)
      return error("the saved object is not a dict of model keys");
    const llvm::json::Array &root = *dict->getAsArray();
    const llvm::json::Value *format = lookup(root, "format");
    if (!format || !format->getAsString() || *format->getAsString() != "kiln.model")
      return error("model key 'format' must be \"kiln.model\", got " +
                   (format ? excerpt(*format) : std::string("nothing")));
    const llvm::json::Value *version = tagged(lookup(root, "version"), "int");
    if (!version || version->getAsInteger() != 1)
      return error("model key 'version' must be the int 1, got " +
                   (lookup(root, "version") ? excerpt(*lookup(root, "version"))
                                            : std::string("nothing")));
    if (llvm::Error e = readDescriptions(root, "inputs", model_.inputs))
      return e;
    if (llvm::Error e = readDescriptions(root, "outputs", model_.outputs))
      return e;
    const llvm::json::Value *weights = tagged(lookup(root, "weights"), "dict");
    if (!weights)
      return error("model key 'weights' must be a dict of name -> tensor");
    for (const llvm::json::Value &pair : *weights->getAsArray()) {
      const llvm::json::Array &kv = *pair.getAsArray();
      const llvm::json::Value *tensor = tagged(&kv[1], "tensor");
      if (!kv[0].getAsString() || !tensor)
        return error("model key 'weights': entry " + excerpt(kv[0]) +
                     " must map a string to a tensor");
      model_.weights.push_back(
          {kv[0].getAsString()->str(),
           static_cast<size_t>(*tensor->getAsObject()->get("array")->getAsUINT64())});
    }
    if (const llvm::json::Value *source = lookup(root, "source")) {
      if (!source->getAsString())
        return error("model key 'source' must be a string, got " + excerpt(*source));
      model_.source = source->getAsString()->str();
    }
    return llvm::Error::success();
  }

  llvm::Error readIR() {
    const BlobEntry *blob = model_.container.findBlob("ir");
    if (!blob)
      return error("no 'ir' blob (the model's program)");
    std::string bufferName = model_.container.name + ":ir";
    llvm::MemoryBufferRef buffer(blob->bytes(), bufferName);
    if (!mlir::isBytecode(buffer))
      return error("blob 'ir' is not MLIR bytecode");
    if (!isolate_)
      return checkIR(buffer);
    // MLIR 19's bytecode reader is not hardened against hostile bytes (a
    // crafted blob with a valid CRC can make it crash): it runs in a child
    // process, which answers 'E' + the error or 'T' + the verified IR text.
    llvm::Expected<std::string> answer = runIsolated(
        [&]() -> std::string {
          if (llvm::Error e = checkIR(buffer))
            return "E" + llvm::toString(std::move(e));
          return "T" + model_.ir;
        },
        "the IR reader", kIsolationTimeoutSeconds);
    if (!answer)
      return error("blob 'ir' is malformed: " + llvm::toString(answer.takeError()));
    if ((*answer)[0] == 'E')
      return llvm::createStringError(llvm::inconvertibleErrorCode(), answer->substr(1));
    model_.ir = answer->substr(1);
    return llvm::Error::success();
  }

  // Parses, verifies and checks the IR in this process; sets model_.ir.
  llvm::Error checkIR(llvm::MemoryBufferRef buffer) {
    mlir::DialectRegistry registry;
    registry.insert<mlir::func::FuncDialect, kiln::KilnDialect>();
    mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
    context.allowUnregisteredDialects(false);
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
      llvm::raw_string_ostream os(diagnostics);
      os << (diagnostics.empty() ? "" : "; ") << diag.str();
      return mlir::success();
    });

    mlir::Block block;
    mlir::ParserConfig config(&context);
    if (mlir::failed(mlir::readBytecodeFile(buffer, &block, config))) {
      // MLIR's advice to allow unregistered dialects is not the user's to take.
      size_t advice = diagnostics.find(". If this is intended");
      if (advice != std::string::npos)
        diagnostics = diagnostics.substr(0, advice) +
                      " (only the builtin, func and kiln dialects may appear)";
      return error("blob 'ir' does not parse: " + diagnostics);
    }
    if (block.getOperations().size() != 1 || !mlir::isa<mlir::ModuleOp>(block.front()))
      return error("blob 'ir' must hold one builtin.module");
    mlir::OwningOpRef<mlir::ModuleOp> module(mlir::cast<mlir::ModuleOp>(block.front()));
    module->getOperation()->remove();
    if (mlir::failed(mlir::verify(*module)))
      return error("the IR does not verify: " + diagnostics);

    std::string foreign;
    module->walk([&](mlir::Operation *op) {
      llvm::StringRef ns = op->getName().getDialectNamespace();
      if (foreign.empty() && ns != "builtin" && ns != "func" && ns != "kiln")
        foreign = op->getName().getStringRef().str();
    });
    if (!foreign.empty())
      return error("the IR uses '" + foreign +
                   "': only the builtin, func and kiln dialects may appear");
    if (llvm::Error e = checkForward(*module))
      return e;
    llvm::raw_string_ostream(model_.ir) << *module;
    return llvm::Error::success();
  }

  llvm::Error checkForward(mlir::ModuleOp module) {
    std::vector<std::string> names;
    mlir::func::FuncOp forward;
    for (mlir::Operation &op : module.getBody()->getOperations()) {
      auto func = mlir::dyn_cast<mlir::func::FuncOp>(op);
      if (!func)
        return error("the module holds a '" + op.getName().getStringRef() +
                     "' beside @forward (only one func.func is allowed)");
      names.push_back("@" + func.getSymName().str());
      if (func.getSymName() == "forward")
        forward = func;
    }
    if (names.size() != 1 || !forward) {
      std::string list;
      for (const std::string &n : names)
        list += (list.empty() ? "" : ", ") + n;
      return error("the module must hold exactly one function, @forward; it holds " +
                   llvm::Twine(names.size()) + (names.empty() ? "" : ": " + list));
    }
    if (!forward.isPublic() || forward.isExternal())
      return error("@forward must be a public function with a body");

    mlir::FunctionType type = forward.getFunctionType();
    size_t expected = model_.inputs.size() + model_.weights.size();
    if (type.getNumInputs() != expected)
      return error("@forward takes " + llvm::Twine(type.getNumInputs()) +
                   " arguments, but the model lists " + llvm::Twine(model_.inputs.size()) +
                   " input(s) and " + llvm::Twine(model_.weights.size()) + " weight(s)");
    if (type.getNumResults() != model_.outputs.size())
      return error("@forward returns " + llvm::Twine(type.getNumResults()) +
                   " results, but the model lists " + llvm::Twine(model_.outputs.size()) +
                   " output(s)");
    for (size_t i = 0; i < expected; ++i) {
      std::string dtype, what;
      std::vector<int64_t> shape;
      if (i < model_.inputs.size()) {
        dtype = model_.inputs[i].dtype;
        shape = model_.inputs[i].shape;
        what = "input " + std::to_string(i) + " '" + model_.inputs[i].name + "'";
      } else {
        const Weight &w = model_.weights[i - model_.inputs.size()];
        dtype = model_.container.arrays[w.array].dtype;
        shape = model_.container.arrays[w.array].shape;
        what = "weight '" + w.name + "'";
      }
      if (llvm::Error e = checkType(type.getInput(i), "argument " + std::to_string(i), what,
                                    dtype, shape))
        return e;
    }
    for (size_t i = 0; i < model_.outputs.size(); ++i) {
      const TensorDescription &out = model_.outputs[i];
      if (llvm::Error e = checkType(type.getResult(i), "result " + std::to_string(i),
                                    "output " + std::to_string(i) + " '" + out.name + "'",
                                    out.dtype, out.shape))
        return e;
    }
    return llvm::Error::success();
  }

  llvm::Error checkType(mlir::Type type, const std::string &position, const std::string &what,
                        const std::string &dtype, const std::vector<int64_t> &shape) {
    std::string actualDType;
    std::vector<int64_t> actualShape;
    if (!tensorDescription(type, actualDType, actualShape))
      return error("@forward's " + position + " has type " + typeText(type) +
                   ", not a static tensor of a Kiln dtype");
    if (actualDType != dtype || actualShape != shape)
      return error("@forward's " + position + " is " + typeText(type) + " (" +
                   describe(actualDType, actualShape) + "), but " + what + " is " +
                   describe(dtype, shape));
    return llvm::Error::success();
  }

  Model model_;
  bool isolate_;
};

} // namespace

llvm::Expected<Model> readModel(Container container, const ReadOptions &options) {
  return ModelReader(std::move(container), options.isolateIR).read();
}

llvm::Expected<Model> readModelFile(llvm::StringRef path, const ReadOptions &options) {
  llvm::Expected<Container> container = readContainerFile(path, options);
  if (!container)
    return container.takeError();
  return readModel(std::move(*container), options);
}

llvm::Expected<Model> readModelFromMemory(llvm::StringRef bytes, llvm::StringRef name,
                                          const ReadOptions &options) {
  std::unique_ptr<llvm::WritableMemoryBuffer> copy =
      llvm::WritableMemoryBuffer::getNewUninitMemBuffer(bytes.size(), name, llvm::Align(64));
  if (!copy)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   name + ": cannot allocate " + llvm::Twine(bytes.size()) +
                                       " bytes");
  std::copy(bytes.begin(), bytes.end(), copy->getBufferStart());
  llvm::Expected<Container> container =
      readContainer(std::shared_ptr<llvm::MemoryBuffer>(std::move(copy)), name, options);
  if (!container)
    return container.takeError();
  return readModel(std::move(*container), options);
}

} // namespace kiln::model
