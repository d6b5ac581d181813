"""kiln.optim: every optimizer and option against a NumPy float64 implementation of PyTorch's update formulas,
param groups, state_dict round trips, step hooks, PyTorch's errors, and one compiled program per training step."""
import math

import numpy as np
import pytest

import kiln
import kiln.optim as optim

STEPS = 5


# --- NumPy references: PyTorch's documented updates, one parameter, float64 ------------------------------------

def sgd_ref(p, grads, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    buf = None
    for g in grads:
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam_ref(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    m, v, v_max = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if weight_decay:
            if decoupled:
                p = p * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v_hat) + eps)
    return p


def adamw_ref(p, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
    return adam_ref(p, grads, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled=True)


def rmsprop_ref(p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                maximize=False):
    v, a, buf = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            a = alpha * a + (1 - alpha) * g
            avg = np.sqrt(v - a * a) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
    return p


def adagrad_ref(p, grads, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                maximize=False):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
    return p


def adadelta_ref(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    v, u = np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        p = p - lr * dx
    return p


CASES = [
    (optim.SGD, sgd_ref, dict(lr=0.1)),
    (optim.SGD, sgd_ref, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, sgd_ref, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, sgd_ref, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.SGD, sgd_ref, dict(lr=0.1, momentum=0.5, maximize=True)),
    (optim.Adam, adam_ref, dict(lr=0.01)),
    (optim.Adam, adam_ref, dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    (optim.Adam, adam_ref, dict(lr=0.01, amsgrad=True)),
    (optim.Adam, adam_ref, dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    (optim.AdamW, adamw_ref, dict(lr=0.01)),
    (optim.AdamW, adamw_ref, dict(lr=0.03, weight_decay=0.2, amsgrad=True, maximize=True)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.9)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01, centered=True)),
    (optim.RMSprop, rmsprop_ref, dict(lr=0.01, centered=True, momentum=0.5, eps=1e-4, maximize=True)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    (optim.Adagrad, adagrad_ref, dict(lr=0.1, eps=1e-3, maximize=True)),
    (optim.Adadelta, adadelta_ref, dict()),
    (optim.Adadelta, adadelta_ref, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
]


def case_id(case):
    cls, _, kwargs = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def make_problem(seed, dtype=np.float64, shapes=((3, 4), (5,))):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(STEPS)]
    return values, grads


def run_steps(opt, params, grads, check_each=None):
    for i, step_grads in enumerate(grads):
        for p, g in zip(params, step_grads):
            p.grad = kiln.from_numpy(g.copy())
        opt.step()
        if check_each is not None:
            check_each(i)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_updates_match_pytorch_formulas_float64(case):
    cls, ref, kwargs = case
    values, grads = make_problem(1)
    params = [kiln.from_numpy(v.copy()).requires_grad_() for v in values]
    opt = cls(params, **kwargs)
    run_steps(opt, params, grads)
    for i, (p, v) in enumerate(zip(params, values)):
        expected = ref(v, [g[i] for g in grads], **kwargs)
        np.testing.assert_allclose(p.numpy(), expected, rtol=1e-12, atol=1e-13)
    assert all(p.requires_grad and p.is_leaf for p in params)


@pytest.mark.parametrize("case", [CASES[3], CASES[8], CASES[10], CASES[14], CASES[16]], ids=case_id)
def test_updates_match_after_every_step_float32(case):
    cls, ref, kwargs = case
    values, grads = make_problem(2, np.float32)
    params = [kiln.from_numpy(v.copy()).requires_grad_() for v in values]
    opt = cls(params, **kwargs)

    def check(step):
        for i, (p, v) in enumerate(zip(params, values)):
            expected = ref(v.astype(np.float64), [g[i].astype(np.float64) for g in grads[:step + 1]], **kwargs)
            assert p.dtype is kiln.float32
            np.testing.assert_allclose(p.numpy(), expected, rtol=2e-5, atol=2e-6)

    run_steps(opt, params, grads, check)


@pytest.mark.parametrize("dtype,atol", [(kiln.float16, 2e-3), (kiln.bfloat16, 2e-2)], ids=["float16", "bfloat16"])
@pytest.mark.parametrize("case", [CASES[1], CASES[8], CASES[14], CASES[16]], ids=case_id)
def test_half_precision_parameters_stay_in_their_dtype(case, dtype, atol):
    cls, ref, kwargs = case
    values, grads = make_problem(9, shapes=((4, 3),))
    rounded = lambda a: kiln.from_numpy(a).to(dtype).double().numpy()  # noqa: E731
    p = kiln.from_numpy(values[0]).to(dtype).requires_grad_()
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = kiln.from_numpy(g[0]).to(dtype)
        opt.step()
    assert p.dtype is dtype and all(v.dtype in (dtype, kiln.float32) for v in opt.state[p].values())
    expected = ref(rounded(values[0]), [rounded(g[0]) for g in grads], **kwargs)
    np.testing.assert_allclose(p.double().numpy(), expected, rtol=0, atol=atol)


def test_adagrad_state_comes_with_the_param_group():
    a, b = kiln.zeros(2, requires_grad=True), kiln.zeros(3, requires_grad=True)
    opt = optim.Adagrad([a], initial_accumulator_value=0.5)
    opt.add_param_group({"params": [b], "initial_accumulator_value": 2.0})
    assert opt.state[a]["step"].item() == 0.0
    np.testing.assert_array_equal(opt.state[a]["sum"].numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(opt.state[b]["sum"].numpy(), [2.0, 2.0, 2.0])


def test_param_groups_with_their_own_options():
    values, grads = make_problem(3)
    a, b = (kiln.from_numpy(v.copy()).requires_grad_() for v in values)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.01, "momentum": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.5]
    assert opt.param_groups[1]["params"][0] is b and opt.param_groups[1]["nesterov"] is False
    run_steps(opt, [a, b], grads)
    np.testing.assert_allclose(a.numpy(), sgd_ref(values[0], [g[0] for g in grads], 0.1, 0.9), rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), sgd_ref(values[1], [g[1] for g in grads], 0.01, 0.5), rtol=1e-12)


def test_add_param_group_and_parameters_without_gradients():
    values, grads = make_problem(4)
    a, b = (kiln.from_numpy(v.copy()).requires_grad_() for v in values)
    opt = optim.Adam([a], lr=0.01)
    opt.add_param_group({"params": [b], "lr": 0.1, "amsgrad": True})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999) and opt.param_groups[1]["amsgrad"] is True
    # b gets no gradient in the first step: it is skipped and gets no state (its step count starts later).
    a.grad = kiln.from_numpy(grads[0][0].copy())
    opt.step()
    assert b not in opt.state and len(opt.state[a]) == 3
    np.testing.assert_array_equal(b.numpy(), values[1])
    run_steps(opt, [a, b], grads[1:])
    np.testing.assert_allclose(a.numpy(), adam_ref(values[0], [g[0] for g in grads], lr=0.01), rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), adam_ref(values[1], [g[1] for g in grads[1:]], lr=0.1, amsgrad=True),
                               rtol=1e-12)
    assert opt.state[b]["step"].item() == STEPS - 1


