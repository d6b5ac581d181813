"""Eager code through the lazy trace: the cost of recording one op, a 100-op chain end to end, and tanh-GELU written as eager ops."""
import numpy as np

from common import rng, torch
from harness import Case

SMALL = 16
RECORDED = 1000
N = 16 * 1024 * 1024


def record_setup():
    import kiln

    x = kiln.from_numpy(np.ones(SMALL, np.float32))
    w = kiln.from_numpy(np.full(SMALL, 1.0001, np.float32))

    def record():
        for _ in range(RECORDED):
            x * w

    impls = {"kiln": record}
    if torch is not None:
        tx, tw = torch.ones(SMALL), torch.full((SMALL,), 1.0001)

        def eager():
            with torch.no_grad():
                for _ in range(RECORDED):
                    tx * tw

        impls["torch"] = eager
    return impls


def chain(x, w, b, tanh):
    """100 elementwise ops: multiply-add pairs, with a tanh in place of every tenth add."""
    for i in range(50):
        x = x * w
        x = x + b if i % 5 else tanh(x)
    return x


def chain_setup():
    import kiln

    arrays = [np.ones(SMALL, np.float32), np.full(SMALL, 0.999, np.float32), np.full(SMALL, 0.001, np.float32)]
    tensors = [kiln.from_numpy(a) for a in arrays]
    impls = {"kiln": lambda: chain(*tensors, kiln.tanh).numpy(), "numpy": lambda: chain(*arrays, np.tanh)}
    if torch is not None:
        torch_tensors = [torch.from_numpy(a) for a in arrays]

        def eager():
            with torch.no_grad():
                return chain(*torch_tensors, torch.tanh).numpy()

        impls["torch"] = eager
    return impls


def gelu(x, tanh):
    x3 = x * x * x
    return (0.5 * x) * (1.0 + tanh(0.7978845608 * (x + 0.044715 * x3)))


def gelu_setup():
    import kiln

    x = rng().standard_normal(N).astype(np.float32)
    kx = kiln.from_numpy(x)
    impls = {"kiln": lambda: kiln.sync(gelu(kx, kiln.tanh))}
    if torch is not None:
        tx = torch.from_numpy(x)

        def eager():
            with torch.no_grad():
                return gelu(tx, torch.tanh)

        impls["torch"] = eager
    return impls


def cases():
    return [
        Case(f"record {RECORDED} small ops (x * w, {SMALL} f32)", "us", record_setup, target=("at_most", 1.0 * RECORDED),
             note="kiln records without running; torch runs each op eagerly. Target: at most 1.0 us per recorded op"),
        Case(f"100-op chain on {SMALL} f32, end to end", "us", chain_setup, target=(None, "torch", 1 / 3),
             note="record, look up the program, run it, read the result; target: 3x faster than PyTorch eager"),
        Case("tanh-GELU as eager ops, 16M f32", "GB/s", gelu_setup, work=2 * 4 * N,
             target=("tanh-GELU 9 ops, 16M f32", "kiln", 1 / 1.3),
             note="the same 9 ops recorded from Python; target: within 1.3x of the compiled kernel called directly"),
    ]
