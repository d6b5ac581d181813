"""kiln.nn batch, layer and group normalization against NumPy: running statistics, modes, gradients, errors."""
import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
from nn_reference import close, normalize, to_kiln

rng = np.random.default_rng(2)
DTYPES = [kiln.float32, kiln.float64]


def gradcheck(fn, *arrays):
    inputs = [to_kiln(a, requires_grad=True) for a in arrays]
    weights = to_kiln(rng.standard_normal(tuple(fn(*inputs).shape)))
    assert kiln.autograd.gradcheck(lambda *a: (fn(*a) * weights).sum(), inputs)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 4, 2)], ids=str)
def test_batch_norm_functional_matches_numpy(shape, dtype):
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.random(3) + 0.5, rng.standard_normal(3)
    dims = (0,) + tuple(range(2, len(shape)))
    cshape = (1, 3) + (1,) * (len(shape) - 2)
    got = F.batch_norm(to_kiln(x, dtype), None, None, to_kiln(w, dtype), to_kiln(b, dtype), training=True)
    assert got.dtype is dtype
    close(got, normalize(x, dims, 1e-5) * w.reshape(cshape) + b.reshape(cshape), dtype, scale=5)
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    got = F.batch_norm(to_kiln(x, dtype), to_kiln(mean, dtype), to_kiln(var, dtype), eps=1e-3)
    close(got, (x - mean.reshape(cshape)) / np.sqrt(var.reshape(cshape) + 1e-3), dtype, scale=5)


@pytest.mark.parametrize("momentum", [0.1, 0.5, None], ids=str)
def test_batch_norm_module_running_statistics(momentum):
    layer = nn.BatchNorm2d(3, momentum=momentum, dtype=kiln.float64)
    mean, var = np.zeros(3), np.ones(3)
    batches = [rng.standard_normal((4, 3, 2, 3)) * s + s for s in (1.0, 2.0, 3.0)]
    for step, x in enumerate(batches, 1):
        close(layer(to_kiln(x)), normalize(x, (0, 2, 3), 1e-5))
        factor = 1 / step if momentum is None else momentum
        mean = (1 - factor) * mean + factor * x.mean((0, 2, 3))
        var = (1 - factor) * var + factor * x.var((0, 2, 3), ddof=1)  # unbiased for the running variance
        close(layer.running_mean, mean)
        close(layer.running_var, var)
        assert layer.num_batches_tracked.item() == step and layer.num_batches_tracked.dtype is kiln.int64
    layer.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    close(layer(to_kiln(x)), (x - mean.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5))
    assert layer.num_batches_tracked.item() == 3  # eval mode leaves the statistics alone


def test_batch_norm_running_stats_stay_lazy():
    """The in-place running-statistics update is recorded, not run: the forward materializes nothing."""
    layer = nn.BatchNorm1d(4)
    x = kiln.randn(8, 4)
    kiln.sync()
    before = kiln._trace.stats()["materializations"]
    y = layer(x)
    assert kiln._trace.stats()["materializations"] == before
    assert layer.running_mean._is_pending and layer.running_var._is_pending
    y.sum().item()
    assert not layer.running_mean._is_pending


def test_batch_norm_options():
    x = rng.standard_normal((5, 3, 4))
    plain = nn.BatchNorm1d(3, affine=False, track_running_stats=False, dtype=kiln.float64)
    assert plain.weight is None and plain.running_mean is None and list(plain.state_dict()) == []
    close(plain(to_kiln(x)), normalize(x, (0, 2), 1e-5))
    plain.eval()  # without running statistics, eval mode still uses the batch's
    close(plain(to_kiln(x)), normalize(x, (0, 2), 1e-5))
    layer = nn.BatchNorm1d(3, eps=1e-2)
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert layer.weight.numpy().tolist() == [1, 1, 1] and layer.bias.numpy().tolist() == [0, 0, 0]
    close(layer(to_kiln(x[:, :, 0], kiln.float32)), normalize(x[:, :, 0], (0,), 1e-2), kiln.float32)
    layer.reset_running_stats()
    assert layer.num_batches_tracked.item() == 0 and layer.running_var.numpy().tolist() == [1, 1, 1]
    half = F.batch_norm(to_kiln(x, kiln.float16), None, None, training=True)
    assert half.dtype is kiln.float16
    close(half, normalize(x, (0, 2), 1e-5), kiln.float16, scale=3)


