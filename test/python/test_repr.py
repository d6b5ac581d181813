"""repr(tensor) matches PyTorch's output for the common cases (strings taken from PyTorch, torch. -> kiln.)."""

import numpy as np
import pytest

import kiln

CASES = [
    (lambda: kiln.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: kiln.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: kiln.tensor(3.5), "tensor(3.5000)"),
    (lambda: kiln.tensor(3), "tensor(3)"),
    (lambda: kiln.tensor(True), "tensor(True)"),
    (lambda: kiln.tensor([1.5, 2.25]), "tensor([1.5000, 2.2500])"),
    (lambda: kiln.tensor([0.1, 0.2]), "tensor([0.1000, 0.2000])"),
    (lambda: kiln.tensor([-1.5, 2.0]), "tensor([-1.5000,  2.0000])"),
    (lambda: kiln.tensor([1.0, -1.0]), "tensor([ 1., -1.])"),
    (lambda: kiln.tensor([-1, 10]), "tensor([-1, 10])"),
    (lambda: kiln.tensor([True, False]), "tensor([ True, False])"),
    (lambda: kiln.tensor([1.0, float("nan"), float("inf")]), "tensor([1., nan, inf])"),
    (lambda: kiln.tensor([1e-5, 1.0, 1e5]), "tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])"),
    (lambda: kiln.tensor([123456789.0]), "tensor([1.2346e+08])"),
    (lambda: kiln.tensor([1.0, 2.0], dtype=kiln.float64), "tensor([1., 2.], dtype=kiln.float64)"),
    (lambda: kiln.tensor([1.5], dtype=kiln.float16), "tensor([1.5000], dtype=kiln.float16)"),
    (lambda: kiln.tensor([1.5], dtype=kiln.bfloat16), "tensor([1.5000], dtype=kiln.bfloat16)"),
    (lambda: kiln.tensor([1, 2], dtype=kiln.int32), "tensor([1, 2], dtype=kiln.int32)"),
    (lambda: kiln.tensor([1, 2], dtype=kiln.uint8), "tensor([1, 2], dtype=kiln.uint8)"),
    (lambda: kiln.tensor([]), "tensor([])"),
    (lambda: kiln.empty(0, 3), "tensor([], size=(0, 3))"),
    (lambda: kiln.tensor([], dtype=kiln.int64), "tensor([], dtype=kiln.int64)"),
    (
        lambda: kiln.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 2, 2)),
        "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
    ),
    (
        lambda: kiln.tensor(np.arange(30.0, dtype=np.float32)),
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])",
    ),
    (lambda: kiln.tensor(np.arange(1001)), "tensor([   0,    1,    2,  ...,  998,  999, 1000])"),
    (
        lambda: kiln.tensor(np.zeros((100, 100), dtype=np.float32)),
        "tensor([[0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        ...,\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.],\n"
        "        [0., 0., 0.,  ..., 0., 0., 0.]])",
    ),
]


@pytest.mark.parametrize("make, expected", CASES, ids=[c[1].splitlines()[0] for c in CASES])
def test_repr_matches_pytorch(make, expected):
    t = make()
    assert repr(t) == expected
    assert str(t) == expected


def test_repr_of_noncontiguous_view_shows_logical_order():
    t = kiln.tensor(np.arange(6, dtype=np.int64).reshape(2, 3)).t()
    assert repr(t) == "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])"


def test_size_repr():
    assert repr(kiln.empty(2, 3).shape) == "kiln.Size([2, 3])"
    assert repr(kiln.tensor(1.0).shape) == "kiln.Size([])"
