"""Gradients of kiln.max_pool2d through tensor autograd, against a float64 NumPy model of PyTorch's CPU kernel: each
output's cotangent goes to the first maximum of its window (row-major), or to the last NaN when the window holds
one; padding never gets any; overlapping windows add up. Covers the tiled fast path and the general one."""

import math
import re

import numpy as np
import pytest

import kiln
from kiln.autograd import gradcheck
from numerics_support import private_cache  # noqa: F401  (autouse fixture: a private compile cache)


def out_size(n, k, s, p, d, ceil):
    """PyTorch's pooling_output_shape."""
    num = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def reference(x, g, k, s, p, d, ceil):
    """PyTorch's cpu_max_pool loop in float64: (y, dL/dx) for the cotangent g."""
    x = x.astype(np.float64)
    n, c, h, w = x.shape
    oh_n, ow_n = out_size(h, k[0], s[0], p[0], d[0], ceil), out_size(w, k[1], s[1], p[1], d[1], ceil)
    y = np.empty((n, c, oh_n, ow_n))
    gx = np.zeros((n, c, h, w))
    for oh in range(oh_n):
        for ow in range(ow_n):
            h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
            h1, w1 = min(h0 + (k[0] - 1) * d[0] + 1, h), min(w0 + (k[1] - 1) * d[1] + 1, w)
            while h0 < 0:
                h0 += d[0]
            while w0 < 0:
                w0 += d[1]
            best = np.full((n, c), -np.inf)
            at_h, at_w = np.full((n, c), h0), np.full((n, c), w0)
            for ih in range(h0, h1, d[0]):
                for iw in range(w0, w1, d[1]):
                    val = x[:, :, ih, iw]
                    take = (val > best) | np.isnan(val)
                    best = np.where(take, val, best)
                    at_h, at_w = np.where(take, ih, at_h), np.where(take, iw, at_w)
            y[:, :, oh, ow] = best
            ni, ci = np.indices((n, c))
            np.add.at(gx, (ni, ci, at_h, at_w), g[:, :, oh, ow].astype(np.float64))
    return y, gx


def params(cfg):
    """(kernel, stride, padding, dilation, ceil_mode) of a config, with PyTorch's defaults (stride = kernel)."""
    return cfg["k"], cfg.get("s") or cfg["k"], cfg.get("p", (0, 0)), cfg.get("d", (1, 1)), cfg.get("ceil", False)


def max_pool(x, k, s=None, p=(0, 0), d=(1, 1), ceil=False):
    """Records kiln.max_pool2d (not exposed as a function yet)."""
    s = s or k
    n, c, h, w = x.shape
    sizes = [n, c, out_size(h, k[0], s[0], p[0], d[0], ceil), out_size(w, k[1], s[1], p[1], d[1], ceil)]
    pair = lambda v: f"array<i64: {v[0]}, {v[1]}>"  # noqa: E731
    attrs = (f"{'ceil_mode, ' if ceil else ''}dilation = {pair(d)}, kernel_size = {pair(k)}, padding = {pair(p)}, "
             f"stride = {pair(s)}")
    return kiln._C._record("kiln.max_pool2d", [x], x.dtype, sizes, attrs)


def autodiff_ir(shape, cfg):
    """kiln-autodiff's output for sum(max_pool2d(x)): the rule's path shows in it."""
    k, s, p, d, ceil = params(cfg)
    out = (shape[0], shape[1], *(out_size(shape[2 + a], k[a], s[a], p[a], d[a], ceil) for a in (0, 1)))
    t = lambda dims: "tensor<" + "x".join(map(str, dims)) + "xf32>"  # noqa: E731
    return kiln.compiler.run_pipeline(
        f"func.func @f(%x: {t(shape)}) -> tensor<f32> {{\n"
        f"  %p = kiln.max_pool2d %x kernel {list(k)} stride {list(s)} padding {list(p)} dilation {list(d)}"
        f"{' ceil_mode' if ceil else ''}"
        f" : {t(shape)}\n  %s = kiln.reduce sum %p dims [] : {t(out)}\n  return %s : tensor<f32>\n}}", "kiln-autodiff")


def is_tiled(ir):
    """Only the tiled path compares window elements with the result as [N, C, OH, 1, OW, 1]."""
    return re.search(r"kiln\.eq .* : tensor<(\d+x){6}f32>", ir) is not None


def run(values, cfg, seed=0):
    """Forward and backward through Kiln with a random cotangent; returns (y, x.grad, cotangent) as NumPy."""
    x = kiln.from_numpy(values.copy()).requires_grad_()
    y = max_pool(x, **cfg)
    cot = np.random.default_rng(seed).standard_normal(tuple(y.shape)).astype(values.dtype)
    y.backward(kiln.from_numpy(cot))
    return y.numpy(), x.grad.numpy(), cot


