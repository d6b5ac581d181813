// Translation to LLVM IR, the uniform C entry point, -O3 for the host CPU, object emission and the lld link.
#include "lib/Compiler/ObjectEmitter.h"

#include "runtime/core/Allocator.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <mutex>

namespace kiln::compiler {

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

std::string hostFeatureString() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> list;
  for (const auto &feature : features)
    list.push_back((feature.second ? "+" : "-") + feature.first().str());
  std::sort(list.begin(), list.end());
  std::string joined;
  for (const std::string &f : list)
    joined += (joined.empty() ? "" : ",") + f;
  return joined;
}

const llvm::Target *hostTarget(std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  return llvm::TargetRegistry::lookupTarget(llvm::sys::getProcessTriple(), error);
}

// The subtarget of a named CPU of the host's architecture, or null with
// `error` set when the target does not know it.
std::unique_ptr<llvm::MCSubtargetInfo> namedSubtarget(const std::string &cpu,
                                                      std::string &error) {
  const llvm::Target *target = hostTarget(error);
  if (!target)
    return nullptr;
  // Asked of the generic subtarget first: LLVM warns on stderr when a
  // subtarget is made for a CPU it does not know.
  const std::string triple = llvm::sys::getProcessTriple();
  std::unique_ptr<llvm::MCSubtargetInfo> generic(target->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for " + triple;
    return nullptr;
  }
  return std::unique_ptr<llvm::MCSubtargetInfo>(target->createMCSubtargetInfo(triple, cpu, ""));
}

// The host CPU and its features, or a named CPU with its default features.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(const std::string &cpu,
                                                         std::string &error) {
  const llvm::Target *target = hostTarget(error);
  if (!target)
    return nullptr;
  if (!cpu.empty() && !namedSubtarget(cpu, error))
    return nullptr;
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      llvm::sys::getProcessTriple(), cpu.empty() ? llvm::sys::getHostCPUName() : cpu,
      cpu.empty() ? hostFeatureString() : "", options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

bool addEntryPoint(llvm::Module &module, llvm::StringRef function,
                   unsigned numArgs, std::string &error) {
  const std::string cifaceName = ("_mlir_ciface_" + function).str();
  llvm::Function *ciface = module.getFunction(cifaceName);
  if (!ciface || ciface->isDeclaration()) {
    error = "the lowered module has no " + cifaceName +
            " (was llvm.emit_c_interface dropped?)";
    return false;
  }
  if (!ciface->getReturnType()->isVoidTy()) {
    error = cifaceName + " still returns a value: results must become "
                         "out-parameters (buffer-results-to-out-params)";
    return false;
  }
  if (ciface->arg_size() != numArgs) {
    error = cifaceName + " takes " + std::to_string(ciface->arg_size()) +
            " arguments, but the signature has " + std::to_string(numArgs) +
            " inputs and outputs";
    return false;
  }
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  llvm::Function *entry =
      llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                             ("kiln_entry_" + function).str(), module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < numArgs; ++i) {
    llvm::Value *slot =
        builder.CreateConstInBoundsGEP1_64(ptr, entry->getArg(0), i);
    args.push_back(builder.CreateLoad(ptr, slot));
  }
  builder.CreateCall(ciface, args);
  builder.CreateRetVoid();
  // Only the entry is called from outside: internal linkage lets -O3 inline
  // the C wrapper and the function into it and drop the copies.
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && &f != entry)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  return true;
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  passes.run(module, mam);
}

// The directory of the loaded libkiln_runtime.so: generated code links it by
// path and rpath so its extern kernels resolve wherever Kiln is installed.
std::string runtimeLibraryDir() {
  Dl_info info;
  kiln::CPUCachingAllocator &(*anchor)() = &kiln::cpuAllocator;
  if (!dladdr(reinterpret_cast<void *>(anchor), &info) || !info.dli_fname)
    return "";
  llvm::SmallString<256> path;
  if (llvm::sys::fs::real_path(info.dli_fname, path))
    path = info.dli_fname;
  return llvm::sys::path::parent_path(path).str();
}

} // namespace

