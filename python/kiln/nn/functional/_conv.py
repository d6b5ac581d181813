"""Convolution, pooling and padding: arguments are checked and output sizes computed here, with PyTorch's errors, and
the work is recorded as the dialect's kiln.conv2d, kiln.max_pool2d, kiln.avg_pool2d and kiln.pad."""
import functools
import math
import operator

import numpy as np

import kiln
from kiln import _C
from kiln._indexing import gather_along
from kiln._reductions import attr_value

Tensor = _C.Tensor


def _ints(op, name, value, n, what="the convolution dimensions"):
    """`value` (an int or a sequence of 1 or n ints) as an n-tuple."""
    if isinstance(value, Tensor) or not isinstance(value, (list, tuple)):
        try:
            return (operator.index(value),) * n
        except TypeError:
            raise TypeError(f"{op}(): argument '{name}' must be an int or a tuple of ints, not "
                            f"{type(value).__name__}") from None
    value = tuple(operator.index(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"{op}(): expected {name} to be a single integer value or a list of {n} values to match "
                           f"{what}, but got {name}={list(value)}")
    return value


def _array(values):
    return "array<i64: " + ", ".join(str(v) for v in values) + ">"


def _check_float(op, name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    if not t.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected a floating-point {name}, but got {name} of dtype {t.dtype}")


def _batched(op, input, spatial):
    """input with a batch dimension (unbatched inputs get one), and whether it was added."""
    if input.dim() == spatial + 1:
        return input.unsqueeze(0), True
    if input.dim() != spatial + 2:
        raise RuntimeError(f"{op}(): Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}, "
                           f"but got input of size: {list(input.shape)}")
    return input, False


# ---- padding ---------------------------------------------------------------------------------------------------------

def _pad_constant(x, low, high, value):
    """kiln.pad with non-negative amounts per dim (no op when all are zero)."""
    if not any(low) and not any(high):
        return x
    sizes = [s + a + b for s, a, b in zip(x.shape, low, high)]
    attrs = f"high = {_array(high)}, low = {_array(low)}"
    if value:
        attrs += ", value = " + attr_value(value, x.dtype)
    return _C._record("kiln.pad", [x], x.dtype, sizes, attrs)


@functools.lru_cache(maxsize=256)
def _pad_index(mode, size, low, high):
    positions = np.arange(-low, size + high)
    if mode == "replicate":
        positions = np.clip(positions, 0, size - 1)
    elif mode == "circular":
        positions = positions % size
    else:  # reflect: mirror about the first and last element, without repeating them
        period = 2 * (size - 1)
        positions = np.abs(positions) % period if period else np.zeros_like(positions)
        positions = np.where(positions >= size, period - positions, positions)
    return _C._copy_from_numpy(positions.astype(np.int64), _C.int64)


def pad(input, pad, mode="constant", value=None):
    """Pads the last len(pad) // 2 dims: pad = (left of the last dim, right of it, left of the one before, ...).
    Modes: 'constant' (negative amounts crop), 'reflect', 'replicate', 'circular'."""
    pad = tuple(operator.index(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("pad(): Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("pad(): Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")
    ndim = input.dim()
    low, high = [0] * ndim, [0] * ndim
    for i in range(len(pad) // 2):
        low[ndim - 1 - i], high[ndim - 1 - i] = pad[2 * i], pad[2 * i + 1]
    if mode == "constant":
        x = input
        for d in range(ndim):
            if low[d] < 0 or high[d] < 0:
                start, stop = max(-low[d], 0), x.size(d) - max(-high[d], 0)
                if stop < start:
                    raise RuntimeError(f"pad(): The input size {x.size(d)}, plus negative padding {low[d]} and "
                                       f"{high[d]} resulted in a negative output size, which is invalid. Check "
                                       f"dimension {d} of your input.")
                x = x._slice(d, start, stop, 1)
        return _pad_constant(x, [max(v, 0) for v in low], [max(v, 0) for v in high], value or 0)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad(): Unrecognised padding mode {mode}")
    if value:
        raise ValueError(f"pad(): Padding mode \"{mode}\" doesn't take in value argument")
    x = input
    for d in range(ndim):
        if not low[d] and not high[d]:
            continue
        size = x.size(d)
        limit = {"reflect": size - 1, "circular": size, "replicate": None}[mode]
        if size == 0 or (limit is not None and max(low[d], high[d]) > limit) or min(low[d], high[d]) < 0:
            raise RuntimeError(f"pad(): padding ({low[d]}, {high[d]}) is invalid for mode '{mode}' at dimension {d} "
                               f"of input {list(input.shape)} (at most {limit if limit is not None else 'any'} "
                               "and not negative)")
        x = gather_along(x, d, _pad_index(mode, size, low[d], high[d]))
    return x


# ---- convolution -----------------------------------------------------------------------------------------------------

def _conv(op, input, weight, bias, stride, padding, dilation, groups, spatial):
    _check_float(op, "input", input)
    _check_float(op, "weight", weight)
    x, unbatched = _batched(op, input, spatial)
    if weight.dim() != spatial + 2:
        raise RuntimeError(f"{op}(): expected weight to be {spatial + 2}-dimensional [out_channels, in_channels / "
                           f"groups, kernel...], but got weight of size {list(weight.shape)}")
    if weight.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): expected input and weight to have the same dtype, but got input {input.dtype} "
                           f"and weight {weight.dtype}")
    stride = _ints(op, "stride", stride, spatial)
    dilation = _ints(op, "dilation", dilation, spatial)
    groups = operator.index(groups)
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}(): non-positive stride is not supported (stride={list(stride)})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}(): non-positive dilation is not supported (dilation={list(dilation)})")
    if groups <= 0:
        raise RuntimeError(f"{op}(): non-positive groups is not supported (groups={groups})")
    kernel = tuple(weight.shape[2:])
    extra = [0] * spatial  # 'same' padding that does not split evenly goes after the input
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * spatial
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}(): padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            padding = tuple(t // 2 for t in total)
            extra = [t - 2 * (t // 2) for t in total]
        else:
            raise RuntimeError(f"{op}(): Invalid padding string: '{padding}'")
    else:
        padding = _ints(op, "padding", padding, spatial)
        if any(p < 0 for p in padding):
            raise RuntimeError(f"{op}(): negative padding is not supported (padding={list(padding)})")
    out_channels = weight.size(0)
    if out_channels % groups:
        raise RuntimeError(f"{op}(): Given groups={groups}, expected weight to be divisible by {groups} at dimension "
                           f"0, but got weight of size {list(weight.shape)} instead")
    if x.size(1) != weight.size(1) * groups:
        raise RuntimeError(f"{op}(): Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(input.shape)} to have {weight.size(1) * groups} channels, but got "
                           f"{x.size(1)} channels instead")
    if bias is not None:
        if not isinstance(bias, Tensor) or bias.dim() != 1 or bias.size(0) != out_channels:
            got = list(bias.shape) if isinstance(bias, Tensor) else type(bias).__name__
            raise RuntimeError(f"{op}(): Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                               f"with {out_channels} elements, but got bias of size {got} instead")
        if bias.dtype is not input.dtype:
            raise RuntimeError(f"{op}(): expected input and bias to have the same dtype, but got input {input.dtype} "
                               f"and bias {bias.dtype}")
    padded = [s + 2 * p + e for s, p, e in zip(x.shape[2:], padding, extra)]
    effective = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    if any(p < k for p, k in zip(padded, effective)):
        raise RuntimeError(f"{op}(): Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater than "
                           "actual input size")
    if any(extra):
        x = _pad_constant(x, [0, 0] + [0] * spatial, [0, 0] + extra, 0)
    w = weight
    if spatial == 1:  # conv1d is conv2d over a unit height
        x, w = x.unsqueeze(2), w.unsqueeze(2)
        stride, padding, dilation = (1,) + stride, (0,) + padding, (1,) + dilation
    out_sizes = [x.size(0), out_channels] + [
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, p, d, k, st in zip(x.shape[2:], padding, dilation, w.shape[2:], stride)]
    if math.prod(out_sizes) == 0 or x.numel() == 0:
        out = kiln.zeros(out_sizes, dtype=input.dtype)
        if bias is not None:
            out = out + bias.reshape([-1, 1, 1])
    else:
        attrs = (f"dilation = {_array(dilation)}, groups = {groups} : i64, padding = {_array(padding)}, "
                 f"stride = {_array(stride)}")
        out = _C._record("kiln.conv2d", [x, w] + ([bias] if bias is not None else []), input.dtype, out_sizes, attrs)
    if spatial == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of [N, C, H, W] (or [C, H, W]) input with [O, C / groups, kH, kW] weight; padding is an int,
    a pair, 'valid' or 'same'."""
    return _conv("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution of [N, C, L] (or [C, L]) input with [O, C / groups, k] weight (conv2d over a unit height)."""
    return _conv("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


# ---- pooling ---------------------------------------------------------------------------------------------------------

def _pool_output_size(size, kernel, pad, stride, dilation, ceil_mode):
    """PyTorch's pooling_output_shape: with ceil_mode, a last window that would start in the right padding is
    dropped."""
    numerator = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _pool_args(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if input.dim() not in (3, 4) or input.numel() == 0:
        raise RuntimeError(f"{op}(): Expected 3D or 4D (batch mode) non-empty tensor for input, but got input of "
                           f"size: {list(input.shape)}")
    what = "the pooling dimensions"
    kernel = _ints(op, "kernel_size", kernel_size, 2, what)
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) else \
        _ints(op, "stride", stride, 2, what)
    padding = _ints(op, "padding", padding, 2, what)
    dilation = _ints(op, "dilation", dilation, 2, what)
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"{op}(): kernel size should be greater than zero, but got kernel_size={list(kernel)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}(): stride should be greater than zero, but got stride={list(stride)}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}(): dilation should be greater than zero, but got dilation={list(dilation)}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0 or p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"{op}(): pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise NotImplementedError(f"{op}(): padding {list(padding)} larger than half of kernel_size {list(kernel)} "
                                  "(allowed by a dilation) is not supported by Kiln yet")
    x = input if input.dim() == 4 else input.unsqueeze(0)
    out = [_pool_output_size(s, k, p, st, d, ceil_mode)
           for s, k, p, st, d in zip(x.shape[2:], kernel, padding, stride, dilation)]
    if any(o < 1 for o in out):
        c, h, w = x.shape[1:]
        raise RuntimeError(f"{op}(): Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return x, kernel, stride, padding, dilation, list(x.shape[:2]) + out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling of [N, C, H, W] (or [C, H, W]) input; padding counts as -inf."""
    if return_indices:
        raise NotImplementedError("max_pool2d(): return_indices=True is not supported by Kiln yet")
    x, kernel, stride, padding, dilation, sizes = _pool_args("max_pool2d", input, kernel_size, stride, padding,
                                                             dilation, ceil_mode)
    attrs = (("ceil_mode, " if ceil_mode else "") + f"dilation = {_array(dilation)}, kernel_size = {_array(kernel)}, "
             f"padding = {_array(padding)}, stride = {_array(stride)}")
    out = _C._record("kiln.max_pool2d", [x], x.dtype, sizes, attrs)
    return out if input.dim() == 4 else out.squeeze(0)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling of floating-point [N, C, H, W] (or [C, H, W]) input."""
    _check_float("avg_pool2d", "input", input)
    x, kernel, stride, padding, _, sizes = _pool_args("avg_pool2d", input, kernel_size, stride, padding, 1,
                                                      ceil_mode)
    if divisor_override is not None:
        divisor_override = operator.index(divisor_override)
        if divisor_override == 0:
            raise RuntimeError("avg_pool2d(): divisor must be not zero")
        count_include_pad = False  # the mean of the real elements, times their count: the window's sum
    attrs = (("ceil_mode, " if ceil_mode else "") + ("count_include_pad, " if count_include_pad else "")
             + f"kernel_size = {_array(kernel)}, padding = {_array(padding)}, stride = {_array(stride)}")
    out = _C._record("kiln.avg_pool2d", [x], x.dtype, sizes, attrs)
    if divisor_override is not None:
        out = out * _window_counts(tuple(x.shape[2:]), tuple(sizes[2:]), kernel, stride, padding, divisor_override,
                                   x.dtype)
    return out if input.dim() == 4 else out.squeeze(0)


@functools.lru_cache(maxsize=128)
def _window_counts(size, out, kernel, stride, padding, divisor, dtype):
    """[Ho, Wo]: how many input elements each pooling window covers, divided by `divisor`."""
    counts = []
    for n, o, k, s, p in zip(size, out, kernel, stride, padding):
        start = np.arange(o) * s - p
        counts.append(np.minimum(start + k, n) - np.maximum(start, 0))
    return kiln.tensor(np.outer(counts[0], counts[1]) / divisor, dtype=dtype)


@functools.lru_cache(maxsize=128)
def _adaptive_matrix(size, out, dtype):
    """[out, size] averaging matrix of PyTorch's adaptive windows [floor(i * size / out), ceil((i + 1) * size / out))
    along one dimension."""
    matrix = np.zeros((out, size))
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return kiln.tensor(matrix, dtype=dtype)


def adaptive_avg_pool2d(input, output_size):
    """Averages over the adaptive windows PyTorch uses, to output_size (an int, or a pair whose None entries keep
    the input's size): a mean when the output is 1x1, avg_pool2d when the windows tile the input evenly, else two
    small matmuls with averaging matrices."""
    _check_float("adaptive_avg_pool2d", "input", input)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 2:
            raise ValueError(f"adaptive_avg_pool2d(): output_size must be 2, got {len(output_size)}")
        out = tuple(input.size(-2 + i) if s is None else operator.index(s) for i, s in enumerate(output_size))
    else:
        out = (operator.index(output_size),) * 2
    if any(o < 0 for o in out):
        raise RuntimeError(f"adaptive_avg_pool2d(): elements of output_size must be greater than or equal to 0 but "
                           f"received {list(out)}")
    h, w = input.shape[-2:]
    if out == (1, 1):
        return input.mean((-2, -1), keepdim=True)
    if out == (h, w):
        return input.clone()
    if out[0] and out[1] and h % out[0] == 0 and w % out[1] == 0:
        kernel = (h // out[0], w // out[1])
        return avg_pool2d(input, kernel, kernel)
    rows = _adaptive_matrix(h, out[0], input.dtype)
    cols = _adaptive_matrix(w, out[1], input.dtype)
    return rows @ input @ cols.T