def check(values, cfg, seed=0):
    y, grad, cot = run(values, cfg, seed)
    ref_y, ref_grad = reference(values, cot, *params(cfg))
    np.testing.assert_array_equal(y, ref_y.astype(values.dtype))
    assert grad.dtype == values.dtype and grad.shape == values.shape
    tol = 1e-6 if values.dtype == np.float32 else 1e-13
    np.testing.assert_allclose(grad, ref_grad, rtol=tol, atol=tol)


# (input shape, config, path): "tiled" is the fast path for non-overlapping windows that tile the input.
CASES = [
    ((2, 3, 6, 7), dict(k=(2, 2)), "tiled"),  # the last column is cropped
    ((1, 2, 6, 8), dict(k=(2, 2), ceil=True), "tiled"),  # ceil_mode without a window past the edge
    ((2, 2, 9, 10), dict(k=(3, 3)), "tiled"),
    ((1, 2, 5, 7), dict(k=(2, 2), ceil=True), "general"),  # the last windows hang over the edge
    ((2, 2, 6, 5), dict(k=(3, 3), s=(1, 1), p=(1, 1)), "general"),
    ((1, 3, 7, 6), dict(k=(3, 3), s=(2, 2), p=(1, 1), ceil=True), "general"),
    ((1, 2, 6, 6), dict(k=(2, 2), s=(1, 1), d=(2, 2)), "general"),
    ((1, 2, 8, 7), dict(k=(3, 3), s=(2, 2), p=(1, 1), d=(2, 2), ceil=True), "general"),
    ((1, 2, 5, 8), dict(k=(2, 3), s=(1, 3), p=(1, 0), ceil=True), "general"),
    ((1, 1, 7, 7), dict(k=(3, 3), s=(3, 3), p=(1, 1), ceil=True), "general"),  # stride == kernel with padding
    ((1, 2, 7, 8), dict(k=(2, 2), s=(3, 3), p=(1, 1)), "general"),  # gaps between windows
    ((1, 2, 1, 4), dict(k=(3, 3), s=(1, 1), p=(1, 1)), "general"),  # taps that only ever read padding
]
IDS = [f"{'x'.join(map(str, shape))}-" + "-".join(f"{k}{v}" for k, v in cfg.items()) for shape, cfg, _ in CASES]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,cfg,path", CASES, ids=IDS)
def test_gradient_with_ties_matches_pytorch_semantics(shape, cfg, path, dtype):
    assert is_tiled(autodiff_ir(shape, cfg)) == (path == "tiled")
    # Values from {0, 1, 2}: most windows hold tied maxima, and only the first one gets the cotangent.
    values = np.random.default_rng(1).integers(0, 3, shape).astype(dtype)
    check(values, cfg)


@pytest.mark.parametrize("shape,cfg,path", [CASES[0], CASES[4], CASES[7]], ids=[IDS[0], IDS[4], IDS[7]])
def test_gradient_of_distinct_values(shape, cfg, path):
    values = np.random.default_rng(3).permutation(math.prod(shape)).reshape(shape).astype(np.float32)
    check(values, cfg, seed=1)


@pytest.mark.parametrize("shape,cfg,path", [CASES[0], CASES[5]], ids=[IDS[0], IDS[5]])
def test_nan_gets_the_cotangent(shape, cfg, path):
    # PyTorch's `val > max || isnan(val)` keeps the last NaN of a window; a NaN beats every number.
    rng = np.random.default_rng(5)
    values = rng.integers(0, 3, shape).astype(np.float32)
    values[rng.random(shape) < 0.25] = np.nan
    y, grad, cot = run(values, cfg, seed=2)
    ref_y, ref_grad = reference(values, cot, *params(cfg))
    assert np.isnan(ref_y).any() and not np.isnan(ref_y).all()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref_y))
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-6, atol=1e-6)


def test_two_nans_in_one_window_the_last_wins():
    values = np.array([[[[1.0, np.nan, 5.0, np.nan], [np.nan, 2.0, 0.0, 7.0]]]], np.float64)
    cfg = dict(k=(2, 2))  # windows [[1, nan], [nan, 2]] and [[5, nan], [0, 7]]
    y, grad, cot = run(values, cfg, seed=3)
    expected = np.zeros_like(values)
    expected[0, 0, 1, 0], expected[0, 0, 0, 3] = cot[0, 0, 0, 0], cot[0, 0, 0, 1]
    np.testing.assert_array_equal(grad, expected)