def test_batch_norm_gradcheck():
    gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
              rng.standard_normal((4, 3, 2)), rng.random(3) + 0.5, rng.standard_normal(3))
    mean, var = to_kiln(rng.standard_normal(2)), to_kiln(rng.random(2) + 0.5)
    gradcheck(lambda x, w: F.batch_norm(x, mean, var, w), rng.standard_normal((3, 2)), rng.random(2))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((3, 5), (3, 5))], ids=str)
def test_layer_norm_matches_numpy(shape, normalized, dtype):
    x = rng.standard_normal(shape) * 3 + 2
    w, b = rng.random(normalized) + 0.5, rng.standard_normal(normalized)
    dims = tuple(range(len(shape) - len(normalized), len(shape)))
    close(F.layer_norm(to_kiln(x, dtype), normalized, to_kiln(w, dtype), to_kiln(b, dtype)),
          normalize(x, dims, 1e-5) * w + b, dtype, scale=5)
    layer = nn.LayerNorm(normalized, eps=1e-3, dtype=dtype)
    close(layer(to_kiln(x, dtype)), normalize(x, dims, 1e-3), dtype, scale=5)
    view = to_kiln(np.swapaxes(x, 0, -1).copy(), dtype).transpose(0, -1)
    close(layer(view), normalize(x, dims, 1e-3), dtype, scale=5)


def test_layer_norm_options_and_gradcheck():
    layer = nn.LayerNorm(4, elementwise_affine=False)
    assert layer.weight is None and list(layer.parameters()) == []
    assert nn.LayerNorm(4, bias=False).bias is None
    gradcheck(lambda x, w, b: F.layer_norm(x, (2, 3), w, b), rng.standard_normal((2, 2, 3)),
              rng.random((2, 3)) + 0.5, rng.standard_normal((2, 3)))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 6, 5), 2), ((3, 4, 2, 3), 4), ((2, 4, 3, 3), 1)], ids=str)
def test_group_norm_matches_numpy(shape, groups, dtype):
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.random(shape[1]) + 0.5, rng.standard_normal(shape[1])
    grouped = x.reshape(shape[0], groups, -1)
    expected = normalize(grouped, (2,), 1e-5).reshape(shape)
    cshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    close(F.group_norm(to_kiln(x, dtype), groups, to_kiln(w, dtype), to_kiln(b, dtype)),
          expected * w.reshape(cshape) + b.reshape(cshape), dtype, scale=5)
    layer = nn.GroupNorm(groups, shape[1], dtype=dtype)
    close(layer(to_kiln(x, dtype)), expected, dtype, scale=5)


def test_group_norm_gradcheck():
    gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), rng.standard_normal((2, 4, 3)), rng.random(4) + 0.5,
              rng.standard_normal(4))


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.batch_norm(kiln.randn(2, 3, 8, 8), kiln.zeros(4), kiln.ones(4)), RuntimeError,
     r"batch_norm\(\): running_mean should contain 3 elements not 4"),
    (lambda: F.batch_norm(kiln.randn(1, 3), kiln.zeros(3), kiln.ones(3), training=True), ValueError,
     r"Expected more than 1 value per channel when training, got input size kiln.Size\(\[1, 3\]\)"),
    (lambda: nn.BatchNorm2d(3)(kiln.randn(2, 3, 4)), ValueError, r"BatchNorm2d: expected 4D input \(got 3D input\)"),
    (lambda: nn.BatchNorm1d(3)(kiln.randn(2, 3, 4, 5)), ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    (lambda: F.layer_norm(kiln.randn(2, 3), (4,)), RuntimeError,
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size\[2, 3\]"),
    (lambda: F.layer_norm(kiln.randn(2, 4), (4,), kiln.ones(3)), RuntimeError,
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[3\]"),
    (lambda: F.group_norm(kiln.randn(2, 6, 4), 4), RuntimeError,
     r"Expected number of channels in input to be divisible by num_groups, but got input of shape \[2, 6, 4\] and "
     r"num_groups=4"),
    (lambda: nn.GroupNorm(4, 6), ValueError, r"num_channels \(6\) must be divisible by num_groups \(4\)"),
    (lambda: F.layer_norm(kiln.ones(2, 4, dtype=kiln.int64), (4,)), RuntimeError, "expected a floating-point input"),
])
def test_norm_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
