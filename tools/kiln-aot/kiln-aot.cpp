// kiln-aot: compiles a model file ahead of time into a shared library, object or archive (host or named CPU)
// with a C header;
// the output needs only libkiln_runtime.so at run time (runtime/exec/AotModel.h is its ABI).
#include "lib/Compiler/ObjectEmitter.h"
#include "lib/Model/ModelFile.h"
#include "lib/Pipelines/Pipelines.h"
#include "lib/Registration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace {

cl::OptionCategory toolCategory("kiln-aot options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.kiln>"), cl::Required, cl::cat(toolCategory));
cl::opt<std::string> outputFile("o", cl::value_desc("libNAME.so|NAME.o|libNAME.a"), cl::Required,
                                cl::desc("The shared library (.so), object file (.o) or static "
                                         "archive (.a) to write"), cl::cat(toolCategory));
cl::opt<std::string> targetCPU("mcpu", cl::value_desc("cpu"),
                               cl::desc("Compile for this CPU (e.g. skylake-avx512, znver3, "
                                        "x86-64-v3) and its default features instead of the "
                                        "host's CPU and features"), cl::cat(toolCategory));
cl::opt<std::string> modelName("name", cl::value_desc("identifier"),
                               cl::desc("Prefix of the C symbols (default: from the output "
                                        "file, libmodel.so -> model)"), cl::cat(toolCategory));
cl::opt<std::string> headerFile("header", cl::value_desc("file.h"),
                                cl::desc("The C header to write (default: NAME.h beside the "
                                         "output)"), cl::cat(toolCategory));
enum class WeightsMode { Embed, File };
cl::opt<WeightsMode> weightsMode(
    "weights", cl::desc("Where the weights go"), cl::init(WeightsMode::Embed),
    cl::values(clEnumValN(WeightsMode::Embed, "embed", "inside the library (default)"),
               clEnumValN(WeightsMode::File, "file",
                          "into NAME.weights beside the output, mapped at create time")), cl::cat(toolCategory));

int fail(const llvm::Twine &message) {
  llvm::errs() << "kiln-aot: error: " << message << "\n";
  return 1;
}

// The kiln::DType order (runtime/exec/AotModel.h, enum kiln_dtype).
int dtypeCode(llvm::StringRef dtype) {
  static const char *const names[] = {"float32", "float64", "float16", "bfloat16", "int8",
                                      "int32",   "int64",   "uint8",   "bool"};
  for (int i = 0; i < 9; ++i)
    if (dtype == names[i])
      return i;
  return -1;
}

std::string defaultName(llvm::StringRef output) {
  llvm::StringRef stem = llvm::sys::path::stem(output);
  stem.consume_front("lib");
  std::string name;
  for (char c : stem)
    name += llvm::isAlnum(c) ? c : '_';
  if (name.empty() || llvm::isDigit(name[0]))
    name = "model_" + name;
  return name;
}

bool isIdentifier(llvm::StringRef name) {
  return !name.empty() && !llvm::isDigit(name[0]) &&
         llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

struct TensorRecord {
  std::string name, dtype;
  std::vector<int64_t> shape;
  uint64_t nbytes = 0, offset = 0;
};

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

uint64_t bytesOf(const std::string &dtype, const std::vector<int64_t> &shape) {
  uint64_t n = kiln::model::dtypeItemSize(dtype);
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

// Adds `<name>_info` (kiln_aot_model_info) and what it points to.
void addModelInfo(llvm::Module &m, const std::string &name, const std::string &entry,
                  const std::vector<TensorRecord> (&tensors)[3], llvm::StringRef weights,
                  uint64_t weightsSize, bool embed) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *tensorType = llvm::StructType::create(ctx, {ptr, i32, i32, ptr, i64, i64}, "kiln_aot_tensor");
  auto *infoType = llvm::StructType::create(
      ctx, {i32, ptr, ptr, i32, i32, i32, ptr, ptr, ptr, ptr, i64}, "kiln_aot_model_info");
  auto privateConstant = [&](llvm::Constant *init, const llvm::Twine &symbol, unsigned align) {
    auto *g = new llvm::GlobalVariable(m, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                       init, symbol);
    g->setAlignment(llvm::Align(align));
    return g;
  };
  auto string = [&](llvm::StringRef text) -> llvm::Constant * {
    return privateConstant(llvm::ConstantDataArray::getString(ctx, text), name + ".str", 1);
  };
  const char *roles[3] = {"inputs", "outputs", "weights"};
  llvm::Constant *tables[3];
  for (int r = 0; r < 3; ++r) {
    std::vector<llvm::Constant *> entries;
    for (const TensorRecord &t : tensors[r]) {
      std::vector<uint64_t> dims(t.shape.begin(), t.shape.end());
      llvm::Constant *shape =
          dims.empty() ? llvm::ConstantPointerNull::get(ptr)
                       : static_cast<llvm::Constant *>(privateConstant(
                             llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<uint64_t>(dims)),
                             name + ".shape", 8));
      entries.push_back(llvm::ConstantStruct::get(
          tensorType, {string(t.name), llvm::ConstantInt::get(i32, dtypeCode(t.dtype)),
                       llvm::ConstantInt::get(i32, t.shape.size()), shape,
                       llvm::ConstantInt::get(i64, t.nbytes), llvm::ConstantInt::get(i64, t.offset)}));
    }
    tables[r] = entries.empty()
                    ? static_cast<llvm::Constant *>(llvm::ConstantPointerNull::get(ptr))
                    : privateConstant(llvm::ConstantArray::get(
                                          llvm::ArrayType::get(tensorType, entries.size()), entries),
                                      name + "." + roles[r], 8);
  }
  llvm::Constant *data = llvm::ConstantPointerNull::get(ptr);
  if (embed && weightsSize > 0)
    data = privateConstant(llvm::ConstantDataArray::getRaw(weights, weightsSize,
                                                           llvm::Type::getInt8Ty(ctx)),
                           name + ".weights", 64);
  llvm::Constant *info = llvm::ConstantStruct::get(
      infoType,
      {llvm::ConstantInt::get(i32, 1), string(name), m.getFunction(entry),
       llvm::ConstantInt::get(i32, tensors[0].size()), llvm::ConstantInt::get(i32, tensors[1].size()),
       llvm::ConstantInt::get(i32, tensors[2].size()), tables[0], tables[1], tables[2], data,
       llvm::ConstantInt::get(i64, weightsSize)});
  auto *g = new llvm::GlobalVariable(m, infoType, true, llvm::GlobalValue::ExternalLinkage, info,
                                     name + "_info");
  g->setAlignment(llvm::Align(8));
}

