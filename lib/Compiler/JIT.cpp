// compile(): caches, parsing, the cache key, the staged lowering (timed and dumped) and loading.
#include "lib/Compiler/JIT.h"

#include "lib/Compiler/CompileCache.h"
#include "lib/Compiler/DiagnosticCapture.h"
#include "lib/Compiler/ObjectEmitter.h"
#include "lib/Pipelines/Pipelines.h"
#include "lib/Registration.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

using namespace mlir;

namespace kiln::compiler {

namespace {

// Bump when the generated code's ABI or the lowering changes meaning in a way
// the options and version do not capture: old disk entries stop matching.
constexpr int kCompilerAbi = 1;

struct State {
  std::mutex mutex;
  // The exact source text + options -> executable: a hit hashes the text
  // once and never parses it.
  std::unordered_map<std::string, std::shared_ptr<Executable>> byText;
  // The structural key -> executable: the same program spelled differently.
  std::unordered_map<std::string, std::shared_ptr<Executable>> byKey;
  std::unordered_map<const Executable *, std::string> keys;
  CompileStats stats;
};

State &state() {
  static State *instance = new State();
  return *instance;
}

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// The GNU build ID of the binary this compiler is linked into (kiln-run,
// kiln._C, a test): a hash of its contents, so a disk cache never serves code
// that an older build of the passes generated.
std::string compilerBuildId() {
  static const std::string id = [] {
    Dl_info self;
    if (!dladdr(reinterpret_cast<void *>(&compilerBuildId), &self))
      return std::string("unknown");
    struct Search {
      const void *base;
      std::string id;
    } search{self.dli_fbase, ""};
    dl_iterate_phdr(
        [](dl_phdr_info *info, size_t, void *data) {
          auto *search = static_cast<Search *>(data);
          for (int i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr) &ph = info->dlpi_phdr[i];
            if (ph.p_type != PT_LOAD || ph.p_offset != 0 ||
                reinterpret_cast<const void *>(info->dlpi_addr + ph.p_vaddr) !=
                    search->base)
              continue;
            for (int j = 0; j < info->dlpi_phnum; ++j) {
              const ElfW(Phdr) &note = info->dlpi_phdr[j];
              if (note.p_type != PT_NOTE)
                continue;
              const char *p =
                  reinterpret_cast<const char *>(info->dlpi_addr + note.p_vaddr);
              const char *end = p + note.p_memsz;
              while (p + sizeof(ElfW(Nhdr)) <= end) {
                auto *header = reinterpret_cast<const ElfW(Nhdr) *>(p);
                const char *name = p + sizeof(ElfW(Nhdr));
                const char *desc = name + ((header->n_namesz + 3) & ~3u);
                if (header->n_type == NT_GNU_BUILD_ID &&
                    desc + header->n_descsz <= end) {
                  search->id = llvm::toHex(
                      llvm::ArrayRef<uint8_t>(
                          reinterpret_cast<const uint8_t *>(desc),
                          header->n_descsz),
                      /*LowerCase=*/true);
                  return 1;
                }
                p = desc + ((header->n_descsz + 3) & ~3u);
              }
            }
          }
          return 0;
        },
        &search);
    return search.id.empty() ? std::string("unknown") : search.id;
  }();
  return id;
}

std::string optionsFingerprint(const CompileOptions &options) {
  int64_t width = options.lowering.vectorWidth ? options.lowering.vectorWidth
                                               : hostVectorWidth();
  return "vectorize=" + std::to_string(options.lowering.vectorize) +
         ";width=" + std::to_string(width) +
         ";parallelize=" + std::to_string(options.lowering.parallelize) +
         ";extern=" + std::to_string(options.lowering.externKernels) +
         ";entry=" + options.entry + ";pipeline=" + options.pipeline;
}

// `entry` is the resolved function name: naming the only public function or
// leaving it implicit compiles the same program.
std::string computeKey(ModuleOp module, const CompileOptions &options,
                       llvm::StringRef entry) {
  CompileOptions resolved = options;
  resolved.entry = entry.str();
  std::string canonical;
  llvm::raw_string_ostream os(canonical);
  module->print(os, OpPrintingFlags().printGenericOpForm().enableDebugInfo(
                        /*enable=*/false));
  llvm::SHA256 hash;
  hash.update("kiln " KILN_VERSION " abi " + std::to_string(kCompilerAbi) +
              " build " + compilerBuildId() + "\n");
  hash.update(optionsFingerprint(resolved) + "\n");
  hash.update(hostTargetDescription() + "\n");
  hash.update(canonical);
  std::array<uint8_t, 32> digest = hash.final();
  return llvm::toHex(digest, /*LowerCase=*/true);
}

bool toDType(Type type, DType &dtype) {
  if (type.isF32()) dtype = DType::Float32;
  else if (type.isF64()) dtype = DType::Float64;
  else if (type.isF16()) dtype = DType::Float16;
  else if (type.isBF16()) dtype = DType::BFloat16;
  else if (type.isInteger(1)) dtype = DType::Bool;
  else if (type.isUnsignedInteger(8)) dtype = DType::UInt8;
  else if (type.isSignlessInteger(8) || type.isSignedInteger(8)) dtype = DType::Int8;
  else if (type.isSignlessInteger(32) || type.isSignedInteger(32)) dtype = DType::Int32;
  else if (type.isSignlessInteger(64) || type.isSignedInteger(64)) dtype = DType::Int64;
  else return false;
  return true;
}

LogicalResult toSpecs(func::FuncOp func, TypeRange types, const char *role,
                      std::vector<TensorSpec> &specs) {
  for (auto [index, type] : llvm::enumerate(types)) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    TensorSpec spec;
    if (!tensor || !tensor.hasStaticShape() ||
        !toDType(tensor.getElementType(), spec.dtype))
      return func.emitError() << role << " " << index << " has type " << type
                              << "; compiled functions take and return "
                                 "statically shaped tensors of a Kiln dtype";
    spec.sizes.assign(tensor.getShape().begin(), tensor.getShape().end());
    specs.push_back(std::move(spec));
  }
  return success();
}

