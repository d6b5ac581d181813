// The conversion passes of lib/Conversion: their constructors and registration.
#pragma once

#include "mlir/Pass/Pass.h"

#include <memory>

namespace kiln {

// Lowers every Kiln op to linalg/tensor/arith/math/scf on tensors (static shapes).
std::unique_ptr<mlir::Pass> createConvertKilnToLinalgPass();

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "lib/Conversion/Passes.h.inc"

} // namespace kiln
