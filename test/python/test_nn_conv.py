"""kiln.nn convolution, pooling and padding against float64 NumPy references, their gradients and errors."""
import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
from nn_reference import adaptive_avg_pool2d, close, conv2d, pool2d, to_kiln

rng = np.random.default_rng(0)
DTYPES = [kiln.float32, kiln.float64]


def gradcheck(fn, *arrays):
    """gradcheck of sum(fn(*inputs) * R) for a fixed random R: one vector-Jacobian product per input element."""
    inputs = [to_kiln(a, requires_grad=True) for a in arrays]
    weights = to_kiln(rng.standard_normal(tuple(fn(*inputs).shape)))
    assert kiln.autograd.gradcheck(lambda *a: (fn(*a) * weights).sum(), inputs)


CONV_CASES = [
    # (input shape, weight shape, bias, stride, padding, dilation, groups)
    ((2, 3, 7, 6), (4, 3, 3, 3), True, (1, 1), (0, 0), (1, 1), 1),
    ((2, 4, 9, 8), (6, 2, 3, 2), True, (2, 1), (1, 2), (1, 1), 2),
    ((1, 4, 8, 8), (4, 1, 3, 3), False, (2, 2), (2, 2), (2, 2), 4),
    ((3, 2, 5, 7), (5, 2, 1, 4), True, (1, 3), (0, 1), (1, 2), 1),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[0])) + f"-g{c[6]}")
def test_conv2d_matches_numpy(case, dtype):
    xs, ws, bias, stride, padding, dilation, groups = case
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    got = F.conv2d(to_kiln(x, dtype), to_kiln(w, dtype), None if b is None else to_kiln(b, dtype), stride, padding,
                   dilation, groups)
    assert got.dtype is dtype
    close(got, conv2d(x, w, b, stride, padding, dilation, groups), dtype, scale=10)


def test_conv2d_noncontiguous_and_unbatched():
    x, w = rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((4, 3, 3, 3))
    transposed = to_kiln(x.transpose(0, 1, 3, 2).copy()).transpose(2, 3)  # a permuted view of x's values
    assert not transposed.is_contiguous()
    close(F.conv2d(transposed, to_kiln(w), padding=1), conv2d(x, w, padding=(1, 1)))
    strided = to_kiln(np.repeat(x, 2, axis=3))[..., ::2]
    close(F.conv2d(strided, to_kiln(w)), conv2d(x, w))
    close(F.conv2d(to_kiln(x[0]), to_kiln(w), stride=2), conv2d(x[:1], w, stride=(2, 2))[0])


@pytest.mark.parametrize("kernel,dilation", [((3, 3), (1, 1)), ((4, 2), (1, 3)), ((2, 3), (2, 1))])
def test_conv2d_padding_same_and_valid(kernel, dilation):
    x, w = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2) + kernel)
    got = F.conv2d(to_kiln(x), to_kiln(w), padding="same", dilation=dilation)
    assert tuple(got.shape) == (2, 3, 7, 6)
    # 'same' pads total = dilation * (k - 1): half before, the rest (one more when odd) after
    pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for d, k in zip(dilation, kernel)]
    padded = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    close(got, conv2d(padded, w, dilation=dilation))
    close(F.conv2d(to_kiln(x), to_kiln(w), padding="valid", dilation=dilation), conv2d(x, w, dilation=dilation))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_conv1d_matches_conv2d_over_unit_height(dtype):
    x, w, b = rng.standard_normal((2, 4, 11)), rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    got = F.conv1d(to_kiln(x, dtype), to_kiln(w, dtype), to_kiln(b, dtype), stride=2, padding=2, dilation=2, groups=2)
    expected = conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 2), (1, 2), 2)[:, :, 0]
    close(got, expected, dtype, scale=10)
    same = F.conv1d(to_kiln(x[0], dtype), to_kiln(w[:, :2].repeat(2, 1), dtype), padding="same")
    assert tuple(same.shape) == (6, 11)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_conv_modules_padding_modes(mode, np_mode):
    conv = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode, dtype=kiln.float64)
    x = rng.standard_normal((2, 2, 5, 6))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=np_mode)
    close(conv(to_kiln(x)), conv2d(padded, conv.weight.numpy(), conv.bias.numpy()))
    conv1 = nn.Conv1d(2, 3, 3, padding="same", padding_mode=mode, bias=False, dtype=kiln.float64)
    x1 = rng.standard_normal((2, 2, 7))
    padded1 = np.pad(x1, ((0, 0), (0, 0), (1, 1)), mode=np_mode)
    close(conv1(to_kiln(x1)), conv2d(padded1[:, :, None], conv1.weight.numpy()[:, :, None])[:, :, 0])


