// The shared machinery of the oneDNN kernels: engine, per-thread stream,
// primitive cache, errors.
#include "runtime/cpu/ExternKernels.h"
#include "runtime/cpu/DnnlSupport.h"

#include <atomic>
#include <map>
#include <mutex>

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
  for (const auto &[arg, pointer] : args)
    memories.emplace(
        arg, dnnl::memory(entry.argDescs.at(arg), cpuEngine(), pointer));
  entry.primitive->execute(stream, memories);
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
