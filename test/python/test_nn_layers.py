"""kiln.nn Linear, activations, dropout, embedding, one_hot and flatten against NumPy, with gradients and errors."""
import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
import nn_reference as ref
from nn_reference import close, to_kiln

rng = np.random.default_rng(1)
DTYPES = [kiln.float32, kiln.float64]


def gradcheck(fn, *arrays):
    inputs = [to_kiln(a, requires_grad=True) for a in arrays]
    weights = to_kiln(rng.standard_normal(tuple(fn(*inputs).shape)))
    assert kiln.autograd.gradcheck(lambda *a: (fn(*a) * weights).sum(), inputs)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)], ids=str)
def test_linear_matches_numpy(shape, dtype):
    x, w, b = rng.standard_normal(shape), rng.standard_normal((3, 5)), rng.standard_normal(3)
    close(F.linear(to_kiln(x, dtype), to_kiln(w, dtype), to_kiln(b, dtype)), x @ w.T + b, dtype)
    close(F.linear(to_kiln(x, dtype), to_kiln(w, dtype)), x @ w.T, dtype)
    layer = nn.Linear(5, 3, dtype=dtype)
    close(layer(to_kiln(x, dtype)), x @ layer.weight.numpy().T.astype(np.float64) + layer.bias.numpy(), dtype)


def test_linear_noncontiguous_and_gradcheck():
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((3, 5))
    close(F.linear(to_kiln(x).t(), to_kiln(w)), x.T @ w.T)
    gradcheck(lambda a, w, b: F.linear(a, w, b), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4)),
              rng.standard_normal(2))
    layer = nn.Linear(4, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


@pytest.mark.parametrize("call,match", [
    (lambda: F.linear(kiln.randn(2, 3), kiln.randn(4, 5)), r"linear\(\): mat1 and mat2 shapes cannot be multiplied "
                                                           r"\(2x3 and 5x4\)"),
    (lambda: F.linear(kiln.randn(2, 3), kiln.randn(4, 3, dtype=kiln.float64)), "expected input and weight to have the "
                                                                               "same dtype"),
    (lambda: F.linear(kiln.randn(2, 3), kiln.randn(4, 3), kiln.randn(5)), r"expected bias of 4 elements .* but got "
                                                                          r"bias of size \[5\]"),
])
def test_linear_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


ACTIVATIONS = [
    ("relu", lambda x: F.relu(x), lambda x: np.maximum(x, 0), nn.ReLU()),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), nn.LeakyReLU(0.2)),
    ("gelu", lambda x: F.gelu(x), ref.gelu, nn.GELU()),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: ref.gelu(x, "tanh"), nn.GELU("tanh")),
    ("silu", lambda x: F.silu(x), lambda x: x * ref.sigmoid(x), nn.SiLU()),
    ("tanh", lambda x: F.tanh(x), np.tanh, nn.Tanh()),
    ("sigmoid", lambda x: F.sigmoid(x), ref.sigmoid, nn.Sigmoid()),
    ("softmax", lambda x: F.softmax(x, -1), lambda x: ref.softmax(x, -1), nn.Softmax(-1)),
    ("log_softmax", lambda x: F.log_softmax(x, 1), lambda x: ref.log_softmax(x, 1), nn.LogSoftmax(1)),
    ("softplus", lambda x: F.softplus(x, 2.0, 3.0), lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
     None),
    ("logsigmoid", lambda x: F.logsigmoid(x), lambda x: -np.logaddexp(0, -x), None),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name,fn,expected,module", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_numpy(name, fn, expected, module, dtype):
    x = rng.standard_normal((3, 4, 5)) * 3
    x[0, 0, :3] = [0.0, 40.0, -40.0]
    close(fn(to_kiln(x, dtype)), expected(x), dtype, scale=5)
    view = to_kiln(x.transpose(2, 1, 0).copy(), dtype).permute(2, 1, 0)
    close(fn(view), expected(x), dtype, scale=5)
    if module is not None:
        close(module(to_kiln(x, dtype)), expected(x), dtype, scale=5)


@pytest.mark.parametrize("name,fn,expected,module", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_gradcheck(name, fn, expected, module):
    x = rng.standard_normal((2, 5))
    x[np.abs(x) < 0.05] = 0.3  # away from the kinks of relu and leaky_relu
    gradcheck(fn, x)


def test_inplace_activations_and_implicit_softmax_dim():
    x = rng.standard_normal((3, 4))
    for fn, expected in [(lambda t: F.relu(t, inplace=True), np.maximum(x, 0)),
                         (lambda t: F.leaky_relu_(t, 0.1), np.where(x > 0, x, 0.1 * x)),
                         (lambda t: nn.SiLU(inplace=True)(t), x * ref.sigmoid(x))]:
        t = to_kiln(x.copy())
        assert fn(t) is t
        close(t, expected)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        got = F.softmax(to_kiln(x))
    close(got, ref.softmax(x, 1))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        close(nn.LogSoftmax()(to_kiln(x[0])), ref.log_softmax(x[0], 0))


def test_dropout_training_statistics_and_scaling():
    kiln.manual_seed(0)
    x = kiln.ones(200, 100)
    y = F.dropout(x, 0.3)
    values = y.numpy()
    np.testing.assert_allclose(np.unique(values), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((values == 0).mean() - 0.3) < 0.02
    kiln.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, 0.3).numpy(), values)  # the mask follows kiln.manual_seed
    assert not np.array_equal(F.dropout(x, 0.3).numpy(), values)
    assert F.dropout(x, 0.3, training=False) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    leaf = kiln.randn(50, 40, dtype=kiln.float64, requires_grad=True)
    out = F.dropout(leaf, 0.5)
    out.sum().backward()
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(leaf.grad.numpy(), np.where(kept, 2.0, 0.0))