@pytest.mark.parametrize("case", CONV_CASES[1:], ids=lambda c: "x".join(map(str, c[0])) + f"-g{c[6]}")
def test_conv2d_gradcheck(case):
    xs, ws, bias, stride, padding, dilation, groups = case
    small = (1, xs[1], min(xs[2], 6), min(xs[3], 6))
    arrays = [rng.standard_normal(small), rng.standard_normal(ws)] + ([rng.standard_normal(ws[0])] if bias else [])
    gradcheck(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, stride, padding, dilation, groups), *arrays)


def test_conv1d_and_same_padding_gradcheck():
    gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
              rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 2)), rng.standard_normal(3))
    gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2)),
              rng.standard_normal((1, 2, 4, 5)), rng.standard_normal((2, 2, 2, 2)))


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.conv2d(kiln.randn(2, 3), kiln.randn(4, 3, 3, 3)), RuntimeError,
     r"conv2d\(\): Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3\]"),
    (lambda: F.conv2d(kiln.randn(2, 3, 8, 8), kiln.randn(4, 4, 3, 3)), RuntimeError,
     r"Given groups=1, weight of size \[4, 4, 3, 3\], expected input\[2, 3, 8, 8\] to have 4 channels, but got 3"),
    (lambda: F.conv2d(kiln.randn(2, 4, 8, 8), kiln.randn(3, 2, 3, 3), groups=2), RuntimeError,
     r"Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size \[3, 2, 3, 3\]"),
    (lambda: F.conv2d(kiln.randn(2, 3, 8, 8), kiln.randn(4, 3, 9, 9)), RuntimeError,
     r"Calculated padded input size per channel: \(8 x 8\). Kernel size: \(9 x 9\). Kernel size can't be greater"),
    (lambda: F.conv2d(kiln.randn(2, 3, 8, 8), kiln.randn(4, 3, 3, 3), dilation=4), RuntimeError,
     r"Kernel size: \(9 x 9\)"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3, 3), stride=0), RuntimeError,
     r"non-positive stride is not supported \(stride=\[0, 0\]\)"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3, 3), padding=-1), RuntimeError,
     "negative padding is not supported"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3, 3), padding="same", stride=2), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3, 3), padding="full"), RuntimeError,
     "Invalid padding string: 'full'"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3, 3), stride=(1, 2, 3)), RuntimeError,
     r"expected stride to be a single integer value or a list of 2 values .* but got stride=\[1, 2, 3\]"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3, 3), kiln.randn(3)), RuntimeError,
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\]"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8, dtype=kiln.float64), kiln.randn(4, 3, 3, 3)), RuntimeError,
     r"conv2d\(\): expected input and weight to have the same dtype, but got input kiln.float64 and weight "
     r"kiln.float32"),
    (lambda: F.conv2d(kiln.ones(1, 3, 8, 8, dtype=kiln.int64), kiln.randn(4, 3, 3, 3)), RuntimeError,
     "expected a floating-point input"),
    (lambda: F.conv2d(kiln.randn(1, 3, 8, 8), kiln.randn(4, 3, 3)), RuntimeError,
     r"expected weight to be 4-dimensional .* but got weight of size \[4, 3, 3\]"),
    (lambda: F.conv1d(kiln.randn(2, 3, 8, 8), kiln.randn(4, 3, 3)), RuntimeError,
     r"conv1d\(\): Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, r"in_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, r"out_channels \(3\) must be divisible by groups \(2\)"),
    (lambda: nn.Conv2d(4, 4, 3, padding="same", stride=2), ValueError, "not supported for strided convolutions"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
])
def test_conv_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


