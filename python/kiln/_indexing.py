"""Indexing: Tensor.__getitem__/__setitem__ with PyTorch's rules, and gather, scatter, index_select, take, masked ops.

Basic indices (ints, slices, None, ...) become C++ views. Index tensors become one kiln.gather over the indexed
dims merged into one (NumPy's placement rule decides where the result dims go); boolean masks go through nonzero.
Writes through advanced indices scatter into a flattened copy that is then copied back. Index bounds depend on
data: the index is materialized to check them, as PyTorch's eager kernels do.
"""

import builtins
import functools
import math
import operator

import numpy as np

from kiln._registry import exporter
from kiln import _C
from kiln._ops import _SCALAR_NAMES
from kiln._tensor import tensor as _tensor

Tensor = _C.Tensor
FUNCTIONS = {}
METHODS = {}
_B = _C._BINARY


_export = exporter(FUNCTIONS, METHODS)


def wrap_dim(op, dim, ndim):
    """`dim` in [0, ndim) (a 0-d tensor counts as 1-d), with PyTorch's IndexError."""
    dim = operator.index(dim)
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


@functools.lru_cache(maxsize=64)
def _constant_index(start, stop, step):
    return _C._copy_from_numpy(np.arange(start, stop, step, dtype=np.int64), _C.int64)


def reversed_index(n):
    """[n-1, ..., 0] as an int64 leaf: made from the size alone, so programs stay keyed on shapes."""
    return _constant_index(n - 1, -1, -1)


def gather_along(x, dim, index):
    """x's slices at `index` (1-D int64, already in [0, size)) along dim, as one kiln.gather."""
    sizes = list(x.shape)
    sizes[dim] = index.numel()
    if math.prod(sizes) == 0:
        return _C._full(sizes, 0, x.dtype)
    view = [1] * x.dim()
    view[dim] = index.numel()
    return _C._record("kiln.gather", [x, index.reshape(view).expand(sizes)], x.dtype, sizes, f"dim = {dim} : i64")


def _check_bounds(op, index, size, dim, negative=True, error=IndexError):
    """Raises PyTorch's out-of-bounds error; returns whether negative indices need wrapping."""
    if index.numel() == 0:
        return False
    values = index.numpy()
    bad = (values < (-size if negative else 0)) | (values >= size)
    if bad.any():
        raise error(f"{op}(): index {values[bad].flat[0]} is out of bounds for dimension {dim} with size {size}")
    return builtins.bool(negative and (values < 0).any())


def _wrapped(index, size):
    return _C._where(_C._binary(_B["lt"], index, 0), _C._binary(_B["add"], index, size), index)


# int64 [n, x.dim()] positions of the nonzero elements (data dependent: materializes x).
_nonzero = _C._nonzero


# ---- parsing an index ----------------------------------------------------------------------------------------------

def _treat_as_tuple(index):
    """PyTorch's (and old NumPy's) rule for a list index: short lists holding slices, tensors or lists are tuples."""
    if isinstance(index, tuple):
        return True
    if not isinstance(index, list) or len(index) >= 32:
        return False
    return any(isinstance(i, (Tensor, list, tuple, slice)) or i is None or i is Ellipsis for i in index)


class _Advanced:
    """One advanced index over dims [dim, dim + ndims): an int64 index tensor, or a bool mask (ndims = its rank)."""

    def __init__(self, dim, index=None, mask=None, scalar_bool=None):
        self.dim, self.index, self.mask, self.scalar_bool = dim, index, mask, scalar_bool
        self.ndims = 1 if mask is None else mask.dim()
        self._selected = None

    def selected(self):
        """A mask's true positions over its dims merged into one (data dependent: read once)."""
        if self._selected is None:
            self._selected = _nonzero(self.mask.reshape(-1)).reshape(-1)
        return self._selected

    def shape(self):
        return tuple(self.index.shape) if self.mask is None else (self.selected().numel(),)

    def linear(self, op, sizes):
        """The index into these dims merged into one, int64, in bounds."""
        if self.mask is not None:
            return self.selected()
        index = _C._cast(self.index, _C.int64)
        if _check_bounds(op, index, sizes[self.dim], self.dim):
            index = _wrapped(index, sizes[self.dim])
        return index


