"""linear, dropout, embedding, one_hot and normalize: compositions of kiln ops (matmul, rand, gather, compare)."""
import numpy as np

import kiln
from kiln import _C
from kiln._grad_mode import no_grad
from kiln._indexing import gather_along
from kiln._ops import _assign_result

Tensor = _C.Tensor


def _check_tensor(op, name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(t).__name__}")


def linear(input, weight, bias=None):
    """input @ weight.T + bias, over any leading dimensions of input."""
    if isinstance(input, Tensor) and isinstance(weight, Tensor) and (bias is None or isinstance(bias, Tensor)):
        # The common case, checked cheaply (a layer's forward runs every step); anything else, errors included,
        # goes through the checks below.
        features = input.size(-1) if input.dim() else -1
        if (weight.dim() == 2 and features == weight.size(1) and features > 0 and input.dtype is weight.dtype
                and (bias is None or (bias.dim() == 1 and bias.dtype is input.dtype
                                      and bias.size(0) == weight.size(0)))):
            out = _C._matmul(input, weight.t())
            return out if bias is None else out + bias
    _check_tensor("linear", "input", input)
    _check_tensor("linear", "weight", weight)
    if weight.dim() not in (1, 2):
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, but got weight of size {list(weight.shape)}")
    if input.dim() == 0:
        raise RuntimeError("linear(): input must have at least 1 dimension, but got a 0-d tensor")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"linear(): expected input and weight to have the same dtype, but got input {input.dtype} "
                           f"and weight {weight.dtype}")
    if input.size(-1) != weight.size(-1):
        rows = input.numel() // input.size(-1) if input.size(-1) else 0
        mat2 = f"{weight.size(1)}x{weight.size(0)}" if weight.dim() == 2 else f"{weight.size(0)}"
        raise RuntimeError(f"linear(): mat1 and mat2 shapes cannot be multiplied ({rows}x{input.size(-1)} and "
                           f"{mat2})")
    out = kiln.matmul(input, weight.t() if weight.dim() == 2 else weight)
    if bias is not None:
        _check_tensor("linear", "bias", bias)
        if bias.dtype is not input.dtype:
            raise RuntimeError(f"linear(): expected input and bias to have the same dtype, but got input "
                               f"{input.dtype} and bias {bias.dtype}")
        out_features = weight.size(0) if weight.dim() == 2 else 1
        if bias.dim() > 1 or bias.numel() not in (out_features, 1):
            raise RuntimeError(f"linear(): expected bias of {out_features} elements (weight of size "
                               f"{list(weight.shape)}), but got bias of size {list(bias.shape)}")
        out = out + bias
    return out


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p (a fresh kiln.rand mask, so kiln.manual_seed repeats it) and scales
    the rest by 1 / (1 - p); the identity when not training."""
    _check_tensor("dropout", "input", input)
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        result = input * 0.0
    else:
        noise = kiln.rand(*input.shape, dtype=input.dtype if input.dtype is _C.float64 else _C.float32)
        keep = _C._cast(noise >= p, input.dtype)
        result = input * (keep * (1.0 / (1.0 - p)))
    return _assign_result(input, result) if inplace else result


def one_hot(tensor, num_classes=-1):
    """int64 [..., num_classes] with a 1 at each class index (num_classes=-1 takes the largest index + 1)."""
    _check_tensor("one_hot", "tensor", tensor)
    if tensor.dtype is not _C.int64:
        raise RuntimeError(f"one_hot(): one_hot is only applicable to index tensor of type LongTensor (int64), but got "
                           f"{tensor.dtype}")
    values = tensor.numpy() if tensor.numel() else None
    if num_classes == -1:
        if values is None:
            raise RuntimeError("one_hot(): Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values is not None:
        if values.min() < 0:
            raise RuntimeError(f"one_hot(): Class values must be non-negative, but got {values.min()}.")
        if values.max() >= num_classes:
            raise RuntimeError(f"one_hot(): Class values must be smaller than num_classes={num_classes}, but got "
                               f"{values.max()}.")
    classes = kiln.arange(num_classes)
    return _C._cast(tensor.unsqueeze(-1) == classes, _C.int64)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(norm_p(input along dim), eps)."""
    return input / kiln.clamp(kiln.norm(input, p, dim, keepdim=True), min=eps)


def _check_indices(op, input, num):
    if input.dtype not in (_C.int64, _C.int32):
        raise RuntimeError(f"{op}(): Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {input.dtype} instead")
    values = input.numpy() if input.numel() else np.zeros(0, np.int64)
    bad = (values < 0) | (values >= num)
    if bad.any():
        raise IndexError(f"{op}(): index {values[bad].flat[0]} is out of range in self (num_embeddings={num})")
    return values


def _renorm_rows(weight, values, max_norm, norm_type):
    """Rescales, in place, the rows of weight that `values` refers to whose norm exceeds max_norm."""
    rows = kiln.from_numpy(np.unique(values).astype(np.int64))
    with no_grad():
        selected = gather_along(weight, 0, rows)
        norms = kiln.norm(selected, norm_type, 1, keepdim=True)
        scale = kiln.where(norms > max_norm, max_norm / (norms + 1e-7), kiln.ones_like(norms))
        weight.index_copy_(0, rows, selected * scale)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """weight's rows at the int64/int32 indices of input: input.shape + [embedding_dim]. The row at padding_idx
    gets no gradient."""
    _check_tensor("embedding", "input", input)
    _check_tensor("embedding", "weight", weight)
    if weight.dim() != 2:
        raise RuntimeError(f"embedding(): 'weight' must be 2-D, but got weight of size {list(weight.shape)}")
    if sparse:
        raise NotImplementedError("embedding(): sparse=True (sparse gradients) is not supported by Kiln")
    num = weight.size(0)
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError(f"Padding_idx must be within num_embeddings (padding_idx={padding_idx}, "
                                 f"num_embeddings={num})")
        padding_idx = padding_idx % num
    values = _check_indices("embedding", input, num)
    if max_norm is not None and values.size:
        _renorm_rows(weight, values, max_norm, norm_type)
    flat = _C._cast(input.reshape(-1), _C.int64)
    rows = gather_along(weight, 0, flat).reshape(list(input.shape) + [weight.size(1)])
    if scale_grad_by_freq and values.size:
        counts = np.bincount(values.reshape(-1), minlength=num)
        scale = kiln.tensor((1.0 / counts[values])[..., None], dtype=weight.dtype)
        frozen = rows.detach()
        rows = frozen + (rows - frozen) * scale  # the value of rows, with its gradient divided by the frequency
    if padding_idx is not None:
        rows = kiln.where((input != padding_idx).unsqueeze(-1), rows, rows.detach())
    return rows
