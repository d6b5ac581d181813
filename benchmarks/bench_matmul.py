"""float32 matmul from 256 to 2048: Kiln's compiled call against oneDNN called directly, NumPy and PyTorch."""
import numpy as np

from common import kiln_impl, rng, torch
from harness import Case
from kiln_kernels import compile_kernel, matmul
import onednn


def make_setup(n):
    def setup():
        a = rng().standard_normal((n, n)).astype(np.float32)
        b = rng().standard_normal((n, n)).astype(np.float32)
        impls = kiln_impl(compile_kernel(matmul(n, n, n), "matmul"), a, b)
        impls["numpy"] = lambda: a @ b
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            impls["torch"] = lambda: ta @ tb
        c = np.empty((n, n), dtype=np.float32)
        direct = onednn.matmul_impl(a, b, c)
        if direct is not None:
            direct()
            onednn.check(a, b, c)
            impls["onednn"] = direct
        return impls
    return setup


def cases():
    return [Case(f"matmul {n}^3 f32", "GFLOP/s", make_setup(n), work=2.0 * n ** 3, target=(None, "onednn", 0.9))
            for n in (256, 512, 1024, 2048)]
