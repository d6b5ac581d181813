/* The C ABI of ahead-of-time compiled models (kiln-aot): the description a compiled library exports, and the
   runtime's create / run / destroy over it. Plain C, so C and C++ programs can use it. */
#ifndef KILN_RUNTIME_EXEC_AOTMODEL_H
#define KILN_RUNTIME_EXEC_AOTMODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function returns one of these; kiln_aot_last_error() then says why. */
enum kiln_status {
  KILN_OK = 0,
  KILN_ERROR_ARGUMENT = 1, /* a null pointer, or weights for a model that embeds its own */
  KILN_ERROR_WEIGHTS = 2,  /* the weights file is missing, unreadable or of the wrong size */
  KILN_ERROR_RUN = 3,      /* a kernel failed while running (its message says which) */
  KILN_ERROR_MEMORY = 4,
  KILN_ERROR_VERSION = 5   /* the library was compiled for another version of this ABI */
};

#define KILN_AOT_ABI_VERSION 1

/* dtype codes: the order of kiln::DType (runtime/core/DType.h). */
enum kiln_dtype {
  KILN_FLOAT32 = 0, KILN_FLOAT64 = 1, KILN_FLOAT16 = 2, KILN_BFLOAT16 = 3, KILN_INT8 = 4,
  KILN_INT32 = 5, KILN_INT64 = 6, KILN_UINT8 = 7, KILN_BOOL = 8
};

typedef struct kiln_aot_tensor {
  const char *name;
  int32_t dtype; /* enum kiln_dtype */
  int32_t rank;
  const int64_t *shape;
  uint64_t nbytes;
  uint64_t offset; /* weights: where its bytes start in the weights data */
} kiln_aot_tensor;

/* What kiln-aot emits as `<name>_info`. */
typedef struct kiln_aot_model_info {
  uint32_t abi_version;
  const char *name;
  void (*entry)(void **descriptors); /* inputs, weights, then outputs: memref descriptors */
  uint32_t num_inputs, num_outputs, num_weights;
  const kiln_aot_tensor *inputs, *outputs, *weights;
  const unsigned char *weights_data; /* embedded weights (64-byte aligned), or null: a file */
  uint64_t weights_size;
} kiln_aot_model_info;

typedef struct kiln_model kiln_model;

/* Makes a runnable model. `weights_path` names the weights file kiln-aot wrote beside the library
   (--weights=file) and must be null for a model that embeds its weights. */
int kiln_aot_create(const kiln_aot_model_info *info, const char *weights_path, kiln_model **model);
/* Runs the model: inputs[i] points to input i's contiguous row-major bytes, outputs[i] to room for
   output i's (see the info's shapes and dtypes). Thread-safe for one model. */
int kiln_aot_run(kiln_model *model, const void *const *inputs, void *const *outputs);
void kiln_aot_destroy(kiln_model *model);
/* The message of this thread's last failed call ("" if none). */
const char *kiln_aot_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