const std::string &hostTargetDescription() {
  static const std::string description =
      llvm::sys::getHostCPUName().str() + ";" + hostFeatureString();
  return description;
}

bool emitObject(mlir::ModuleOp module, llvm::StringRef function,
                unsigned numArgs, StepTimer timer, std::string &object,
                LinkNeeds &needs, std::string *llvmIR, std::string &error,
                const EmitOptions &emit) {
  auto start = std::chrono::steady_clock::now();
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, llvmContext, "kiln");
  if (!llvmModule) {
    error = "translation to LLVM IR failed (is every op in the LLVM dialect?)";
    return false;
  }
  if (!addEntryPoint(*llvmModule, function, numArgs, error))
    return false;
  if (emit.extend)
    emit.extend(*llvmModule);
  timer("translate", msSince(start));

  start = std::chrono::steady_clock::now();
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(emit.cpu, error);
  if (!machine)
    return false;
  llvmModule->setTargetTriple(machine->getTargetTriple().str());
  llvmModule->setDataLayout(machine->createDataLayout());
  optimize(*llvmModule, *machine);
  timer("llvm-O3", msSince(start));
  if (llvmIR) {
    llvm::raw_string_ostream os(*llvmIR);
    llvmModule->print(os, nullptr);
  }
  for (const llvm::Function &f : *llvmModule) {
    if (!f.isDeclaration())
      continue;
    llvm::StringRef name = f.getName();
    if (name.starts_with("__kmpc") || name.starts_with("omp_"))
      needs.openMP = true;
    if (name == "memrefCopy")
      needs.runnerUtils = true;
  }

  start = std::chrono::steady_clock::now();
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr, emit.fileType)) {
    error = "the host target cannot emit object files";
    return false;
  }
  codegen.run(*llvmModule);
  object.assign(buffer.begin(), buffer.end());
  timer("codegen", msSince(start));
  return true;
}

bool cpuVectorWidth(const std::string &cpu, int64_t &width, std::string &error) {
  std::unique_ptr<llvm::MCSubtargetInfo> info = namedSubtarget(cpu, error);
  if (!info)
    return false;
  width = info->checkFeatures("+avx512f") ? 16 : info->checkFeatures("+avx") ? 8 : 4;
  return true;
}

bool linkSharedLibrary(const std::string &objectPath,
                       const std::string &outputPath, const LinkNeeds &needs,
                       std::string &error) {
  const std::string runtimeDir = runtimeLibraryDir();
  if (runtimeDir.empty()) {
    error = "cannot locate libkiln_runtime.so";
    return false;
  }
  std::vector<std::string> args = {KILN_LLD_PATH, "-shared", "--as-needed",
                                   "-o", outputPath, objectPath,
                                   "-L" + runtimeDir, "-lkiln_runtime",
                                   "-rpath", runtimeDir};
  if (needs.openMP || needs.runnerUtils)
    for (const char *arg : {"-L" KILN_LLVM_LIB_DIR, "-rpath", KILN_LLVM_LIB_DIR})
      args.push_back(arg);
  if (needs.openMP)
    args.push_back("-lomp");
  if (needs.runnerUtils)
    args.push_back("-lmlir_c_runner_utils");
  for (const char *arg : {"-L" KILN_SYSTEM_LIB_DIR, "-lm", "-lc"})
    args.push_back(arg);

  llvm::SmallString<128> logPath;
  if (llvm::sys::fs::createTemporaryFile("kiln-lld", "log", logPath)) {
    error = "cannot create a temporary file for the linker's messages";
    return false;
  }
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {llvm::StringRef(""),
                                                logPath.str(), logPath.str()};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(KILN_LLD_PATH, argRefs, std::nullopt,
                                     redirects, 0, 0, &execError);
  if (rc != 0) {
    error = "ld.lld failed";
    if (!execError.empty())
      error += ": " + execError;
    if (auto log = llvm::MemoryBuffer::getFile(logPath))
      error += ":\n" + (*log)->getBuffer().str();
  }
  llvm::sys::fs::remove(logPath);
  return rc == 0;
}

} // namespace kiln::compiler
