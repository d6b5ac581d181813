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

// What emitObject produces beyond the JIT's defaults.
struct EmitOptions {
  // Host assembly text instead of an object (kiln-inspect --stage=asm).
  llvm::CodeGenFileType fileType = llvm::CodeGenFileType::ObjectFile;
  // A named CPU ("skylake-avx512", "znver3", "x86-64-v3") and its features
  // instead of the host's (kiln-aot --mcpu).
  std::string cpu;
  // Called on the LLVM module before it is optimized (kiln-aot adds the
  // model's description and weights).
  llvm::function_ref<void(llvm::Module &)> extend = nullptr;
};

// Translates `module` (LLVM dialect only) to LLVM IR, adds
// `void kiln_entry_<function>(void **args)` calling
// `_mlir_ciface_<function>(args[0], ..., args[numArgs-1])`, optimizes at -O3
// for the host CPU (or `emit.cpu`) and emits an object file into `object`.
// When `llvmIR` is not null it receives the optimized LLVM IR. Errors go to
// `error`.
bool emitObject(mlir::ModuleOp module, llvm::StringRef function,
                unsigned numArgs, StepTimer timer, std::string &object,
                LinkNeeds &needs, std::string *llvmIR, std::string &error,
                const EmitOptions &emit = EmitOptions());

// f32 lanes of the widest vector registers of the named CPU (16 with
// AVX-512, 8 with AVX, else 4), for LoweringOptions::vectorWidth; false with
// `error` set when the host's target does not know the CPU.
bool cpuVectorWidth(const std::string &cpu, int64_t &width, std::string &error);

// Links `objectPath` into the shared library `outputPath` with ld.lld,
// against libkiln_runtime (and libomp / the MLIR runner utilities if needed),
// with rpaths so dlopen finds them.
bool linkSharedLibrary(const std::string &objectPath,
                       const std::string &outputPath, const LinkNeeds &needs,
                       std::string &error);

} // namespace kiln::compiler
