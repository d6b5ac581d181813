"""Shape ops (flatten, cat, stack, split, flip, roll, movedim, ...) composed from the C++ views and Kiln ops.

Python parses arguments, validates them with PyTorch's errors and computes shapes; values move only through
views, kiln.concat and kiln.gather (flip), so every result stays lazy.
"""

import math
import operator

from kiln._registry import exporter
from kiln import _C
from kiln._indexing import gather_along, reversed_index, wrap_dim
from kiln._size import Size

Tensor = _C.Tensor
FUNCTIONS = {}
METHODS = {}

# The C++ squeeze takes one dim; the Python one below (tuple dims) replaces it on Tensor.
_squeeze_one = _C.Tensor.squeeze


_export = exporter(FUNCTIONS, METHODS)


def _int_list(op, arg, values):
    """A tuple of ints from an int or a sequence of ints (PyTorch's IntArrayRef parsing)."""
    if isinstance(values, Tensor):
        values = values.tolist()
    if not isinstance(values, (list, tuple, Size)):
        values = (values,)
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{op}(): argument '{arg}' must be tuple of ints, not {type(values).__name__}") from None


def _varargs(op, arg, values):
    """`f(1, 2)` and `f((1, 2))` alike."""
    if len(values) == 1 and not isinstance(values[0], int):
        return _int_list(op, arg, values[0])
    return _int_list(op, arg, values)


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


# Existing C++ views, also reachable as kiln.<name>(input, ...).
@_export("reshape", method=False)
def reshape(input, shape):
    return input.reshape(shape)


@_export("permute", method=False)
def permute(input, dims):
    return input.permute(dims)


@_export("transpose", "swapdims", "swapaxes", method=False)
def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


METHODS["swapdims"] = transpose


@_export("t", method=False)
def t(input):
    return input.t()


@_export("narrow", method=False)
def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


@_export("select", method=False)
def select(input, dim, index):
    return input.select(dim, index)


@_export("unsqueeze", method=False)
def unsqueeze(input, dim):
    return input.unsqueeze(dim)


@_export("squeeze")
def squeeze(input, dim=None):
    """Drops size-1 dims: all of them, one, or those of a tuple (other sizes are left alone)."""
    if dim is None or not isinstance(dim, (list, tuple)):
        return _squeeze_one(input, dim)
    dims = {wrap_dim("squeeze", d, input.dim()) for d in dim}
    if len(dims) != len(dim):
        raise RuntimeError(f"squeeze(): dim {sorted(dims)[0]} appears multiple times in the list of dims")
    result = input
    for d in sorted(dims, reverse=True):
        result = _squeeze_one(result, d)
    return result if dims else input.view(tuple(input.shape))