def _index_item(op, item):
    """One index item -> None, Ellipsis, slice, int, bool, or an int64 / bool tensor."""
    if item is None or item is Ellipsis or isinstance(item, slice):
        return item
    if isinstance(item, (builtins.bool, np.bool_)):
        return builtins.bool(item)
    if not isinstance(item, (Tensor, np.ndarray)) and hasattr(item, "__index__"):
        return operator.index(item)
    if isinstance(item, (list, tuple, range, np.ndarray)):
        array = np.asarray(item)
        if array.dtype.kind not in "biu" and array.size:
            raise IndexError(f"{op}(): tensors used as indices must be long, int, byte or bool tensors")
        item = _tensor(array if array.size else array.astype(np.int64))
    if not isinstance(item, Tensor):
        raise IndexError(f"{op}(): only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                         f"are valid indices (got {type(item).__name__})")
    if item.dtype is _C.uint8:
        item = _C._cast(item, _C.bool)
    if item.dtype not in (_C.int64, _C.int32, _C.bool):
        raise IndexError(f"{op}(): tensors used as indices must be long, int, byte or bool tensors")
    if item.dim() == 0:
        # As in PyTorch: a 0-d index tensor is read and used like the Python value.
        return item.item()
    return item


def _apply_index(op, self, index):
    """Applies the basic items as views; returns (view, list of _Advanced over the view's dims)."""
    items = index if _treat_as_tuple(index) else (index,)
    items = [_index_item(op, item) for item in items]
    if sum(1 for item in items if item is Ellipsis) > 1:
        raise IndexError(f"{op}(): an index can only have a single ellipsis ('...')")
    consumed = 0
    for item in items:
        if isinstance(item, Tensor):
            consumed += item.dim() if item.dtype is _C.bool else 1
        elif isinstance(item, (int, slice)) and not isinstance(item, builtins.bool):
            consumed += 1
    if consumed > self.dim():
        raise IndexError(f"{op}(): too many indices for tensor of dimension {self.dim()}")
    result, dim, advanced = self, 0, []
    for item in items:
        if item is None:
            result = result.unsqueeze(dim)
            dim += 1
        elif item is Ellipsis:
            dim += self.dim() - consumed
        elif isinstance(item, slice):
            result = result._slice(dim, *_slice_bounds(op, item))
            dim += 1
        elif isinstance(item, builtins.bool):
            result = result.unsqueeze(dim)
            advanced.append(_Advanced(dim, _constant_index(0, 1 if item else 0, 1), scalar_bool=item))
            dim += 1
        elif isinstance(item, int):
            size = result.size(dim)
            if not -size <= item < size:
                raise IndexError(f"{op}(): index {item} is out of bounds for dimension {dim} with size {size}")
            result = result.select(dim, item)
        elif item.dtype is _C.bool:
            for j in range(item.dim()):
                if item.size(j) != result.size(dim + j):
                    raise IndexError(f"{op}(): The shape of the mask {list(item.shape)} at index {j} does not match "
                                     f"the shape of the indexed tensor {list(result.shape)} at index {dim + j}")
            advanced.append(_Advanced(dim, mask=item))
            dim += item.dim()
        else:
            advanced.append(_Advanced(dim, item))
            dim += 1
    return result, advanced


def _slice_bounds(op, item):
    def as_int(value, what):
        try:
            return operator.index(value)
        except TypeError:
            raise TypeError(f"{op}(): slice {what} must be an integer or None, not {type(value).__name__}") from None

    start = None if item.start is None else as_int(item.start, "start")
    stop = None if item.stop is None else as_int(item.stop, "stop")
    step = 1 if item.step is None else as_int(item.step, "step")
    if step <= 0:
        raise ValueError(f"{op}(): step must be greater than zero, got {step}")
    return start, stop, step


def _broadcast_index_shapes(op, shapes):
    result = ()
    for shape in shapes:
        try:
            result = _C._broadcast_shapes(op, result, shape)
        except RuntimeError:
            listed = ", ".join(str(list(s)) for s in shapes)
            raise IndexError(f"{op}(): shape mismatch: indexing tensors could not be broadcast together with shapes "
                             f"{listed}") from None
    return result


def _placement(op, view, advanced):
    """NumPy's placement rule: (broadcast index shape, dims the indices cover, whether they are adjacent)."""
    shape = _broadcast_index_shapes(op, [a.shape() for a in advanced])
    covered = [d for a in advanced for d in range(a.dim, a.dim + a.ndims)]
    return shape, covered, covered == list(range(covered[0], covered[0] + len(covered)))


def _index_advanced(op, view, advanced):
    """view[advanced indices]: one kiln.gather over the indexed dims merged into one."""
    if len(advanced) == 1 and advanced[0].scalar_bool is not None:
        # x[True] / x[False]: a copy, as PyTorch indexes with a tensor here too.
        return view.clone() if advanced[0].scalar_bool else _C._full(
            tuple(view.shape[:advanced[0].dim]) + (0,) + tuple(view.shape[advanced[0].dim + 1:]), 0, view.dtype)
    shape, covered, adjacent = _placement(op, view, advanced)
    sizes = tuple(view.shape)
    linear = None
    for a in advanced:
        index = a.linear(op, sizes)
        merged = math.prod(sizes[a.dim:a.dim + a.ndims])
        linear = index if linear is None else _C._binary(_B["add"], _C._binary(_B["mul"], linear, merged), index)
    if not adjacent:
        # Separated index tensors: their result dims go first.
        view = view.permute(covered + [d for d in range(view.dim()) if d not in covered])
        sizes, covered = tuple(view.shape), list(range(len(covered)))
    first, last = covered[0], covered[-1] + 1
    result_shape = sizes[:first] + tuple(shape) + sizes[last:]
    if math.prod(result_shape) == 0:
        return _C._full(result_shape, 0, view.dtype)
    if tuple(linear.shape) != tuple(shape):
        linear = linear.expand(shape)
    flat = view.reshape(sizes[:first] + (math.prod(sizes[first:last]),) + sizes[last:])
    return gather_along(flat, first, linear.reshape(-1)).view(result_shape)


def _positions(op, view, advanced):
    """For view[advanced indices]: the row-major position in `view` of each result element (int64, result's shape).

    A sum of broadcast terms (index * stride per index, arange * stride per other dim), so it never materializes
    anything of the view's size.
    """
    shape, covered, adjacent = _placement(op, view, advanced)
    sizes = tuple(view.shape)
    strides = [math.prod(sizes[d + 1:]) for d in range(len(sizes))]
    rest = [d for d in range(len(sizes)) if d not in covered]
    lead = covered[0] if adjacent else 0
    # Where each dim that no index covers lands in the result.
    places = {d: (d if d < lead else d - len(covered) + len(shape)) if adjacent else len(shape) + i
              for i, d in enumerate(rest)}
    rank = len(rest) + len(shape)
    result_shape = [0] * rank
    result_shape[lead:lead + len(shape)] = shape
    total = None
    for a in advanced:
        term = _C._binary(_B["mul"], a.linear(op, sizes), strides[a.dim + a.ndims - 1])
        padded = (1,) * (len(shape) - term.dim()) + tuple(term.shape)
        term = term.reshape((1,) * lead + padded + (1,) * (rank - lead - len(shape)))
        total = term if total is None else _C._binary(_B["add"], total, term)
    for d in rest:
        result_shape[places[d]] = sizes[d]
        if sizes[d] > 1:
            axis = [1] * rank
            axis[places[d]] = sizes[d]
            term = _C._binary(_B["mul"], _constant_index(0, sizes[d], 1).view(axis), strides[d])
            total = _C._binary(_B["add"], total, term)
    return total, tuple(result_shape)


def getitem(self, index):
    view, advanced = _apply_index("__getitem__", self, index)
    return _index_advanced("__getitem__", view, advanced) if advanced else view


def _same_view(a, b):
    return (a._is_view_of(b) and tuple(a.shape) == tuple(b.shape) and a.stride() == b.stride()
            and a.storage_offset() == b.storage_offset() and a.dtype == b.dtype)


def _put(op, self, index, value, accumulate):
    """self[index] = value (or += with accumulate); value a Tensor of self's dtype or a Python number."""
    view, advanced = _apply_index(op, self, index)
    if isinstance(value, Tensor):
        # Leading size-1 dims of the value beyond the target's rank are dropped, as PyTorch does.
        while value.dim() > view.dim() and value.size(0) == 1:
            value = value.select(0, 0)
    if not advanced:
        if accumulate:
            _C._copy_(view, _C._cast(_C._binary(_B["add"], view, value), view.dtype))
        elif not isinstance(value, Tensor):
            _C._fill_(view, value)
        elif not _same_view(view, value):
            _C._copy_(view, value)
        return self
    scalar = not isinstance(value, Tensor) or value.numel() == 1 and value.dim() <= 1
    only = advanced[0] if len(advanced) == 1 else None
    if (not accumulate and scalar and only is not None and only.mask is not None
            and tuple(only.mask.shape) == tuple(view.shape)):
        # x[mask] = v with a full-shape mask: a lazy where, no data-dependent step.
        fill = value if not isinstance(value, Tensor) else value.reshape(())
        _C._copy_(view, _C._cast(_C._where(only.mask, fill, view), view.dtype))
        return self
    positions, target = _positions(op, view, advanced)
    if not isinstance(value, Tensor):
        value = _C._full((), value, view.dtype)
    value = _C._cast(value, view.dtype)
    while value.dim() > len(target) and value.size(0) == 1:
        value = value.select(0, 0)
    try:
        fits = _C._broadcast_shapes(op, tuple(value.shape), target) == target
    except RuntimeError:
        fits = False
    if not fits:
        raise RuntimeError(f"{op}(): shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast "
                           f"to indexing result of shape {list(target)}") from None
    if math.prod(target) == 0:
        return self
    attrs = "dim = 0 : i64" + (", reduce = #kiln<scatter_reduce add>" if accumulate else "")
    flat = view.reshape(-1)
    positions = positions.expand(target).reshape(-1)
    src = value.expand(target).reshape(-1)
    new = _C._record("kiln.scatter", [flat, positions, src], view.dtype, tuple(flat.shape), attrs)
    _C._copy_(view, new.view(tuple(view.shape)))
    return self


def setitem(self, index, value):
    if not isinstance(value, (Tensor, builtins.bool, int, float)):
        value = _tensor(value, dtype=self.dtype)
    _put("__setitem__", self, index, value, False)


METHODS["__getitem__"] = getitem
METHODS["__setitem__"] = setitem


@_export("index_put_", function=False)
def index_put_(self, indices, values, accumulate=False):
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' must be Tensor, not {type(values).__name__}")
    if values.dtype != self.dtype:
        raise RuntimeError(f"index_put_(): Index put requires the source and destination dtypes match, got "
                           f"{_SCALAR_NAMES[self.dtype]} for the destination and {_SCALAR_NAMES[values.dtype]} for the source.")
    index = tuple(slice(None) if i is None else i for i in indices)
    return _put("index_put_", self, index, values, accumulate)


@_export("index_put")
def index_put(input, indices, values, accumulate=False):
    return index_put_(input.clone(), indices, values, accumulate)


# ---- gather / scatter family ---------------------------------------------------------------------------------------

def _at_least_1d(t):
    return t.reshape(1) if t.dim() == 0 else t


@_export("gather")
def gather(input, dim, index, *, sparse_grad=False):
    if index.dtype is not _C.int64:
        raise RuntimeError("gather(): Expected dtype int64 for index")
    d = wrap_dim("gather", dim, input.dim())
    x, idx = _at_least_1d(input), _at_least_1d(index)
    if idx.dim() != x.dim():
        raise RuntimeError("gather(): Index tensor must have the same number of dimensions as input tensor")
    for k in range(x.dim()):
        if k != d and idx.size(k) > x.size(k):
            raise RuntimeError(f"gather(): Size does not match at dimension {k} expected index {list(index.shape)} to "
                               f"be smaller than self {list(input.shape)} apart from dimension {d}")
    _check_bounds("gather", idx, x.size(d), d, negative=False, error=RuntimeError)
    if idx.numel() == 0:
        return _C._full(tuple(index.shape), 0, input.dtype)
    return _C._record("kiln.gather", [x, idx], x.dtype, tuple(idx.shape), f"dim = {d} : i64").view(tuple(index.shape))


@_export("take_along_dim")
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = wrap_dim("take_along_dim", dim, input.dim())
    if input.dim() != indices.dim():
        raise RuntimeError("take_along_dim(): input and indices should have the same number of dimensions, but got "
                           f"{input.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    shape_in, shape_idx = list(input.shape), list(indices.shape)
    shape_in[d] = shape_idx[d] = 1
    common = list(_C._broadcast_shapes("take_along_dim", shape_in, shape_idx))
    x_shape, i_shape = list(common), list(common)
    x_shape[d], i_shape[d] = input.size(d), indices.size(d)
    return gather(input.expand(x_shape), d, indices.expand(i_shape))


def _scatter(op, input, dim, index, src, reduce):
    if index.dtype is not _C.int64:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    d = wrap_dim(op, dim, input.dim())
    if not isinstance(src, Tensor):
        src = _C._full(tuple(index.shape), src, input.dtype)
    elif src.dtype != input.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    x, idx, s = _at_least_1d(input), _at_least_1d(index), _at_least_1d(src)
    if not idx.dim() == x.dim() == s.dim():
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as self tensor")
    for k in range(x.dim()):
        if idx.size(k) > s.size(k) or (k != d and idx.size(k) > x.size(k)):
            raise RuntimeError(f"{op}(): Expected index {list(index.shape)} to be smaller than self "
                               f"{list(input.shape)} apart from dimension {d} and to be smaller size than src "
                               f"{list(src.shape)}")
    _check_bounds(op, idx, x.size(d), d, negative=False, error=RuntimeError)
    if idx.numel() == 0:
        return input.clone()
    attrs = f"dim = {d} : i64" + (", reduce = #kiln<scatter_reduce add>" if reduce == "add" else "")
    return _C._record("kiln.scatter", [x, idx, s], x.dtype, tuple(x.shape), attrs).view(tuple(input.shape))


def _scatter_reduce_arg(op, reduce):
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"{op}(): reduce argument must be either add or multiply.")
    if reduce == "multiply":
        raise RuntimeError(f"{op}(): reduce='multiply' is not supported by Kiln (kiln.scatter combines by add only)")
    return reduce


@_export("scatter")
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        if value is None:
            raise TypeError("scatter(): expected a Tensor `src` or a number `value`")
        src = value
    return _scatter("scatter", input, dim, index, src, _scatter_reduce_arg("scatter", reduce))


@_export("scatter_add")
def scatter_add(input, dim, index, src):
    return _scatter("scatter_add", input, dim, index, src, "add")


@_export("scatter_", function=False)
def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
    if src is None:
        src = value
    return _C._copy_(self, _scatter("scatter_", self, dim, index, src, _scatter_reduce_arg("scatter_", reduce)))


@_export("scatter_add_", function=False)
def scatter_add_(self, dim, index, src):
    return _C._copy_(self, _scatter("scatter_add_", self, dim, index, src, "add"))


def _vector_index(op, index, size, dim):
    """A 1-D int64 index in [0, size) from an int32/int64 index of at most one dim."""
    if index.dtype not in (_C.int64, _C.int32):
        raise IndexError(f"{op}(): Expected dtype int32 or int64 for index")
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    index = _C._cast(index.reshape(-1), _C.int64)
    if _check_bounds(op, index, size, dim):
        index = _wrapped(index, size)
    return index


@_export("index_select")
def index_select(input, dim, index):
    d = wrap_dim("index_select", dim, input.dim())
    x = _at_least_1d(input)
    positions = _vector_index("index_select", index, x.size(d), d)
    result = gather_along(x, d, positions)
    return result.view(tuple(index.shape)) if input.dim() == 0 else result


@_export("take")
def take(input, index):
    if index.dtype is not _C.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {index.dtype}")
    n = input.numel()
    flat = _C._cast(index.reshape(-1), _C.int64)
    if flat.numel():
        values = flat.numpy()
        bad = (values < -n) | (values >= n)
        if bad.any():
            raise IndexError(f"take(): out of range: tried to access index {values[bad][0]} on a tensor of {n} "
                             "elements.")
        if (values < 0).any():
            flat = _wrapped(flat, n)
    return gather_along(input.reshape(-1), 0, flat).view(tuple(index.shape))


def _index_source(op, self, dim, index, source):
    d = wrap_dim(op, dim, self.dim())
    positions = _vector_index(op, index, _at_least_1d(self).size(d), d)
    if source.dtype != self.dtype:
        raise RuntimeError(f"{op}(): self ({_SCALAR_NAMES[self.dtype]}) and source ({_SCALAR_NAMES[source.dtype]}) "
                           "must have the same scalar type")
    x, s = _at_least_1d(self), _at_least_1d(source)
    if s.dim() != x.dim() or s.size(d) != positions.numel() or any(
            s.size(k) != x.size(k) for k in range(x.dim()) if k != d):
        raise RuntimeError(f"{op}(): source tensor shape {list(source.shape)} must match self {list(self.shape)} "
                           f"except along dimension {d}, where it must have {positions.numel()} elements")
    view = [1] * x.dim()
    view[d] = positions.numel()
    return x, d, positions.reshape(view).expand(tuple(s.shape)), s


@_export("index_add")
def index_add(input, dim, index, source, *, alpha=1):
    x, d, index, source = _index_source("index_add", input, dim, index, source)
    if alpha != 1:
        source = _C._cast(_C._binary(_B["mul"], source, alpha), x.dtype)
    if index.numel() == 0:
        return input.clone()
    attrs = f"dim = {d} : i64, reduce = #kiln<scatter_reduce add>"
    return _C._record("kiln.scatter", [x, index, source], x.dtype, tuple(x.shape), attrs).view(tuple(input.shape))


@_export("index_copy")
def index_copy(input, dim, index, source):
    x, d, index, source = _index_source("index_copy", input, dim, index, source)
    if index.numel() == 0:
        return input.clone()
    return _C._record("kiln.scatter", [x, index, source], x.dtype, tuple(x.shape), f"dim = {d} : i64").view(
        tuple(input.shape))


@_export("index_fill")
def index_fill(input, dim, index, value):
    d = wrap_dim("index_fill", dim, input.dim())
    shape = list(_at_least_1d(input).shape)
    shape[d] = index.numel()
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"index_fill(): only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.dim()} dimension(s).")
        source = _C._cast(value, input.dtype).expand(shape)
    else:
        source = _C._full(shape, value, input.dtype)
    return index_copy(input, d, index, source)


