// Diagnostics into a string (see DiagnosticCapture.h).
#include "lib/Compiler/DiagnosticCapture.h"

namespace kiln::compiler {
namespace {

const char *severityName(mlir::DiagnosticSeverity severity) {
  switch (severity) {
  case mlir::DiagnosticSeverity::Error:
    return "error";
  case mlir::DiagnosticSeverity::Warning:
    return "warning";
  case mlir::DiagnosticSeverity::Note:
    return "note";
  case mlir::DiagnosticSeverity::Remark:
    return "remark";
  }
  return "error";
}

} // namespace

DiagnosticCapture::DiagnosticCapture(mlir::MLIRContext &context, std::string &out)
    : stream_(out), handler_(&context, [this](mlir::Diagnostic &diag) {
        stream_ << diag.getLocation() << ": " << severityName(diag.getSeverity())
                << ": " << diag << "\n";
        return mlir::success();
      }) {}

} // namespace kiln::compiler
