"""Inputs and float64 NumPy references for kiln-linalg-to-extern-kernels-jit.mlir.

`gen DIR` writes each function's inputs as DIR/<fn>.<i>.npy; `check DIR`
compares DIR/<fn>.out.npy against the reference and prints one line per
function.
"""
import sys

import numpy as np


def conv2d(x, w, b, stride, padding, dilation, groups):
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    per_group = o // groups
    for f in range(o):
        g = f // per_group
        xs = x[:, g * cg:(g + 1) * cg]
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dilation[0], kx * dilation[1]
                window = xs[:, :, y0:y0 + stride[0] * (oh - 1) + 1:stride[0],
                            x0:x0 + stride[1] * (ow - 1) + 1:stride[1]]
                out[:, f] += np.einsum("nchw,c->nhw", window, w[f, :, ky, kx])
        if b is not None:
            out[:, f] += b[f]
    return out


CASES = {
    "mm": ([(33, 47), (47, 29)], lambda a, b: a @ b),
    "bmm": ([(3, 9, 14), (3, 14, 5)], lambda a, b: a @ b),
    "conv_grouped": ([(2, 8, 16, 16), (12, 4, 3, 3), (12,)],
                     lambda x, w, b: conv2d(x, w, b, (2, 2), (1, 1), (1, 1), 2)),
    "conv_dilated": ([(1, 3, 11, 13), (5, 3, 3, 3)],
                     lambda x, w: conv2d(x, w, None, (1, 1), (2, 2), (2, 2), 1)),
}


def main(mode, directory):
    rng = np.random.default_rng(0)
    for name, (shapes, reference) in CASES.items():
        if mode == "gen":
            for i, shape in enumerate(shapes):
                data = rng.standard_normal(shape).astype(np.float32)
                np.save(f"{directory}/{name}.{i}.npy", data)
            continue
        inputs = [np.load(f"{directory}/{name}.{i}.npy").astype(np.float64)
                  for i in range(len(shapes))]
        expected = reference(*inputs)
        actual = np.load(f"{directory}/{name}.out.npy")
        error = np.abs(actual - expected).max()
        print(f"{name} {'ok' if error < 1e-3 else 'MISMATCH'} {error:.2e}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
