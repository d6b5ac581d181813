"""Tensor autograd through the kiln-autodiff pass: gradients against finite differences (float64), PyTorch's semantics
for requires_grad, .grad accumulation, grad mode, retain_graph/create_graph, and its errors."""
import numpy as np
import pytest

import kiln
from kiln.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


def leaf(*shape, positive=False):
    values = RNG.standard_normal(shape)
    if positive:
        values = np.abs(values) + 0.5
    return kiln.from_numpy(values).requires_grad_()


UNARY = ["exp", "tanh", "sigmoid", "sin", "cos", "relu", "silu", "erf", "neg", "abs", "gelu"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradients_match_finite_differences(name):
    x = leaf(3, 4)
    assert gradcheck(getattr(kiln, name), [x])


@pytest.mark.parametrize("name", ["log", "sqrt", "rsqrt", "log1p"])
def test_positive_domain_gradients(name):
    assert gradcheck(getattr(kiln, name), [leaf(5, positive=True)])


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1))])
def test_binary_gradients_with_broadcasting(op, shapes):
    a, b = leaf(*shapes[0]), leaf(*shapes[1], positive=(op == "div"))
    assert gradcheck(getattr(kiln, op), [a, b])


def test_pow_and_scalars():
    x = leaf(4, positive=True)
    assert gradcheck(lambda t: t ** 3 + 2.0 * t - t / 4.0, [x])
    exponent = leaf(4, positive=True).detach()
    assert gradcheck(lambda t: kiln.pow(t, exponent), [x])
    assert gradcheck(kiln.pow, [x, leaf(4)])


def test_reduction_gradients():
    x = leaf(3, 5)
    assert gradcheck(lambda t: t.sum(), [x])
    assert gradcheck(lambda t: t.mean(dim=1), [x])
    assert gradcheck(lambda t: t.sum(dim=0, keepdim=True) * 2, [x])
    assert gradcheck(lambda t: t.amax(dim=1), [x])
    assert gradcheck(lambda t: kiln.logsumexp(t, dim=1), [x])


def test_shape_op_gradients():
    x = leaf(2, 3, 4)
    assert gradcheck(lambda t: t.permute(2, 0, 1).reshape(4, 6), [x])
    assert gradcheck(lambda t: t[:, 1:, ::2], [x])
    assert gradcheck(lambda t: t.transpose(0, 1).unsqueeze(0).expand(2, 3, 2, 4), [x])
    assert gradcheck(lambda t: kiln.cat([t, t * 2], dim=1), [x])


def test_matmul_gradients():
    a, b = leaf(3, 4), leaf(4, 2)
    assert gradcheck(kiln.matmul, [a, b])
    assert gradcheck(lambda u, v: u @ v, [leaf(2, 3, 4), leaf(4, 5)])


def test_composite_functions():
    x, w1, b1, w2 = leaf(4, 6), leaf(6, 5), leaf(5), leaf(5, 3)
    target = kiln.tensor([0, 2, 1, 2])

    def mlp_loss(x, w1, b1, w2):
        logits = kiln.relu(x @ w1 + b1) @ w2
        log_probs = kiln.log_softmax(logits, dim=1)
        return -log_probs.gather(1, target.unsqueeze(1)).mean()

    assert gradcheck(mlp_loss, [x, w1, b1, w2])

    def layernorm(x):
        mu = x.mean(dim=-1, keepdim=True)
        var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
        return (x - mu) / kiln.sqrt(var + 1e-5)

    assert gradcheck(layernorm, [leaf(3, 6)])

    def attention(q, k, v):
        scores = kiln.softmax(q @ k.transpose(-2, -1) / 2.0, dim=-1)
        return scores @ v

    assert gradcheck(attention, [leaf(2, 3, 4), leaf(2, 5, 4), leaf(2, 5, 4)])


def test_second_derivatives():
    assert gradgradcheck(lambda t: (t ** 3).sum(), [leaf(4)])
    assert gradgradcheck(lambda t: kiln.tanh(t).sum(), [leaf(3)])
    assert gradgradcheck(lambda a, b: (a @ b).sum(), [leaf(2, 3), leaf(3, 2)])