@_export("flatten")
def flatten(input, start_dim=0, end_dim=-1):
    if input.dim() == 0:
        return input.reshape(1)
    start = wrap_dim("flatten", start_dim, input.dim())
    end = wrap_dim("flatten", end_dim, input.dim())
    if start > end:
        raise RuntimeError("flatten(): flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    sizes = tuple(input.shape)
    return input.reshape(sizes[:start] + (math.prod(sizes[start:end + 1]),) + sizes[end + 1:])


@_export("ravel")
def ravel(input):
    return input.reshape(-1)


@_export("unflatten")
def unflatten(input, dim, sizes):
    d = wrap_dim("unflatten", dim, input.dim())
    sizes = _int_list("unflatten", "sizes", sizes)
    if not sizes:
        raise RuntimeError("unflatten(): sizes must be non-empty")
    size = input.size(d)
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten(): only one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or size % known:
            raise RuntimeError(f"unflatten(): Provided sizes {list(sizes)} don't multiply up to the size of dim "
                               f"{dim} ({size}) in the input tensor")
        sizes = tuple(size // known if s == -1 else s for s in sizes)
    elif known != size:
        raise RuntimeError(f"unflatten(): Provided sizes {list(sizes)} don't multiply up to the size of dim "
                           f"{dim} ({size}) in the input tensor")
    shape = tuple(input.shape)
    return input.view(shape[:d] + sizes + shape[d + 1:])


@_export("broadcast_shapes", method=False)
def broadcast_shapes(*shapes):
    result = ()
    for shape in shapes:
        result = _C._broadcast_shapes("broadcast_shapes", result, _int_list("broadcast_shapes", "shape", shape))
    return Size(result)


@_export("broadcast_to")
def broadcast_to(input, size):
    size = _int_list("broadcast_to", "size", size)
    try:
        return input.expand(size)
    except RuntimeError as error:
        raise RuntimeError(str(error).replace("expand()", "broadcast_to()", 1)) from None


@_export("broadcast_tensors", method=False)
def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = _tensor_list("broadcast_tensors", tensors)
    shape = ()
    for t in tensors:
        shape = _C._broadcast_shapes("broadcast_tensors", shape, tuple(t.shape))
    return tuple(t.expand(shape) for t in tensors)


def repeat(self, *sizes):
    """Tensor.repeat: the whole tensor tiled `sizes` times (a broadcast view reshaped into a copy)."""
    sizes = _varargs("repeat", "repeats", sizes)
    if len(sizes) < self.dim():
        raise RuntimeError("repeat(): Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat(): Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
    shape = (1,) * (len(sizes) - self.dim()) + tuple(self.shape)
    interleaved = [1 if i % 2 == 0 else shape[i // 2] for i in range(2 * len(shape))]
    expanded = [sizes[i // 2] if i % 2 == 0 else shape[i // 2] for i in range(2 * len(shape))]
    result_shape = tuple(r * s for r, s in zip(sizes, shape))
    result = self.reshape(interleaved).expand(expanded).reshape(result_shape)
    return result.clone() if result._is_view_of(self) else result


METHODS["repeat"] = repeat


@_export("tile")
def tile(input, dims):
    dims = _int_list("tile", "dims", dims)
    return repeat(input, (1,) * (input.dim() - len(dims)) + dims)


def _split_sizes(input, dim, sizes):
    """Consecutive narrow views of `sizes` along the (wrapped) dim."""
    views, start = [], 0
    for s in sizes:
        views.append(input.narrow(dim, start, s))
        start += s
    return tuple(views)


def _require_dims(tensor, op):
    if tensor.dim() == 0:
        raise RuntimeError(f"{op}(): {op} expects at least a 1-dimensional tensor")


@_export("split")
def split(tensor, split_size_or_sections, dim=0):
    _require_dims(tensor, "split")
    d = wrap_dim("split", dim, tensor.dim())
    size = tensor.size(d)
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _int_list("split", "split_size", split_size_or_sections)
        if any(s < 0 for s in sizes) or sum(sizes) != size:
            raise RuntimeError(f"split(): split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                               f"size at dimension {d}), but got split_sizes={list(sizes)}")
        return _split_sizes(tensor, d, sizes)
    step = operator.index(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split(): split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size != 0:
        raise RuntimeError(f"split(): split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    count = max(-(-size // step), 1) if step else 1
    sizes = [min(step, size - i * step) for i in range(count)]
    return _split_sizes(tensor, d, sizes)


@_export("split_with_sizes")
def split_with_sizes(input, split_sizes, dim=0):
    return split(input, list(_int_list("split_with_sizes", "split_sizes", split_sizes)), dim)


@_export("chunk")
def chunk(input, chunks, dim=0):
    _require_dims(input, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk(): chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim("chunk", dim, input.dim())
    size = input.size(d)
    step = -(-size // chunks)
    if step == 0:
        return _split_sizes(input, d, [0] * chunks)
    return split(input, step, d)


@_export("tensor_split")
def tensor_split(input, indices_or_sections, dim=0):
    _require_dims(input, "tensor_split")
    d = wrap_dim("tensor_split", dim, input.dim())
    size = input.size(d)
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections.dim() > 1 or indices_or_sections.dtype.is_floating_point:
            raise RuntimeError("tensor_split(): tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                               "or one-dimensional tensor of integers")
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        # Python slice bounds, as at::slice takes them: [5, 2] gives an empty part, then one from 2.
        bounds = [0, *_int_list("tensor_split", "indices", indices_or_sections), None]
        return tuple(input._slice(d, start, end, 1) for start, end in zip(bounds, bounds[1:]))
    sections = operator.index(indices_or_sections)
    if sections <= 0:
        raise RuntimeError(f"tensor_split(): number of sections must be larger than 0, got {sections}")
    small, extra = divmod(size, sections)
    return _split_sizes(input, d, [small + 1] * extra + [small] * (sections - extra))


@_export("unbind")
def unbind(input, dim=0):
    _require_dims(input, "unbind")
    d = wrap_dim("unbind", dim, input.dim())
    return tuple(input.select(d, i) for i in range(input.size(d)))


@_export("cat", "concat", "concatenate", method=False)
def cat(tensors, dim=0, *, axis=None):
    """torch.cat: dtypes promoted; 1-D empty tensors skipped (PyTorch's legacy rule)."""
    if axis is not None:
        dim = axis
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.dim() == 0:
            raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot be concatenated")
    dtype = _C._result_type(tensors)
    kept = [(i, t) for i, t in enumerate(tensors) if not (t.dim() == 1 and t.numel() == 0)]
    if not kept:
        return _C._full((0,), 0, dtype)
    first = kept[0][1]
    d = wrap_dim("cat", dim, first.dim())
    for i, t in kept:
        if t.dim() != first.dim():
            raise RuntimeError(f"cat(): Tensors must have same number of dimensions: got {first.dim()} and {t.dim()}")
        for k in range(first.dim()):
            if k != d and t.size(k) != first.size(k):
                raise RuntimeError(f"cat(): Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{first.size(k)} but got size {t.size(k)} for tensor number {i} in the list.")
    sizes = list(first.shape)
    sizes[d] = sum(t.size(d) for _, t in kept)
    parts = [_C._cast(t, dtype) for _, t in kept if t.size(d) > 0]
    if math.prod(sizes) == 0:
        return _C._full(sizes, 0, dtype)
    return _C._record("kiln.concat", parts, dtype, sizes, f"dim = {d} : i64")


@_export("stack", method=False)
def stack(tensors, dim=0):
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack(): stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != tuple(tensors[0].shape):
            raise RuntimeError(f"stack(): stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                               f"at entry 0 and {list(t.shape)} at entry {i}")
    d = wrap_dim("stack", dim, tensors[0].dim() + 1)
    return cat([t.unsqueeze(d) for t in tensors], d)


def _atleast(op, rank, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    results = []
    for t in _tensor_list(op, tensors):
        if t.dim() < rank:
            shape = tuple(t.shape)
            if rank == 3 and t.dim() == 1:
                shape = (1,) + shape + (1,)
            elif rank == 3 and t.dim() == 2:
                shape = shape + (1,)
            else:
                shape = (1,) * (rank - t.dim()) + shape
            t = t.view(shape)
        results.append(t)
    return results[0] if single else tuple(results)


@_export("atleast_1d", method=False)
def atleast_1d(*tensors):
    return _atleast("atleast_1d", 1, tensors)


@_export("atleast_2d", method=False)
def atleast_2d(*tensors):
    return _atleast("atleast_2d", 2, tensors)


@_export("atleast_3d", method=False)
def atleast_3d(*tensors):
    return _atleast("atleast_3d", 3, tensors)


@_export("hstack", method=False)
def hstack(tensors):
    tensors = _atleast("hstack", 1, [_tensor_list("hstack", tensors)])
    return cat(tensors, 0 if tensors and tensors[0].dim() == 1 else 1)


@_export("vstack", "row_stack", method=False)
def vstack(tensors):
    return cat(_atleast("vstack", 2, [_tensor_list("vstack", tensors)]), 0)


@_export("dstack", method=False)
def dstack(tensors):
    return cat(_atleast("dstack", 3, [_tensor_list("dstack", tensors)]), 2)


@_export("column_stack", method=False)
def column_stack(tensors):
    columns = [t.reshape(-1, 1) if t.dim() <= 1 else t for t in _tensor_list("column_stack", tensors)]
    return cat(columns, 1)


def _dim_set(op, dims, ndim):
    wrapped = []
    for d in _int_list(op, "dims", dims):
        w = wrap_dim(op, d, ndim)
        if w in wrapped:
            raise RuntimeError(f"{op}(): dim {w} appears multiple times in the list of dims")
        wrapped.append(w)
    return wrapped


@_export("flip")
def flip(input, dims):
    """Reverses `dims`: one kiln.gather per dim, its reversed index a constant made from the size alone."""
    result = input
    for d in _dim_set("flip", dims, input.dim()):
        if input.size(d) > 1 and input.numel() > 0:
            result = gather_along(result, d, reversed_index(input.size(d)))
    return result.clone() if result is input else result


@_export("fliplr")
def fliplr(input):
    if input.dim() < 2:
        raise RuntimeError("fliplr(): Input must be >= 2-d.")
    return flip(input, (1,))


@_export("flipud")
def flipud(input):
    if input.dim() < 1:
        raise RuntimeError("flipud(): Input must be >= 1-d.")
    return flip(input, (0,))


@_export("roll")
def roll(input, shifts, dims=None):
    """Rotates elements along dims: each dim becomes a kiln.concat of its two narrowed halves."""
    shifts = _int_list("roll", "shifts", shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return roll(input.reshape(-1), shifts, 0).view(tuple(input.shape))
    dims = _int_list("roll", "dims", dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll(): shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    result = input
    for shift, dim in zip(shifts, dims):
        d = wrap_dim("roll", dim, input.dim())
        size = input.size(d)
        s = shift % size if size else 0
        if s:
            result = cat([result.narrow(d, size - s, s), result.narrow(d, 0, size - s)], d)
    return result.clone() if result is input else result


@_export("movedim", "moveaxis")
def movedim(input, source, destination):
    source = _int_list("movedim", "source", source)
    destination = _int_list("movedim", "destination", destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim(): Invalid source or destination dims: source ({list(source)} dims) should "
                           f"contain the same number of dims as destination ({list(destination)} dims)")
    n = input.dim()
    src = [wrap_dim("movedim", d, n) for d in source]
    dst = [wrap_dim("movedim", d, n) for d in destination]
    for name, values, given in (("source", src, source), ("destination", dst, destination)):
        if len(set(values)) != len(values):
            raise RuntimeError(f"movedim(): repeated dim in `{name}` ({list(given)})")
    order = [None] * n
    for s, t in zip(src, dst):
        order[t] = s
    rest = iter(d for d in range(n) if d not in src)
    order = [next(rest) if o is None else o for o in order]
    return input.permute(order)


@_export("narrow_copy")
def narrow_copy(input, dim, start, length):
    return input.narrow(dim, start, length).clone()


def view_as(self, other):
    return self.view(tuple(other.shape))


def reshape_as(self, other):
    return self.reshape(tuple(other.shape))


METHODS.update(view_as=view_as, reshape_as=reshape_as)
