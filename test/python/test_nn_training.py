"""End to end: small models built from kiln.nn train with plain SGD written inline, one compiled program per step."""
import numpy as np

import kiln
import kiln.nn as nn
import kiln.nn.functional as F


def _classification_problem(n=128, features=8, classes=3, seed=0):
    """Points labelled by the argmax of a fixed random linear map: separable, so the loss can go near zero."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    labels = (x @ rng.standard_normal((features, classes))).argmax(1)
    return kiln.from_numpy(x), kiln.from_numpy(labels)


def _sgd_step(model, lr):
    with kiln.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    model.zero_grad()


def test_mlp_trains_with_sgd_and_steady_steps_compile_nothing():
    kiln.manual_seed(0)
    x, y = _classification_problem()
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
    losses, compiles, runs = [], [], []
    for _ in range(50):
        before = kiln._trace.stats()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        _sgd_step(model, 0.5)
        losses.append(loss.item())
        after = kiln._trace.stats()
        compiles.append(after["compiles"] - before["compiles"])
        runs.append(after["materializations"] - before["materializations"])
    assert losses[0] > 0.8 and losses[-1] < 0.15, losses
    assert all(r == 1 for r in runs[2:]), runs  # forward, backward and update run as one program
    assert sum(compiles[2:]) == 0, compiles
    predictions = model(x).argmax(1).numpy()
    assert (predictions == y.numpy()).mean() > 0.95


def test_regularized_model_steady_state():
    """Dropout (a fresh mask each step), batch norm with a cumulative average (momentum=None: its factor is a tensor)
    and gradient clipping keep the step's program the same from one step to the next."""
    kiln.manual_seed(1)
    x, y = _classification_problem(seed=1)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16, momentum=None), nn.GELU(), nn.Dropout(0.1),
                          nn.Linear(16, 3))
    losses, compiles = [], []
    for _ in range(8):
        before = kiln._trace.stats()["compiles"]
        loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        _sgd_step(model, 0.3)
        losses.append(loss.item())
        compiles.append(kiln._trace.stats()["compiles"] - before)
    assert sum(compiles[2:]) == 0, compiles
    assert losses[-1] < losses[0]
    assert model[1].num_batches_tracked.item() == 8


def test_conv_net_trains():
    kiln.manual_seed(2)
    rng = np.random.default_rng(2)
    images = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    labels = (images[:, 0, :4].mean((1, 2)) > images[:, 0, 4:].mean((1, 2))).astype(np.int64)  # top vs bottom half
    x, y = kiln.from_numpy(images), kiln.from_numpy(labels)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(4, 4, 3, stride=2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        _sgd_step(model, 0.5)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_converted_model_keeps_one_program_per_step():
    """Module.double() replaces the parameters' values; they get memory again, so the updates do not pile up."""
    x, y = _classification_problem(n=32, seed=3)
    model = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    x = x.double()
    compiles = []
    for _ in range(6):
        before = kiln._trace.stats()["compiles"]
        F.cross_entropy(model(x), y).backward()
        _sgd_step(model, 0.1)
        model[0].weight.sum().item()
        compiles.append(kiln._trace.stats()["compiles"] - before)
    assert sum(compiles[2:]) == 0, compiles