POOL_CASES = [
    # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 2), (1, 2), (1, 0), (2, 1), False),
    ((2, 3), (3, 2), (1, 1), (1, 1), True),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", POOL_CASES, ids=str)
def test_max_pool2d_matches_numpy(case, dtype):
    kernel, stride, padding, dilation, ceil_mode = case
    x = rng.standard_normal((2, 3, 9, 8))
    got = F.max_pool2d(to_kiln(x, dtype), kernel, stride, padding, dilation, ceil_mode)
    close(got, pool2d(x.astype(np.float32) if dtype is kiln.float32 else x, kernel, stride, padding, dilation,
                      ceil_mode), dtype)
    module = nn.MaxPool2d(kernel, stride, padding, dilation, ceil_mode=ceil_mode)
    close(module(to_kiln(x[0], dtype)), got.numpy()[0].astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", POOL_CASES[:2] + POOL_CASES[3:], ids=str)
@pytest.mark.parametrize("count_include_pad,divisor", [(True, None), (False, None), (True, 5)])
def test_avg_pool2d_matches_numpy(case, count_include_pad, divisor, dtype):
    kernel, stride, padding, _, ceil_mode = case
    x = rng.standard_normal((2, 3, 9, 8))
    got = F.avg_pool2d(to_kiln(x, dtype), kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    close(got, pool2d(x, kernel, stride, padding, (1, 1), ceil_mode, "avg", count_include_pad, divisor), dtype)


def test_pool_noncontiguous_input_and_default_stride():
    x = rng.standard_normal((2, 3, 8, 6))
    view = to_kiln(x.transpose(0, 1, 3, 2).copy()).transpose(2, 3)
    close(F.max_pool2d(view, 2), pool2d(x, (2, 2), (2, 2), (0, 0)))
    close(nn.AvgPool2d(3)(view), pool2d(x, (3, 3), (3, 3), (0, 0), kind="avg"))


@pytest.mark.parametrize("out", [1, (3, 4), (4, 3), (None, 5), (2, 2), (9, 8)], ids=str)
def test_adaptive_avg_pool2d_matches_numpy(out):
    x = rng.standard_normal((2, 3, 9, 8))
    size = (out, out) if isinstance(out, int) else tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(out))
    close(F.adaptive_avg_pool2d(to_kiln(x), out), adaptive_avg_pool2d(x, size))
    close(nn.AdaptiveAvgPool2d(out)(to_kiln(x[0], kiln.float32)), adaptive_avg_pool2d(x[0], size), kiln.float32)


def test_pooling_gradcheck():
    x = rng.standard_normal((1, 2, 5, 6))
    gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    gradcheck(lambda t: F.avg_pool2d(t, (2, 3), 2, 1, divisor_override=4), x)
    gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), x)
    gradcheck(lambda t: F.adaptive_avg_pool2d(t, 1), x)