FailureOr<func::FuncOp> findEntry(ModuleOp module, const std::string &entry) {
  if (!entry.empty()) {
    auto func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func || func.isExternal())
      return module.emitError() << "no function @" << entry << " to compile";
    return func;
  }
  func::FuncOp found;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    if (found)
      return module.emitError()
             << "the module has several public functions (@"
             << found.getSymName() << ", @" << func.getSymName()
             << "); name the one to compile";
    found = func;
  }
  if (!found)
    return module.emitError() << "the module has no public function";
  return found;
}

// Writes `text` to `<root>/<key>/<name>` through a temporary file, so a
// reader never sees half a dump.
void dumpFile(const std::string &root, const std::string &key,
              const std::string &name, llvm::StringRef text) {
  const std::string dir = root + "/" + key;
  if (llvm::sys::fs::create_directories(dir))
    return;
  llvm::Error error = llvm::writeToOutput(
      dir + "/" + name, [&](llvm::raw_ostream &os) {
        os << text;
        return llvm::Error::success();
      });
  if (error)
    std::fprintf(stderr, "kiln: warning: cannot write IR dump %s/%s: %s\n",
                 dir.c_str(), name.c_str(),
                 llvm::toString(std::move(error)).c_str());
}

std::string printModule(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}

std::string twoDigits(size_t n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

std::vector<PipelineStage> stagesFor(const CompileOptions &options) {
  if (!options.pipeline.empty()) {
    std::string text = options.pipeline;
    return {{"custom", [text](OpPassManager &pm) {
               // Parse errors were reported before the stages ran.
               (void)parsePassPipeline(text, pm, llvm::nulls());
             }}};
  }
  return getLoweringStages(options.lowering);
}

void recordStages(const std::vector<std::pair<std::string, double>> &times) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (const auto &[name, ms] : times) {
    auto it = std::find_if(s.stats.stages.begin(), s.stats.stages.end(),
                           [&](const StageStats &st) { return st.name == name; });
    if (it == s.stats.stages.end()) {
      s.stats.stages.push_back(StageStats{name});
      it = s.stats.stages.end() - 1;
    }
    it->lastMs = ms;
    it->totalMs += ms;
    ++it->runs;
  }
}

