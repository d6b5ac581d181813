"""kiln.jit.trace: traced functions and modules against NumPy and eager, .graph/.code, TracerWarning, check_trace,
static-shape errors and what cannot be exported."""

import importlib.util
import pathlib
import warnings

import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "fashion_mnist.py"


def load_example():
    spec = importlib.util.spec_from_file_location("fashion_mnist_example_jit", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randn(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def mlp_reference(m, x):
    w1, b1 = m.fc1.weight.numpy(), m.fc1.bias.numpy()
    w2, b2 = m.fc2.weight.numpy(), m.fc2.bias.numpy()
    return np.maximum(x @ w1.T + b1, 0) @ w2.T + b2


def no_tracer_warnings():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error", kiln.jit.TracerWarning)
    return ctx


@pytest.mark.parametrize("batch", [1, 4])
def test_mlp_matches_numpy_and_eager(batch):
    kiln.manual_seed(batch)
    m = MLP().eval()
    x = randn(batch, 6, seed=batch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kiln.jit.TracerWarning)
        traced = kiln.jit.trace(m, kiln.from_numpy(x))
    expected = mlp_reference(m, x)
    np.testing.assert_allclose(traced(kiln.from_numpy(x)).numpy(), expected, rtol=1e-5, atol=1e-5)
    x2 = randn(batch, 6, seed=10 + batch)
    np.testing.assert_allclose(traced(kiln.from_numpy(x2)).numpy(), mlp_reference(m, x2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(traced(kiln.from_numpy(x2)).numpy(), m(kiln.from_numpy(x2)).numpy(), rtol=1e-6)


def test_arguments_are_inputs_then_state_dict():
    m = MLP().eval()
    traced = kiln.jit.trace(m, kiln.zeros(2, 6))
    assert list(traced.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert traced.inputs == [{"name": "x", "dtype": "float32", "shape": [2, 6]}]
    assert traced.outputs == [{"name": "output0", "dtype": "float32", "shape": [2, 3]}]
    assert "function_type = (tensor<2x6xf32>, tensor<8x6xf32>, tensor<8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> " \
        "tensor<2x3xf32>" in traced.graph
    assert 'sym_name = "forward"' in traced.graph
    code = traced.code
    assert code.startswith("def forward(x: float32[2, 6]) -> (float32[2, 3]):\n")
    assert "kiln.matmul(x, " in code and "fc1.bias" in code and "kiln.relu(" in code
    assert code.rstrip().splitlines()[-1].startswith("    return x")
    # The traced module shares the module's parameters, as PyTorch's does.
    assert traced.state_dict()["fc1.weight"] is m.fc1.weight
    assert traced.eval() is traced


def test_fashion_mnist_cnn_matches_eager():
    net = load_example().Net().eval()
    x = randn(1, 1, 28, 28, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kiln.jit.TracerWarning)
        traced = kiln.jit.trace(net, kiln.from_numpy(x))
    assert list(traced.state_dict()) == list(net.state_dict())
    for seed in (3, 4):
        xs = randn(1, 1, 28, 28, seed=seed)
        np.testing.assert_allclose(traced(kiln.from_numpy(xs)).numpy(), net(kiln.from_numpy(xs)).numpy(),
                                   rtol=1e-4, atol=1e-5)
    assert "kiln.conv2d(x, conv1.weight, conv1.bias" in traced.code


def test_function_with_broadcasting_and_reductions():
    def f(x, y):
        centered = x - x.mean(dim=1, keepdim=True)
        return (centered * y).sum(dim=0), kiln.amax(x, dim=1) + y.sum()

    x, y = randn(4, 5, seed=1), randn(1, 5, seed=2)
    traced = kiln.jit.trace(f, (kiln.from_numpy(x), kiln.from_numpy(y)))
    for seed in (1, 7):
        x, y = randn(4, 5, seed=seed), randn(1, 5, seed=seed + 1)
        a, b = traced(kiln.from_numpy(x), kiln.from_numpy(y))
        np.testing.assert_allclose(a.numpy(), ((x - x.mean(1, keepdims=True)) * y).sum(0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(b.numpy(), x.max(1) + y.sum(), rtol=1e-5, atol=1e-5)
    assert [s["shape"] for s in traced.outputs] == [[5], [4]]


def test_integer_inputs_and_nested_tuple_outputs():
    def f(i, x):
        return (i * 3 + 1, (x.to(kiln.float64) * 2,))

    i = np.arange(6, dtype=np.int64).reshape(2, 3)
    x = randn(3, seed=5)
    traced = kiln.jit.trace(f, (kiln.from_numpy(i), kiln.from_numpy(x)))
    a, (b,) = traced(kiln.from_numpy(i + 5), kiln.from_numpy(x))
    assert a.dtype is kiln.int64 and b.dtype is kiln.float64
    np.testing.assert_array_equal(a.numpy(), (i + 5) * 3 + 1)
    np.testing.assert_allclose(b.numpy(), x.astype(np.float64) * 2)


def test_views_of_inputs_and_weights_are_recorded():
    w = nn.Parameter(kiln.from_numpy(randn(4, 6, seed=8)))

    class Sliced(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = w

        def forward(self, x):
            return x[:, 1:3] * self.w[:2, ::2].t() + x.permute(1, 0)[1:3].t()

    m = Sliced()
    x = randn(3, 4, seed=9)
    traced = kiln.jit.trace(m, kiln.from_numpy(x))
    assert list(traced.state_dict()) == ["w"]
    xs = randn(3, 4, seed=10)
    wn = w.detach().numpy()
    np.testing.assert_allclose(traced(kiln.from_numpy(xs)).numpy(), xs[:, 1:3] * wn[:2, ::2].T + xs.T[1:3].T,
                               rtol=1e-6)


def test_captured_constants_become_weights():
    table = kiln.from_numpy(randn(5, seed=11))

    def f(x):
        return x + table

    traced = kiln.jit.trace(f, kiln.zeros(2, 5))
    assert list(traced.state_dict()) == ["constant.0"]
    np.testing.assert_array_equal(traced.state_dict()["constant.0"].numpy(), table.numpy())
    x = randn(2, 5, seed=12)
    np.testing.assert_allclose(traced(kiln.from_numpy(x)).numpy(), x + table.numpy())
    assert "constant.0" in traced.code


def test_data_dependent_if_warns_and_is_frozen():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x - 1

    with pytest.warns(kiln.jit.TracerWarning, match="Converting a tensor to a Python boolean might cause the trace "
                      "to be incorrect. We can't record the data flow of Python values"):
        traced = kiln.jit.trace(f, kiln.ones(3))
    negative = -np.ones(3, np.float32)
    # The branch taken at trace time is frozen: the traced function doubles whatever it gets.
    np.testing.assert_array_equal(traced(kiln.from_numpy(negative)).numpy(), negative * 2)


@pytest.mark.parametrize("convert, fragment", [
    (lambda x: x * x.max().item(), "Python number"),
    (lambda x: x * float(x.sum()), "Python float"),
    (lambda x: x * x.sum().tolist(), "Python list"),
    (lambda x: x + sum(r for r in x), "Iterating over a tensor"),
])
def test_python_values_warn(convert, fragment):
    with pytest.warns(kiln.jit.TracerWarning, match=fragment):
        traced = kiln.jit.trace(convert, kiln.from_numpy(randn(2, 3, seed=13)))
    assert traced(kiln.from_numpy(randn(2, 3, seed=13))).shape == (2, 3)


def test_value_read_during_trace_keeps_the_graph():
    # .item() computes x.max() during tracing; h, computed on the way, must stay a node of the graph (not a
    # constant) so that other inputs give other results.
    def f(x):
        h = x * 3
        _ = h.max().item()
        return h + 1

    with pytest.warns(kiln.jit.TracerWarning):
        traced = kiln.jit.trace(f, kiln.ones(4))
    assert "constant" not in traced.code
    np.testing.assert_array_equal(traced(kiln.from_numpy(np.arange(4, dtype=np.float32))).numpy(),
                                  np.arange(4) * 3 + 1)


def test_plain_forward_does_not_warn_and_module_still_trains():
    m = MLP()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kiln.jit.trace(m.eval(), kiln.ones(2, 6))
    m.train()
    assert m.fc1.weight.requires_grad and m.fc1.weight.is_leaf
    loss = m(kiln.ones(2, 6)).sum()
    loss.backward()
    assert m.fc1.weight.grad is not None and m.fc1.weight.grad.shape == (8, 6)


def test_check_trace_reports_the_difference():
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x - 1

    with pytest.warns(kiln.jit.TracerWarning):
        with pytest.raises(kiln.jit.TracingCheckError, match=r"max absolute difference 2 at 3 of 3"):
            kiln.jit.trace(f, kiln.ones(3), check_inputs=[(kiln.full((3,), -3.0),)])
    with pytest.warns(kiln.jit.TracerWarning):
        kiln.jit.trace(f, kiln.ones(3), check_inputs=[(kiln.full((3,), 2.0),)])


def test_calling_with_wrong_inputs():
    traced = kiln.jit.trace(MLP().eval(), kiln.ones(2, 6))
    with pytest.raises(TypeError, match=r"expected 1 input\(s\) \(float32\[2, 6\]\), but got 2"):
        traced(kiln.ones(2, 6), kiln.ones(2, 6))
    with pytest.raises(ValueError, match=r"input 0 \('x'\) must be float32\[2, 6\], but got float32\[3, 6\].*static"):
        traced(kiln.ones(3, 6))
    with pytest.raises(ValueError, match=r"must be float32\[2, 6\], but got float64\[2, 6\]"):
        traced(kiln.ones(2, 6, dtype=kiln.float64))
    with pytest.raises(TypeError, match="input 0 .* must be a kiln.Tensor, not list"):
        traced([1.0] * 6)


def test_outputs_that_cannot_be_traced():
    with pytest.raises(TypeError, match="must return a Tensor or a tuple .* is a int"):
        kiln.jit.trace(lambda x: 3, kiln.ones(2))
    with pytest.raises(TypeError, match=r"output\[1\] is a str"):
        kiln.jit.trace(lambda x: (x, "a"), kiln.ones(2))
    with pytest.raises(RuntimeError, match="encountering a list at the output"):
        kiln.jit.trace(lambda x: [x, x * 2], kiln.ones(2))
    traced = kiln.jit.trace(lambda x: [x + 1, x * 2], kiln.ones(2), strict=False)
    out = traced(kiln.full((2,), 3.0))
    assert isinstance(out, list) and out[0].tolist() == [4.0, 4.0] and out[1].tolist() == [6.0, 6.0]
    with pytest.raises(TypeError, match=r"example_inputs\[0\] must be a Tensor, not float"):
        kiln.jit.trace(lambda x: x, (1.0,))


def test_random_ops_and_training_mode_dropout_are_errors():
    class WithDropout(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            return self.drop(x) * 2

    m = WithDropout()
    with pytest.raises(RuntimeError, match=r"draws random numbers \(bernoulli\|rand.*call .eval\(\)|draws random"):
        kiln.jit.trace(m, kiln.ones(4))
    traced = kiln.jit.trace(m.eval(), kiln.ones(4))
    assert traced(kiln.ones(4)).tolist() == [2.0] * 4
    with pytest.raises(RuntimeError, match=r"draws random numbers \(randn\)"):
        kiln.jit.trace(lambda x: x + kiln.randn(3), kiln.ones(3))


def test_eager_kernels_and_partial_writes_cannot_be_exported():
    with pytest.raises(NotImplementedError, match=r"sort\(\) runs as an eager kernel and cannot be exported"):
        kiln.jit.trace(lambda x: kiln.sort(x).values, kiln.ones(3))

    def write(x):
        y = x * 2
        y[0] = 5
        return y

    with pytest.raises(NotImplementedError, match="in-place write into part of a tensor"):
        kiln.jit.trace(write, kiln.ones(3))
    # The failed trace left nothing behind: tracing and eager work afterwards.
    assert kiln.jit.trace(lambda x: x + 1, kiln.ones(2))(kiln.ones(2)).tolist() == [2.0, 2.0]
    assert (kiln.ones(2) * 3).tolist() == [3.0, 3.0]


def test_in_place_update_of_module_state_is_an_error():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("count", kiln.zeros(1))

        def forward(self, x):
            self.count.add_(1)
            return x + self.count

    m = Counter()
    with pytest.raises(RuntimeError, match=r"modified 'count' in place"):
        kiln.jit.trace(m, kiln.ones(2))
    # Like eager, the update happened.
    assert m.count.tolist() == [1.0]
