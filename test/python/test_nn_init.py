"""kiln.nn.init (bounds and statistics of each initializer, the layers' default initialization) and kiln.nn.utils
(gradient clipping, parameter vectors)."""
import math

import numpy as np
import pytest

import kiln
import kiln.nn as nn
from kiln.nn import init
from nn_reference import close, to_kiln


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        init.calculate_gain("leaky_relu", "x")


def test_uniform_normal_constant_and_friends():
    kiln.manual_seed(0)
    t = kiln.empty(400, 500)
    assert init.uniform_(t, -2.0, 3.0) is t
    values = t.numpy()
    assert values.min() >= -2 and values.max() < 3 and abs(values.mean() - 0.5) < 0.02
    init.normal_(t, 1.5, 0.5)
    values = t.numpy()
    assert abs(values.mean() - 1.5) < 0.01 and abs(values.std() - 0.5) < 0.01
    assert init.constant_(t, 0.25).numpy().max() == 0.25 and init.zeros_(t).numpy().max() == 0
    assert (init.ones_(t).numpy() == 1).all()
    np.testing.assert_array_equal(init.eye_(kiln.empty(3, 4)).numpy(), np.eye(3, 4))
    kiln.manual_seed(5)
    first = init.normal_(kiln.empty(10)).numpy()
    kiln.manual_seed(5)
    np.testing.assert_array_equal(init.normal_(kiln.empty(10)).numpy(), first)


def test_init_runs_under_no_grad_on_parameters():
    p = nn.Parameter(kiln.empty(30, 20))
    out = init.kaiming_uniform_(p)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    init.trunc_normal_(p)
    assert p.is_leaf and isinstance(p, nn.Parameter)


@pytest.mark.parametrize("mode,nonlinearity,a", [("fan_in", "leaky_relu", math.sqrt(5)), ("fan_out", "relu", 0),
                                                 ("fan_in", "tanh", 0)])
def test_kaiming_bounds_and_std(mode, nonlinearity, a):
    t = kiln.empty(300, 40, 3, 3)
    fan = 40 * 9 if mode == "fan_in" else 300 * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    values = init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    bound = math.sqrt(3) * std
    assert values.min() >= -bound and values.max() <= bound and values.max() > 0.99 * bound
    values = init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity).numpy()
    assert abs(values.std() / std - 1) < 0.02 and abs(values.mean()) < 0.02 * std
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(t, mode="fan_avg")
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        init.kaiming_normal_(kiln.empty(5))


def test_xavier_bounds_and_std():
    t = kiln.empty(200, 300)
    std = 2.0 * math.sqrt(2 / 500)
    values = init.xavier_uniform_(t, gain=2.0).numpy()
    assert values.min() >= -math.sqrt(3) * std and values.max() <= math.sqrt(3) * std
    assert abs(values.std() / std - 1) < 0.02
    values = init.xavier_normal_(t, gain=2.0).numpy()
    assert abs(values.std() / std - 1) < 0.02


def test_trunc_normal_and_orthogonal():
    kiln.manual_seed(1)
    t = kiln.empty(200, 500)
    values = init.trunc_normal_(t, mean=1.0, std=2.0, a=-1.0, b=2.0).numpy()
    assert values.min() >= -1 and values.max() <= 2
    # a normal N(1, 2^2) truncated to [-1, 2]: alpha = -1, beta = 0.5
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    mass = cdf(0.5) - cdf(-1.0)
    mean = 1.0 + 2.0 * (phi(-1.0) - phi(0.5)) / mass
    var = 4.0 * (1 + (-1.0 * phi(-1.0) - 0.5 * phi(0.5)) / mass - ((phi(-1.0) - phi(0.5)) / mass) ** 2)
    assert abs(values.mean() - mean) < 0.01 and abs(values.std() - math.sqrt(var)) < 0.01
    standard = init.trunc_normal_(kiln.empty(100000, dtype=kiln.float64)).numpy()
    assert abs(standard.std() - 0.8796) < 0.01 and -2 <= standard.min() and standard.max() <= 2
    q = init.orthogonal_(kiln.empty(4, 6), gain=2.0).numpy()
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(4), atol=1e-5)


def test_layers_default_initialization_matches_pytorch():
    kiln.manual_seed(2)
    linear = nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) on fan_in = 50 gives the same bound as the bias
    for p in (linear.weight, linear.bias):
        values = p.numpy()
        assert values.min() >= -bound and values.max() <= bound and values.max() > 0.95 * bound
    conv = nn.Conv2d(6, 300, 3, groups=2)
    bound = 1 / math.sqrt(3 * 9)
    assert np.abs(conv.weight.numpy()).max() <= bound and np.abs(conv.bias.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.95 * bound
    emb = nn.Embedding(1000, 50)
    assert abs(emb.weight.numpy().std() - 1) < 0.02
    norm = nn.LayerNorm(7)
    assert norm.weight.numpy().tolist() == [1.0] * 7 and norm.bias.numpy().tolist() == [0.0] * 7
    mha = nn.MultiheadAttention(8, 2)
    assert (mha.in_proj_bias.numpy() == 0).all() and (mha.out_proj.bias.numpy() == 0).all()
    assert np.abs(mha.in_proj_weight.numpy()).max() <= math.sqrt(6 / (8 + 24))


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = nn.Parameter(kiln.zeros(*g.shape, dtype=kiln.float64))
        p.grad = to_kiln(g)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf], ids=str)
def test_clip_grad_norm(norm_type):
    rng = np.random.default_rng(5)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    params = _params_with_grads(grads)
    got = nn.utils.clip_grad_norm_(params, 0.5, norm_type)
    close(got, np.array(total))
    scale = min(1.0, 0.5 / (total + 1e-6))
    for p, g in zip(params, grads):
        close(p.grad, g * scale)
    params = _params_with_grads(grads)
    nn.utils.clip_grad_norm_(params, 1e6, norm_type)  # under the limit: unchanged
    close(params[0].grad, grads[0])


def test_clip_grad_norm_edge_cases_and_clip_grad_value():
    p = nn.Parameter(kiln.zeros(3))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients at all
    p.grad = kiln.tensor([float("inf"), 1.0, 0.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    q = nn.Parameter(kiln.zeros(4))
    q.grad = kiln.tensor([-3.0, -0.5, 0.2, 7.0])
    nn.utils.clip_grad_value_([q], 1.0)
    assert q.grad.tolist() == [-1.0, -0.5, pytest.approx(0.2), 1.0]


def test_parameters_to_vector_round_trip():
    layer = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(layer.parameters())
    assert tuple(vec.shape) == (8,)
    nn.utils.vector_to_parameters(kiln.arange(8, dtype=kiln.float32), layer.parameters())
    assert layer.weight.tolist() == [[0, 1, 2], [3, 4, 5]] and layer.bias.tolist() == [6, 7]
