// 2-D NCHW convolution (strides, padding, dilation, groups, optional fused
// bias) on oneDNN.
#include "runtime/core/Error.h"
#include "runtime/cpu/DnnlSupport.h"
#include "runtime/cpu/ExternKernels.h"

#include <cmath>
#include <optional>

using kiln::cpu::Operand;

namespace {

struct ConvParams {
  int64_t strideH, strideW, padH, padW, dilationH, dilationW, groups;
  // max(out, 0) after the bias (a oneDNN eltwise_relu post-op).
  bool relu = false;
};

int64_t outputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                   int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

// Checks the operands and parameters against torch.nn.functional.conv2d's
// rules.
void checkConv(const Operand &in, const Operand &w, const Operand &out,
               const Operand *bias, const ConvParams &p) {
  if (p.strideH < 1 || p.strideW < 1 || p.dilationH < 1 || p.dilationW < 1 ||
      p.padH < 0 || p.padW < 0 || p.groups < 1)
    kiln::fail(kiln::ErrorKind::Value, "bad parameters: stride [", p.strideH,
               ", ", p.strideW, "] padding [", p.padH, ", ", p.padW,
               "] dilation [", p.dilationH, ", ", p.dilationW, "] groups ",
               p.groups);
  const int64_t channels = in.sizes[1], outChannels = w.sizes[0];
  if (channels % p.groups || outChannels % p.groups ||
      w.sizes[1] * p.groups != channels)
    kiln::fail(kiln::ErrorKind::Value, "weight [", outChannels, ", ",
               w.sizes[1], ", ...] does not fit ", channels,
               " input channels in ", p.groups, " groups");
  const int64_t oh =
      outputSize(in.sizes[2], w.sizes[2], p.strideH, p.padH, p.dilationH);
  const int64_t ow =
      outputSize(in.sizes[3], w.sizes[3], p.strideW, p.padW, p.dilationW);
  if (out.sizes[0] != in.sizes[0] || out.sizes[1] != outChannels ||
      out.sizes[2] != oh || out.sizes[3] != ow)
    kiln::fail(kiln::ErrorKind::Value, "output is [", out.sizes[0], ", ",
               out.sizes[1], ", ", out.sizes[2], ", ", out.sizes[3],
               "], expected [", in.sizes[0], ", ", outChannels, ", ", oh, ", ",
               ow, "]");
  if (bias && bias->sizes[0] != outChannels)
    kiln::fail(kiln::ErrorKind::Value, "bias has ", bias->sizes[0],
               " elements, expected ", outChannels);
}

// The layouts oneDNN has no implementation for take this direct loop.
void fallbackConv(const Operand &in, const Operand &w, const Operand &out,
                  const Operand *bias, const ConvParams &p) {
  const int64_t perGroupIn = w.sizes[1], perGroupOut = w.sizes[0] / p.groups;
  auto at = [](const Operand &o, int64_t i0, int64_t i1, int64_t i2,
               int64_t i3) {
    return o.data + i0 * o.strides[0] + i1 * o.strides[1] + i2 * o.strides[2] +
           i3 * o.strides[3];
  };
  for (int64_t n = 0; n < out.sizes[0]; ++n)
    for (int64_t o = 0; o < out.sizes[1]; ++o)
      for (int64_t y = 0; y < out.sizes[2]; ++y)
        for (int64_t x = 0; x < out.sizes[3]; ++x) {
          double sum = bias ? bias->data[o * bias->strides[0]] : 0.0;
          const int64_t firstChannel = (o / perGroupOut) * perGroupIn;
          for (int64_t c = 0; c < perGroupIn; ++c)
            for (int64_t ky = 0; ky < w.sizes[2]; ++ky)
              for (int64_t kx = 0; kx < w.sizes[3]; ++kx) {
                const int64_t iy = y * p.strideH - p.padH + ky * p.dilationH;
                const int64_t ix = x * p.strideW - p.padW + kx * p.dilationW;
                if (iy < 0 || iy >= in.sizes[2] || ix < 0 || ix >= in.sizes[3])
                  continue;
                sum +=
                    static_cast<double>(*at(in, n, firstChannel + c, iy, ix)) *
                    *at(w, o, c, ky, kx);
              }
          // max(x, 0) as arith.maximumf computes it: NaN propagates.
          if (p.relu && !(sum >= 0) && !std::isnan(sum))
            sum = 0;
          *at(out, n, o, y, x) = static_cast<float>(sum);
        }
}

// Records a reorder for every argument whose layout the primitive chose
// differently from the caller's.
void convertArguments(
    kiln::cpu::CachedPrimitive &entry,
    std::initializer_list<std::pair<int, dnnl::memory::desc>> chosen) {
  using namespace kiln::cpu;
  for (const auto &[arg, desc] : chosen) {
    const dnnl::memory::desc &user = entry.argDescs.at(arg);
    if (desc == user)
      continue;
    bool output = arg == DNNL_ARG_DST || arg == DNNL_ARG_DIFF_WEIGHTS;
    dnnl::reorder::primitive_desc reorder =
        output ? dnnl::reorder::primitive_desc(cpuEngine(), desc, cpuEngine(), user)
               : dnnl::reorder::primitive_desc(cpuEngine(), user, cpuEngine(), desc);
    entry.converted.emplace(arg, CachedPrimitive::Converted{desc, dnnl::reorder(reorder)});
  }
}

kiln::cpu::CachedPrimitive createConv(const Operand &in, const Operand &w,
                                      const Operand &out, const Operand *bias,
                                      const ConvParams &p) {
  using namespace kiln::cpu;
  dnnl::memory::desc inDesc = stridedDesc(in.sizes, in.strides);
  dnnl::memory::desc outDesc = stridedDesc(out.sizes, out.strides);
  dnnl::memory::desc wDesc = stridedDesc(w.sizes, w.strides);
  if (p.groups > 1) {
    // oneDNN spells grouped weights [G, O/G, C/G, KH, KW].
    const int64_t perGroupOut = w.sizes[0] / p.groups;
    wDesc =
        stridedDesc({p.groups, perGroupOut, w.sizes[1], w.sizes[2], w.sizes[3]},
                    {perGroupOut * w.strides[0], w.strides[0], w.strides[1],
                     w.strides[2], w.strides[3]});
  }
  const dnnl::memory::dims strides = {p.strideH, p.strideW};
  // oneDNN counts dilation from 0 (a dense kernel).
  const dnnl::memory::dims dilations = {p.dilationH - 1, p.dilationW - 1};
  const dnnl::memory::dims padding = {p.padH, p.padW};

  CachedPrimitive entry;
  entry.argDescs = {{DNNL_ARG_SRC, inDesc},
                    {DNNL_ARG_WEIGHTS, wDesc},
                    {DNNL_ARG_DST, outDesc}};
  // Activations with a multiple of 16 channels run in oneDNN's blocked
  // nChw16c layout (its direct JIT kernels; plain NCHW falls back to im2col +
  // GEMM, several times slower), others (an image's 1 or 3 channels) in
  // NCHW as given; oneDNN picks the weights' layout. Arguments are reordered
  // from and to the caller's layout around the call: between NCHW and
  // nChw16c that copies whole 64-byte channel blocks (oneDNN's "jit:blk"
  // reorder), faster than to and from NHWC.
  auto any = [](const dnnl::memory::desc &desc) {
    return dnnl::memory::desc(desc.dims(), desc.data_type(),
                              dnnl::memory::format_tag::any);
  };
  auto activation = [&](const dnnl::memory::desc &desc, int64_t channels) {
    if (p.groups == 1 && channels % 16 == 0)
      return dnnl::memory::desc(desc.dims(), desc.data_type(),
                                dnnl::memory::format_tag::nChw16c);
    return any(desc);
  };
  dnnl::memory::desc inChosen = activation(inDesc, in.sizes[1]);
  dnnl::memory::desc outChosen = activation(outDesc, out.sizes[1]);
  dnnl::primitive_attr attr;
  if (p.relu) {
    dnnl::post_ops postOps;
    postOps.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(postOps);
  }
  using Conv = dnnl::convolution_forward;
  std::optional<Conv::desc> desc;
  if (bias) {
    dnnl::memory::desc biasDesc = stridedDesc(bias->sizes, bias->strides);
    entry.argDescs.emplace(DNNL_ARG_BIAS, biasDesc);
    desc.emplace(dnnl::prop_kind::forward_inference,
                 dnnl::algorithm::convolution_direct, inChosen, any(wDesc),
                 biasDesc, outChosen, strides, dilations, padding, padding);
  } else {
    desc.emplace(dnnl::prop_kind::forward_inference,
                 dnnl::algorithm::convolution_direct, inChosen, any(wDesc),
                 outChosen, strides, dilations, padding, padding);
  }
  Conv::primitive_desc pd(*desc, attr, cpuEngine());
  convertArguments(entry, {{DNNL_ARG_SRC, pd.src_desc()},
                           {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                           {DNNL_ARG_DST, pd.dst_desc()}});
  entry.primitive = Conv(pd);
  return entry;
}

// A convolution whose kernel is larger than its output is (in Kiln) the
// weight gradient of another convolution: the conv2d VJP writes
// dW = conv(x^T, dy^T)^T (batch and channels swapped), whose "kernel" is
// dy's whole image. oneDNN's forward convolutions run that shape on a slow
// reference path; its backward-weights primitive computes the same sums
// with blocked layouts of its choosing (reorders from and to the caller's).
// The reading: x = in with dims 0 and 1 swapped, dy = w swapped, dW = out
// swapped; the original's stride is this conv's dilation and its dilation
// this conv's stride.
bool isWeightGradientForm(const Operand &w, const Operand &out,
                          const ConvParams &p) {
  return p.groups == 1 && w.sizes[2] * w.sizes[3] > out.sizes[2] * out.sizes[3];
}

std::optional<kiln::cpu::CachedPrimitive>
createWeightGradient(const Operand &in, const Operand &w, const Operand &out,
                     const ConvParams &p) {
  using namespace kiln::cpu;
  auto swapped = [](const std::vector<int64_t> &v) {
    return std::vector<int64_t>{v[1], v[0], v[2], v[3]};
  };
  std::vector<int64_t> x = swapped(in.sizes), dy = swapped(w.sizes),
                       dw = swapped(out.sizes);
  const dnnl::memory::dims strides = {p.dilationH, p.dilationW};
  const dnnl::memory::dims dilations = {p.strideH - 1, p.strideW - 1};
  const dnnl::memory::dims padL = {p.padH, p.padW};
  // The right padding that makes oneDNN's output size formula exact.
  dnnl::memory::dims padR(2);
  for (int i = 0; i < 2; ++i) {
    padR[i] = (dy[2 + i] - 1) * strides[i] + (dw[2 + i] - 1) * (dilations[i] + 1) +
              1 - x[2 + i] - padL[i];
    if (padR[i] < 0)
      return std::nullopt;
  }
  auto any = [](const std::vector<int64_t> &sizes) {
    return dnnl::memory::desc(dnnl::memory::dims(sizes.begin(), sizes.end()),
                              dnnl::memory::data_type::f32,
                              dnnl::memory::format_tag::any);
  };
  using Forward = dnnl::convolution_forward;
  using Backward = dnnl::convolution_backward_weights;
  Forward::primitive_desc hint(
      Forward::desc(dnnl::prop_kind::forward_training,
                    dnnl::algorithm::convolution_direct, any(x), any(dw),
                    any(dy), strides, dilations, padL, padR),
      cpuEngine());
  Backward::primitive_desc pd(
      Backward::desc(dnnl::algorithm::convolution_direct, any(x), any(dw),
                     any(dy), strides, dilations, padL, padR),
      cpuEngine(), hint);
  CachedPrimitive entry;
  entry.argDescs = {{DNNL_ARG_SRC, stridedDesc(x, swapped(in.strides))},
                    {DNNL_ARG_DIFF_DST, stridedDesc(dy, swapped(w.strides))},
                    {DNNL_ARG_DIFF_WEIGHTS, stridedDesc(dw, swapped(out.strides))}};
  convertArguments(entry, {{DNNL_ARG_SRC, pd.src_desc()},
                           {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()},
                           {DNNL_ARG_DIFF_WEIGHTS, pd.diff_weights_desc()}});
  entry.primitive = Backward(pd);
  return entry;
}

void conv2d(const char *kernel, void *inDesc, void *wDesc, void *biasDesc,
            void *outDesc, const ConvParams &params) {
  kiln::cpu::guarded(kernel, [&] {
    Operand in = kiln::cpu::readOperand(inDesc, 4);
    Operand w = kiln::cpu::readOperand(wDesc, 4);
    Operand out = kiln::cpu::readOperand(outDesc, 4);
    std::optional<Operand> bias;
    if (biasDesc)
      bias = kiln::cpu::readOperand(biasDesc, 1);
    const Operand *biasPtr = bias ? &*bias : nullptr;
    checkConv(in, w, out, biasPtr, params);
    for (int64_t size : out.sizes)
      if (size == 0)
        return;
    std::vector<int64_t> key = {
        1,           params.strideH,   params.strideW,   params.padH,
        params.padW, params.dilationH, params.dilationW, params.groups,
        params.relu};
    kiln::cpu::appendLayout(key, in);
    kiln::cpu::appendLayout(key, w);
    kiln::cpu::appendLayout(key, out);
    if (biasPtr)
      kiln::cpu::appendLayout(key, *biasPtr);
    else
      key.push_back(-1);
    const bool weightGradient =
        !biasPtr && !params.relu && isWeightGradientForm(w, out, params);
    auto entry = kiln::cpu::lookupPrimitive(key, [&] {
      if (weightGradient)
        if (auto backward = createWeightGradient(in, w, out, params))
          return std::move(*backward);
      return createConv(in, w, out, biasPtr, params);
    });
    if (!entry->primitive || in.sizes[1] == 0) {
      kiln::cpu::countFallback();
      fallbackConv(in, w, out, biasPtr, params);
      return;
    }
    std::unordered_map<int, void *> args;
    if (entry->argDescs.count(DNNL_ARG_DIFF_WEIGHTS))
      args = {{DNNL_ARG_SRC, in.data},
              {DNNL_ARG_DIFF_DST, w.data},
              {DNNL_ARG_DIFF_WEIGHTS, out.data}};
    else
      args = {{DNNL_ARG_SRC, in.data},
              {DNNL_ARG_WEIGHTS, w.data},
              {DNNL_ARG_DST, out.data}};
    if (biasPtr)
      args.emplace(DNNL_ARG_BIAS, biasPtr->data);
    kiln::cpu::execute(*entry, args);
  });
}

} // namespace

extern "C" void _mlir_ciface_kiln_conv2d_f32(void *in, void *weight, void *out,
                                             int64_t strideH, int64_t strideW,
                                             int64_t padH, int64_t padW,
                                             int64_t dilationH,
                                             int64_t dilationW,
                                             int64_t groups) {
  conv2d("kiln_conv2d_f32", in, weight, nullptr, out,
         {strideH, strideW, padH, padW, dilationH, dilationW, groups});
}

extern "C" void
_mlir_ciface_kiln_conv2d_bias_f32(void *in, void *weight, void *bias, void *out,
                                  int64_t strideH, int64_t strideW,
                                  int64_t padH, int64_t padW, int64_t dilationH,
                                  int64_t dilationW, int64_t groups) {
  conv2d("kiln_conv2d_bias_f32", in, weight, bias, out,
         {strideH, strideW, padH, padW, dilationH, dilationW, groups});
}

extern "C" void _mlir_ciface_kiln_conv2d_bias_relu_f32(
    void *in, void *weight, void *bias, void *out, int64_t strideH,
    int64_t strideW, int64_t padH, int64_t padW, int64_t dilationH,
    int64_t dilationW, int64_t groups) {
  conv2d("kiln_conv2d_bias_relu_f32", in, weight, bias, out,
         {strideH, strideW, padH, padW, dilationH, dilationW, groups, true});
}
