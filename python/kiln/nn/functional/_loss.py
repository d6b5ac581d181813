"""Loss functions with PyTorch's reductions, shape rules and errors: cross_entropy (log_softmax + gather), nll_loss,
mse/l1/smooth_l1/huber losses and the binary cross entropies, composed from kiln ops so they fuse with the model."""
import warnings

import kiln
from kiln import _C
from kiln._indexing import gather_along
from kiln.nn.functional._activation import log_softmax

Tensor = _C.Tensor


def _legacy_reduction(size_average, reduce):
    """PyTorch's deprecated size_average/reduce arguments as a reduction string."""
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='none'/'mean'/'sum' instead.",
                  UserWarning, stacklevel=4)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_tensors(op, input, target):
    for name, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


def _check_weight(op, weight, classes):
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"{op}(): weight tensor should be defined either for all {classes} classes or no classes "
                           f"but got weight tensor of shape: {list(weight.shape)}")


# ---- class-index losses ----------------------------------------------------------------------------------------------

def _index_target(op, input, target, ignore_index):
    """Checks an index target against input [N, C, d...] (shapes, dtype, class range; the range check reads the
    target, as PyTorch's kernels do) and returns it as int64, and False when no target equals ignore_index (True when some may)."""
    if target.dtype not in (_C.int64, _C.int32, _C.uint8):
        raise RuntimeError(f"{op}(): expected target dtype to be Long or Byte (class indices), but got {target.dtype}")
    if target.dim() == 0 or target.size(0) != input.size(0):
        got = target.size(0) if target.dim() else "a 0-d target"
        raise ValueError(f"{op}(): Expected input batch_size ({input.size(0)}) to match target batch_size ({got}).")
    if input.dim() == 2 and target.dim() != 1:
        raise RuntimeError(f"{op}(): 0D or 1D target tensor expected, multi-target not supported (got target of size "
                           f"{list(target.shape)} for input of size {list(input.shape)})")
    expected = [input.size(0)] + list(input.shape[2:])
    if list(target.shape) != expected:
        raise RuntimeError(f"{op}(): Expected target size {expected}, got {list(target.shape)}")
    classes = input.size(1)
    ignored = True  # "maybe": an empty target takes the general path too (its mean is 0 / 0)
    if target.numel():
        values = target.numpy()
        low, high = values.min(), values.max()
        if low < 0 or high >= classes:  # out of range, or ignore_index among the targets
            is_ignored = values == ignore_index
            bad = ~is_ignored & ((values < 0) | (values >= classes))
            if bad.any():
                raise IndexError(f"{op}(): Target {values[bad].flat[0]} is out of bounds (class indices must be in "
                                 f"[0, {classes}) or equal ignore_index={ignore_index})")
            ignored = bool(is_ignored.any())
        else:
            ignored = low <= ignore_index <= high
    return _C._cast(target, _C.int64), ignored


def _nll_terms(log_probs, target, weight, ignore_index, any_ignored=True):
    """The per-element losses -w[t] * log_probs[t] and the weights w[t] (0 where target == ignore_index).

    Without weights and with no target ignored (what _index_target read), every w[t] is 1: the losses are the picked
    log-probabilities and w is None (a mean divides by the number of targets), six recorded ops fewer per step."""
    if weight is None and not any_ignored:
        picked = _C._record("kiln.gather", [log_probs, target.unsqueeze(1)], log_probs.dtype,
                            [target.size(0), 1] + list(target.shape[1:]), "dim = 1 : i64").squeeze(1)
        return -picked, None
    ignored = target == ignore_index
    safe = kiln.where(ignored, 0, target)
    picked = _C._record("kiln.gather", [log_probs, safe.unsqueeze(1)], log_probs.dtype,
                        [target.size(0), 1] + list(target.shape[1:]), "dim = 1 : i64").squeeze(1)
    valid = _C._cast(kiln.logical_not(ignored), log_probs.dtype)
    if weight is None:
        w = valid
    else:
        w = gather_along(_C._cast(weight, log_probs.dtype), 0, safe.reshape(-1)).reshape(tuple(target.shape)) * valid
    return -picked * w, w


