"""Shared set-up for the bench_* modules: optional PyTorch, seeded data, torch.compile wrapping."""
import numpy as np

# Kiln first, as in a Kiln user's process: PyTorch puts its own GNU OpenMP in
# the global symbol scope, and if it is loaded first, oneDNN binds to it
# instead of to the LLVM OpenMP that Kiln's loops use (two thread pools
# handing over at every matmul, docs/performance.md).
import kiln  # noqa: F401

try:
    import torch
except ImportError:  # make bench installs it; a plain .venv run reports n/a
    torch = None


def rng():
    return np.random.default_rng(0)


def torch_impls(fn, *arrays):
    """{'torch': eager fn, 'torch.compile': compiled fn} over torch tensors sharing the arrays' data."""
    if torch is None:
        return {}
    tensors = [torch.from_numpy(a) for a in arrays]

    def eager():
        with torch.no_grad():
            return fn(*tensors)

    if not hasattr(torch, "compile"):  # Debian's PyTorch 1.13
        return {"torch": eager}
    compiled = torch.compile(fn)
    with torch.no_grad():
        compiled(*tensors)  # compile outside the timed region

    def comp():
        with torch.no_grad():
            return compiled(*tensors)

    return {"torch": eager, "torch.compile": comp}


def kiln_impl(compiled, *arrays):
    """{'kiln': call} for a compiled Kiln function over tensors sharing the arrays' data."""
    if compiled is None:
        return {}
    import kiln
    tensors = [kiln.from_numpy(a) for a in arrays]
    return {"kiln": lambda: compiled(*tensors)}
