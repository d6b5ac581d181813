// The Kiln dialect class; include KilnOps.h for the ops themselves.
#pragma once

#include "mlir/IR/Dialect.h"

#include "dialects/Kiln/IR/KilnDialect.h.inc"
