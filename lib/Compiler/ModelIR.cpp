// Model IR: parse (text or bytecode), verify, enforce the model rules, write bytecode or print.
#include "lib/Compiler/ModelIR.h"

#include "lib/Compiler/DiagnosticCapture.h"
#include "lib/Registration.h"
#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <functional>

using namespace mlir;
using kiln::compiler::ModelIR;

namespace {

// Runs `body` with a fresh context whose diagnostics go to `result`.
void withContext(ModelIR &result,
                 const std::function<void(MLIRContext &)> &body) {
  std::unique_ptr<MLIRContext> context = kiln::createKilnContext(/*translations=*/false);
  context->loadAllAvailableDialects();
  kiln::compiler::DiagnosticCapture captured(*context, result.diagnostics);
  body(*context);
}

bool typeOf(Type type, ModelIR::TensorType &out) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return false;
  std::string element;
  llvm::raw_string_ostream os(element);
  tensor.getElementType().print(os);
  static const char *known[] = {"f32", "f64", "f16", "bf16", "i8",
                                "i32", "i64", "ui8", "i1"};
  bool ok = false;
  for (const char *name : known)
    ok |= element == name;
  if (!ok)
    return false;
  out.element = element;
  out.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return true;
}

// Checks the model rules on a verified module; fills the signature.
bool checkModel(ModuleOp module, ModelIR &result) {
  auto fail = [&](const std::string &message) {
    result.diagnostics += message + "\n";
    return false;
  };
  Block *body = module.getBody();
  size_t count = 0;
  func::FuncOp forward;
  for (Operation &op : *body) {
    ++count;
    forward = llvm::dyn_cast<func::FuncOp>(op);
  }
  if (count != 1 || !forward)
    return fail("the module must hold exactly one function (func.func "
                "@forward), but holds " +
                std::to_string(count) + " operation(s)");
  if (forward.getSymName() != "forward")
    return fail("the function must be named @forward, not @" +
                forward.getSymName().str());
  if (!forward.isPublic() || forward.isDeclaration())
    return fail("@forward must be public and have a body");
  std::string bad;
  module.walk([&](Operation *op) {
    if (!bad.empty() || op == module.getOperation())
      return;
    llvm::StringRef dialect = op->getName().getDialectNamespace();
    llvm::StringRef name = op->getName().getStringRef();
    bool allowed = dialect == "kiln" || name == "func.func" ||
                   name == "func.return";
    if (!allowed)
      bad = name.str();
  });
  if (!bad.empty())
    return fail("operation '" + bad +
                "' is not allowed in a model (only kiln ops, func.func and "
                "func.return)");
  FunctionType type = forward.getFunctionType();
  // Fills `out` from `types`, or names the first one that is not allowed.
  auto signature = [&](TypeRange types, const char *what,
                       std::vector<ModelIR::TensorType> &out) {
    for (unsigned i = 0; i < types.size(); ++i) {
      ModelIR::TensorType t;
      if (!typeOf(types[i], t))
        return fail(std::string(what) + " " + std::to_string(i) +
                    " of @forward is not a statically shaped tensor of a "
                    "Kiln dtype");
      out.push_back(std::move(t));
    }
    return true;
  };
  if (!signature(type.getInputs(), "argument", result.arguments) ||
      !signature(type.getResults(), "result", result.results))
    return false;
  if (result.results.empty())
    return fail("@forward returns nothing");
  return true;
}

} // namespace

ModelIR kiln::compiler::modelToBytecode(const std::string &text,
                                        bool modelRules) {
  ModelIR result;
  withContext(result, [&](MLIRContext &context) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(text, ParserConfig(&context), "<model>");
    if (!module || failed(verify(*module)) ||
        (modelRules && !checkModel(*module, result)))
      return;
    llvm::raw_string_ostream out(result.output);
    if (failed(writeBytecodeToFile(*module, out))) {
      result.diagnostics += "writing bytecode failed\n";
      return;
    }
    result.ok = true;
  });
  return result;
}

ModelIR kiln::compiler::modelFromBytecode(const std::string &bytes) {
  ModelIR result;
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "ML\xefR", 4) != 0) {
    result.diagnostics = "not MLIR bytecode (no 'ML\\xefR' magic)\n";
    return result;
  }
  withContext(result, [&](MLIRContext &context) {
    Block block;
    if (failed(parseSourceString(bytes, &block, ParserConfig(&context),
                                 "<model>")))
      return;
    ModuleOp module;
    size_t count = 0;
    for (Operation &op : block) {
      ++count;
      module = llvm::dyn_cast<ModuleOp>(op);
    }
    if (count != 1 || !module) {
      result.diagnostics += "the bytecode must hold one builtin.module\n";
      return;
    }
    if (failed(verify(module)) || !checkModel(module, result))
      return;
    // The generic op form: what the trace emits and kiln.jit's .code reads.
    llvm::raw_string_ostream out(result.output);
    OpPrintingFlags flags;
    flags.printGenericOpForm();
    module.print(out, flags);
    result.ok = true;
  });
  return result;
}
