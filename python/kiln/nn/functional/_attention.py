"""scaled_dot_product_attention and multi_head_attention_forward: PyTorch's math reference (softmax(q k^T * scale +
mask) v) in matmuls and fused elementwise ops."""
import math

import kiln
from kiln import _C
from kiln.nn.functional._activation import softmax
from kiln.nn.functional._misc import dropout, linear

Tensor = _C.Tensor
_NEG_INF = float("-inf")


def _float_mask(op, name, mask, dtype):
    """A boolean mask (True = not allowed) as an additive float mask (-inf where True); float masks take dtype."""
    if mask is None:
        return None
    if mask.dtype is _C.bool:
        return kiln.where(mask, _NEG_INF, kiln.zeros((), dtype=dtype))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"{op}(): only bool and floating types of {name} are supported, got {mask.dtype}")
    return _C._cast(mask, dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value over [..., L, E] queries and [..., S, E] keys. A bool attn_mask
    marks the positions that take part (True), a float one is added; is_causal masks positions after the query's
    (top-left aligned); dropout_p drops attention weights. enable_gqa repeats key/value heads (dim -3) to the
    query's head count."""
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be a Tensor, not {type(t).__name__}")
        if t.dim() < 2:
            raise RuntimeError(f"{op}(): expected {name} to have at least 2 dimensions, but got size {list(t.shape)}")
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(f"{op}(): Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"{op}(): expected floating-point query, key and value, but got {query.dtype}")
    if query.size(-1) != key.size(-1) or key.size(-2) != value.size(-2):
        raise RuntimeError(f"{op}(): query [..., L, E], key [..., S, E] and value [..., S, Ev] do not match: query "
                           f"{list(query.shape)}, key {list(key.shape)}, value {list(value.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}(): Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.size(-3) != query.size(-3):
        heads, kv_heads = query.size(-3), key.size(-3)
        if heads % kv_heads:
            raise RuntimeError(f"{op}(): number of heads in key/value ({kv_heads}) must divide the number of heads "
                               f"in query ({heads}) with enable_gqa=True")
        key, value = (_repeat_heads(t, heads // kv_heads) for t in (key, value))
    length, source = query.size(-2), key.size(-2)
    scale = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    scores = kiln.matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        allowed = kiln.ones(length, source, dtype=kiln.bool).tril()
        scores = kiln.where(allowed, scores, _NEG_INF)
    elif attn_mask is not None:
        if attn_mask.dtype is _C.bool:
            scores = kiln.where(attn_mask, scores, _NEG_INF)
        else:
            scores = scores + _C._cast(attn_mask, scores.dtype)
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p)
    return kiln.matmul(weights, value)


def _repeat_heads(t, times):
    """[..., H, S, E] -> [..., H * times, S, E], each head repeated `times` times in a row (repeat_interleave)."""
    shape = list(t.shape)
    expanded = t.unsqueeze(-3).expand(*shape[:-2], times, *shape[-2:])
    return expanded.reshape(shape[:-3] + [shape[-3] * times] + shape[-2:])


def _check(condition, message):
    if not condition:
        raise AssertionError(message)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """torch.nn.functional.multi_head_attention_forward on sequence-first [L, N, E] (or unbatched [L, E]) inputs.
    Returns (output, attention weights averaged over heads, per head, or None without need_weights)."""
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward(): static_k and static_v are not supported by Kiln")
    batched = query.dim() == 3
    _check(query.dim() in (2, 3), f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                                  "query tensor")
    _check(key.dim() == query.dim() and value.dim() == query.dim(),
           f"For {'batched' if batched else 'unbatched'} ({query.dim()}-D) `query`, expected `key` and `value` to be "
           f"{query.dim()}-D but found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed_dim = query.shape
    source = key.size(0)
    if is_causal and attn_mask is None:
        raise RuntimeError("multi_head_attention_forward(): Need attn_mask if specifying the is_causal hint. You may "
                           "use the Transformer module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the mask is the causal one: scaled_dot_product_attention builds it
    else:
        is_causal = False
    _check(embed_dim == embed_dim_to_check,
           f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    _check(head_dim * num_heads == embed_dim, f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        _check(key.shape[:2] == value.shape[:2], f"key's sequence and batch dims {list(key.shape[:2])} do not match "
                                                 f"value's {list(value.shape[:2])}")
        biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, biases[0])
        k = linear(key, k_proj_weight, biases[1])
        v = linear(value, v_proj_weight, biases[2])
    else:
        _check(key.shape == value.shape, f"key shape {key.shape} does not match value shape {value.shape}")
        if query is key and key is value:  # self-attention: one projection
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        else:
            weights = in_proj_weight.chunk(3)
            biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
            q, k, v = (linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))
    attn_mask = _float_mask("multi_head_attention_forward", "attn_mask", attn_mask, q.dtype)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (length, source):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(length, source)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (batch * num_heads, length, source):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(batch * num_heads, length, source)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    key_padding_mask = _float_mask("multi_head_attention_forward", "key_padding_mask", key_padding_mask, q.dtype)
    if bias_k is not None and bias_v is not None:
        k = kiln.cat([k, bias_k.expand(1, batch, embed_dim)])
        v = kiln.cat([v, bias_v.expand(1, batch, embed_dim)])
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    else:
        _check(bias_k is None and bias_v is None, "bias_k and bias_v must both be given or both be None")
    # [L, N, E] -> [N * H, L, head_dim]
    q = q.reshape(length, batch * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.size(0), batch * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.size(0), batch * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        zeros = kiln.zeros(batch * num_heads, 1, head_dim, dtype=k.dtype)
        k, v = kiln.cat([k, zeros], 1), kiln.cat([v, zeros], 1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    source = k.size(1)
    if key_padding_mask is not None:
        _check(tuple(key_padding_mask.shape) == (batch, source),
               f"expecting key_padding_mask shape of {(batch, source)}, but got {key_padding_mask.shape}")
        padding = key_padding_mask.reshape(batch, 1, 1, source).expand(batch, num_heads, 1, source)
        padding = padding.reshape(batch * num_heads, 1, source)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = kiln.matmul(q * (1.0 / math.sqrt(head_dim)), k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = kiln.matmul(weights, v)  # [N * H, L, head_dim]
        out = out.transpose(0, 1).reshape(length * batch, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(length, batch, embed_dim)
        weights = weights.reshape(batch, num_heads, length, source)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            return out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None and attn_mask.size(0) != 1:
        attn_mask = attn_mask.reshape(batch, num_heads, -1, source)  # a [1, L, S] mask broadcasts as it is
    q = q.reshape(batch, num_heads, length, head_dim)
    k = k.reshape(batch, num_heads, source, head_dim)
    v = v.reshape(batch, num_heads, source, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(length * batch, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(length, batch, embed_dim)
    return (out if batched else out.squeeze(1)), None


def _pad_last(mask):
    """A zero column appended to a float mask (the extra key of bias_k or add_zero_attn takes part)."""
    return kiln.cat([mask, kiln.zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)
