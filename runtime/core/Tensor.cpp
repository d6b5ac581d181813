// Tensor construction, geometry checks, view ops and strided copies.
#include "runtime/core/Tensor.h"

#include "runtime/core/Error.h"

#include <cstring>
#include <sstream>

namespace kiln {

std::string formatList(const IntList &values) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? ", " : "") << values[i];
  os << ']';
  return os.str();
}

int64_t wrapDim(const char *op, int64_t dim, int64_t ndim) {
  // PyTorch lets a 0-d tensor be addressed as if it had one dim.
  int64_t range = ndim == 0 ? 1 : ndim;
  if (dim < -range || dim >= range)
    fail(ErrorKind::Index, op,
         "(): Dimension out of range (expected to be in range of [", -range,
         ", ", range - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + range : dim;
}

namespace {

int64_t checkedMul(const char *op, int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out))
    fail(ErrorKind::Runtime, op, "(): size overflows int64 (", a, " * ", b,
         ")");
  return out;
}

int64_t checkedAdd(const char *op, int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out))
    fail(ErrorKind::Runtime, op, "(): size overflows int64 (", a, " + ", b,
         ")");
  return out;
}

int64_t product(const char *op, const IntList &sizes) {
  int64_t n = 1;
  for (int64_t s : sizes)
    n = checkedMul(op, n, s);
  return n;
}

void checkSizes(const char *op, const IntList &sizes) {
  for (int64_t s : sizes)
    if (s < 0)
      fail(ErrorKind::Runtime, op,
           "(): Trying to create tensor with negative dimension ", s, ": ",
           formatList(sizes));
}

// Fails unless every element a (sizes, strides, offset) view reaches lies
// inside `storageBytes`; this is what keeps views memory-safe.
void checkGeometry(const char *op, const IntList &sizes, const IntList &strides,
                   int64_t offset, size_t itemsize, size_t storageBytes) {
  if (sizes.size() != strides.size())
    fail(ErrorKind::Runtime, op,
         "(): mismatch in length of strides and shape (", sizes.size(),
         " sizes, ", strides.size(), " strides)");
  checkSizes(op, sizes);
  for (int64_t s : strides)
    if (s < 0)
      fail(
          ErrorKind::Runtime, op,
          "(): Negative strides are not supported at the moment, got strides: ",
          formatList(strides));
  if (offset < 0)
    fail(ErrorKind::Runtime, op, "(): Tensor: invalid storage offset ", offset);
  if (product(op, sizes) == 0)
    return;
  int64_t last = offset;
  for (size_t i = 0; i < sizes.size(); ++i)
    last = checkedAdd(op, last, checkedMul(op, sizes[i] - 1, strides[i]));
  int64_t required =
      checkedMul(op, checkedAdd(op, last, 1), static_cast<int64_t>(itemsize));
  if (static_cast<uint64_t>(required) > storageBytes)
    fail(ErrorKind::Runtime, op, "(): sizes ", formatList(sizes), ", strides ",
         formatList(strides), ", storage offset ", offset, ", and itemsize ",
         itemsize, " requiring a storage size of ", required,
         " are out of bounds for storage of size ", storageBytes);
}

// PyTorch's infer_size: resolves one -1 against the element count.
IntList inferSize(const char *op, const IntList &shape, int64_t numel) {
  IntList out = shape;
  int64_t known = 1;
  std::optional<size_t> inferred;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred)
        fail(ErrorKind::Runtime, op, "(): only one dimension can be inferred");
      inferred = i;
    } else if (shape[i] < 0) {
      fail(ErrorKind::Runtime, op, "(): invalid shape dimension ", shape[i]);
    } else {
      known = checkedMul(op, known, shape[i]);
    }
  }
  if (inferred) {
    if (known == 0)
      fail(ErrorKind::Runtime, op, "(): cannot reshape tensor of ", numel,
           " elements into shape ", formatList(shape),
           " because the unspecified dimension size -1 can be any value and is "
           "ambiguous");
    if (numel % known == 0) {
      out[*inferred] = numel / known;
      return out;
    }
  } else if (known == numel) {
    return out;
  }
  fail(ErrorKind::Runtime, op, "(): shape '", formatList(shape),
       "' is invalid for input of size ", numel);
}