def _as_batch(input, target):
    """A 1-D input [C] (with a 0-d target) as a batch of one."""
    if input.dim() == 1:
        if target.dim() == 1 and target.numel() != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.size(0)}")
        return input.unsqueeze(0), target.reshape(1), True
    return input, target, False


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-input[n, target[n]] * weight[target[n]] for log-probabilities input [N, C] or [N, C, d1, ...] (or [C]);
    'mean' divides by the summed weights of the targets that are not ignored."""
    _check_tensors("nll_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if input.dim() < 1:
        raise ValueError(f"nll_loss(): Expected 1 or more dimensions (got {input.dim()})")
    input, target, single = _as_batch(input, target)
    _check_weight("nll_loss", weight, input.size(1))
    target, any_ignored = _index_target("nll_loss", input, target, ignore_index)
    losses, w = _nll_terms(input, target, weight, ignore_index, any_ignored)
    if reduction == "mean":
        return losses.sum() / (target.numel() if w is None else w.sum())
    if reduction == "sum":
        return losses.sum()
    return losses.squeeze(0) if single else losses


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 for a 1-D input) followed by nll_loss for class-index targets, or by
    -sum(target * log_softmax) for class-probability targets (a float target of input's shape)."""
    _check_tensors("cross_entropy", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.dim() < 1:
        raise ValueError(f"cross_entropy(): Expected 1 or more dimensions (got {input.dim()})")
    class_dim = 1 if input.dim() >= 2 else 0
    classes = input.size(class_dim)
    _check_weight("cross_entropy", weight, classes)
    log_probs = log_softmax(input, class_dim)
    w_shape = [classes] + [1] * (input.dim() - class_dim - 1)
    if tuple(target.shape) == tuple(input.shape):
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"cross_entropy(): Expected floating point type for target with class probabilities, "
                               f"got {target.dtype}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        terms = log_probs * target
        if weight is not None:
            terms = terms * weight.reshape(w_shape)
        losses = -terms.sum(class_dim)
        if reduction == "mean":
            return losses.sum() / (input.numel() // classes if classes else 0)
        return _reduce(losses, reduction)
    log_probs, target, single = _as_batch(log_probs, target)
    target, any_ignored = _index_target("cross_entropy", log_probs, target, ignore_index)
    losses, w = _nll_terms(log_probs, target, weight, ignore_index, any_ignored or label_smoothing > 0)
    if label_smoothing > 0:
        w_shape = [classes] + [1] * (log_probs.dim() - 2)
        terms = log_probs if weight is None else log_probs * weight.reshape(w_shape)
        smooth = kiln.where(target == ignore_index, 0.0, -terms.sum(1))
        if reduction == "mean":
            total = w.sum()
            return (1 - label_smoothing) * (losses.sum() / total) + (smooth.sum() / total) * (label_smoothing / classes)
        losses = (1 - label_smoothing) * losses + smooth * (label_smoothing / classes)
        return losses.sum() if reduction == "sum" else (losses.squeeze(0) if single else losses)
    if reduction == "mean":
        return losses.sum() / (target.numel() if w is None else w.sum())
    if reduction == "sum":
        return losses.sum()
    return losses.squeeze(0) if single else losses


# ---- regression losses -----------------------------------------------------------------------------------------------

def _broadcast_warning(op, input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"{op}(): Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. Please "
                      "ensure they have the same size.", UserWarning, stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_tensors("mse_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_warning("mse_loss", input, target)
    diff = input - target
    loss = diff * diff
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_tensors("l1_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _broadcast_warning("l1_loss", input, target)
    loss = kiln.abs(input - target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 * d^2 / beta where |d| < beta, else |d| - 0.5 * beta (beta = 0 is l1_loss)."""
    _check_tensors("smooth_l1_loss", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss(): smooth_l1_loss does not support negative values for beta (got "
                           f"{beta}).")
    _broadcast_warning("smooth_l1_loss", input, target)
    d = kiln.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(kiln.where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta)."""
    _check_tensors("huber_loss", input, target)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss(): huber_loss does not support non-positive values for delta (got {delta}).")
    _broadcast_warning("huber_loss", input, target)
    d = kiln.abs(input - target)
    loss = kiln.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---- binary cross entropy --------------------------------------------------------------------------------------------

def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t * log(x) + (1 - t) * log(1 - x)) * weight, each log clamped at -100 as in PyTorch. Unlike PyTorch, input
    values outside [0, 1] are not checked (the check would read the input; they give NaN)."""
    _check_tensors("binary_cross_entropy", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy(): Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have the same size.")
    log_x = kiln.clamp(kiln.log(input), min=-100.0)
    log_1mx = kiln.clamp(kiln.log(1 - input), min=-100.0)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) computed stably as (1 - t) * x + (1 + (pos_weight - 1) * t) *
    softplus(-x); pos_weight scales the positive term (broadcast along the last, class dim)."""
    _check_tensors("binary_cross_entropy_with_logits", input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy_with_logits(): Target size ({target.shape}) must be the same as "
                         f"input size ({input.shape})")
    softplus_neg = kiln.relu(-input) + kiln.log1p(kiln.exp(-kiln.abs(input)))
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
