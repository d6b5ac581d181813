// The shared machinery of the oneDNN kernels: engine, per-thread stream,
// primitive cache, errors.
#include "runtime/cpu/ExternKernels.h"
#include "runtime/cpu/DnnlSupport.h"

#include "runtime/core/Allocator.h"

#include <atomic>
#include <map>
#include <mutex>
#include <tuple>

namespace {

struct PrimitiveCache {
  std::mutex mutex;
  std::map<std::vector<int64_t>,
           std::shared_ptr<const kiln::cpu::CachedPrimitive>>
      entries;
};

PrimitiveCache &primitiveCache() {
  static PrimitiveCache *cache = new PrimitiveCache(); // outlives static dtors
  return *cache;
}

std::atomic<int64_t> primitivesCreated{0};
std::atomic<int64_t> cacheHits{0};
std::atomic<int64_t> fallbackCalls{0};

thread_local std::string lastError;
thread_local bool hasError = false;

} // namespace

kiln::cpu::Operand kiln::cpu::readOperand(void *descriptor, int64_t rank) {
  MemRefView view{static_cast<const int64_t *>(descriptor), rank};
  Operand operand{view.data<float>(), {}, {}};
  for (int64_t d = 0; d < rank; ++d) {
    operand.sizes.push_back(view.size(d));
    operand.strides.push_back(view.stride(d));
  }
  return operand;
}

dnnl::engine &kiln::cpu::cpuEngine() {
  static dnnl::engine *engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

std::shared_ptr<const kiln::cpu::CachedPrimitive>
kiln::cpu::lookupPrimitive(const std::vector<int64_t> &key,
                           const std::function<CachedPrimitive()> &create) {
  PrimitiveCache &cache = primitiveCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto found = cache.entries.find(key);
  if (found != cache.entries.end()) {
    ++cacheHits;
    return found->second;
  }
  auto entry = std::make_shared<CachedPrimitive>();
  try {
    *entry = create();
  } catch (const dnnl::error &) {
    entry->primitive.reset();
  }
  ++primitivesCreated;
  cache.entries.emplace(key, entry);
  return entry;
}

void kiln::cpu::execute(const CachedPrimitive &entry,
                        const std::unordered_map<int, void *> &args) {
  // A CPU stream is cheap but not meant for concurrent submission: one per
  // thread.
  thread_local dnnl::stream stream(cpuEngine());
  std::unordered_map<int, dnnl::memory> memories;
  // Converted arguments live in blocks of the caching allocator for the call.
  std::vector<std::tuple<int, dnnl::memory, dnnl::memory>> outputs;
  std::vector<kiln::DataPtr> blocks;
  for (const auto &[arg, pointer] : args) {
    dnnl::memory user(entry.argDescs.at(arg), cpuEngine(), pointer);
    auto converted = entry.converted.find(arg);
    if (converted == entry.converted.end()) {
      memories.emplace(arg, user);
      continue;
    }
    const CachedPrimitive::Converted &c = converted->second;
    blocks.push_back(kiln::cpuAllocator().allocate(c.desc.get_size()));
    dnnl::memory inner(c.desc, cpuEngine(), blocks.back().get());
    if (arg == DNNL_ARG_DST || arg == DNNL_ARG_DIFF_SRC || arg == DNNL_ARG_DIFF_WEIGHTS)
      outputs.emplace_back(arg, inner, user);
    else
      c.reorder.execute(stream, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, inner}});
    memories.emplace(arg, inner);
  }
  entry.primitive->execute(stream, memories);
  for (auto &[arg, inner, user] : outputs)
    entry.converted.at(arg).reorder.execute(stream, {{DNNL_ARG_FROM, inner}, {DNNL_ARG_TO, user}});
  stream.wait();
}

void kiln::cpu::countFallback() { ++fallbackCalls; }

void kiln::cpu::recordError(const std::string &message) {
  lastError = message;
  hasError = true;
}

void kiln::cpu::appendLayout(std::vector<int64_t> &key,
                             const Operand &operand) {
  key.insert(key.end(), operand.sizes.begin(), operand.sizes.end());
  key.insert(key.end(), operand.strides.begin(), operand.strides.end());
}

dnnl::memory::desc kiln::cpu::stridedDesc(const std::vector<int64_t> &sizes,
                                          const std::vector<int64_t> &strides) {
  return dnnl::memory::desc(dnnl::memory::dims(sizes.begin(), sizes.end()),
                            dnnl::memory::data_type::f32,
                            dnnl::memory::dims(strides.begin(), strides.end()));
}

extern "C" const char *kiln_rt_last_error(void) {
  return hasError ? lastError.c_str() : nullptr;
}

extern "C" void kiln_rt_clear_error(void) {
  hasError = false;
  lastError.clear();
}

extern "C" int64_t kiln_extern_primitives_created(void) {
  return primitivesCreated.load();
}

extern "C" int64_t kiln_extern_cache_hits(void) { return cacheHits.load(); }

extern "C" int64_t kiln_extern_fallback_calls(void) {
  return fallbackCalls.load();
}

extern "C" void kiln_extern_clear_cache(void) {
  PrimitiveCache &cache = primitiveCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.entries.clear();
  primitivesCreated = 0;
  cacheHits = 0;
  fallbackCalls = 0;
}