// PyTorch's computeStride: strides that let `newShape` view memory laid out
// as (oldShape, oldStrides), or nothing when the view would need a copy.
std::optional<IntList> computeStride(const IntList &oldShape,
                                     const IntList &oldStrides,
                                     const IntList &newShape) {
  IntList newStrides(newShape.size(), 1);
  if (oldShape.empty())
    return newStrides;
  int64_t numel = 1;
  for (int64_t s : oldShape)
    numel *= s;
  if (numel == 0) {
    if (oldShape == newShape)
      return oldStrides;
    for (int64_t d = static_cast<int64_t>(newShape.size()) - 2; d >= 0; --d)
      newStrides[d] = std::max<int64_t>(newShape[d + 1], 1) * newStrides[d + 1];
    return newStrides;
  }
  int64_t viewD = static_cast<int64_t>(newShape.size()) - 1;
  int64_t chunkBaseStride = oldStrides.back();
  int64_t tensorNumel = 1, viewNumel = 1;
  for (int64_t tensorD = static_cast<int64_t>(oldShape.size()) - 1;
       tensorD >= 0; --tensorD) {
    tensorNumel *= oldShape[tensorD];
    bool chunkEnds = tensorD == 0 ||
                     (oldShape[tensorD - 1] != 1 &&
                      oldStrides[tensorD - 1] != tensorNumel * chunkBaseStride);
    if (!chunkEnds)
      continue;
    while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1)) {
      newStrides[viewD] = viewNumel * chunkBaseStride;
      viewNumel *= newShape[viewD];
      --viewD;
    }
    if (viewNumel != tensorNumel)
      return std::nullopt;
    if (tensorD > 0) {
      chunkBaseStride = oldStrides[tensorD - 1];
      tensorNumel = 1;
      viewNumel = 1;
    }
  }
  if (viewD != -1)
    return std::nullopt;
  return newStrides;
}

// Copies `sizes` elements of `itemsize` bytes between two strided layouts,
// walking the destination in row-major order.
void stridedCopy(char *dst, const IntList &dstStrides, const char *src,
                 const IntList &srcStrides, const IntList &sizes,
                 size_t itemsize) {
  int64_t numel = 1;
  for (int64_t s : sizes)
    numel *= s;
  if (numel == 0)
    return;
  size_t ndim = sizes.size();
  if (ndim == 0) {
    std::memcpy(dst, src, itemsize);
    return;
  }
  IntList index(ndim, 0);
  int64_t inner = sizes.back();
  int64_t dstInner = dstStrides.back() * static_cast<int64_t>(itemsize);
  int64_t srcInner = srcStrides.back() * static_cast<int64_t>(itemsize);
  for (int64_t done = 0; done < numel; done += inner) {
    int64_t dstOff = 0, srcOff = 0;
    for (size_t d = 0; d + 1 < ndim; ++d) {
      dstOff += index[d] * dstStrides[d];
      srcOff += index[d] * srcStrides[d];
    }
    char *to = dst + dstOff * static_cast<int64_t>(itemsize);
    const char *from = src + srcOff * static_cast<int64_t>(itemsize);
    for (int64_t i = 0; i < inner; ++i)
      std::memcpy(to + i * dstInner, from + i * srcInner, itemsize);
    for (int64_t d = static_cast<int64_t>(ndim) - 2; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}

} // namespace

Tensor::Tensor(Storage storage, IntList sizes, IntList strides,
               int64_t storageOffset, DType dtype)
    : storage_(std::move(storage)), sizes_(std::move(sizes)),
      strides_(std::move(strides)), storageOffset_(storageOffset),
      dtype_(dtype) {
  if (!storage_.defined())
    fail(ErrorKind::Value, "Tensor(): storage is undefined");
  checkGeometry("Tensor", sizes_, strides_, storageOffset_,
                kiln::elementSize(dtype_), storage_.nbytes());
}

IntList Tensor::contiguousStrides(const IntList &sizes) {
  IntList strides(sizes.size(), 1);
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * std::max<int64_t>(sizes[d + 1], 1);
  return strides;
}

Tensor Tensor::empty(const IntList &sizes, DType dtype, Device device) {
  checkSizes("empty", sizes);
  if (!device.isCPU())
    fail(ErrorKind::NotImplemented, "empty(): tensors on device '",
         device.str(), "' are not supported yet; only cpu is");
  int64_t bytes = checkedMul("empty", product("empty", sizes),
                             static_cast<int64_t>(kiln::elementSize(dtype)));
  Storage storage(cpuAllocator(), static_cast<size_t>(bytes));
  return Tensor(std::move(storage), sizes, contiguousStrides(sizes), 0, dtype);
}

int64_t Tensor::size(int64_t dim) const {
  if (sizes_.empty())
    fail(ErrorKind::Index, "size(): dimension specified as ", dim,
         " but tensor has no dimensions");
  return sizes_[wrapDim("size", dim, this->dim())];
}

int64_t Tensor::stride(int64_t dim) const {
  if (sizes_.empty())
    fail(ErrorKind::Index, "stride(): dimension specified as ", dim,
         " but tensor has no dimensions");
  return strides_[wrapDim("stride", dim, this->dim())];
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes_)
    n *= s;
  return n;
}

