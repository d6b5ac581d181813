// Matmul and batch matmul on oneDNN, with overwrite, accumulate, fused-bias
// and fused bias + ReLU variants.
#include "runtime/core/Error.h"
#include "runtime/cpu/DnnlSupport.h"
#include "runtime/cpu/ExternKernels.h"

#include <cmath>

using kiln::cpu::Operand;

namespace {

enum class Epilogue : int64_t { None, Accumulate, Bias, BiasRelu };

bool hasRelu(Epilogue epilogue) { return epilogue == Epilogue::BiasRelu; }

struct MatmulShape {
  int64_t batch, m, k, n;
};

// Checks that the operands form [B,]MxK @ [B,]KxN -> [B,]MxN (and bias[N]).
MatmulShape checkShapes(const Operand &a, const Operand &b, const Operand &c,
                        const Operand *bias) {
  const size_t rank = a.sizes.size();
  const int64_t batch = rank == 3 ? a.sizes[0] : 1;
  const int64_t m = a.sizes[rank - 2], k = a.sizes[rank - 1];
  const int64_t n = b.sizes[rank - 1];
  if (b.sizes[rank - 2] != k || c.sizes[rank - 2] != m ||
      c.sizes[rank - 1] != n)
    kiln::fail(kiln::ErrorKind::Value, "shape mismatch: [", m, "x", k, "] @ [",
               b.sizes[rank - 2], "x", n, "] into [", c.sizes[rank - 2], "x",
               c.sizes[rank - 1], "]");
  if (rank == 3 && (b.sizes[0] != batch || c.sizes[0] != batch))
    kiln::fail(kiln::ErrorKind::Value, "batch sizes differ: ", batch, ", ",
               b.sizes[0], ", ", c.sizes[0]);
  if (bias && bias->sizes[0] != n)
    kiln::fail(kiln::ErrorKind::Value, "bias has ", bias->sizes[0],
               " elements, expected ", n);
  return {batch, m, k, n};
}

// The layouts oneDNN has no implementation for (and K == 0) take this loop.
void fallbackMatmul(const Operand &a, const Operand &b, const Operand &c,
                    const Operand *bias, Epilogue epilogue,
                    const MatmulShape &shape) {
  const size_t r = a.sizes.size();
  auto batchStride = [&](const Operand &o) {
    return r == 3 ? o.strides[0] : 0;
  };
  for (int64_t p = 0; p < shape.batch; ++p) {
    const float *ap = a.data + p * batchStride(a);
    const float *bp = b.data + p * batchStride(b);
    float *cp = c.data + p * batchStride(c);
    for (int64_t i = 0; i < shape.m; ++i) {
      for (int64_t j = 0; j < shape.n; ++j) {
        double sum = 0;
        for (int64_t q = 0; q < shape.k; ++q)
          sum += static_cast<double>(
                     ap[i * a.strides[r - 2] + q * a.strides[r - 1]]) *
                 bp[q * b.strides[r - 2] + j * b.strides[r - 1]];
        float &out = cp[i * c.strides[r - 2] + j * c.strides[r - 1]];
        if (epilogue == Epilogue::Accumulate)
          sum += out;
        if (bias)
          sum += bias->data[j * bias->strides[0]];
        // max(x, 0) as arith.maximumf computes it: NaN propagates.
        if (hasRelu(epilogue) && !(sum >= 0) && !std::isnan(sum))
          sum = 0;
        out = static_cast<float>(sum);
      }
    }
  }
}

kiln::cpu::CachedPrimitive createMatmul(const Operand &a, const Operand &b,
                                        const Operand &c, const Operand *bias,
                                        Epilogue epilogue) {
  using namespace kiln::cpu;
  dnnl::memory::desc aDesc = stridedDesc(a.sizes, a.strides);
  dnnl::memory::desc bDesc = stridedDesc(b.sizes, b.strides);
  dnnl::memory::desc cDesc = stridedDesc(c.sizes, c.strides);
  dnnl::primitive_attr attr;
  if (epilogue == Epilogue::Accumulate) {
    dnnl::post_ops postOps;
    postOps.append_sum(1.f);
    attr.set_post_ops(postOps);
  } else if (hasRelu(epilogue)) {
    // dst = max(A @ B + bias, 0): alpha 0 is the plain ReLU.
    dnnl::post_ops postOps;
    postOps.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(postOps);
  }

  CachedPrimitive entry;
  entry.argDescs = {
      {DNNL_ARG_SRC, aDesc}, {DNNL_ARG_WEIGHTS, bDesc}, {DNNL_ARG_DST, cDesc}};
  if (bias) {
    // Bias broadcasts over rows (and batches): dims [1,]1xN.
    std::vector<int64_t> sizes(a.sizes.size(), 1), strides(a.sizes.size(), 0);
    sizes.back() = bias->sizes[0];
    strides.back() = bias->strides[0];
    for (size_t d = 0; d + 1 < sizes.size(); ++d)
      strides[d] = bias->sizes[0] * bias->strides[0];
    dnnl::memory::desc biasDesc = stridedDesc(sizes, strides);
    entry.argDescs.emplace(DNNL_ARG_BIAS, biasDesc);
    dnnl::matmul::desc desc(aDesc, bDesc, biasDesc, cDesc);
    entry.primitive =
        dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, cpuEngine()));
  } else {
    dnnl::matmul::desc desc(aDesc, bDesc, cDesc);
    entry.primitive =
        dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, cpuEngine()));
  }
  return entry;
}