def test_named_parameters_and_repr():
    w = kiln.zeros(2, requires_grad=True)
    opt = optim.SGD([("layer.weight", w)], lr=0.5)
    assert opt.param_groups[0]["param_names"] == ["layer.weight"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["layer.weight"]
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5\n" in text
    with pytest.raises(ValueError, match="cannot add param group without names"):
        opt.add_param_group({"params": [kiln.zeros(1, requires_grad=True)]})


def test_zero_grad_to_none_and_to_zeros():
    w = kiln.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])  # accumulated onto the zeros
    opt.zero_grad()
    assert w.grad is None


def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned():
    x = kiln.from_numpy(np.array([3.0])).requires_grad_()
    opt = optim.SGD([x], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with kiln.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0
    np.testing.assert_allclose(x.numpy(), [3.0 - 0.25 * 6.0])


def test_training_a_model_through_backward():
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((16, 3))
    y_np = x_np @ np.array([[1.0], [-2.0], [0.5]])
    w = kiln.zeros(3, 1, dtype=kiln.float64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    x, y = kiln.from_numpy(x_np), kiln.from_numpy(y_np)
    grads, w_ref = [], np.zeros((3, 1))
    for _ in range(5):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        grads.append(w.grad.numpy().copy())
        opt.step()
    np.testing.assert_allclose(grads[0], 2 / 16 * x_np.T @ (x_np @ w_ref - y_np), rtol=1e-12)
    np.testing.assert_allclose(w.numpy(), sgd_ref(w_ref, grads, 0.1, 0.9, nesterov=True), rtol=1e-12)


@pytest.mark.parametrize("case", [CASES[2], CASES[8], CASES[14], CASES[16]], ids=case_id)
def test_state_dict_round_trip_continues_training_identically(case):
    cls, _, kwargs = case
    values, grads = make_problem(6, shapes=((3, 4), (5,), (2,)))
    params = [kiln.from_numpy(v.copy()).requires_grad_() for v in values]
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], **kwargs)
    run_steps(opt, params, grads[:2])

    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2]
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2]]
    assert saved["param_groups"][1]["lr"] == 0.5
    # A second optimizer over copies of the parameters, loaded from the state dict (through NumPy copies, as a
    # checkpoint would hold them).
    copies = [kiln.from_numpy(p.numpy().copy()).requires_grad_() for p in params]
    snapshot = {k: {n: (kiln.from_numpy(v.numpy().copy()) if isinstance(v, kiln.Tensor) else v)
                    for n, v in s.items()} for k, s in saved["state"].items()}
    resumed = cls([{"params": copies[:2]}, {"params": copies[2:]}], **kwargs)
    resumed.load_state_dict({"state": snapshot, "param_groups": saved["param_groups"]})
    assert resumed.param_groups[1]["lr"] == 0.5 and resumed.param_groups[1]["params"][0] is copies[2]
    assert resumed.state[copies[0]].keys() == opt.state[params[0]].keys()

    run_steps(opt, params, grads[2:])
    run_steps(resumed, copies, grads[2:])
    for p, c in zip(params, copies):
        np.testing.assert_array_equal(c.numpy(), p.numpy())


