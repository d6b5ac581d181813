// The JIT: Kiln IR text -> a loaded native Executable, through an in-memory and an on-disk cache.
// Names no MLIR type, so the Python bindings and tools (built with exceptions) can include it.
#pragma once

#include "lib/Pipelines/Pipelines.h"
#include "runtime/exec/Executable.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::compiler {

struct CompileOptions {
  LoweringOptions lowering;
  // The function to compile; empty picks the module's only public function.
  std::string entry;
  // A textual pass pipeline ("one-shot-bufferize,...") run as one stage named
  // "custom" instead of getLoweringStages(lowering); for experiments and for
  // IR that is already below the Kiln dialect.
  std::string pipeline;
};

struct CompileResult {
  // Null when compilation failed; then `diagnostics` says why.
  std::shared_ptr<Executable> executable;
  // The cache key: SHA-256 (hex) of the canonical module, the options, the
  // host CPU and the compiler version.
  std::string key;
  std::string diagnostics;
  // True when the source, entry or pipeline text was rejected before any
  // lowering ran (the caller's input is at fault, not the compiler).
  bool invalidInput = false;
  // "memory", "disk" or "compiled".
  const char *origin = "";
};

// Compiles function `options.entry` of `source` (MLIR assembly) for the host
// CPU, or returns it from the caches. Thread-safe. Environment:
// KILN_CACHE=0 disables the disk cache, KILN_CACHE_DIR moves it, and
// KILN_DUMP_IR=<dir> writes <dir>/<key>/NN-<stage>.mlir after each stage.
CompileResult compile(const std::string &source, const CompileOptions &options);

struct StageStats {
  std::string name;
  double lastMs = 0;
  double totalMs = 0;
  int64_t runs = 0;
};

struct CompileStats {
  int64_t memoryHits = 0;
  int64_t diskHits = 0;
  int64_t misses = 0;
  // Pass stages in pipeline order, then translate, llvm-O3, codegen, link,
  // load.
  std::vector<StageStats> stages;
};

CompileStats stats();
void resetStats();
// Forgets every in-memory entry (Executables stay alive while referenced).
void clearMemoryCache();
// How many programs an in-memory cache keeps (this one and the trace's):
// KILN_MAX_PROGRAMS, 512 by default. A cache that would grow past it is
// emptied first, so a workload of ever new shapes holds bounded memory; the
// disk cache serves the programs it needs again in milliseconds.
size_t maxCachedPrograms();

} // namespace kiln::compiler
