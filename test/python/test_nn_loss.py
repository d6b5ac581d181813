"""kiln.nn losses (functional and module forms) against NumPy references, their gradients and PyTorch's errors."""
import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
import nn_reference as ref
from nn_reference import close, to_kiln

rng = np.random.default_rng(3)
DTYPES = [kiln.float32, kiln.float64]
REDUCTIONS = ["mean", "sum", "none"]


def gradcheck(fn, *arrays):
    inputs = [to_kiln(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = to_kiln(rng.standard_normal(tuple(out.shape)))
    assert kiln.autograd.gradcheck(lambda *a: (fn(*a) * weights).sum(), inputs)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted,smoothing", [(False, 0.0), (True, 0.0), (False, 0.2), (True, 0.1)], ids=str)
def test_cross_entropy_class_indices(weighted, smoothing, reduction, dtype):
    x = rng.standard_normal((6, 5)) * 2
    target = np.array([1, 0, 4, -100, 2, 4])
    weight = rng.random(5) + 0.5 if weighted else None
    got = F.cross_entropy(to_kiln(x, dtype), to_kiln(target), None if weight is None else to_kiln(weight, dtype),
                          reduction=reduction, label_smoothing=smoothing)
    assert got.dtype is dtype
    close(got, ref.cross_entropy(x, target, weight, -100, reduction, smoothing), dtype, scale=5)
    module = nn.CrossEntropyLoss(None if weight is None else to_kiln(weight, dtype), reduction=reduction,
                                 label_smoothing=smoothing)
    close(module(to_kiln(x, dtype), to_kiln(target)), ref.cross_entropy(x, target, weight, -100, reduction, smoothing),
          dtype, scale=5)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("ignore_index", [-100, 3, 4], ids=lambda i: f"ignore{i}")
def test_cross_entropy_targets_none_ignored(ignore_index, reduction, dtype):
    # No target equals ignore_index: the losses skip the weights (a mean divides by the count); ignore_index 3 lies
    # inside the targets' range without occurring (the general path); 4 occurs in the uint8 target only.
    x = rng.standard_normal((7, 5)) * 2
    target = np.array([1, 0, 4, 2, 2, 0, 1])
    for t in (target, target.astype(np.uint8)):
        got = F.cross_entropy(to_kiln(x, dtype), to_kiln(t), ignore_index=ignore_index, reduction=reduction)
        assert got.dtype is dtype
        close(got, ref.cross_entropy(x, t, None, ignore_index, reduction), dtype, scale=5)
        close(F.nll_loss(to_kiln(ref.log_softmax(x, 1), dtype), to_kiln(t), ignore_index=ignore_index,
                         reduction=reduction),
              ref.nll(ref.log_softmax(x, 1), t, None, ignore_index, reduction), dtype, scale=5)
    if dtype is kiln.float64:
        gradcheck(lambda a: F.cross_entropy(a, to_kiln(target), ignore_index=ignore_index, reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_k_dimensional_and_ignore_index(reduction):
    x = rng.standard_normal((2, 4, 3, 5))
    target = rng.integers(0, 4, (2, 3, 5))
    weight = rng.random(4) + 0.5
    close(F.cross_entropy(to_kiln(x), to_kiln(target), to_kiln(weight), ignore_index=2, reduction=reduction,
                          label_smoothing=0.1),
          ref.cross_entropy(x, target, weight, 2, reduction, 0.1))
    view = to_kiln(x.transpose(0, 2, 3, 1).copy()).permute(0, 3, 1, 2)
    close(F.cross_entropy(view, to_kiln(target), reduction=reduction), ref.cross_entropy(x, target, None, -100,
                                                                                          reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_probabilities(reduction):
    x = rng.standard_normal((4, 5, 2))
    p = rng.random((4, 5, 2))
    p /= p.sum(1, keepdims=True)
    weight = rng.random(5) + 0.5
    close(F.cross_entropy(to_kiln(x), to_kiln(p), reduction=reduction), ref.cross_entropy(x, p, None, -100, reduction))
    close(F.cross_entropy(to_kiln(x), to_kiln(p), to_kiln(weight), reduction=reduction, label_smoothing=0.3),
          ref.cross_entropy(x, p, weight, -100, reduction, 0.3))


def test_cross_entropy_unbatched_input():
    x = rng.standard_normal(5)
    close(F.cross_entropy(to_kiln(x), to_kiln(np.array(3))), -ref.log_softmax(x, 0)[3])
    close(F.cross_entropy(to_kiln(x), to_kiln(np.array(3)), reduction="none"), -ref.log_softmax(x, 0)[3])
    p = rng.random(5)
    close(F.cross_entropy(to_kiln(x), to_kiln(p)), -(ref.log_softmax(x, 0) * p).sum())


def test_cross_entropy_gradcheck():
    target = to_kiln(np.array([1, 0, -100, 2]))
    weight = to_kiln(rng.random(3) + 0.5)
    gradcheck(lambda x: F.cross_entropy(x, target, weight, label_smoothing=0.2), rng.standard_normal((4, 3)))
    gradcheck(lambda x: F.cross_entropy(x, target, reduction="none"), rng.standard_normal((4, 3)))
    gradcheck(lambda x, p: F.cross_entropy(x, p), rng.standard_normal((2, 3, 2)), rng.random((2, 3, 2)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    lp = ref.log_softmax(rng.standard_normal((5, 4, 3)), 1)
    target = rng.integers(0, 4, (5, 3))
    weight = rng.random(4) + 0.5
    close(F.nll_loss(to_kiln(lp), to_kiln(target), to_kiln(weight), ignore_index=1, reduction=reduction),
          ref.nll(lp, target, weight, 1, reduction))
    close(nn.NLLLoss(reduction=reduction)(to_kiln(lp[:, :, 0]), to_kiln(target[:, 0])),
          ref.nll(lp[:, :, 0], target[:, 0], None, -100, reduction))
    gradcheck(lambda x: F.nll_loss(x, to_kiln(target), to_kiln(weight), reduction=reduction), lp)


REGRESSION = [
    ("mse_loss", nn.MSELoss, {}, lambda d: d**2),
    ("l1_loss", nn.L1Loss, {}, np.abs),
    ("smooth_l1_loss", nn.SmoothL1Loss, {}, lambda d: np.where(np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5)),
    ("smooth_l1_loss", nn.SmoothL1Loss, {"beta": 0.5},
     lambda d: np.where(np.abs(d) < 0.5, d**2, np.abs(d) - 0.25)),
    ("smooth_l1_loss", nn.SmoothL1Loss, {"beta": 0.0}, np.abs),
    ("huber_loss", nn.HuberLoss, {"delta": 0.7},
     lambda d: np.where(np.abs(d) < 0.7, 0.5 * d**2, 0.7 * (np.abs(d) - 0.35))),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,module,kwargs,expected", REGRESSION,
                         ids=[f"{r[0]}{list(r[2].values())}" for r in REGRESSION])
def test_regression_losses(name, module, kwargs, expected, reduction, dtype):
    x, y = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    want = ref.reduce(expected(x - y), reduction)
    close(getattr(F, name)(to_kiln(x, dtype), to_kiln(y, dtype), reduction=reduction, **kwargs), want, dtype, 5)
    close(module(reduction=reduction, **kwargs)(to_kiln(x, dtype), to_kiln(y, dtype)), want, dtype, 5)


def test_regression_losses_gradcheck_and_broadcast_warning():
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        gradcheck(lambda a, b: getattr(F, name)(a, b, reduction="none"), rng.standard_normal((3, 4)),
                  rng.standard_normal((3, 4)))
    with pytest.warns(UserWarning, match=r"mse_loss\(\): Using a target size \(kiln.Size\(\[4\]\)\) that is "
                                         r"different to the input size \(kiln.Size\(\[3, 4\]\)\)"):
        got = F.mse_loss(kiln.ones(3, 4), kiln.zeros(4))
    assert got.item() == 1.0
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert F.l1_loss(kiln.ones(3), kiln.zeros(3), reduce=False).shape == (3,)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p, t, w = rng.random((4, 3)) * 0.98 + 0.01, rng.random((4, 3)), rng.random(3) + 0.5
    want = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    close(F.binary_cross_entropy(to_kiln(p), to_kiln(t), reduction=reduction), ref.reduce(want, reduction))
    close(nn.BCELoss(to_kiln(w), reduction=reduction)(to_kiln(p), to_kiln(t)), ref.reduce(want * w, reduction))
    # log clamped at -100 (PyTorch's rule): a certain, wrong prediction costs 100, not inf
    close(F.binary_cross_entropy(to_kiln(np.array([0.0, 1.0])), to_kiln(np.array([1.0, 0.0])), reduction="none"),
          np.array([100.0, 100.0]))
    gradcheck(lambda a: F.binary_cross_entropy(a, to_kiln(t), to_kiln(w), reduction=reduction), p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction):
    x, t = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
    x[0] = [60.0, -60.0, 0.0]
    w, pw = rng.random(3) + 0.5, rng.random(3) * 3
    log_sig, log_one_minus = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    want = -(pw * t * log_sig + (1 - t) * log_one_minus) * w
    close(F.binary_cross_entropy_with_logits(to_kiln(x), to_kiln(t), to_kiln(w), reduction=reduction,
                                             pos_weight=to_kiln(pw)), ref.reduce(want, reduction))
    module = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=to_kiln(pw))
    assert list(module.state_dict()) == ["pos_weight"]
    close(module(to_kiln(x), to_kiln(t)), ref.reduce(-(pw * t * log_sig + (1 - t) * log_one_minus), reduction))
    close(F.binary_cross_entropy_with_logits(to_kiln(x, kiln.float32), to_kiln(t, kiln.float32), reduction=reduction),
          ref.reduce(-(t * log_sig + (1 - t) * log_one_minus), reduction), kiln.float32, scale=5)
    gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, to_kiln(t[1:]), pos_weight=to_kiln(pw),
                                                           reduction=reduction), x[1:])


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1, 2, 7])), IndexError,
     r"cross_entropy\(\): Target 7 is out of bounds \(class indices must be in \[0, 5\) or equal ignore_index=-100\)"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1, -2, 0])), IndexError, "Target -2 is out of bounds"),
    (lambda: F.nll_loss(kiln.randn(3, 5), kiln.tensor([1, 2, 5])), IndexError, r"nll_loss\(\): Target 5 is out of"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1, 2])), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(2\)"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1.0, 2.0, 3.0])), RuntimeError,
     "expected target dtype to be Long or Byte .* but got kiln.float32"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.ones(3, 5, dtype=kiln.int64)), RuntimeError,
     "Expected floating point type for target with class probabilities, got kiln.int64"),
    (lambda: F.cross_entropy(kiln.randn(3, 5, 2), kiln.zeros(3, 3, dtype=kiln.int64)), RuntimeError,
     r"Expected target size \[3, 2\], got \[3, 3\]"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1, 2, 3]), weight=kiln.ones(4)), RuntimeError,
     r"weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: \[4\]"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1, 2, 3]), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.cross_entropy(kiln.randn(3, 5), kiln.tensor([1, 2, 3]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(kiln.randn(5), kiln.tensor([1, 2])), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    (lambda: F.nll_loss(kiln.randn(3, 5), kiln.zeros(3, 2, dtype=kiln.int64)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.binary_cross_entropy(kiln.rand(3), kiln.rand(3, 1)), ValueError,
     r"Using a target size \(kiln.Size\(\[3, 1\]\)\) that is different to the input size \(kiln.Size\(\[3\]\)\) is "
     "deprecated"),
    (lambda: F.binary_cross_entropy_with_logits(kiln.rand(3), kiln.rand(3, 1)), ValueError,
     r"Target size \(kiln.Size\(\[3, 1\]\)\) must be the same as input size \(kiln.Size\(\[3\]\)\)"),
    (lambda: F.smooth_l1_loss(kiln.rand(3), kiln.rand(3), beta=-1), RuntimeError,
     "smooth_l1_loss does not support negative values for beta"),
    (lambda: nn.MSELoss(reduction="avg"), ValueError, "avg is not a valid value for reduction"),
])
def test_loss_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
