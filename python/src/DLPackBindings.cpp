// DLPack exchange: Tensor.__dlpack__ and kiln.from_dlpack share cpu memory with NumPy and other frameworks.
//
// The DLPack ABI (dlpack.h, https://dmlc.github.io/dlpack/latest/c_api.html)
// is declared here rather than included: Debian 12's libdlpack-dev is v0.6,
// which lacks kDLBool (NumPy's bool) and DLManagedTensorVersioned (DLPack 1.0),
// the form NumPy 2 asks for and the only one that can mark an export writable.
#include "python/src/Bindings.h"

#include "lib/Trace/Trace.h"
#include "runtime/core/Error.h"
#include "runtime/core/Tensor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>

namespace py = pybind11;
using kiln::DType;
using kiln::ErrorKind;
using kiln::IntList;
using kiln::Tensor;
using kiln::trace::LazyTensor;

namespace {

// --- The DLPack 1.0 ABI, as far as Kiln uses it. ---------------------------

// DLDeviceType values.
constexpr int32_t kDLCPU = 1;
constexpr int32_t kDLCUDAHost = 3;
constexpr int32_t kDLCUDAManaged = 13;

// DLDataTypeCode values.
constexpr uint8_t kDLInt = 0;
constexpr uint8_t kDLUInt = 1;
constexpr uint8_t kDLFloat = 2;
constexpr uint8_t kDLBfloat = 4;
constexpr uint8_t kDLBool = 6;

// DLManagedTensorVersioned::flags: the export is a copy made for the consumer.
// (Kiln does not read the read-only bit on import: like from_numpy, it
// accepts read-only memory and leaves writes to it to the user.)
constexpr uint64_t kDLPackFlagIsCopied = 1ull << 1;

struct DLDevice {
  int32_t device_type; // a C enum (DLDeviceType) in dlpack.h: int-sized
  int32_t device_id;
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

struct DLTensor {
  void *data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t *shape;
  int64_t *strides; // in elements; null means compact row-major
  uint64_t byte_offset;
};

struct DLManagedTensor {
  DLTensor dl_tensor;
  void *manager_ctx;
  void (*deleter)(DLManagedTensor *self);
};

struct DLPackVersion {
  uint32_t major;
  uint32_t minor;
};

struct DLManagedTensorVersioned {
  DLPackVersion version;
  void *manager_ctx;
  void (*deleter)(DLManagedTensorVersioned *self);
  uint64_t flags;
  DLTensor dl_tensor;
};

static_assert(sizeof(void *) != 8 || sizeof(DLTensor) == 48,
              "DLTensor must match dlpack.h's layout");
static_assert(sizeof(void *) != 8 || sizeof(DLManagedTensor) == 64,
              "DLManagedTensor must match dlpack.h's layout");
static_assert(sizeof(void *) != 8 || sizeof(DLManagedTensorVersioned) == 80,
              "DLManagedTensorVersioned must match dlpack.h's layout");

// The capsule names the protocol fixes: a consumer renames a capsule to the
// "used_" name when it takes ownership, so the capsule's destructor knows not
// to free the tensor a second time.
template <typename Managed> struct CapsuleNames;
template <> struct CapsuleNames<DLManagedTensor> {
  static constexpr const char *fresh = "dltensor";
  static constexpr const char *used = "used_dltensor";
};
template <> struct CapsuleNames<DLManagedTensorVersioned> {
  static constexpr const char *fresh = "dltensor_versioned";
  static constexpr const char *used = "used_dltensor_versioned";
};

// --- Export. -----------------------------------------------------------------

// What an exported capsule owns: the managed struct the consumer sees, the
// tensor that keeps Kiln's storage alive, and the arrays shape/strides point to.
template <typename Managed> struct Export {
  Managed managed{};
  Tensor tensor;
  IntList shape;
  IntList strides;
};

template <typename Managed> void deleteExport(Managed *managed) {
  // May run on any thread, with or without the GIL: only Kiln memory is freed
  // here (a storage over NumPy memory takes the GIL in its own deleter).
  delete static_cast<Export<Managed> *>(managed->manager_ctx);
}

// Frees a capsule that no consumer took (the DLPack spec's reference
// destructor): keeps any Python error that is in flight.
template <typename Managed> void capsuleDestructor(PyObject *capsule) {
  if (PyCapsule_IsValid(capsule, CapsuleNames<Managed>::used))
    return;
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  auto *managed = static_cast<Managed *>(
      PyCapsule_GetPointer(capsule, CapsuleNames<Managed>::fresh));
  if (managed == nullptr)
    PyErr_WriteUnraisable(capsule);
  else if (managed->deleter)
    managed->deleter(managed);
  PyErr_Restore(type, value, traceback);
}

DLDataType dlDataType(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return {kDLFloat, 32, 1};
  case DType::Float64:
    return {kDLFloat, 64, 1};
  case DType::Float16:
    return {kDLFloat, 16, 1};
  case DType::BFloat16:
    return {kDLBfloat, 16, 1};
  case DType::Int8:
    return {kDLInt, 8, 1};
  case DType::Int32:
    return {kDLInt, 32, 1};
  case DType::Int64:
    return {kDLInt, 64, 1};
  case DType::UInt8:
    return {kDLUInt, 8, 1};
  case DType::Bool:
    return {kDLBool, 8, 1};
  }
  kiln::fail(ErrorKind::Runtime, "__dlpack__(): unknown dtype");
}

template <typename Managed>
py::object exportTensor(const Tensor &t, uint64_t flags) {
  auto holder = std::make_unique<Export<Managed>>();
  holder->tensor = t;
  holder->shape = t.sizes();
  holder->strides = t.strides();
  DLTensor &dl = holder->managed.dl_tensor;
  t.storage().markExported();
  dl.data = t.data();
  dl.device = {kDLCPU, 0};
  dl.ndim = static_cast<int32_t>(t.dim());
  dl.dtype = dlDataType(t.dtype());
  dl.shape = t.dim() == 0 ? nullptr : holder->shape.data();
  dl.strides = t.dim() == 0 ? nullptr : holder->strides.data();
  dl.byte_offset = 0;
  holder->managed.manager_ctx = holder.get();
  holder->managed.deleter = &deleteExport<Managed>;
  if constexpr (std::is_same_v<Managed, DLManagedTensorVersioned>) {
    holder->managed.version = {1, 0};
    holder->managed.flags = flags;
  }
  PyObject *capsule = PyCapsule_New(&holder->managed, CapsuleNames<Managed>::fresh,
                                    &capsuleDestructor<Managed>);
  if (capsule == nullptr)
    throw py::error_already_set();
  holder.release(); // the capsule (or its consumer) owns it now
  return py::reinterpret_steal<py::object>(capsule);
}

py::object toDLPack(const LazyTensor &t, bool versioned, bool copied) {
  const Tensor &value = t.materialize();
  if (!value.device().isCPU())
    kiln::fail(ErrorKind::NotImplemented, "__dlpack__(): tensors on device '",
               value.device().str(), "' cannot be exported yet; only cpu");
  if (versioned)
    return exportTensor<DLManagedTensorVersioned>(
        value, copied ? kDLPackFlagIsCopied : 0);
  return exportTensor<DLManagedTensor>(value, 0);
}

// --- Import. -----------------------------------------------------------------

DType kilnDType(const DLDataType &dtype) {
  if (dtype.lanes == 1) {
    switch (dtype.code) {
    case kDLFloat:
      if (dtype.bits == 32)
        return DType::Float32;
      if (dtype.bits == 64)
        return DType::Float64;
      if (dtype.bits == 16)
        return DType::Float16;
      break;
    case kDLBfloat:
      if (dtype.bits == 16)
        return DType::BFloat16;
      break;
    case kDLInt:
      if (dtype.bits == 8)
        return DType::Int8;
      if (dtype.bits == 32)
        return DType::Int32;
      if (dtype.bits == 64)
        return DType::Int64;
      break;
    case kDLUInt:
      if (dtype.bits == 8)
        return DType::UInt8;
      break;
    case kDLBool:
      if (dtype.bits == 8)
        return DType::Bool;
      break;
    default:
      break;
    }
  }
  kiln::fail(ErrorKind::Type, "from_dlpack(): unsupported DLPack dtype (code ",
             static_cast<int>(dtype.code), ", bits ",
             static_cast<int>(dtype.bits), ", lanes ", dtype.lanes,
             "). The only supported types are: float64, float32, float16, "
             "bfloat16, int64, int32, int8, uint8, and bool.");
}

// Takes ownership of the DLTensor a capsule holds and wraps its memory.
// `release` hands it back to its producer when the last Kiln view goes away.
LazyTensor importTensor(PyObject *capsule, const DLTensor &dl,
                        const char *usedName, std::function<void()> release) {
  int32_t device = dl.device.device_type;
  if (device != kDLCPU && device != kDLCUDAHost && device != kDLCUDAManaged)
    kiln::fail(ErrorKind::NotImplemented,
               "from_dlpack(): tensors on DLPack device type ", device,
               " are not supported yet; only cpu is");
  DType dtype = kilnDType(dl.dtype);
  if (dl.ndim < 0)
    kiln::fail(ErrorKind::Value, "from_dlpack(): negative ndim ", dl.ndim);
  IntList sizes(dl.shape, dl.shape + dl.ndim);
  IntList strides = dl.strides != nullptr
                        ? IntList(dl.strides, dl.strides + dl.ndim)
                        : Tensor::contiguousStrides(sizes);
  int64_t numel = 1, last = 0;
  for (int32_t d = 0; d < dl.ndim; ++d) {
    if (sizes[d] < 0)
      kiln::fail(ErrorKind::Value, "from_dlpack(): negative size ", sizes[d],
                 " in dim ", d);
    if (sizes[d] > 1 && strides[d] < 0)
      kiln::fail(ErrorKind::Value,
                 "from_dlpack(): negative strides are not supported (dim ", d,
                 " has stride ", strides[d], ")");
    numel *= sizes[d];
    last += (sizes[d] - 1) * (sizes[d] > 1 ? strides[d] : 0);
  }
  size_t itemsize = kiln::elementSize(dtype);
  size_t nbytes =
      numel == 0 ? 0 : static_cast<size_t>(last + 1) * itemsize;
  void *data = static_cast<char *>(dl.data) + dl.byte_offset;
  // From here on Kiln owns the DLTensor: renaming first means that if
  // building the tensor throws, the storage's deleter is the only release.
  if (PyCapsule_SetName(capsule, usedName) != 0)
    throw py::error_already_set();
  kiln::Storage storage = kiln::Storage::fromExternal(
      data, nbytes, kiln::Device(), [release](void *) {
        // After interpreter shutdown the producer's memory is left to the OS.
        if (!Py_IsInitialized())
          return;
        py::gil_scoped_acquire gil;
        release();
      });
  return LazyTensor::fromTensor(
      Tensor(std::move(storage), sizes, strides, 0, dtype));
}

LazyTensor fromDLPack(py::handle object) {
  PyObject *capsule = object.ptr();
  if (PyCapsule_IsValid(capsule, CapsuleNames<DLManagedTensorVersioned>::fresh)) {
    auto *managed = static_cast<DLManagedTensorVersioned *>(PyCapsule_GetPointer(
        capsule, CapsuleNames<DLManagedTensorVersioned>::fresh));
    if (managed->version.major > 1)
      kiln::fail(ErrorKind::Runtime, "from_dlpack(): DLPack version ",
                 managed->version.major, ".", managed->version.minor,
                 " is newer than Kiln reads (1.x)");
    return importTensor(capsule, managed->dl_tensor,
                        CapsuleNames<DLManagedTensorVersioned>::used,
                        [managed] {
                          if (managed->deleter)
                            managed->deleter(managed);
                        });
  }
  if (PyCapsule_IsValid(capsule, CapsuleNames<DLManagedTensor>::fresh)) {
    auto *managed = static_cast<DLManagedTensor *>(
        PyCapsule_GetPointer(capsule, CapsuleNames<DLManagedTensor>::fresh));
    return importTensor(capsule, managed->dl_tensor,
                        CapsuleNames<DLManagedTensor>::used, [managed] {
                          if (managed->deleter)
                            managed->deleter(managed);
                        });
  }
  if (PyCapsule_IsValid(capsule, CapsuleNames<DLManagedTensor>::used) ||
      PyCapsule_IsValid(capsule, CapsuleNames<DLManagedTensorVersioned>::used))
    kiln::fail(ErrorKind::Runtime,
               "from_dlpack(): this DLPack capsule was already consumed");
  kiln::fail(ErrorKind::Type,
             "from_dlpack(): expected an object with __dlpack__ or a DLPack "
             "capsule, got ",
             py::str(object.get_type().attr("__name__")).cast<std::string>());
}

} // namespace

void bindDLPack(py::module_ &m) {
  m.def("_to_dlpack", &toDLPack, py::arg("tensor"), py::arg("versioned"),
        py::arg("copied"),
        "A DLPack capsule over the tensor's memory (materialized first); "
        "DLPack 1.0 (versioned, writable) or the unversioned form.");
  m.def("_from_dlpack", &fromDLPack, py::arg("capsule"),
        "A tensor over the memory of a DLPack capsule, which it consumes.");
}
