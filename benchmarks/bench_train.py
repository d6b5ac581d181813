"""A training step through autograd: MLP 784-512-512-10, batch 128, softmax cross-entropy, forward + backward + SGD,
beside PyTorch eager, torch.compile and the step's eight matmuls called in oneDNN directly."""
import numpy as np

import onednn
from common import rng, torch
from harness import Case

BATCH, SIZES, LR = 128, (784, 512, 512, 10), 0.01


def data():
    g = rng()
    x = g.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = g.integers(0, SIZES[-1], BATCH)
    weights = [(g.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32) for i, o in zip(SIZES, SIZES[1:])]
    biases = [np.zeros(o, np.float32) for o in SIZES[1:]]
    return x, y, weights, biases


def kiln_step():
    import kiln

    x_np, y_np, weights, biases = data()
    x, y = kiln.from_numpy(x_np), kiln.from_numpy(y_np)
    params = [kiln.tensor(a).requires_grad_() for pair in zip(weights, biases) for a in pair]

    def step():
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = kiln.relu(h)
        loss = -kiln.log_softmax(h, dim=1).gather(1, y.unsqueeze(1)).mean()
        loss.backward()
        with kiln.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss.item()

    return step


def torch_steps():
    if torch is None:
        return {}
    x_np, y_np, weights, biases = data()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def make():
        params = [torch.tensor(a.copy(), requires_grad=True) for pair in zip(weights, biases) for a in pair]

        def loss_fn():
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i + 2 < len(params):
                    h = torch.relu(h)
            return torch.nn.functional.cross_entropy(h, y)

        return params, loss_fn

    def stepper(params, loss_fn):
        def step():
            loss = loss_fn()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= LR * p.grad
                    p.grad = None
            return loss.item()

        return step

    eager_params, eager_loss = make()
    impls = {"torch": stepper(eager_params, eager_loss)}
    if hasattr(torch, "compile"):  # PyTorch 2 (Debian's 1.13 has none)
        compiled_params, compiled_loss = make()
        compiled = stepper(compiled_params, torch.compile(compiled_loss))
        compiled()  # compile outside the timed region
        impls["torch.compile"] = compiled
    return impls


def matmuls_only():
    """The eight matmuls of a step (3 forward, 3 weight gradients, 2 input gradients), in oneDNN directly."""
    g = rng()
    shapes = []
    for i, o in zip(SIZES, SIZES[1:]):
        shapes.append((BATCH, i, o))  # forward: h @ w
        shapes.append((i, BATCH, o))  # weight gradient: h^T @ dy
    for i, o in list(zip(SIZES, SIZES[1:]))[1:]:
        shapes.append((BATCH, o, i))  # input gradient: dy @ w^T
    calls = []
    for m, k, n in shapes:
        a = g.standard_normal((m, k)).astype(np.float32)
        b = g.standard_normal((k, n)).astype(np.float32)
        c = np.empty((m, n), np.float32)
        call = onednn.matmul_impl(a, b, c)
        if call is None:
            return None
        calls.append((call, a, b, c))

    def run():
        for call, *_ in calls:
            call()

    return run


def setup():
    impls = {"kiln": kiln_step()}
    impls.update(torch_steps())
    direct = matmuls_only()
    if direct is not None:
        impls["onednn"] = direct
    # Steady state: the first steps compile, and glibc's malloc only stops
    # mapping fresh pages for large buffers once it has seen them freed.
    for fn in impls.values():
        for _ in range(30):
            fn()
    return impls


def cases():
    return [Case("MLP 784-512-512-10 train step (batch 128)", "ms", setup, target=(None, "onednn", 1.3),
                 note="forward + backward + SGD; onednn = the step's 8 matmuls alone. Target: <= 1.3x of them, "
                      "and faster than torch and torch.compile")]