@pytest.mark.parametrize("shape,cfg,path", [CASES[4], CASES[9]], ids=[IDS[4], IDS[9]])
def test_windows_of_minus_infinity_give_the_first_real_element(shape, cfg, path):
    # A window whose real elements are all -inf has the maximum -inf, which the -inf padding also equals: the
    # cotangent still goes to the first real element, never to padding.
    values = np.random.default_rng(6).integers(0, 3, shape).astype(np.float64)
    values[..., :3, :3] = -np.inf
    check(values, cfg, seed=4)


def test_tiled_and_general_paths_agree_bit_for_bit():
    # A kernel of width 1 ignores its dilation, so dilation [1, 2] computes the same pooling as [1, 1], but only
    # [1, 1] takes the tiled path.
    values = np.random.default_rng(8).integers(0, 3, (2, 3, 8, 5)).astype(np.float32)
    values[0, 0, 2, 1] = values[1, 2, 5, 4] = np.nan
    tiled = dict(k=(2, 1), d=(1, 1))
    general = dict(k=(2, 1), d=(1, 2))
    assert is_tiled(autodiff_ir(values.shape, tiled)) and not is_tiled(autodiff_ir(values.shape, general))
    y1, g1, _ = run(values, tiled, seed=9)
    y2, g2, _ = run(values, general, seed=9)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(g1, g2)
    check(values, tiled, seed=9)


def test_non_contiguous_input():
    base = np.random.default_rng(10).integers(0, 3, (2, 2, 7, 6)).astype(np.float32)
    leaf = kiln.from_numpy(base.copy()).requires_grad_()
    x = leaf.permute(0, 1, 3, 2)[:, :, 1:, :]  # [2, 2, 5, 7], strided
    cfg = dict(k=(3, 3), s=(2, 2), p=(1, 1), ceil=True)
    y = max_pool(x, **cfg)
    cot = np.random.default_rng(11).standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(kiln.from_numpy(cot))
    xv = base.transpose(0, 1, 3, 2)[:, :, 1:, :]
    ref_y, ref_grad = reference(xv, cot, *params(cfg))
    np.testing.assert_array_equal(y.numpy(), ref_y.astype(np.float32))
    expected = np.zeros((2, 2, 6, 7))
    expected[:, :, 1:, :] = ref_grad
    np.testing.assert_allclose(leaf.grad.numpy(), expected.transpose(0, 1, 3, 2), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cfg", [dict(k=(2, 2)), dict(k=(3, 3), s=(2, 2), p=(1, 1), d=(1, 2), ceil=True)],
                         ids=["tiled", "general"])
def test_gradcheck(cfg):
    # Distinct values 0.1 apart: no ties, so the function is smooth at the point.
    values = np.random.default_rng(12).permutation(50).reshape(1, 2, 5, 5) * 0.1
    x = kiln.from_numpy(values).requires_grad_()
    assert gradcheck(lambda t: max_pool(t, **cfg), [x])


def test_integer_input_has_no_gradient_path():
    x = kiln.from_numpy(np.arange(16, dtype=np.int64).reshape(1, 1, 4, 4))
    y = max_pool(x, (2, 2))
    np.testing.assert_array_equal(y.numpy(), [[[[5, 7], [13, 15]]]])
    assert not y.requires_grad


def test_window_of_padding_only_gets_nothing():
    # Dilation can put every element of a window in the padding: its maximum is -inf and no element gets the
    # cotangent (PyTorch's recorded index points outside the window and its gradient is zero too).
    values = np.arange(3.0).reshape(1, 1, 1, 3)
    y, grad, _ = run(values, dict(k=(2, 1), s=(1, 1), p=(1, 0), d=(2, 1)))
    np.testing.assert_array_equal(y, np.full((1, 1, 1, 3), -np.inf))
    np.testing.assert_array_equal(grad, np.zeros_like(values))


@pytest.mark.parametrize("dtype", [kiln.float16, kiln.bfloat16], ids=["f16", "bf16"])
def test_half_precision(dtype):
    # Small integers and cotangents: every value and sum is exact in both types.
    values = np.random.default_rng(13).integers(0, 3, (1, 2, 5, 5)).astype(np.float32)
    cfg = dict(k=(3, 3), s=(2, 2), p=(1, 1), ceil=True)
    x = kiln.from_numpy(values).to(dtype).requires_grad_()
    y = max_pool(x, **cfg)
    cot = np.random.default_rng(14).integers(-3, 4, tuple(y.shape)).astype(np.float32)
    y.backward(kiln.from_numpy(cot).to(dtype))
    assert x.grad.dtype == dtype
    _, ref_grad = reference(values, cot, *params(cfg))
    np.testing.assert_array_equal(x.grad.to(kiln.float32).numpy(), ref_grad)
