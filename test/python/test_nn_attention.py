"""kiln.nn scaled_dot_product_attention and MultiheadAttention against NumPy references, gradients and errors."""
import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
import nn_reference as ref
from nn_reference import close, to_kiln

rng = np.random.default_rng(4)
DTYPES = [kiln.float32, kiln.float64]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal"])
def test_sdpa_matches_numpy(mask, dtype):
    q, k, v = rng.standard_normal((2, 3, 4, 8)), rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((2, 3, 6, 5))
    m = None
    if mask == "bool":
        m = rng.random((4, 6)) > 0.3
        m[:, 0] = True
    elif mask == "float":
        m = rng.standard_normal((2, 1, 4, 6))
    kwargs = {"is_causal": True} if mask == "causal" else {"attn_mask": None if m is None else to_kiln(m)}
    got = F.scaled_dot_product_attention(to_kiln(q, dtype), to_kiln(k, dtype), to_kiln(v, dtype), **kwargs)
    assert got.dtype is dtype and tuple(got.shape) == (2, 3, 4, 5)
    close(got, ref.sdpa(q, k, v, m, mask == "causal"), dtype, scale=5)


def test_sdpa_scale_gqa_3d_and_noncontiguous():
    q, k, v = rng.standard_normal((2, 4, 3, 8)), rng.standard_normal((2, 2, 5, 8)), rng.standard_normal((2, 2, 5, 8))
    expanded = [np.repeat(t, 2, axis=1) for t in (k, v)]
    close(F.scaled_dot_product_attention(to_kiln(q), to_kiln(k), to_kiln(v), scale=0.3, enable_gqa=True),
          ref.sdpa(q, *expanded, scale=0.3))
    close(F.scaled_dot_product_attention(to_kiln(q[0, 0]), to_kiln(k[0, 0]), to_kiln(v[0, 0])),
          ref.sdpa(q[0, 0], k[0, 0], v[0, 0]))
    kt = to_kiln(np.swapaxes(k, -1, -2).copy()).transpose(-1, -2)
    close(F.scaled_dot_product_attention(to_kiln(q[:, :2]), kt, to_kiln(v)), ref.sdpa(q[:, :2], k, v))


def test_sdpa_dropout():
    q = to_kiln(rng.standard_normal((2, 3, 4)))
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).numpy(), np.zeros((2, 3, 4)))
    kiln.manual_seed(3)
    first = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy()
    kiln.manual_seed(3)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, q, q, dropout_p=0.5).numpy(), first)
    assert not np.allclose(first, F.scaled_dot_product_attention(q, q, q).numpy())


def test_sdpa_gradcheck():
    q, k, v = (to_kiln(rng.standard_normal(s), requires_grad=True) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    mask = to_kiln(rng.random((3, 5)) > 0.3)
    with kiln.no_grad():
        mask[:, 0] = True
    assert kiln.autograd.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, mask).sum(), [q, k, v])
    causal = to_kiln(rng.standard_normal((2, 3, 5)))
    assert kiln.autograd.gradcheck(lambda a, b, c: (F.scaled_dot_product_attention(a, b, c, is_causal=True) *
                                                    causal[..., :3]).sum(), [q, k, v])


def test_sdpa_errors():
    q = kiln.randn(2, 4, 3)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=kiln.ones(4, 4, dtype=kiln.bool), is_causal=True)
    with pytest.raises(RuntimeError, match=r"query \[..., L, E\], key \[..., S, E\] and value \[..., S, Ev\] do not "
                                           r"match: query \[2, 4, 3\], key \[2, 5, 4\]"):
        F.scaled_dot_product_attention(q, kiln.randn(2, 5, 4), kiln.randn(2, 5, 3))
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)


def _module_and_weights(embed, heads, **kwargs):
    module = nn.MultiheadAttention(embed, heads, dtype=kiln.float64, **kwargs)
    arrays = {name: p.numpy().astype(np.float64) for name, p in module.named_parameters()}
    return module, arrays


