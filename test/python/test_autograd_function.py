"""Custom autograd Functions, hooks and retained gradients on non-leaf tensors, gradients with respect to
intermediate values, and PyTorch's version-counter errors for memory changed in place."""
import numpy as np
import pytest

import kiln
from kiln.autograd import Function, gradcheck, gradgradcheck

RNG = np.random.default_rng(11)


def leaf(*shape, positive=False):
    values = RNG.standard_normal(shape)
    if positive:
        values = np.abs(values) + 0.5
    return kiln.from_numpy(values).requires_grad_()


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class MulAdd(Function):
    """Two tensor inputs, a number, two outputs (one integer, not differentiable)."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale, (a > 0).to(kiln.int64)

    @staticmethod
    def backward(ctx, g, g_mask):
        a, b = ctx.saved_tensors
        return g * b * ctx.scale, g * a * ctx.scale, None


class ClampGrad(Function):
    """Forward is the identity; backward clips the gradient (a custom rule no op has)."""

    @staticmethod
    def forward(x):
        return x.clone()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.limit = 0.5

    @staticmethod
    def backward(ctx, g):
        return g.clamp(-ctx.limit, ctx.limit)


def test_function_gradient_matches_the_op_it_replaces():
    x = leaf(3, 4)
    y = Exp.apply(x)
    assert not y.is_leaf and y.requires_grad and y.grad_fn.name() == "ExpBackward"
    (y * kiln.from_numpy(np.arange(12.0).reshape(3, 4))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()) * np.arange(12.0).reshape(3, 4))
    assert gradcheck(Exp.apply, [leaf(2, 3)])


def test_function_with_several_inputs_outputs_and_numbers():
    a, b = leaf(2, 3), leaf(3)
    out, mask = MulAdd.apply(a, b, 2.5)
    assert out.requires_grad and not mask.requires_grad and mask.dtype == kiln.int64
    np.testing.assert_array_equal(mask.numpy(), (a.detach().numpy() > 0).astype(np.int64))
    (out ** 2).sum().backward()
    g = 2 * out.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), g * b.detach().numpy() * 2.5, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), (g * a.detach().numpy() * 2.5).sum(0), rtol=1e-12)


def test_function_inside_a_larger_graph_and_setup_context_style():
    x = leaf(5)
    y = ClampGrad.apply(x * 3)
    assert y.grad_fn.name() == "ClampGradBackward"
    (y * 10).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(5, 1.5))  # 10 clipped to 0.5, times 3


def test_function_needs_input_grad_and_no_grad_inputs():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a, b = leaf(2), kiln.ones(2, dtype=kiln.float64)
    Probe.apply(a, b).sum().backward()
    assert seen == [(True, False)]
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1])
    plain = Probe.apply(kiln.ones(2), kiln.ones(2))
    assert not plain.requires_grad
    with kiln.no_grad():
        assert not Probe.apply(a, b).requires_grad


def test_function_double_backward_with_a_differentiable_backward():
    x = leaf(4)
    assert gradgradcheck(Exp.apply, [x])
    y = Exp.apply(x).sum()
    (gx,) = kiln.autograd.grad(y, [x], create_graph=True)
    (ggx,) = kiln.autograd.grad(gx.sum(), [x])
    np.testing.assert_allclose(ggx.numpy(), np.exp(x.detach().numpy()), rtol=1e-12)


def test_function_unused_output_gradient_is_materialized_as_zeros():
    class Split(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    x = leaf(3)
    first, _ = Split.apply(x)
    first.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])


def test_function_errors():
    class WrongCount(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g[:1]

    with pytest.raises(RuntimeError, match=r"WrongCountBackward returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        WrongCount.apply(leaf(2), leaf(2)).sum().backward()
    with pytest.raises(RuntimeError, match=r"WrongShapeBackward returned an invalid gradient at index 0 - got \[1\] "
                                           r"but expected shape compatible with \[3\]"):
        WrongShape.apply(leaf(3)).sum().backward()
    with pytest.raises(RuntimeError, match="non-static forward"):
        Exp()
    y = Exp.apply(leaf(2)).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_function_saved_tensor_modified_in_place_raises():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * g * x

    x = leaf(3)
    y = Square.apply(x)
    with kiln.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*expected version"):
        y.sum().backward()


def test_function_backward_fuses_with_the_rest_of_the_step():
    x = leaf(64)
    Exp.apply(x * 2).sum().backward()
    kiln.sync()
    before = kiln._trace.stats()
    x.grad = None
    loss = Exp.apply(x * 2).sum()
    loss.backward()
    kiln._C._materialize([loss, x.grad])
    after = kiln._trace.stats()
    assert after["materializations"] - before["materializations"] == 1
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()), rtol=1e-12)


def test_hooks_on_non_leaf_tensors_see_and_replace_the_gradient():
    a = leaf(4)
    b = a * 3
    seen = []
    handle = b.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    c = (b * b).sum()
    c.backward(retain_graph=True)
    bd = b.detach().numpy()
    np.testing.assert_allclose(seen[0], 2 * bd)
    np.testing.assert_allclose(a.grad.numpy(), 3 * 10 * 2 * bd)
    handle.remove()
    a.grad = None
    c.backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 * 2 * bd)
    assert len(seen) == 1


def test_hook_gets_the_total_gradient_of_a_value_used_twice():
    a = leaf(3)
    b = a.exp()
    totals = []
    b.register_hook(lambda g: totals.append(g.numpy().copy()))
    (b * 2 + b.sin()).sum().backward()
    bd = b.detach().numpy()
    np.testing.assert_allclose(totals[0], 2 + np.cos(bd))
    np.testing.assert_allclose(a.grad.numpy(), (2 + np.cos(bd)) * bd)


def test_hooks_run_latest_value_first_and_nested_hooks_compose():
    x = leaf(2)
    y = x * 2
    z = y * 3
    order = []
    y.register_hook(lambda g: order.append("y") or g + 1)
    z.register_hook(lambda g: order.append("z") or g * 2)
    z.sum().backward()
    assert order == ["z", "y"]
    np.testing.assert_allclose(x.grad.numpy(), [(2 * 3 + 1) * 2] * 2)


def test_retain_grad_on_non_leaf_and_views():
    x = leaf(2, 3)
    y = x * 2
    y.retain_grad()
    row = y[1]
    row.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (row * 5).sum().backward()
    expected = np.zeros((2, 3))
    expected[1] = 5
    np.testing.assert_array_equal(row.grad.numpy(), [5, 5, 5])
    np.testing.assert_array_equal(y.grad.numpy(), expected)
    np.testing.assert_array_equal(x.grad.numpy(), 2 * expected)
    z = x * 1
    (z * 2).sum().backward()
    assert z.grad is None  # not retained


def test_grad_with_respect_to_intermediate_and_leaf():
    x = leaf(3)
    y = x * 2
    z = (y * 3).sum() + x.sum()
    gy, gx = kiln.autograd.grad(z, [y, x])
    np.testing.assert_array_equal(gy.numpy(), [3, 3, 3])
    np.testing.assert_array_equal(gx.numpy(), [7, 7, 7])  # 6 through y, 1 directly


def test_backward_inputs_accepts_non_leaf_tensors():
    x = leaf(2)
    y = x * 4
    (y * y).sum().backward(inputs=[y])
    assert x.grad is None
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy())


def test_hook_errors():
    x = leaf(3)
    y = x * 2
    y.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match=r"hook returned a gradient of shape \[2\] for a gradient of shape \[3\]"):
        y.sum().backward()
    z = x * 2
    z.register_hook(lambda g: 3)
    with pytest.raises(TypeError, match="must return a Tensor or None, not int"):
        z.sum().backward()
    with pytest.raises(TypeError, match="hook must be callable"):
        (x * 2).register_hook(5)


def test_memory_changed_in_place_after_the_forward_raises_like_pytorch():
    w = leaf(3)
    v = kiln.from_numpy(RNG.standard_normal(3))
    out = (w * v).sum()
    kiln.sync()
    v.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[float64 \[3\]\] is at version 1; "
                                           r"expected version 0 instead"):
        out.backward()
    # A value the gradient does not read may change: d(w + v)/dw needs no v.
    w2 = leaf(3)
    out2 = (w2 + v).sum()
    kiln.sync()
    v.add_(1)
    out2.backward()
    np.testing.assert_array_equal(w2.grad.numpy(), [1, 1, 1])


def test_optimizer_step_between_backward_calls_raises():
    w = leaf(3)
    x = kiln.from_numpy(RNG.standard_normal(3))
    loss = (w * w * x).sum()
    loss.backward(retain_graph=True)
    kiln.sync()
    with kiln.no_grad():
        w -= 0.1 * w.grad
    kiln.sync()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_detach_in_place():
    x = leaf(3)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        (x * 2)[1:].detach_()
    assert x._version == 0
    with kiln.no_grad():
        x.add_(1)
    assert x._version == 1
