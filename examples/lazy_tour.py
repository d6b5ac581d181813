"""A short tour of the lazy trace (no data needed, a few seconds): NumPy arrays shared without a copy, writes through
views, and eager PyTorch-style code on Kiln tensors recorded lazily, compiled once per structure through the Kiln
dialect and the JIT, served from the cache on later steps, checked against NumPy."""
import time

import numpy as np

import kiln


def forward(x, w1, b1, w2, b2):
    """A two-layer perceptron with a GELU and a softmax, written as a PyTorch user would."""
    h = kiln.gelu(x @ w1 + b1)
    return kiln.softmax(h @ w2 + b2, dim=-1)


def forward_numpy(x, w1, b1, w2, b2):
    from math import erf

    h = x @ w1 + b1
    h = 0.5 * h * (1 + np.vectorize(erf)(h / np.sqrt(2)))
    logits = h @ w2 + b2
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def main():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((4, 6)).astype(np.float32)
    x = kiln.from_numpy(x_np)  # shares memory with x_np
    print("x =", x)
    view = x.T[1:5:2]
    print("x.T[1:5:2] =", view, "stride", view.stride(), "contiguous:", view.is_contiguous())
    view.mul_(10)  # an in-place write through a view reaches the NumPy array
    print("after x.T[1:5:2].mul_(10), x_np[0, 1] =", x_np[0, 1])

    weights = [kiln.randn(64, 128) * 0.1, kiln.zeros(128), kiln.randn(128, 10) * 0.1, kiln.zeros(10)]
    weights_np = [w.numpy() for w in weights]
    kiln._trace.reset_stats()
    for step in range(5):
        batch = rng.standard_normal((32, 64)).astype(np.float32)
        start = time.perf_counter()
        probs = forward(kiln.from_numpy(batch), *weights)  # recorded, not yet run
        pending = probs._is_pending
        values = probs.numpy()  # materializes: compiles on the first step, a cache hit afterwards
        ms = (time.perf_counter() - start) * 1e3
        error = np.abs(values - forward_numpy(batch, *weights_np)).max()
        print(f"step {step}: pending before numpy(): {pending}, {ms:6.2f} ms, max |kiln - numpy| = {error:.2e}")
        assert error < 1e-4, error
    print(kiln.argmax(probs, dim=1))
    kiln.explain()


if __name__ == "__main__":
    main()