// Loads a cache entry through a fresh hard link: glibc's dlopen returns an
// already loaded library whose name matches, so reopening `path` after the
// entry was replaced (a recompile of a corrupt entry) would hand back the old
// mapping.
std::shared_ptr<Executable> loadCacheEntry(const std::string &path,
                                           const Signature &signature,
                                           std::string &error) {
  static std::atomic<unsigned> counter{0};
  const std::string alias = path + ".load-" + std::to_string(::getpid()) +
                            "-" + std::to_string(counter++);
  if (::link(path.c_str(), alias.c_str()) != 0)
    return Executable::load(path, signature, error);
  std::shared_ptr<Executable> exe =
      Executable::load(alias, signature, error, path);
  ::unlink(alias.c_str());
  return exe;
}

// Everything after a memory-cache miss: returns the executable or null with
// diagnostics.
std::shared_ptr<Executable> compileUncached(const std::string &source,
                                            const CompileOptions &options,
                                            CompileResult &result) {
  static std::once_flag passesOnce;
  std::call_once(passesOnce, [] { kiln::registerKilnPasses(); });

  std::vector<std::pair<std::string, double>> times;
  auto start = Clock::now();
  std::unique_ptr<MLIRContext> owned = kiln::createKilnContext(/*translations=*/true);
  MLIRContext &context = *owned;
  DiagnosticCapture captured(context, result.diagnostics);
  llvm::raw_ostream &diag = captured.stream();

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, ParserConfig(&context), "<kiln>");
  result.invalidInput = true;
  if (!module || failed(verify(*module)))
    return nullptr;
  FailureOr<func::FuncOp> func = findEntry(*module, options.entry);
  if (failed(func))
    return nullptr;
  Signature signature;
  signature.name = func->getSymName().str();
  if (failed(toSpecs(*func, func->getArgumentTypes(), "argument",
                     signature.inputs)) ||
      failed(toSpecs(*func, func->getResultTypes(), "result",
                     signature.outputs)))
    return nullptr;
  if (!options.pipeline.empty()) {
    OpPassManager probe(ModuleOp::getOperationName(),
                        OpPassManager::Nesting::Implicit);
    if (failed(parsePassPipeline(options.pipeline, probe, diag)))
      return nullptr;
  }
  result.invalidInput = false;
  result.key = computeKey(*module, options, signature.name);
  times.emplace_back("frontend", msSince(start));

  {
    State &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.byKey.find(result.key);
    if (it != s.byKey.end()) {
      ++s.stats.memoryHits;
      result.origin = "memory";
      return it->second;
    }
  }

  std::string error;
  const std::string cacheDir = cacheDirectory();
  if (!cacheDir.empty()) {
    std::string path = lookupCacheEntry(cacheDir, result.key);
    if (!path.empty()) {
      start = Clock::now();
      std::shared_ptr<Executable> exe = loadCacheEntry(path, signature, error);
      if (exe) {
        times.emplace_back("load", msSince(start));
        recordStages(times);
        std::lock_guard<std::mutex> lock(state().mutex);
        ++state().stats.diskHits;
        result.origin = "disk";
        return exe;
      }
      std::fprintf(stderr,
                   "kiln: warning: ignoring compile cache entry %s: %s; "
                   "recompiling\n",
                   path.c_str(), error.c_str());
    }
  }

  const char *dumpRoot = std::getenv("KILN_DUMP_IR");
  const bool dumping = dumpRoot && *dumpRoot;
  if (dumping)
    dumpFile(dumpRoot, result.key, "00-input.mlir", printModule(*module));

  (*func)->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
  std::vector<PipelineStage> stages = stagesFor(options);
  for (size_t i = 0; i < stages.size(); ++i) {
    PassManager pm(&context, ModuleOp::getOperationName(),
                   OpPassManager::Nesting::Implicit);
    stages[i].build(pm);
    start = Clock::now();
    if (failed(pm.run(*module))) {
      diag << "kiln: the lowering stage '" << stages[i].name << "' failed\n";
      return nullptr;
    }
    times.emplace_back(stages[i].name, msSince(start));
    if (dumping)
      dumpFile(dumpRoot, result.key,
               twoDigits(i + 1) + "-" + stages[i].name + ".mlir",
               printModule(*module));
  }

  std::string object;
  std::string llvmIR;
  LinkNeeds needs;
  auto timer = [&](llvm::StringRef step, double ms) {
    times.emplace_back(step.str(), ms);
  };
  const size_t numArgs = signature.inputs.size() + signature.outputs.size();
  if (!emitObject(*module, signature.name, numArgs, timer, object, needs,
                  dumping ? &llvmIR : nullptr, error)) {
    diag << "kiln: code generation for @" << signature.name
         << " failed: " << error << "\n";
    return nullptr;
  }
  if (dumping)
    dumpFile(dumpRoot, result.key,
             twoDigits(stages.size() + 1) + "-llvm-O3.ll", llvmIR);

  start = Clock::now();
  llvm::SmallString<128> objectPath, libraryPath;
  int objectFd = -1;
  if (llvm::sys::fs::createTemporaryFile("kiln", "o", objectFd, objectPath) ||
      llvm::sys::fs::createTemporaryFile("kiln", "so", libraryPath)) {
    diag << "kiln: cannot create temporary files for linking\n";
    return nullptr;
  }
  {
    llvm::raw_fd_ostream os(objectFd, /*shouldClose=*/true);
    os << object;
  }
  bool linked = linkSharedLibrary(objectPath.str().str(),
                                  libraryPath.str().str(), needs, error);
  llvm::sys::fs::remove(objectPath);
  if (!linked) {
    llvm::sys::fs::remove(libraryPath);
    diag << "kiln: linking @" << signature.name << " failed: " << error << "\n";
    return nullptr;
  }
  std::string loadPath = libraryPath.str().str();
  if (!cacheDir.empty()) {
    auto elf = llvm::MemoryBuffer::getFile(libraryPath);
    std::string stored =
        elf ? storeCacheEntry(cacheDir, result.key, (*elf)->getBuffer().str(),
                              error)
            : "";
    if (!stored.empty()) {
      llvm::sys::fs::remove(libraryPath);
      loadPath = stored;
    } else {
      std::fprintf(stderr,
                   "kiln: warning: cannot write compile cache entry: %s\n",
                   error.c_str());
    }
  }
  times.emplace_back("link", msSince(start));

  start = Clock::now();
  std::shared_ptr<Executable> exe =
      loadPath == libraryPath.str()
          ? Executable::load(loadPath, signature, error)
          : loadCacheEntry(loadPath, signature, error);
  // A library outside the cache is needed only until dlopen has mapped it.
  if (loadPath == libraryPath.str())
    llvm::sys::fs::remove(libraryPath);
  if (!exe) {
    diag << "kiln: " << error << "\n";
    return nullptr;
  }
  times.emplace_back("load", msSince(start));
  recordStages(times);
  std::lock_guard<std::mutex> lock(state().mutex);
  ++state().stats.misses;
  result.origin = "compiled";
  return exe;
}

} // namespace

