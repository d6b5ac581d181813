// oneDNN matmul and convolution kernels that compiled code calls through MLIR's
// C interface.
#pragma once

#include <cstdint>

// Every kernel takes pointers to ranked memref descriptors
// (runtime/exec/MemRefDescriptor.h), as `func.call @kiln_matmul_f32` does once
// the callee carries `llvm.emit_c_interface`. Operands may have any strides
// and offsets; layouts oneDNN has no implementation for run a plain loop.
//
// Errors: compiled code has no way to receive a C++ exception, so no kernel
// throws or aborts. A kernel given inconsistent shapes or parameters leaves
// its output untouched and records a message that kiln_rt_last_error()
// returns on the same thread until kiln_rt_clear_error() or the next error.
extern "C" {

// C[M,N] = A[M,K] @ B[K,N] (C overwritten).
void _mlir_ciface_kiln_matmul_f32(void *a, void *b, void *c);
// C[M,N] += A[M,K] @ B[K,N] (linalg.matmul's own semantics).
void _mlir_ciface_kiln_matmul_acc_f32(void *a, void *b, void *c);
// C[M,N] = A @ B + bias[N], the bias fused into the matmul.
void _mlir_ciface_kiln_matmul_bias_f32(void *a, void *b, void *bias, void *c);
// C[M,N] = max(A @ B + bias[N], 0), the bias and the ReLU fused into the
// matmul (a oneDNN eltwise_relu post-op).
void _mlir_ciface_kiln_matmul_bias_relu_f32(void *a, void *b, void *bias,
                                            void *c);
// C[B,M,N] = A[B,M,K] @ B[B,K,N], overwritten or accumulated.
void _mlir_ciface_kiln_batch_matmul_f32(void *a, void *b, void *c);
void _mlir_ciface_kiln_batch_matmul_acc_f32(void *a, void *b, void *c);

// out[N,O,OH,OW] = conv2d(in[N,C,H,W], weight[O,C/groups,KH,KW]) with
// torch.nn.functional.conv2d's parameters: `pad*` zero-pads both sides of a
// dimension, dilation 1 is a dense kernel. OH/OW must be what torch computes.
void _mlir_ciface_kiln_conv2d_f32(void *in, void *weight, void *out,
                                  int64_t strideH, int64_t strideW,
                                  int64_t padH, int64_t padW, int64_t dilationH,
                                  int64_t dilationW, int64_t groups);
// The same plus bias[O], fused into the convolution.
void _mlir_ciface_kiln_conv2d_bias_f32(void *in, void *weight, void *bias,
                                       void *out, int64_t strideH,
                                       int64_t strideW, int64_t padH,
                                       int64_t padW, int64_t dilationH,
                                       int64_t dilationW, int64_t groups);
// The same followed by max(out, 0) (a oneDNN eltwise_relu post-op).
void _mlir_ciface_kiln_conv2d_bias_relu_f32(void *in, void *weight, void *bias,
                                            void *out, int64_t strideH,
                                            int64_t strideW, int64_t padH,
                                            int64_t padW, int64_t dilationH,
                                            int64_t dilationW, int64_t groups);

// The last error a kernel recorded on this thread, or null.
const char *kiln_rt_last_error(void);
void kiln_rt_clear_error(void);

// Statistics of the primitive cache: primitives created (each a distinct
// shape/stride/variant key), calls served from the cache, calls that ran the
// fallback loop. kiln_extern_clear_cache() drops primitives and zeroes them.
int64_t kiln_extern_primitives_created(void);
int64_t kiln_extern_cache_hits(void);
int64_t kiln_extern_fallback_calls(void);
void kiln_extern_clear_cache(void);

} // extern "C"