@_export("index_add_", function=False)
def index_add_(self, dim, index, source, *, alpha=1):
    return _C._copy_(self, index_add(self, dim, index, source, alpha=alpha))


@_export("index_copy_", function=False)
def index_copy_(self, dim, index, source):
    return _C._copy_(self, index_copy(self, dim, index, source))


@_export("index_fill_", function=False)
def index_fill_(self, dim, index, value):
    return _C._copy_(self, index_fill(self, dim, index, value))


# ---- masks and nonzero ---------------------------------------------------------------------------------------------

@_export("masked_fill")
def masked_fill(input, mask, value):
    if mask.dtype is not _C.bool:
        raise RuntimeError(f"masked_fill(): masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}")
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"masked_fill(): only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.dim()} dimension(s).")
    return _C._cast(_C._where(mask, value, input), input.dtype)


@_export("masked_select")
def masked_select(input, mask):
    if mask.dtype is not _C.bool:
        raise RuntimeError(f"masked_select(): masked_select: expected BoolTensor for mask, got {mask.dtype}")
    shape = _C._broadcast_shapes("masked_select", tuple(input.shape), tuple(mask.shape))
    positions = _nonzero(mask.expand(shape).reshape(-1)).reshape(-1)
    return gather_along(input.expand(shape).reshape(-1), 0, positions)


@_export("nonzero")
def nonzero(input, *, as_tuple=False):
    if not as_tuple:
        return _nonzero(input)
    positions = _nonzero(_at_least_1d(input))
    return tuple(positions.select(1, j) for j in range(positions.size(1)))


@_export("argwhere")
def argwhere(input):
    return _nonzero(input)
