"""Row softmax and layernorm of 4096x1024 float32: reductions fused with their elementwise neighbours."""
import numpy as np

from common import kiln_impl, rng, torch, torch_impls
from harness import Case
from kiln_kernels import compile_kernel, layernorm_rows, softmax_rows

ROWS, COLS = 4096, 1024


def softmax_numpy(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layernorm_numpy(x, eps=1e-5):
    d = x - x.mean(axis=1, keepdims=True)
    return d / np.sqrt((d * d).mean(axis=1, keepdims=True) + eps)


def softmax_torch(t):
    return torch.softmax(t, dim=1)


def layernorm_torch(t):
    return torch.nn.functional.layer_norm(t, (COLS,))


def make_setup(src, entry, numpy_fn, torch_fn):
    def setup():
        x = rng().standard_normal((ROWS, COLS)).astype(np.float32)
        impls = kiln_impl(compile_kernel(src, entry), x)
        impls["numpy"] = lambda: numpy_fn(x)
        impls.update(torch_impls(torch_fn, x))
        return impls
    return setup


def cases():
    work = 2 * 4 * ROWS * COLS
    target = ("copy 256 MB", "best", 0.8)
    return [
        Case("softmax rows 4096x1024", "GB/s",
             make_setup(softmax_rows(ROWS, COLS), "softmax", softmax_numpy, softmax_torch), work, target),
        Case("layernorm 4096x1024", "GB/s",
             make_setup(layernorm_rows(ROWS, COLS), "layernorm", layernorm_numpy, layernorm_torch), work, target),
    ]
