// Eager CPU sort, topk and nonzero on materialized tensors, with PyTorch's
// semantics.
#pragma once

#include "runtime/core/Tensor.h"

#include <cstdint>
#include <utility>

namespace kiln {

// Sorts along `dim`: (values, int64 indices into `x` along `dim`), both fresh
// contiguous tensors of x's sizes. NaN sorts as the largest value and -0.0
// equals 0.0, as in torch.sort; float16 and bfloat16 compare through float32.
// Equal elements always keep their input order, so the result is the same
// whether or not `stable` is asked for. A 0-d tensor sorts to itself with
// index 0.
std::pair<Tensor, Tensor> sort(const Tensor &x, int64_t dim = -1,
                               bool descending = false, bool stable = false);

// The k largest (or smallest) elements along `dim` and their int64 indices,
// ordered as sort would order them (so `sorted` = false returns them sorted
// too); ties go to the lower index. 0 <= k <= size(dim) (1 for a 0-d tensor).
std::pair<Tensor, Tensor> topk(const Tensor &x, int64_t k, int64_t dim = -1,
                               bool largest = true, bool sorted = true);

// The indices of the nonzero elements, an int64 [n, x.dim()] tensor in
// row-major order (torch.nonzero); NaN counts as nonzero, -0.0 as zero.
Tensor nonzero(const Tensor &x);

} // namespace kiln