std::string header(const std::string &name, const std::vector<TensorRecord> (&tensors)[3],
                   uint64_t weightsSize, bool embed, const std::string &weightsFile) {
  std::string upper = llvm::StringRef(name).upper();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* " << name << ": generated by kiln-aot from " << llvm::sys::path::filename(inputFile)
     << "; do not edit.\n";
  const char *roles[2] = {"input ", "output"};
  for (int r = 0; r < 2; ++r)
    for (const TensorRecord &t : tensors[r])
      os << "   " << roles[r] << " " << t.name << ": " << t.dtype << shapeText(t.shape) << " ("
         << t.nbytes << " bytes)\n";
  os << "   weights: " << tensors[2].size() << " arrays, " << weightsSize << " bytes, "
     << (embed ? "embedded" : "in " + weightsFile) << "\n"
     << "   Link the library and libkiln_runtime.so; see runtime/exec/AotModel.h. */\n"
     << "#ifndef KILN_MODEL_" << upper << "_H\n#define KILN_MODEL_" << upper << "_H\n\n"
     << "#include \"runtime/exec/AotModel.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
     << "extern const kiln_aot_model_info " << name << "_info;\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n"
     << "#define " << upper << "_NUM_INPUTS " << tensors[0].size() << "\n"
     << "#define " << upper << "_NUM_OUTPUTS " << tensors[1].size() << "\n"
     << "#define " << upper << "_WEIGHTS_EMBEDDED " << (embed ? 1 : 0) << "\n"
     << "#define KILN_MODEL_INFO " << name << "_info\n\n"
     << "/* weights_path: the .weights file for a model compiled with --weights=file, else NULL. */\n"
     << "static inline int " << name
     << "_create(const char *weights_path, kiln_model **model) {\n"
     << "  return kiln_aot_create(&" << name << "_info, weights_path, model);\n}\n"
     << "static inline int " << name
     << "_run(kiln_model *model, const void *const *inputs, void *const *outputs) {\n"
     << "  return kiln_aot_run(model, inputs, outputs);\n}\n"
     << "static inline void " << name << "_destroy(kiln_model *model) { kiln_aot_destroy(model); }\n"
     << "\n#endif\n";
  return text;
}

