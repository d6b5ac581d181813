"""Float64 NumPy references of the kiln.nn layers and losses, written from PyTorch's documented formulas."""
import math

import numpy as np

import kiln


def to_kiln(array, dtype=None, requires_grad=False):
    t = kiln.from_numpy(np.array(array, order="C"))  # (np.ascontiguousarray makes 0-d arrays 1-d)
    if dtype is not None:
        t = t.to(dtype)
    return t.requires_grad_(requires_grad) if requires_grad else t


def close(got, expected, dtype=kiln.float64, scale=1.0):
    """Compares a kiln result with a float64 reference at the precision of dtype."""
    tol = {kiln.float64: 1e-10, kiln.float32: 2e-5, kiln.float16: 3e-3, kiln.bfloat16: 2e-2}[dtype] * scale
    values = got.to(kiln.float32).numpy() if got.dtype is kiln.bfloat16 else got.numpy()
    assert values.shape == np.shape(expected), (values.shape, np.shape(expected))
    np.testing.assert_allclose(values.astype(np.float64), expected, rtol=tol, atol=tol)


# ---- convolution and pooling ---------------------------------------------------------------------------------------

def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs, ws = xp[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og]
        for i in range(kh):
            for j in range(kw):
                r0, c0 = i * dilation[0], j * dilation[1]
                patch = xs[:, :, r0:r0 + stride[0] * (ho - 1) + 1:stride[0], c0:c0 + stride[1] * (wo - 1) + 1:stride[1]]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool_output_size(size, k, p, s, d, ceil_mode):
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool2d(x, kernel, stride, padding, dilation=(1, 1), ceil_mode=False, kind="max", count_include_pad=True,
           divisor=None):
    n, c, h, w = x.shape
    ho = pool_output_size(h, kernel[0], padding[0], stride[0], dilation[0], ceil_mode)
    wo = pool_output_size(w, kernel[1], padding[1], stride[1], dilation[1], ceil_mode)
    out = np.empty((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            hs, ws = i * stride[0] - padding[0], j * stride[1] - padding[1]
            rows = [r for r in (hs + a * dilation[0] for a in range(kernel[0])) if 0 <= r < h]
            cols = [q for q in (ws + a * dilation[1] for a in range(kernel[1])) if 0 <= q < w]
            window = x[:, :, rows][:, :, :, cols]
            if kind == "max":
                out[:, :, i, j] = window.max((2, 3))
                continue
            if divisor is not None:
                div = divisor
            elif count_include_pad:
                div = (min(hs + kernel[0], h + padding[0]) - hs) * (min(ws + kernel[1], w + padding[1]) - ws)
            else:
                div = len(rows) * len(cols)
            out[:, :, i, j] = window.sum((2, 3)) / div
    return out


def adaptive_avg_pool2d(x, out):
    h, w = x.shape[-2:]
    result = np.empty(x.shape[:-2] + tuple(out))
    for i in range(out[0]):
        r0, r1 = (i * h) // out[0], -((-(i + 1) * h) // out[0])
        for j in range(out[1]):
            c0, c1 = (j * w) // out[1], -((-(j + 1) * w) // out[1])
            result[..., i, j] = x[..., r0:r1, c0:c1].mean((-2, -1))
    return result


# ---- activations and normalization ---------------------------------------------------------------------------------

def erf(x):
    return np.vectorize(math.erf)(x)


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x, dim):
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


def log_softmax(x, dim):
    shifted = x - x.max(dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(dim, keepdims=True))


def normalize(x, dims, eps):
    mean = x.mean(dims, keepdims=True)
    var = x.var(dims, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


# ---- losses --------------------------------------------------------------------------------------------------------

def nll(log_probs, target, weight=None, ignore_index=-100, reduction="mean"):
    """log_probs [N, C, ...], target [N, ...]."""
    classes = log_probs.shape[1]
    weight = np.ones(classes) if weight is None else weight
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    picked = np.take_along_axis(log_probs, safe[:, None], 1)[:, 0]
    w = weight[safe] * valid
    losses = -picked * w
    if reduction == "mean":
        return losses.sum() / w.sum()
    return losses.sum() if reduction == "sum" else losses


def cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """x [N, C, ...] with an index target [N, ...] or a probability target of x's shape."""
    classes = x.shape[1]
    lp = log_softmax(x, 1)
    wshape = (1, classes) + (1,) * (x.ndim - 2)
    w = np.ones(classes) if weight is None else weight
    if target.shape == x.shape:
        t = target * (1 - label_smoothing) + label_smoothing / classes
        losses = -(lp * t * w.reshape(wshape)).sum(1)
        if reduction == "mean":
            return losses.sum() / (x.size / classes)
        return losses.sum() if reduction == "sum" else losses
    nll_losses = nll(lp, target, weight, ignore_index, "none")
    valid = target != ignore_index
    smooth = np.where(valid, -(lp * w.reshape(wshape)).sum(1), 0.0)
    losses = (1 - label_smoothing) * nll_losses + label_smoothing / classes * smooth
    if reduction == "mean":
        return losses.sum() / (w[np.where(valid, target, 0)] * valid).sum()
    return losses.sum() if reduction == "sum" else losses


def reduce(losses, reduction):
    return losses.mean() if reduction == "mean" else losses.sum() if reduction == "sum" else losses


# ---- attention -----------------------------------------------------------------------------------------------------

def sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == np.bool_ else scores + mask
    return softmax(scores, -1) @ v


def mha(q, k, v, num_heads, in_w, in_b, out_w, out_b, key_padding_mask=None, attn_mask=None):
    """Sequence-first [L, N, E] multi-head attention; bool masks are True where attention is not allowed. Returns
    (output, weights averaged over heads, per-head weights)."""
    length, batch, embed = q.shape
    hd = embed // num_heads
    wq, wk, wv = np.split(in_w, 3)
    bq, bk, bv = np.split(in_b, 3)
    heads = lambda x: x.reshape(x.shape[0], batch, num_heads, hd).transpose(1, 2, 0, 3)  # noqa: E731
    qh, kh, vh = heads(q @ wq.T + bq), heads(k @ wk.T + bk), heads(v @ wv.T + bv)
    scores = qh @ kh.transpose(0, 1, 3, 2) / math.sqrt(hd)
    if attn_mask is not None:
        scores = scores + (np.where(attn_mask, -np.inf, 0.0) if attn_mask.dtype == np.bool_ else attn_mask)
    if key_padding_mask is not None:
        scores = scores + np.where(key_padding_mask, -np.inf, 0.0)[:, None, None, :]
    weights = softmax(scores, -1)
    out = (weights @ vh).transpose(2, 0, 1, 3).reshape(length, batch, embed)
    return out @ out_w.T + out_b, weights.mean(1), weights
