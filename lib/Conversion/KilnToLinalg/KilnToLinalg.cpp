// The convert-kiln-to-linalg pass: ui8 -> i8 type conversion, function signatures, and every Kiln op's pattern.
#include "lib/Conversion/KilnToLinalg/KilnToLinalg.h"

#include "dialects/Kiln/IR/KilnDialect.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "lib/Conversion/KilnToLinalg/LoweringUtils.h"
#include "lib/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"

#define DEBUG_TYPE "convert-kiln-to-linalg"

namespace kiln {
#define GEN_PASS_DEF_KILNCONVERTKILNTOLINALG
#include "lib/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {

void populateKilnToLinalgTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](IntegerType type) -> Type {
    if (type.isUnsigned())
      return IntegerType::get(type.getContext(), type.getWidth());
    return type;
  });
  converter.addConversion([&converter](RankedTensorType type) -> Type {
    Type element = converter.convertType(type.getElementType());
    return element ? type.clone(element) : Type();
  });
}

void populateKilnToLinalgPatterns(TypeConverter &converter,
                                  RewritePatternSet &patterns) {
  populateElementwisePatterns(converter, patterns);
  populateCastPatterns(converter, patterns);
  populateShapeOpPatterns(converter, patterns);
  populateReductionPatterns(converter, patterns);
  populateLinalgOpPatterns(converter, patterns);
  populateIndexingPatterns(converter, patterns);
}

namespace {

// The patterns assume static shapes (element counts, window sizes and
// divisors are computed at compile time); the JIT compiles per shape.
LogicalResult checkStaticShapes(ModuleOp module) {
  WalkResult result = module.walk([](Operation *op) {
    if (!isa<KilnDialect>(op->getDialect()))
      return WalkResult::advance();
    SmallVector<Type> types(op->getOperandTypes());
    llvm::append_range(types, op->getResultTypes());
    for (Type type : types) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (shaped && !shaped.hasStaticShape()) {
        op->emitOpError("convert-kiln-to-linalg needs static shapes, got ")
            << type;
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct ConvertKilnToLinalgPass
    : impl::KilnConvertKilnToLinalgBase<ConvertKilnToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkStaticShapes(module)))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    TypeConverter converter;
    populateKilnToLinalgTypeConversion(converter);

    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalDialect<KilnDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateKilnToLinalgPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> createConvertKilnToLinalgPass() {
  return std::make_unique<ConvertKilnToLinalgPass>();
}

} // namespace kiln
