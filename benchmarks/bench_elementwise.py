"""Memory-bound elementwise work: the copy roofline and tanh-GELU as 9 primitive ops on 16M float32."""
import numpy as np

from common import kiln_impl, rng, torch, torch_impls
from harness import Case
from kiln_kernels import compile_kernel, gelu_tanh_9ops

N = 16 * 1024 * 1024
COPY_ELEMENTS = 64 * 1024 * 1024  # 256 MB of float32


def gelu_numpy(x):
    x3 = x * x * x
    return (0.5 * x) * (1.0 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x3)))


def gelu_torch(x):
    x3 = x * x * x
    return (0.5 * x) * (1.0 + torch.tanh(0.7978845608 * (x + 0.044715 * x3)))


def copy_setup():
    src = np.ones(COPY_ELEMENTS, dtype=np.float32)
    dst = np.empty_like(src)
    impls = {"numpy": lambda: np.copyto(dst, src)}
    if torch is not None:
        ts, td = torch.from_numpy(src), torch.from_numpy(dst)
        impls["torch"] = lambda: td.copy_(ts)
    return impls


def gelu_setup():
    x = rng().standard_normal(N).astype(np.float32)
    impls = kiln_impl(compile_kernel(gelu_tanh_9ops(N), "gelu"), x)
    impls["numpy"] = lambda: gelu_numpy(x)
    impls.update(torch_impls(gelu_torch, x))
    return impls


def cases():
    return [
        Case("copy 256 MB", "GB/s", copy_setup, work=2 * 4 * COPY_ELEMENTS,
             note="read + write bytes per second: the machine's copy bandwidth, the roofline of the memory-bound cases"),
        Case("tanh-GELU 9 ops, 16M f32", "GB/s", gelu_setup, work=2 * 4 * N,
             target=("copy 256 MB", "best", 0.8)),
    ]