@pytest.mark.parametrize("call,match", [
    (lambda: F.max_pool2d(kiln.randn(2, 3, 8, 8), 3, padding=2), "pad should be at most half of effective kernel size, "
                                                                  "but got pad=2, kernel_size=3 and dilation=1"),
    (lambda: F.max_pool2d(kiln.randn(2, 3, 2, 2), 3), r"Given input size: \(3x2x2\). Calculated output size: "
                                                      r"\(3x0x0\). Output size is too small"),
    (lambda: F.avg_pool2d(kiln.randn(2, 3, 2, 2), 3), r"avg_pool2d\(\): Given input size: \(3x2x2\)"),
    (lambda: F.max_pool2d(kiln.randn(2, 3), 3), r"Expected 3D or 4D \(batch mode\) non-empty tensor for input, but "
                                                r"got input of size: \[2, 3\]"),
    (lambda: F.max_pool2d(kiln.randn(1, 3, 8, 8), 2, stride=0), r"stride should be greater than zero, but got "
                                                               r"stride=\[0, 0\]"),
    (lambda: F.max_pool2d(kiln.randn(1, 3, 8, 8), 0), "kernel size should be greater than zero"),
    (lambda: F.avg_pool2d(kiln.randn(1, 3, 8, 8), 2, divisor_override=0), "divisor must be not zero"),
    (lambda: F.avg_pool2d(kiln.ones(1, 3, 8, 8, dtype=kiln.int64), 2), "expected a floating-point input"),
    (lambda: F.adaptive_avg_pool2d(kiln.randn(2), 3), r"Expected 3D or 4D tensor, but got \[2\]"),
])
def test_pool_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
def test_pad_matches_numpy(mode, np_mode):
    x = rng.standard_normal((2, 3, 5, 4))
    for pad in [(1, 2), (2, 1, 0, 3), (3, 3, 1, 1, 1, 0)]:
        widths = [(0, 0)] * (4 - len(pad) // 2) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]
        close(F.pad(to_kiln(x), pad, mode), np.pad(x, widths, mode=np_mode))


def test_pad_constant_value_and_negative_amounts():
    x = rng.standard_normal((2, 5, 4))
    close(F.pad(to_kiln(x), (1, 2), value=2.5), np.pad(x, ((0, 0), (0, 0), (1, 2)), constant_values=2.5))
    close(F.pad(to_kiln(x), (-1, 2, 1, -3)), np.pad(x[:, :2, 1:], ((0, 0), (1, 0), (0, 2))))
    ints = kiln.arange(6).reshape(2, 3)
    assert F.pad(ints, (1, 1), value=-1).tolist() == [[-1, 0, 1, 2, -1], [-1, 3, 4, 5, -1]]
    gradcheck(lambda t: F.pad(t, (2, 1, 1, 2), mode="reflect"), rng.standard_normal((1, 3, 4)))
    gradcheck(lambda t: F.pad(t, (-1, 2), value=1.0), rng.standard_normal((2, 4)))


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.pad(kiln.randn(2, 3), (1,)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda: F.pad(kiln.randn(2, 3), (1, 1) * 3), RuntimeError, "Padding length should be less than or equal to two "
                                                                "times the input dimension but got padding length 6"),
    (lambda: F.pad(kiln.randn(2, 3), (1, 1), mode="mirror"), NotImplementedError, "Unrecognised padding mode mirror"),
    (lambda: F.pad(kiln.randn(2, 3), (3, 0), mode="reflect"), RuntimeError, r"padding \(3, 0\) is invalid for mode"),
    (lambda: F.pad(kiln.randn(2, 3), (-2, -2)), RuntimeError, "resulted in a negative output size"),
])
def test_pad_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_max_pool2d_backward():
    """Needs max_pool2d's vector-Jacobian product rule (being added to the dialect separately)."""
    x = rng.standard_normal((1, 2, 5, 6))
    gradcheck(lambda t: F.max_pool2d(t, 2), x)
    gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), x)
    t = to_kiln(x, requires_grad=True)
    F.max_pool2d(t, 2, ceil_mode=True).sum().backward()
    # each window's maximum gets a gradient of 1, every other element none
    expected = np.zeros_like(x)
    for i in range(0, 5, 2):
        for j in range(0, 6, 2):
            window = x[0, :, i:i + 2, j:j + 2].reshape(2, -1)
            for c in range(2):
                r, q = divmod(int(window[c].argmax()), 2)
                expected[0, c, i + r, j + q] += 1
    close(t.grad, expected)


def _conv_weight_grad_reference(x, g, k, stride, padding, dilation):
    """dL/dW of conv2d (float64): sum over batch and output positions of the window times the cotangent."""
    n, c, h, w = x.shape
    o, oh, ow = g.shape[1], g.shape[2], g.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dw = np.zeros((o, c, k, k))
    for i in range(k):
        for j in range(k):
            window = xp[:, :, i * dilation: i * dilation + stride * (oh - 1) + 1: stride,
                        j * dilation: j * dilation + stride * (ow - 1) + 1: stride]
            dw[:, :, i, j] = np.einsum("nchw,nohw->oc", window, g)
    return dw


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 1)])
def test_conv2d_weight_gradient_of_large_images(stride, padding, dilation):
    """Images larger than the kernel: the weight gradient runs as oneDNN's backward-weights convolution."""
    rng = np.random.default_rng(stride * 10 + padding + dilation)
    x = rng.standard_normal((6, 3, 14, 13)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    xt, wt = kiln.from_numpy(x), kiln.from_numpy(w).requires_grad_()
    y = F.conv2d(xt, wt, stride=stride, padding=padding, dilation=dilation)
    g = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    (y * kiln.from_numpy(g)).sum().backward()
    expected = _conv_weight_grad_reference(x.astype(np.float64), g.astype(np.float64), 3, stride, padding, dilation)
    np.testing.assert_allclose(wt.grad.numpy(), expected, rtol=1e-4, atol=1e-3)