void matmul(const char *kernel, int64_t rank, void *aDesc, void *bDesc,
            void *biasDesc, void *cDesc, Epilogue epilogue) {
  kiln::cpu::guarded(kernel, [&] {
    Operand a = kiln::cpu::readOperand(aDesc, rank);
    Operand b = kiln::cpu::readOperand(bDesc, rank);
    Operand c = kiln::cpu::readOperand(cDesc, rank);
    std::optional<Operand> bias;
    if (biasDesc)
      bias = kiln::cpu::readOperand(biasDesc, 1);
    const Operand *biasPtr = bias ? &*bias : nullptr;
    MatmulShape shape = checkShapes(a, b, c, biasPtr);
    if (shape.batch == 0 || shape.m == 0 || shape.n == 0)
      return;
    if (shape.k == 0) {
      kiln::cpu::countFallback();
      fallbackMatmul(a, b, c, biasPtr, epilogue, shape);
      return;
    }
    // The epilogue and the post-op (ReLU or not) select distinct primitives.
    std::vector<int64_t> key = {0, rank, static_cast<int64_t>(epilogue),
                                hasRelu(epilogue) ? 1 : 0};
    kiln::cpu::appendLayout(key, a);
    kiln::cpu::appendLayout(key, b);
    kiln::cpu::appendLayout(key, c);
    if (biasPtr)
      kiln::cpu::appendLayout(key, *biasPtr);
    auto entry = kiln::cpu::lookupPrimitive(
        key, [&] { return createMatmul(a, b, c, biasPtr, epilogue); });
    if (!entry->primitive) {
      kiln::cpu::countFallback();
      fallbackMatmul(a, b, c, biasPtr, epilogue, shape);
      return;
    }
    std::unordered_map<int, void *> args = {{DNNL_ARG_SRC, a.data},
                                            {DNNL_ARG_WEIGHTS, b.data},
                                            {DNNL_ARG_DST, c.data}};
    if (biasPtr)
      args.emplace(DNNL_ARG_BIAS, biasPtr->data);
    kiln::cpu::execute(*entry, args);
  });
}

} // namespace

extern "C" void _mlir_ciface_kiln_matmul_f32(void *a, void *b, void *c) {
  matmul("kiln_matmul_f32", 2, a, b, nullptr, c, Epilogue::None);
}

extern "C" void _mlir_ciface_kiln_matmul_acc_f32(void *a, void *b, void *c) {
  matmul("kiln_matmul_acc_f32", 2, a, b, nullptr, c, Epilogue::Accumulate);
}

extern "C" void _mlir_ciface_kiln_matmul_bias_f32(void *a, void *b, void *bias,
                                                  void *c) {
  matmul("kiln_matmul_bias_f32", 2, a, b, bias, c, Epilogue::Bias);
}

extern "C" void _mlir_ciface_kiln_matmul_bias_relu_f32(void *a, void *b,
                                                       void *bias, void *c) {
  matmul("kiln_matmul_bias_relu_f32", 2, a, b, bias, c, Epilogue::BiasRelu);
}

extern "C" void _mlir_ciface_kiln_batch_matmul_f32(void *a, void *b, void *c) {
  matmul("kiln_batch_matmul_f32", 3, a, b, nullptr, c, Epilogue::None);
}

extern "C" void _mlir_ciface_kiln_batch_matmul_acc_f32(void *a, void *b,
                                                       void *c) {
  matmul("kiln_batch_matmul_acc_f32", 3, a, b, nullptr, c,
         Epilogue::Accumulate);
}
