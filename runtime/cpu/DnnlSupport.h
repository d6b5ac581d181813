// What the oneDNN kernels share: the engine, a primitive cache keyed by shape,
// and error capture.
#pragma once

#include "runtime/exec/MemRefDescriptor.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kiln::cpu {

// One operand as a kernel sees it: float data (offset applied), sizes, strides.
struct Operand {
  float *data;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

// Reads a rank-`rank` descriptor handed over by compiled code.
Operand readOperand(void *descriptor, int64_t rank);

// A primitive and the memory descriptors its arguments are bound with; no
// primitive means oneDNN has no implementation for the layout (the caller
// runs its fallback loop without asking oneDNN again).
struct CachedPrimitive {
  std::optional<dnnl::primitive> primitive;
  std::unordered_map<int, dnnl::memory::desc> argDescs;
  // Arguments the primitive takes in a layout of its own choosing (created
  // with format_tag::any): that layout and the reorder between it and the
  // caller's (caller -> primitive for inputs, back for outputs).
  struct Converted {
    dnnl::memory::desc desc;
    dnnl::primitive reorder;
  };
  std::unordered_map<int, Converted> converted;
};

dnnl::engine &cpuEngine();

// The cached entry for `key`, created by `create` on the first request. A
// dnnl::error thrown by `create` (unimplemented layout) is cached as "no
// primitive"; other exceptions propagate.
std::shared_ptr<const CachedPrimitive>
lookupPrimitive(const std::vector<int64_t> &key,
                const std::function<CachedPrimitive()> &create);

// Runs `entry` on this thread's stream over raw pointers keyed by DNNL_ARG_*
// and waits for it.
void execute(const CachedPrimitive &entry,
             const std::unordered_map<int, void *> &args);

void countFallback();
void recordError(const std::string &message);

// Runs a kernel body so that nothing escapes into compiled code: exceptions
// become the thread's last error.
template <typename Body> void guarded(const char *kernel, Body &&body) {
  try {
    body();
  } catch (const std::exception &e) {
    recordError(std::string(kernel) + ": " + e.what());
  } catch (...) {
    recordError(std::string(kernel) + ": unknown exception");
  }
}

// Appends sizes then strides of each operand to a cache key.
void appendLayout(std::vector<int64_t> &key, const Operand &operand);

dnnl::memory::desc stridedDesc(const std::vector<int64_t> &sizes,
                               const std::vector<int64_t> &strides);

} // namespace kiln::cpu
