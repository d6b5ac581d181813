// The one place that registers the dialects and passes Kiln uses; every tool and the JIT call it.
#pragma once

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

// Inserts the Kiln dialect and the upstream dialects its IR is built from.
void registerKilnDialects(mlir::DialectRegistry &registry);

// Inserts the translations of the lowering's output to LLVM IR (builtin, LLVM
// and OpenMP dialects): what the JIT and kiln-aot emit native code with.
void registerKilnTranslations(mlir::DialectRegistry &registry);

// Registers the passes kiln-opt and pipeline strings may name (idempotent).
void registerKilnPasses();

} // namespace kiln
