// sort, topk and nonzero: each row gathered into (key, index) pairs and sorted.
#include "runtime/cpu/Sort.h"

#include "runtime/core/BFloat16.h"
#include "runtime/core/Error.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kiln {

namespace {

// Unsigned keys whose integer order is torch.sort's order of the floats:
// -0.0 equals 0.0 and every NaN sorts above +inf.
uint32_t floatKey(float v) {
  if (v != v)
    return 0xFFFFFFFFu;
  if (v == 0.0f)
    v = 0.0f;
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
}

uint64_t doubleKey(double v) {
  if (v != v)
    return ~uint64_t(0);
  if (v == 0.0)
    v = 0.0;
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  constexpr uint64_t sign = uint64_t(1) << 63;
  return (bits & sign) ? ~bits : bits | sign;
}


// Calls fn(T{}, keyOf) with the C++ type storing `dtype` and a function from
// an element to its ordering key.
template <typename Fn> void dispatchKeys(DType dtype, Fn &&fn) {
  auto same = [](auto v) { return v; };
  switch (dtype) {
  case DType::Float32:
    return fn(float{}, floatKey);
  case DType::Float64:
    return fn(double{}, doubleKey);
  case DType::Float16:
    return fn(uint16_t{}, [](uint16_t v) { return floatKey(halfToFloat(v)); });
  case DType::BFloat16:
    return fn(uint16_t{},
              [](uint16_t v) { return floatKey(bfloat16ToFloat(v)); });
  case DType::Int8:
    return fn(int8_t{}, same);
  case DType::Int32:
    return fn(int32_t{}, same);
  case DType::Int64:
    return fn(int64_t{}, same);
  case DType::UInt8:
    return fn(uint8_t{}, same);
  case DType::Bool:
    return fn(uint8_t{}, same);
  }
  fail(ErrorKind::Runtime, "unknown dtype ", static_cast<int>(dtype));
}

// Calls fn(index, offsetA, offsetB) for every index of `sizes` in row-major
// order, the offsets walking two stride lists.
template <typename Fn>
void forEachIndex(const IntList &sizes, const IntList &stridesA,
                  const IntList &stridesB, Fn &&fn) {
  int64_t total = 1;
  for (int64_t s : sizes)
    total *= s;
  int64_t ndim = static_cast<int64_t>(sizes.size());
  IntList index(sizes.size(), 0);
  int64_t a = 0, b = 0;
  for (int64_t done = 0; done < total; ++done) {
    fn(index, a, b);
    for (int64_t d = ndim - 1; d >= 0; --d) {
      if (++index[d] < sizes[d]) {
        a += stridesA[d];
        b += stridesB[d];
        break;
      }
      a -= (sizes[d] - 1) * stridesA[d];
      b -= (sizes[d] - 1) * stridesB[d];
      index[d] = 0;
    }
  }
}

void checkInput(const char *op, const Tensor &x) {
  if (!x.defined())
    fail(ErrorKind::Value, op, "(): expected a defined tensor");
  if (!x.device().isCPU())
    fail(ErrorKind::NotImplemented, op, "(): tensors on device '",
         x.device().str(), "' are not supported; only cpu is");
}

// Sorts every row of `x` along `dim` and keeps its first `k` entries; a 0-d
// tensor is one row of one element.
std::pair<Tensor, Tensor> sortRows(const Tensor &x, int64_t dim, int64_t k,
                                   bool descending) {
  bool scalar = x.dim() == 0;
  IntList outSizes = x.sizes();
  if (!scalar)
    outSizes[dim] = k;
  Tensor values = Tensor::empty(outSizes, x.dtype());
  Tensor indices = Tensor::empty(outSizes, DType::Int64);
  if (values.numel() == 0)
    return {values, indices};
  int64_t n = scalar ? 1 : x.size(dim);
  int64_t inStride = scalar ? 0 : x.stride(dim);
  int64_t outStride = scalar ? 0 : values.stride(dim);
  IntList rowSizes, inStrides, outStrides;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d == dim)
      continue;
    rowSizes.push_back(x.sizes()[d]);
    inStrides.push_back(x.strides()[d]);
    outStrides.push_back(values.strides()[d]);
  }
  dispatchKeys(x.dtype(), [&](auto tag, auto keyOf) {
    using T = decltype(tag);
    using Key = decltype(keyOf(tag));
    const T *in = static_cast<const T *>(x.data());
    T *outValues = static_cast<T *>(values.data());
    int64_t *outIndices = static_cast<int64_t *>(indices.data());
    // The index breaks ties, so the order is total: what a stable sort gives.
    std::vector<std::pair<Key, int64_t>> row(static_cast<size_t>(n));
    forEachIndex(rowSizes, inStrides, outStrides,
                 [&](const IntList &, int64_t inBase, int64_t outBase) {
                   for (int64_t j = 0; j < n; ++j) {
                     Key key = keyOf(in[inBase + j * inStride]);
                     // ~ reverses the order of signed and unsigned keys alike.
                     row[j] = {descending ? static_cast<Key>(~key) : key, j};
                   }
                   if (k == n)
                     std::sort(row.begin(), row.end());
                   else
                     std::partial_sort(row.begin(), row.begin() + k, row.end());
                   for (int64_t j = 0; j < k; ++j) {
                     int64_t from = row[j].second;
                     outValues[outBase + j * outStride] =
                         in[inBase + from * inStride];
                     outIndices[outBase + j * outStride] = from;
                   }
                 });
  });
  return {values, indices};
}

} // namespace

std::pair<Tensor, Tensor> sort(const Tensor &x, int64_t dim, bool descending,
                               bool /*stable*/) {
  checkInput("sort", x);
  int64_t d = wrapDim("sort", dim, x.dim());
  return sortRows(x, d, x.dim() == 0 ? 1 : x.size(d), descending);
}

std::pair<Tensor, Tensor> topk(const Tensor &x, int64_t k, int64_t dim,
                               bool largest, bool /*sorted*/) {
  checkInput("topk", x);
  int64_t d = wrapDim("topk", dim, x.dim());
  int64_t size = x.dim() == 0 ? 1 : x.size(d);
  if (k < 0 || k > size)
    fail(ErrorKind::Runtime, "topk(): selected index k out of range (k=", k,
         ", but dim ", d, " of sizes ", formatList(x.sizes()), " has ", size,
         " elements)");
  // A 0-d tensor is its own top-k for k = 0 as well, as in PyTorch.
  return sortRows(x, d, x.dim() == 0 ? 1 : k, largest);
}

Tensor nonzero(const Tensor &x) {
  checkInput("nonzero", x);
  int64_t ndim = x.dim();
  Tensor out;
  dispatchKeys(x.dtype(), [&](auto tag, auto keyOf) {
    using T = decltype(tag);
    const T *in = static_cast<const T *>(x.data());
    auto zero = keyOf(T{});
    int64_t count = 0;
    forEachIndex(x.sizes(), x.strides(), x.strides(),
                 [&](const IntList &, int64_t offset, int64_t) {
                   count += keyOf(in[offset]) != zero;
                 });
    out = Tensor::empty({count, ndim}, DType::Int64);
    int64_t *dst = static_cast<int64_t *>(out.data());
    forEachIndex(x.sizes(), x.strides(), x.strides(),
                 [&](const IntList &index, int64_t offset, int64_t) {
                   if (keyOf(in[offset]) != zero)
                     dst = std::copy(index.begin(), index.end(), dst);
                 });
  });
  return out;
}

} // namespace kiln
