// Collects a context's diagnostics into a string for the text-in, text-out
// entry points (Pipeline.cpp, ModelIR.cpp, JIT.cpp), which return them to
// their callers instead of printing them.
#pragma once

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace kiln::compiler {

// While alive, appends every diagnostic of `context` to `out`, one per line,
// as "location: severity: message".
class DiagnosticCapture {
public:
  DiagnosticCapture(mlir::MLIRContext &context, std::string &out);
  DiagnosticCapture(const DiagnosticCapture &) = delete;
  DiagnosticCapture &operator=(const DiagnosticCapture &) = delete;

  // The same string, for the caller's own messages (a pass pipeline's parse
  // errors, a failed stage).
  llvm::raw_ostream &stream() { return stream_; }

private:
  llvm::raw_string_ostream stream_;
  mlir::ScopedDiagnosticHandler handler_;
};

} // namespace kiln::compiler