def test_backward_accumulates_into_grad():
    w = kiln.from_numpy(np.array([1.0, 2.0, 3.0])).requires_grad_()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2, 4, 6])
    (3 * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [5, 7, 9])
    w.grad = None
    w.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1, 1, 1])
    w.grad.zero_()
    np.testing.assert_allclose(w.grad.numpy(), [0, 0, 0])


def test_backward_with_gradient_argument():
    x = kiln.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    y = x * x
    y.backward(gradient=kiln.from_numpy(np.array([1.0, 10.0])))
    np.testing.assert_allclose(x.grad.numpy(), [2, 40])


def test_gradients_after_the_forward_was_materialized():
    x = kiln.from_numpy(np.array([0.5, -1.0])).requires_grad_()
    h = kiln.tanh(x)
    h.numpy()  # the forward runs first
    loss = (h * h).sum()
    assert loss.item() == pytest.approx(float((np.tanh([0.5, -1.0]) ** 2).sum()))
    loss.backward()
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * t * (1 - t * t))


def test_optimizer_style_updates_keep_the_leaf():
    w = kiln.from_numpy(np.array([1.0, -2.0])).requires_grad_()
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with kiln.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    np.testing.assert_allclose(w.numpy(), np.array([1.0, -2.0]) * 0.5 ** 3)
    assert w.requires_grad and w.is_leaf


def test_grad_mode_and_detach():
    x = leaf(3)
    with kiln.no_grad():
        assert not (x * 2).requires_grad
        with kiln.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad
    kiln.set_grad_enabled(False)
    assert not (x + 1).requires_grad
    kiln.set_grad_enabled(True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), d.numpy())

    @kiln.no_grad()
    def frozen(t):
        return t * 3

    assert not frozen(x).requires_grad


def test_autograd_grad_and_unused_inputs():
    a, b, unused = leaf(3), leaf(3), leaf(2)
    out = (a * b).sum()
    ga, gb = kiln.autograd.grad(out, [a, b], retain_graph=True)
    np.testing.assert_allclose(ga.numpy(), b.numpy())
    np.testing.assert_allclose(gb.numpy(), a.numpy())
    assert a.grad is None  # grad() does not accumulate
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        kiln.autograd.grad(out, [unused], retain_graph=True)
    assert kiln.autograd.grad(out, [unused], allow_unused=True) == (None,)


def test_errors_as_pytorch():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        kiln.ones(2).sum().backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()  # retained once: works
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        kiln.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        (x * 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        kiln.autograd.grad((x * 2).sum(), [kiln.ones(3)])


def test_grad_fn_names_and_leaves():
    x = leaf(2)
    assert x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    assert x[1:].grad_fn.name() == "SliceBackward0"
    m = leaf(2, 3)
    names = [t.grad_fn.name() for t in (m.sum(), m.sum(0), m.mean(), m.amax(0), m @ m.t(), m.float(),
                                        m.expand(2, 2, 3), kiln.cat([m, m]))]
    assert names == ["SumBackward0", "SumBackward1", "MeanBackward0", "AmaxBackward0", "MmBackward0",
                     "ToCopyBackward0", "ExpandBackward0", "CatBackward0"]
    assert (leaf(2, 3) * 2).t().grad_fn.name() == "PermuteBackward0"
    assert kiln.ones(2).is_leaf and not kiln.ones(2).requires_grad


def test_steady_state_training_step_is_one_program():
    """Forward, backward and the SGD update of a step compile into one program; later steps only run it."""
    rng = np.random.default_rng(3)
    params = [kiln.from_numpy(rng.standard_normal(s).astype(np.float32) * 0.1).requires_grad_()
              for s in [(8, 16), (16,), (16, 4)]]
    w1, b1, w2 = params
    losses, per_step = [], []
    for step in range(5):
        x = kiln.from_numpy(rng.standard_normal((32, 8)).astype(np.float32))
        y = kiln.from_numpy(rng.standard_normal((32, 4)).astype(np.float32))
        before = kiln._trace.stats()
        loss = ((kiln.relu(x @ w1 + b1) @ w2 - y) ** 2).mean()
        loss.backward()
        with kiln.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        losses.append(loss.item())
        after = kiln._trace.stats()
        per_step.append((after["materializations"] - before["materializations"],
                         after["compiles"] - before["compiles"]))
    assert all(runs <= 2 for runs, _ in per_step), per_step
    assert all(compiles == 0 for _, compiles in per_step[2:]), per_step
    assert all(np.isfinite(losses))


def test_training_reduces_the_loss_like_numpy_sgd():
    rng = np.random.default_rng(4)
    x_np = rng.standard_normal((16, 3))
    w_true = np.array([[1.0], [-2.0], [0.5]])
    y_np = x_np @ w_true
    w = kiln.from_numpy(np.zeros((3, 1))).requires_grad_()
    w_ref = np.zeros((3, 1))
    x, y = kiln.from_numpy(x_np), kiln.from_numpy(y_np)
    for _ in range(20):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with kiln.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
        w_ref -= 0.1 * (2 / 16) * x_np.T @ (x_np @ w_ref - y_np)
    np.testing.assert_allclose(w.numpy(), w_ref, rtol=1e-10)


def test_leaf_hooks_and_backward_inputs():
    w = kiln.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    b = kiln.from_numpy(np.array([3.0])).requires_grad_()
    seen = []
    handle = w.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    ((w * w).sum() + b.sum()).backward()
    np.testing.assert_allclose(seen[0], [2, 4])
    np.testing.assert_allclose(w.grad.numpy(), [20, 40])  # the hook's result replaced the gradient
    np.testing.assert_allclose(b.grad.numpy(), [1])
    handle.remove()
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2, 4])
    w.grad, b.grad = None, None
    ((w * b).sum()).backward(inputs=[b])
    assert w.grad is None
    np.testing.assert_allclose(b.grad.numpy(), [3])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        kiln.ones(2).register_hook(lambda g: g)


