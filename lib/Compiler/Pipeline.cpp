// Parse, verify, run a pass pipeline and print: the text-in, text-out entry point of lib/.
#include "lib/Compiler/Pipeline.h"

#include "lib/Compiler/DiagnosticCapture.h"
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
  std::unique_ptr<MLIRContext> owned = kiln::createKilnContext(/*translations=*/false);
  MLIRContext &context = *owned;
  context.loadAllAvailableDialects();
  kiln::compiler::DiagnosticCapture captured(context, result.diagnostics);

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, ParserConfig(&context), "<kiln>");
  if (!module)
    return result;
  if (failed(verify(*module)))
    return result;

  PassManager pm(&context);
  if (failed(parsePassPipeline(pipeline, pm, captured.stream())))
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