bool writeFile(const std::string &path, llvm::StringRef bytes, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  os << bytes;
  os.close();
  if (os.has_error()) {
    error = path + ": " + os.error().message();
    os.clear_error();
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln-aot: compiles a Kiln model file into a shared library (.so), object (.o) or archive "
      "(.a) for the host CPU or --mcpu, with a C header; at run time it needs only "
      "libkiln_runtime.so\n");

  llvm::StringRef extension = llvm::sys::path::extension(outputFile);
  if (extension != ".so" && extension != ".o" && extension != ".a")
    return fail("-o " + outputFile + ": the output must end in .so, .o or .a");
  kiln::LoweringOptions lowering;
  if (!targetCPU.empty()) {
    std::string error;
    if (!kiln::compiler::cpuVectorWidth(targetCPU, lowering.vectorWidth, error))
      return fail("--mcpu: " + error);
  }
  std::string name = modelName.empty() ? defaultName(outputFile) : modelName.getValue();
  if (!isIdentifier(name))
    return fail("--name " + name + " is not a C identifier");
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(outputFile));
  auto beside = [&](const std::string &file) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    return std::string(path);
  };
  std::string headerPath = headerFile.empty() ? beside(name + ".h") : headerFile.getValue();
  bool embed = weightsMode == WeightsMode::Embed;
  std::string weightsPath = beside(name + ".weights");

  llvm::Expected<kiln::model::Model> model = kiln::model::readModelFile(inputFile);
  if (!model)
    return fail(llvm::toString(model.takeError()));

  // The weights, each 64-byte aligned, in @forward's order.
  std::vector<TensorRecord> tensors[3];
  for (const auto &d : model->inputs)
    tensors[0].push_back({d.name, d.dtype, d.shape, bytesOf(d.dtype, d.shape), 0});
  for (const auto &d : model->outputs)
    tensors[1].push_back({d.name, d.dtype, d.shape, bytesOf(d.dtype, d.shape), 0});
  std::string weights;
  for (const kiln::model::Weight &w : model->weights) {
    const kiln::model::ArrayEntry &a = model->container.arrays[w.array];
    weights.resize((weights.size() + 63) / 64 * 64, '\0');
    tensors[2].push_back({w.name, a.dtype, a.shape, a.length, weights.size()});
    weights.append(a.data, a.length);
  }
  uint64_t weightsSize = weights.size();

  std::unique_ptr<mlir::MLIRContext> owned = kiln::createKilnContext(/*translations=*/true);
  mlir::MLIRContext &context = *owned;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(model->ir, mlir::ParserConfig(&context));
  if (!module)
    return fail("cannot parse the verified IR again (a bug)");
  auto forward = module->lookupSymbol<mlir::func::FuncOp>("forward");
  unsigned numArgs = forward.getNumArguments() + forward.getNumResults();
  // One library may hold several models: the symbols carry the model's name.
  std::string function = name + "_forward";
  if (mlir::failed(mlir::SymbolTable::replaceAllSymbolUses(
          forward, mlir::StringAttr::get(&context, function), *module)))
    return fail("cannot rename @forward");
  mlir::SymbolTable::setSymbolName(forward, function);
  forward->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(&context));
  for (const kiln::PipelineStage &stage : kiln::getLoweringStages(lowering)) {
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName(),
                         mlir::OpPassManager::Nesting::Implicit);
    stage.build(pm);
    if (mlir::failed(pm.run(*module)))
      return fail("the lowering stage '" + stage.name + "' failed");
  }

  std::string object, error;
  kiln::compiler::LinkNeeds needs;
  std::string entry = "kiln_entry_" + function;
  kiln::compiler::EmitOptions emit;
  emit.cpu = targetCPU;
  auto extend = [&](llvm::Module &m) {
    addModelInfo(m, name, entry, tensors, weights, weightsSize, embed);
  };
  emit.extend = extend; // a function_ref: `extend` must outlive the call
  if (!kiln::compiler::emitObject(*module, function, numArgs, [](llvm::StringRef, double) {},
                                  object, needs, nullptr, error, emit))
    return fail("cannot compile: " + error);

  if (extension == ".o") {
    if (!writeFile(outputFile, object, error))
      return fail(error);
  } else if (extension == ".a") {
    std::string memberName = name + ".o";
    std::vector<llvm::NewArchiveMember> members;
    members.emplace_back(llvm::MemoryBufferRef(object, memberName));
    if (llvm::Error e = llvm::writeArchive(outputFile, members,
                                           llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::K_GNU,
                                           /*Deterministic=*/true, /*Thin=*/false))
      return fail(outputFile + ": " + llvm::toString(std::move(e)));
  } else {
    llvm::SmallString<128> objectPath;
    if (llvm::sys::fs::createTemporaryFile("kiln-aot", "o", objectPath))
      return fail("cannot create a temporary object file");
    bool ok = writeFile(std::string(objectPath), object, error) &&
              kiln::compiler::linkSharedLibrary(std::string(objectPath), outputFile, needs, error);
    llvm::sys::fs::remove(objectPath);
    if (!ok)
      return fail(error);
  }
  if (!embed && !writeFile(weightsPath, weights, error))
    return fail(error);
  if (!writeFile(headerPath,
                 header(name, tensors, weightsSize, embed,
                        std::string(llvm::sys::path::filename(weightsPath))),
                 error))
    return fail(error);
  llvm::outs() << "kiln-aot: wrote " << outputFile << " and " << headerPath
               << (embed ? "" : " and " + weightsPath) << " (" << name << ": "
               << tensors[0].size() << " input(s), " << tensors[1].size() << " output(s), "
               << weightsSize << " bytes of weights"
               << (needs.openMP ? ", uses OpenMP (libomp)" : "") << ")\n";
  return 0;
}