bool Tensor::isContiguous() const {
  if (numel() == 0)
    return true;
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (sizes_[d] == 1)
      continue;
    if (strides_[d] != expected)
      return false;
    expected *= sizes_[d];
  }
  return true;
}

void *Tensor::data() const {
  if (!storage_.allocated())
    fail(ErrorKind::Runtime, "data(): the tensor's lazy value has not been "
                             "materialized (internal error: sync first)");
  return static_cast<char *>(storage_.data()) +
         storageOffset_ * static_cast<int64_t>(elementSize());
}

Tensor Tensor::view(const IntList &sizes) const {
  IntList shape = inferSize("view", sizes, numel());
  std::optional<IntList> strides = computeStride(sizes_, strides_, shape);
  if (!strides)
    fail(ErrorKind::Runtime, "view(): view size is not compatible with input "
                             "tensor's size and stride (at least one "
                             "dimension spans across two contiguous "
                             "subspaces). Use .reshape(...) instead.");
  return Tensor(storage_, shape, *strides, storageOffset_, dtype_);
}

Tensor Tensor::reshape(const IntList &sizes) const {
  IntList shape = inferSize("reshape", sizes, numel());
  if (std::optional<IntList> strides = computeStride(sizes_, strides_, shape))
    return Tensor(storage_, shape, *strides, storageOffset_, dtype_);
  return clone().view(shape);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  int64_t a = wrapDim("transpose", dim0, dim()),
          b = wrapDim("transpose", dim1, dim());
  if (dim() == 0)
    return *this;
  IntList sizes = sizes_, strides = strides_;
  std::swap(sizes[a], sizes[b]);
  std::swap(strides[a], strides[b]);
  return Tensor(storage_, sizes, strides, storageOffset_, dtype_);
}

