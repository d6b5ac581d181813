"""batch_norm, layer_norm and group_norm: mean and biased variance by kiln reductions, normalization and the affine
transform as elementwise ops (one fused program with what surrounds them). Running statistics are updated in place
under no_grad, so they stay lazy and join the next program."""
import math
import operator

from kiln import _C
from kiln._grad_mode import no_grad

Tensor = _C.Tensor
_HALF = (_C.float16, _C.bfloat16)


def _wide(x):
    """Half-precision inputs are normalized in float32, as PyTorch's CPU kernels accumulate."""
    return _C._cast(x, _C.float32) if x.dtype in _HALF else x


def _check_input(op, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected a floating-point input, but got {input.dtype}")


def _check_vector(op, name, t, size):
    if t is not None and t.numel() != size:
        raise RuntimeError(f"{op}(): {name} should contain {size} elements not {t.numel()}")


def _normalize(x, dims, eps):
    """(x - mean) / sqrt(biased var + eps) over dims, and the (keepdim) mean and biased variance."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered * (var + eps).rsqrt(), mean, var


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalizes each channel (dim 1) of [N, C, ...] input over the batch and spatial dims.

    training: by the batch's mean and biased variance; running_mean/running_var (when given) move towards the batch
    mean and the unbiased variance by `momentum` (a number, or a 0-d tensor such as 1 / num_batches_tracked for a
    cumulative average), in place. Not training: by running_mean and running_var.
    """
    _check_input("batch_norm", input)
    if input.dim() < 2:
        raise ValueError(f"batch_norm(): expected an input of at least 2 dimensions [N, C, ...], but got input of "
                         f"size {list(input.shape)}")
    channels = input.size(1)
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_vector("batch_norm", name, t, channels)
    dims = [0] + list(range(2, input.dim()))
    shape = [1, channels] + [1] * (input.dim() - 2)
    x = _wide(input)
    count = input.numel() // channels if channels else 0
    if training:
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        y, mean, var = _normalize(x, dims, eps)
        if running_mean is not None or running_var is not None:
            with no_grad():
                if running_mean is not None:
                    running_mean.mul_(1 - momentum).add_(_C._cast(mean.reshape(-1), running_mean.dtype) * momentum)
                if running_var is not None:
                    unbiased = var.reshape(-1) * (count / (count - 1))
                    running_var.mul_(1 - momentum).add_(_C._cast(unbiased, running_var.dtype) * momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm(): running_mean and running_var must be defined when not training")
        mean = _C._cast(running_mean, x.dtype).reshape(shape)
        var = _C._cast(running_var, x.dtype).reshape(shape)
        y = (x - mean) * (var + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return _C._cast(y, input.dtype)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalizes over the last len(normalized_shape) dims (which must equal normalized_shape), then scales by
    weight and shifts by bias (both of normalized_shape)."""
    _check_input("layer_norm", input)
    if isinstance(normalized_shape, (list, tuple)) or hasattr(normalized_shape, "__len__"):
        normalized = [operator.index(s) for s in normalized_shape]
    else:
        normalized = [operator.index(normalized_shape)]
    n = len(normalized)
    if n == 0 or input.dim() < n or list(input.shape[input.dim() - n:]) != normalized:
        raise RuntimeError(f"layer_norm(): Given normalized_shape={normalized}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized))}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and list(t.shape) != normalized:
            raise RuntimeError(f"layer_norm(): Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t.shape)} and normalized_shape = {normalized}")
    y, _, _ = _normalize(_wide(input), list(range(input.dim() - n, input.dim())), eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return _C._cast(y, input.dtype)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalizes [N, C, ...] input over each group of C / num_groups channels (and the spatial dims), then applies
    a per-channel affine transform."""
    _check_input("group_norm", input)
    if input.dim() < 2:
        raise RuntimeError(f"group_norm(): Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    n, channels = input.shape[0], input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise RuntimeError(f"group_norm(): Expected number of channels in input to be divisible by num_groups, but "
                           f"got input of shape {list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        _check_vector("group_norm", name, t, channels)
    per_group = (channels // num_groups) * math.prod(input.shape[2:])
    grouped = _wide(input).reshape(n, num_groups, per_group)
    y, _, _ = _normalize(grouped, [2], eps)
    y = y.reshape(tuple(input.shape))
    shape = [1, channels] + [1] * (input.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return _C._cast(y, input.dtype)
