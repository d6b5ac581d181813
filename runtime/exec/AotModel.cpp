// kiln_aot_create / run / destroy: weights (embedded or a mapped file), memref descriptors, errors as codes.
#include "runtime/exec/AotModel.h"

#include "runtime/cpu/ExternKernels.h"
#include "runtime/exec/MemRefDescriptor.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct kiln_model {
  const kiln_aot_model_info *info = nullptr;
  void *map = nullptr; // the weights file, mapped read-only
  size_t mapSize = 0;
  const unsigned char *weights = nullptr;
};

namespace {

thread_local std::string lastError;

int failWith(int status, const std::string &message) {
  lastError = message;
  return status;
}

std::vector<int64_t> shapeOf(const kiln_aot_tensor &t) {
  return std::vector<int64_t>(t.shape, t.shape + t.rank);
}

kiln::MemRefDescriptor descriptor(const void *data, const kiln_aot_tensor &t) {
  std::vector<int64_t> sizes = shapeOf(t);
  std::vector<int64_t> strides(sizes.size(), 1);
  for (size_t d = sizes.size(); d-- > 1;)
    strides[d - 1] = strides[d] * sizes[d];
  return kiln::MemRefDescriptor(const_cast<void *>(data), sizes, strides);
}

} // namespace

extern "C" const char *kiln_aot_last_error(void) { return lastError.c_str(); }

extern "C" int kiln_aot_create(const kiln_aot_model_info *info, const char *weightsPath,
                               kiln_model **model) {
  lastError.clear();
  if (!info || !model)
    return failWith(KILN_ERROR_ARGUMENT, "kiln_aot_create(): info and model must not be null");
  *model = nullptr;
  if (info->abi_version != KILN_AOT_ABI_VERSION)
    return failWith(KILN_ERROR_VERSION,
                    std::string(info->name) + ": compiled for AOT ABI version " +
                        std::to_string(info->abi_version) + ", this runtime has version " +
                        std::to_string(KILN_AOT_ABI_VERSION) + " (recompile with kiln-aot)");
  if (info->weights_data && weightsPath)
    return failWith(KILN_ERROR_ARGUMENT, std::string(info->name) +
                                             ": the weights are embedded in the library; pass "
                                             "no weights file");
  if (!info->weights_data && !weightsPath && info->weights_size > 0)
    return failWith(KILN_ERROR_ARGUMENT,
                    std::string(info->name) + ": needs the weights file kiln-aot wrote beside it");
  kiln_model *m = new (std::nothrow) kiln_model;
  if (!m)
    return failWith(KILN_ERROR_MEMORY, "kiln_aot_create(): out of memory");
  m->info = info;
  m->weights = info->weights_data;
  if (!info->weights_data && info->weights_size > 0) {
    int fd = ::open(weightsPath, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      std::string why = std::strerror(errno);
      if (fd >= 0)
        ::close(fd);
      delete m;
      return failWith(KILN_ERROR_WEIGHTS, std::string(weightsPath) + ": cannot open: " + why);
    }
    if (static_cast<uint64_t>(st.st_size) != info->weights_size) {
      ::close(fd);
      delete m;
      return failWith(KILN_ERROR_WEIGHTS,
                      std::string(weightsPath) + ": has " + std::to_string(st.st_size) +
                          " bytes, but " + info->name + " needs " +
                          std::to_string(info->weights_size));
    }
    void *map = ::mmap(nullptr, info->weights_size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) {
      delete m;
      return failWith(KILN_ERROR_WEIGHTS,
                      std::string(weightsPath) + ": cannot map: " + std::strerror(errno));
    }
    m->map = map;
    m->mapSize = info->weights_size;
    m->weights = static_cast<const unsigned char *>(map);
  }
  *model = m;
  return KILN_OK;
}

extern "C" int kiln_aot_run(kiln_model *model, const void *const *inputs, void *const *outputs) {
  lastError.clear();
  if (!model || (!inputs && model->info->num_inputs) || (!outputs && model->info->num_outputs))
    return failWith(KILN_ERROR_ARGUMENT, "kiln_aot_run(): model, inputs and outputs must not be null");
  const kiln_aot_model_info &info = *model->info;
  try {
    std::vector<kiln::MemRefDescriptor> descriptors;
    descriptors.reserve(info.num_inputs + info.num_weights + info.num_outputs);
    for (uint32_t i = 0; i < info.num_inputs; ++i) {
      if (!inputs[i])
        return failWith(KILN_ERROR_ARGUMENT, std::string(info.name) + ": input " +
                                                 std::to_string(i) + " is null");
      descriptors.push_back(descriptor(inputs[i], info.inputs[i]));
    }
    for (uint32_t i = 0; i < info.num_weights; ++i)
      descriptors.push_back(descriptor(model->weights + info.weights[i].offset, info.weights[i]));
    for (uint32_t i = 0; i < info.num_outputs; ++i) {
      if (!outputs[i])
        return failWith(KILN_ERROR_ARGUMENT, std::string(info.name) + ": output " +
                                                 std::to_string(i) + " is null");
      descriptors.push_back(descriptor(outputs[i], info.outputs[i]));
    }
    std::vector<void *> args;
    for (kiln::MemRefDescriptor &d : descriptors)
      args.push_back(d.get());
    kiln_rt_clear_error();
    info.entry(args.data());
    if (const char *error = kiln_rt_last_error())
      return failWith(KILN_ERROR_RUN, std::string(info.name) + ": " + error);
  } catch (const std::bad_alloc &) {
    return failWith(KILN_ERROR_MEMORY, std::string(info.name) + ": out of memory");
  } catch (const std::exception &e) {
    return failWith(KILN_ERROR_RUN, std::string(info.name) + ": " + e.what());
  }
  return KILN_OK;
}

extern "C" void kiln_aot_destroy(kiln_model *model) {
  if (!model)
    return;
  if (model->map)
    ::munmap(model->map, model->mapSize);
  delete model;
}