Tensor Tensor::permute(const IntList &dims) const {
  if (static_cast<int64_t>(dims.size()) != dim())
    fail(ErrorKind::Runtime,
         "permute(): number of dimensions in the tensor input does not match "
         "the length of the "
         "desired ordering of dimensions i.e. input.dim() = ",
         dim(), " is not equal to len(dims) = ", dims.size());
  IntList sizes(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrapDim("permute", dims[i], dim());
    if (seen[d])
      fail(ErrorKind::Runtime,
           "permute(): duplicate dims are not allowed (dims ", formatList(dims),
           ")");
    seen[d] = true;
    sizes[i] = sizes_[d];
    strides[i] = strides_[d];
  }
  return Tensor(storage_, sizes, strides, storageOffset_, dtype_);
}

Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start,
                     std::optional<int64_t> end, int64_t step) const {
  if (this->dim() == 0)
    fail(ErrorKind::Index,
         "slice(): slice() cannot be applied to a 0-dim tensor.");
  int64_t d = wrapDim("slice", dim, this->dim());
  if (step <= 0)
    fail(ErrorKind::Value, "slice(): step must be greater than zero, got ",
         step);
  int64_t size = sizes_[d];
  int64_t first = start.value_or(0), last = end.value_or(size);
  if (first < 0)
    first += size;
  if (last < 0)
    last += size;
  first = std::min(std::max<int64_t>(first, 0), size);
  last = std::min(std::max(last, first), size);
  IntList sizes = sizes_, strides = strides_;
  sizes[d] = (last - first + step - 1) / step;
  strides[d] = strides_[d] * step;
  // An empty result keeps the base offset so it never points past the storage.
  int64_t offset =
      sizes[d] == 0 ? storageOffset_ : storageOffset_ + first * strides_[d];
  return Tensor(storage_, sizes, strides, offset, dtype_);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  if (this->dim() == 0)
    fail(ErrorKind::Index,
         "select(): select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrapDim("select", dim, this->dim());
  int64_t size = sizes_[d];
  if (index < -size || index >= size)
    fail(ErrorKind::Index, "select(): index ", index,
         " out of range for tensor of size ", formatList(sizes_),
         " at dimension ", dim);
  if (index < 0)
    index += size;
  IntList sizes = sizes_, strides = strides_;
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return Tensor(storage_, sizes, strides, storageOffset_ + index * strides_[d],
                dtype_);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  if (this->dim() == 0)
    fail(ErrorKind::Index,
         "narrow(): narrow() cannot be applied to a 0-dim tensor.");
  int64_t d = wrapDim("narrow", dim, this->dim());
  if (length < 0)
    fail(ErrorKind::Runtime, "narrow(): length must be non-negative, got ",
         length);
  int64_t size = sizes_[d];
  if (start < -size || start > size)
    fail(ErrorKind::Index,
         "narrow(): start out of range (expected to be in range of [", -size,
         ", ", size, "], but got ", start, ")");
  if (start < 0)
    start += size;
  if (start > size - length)
    fail(ErrorKind::Runtime, "narrow(): start (", start, ") + length (", length,
         ") exceeds dimension size (", size, ").");
  return slice(d, start, start + length, 1);
}

Tensor Tensor::expand(const IntList &sizes) const {
  int64_t ndim = static_cast<int64_t>(sizes.size());
  if (ndim < dim())
    fail(ErrorKind::Runtime, "expand(): the number of sizes provided (", ndim,
         ") must be greater or equal to the number of dimensions in the tensor "
         "(",
         dim(), ")");
  IntList outSizes(ndim), outStrides(ndim);
  for (int64_t i = ndim - 1; i >= 0; --i) {
    int64_t d = dim() - ndim + i;
    int64_t size = d >= 0 ? sizes_[d] : 1;
    // A new leading dim gets the stride that would make it contiguous with the
    // next.
    int64_t stride = d >= 0          ? strides_[d]
                     : i == ndim - 1 ? 1
                                     : outSizes[i + 1] * outStrides[i + 1];
    int64_t target = sizes[i];
    if (target == -1) {
      if (d < 0)
        fail(ErrorKind::Runtime,
             "expand(): The expanded size of the tensor (-1) isn't allowed in "
             "a leading, non-existing dimension ",
             i);
      target = size;
    }
    if (target < 0)
      fail(ErrorKind::Runtime, "expand(): invalid size ", target,
           " at dimension ", i, " of target sizes ", formatList(sizes));
    if (size != target) {
      if (size != 1)
        fail(ErrorKind::Runtime, "expand(): The expanded size of the tensor (",
             target, ") must match the existing size (", size,
             ") at non-singleton dimension ", i,
             ".  Target sizes: ", formatList(sizes),
             ".  Tensor sizes: ", formatList(sizes_));
      size = target;
      stride = 0;
    }
    outSizes[i] = size;
    outStrides[i] = stride;
  }
  return Tensor(storage_, outSizes, outStrides, storageOffset_, dtype_);
}

Tensor Tensor::squeeze() const {
  IntList sizes, strides;
  for (int64_t d = 0; d < dim(); ++d) {
    if (sizes_[d] != 1) {
      sizes.push_back(sizes_[d]);
      strides.push_back(strides_[d]);
    }
  }
  return Tensor(storage_, sizes, strides, storageOffset_, dtype_);
}

Tensor Tensor::squeeze(int64_t dim) const {
  int64_t d = wrapDim("squeeze", dim, this->dim());
  if (this->dim() == 0 || sizes_[d] != 1)
    return *this;
  IntList sizes = sizes_, strides = strides_;
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return Tensor(storage_, sizes, strides, storageOffset_, dtype_);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  int64_t d = wrapDim("unsqueeze", dim, this->dim() + 1);
  IntList sizes = sizes_, strides = strides_;
  int64_t stride = d >= this->dim() ? 1 : sizes_[d] * strides_[d];
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return Tensor(storage_, sizes, strides, storageOffset_, dtype_);
}

Tensor Tensor::asStrided(const IntList &sizes, const IntList &strides,
                         std::optional<int64_t> storageOffset) const {
  int64_t offset = storageOffset.value_or(storageOffset_);
  checkGeometry("as_strided", sizes, strides, offset, elementSize(),
                storage_.nbytes());
  return Tensor(storage_, sizes, strides, offset, dtype_);
}

Tensor Tensor::contiguous() const { return isContiguous() ? *this : clone(); }

Tensor Tensor::clone() const {
  Tensor out = empty(sizes_, dtype_, device());
  out.copyFrom(*this);
  return out;
}

void Tensor::copyFrom(const Tensor &src) {
  if (src.sizes_ != sizes_)
    fail(ErrorKind::Runtime, "copyFrom(): source sizes ",
         formatList(src.sizes_), " differ from destination sizes ",
         formatList(sizes_));
  if (src.dtype_ != dtype_)
    fail(ErrorKind::Type, "copyFrom(): source dtype ", src.dtype_,
         " differs from destination dtype ", dtype_);
  stridedCopy(static_cast<char *>(data()), strides_,
              static_cast<const char *>(src.data()), src.strides_, sizes_,
              elementSize());
}

} // namespace kiln
