// kiln-inspect: a model file's manifest, weights table (with checksum status) and op counts; its IR after any
// lowering stage (--stage), down to host assembly; or its forward as a Graphviz graph (--dot).
#include "lib/Compiler/ObjectEmitter.h"
#include "lib/Model/ModelFile.h"
#include "lib/Pipelines/Pipelines.h"
#include "lib/Registration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace cl = llvm::cl;

namespace {

cl::OptionCategory toolCategory("kiln-inspect options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.kiln>"), cl::Required, cl::cat(toolCategory));
cl::opt<std::string> stage(
    "stage", cl::value_desc("name"),
    cl::desc("Print the IR after this lowering stage instead of the summary: kiln (as stored), "
             "linalg, bufferized, loops, vectorized, parallel, llvm (LLVM dialect), asm (host "
             "assembly)"), cl::cat(toolCategory));
cl::opt<bool> dot("dot", cl::desc("Print @forward as a Graphviz graph instead of the summary"), cl::cat(toolCategory));

int fail(const llvm::Twine &message) {
  llvm::errs() << "kiln-inspect: error: " << message << "\n";
  return 1;
}

std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string hex32(uint32_t value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format_hex(value, 10);
  return text;
}

// "f32[2, 4]" for a ranked tensor, else the type as MLIR prints it.
std::string typeLabel(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto tensor = mlir::dyn_cast<mlir::RankedTensorType>(type))
    os << tensor.getElementType() << shapeText(tensor.getShape());
  else
    os << type;
  return text;
}

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text)
    out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out;
}

void printTable(llvm::raw_ostream &os, const std::vector<std::vector<std::string>> &rows) {
  std::vector<size_t> widths;
  for (const auto &row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      widths.resize(std::max(widths.size(), row.size()));
      widths[i] = std::max(widths[i], row[i].size());
    }
  for (const auto &row : rows) {
    os << " ";
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 < row.size())
        os << " " << llvm::left_justify(row[i], widths[i]);
      else
        os << " " << row[i];
    }
    os << "\n";
  }
}

// Returns true when every checksum matched.
bool printSummary(llvm::raw_ostream &os, const kiln::model::Container &c,
                  const kiln::model::Model *model) {
  os << "file: " << c.name << " (" << c.buffer->getBufferSize() << " bytes, Kiln container "
     << c.majorVersion << "." << c.minorVersion;
  if (!c.producer.empty())
    os << ", written by " << c.producer;
  os << ")\n";
  for (const auto &[key, value] : c.metadata)
    os << "metadata: " << key << " = " << value << "\n";
  if (model) {
    if (!model->source.empty())
      os << "source: " << model->source << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto &d : model->inputs)
      rows.push_back({"input", d.name, d.dtype + shapeText(d.shape)});
    for (const auto &d : model->outputs)
      rows.push_back({"output", d.name, d.dtype + shapeText(d.shape)});
    os << "signature:\n";
    printTable(os, rows);
  }

  // Arrays the model names as weights get their weight name; others (a
  // checkpoint's) their table name.
  std::map<size_t, std::string> weightNames;
  if (model)
    for (const auto &w : model->weights)
      weightNames[w.array] = w.name;
  uint64_t total = 0;
  bool ok = true;
  std::vector<std::vector<std::string>> rows = {{"name", "dtype", "shape", "bytes", "checksum"}};
  for (size_t i = 0; i < c.arrays.size(); ++i) {
    const kiln::model::ArrayEntry &a = c.arrays[i];
    total += a.length;
    ok &= a.checksumOk;
    auto name = weightNames.find(i);
    rows.push_back({name != weightNames.end() ? name->second : a.name, a.dtype,
                    shapeText(a.shape), std::to_string(a.length),
                    a.checksumOk ? "ok"
                                 : "MISMATCH (stored " + hex32(a.crc32) + ", computed " +
                                       hex32(a.computedCrc32) + ")"});
  }
  os << "weights: " << c.arrays.size() << " arrays, " << total << " bytes\n";
  printTable(os, rows);
  for (const kiln::model::BlobEntry &b : c.blobs) {
    ok &= b.checksumOk;
    os << "blob: " << b.name << ", " << b.length << " bytes, checksum "
       << (b.checksumOk ? "ok"
                        : "MISMATCH (stored " + hex32(b.crc32) + ", computed " +
                              hex32(b.computedCrc32) + ")")
       << "\n";
  }
  return ok;
}

void printOpCounts(llvm::raw_ostream &os, mlir::func::FuncOp forward) {
  std::map<std::string, int> counts;
  int total = 0;
  forward.walk([&](mlir::Operation *op) {
    if (op != forward.getOperation()) {
      ++counts[op->getName().getStringRef().str()];
      ++total;
    }
  });
  os << "ops in @forward: " << total << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto &[name, n] : counts)
    rows.push_back({llvm::formatv("{0,5}", n).str(), name});
  printTable(os, rows);
}