def test_load_state_dict_casts_floating_state_but_not_the_step():
    w = kiln.zeros(3, dtype=kiln.float32, requires_grad=True)
    opt = optim.Adam([w])
    w.grad = kiln.ones(3)
    opt.step()
    state = opt.state_dict()
    state["state"][0]["exp_avg"] = kiln.ones(3, dtype=kiln.float64)
    fresh = optim.Adam([w])
    fresh.load_state_dict(state)
    assert fresh.state[w]["exp_avg"].dtype is kiln.float32
    assert fresh.state[w]["step"].dtype is kiln.float32 and fresh.state[w]["step"].item() == 1.0
    assert fresh.state[w]["exp_avg_sq"] is not opt.state[w]["exp_avg_sq"]


def test_load_state_dict_errors():
    a, b = kiln.zeros(2, requires_grad=True), kiln.zeros(2, requires_grad=True)
    two_groups = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    one_group = optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        one_group.load_state_dict(two_groups)
    other = optim.SGD([{"params": [a, b]}, {"params": [kiln.zeros(1, requires_grad=True)]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match the size "
                                         "of optimizer's group"):
        other.load_state_dict(two_groups)
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        one_group.load_state_dict({"state": {}})


def test_construction_errors_as_pytorch():
    w = kiln.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got kiln.Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is list"):
        optim.SGD([[1.0]], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="floating point dtype, but one of the params has dtype kiln.int64"):
        optim.SGD([kiln.zeros(2, dtype=kiln.int64)], lr=0.1)
    with pytest.raises(ValueError, match="a parameter group with duplicate parameters"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got list"):
        optim.SGD([w], lr=0.1).add_param_group([w])
    with pytest.raises(TypeError, match="ordering of tensors in sets will change"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        optim.Optimizer([w], {"lr": optim.optimizer.required})
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.Adam([w], lr=-0.1)
    with pytest.raises(ValueError, match="Invalid momentum value: -1"):
        optim.SGD([w], lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value: -1e-08"):
        optim.RMSprop([w], eps=-1e-8)
    with pytest.raises(ValueError, match="Invalid alpha value: -0.5"):
        optim.RMSprop([w], alpha=-0.5)
    with pytest.raises(ValueError, match="Invalid lr_decay value: -1"):
        optim.Adagrad([w], lr_decay=-1)
    with pytest.raises(ValueError, match="Invalid initial_accumulator_value value: -1"):
        optim.Adagrad([w], initial_accumulator_value=-1)
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.SGD([w], lr=kiln.ones(2))


def test_tensor_learning_rate():
    values, grads = make_problem(7)
    p = kiln.from_numpy(values[0].copy()).requires_grad_()
    opt = optim.Adam([p], lr=kiln.tensor(0.02, dtype=kiln.float64))
    run_steps(opt, [p], [[g[0]] for g in grads])
    np.testing.assert_allclose(p.numpy(), adam_ref(values[0], [g[0] for g in grads], lr=0.02), rtol=1e-12)


def test_step_hooks_run_around_step_and_can_be_removed():
    w = kiln.zeros(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, args)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt, args)))
    opt.step()
    assert calls == [("pre", True, ()), ("post", True, ())]
    pre.remove()
    post.remove()
    opt.step()
    assert len(calls) == 2

    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: ((lambda: seen.append("replaced") or 1.0,), {}))
    assert opt.step(lambda: 0.0) == 1.0 and seen == ["replaced"]


def test_step_records_without_running_anything():
    w = kiln.from_numpy(np.ones(4)).requires_grad_()
    for opt in (optim.SGD([w], lr=0.1, momentum=0.9), optim.Adam([w], amsgrad=True), optim.RMSprop([w], centered=True),
                optim.Adagrad([w], lr_decay=0.1), optim.AdamW([w])):
        for _ in range(2):
            w.grad = kiln.from_numpy(np.full(4, 0.5))
            before = kiln._trace.stats()["materializations"]
            opt.step()
            assert kiln._trace.stats()["materializations"] == before, type(opt).__name__
            assert w._is_pending
        assert math.isfinite(w.sum().item())


def test_scheduled_adam_compiles_no_program_after_its_second_step():
    """10 Adam steps with lr and beta1 changing every step (OneCycleLR): steps 3..10 reuse the program."""
    rng = np.random.default_rng(8)
    params = [kiln.from_numpy(rng.standard_normal(s).astype(np.float32) * 0.1).requires_grad_()
              for s in [(8, 16), (16,), (16, 4)]]
    w1, b1, w2 = params
    opt = optim.Adam(params, lr=0.01, weight_decay=0.01)
    scheduler = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=12)
    per_step, lrs = [], []
    for _ in range(10):
        x = kiln.from_numpy(rng.standard_normal((32, 8)).astype(np.float32))
        y = kiln.from_numpy(rng.standard_normal((32, 4)).astype(np.float32))
        before = kiln._trace.stats()
        opt.zero_grad()
        loss = ((kiln.relu(x @ w1 + b1) @ w2 - y) ** 2).mean()
        loss.backward()
        opt.step()
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
        assert math.isfinite(loss.item())
        after = kiln._trace.stats()
        per_step.append((after["materializations"] - before["materializations"],
                         after["compiles"] - before["compiles"]))
    assert len(set(lrs)) == 10
    assert all(runs == 1 for runs, _ in per_step), per_step
    assert all(compiles == 0 for _, compiles in per_step[2:]), per_step


def test_a_changed_learning_rate_is_used_at_once():
    # Steps reuse the 0-d tensor of an unchanged hyper-parameter; a changed one (back to an earlier value too, and
    # the same value in another group) must reach the update.
    p = kiln.tensor([1.0, 2.0], requires_grad=True)
    q = kiln.tensor([3.0], requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.25}], lr=0.5)
    expected_p, expected_q = np.array([1.0, 2.0]), np.array([3.0])
    for lr_p, lr_q in [(0.5, 0.25), (0.5, 0.25), (0.125, 0.5), (0.5, 0.5), (0.5, 0.25)]:
        opt.param_groups[0]["lr"], opt.param_groups[1]["lr"] = lr_p, lr_q
        opt.zero_grad()
        ((p * p).sum() + (q * 3).sum()).backward()
        expected_p, expected_q = expected_p - lr_p * 2 * expected_p, expected_q - lr_q * 3
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), expected_p, rtol=1e-6)
        np.testing.assert_allclose(q.detach().numpy(), expected_q, rtol=1e-6)
