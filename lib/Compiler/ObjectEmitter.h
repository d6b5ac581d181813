// LLVM-dialect module -> host object file -> shared library: the back half of the JIT.
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CodeGen.h"

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace kiln::compiler {

// Receives the wall time of a named step in milliseconds.
using StepTimer = llvm::function_ref<void(llvm::StringRef step, double ms)>;

// What the object needs at link time beyond libkiln_runtime.
struct LinkNeeds {
  bool openMP = false;       // __kmpc_* calls: link libomp.
  bool runnerUtils = false;  // memrefCopy and friends: libmlir_c_runner_utils.
};

// The host CPU name and its sorted feature list: the code depends on both.
const std::string &hostTargetDescription();

// Translates `module` (LLVM dialect only) to LLVM IR, adds
// `void kiln_entry_<function>(void **args)` calling
// `_mlir_ciface_<function>(args[0], ..., args[numArgs-1])`, optimizes at -O3
// for the host CPU and emits an object file into `object` (host assembly
// text with CodeGenFileType::AssemblyFile, for kiln-inspect). When `llvmIR`
// is not null it receives the optimized LLVM IR. `extend`, when given, may
// add to the LLVM module before it is optimized (kiln-aot adds the model's
// description and weights). Errors go to `error`.
bool emitObject(mlir::ModuleOp module, llvm::StringRef function,
                unsigned numArgs, StepTimer timer, std::string &object,
                LinkNeeds &needs, std::string *llvmIR, std::string &error,
                llvm::CodeGenFileType fileType = llvm::CodeGenFileType::ObjectFile,
                llvm::function_ref<void(llvm::Module &)> extend = nullptr);

// Links `objectPath` into the shared library `outputPath` with ld.lld,
// against libkiln_runtime (and libomp / the MLIR runner utilities if needed),
// with rpaths so dlopen finds them.
bool linkSharedLibrary(const std::string &objectPath,
                       const std::string &outputPath, const LinkNeeds &needs,
                       std::string &error);

} // namespace kiln::compiler
