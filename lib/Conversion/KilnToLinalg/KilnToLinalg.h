// Public entry points of the kiln -> linalg lowering: its type converter and patterns, for reuse by other passes.
#pragma once

namespace mlir {
class RewritePatternSet;
class TypeConverter;
} // namespace mlir

namespace kiln {

// Adds Kiln's type rules to `converter`: ui8 (scalar or tensor element)
// becomes signless i8, every other type is kept.
void populateKilnToLinalgTypeConversion(mlir::TypeConverter &converter);

// Adds one conversion pattern per Kiln op. The patterns read unsigned-ness
// from the original Kiln types, so `converter` must map ui8 to i8 as
// populateKilnToLinalgTypeConversion does.
void populateKilnToLinalgPatterns(mlir::TypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);

} // namespace kiln
