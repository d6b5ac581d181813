// Op interfaces of the Kiln dialect (KilnInterfaces.td).
#pragma once

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include "dialects/Kiln/IR/KilnInterfaces.h.inc"