def test_tensor_subclass_copies_lazily_and_data_assignment_keeps_grad_state():
    class Param(kiln.Tensor):
        def __init__(self, data):
            super().__init__(data)
            self.requires_grad_(True)

    w = kiln.randn(2, 3)
    p = Param(w)
    assert isinstance(p, kiln.Tensor) and p.requires_grad and p.is_leaf and not w.requires_grad
    np.testing.assert_array_equal(p.detach().numpy(), w.numpy())
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 * w.numpy(), rtol=1e-6)
    p.data = p.data.double() * 3
    assert p.dtype == kiln.float64 and p.requires_grad and p.is_leaf and p.grad is not None
    np.testing.assert_allclose(p.detach().numpy(), 3 * w.numpy().astype(np.float64), rtol=1e-6)
    assert isinstance(p.data, kiln.Tensor) and not p.data.requires_grad
    with pytest.raises(RuntimeError, match="only to whole tensors"):
        q = kiln.zeros(4)
        q[1:].data = kiln.ones(3)


def test_state_without_memory_updated_in_place_is_computed_with_the_next_program():
    """A parameter made lazily (kiln.Tensor(data)) and updated in place every step must not pile up pending
    updates: the update runs with the next program, so steady-state steps compile nothing."""
    w = kiln.Tensor(kiln.randn(16, 16)).requires_grad_()
    x = kiln.randn(8, 16)
    per_step = []
    for _ in range(5):
        before = kiln._trace.stats()
        loss = (x @ w).relu().mean()
        loss.backward()
        with kiln.no_grad():
            w -= 0.1 * w.grad
            w.grad = None
        loss.item()
        after = kiln._trace.stats()
        per_step.append((after["materializations"] - before["materializations"],
                         after["compiles"] - before["compiles"]))
    assert all(runs == 1 for runs, _ in per_step), per_step
    assert all(compiles == 0 for _, compiles in per_step[2:]), per_step


def test_detach_then_requires_grad_makes_a_leaf_of_its_own():
    x = kiln.from_numpy(np.arange(3.0))
    y = x.detach().requires_grad_()
    assert y.requires_grad and y.is_leaf and not x.requires_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0, 2, 4])
    z = leaf(2)
    w = (z * 3).detach().requires_grad_()
    (w * 2).sum().backward()
    assert z.grad is None
    np.testing.assert_array_equal(w.grad.numpy(), [2, 2])
