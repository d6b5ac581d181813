// kiln-opt: parses, verifies, transforms and prints Kiln IR, like mlir-opt with Kiln's dialects and passes.
#include "lib/Registration.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kiln::registerKilnDialects(registry);
  kiln::registerKilnPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Kiln optimizer driver: the Kiln dialect and passes\n",
      registry));
}