CompileResult compile(const std::string &source, const CompileOptions &options) {
  State &s = state();
  std::string textKey = optionsFingerprint(options);
  textKey += '\0';
  textKey += source;
  CompileResult result;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.byText.find(textKey);
    if (it != s.byText.end()) {
      ++s.stats.memoryHits;
      result.executable = it->second;
      result.key = s.keys[it->second.get()];
      result.origin = "memory";
      return result;
    }
  }
  std::shared_ptr<Executable> exe = compileUncached(source, options, result);
  if (!exe)
    return result;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.byText.size() >= maxCachedPrograms() ||
      s.byKey.size() >= maxCachedPrograms()) {
    s.byText.clear();
    s.byKey.clear();
    s.keys.clear();
  }
  // Another thread may have compiled the same key meanwhile: keep the first.
  auto inserted = s.byKey.emplace(result.key, exe);
  result.executable = inserted.first->second;
  s.byText.emplace(std::move(textKey), result.executable);
  s.keys[result.executable.get()] = result.key;
  return result;
}

CompileStats stats() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().stats;
}

void resetStats() {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().stats = CompileStats();
}

size_t maxCachedPrograms() {
  static const size_t limit = [] {
    const char *text = std::getenv("KILN_MAX_PROGRAMS");
    long long value = text ? std::atoll(text) : 0;
    return value > 0 ? static_cast<size_t>(value) : size_t{512};
  }();
  return limit;
}

void clearMemoryCache() {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().byText.clear();
  state().byKey.clear();
  state().keys.clear();
}

} // namespace kiln::compiler