void printDot(llvm::raw_ostream &os, mlir::func::FuncOp forward, const kiln::model::Model &m) {
  os << "digraph forward {\n"
     << "  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
  llvm::DenseMap<mlir::Value, std::string> nodeOf;
  for (auto [i, arg] : llvm::enumerate(forward.getArguments())) {
    std::string node = "arg" + std::to_string(i);
    bool isInput = i < m.inputs.size();
    std::string name = isInput ? m.inputs[i].name : m.weights[i - m.inputs.size()].name;
    os << "  " << node << " [label=\"" << (isInput ? "input " : "") << escape(name) << "\\n"
       << typeLabel(arg.getType()) << "\", shape=ellipse"
       << (isInput ? "" : ", style=filled, fillcolor=lightgrey") << "];\n";
    nodeOf[arg] = node;
  }
  int index = 0;
  for (mlir::Operation &op : forward.getBody().front()) {
    if (mlir::isa<mlir::func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(op.getOperands())) {
        std::string name = i < m.outputs.size() ? m.outputs[i].name : std::to_string(i);
        os << "  out" << i << " [label=\"output " << escape(name) << "\\n"
           << typeLabel(value.getType()) << "\", shape=ellipse];\n";
        os << "  " << nodeOf.lookup(value) << " -> out" << i << ";\n";
      }
      continue;
    }
    std::string node = "op" + std::to_string(index++);
    os << "  " << node << " [label=\"" << op.getName().getStringRef();
    for (mlir::Type type : op.getResultTypes())
      os << "\\n" << escape(typeLabel(type));
    os << "\"];\n";
    for (mlir::Value operand : op.getOperands())
      if (nodeOf.count(operand))
        os << "  " << nodeOf.lookup(operand) << " -> " << node << ";\n";
    for (mlir::Value result : op.getResults())
      nodeOf[result] = node;
  }
  os << "}\n";
}

// Runs the JIT's lowering stages up to and including `last` ("llvm" or
// "asm": all of them), printing the module or the host assembly.
int printStage(mlir::ModuleOp module, mlir::func::FuncOp forward, llvm::StringRef last) {
  // The JIT's entry point takes every argument and (out-parameter) result.
  unsigned numArgs = forward.getNumArguments() + forward.getNumResults();
  // The JIT compiles @forward with a C interface: the IR shown is the IR it compiles.
  if (last != "kiln")
    forward->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(module.getContext()));
  std::vector<kiln::PipelineStage> stages = kiln::getLoweringStages(kiln::LoweringOptions());
  bool known = last == "kiln" || last == "asm";
  for (const kiln::PipelineStage &s : stages)
    known |= s.name == last;
  if (!known) {
    std::string names = "kiln";
    for (const kiln::PipelineStage &s : stages)
      names += ", " + s.name;
    return fail("unknown stage '" + last + "' (known: " + names + ", asm)");
  }
  for (size_t i = 0; last != "kiln" && i < stages.size(); ++i) {
    mlir::PassManager pm(module.getContext(), mlir::ModuleOp::getOperationName(),
                         mlir::OpPassManager::Nesting::Implicit);
    stages[i].build(pm);
    if (mlir::failed(pm.run(module)))
      return fail("the lowering stage '" + stages[i].name + "' failed");
    if (stages[i].name == last)
      break;
  }
  if (last != "asm") {
    module.print(llvm::outs());
    return 0;
  }
  std::string assembly, error;
  kiln::compiler::LinkNeeds needs;
  kiln::compiler::EmitOptions emit;
  emit.fileType = llvm::CodeGenFileType::AssemblyFile;
  if (!kiln::compiler::emitObject(module, "forward", numArgs, [](llvm::StringRef, double) {},
                                  assembly, needs, nullptr, error, emit))
    return fail("cannot emit assembly: " + error);
  llvm::outs() << assembly;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln-inspect: shows a Kiln model file (.kiln): manifest, weights, op counts, the IR at "
      "each lowering stage, or a Graphviz graph of @forward\n");

  // Checksums are reported per array rather than stopping at the first one.
  kiln::model::ReadOptions options;
  options.verifyChecksums = false;
  llvm::Expected<kiln::model::Container> container =
      kiln::model::readContainerFile(inputFile, options);
  if (!container)
    return fail(llvm::toString(container.takeError()));
  bool checksumsOk = llvm::all_of(container->arrays, [](const auto &a) { return a.checksumOk; }) &&
                     llvm::all_of(container->blobs, [](const auto &b) { return b.checksumOk; });
  bool summary = stage.empty() && !dot;

  llvm::Expected<kiln::model::Model> model = kiln::model::readModel(*container);
  if (!model) {
    std::string why = llvm::toString(model.takeError());
    if (summary) {
      printSummary(llvm::outs(), *container, nullptr);
      llvm::outs().flush();
    }
    return fail(why);
  }
  if (summary && !checksumsOk) {
    printSummary(llvm::outs(), model->container, &*model);
    llvm::outs().flush();
    return fail(inputFile + ": checksum mismatch (see the table above)");
  }

  std::unique_ptr<mlir::MLIRContext> owned = kiln::createKilnContext(/*translations=*/true);
  mlir::MLIRContext &context = *owned;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(model->ir, mlir::ParserConfig(&context));
  if (!module)
    return fail("cannot parse the verified IR again (a bug)");
  auto forward = module->lookupSymbol<mlir::func::FuncOp>("forward");

  if (dot) {
    printDot(llvm::outs(), forward, *model);
    return 0;
  }
  if (!stage.empty()) {
    if (!checksumsOk)
      return fail(inputFile + ": checksum mismatch (run kiln-inspect without --stage for details)");
    return printStage(*module, forward, stage);
  }
  printSummary(llvm::outs(), model->container, &*model);
  printOpCounts(llvm::outs(), forward);
  return 0;
}