def test_dropout_module_train_and_eval():
    layer = nn.Dropout(0.5)
    x = kiln.ones(1000)
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), np.ones(1000))
    layer.train()
    assert (layer(x).numpy() == 0).any()
    t = kiln.ones(100)
    assert nn.Dropout(0.5, inplace=True)(t) is t and (t.numpy() == 0).any()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            F.dropout(x, p)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_embedding_matches_numpy(dtype):
    w = rng.standard_normal((6, 3))
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    close(F.embedding(to_kiln(idx), to_kiln(w, dtype)), w[idx], dtype)
    close(F.embedding(to_kiln(idx.astype(np.int32)), to_kiln(w, dtype)), w[idx], dtype)
    close(F.embedding(to_kiln(np.array(4)), to_kiln(w, dtype)), w[4], dtype)
    layer = nn.Embedding(6, 3, padding_idx=-1, dtype=dtype)
    assert layer.padding_idx == 5 and (layer.weight.numpy()[5] == 0).all()
    close(layer(to_kiln(idx)), layer.weight.numpy().astype(np.float64)[idx], dtype)


def test_embedding_gradients_padding_idx_and_scale_grad_by_freq():
    w = to_kiln(rng.standard_normal((6, 3)), requires_grad=True)
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    F.embedding(to_kiln(idx), w, padding_idx=2).sum().backward()
    counts = np.bincount(idx.ravel(), minlength=6)[:, None] * np.ones((1, 3))
    counts[2] = 0  # the padding row gets no gradient
    close(w.grad, counts)
    w.grad = None
    F.embedding(to_kiln(idx), w, scale_grad_by_freq=True).sum().backward()
    close(w.grad, (np.bincount(idx.ravel(), minlength=6) > 0)[:, None] * np.ones((1, 3)))
    gradcheck(lambda t: F.embedding(to_kiln(idx), t), rng.standard_normal((6, 2)))


def test_embedding_max_norm_renormalizes_referenced_rows():
    w = rng.standard_normal((5, 4)) * 3
    weight = to_kiln(w.copy())
    idx = np.array([1, 3, 3])
    out = F.embedding(to_kiln(idx), weight, max_norm=1.0)
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    expected = w.copy()
    expected[[1, 3]] = w[[1, 3]] * np.where(norms[[1, 3]] > 1, 1 / (norms[[1, 3]] + 1e-7), 1)
    close(weight, expected)
    close(out, expected[idx])


def test_embedding_from_pretrained_and_errors():
    table = to_kiln(rng.standard_normal((4, 2)))
    layer = nn.Embedding.from_pretrained(table)
    assert not layer.weight.requires_grad and tuple(layer.weight.shape) == (4, 2)
    close(layer(to_kiln(np.array([3, 0]))), table.numpy()[[3, 0]])
    with pytest.raises(IndexError, match=r"embedding\(\): index 5 is out of range in self \(num_embeddings=4\)"):
        F.embedding(kiln.tensor([5]), table)
    with pytest.raises(IndexError, match="index -1 is out of range"):
        F.embedding(kiln.tensor([-1]), table)
    with pytest.raises(RuntimeError, match="one of the following scalar types: Long, Int; but got kiln.float32"):
        F.embedding(kiln.tensor([1.0]), table)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(4, 3, padding_idx=5)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        nn.Embedding(4, 3, sparse=True)


def test_one_hot():
    idx = np.array([[0, 3], [2, 1]])
    got = F.one_hot(to_kiln(idx))
    assert got.dtype is kiln.int64
    np.testing.assert_array_equal(got.numpy(), np.eye(4, dtype=np.int64)[idx])
    np.testing.assert_array_equal(F.one_hot(to_kiln(idx), 6).numpy(), np.eye(6, dtype=np.int64)[idx])
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor"):
        F.one_hot(kiln.tensor([1.0]))
    with pytest.raises(RuntimeError, match="Class values must be non-negative, but got -1"):
        F.one_hot(kiln.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes=3, but got 3"):
        F.one_hot(kiln.tensor([3]), 3)


def test_flatten_unflatten_identity_and_normalize():
    x = rng.standard_normal((2, 3, 4, 5))
    close(nn.Flatten()(to_kiln(x)), x.reshape(2, -1))
    close(nn.Flatten(0, 2)(to_kiln(x)), x.reshape(24, 5))
    close(nn.Unflatten(1, (3, 1))(to_kiln(x[:, :, 0, 0])), x[:, :, 0, 0].reshape(2, 3, 1))
    t = to_kiln(x)
    assert nn.Identity(54, unused=True)(t) is t
    close(F.normalize(to_kiln(x), dim=1), x / np.linalg.norm(x, axis=1, keepdims=True))
    with pytest.raises(RuntimeError, match="unflatten"):
        nn.Unflatten(1, (2, 2))(kiln.randn(2, 3))
