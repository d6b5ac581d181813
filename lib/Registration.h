// The one place that registers the dialects and passes Kiln uses; every tool and the JIT call it.
#pragma once

#include <memory>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace kiln {

// Inserts the Kiln dialect and the upstream dialects its IR is built from.
void registerKilnDialects(mlir::DialectRegistry &registry);

// Inserts the translations of the lowering's output to LLVM IR (builtin, LLVM
// and OpenMP dialects): what the JIT and kiln-aot emit native code with.
void registerKilnTranslations(mlir::DialectRegistry &registry);

// A single-threaded context holding the Kiln dialects and, with
// `translations`, the LLVM IR translations (what the JIT and the tools that
// lower Kiln IR to native code work in). Dialects load as parsing and passes
// need them.
std::unique_ptr<mlir::MLIRContext> createKilnContext(bool translations);

// Registers the passes kiln-opt and pipeline strings may name (idempotent).
void registerKilnPasses();

} // namespace kiln