@pytest.mark.parametrize("masks", ["none", "key_padding", "attn_bool", "attn_float", "both"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_matches_numpy(masks, need_weights):
    module, w = _module_and_weights(8, 2)
    with kiln.no_grad():
        module.in_proj_bias.copy_(to_kiln(rng.standard_normal(24)))
        module.out_proj.bias.copy_(to_kiln(rng.standard_normal(8)))
    w = {name: p.numpy() for name, p in module.named_parameters()}
    q, k, v = rng.standard_normal((4, 3, 8)), rng.standard_normal((6, 3, 8)), rng.standard_normal((6, 3, 8))
    kpm = am = None
    if masks in ("key_padding", "both"):
        kpm = rng.random((3, 6)) < 0.3
        kpm[:, 0] = False
    if masks in ("attn_bool", "both"):
        am = rng.random((4, 6)) < 0.3
        am[:, 0] = False
    elif masks == "attn_float":
        am = rng.standard_normal((4, 6))
    out, weights = module(to_kiln(q), to_kiln(k), to_kiln(v), key_padding_mask=None if kpm is None else to_kiln(kpm),
                          attn_mask=None if am is None else to_kiln(am), need_weights=need_weights)
    want, want_weights, _ = ref.mha(q, k, v, 2, w["in_proj_weight"], w["in_proj_bias"], w["out_proj.weight"],
                                    w["out_proj.bias"], kpm, am)
    close(out, want)
    if need_weights:
        close(weights, want_weights)
    else:
        assert weights is None


def test_multihead_attention_batch_first_unbatched_and_per_head_weights():
    module, w = _module_and_weights(6, 3, batch_first=True)
    x = rng.standard_normal((2, 5, 6))  # [N, L, E]
    args = (w["in_proj_weight"], w["in_proj_bias"], w["out_proj.weight"], w["out_proj.bias"])
    want, _, per_head = ref.mha(x.transpose(1, 0, 2), x.transpose(1, 0, 2), x.transpose(1, 0, 2), 3, *args)
    t = to_kiln(x)
    out, weights = module(t, t, t, average_attn_weights=False)
    close(out, want.transpose(1, 0, 2))
    close(weights, per_head)
    module.batch_first = False
    out, weights = module(to_kiln(x[0]), to_kiln(x[0]), to_kiln(x[0]))
    close(out, ref.mha(x[:1].transpose(1, 0, 2), x[:1].transpose(1, 0, 2), x[:1].transpose(1, 0, 2), 3, *args)[0][:, 0])
    assert tuple(weights.shape) == (5, 5)


def test_multihead_attention_causal_kdim_bias_kv_and_state():
    module, w = _module_and_weights(4, 2)
    x = rng.standard_normal((5, 2, 4))
    causal = np.triu(np.ones((5, 5), bool), 1)
    args = (w["in_proj_weight"], w["in_proj_bias"], w["out_proj.weight"], w["out_proj.bias"])
    out, _ = module(to_kiln(x), to_kiln(x), to_kiln(x), attn_mask=to_kiln(causal), is_causal=True, need_weights=False)
    close(out, ref.mha(x, x, x, 2, *args, attn_mask=causal)[0])
    separate = nn.MultiheadAttention(4, 2, kdim=3, vdim=5)
    assert separate.in_proj_weight is None and tuple(separate.k_proj_weight.shape) == (4, 3)
    out, weights = separate(kiln.randn(5, 2, 4), kiln.randn(7, 2, 3), kiln.randn(7, 2, 5))
    assert tuple(out.shape) == (5, 2, 4) and tuple(weights.shape) == (2, 5, 7)
    extra = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True)
    out, weights = extra(kiln.randn(5, 2, 4), kiln.randn(7, 2, 4), kiln.randn(7, 2, 4),
                         key_padding_mask=kiln.zeros(2, 7, dtype=kiln.bool))
    assert tuple(weights.shape) == (2, 5, 9)  # one key from bias_k, one of zeros
    assert list(nn.MultiheadAttention(4, 2).state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                              "out_proj.bias"]
    assert repr(nn.MultiheadAttention(4, 2)) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                                                 "in_features=4, out_features=4, bias=True)\n)")


def test_multihead_attention_gradcheck_and_dropout():
    module, _ = _module_and_weights(4, 2)
    q = to_kiln(rng.standard_normal((3, 2, 4)), requires_grad=True)
    k = to_kiln(rng.standard_normal((5, 2, 4)), requires_grad=True)
    weights = to_kiln(rng.standard_normal((3, 2, 4)))
    kpm = to_kiln(np.array([[False] * 4 + [True], [False] * 5]))
    assert kiln.autograd.gradcheck(lambda a, b: (module(a, b, b, key_padding_mask=kpm)[0] * weights).sum(), [q, k])
    module.in_proj_weight.grad = None
    module(q, k, k)[0].sum().backward()
    assert module.in_proj_weight.grad is not None and module.out_proj.weight.grad is not None
    dropping = nn.MultiheadAttention(4, 2, dropout=0.99)
    x = kiln.randn(3, 2, 4)
    assert not np.allclose(dropping(x, x, x)[0].numpy(), dropping.eval()(x, x, x)[0].numpy())


def test_multihead_attention_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    module = nn.MultiheadAttention(8, 2)
    x = kiln.randn(3, 2, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        module(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor but received 4-D"):
        module(kiln.randn(3, 2, 2, 8), x, x)
    with pytest.raises(AssertionError, match=r"expecting key_padding_mask shape of \(2, 3\), but got kiln.Size\(\[2, "
                                             r"4\]\)"):
        module(x, x, x, key_padding_mask=kiln.zeros(2, 4, dtype=kiln.bool))
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is kiln.Size\(\[2, 4\]\), but should be "
                                           r"\(3, 3\)."):
        module(x, x, x, attn_mask=kiln.zeros(2, 4, dtype=kiln.bool))
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 6"):
        module(kiln.randn(3, 2, 6), x, x)
