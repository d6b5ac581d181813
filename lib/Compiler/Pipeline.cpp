// Parse, verify, run a pass pipeline and print: the text-in, text-out entry point of lib/.
#include "lib/Compiler/Pipeline.h"

#include "lib/Registration.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;

kiln::compiler::PipelineResult
kiln::compiler::runPipeline(const std::string &source, const std::string &pipeline,
                            bool generic) {
  static std::once_flag passesOnce;
  std::call_once(passesOnce, [] { kiln::registerKilnPasses(); });

  PipelineResult result;
  DialectRegistry registry;
  kiln::registerKilnDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Threads for a one-shot context cost more than the passes save here.
  context.disableMultithreading();

  llvm::raw_string_ostream diagStream(result.diagnostics);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagStream << diag.getLocation() << ": ";
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error: diagStream << "error: "; break;
    case DiagnosticSeverity::Warning: diagStream << "warning: "; break;
    case DiagnosticSeverity::Note: diagStream << "note: "; break;
    case DiagnosticSeverity::Remark: diagStream << "remark: "; break;
    }
    diagStream << diag << "\n";
    return success();
  });

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, ParserConfig(&context), "<kiln>");
  if (!module)
    return result;
  if (failed(verify(*module)))
    return result;

  PassManager pm(&context);
  if (failed(parsePassPipeline(pipeline, pm, diagStream)))
    return result;
  if (failed(pm.run(*module)))
    return result;

  llvm::raw_string_ostream out(result.output);
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  module->print(out, flags);
  result.ok = true;
  return result;
}
