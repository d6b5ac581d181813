"""kiln.optim.lr_scheduler: the learning rates (and cycled momenta) over many steps against closed forms of
PyTorch's formulas, chainable versus closed form, state_dict resumption, and PyTorch's warnings and errors."""
import math
import warnings
from bisect import bisect_right

import numpy as np
import pytest

import kiln
import kiln.optim as optim
from kiln.optim import lr_scheduler as S

BASE_LRS = [0.1, 0.05]


def make_optimizer(kind="SGD"):
    groups = [{"params": [kiln.zeros(2, requires_grad=True)], "lr": lr} for lr in BASE_LRS]
    if kind == "SGD":
        return optim.SGD(groups, momentum=0.9)
    return optim.Adam(groups)


def run(scheduler, steps):
    """The lrs in effect at each of `steps` optimizer steps (get_last_lr() after each scheduler step agrees)."""
    opt = scheduler.optimizer
    lrs = []
    for _ in range(steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        assert scheduler.get_last_lr() == lrs[-1]
        opt.step()
        scheduler.step()
    return np.array(lrs)


def closed(fn, steps):
    return np.array([[fn(base, t) for base in BASE_LRS] for t in range(steps)])


def cos_anneal(start, end, pct):
    return end + (start - end) / 2 * (1 + np.cos(np.pi * pct))


def lin_anneal(start, end, pct):
    return start + (end - start) * pct


CLOSED_FORMS = {
    "StepLR": (lambda o: S.StepLR(o, step_size=3, gamma=0.5),
               lambda b, t: b * 0.5 ** (t // 3)),
    "MultiStepLR": (lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
                    lambda b, t: b * 0.3 ** bisect_right([2, 5, 5, 9], t)),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, gamma=0.9),
                      lambda b, t: b * 0.9 ** t),
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
                          lambda b, t: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * t / 7)) / 2),
    "LambdaLR": (lambda o: S.LambdaLR(o, lambda e: 1 / (1 + 0.5 * e)),
                 lambda b, t: b / (1 + 0.5 * t)),
    "LinearLR": (lambda o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
                 lambda b, t: b * (0.2 + 0.7 * min(t, 6) / 6)),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_chainable_schedule_matches_its_closed_form(name):
    make, formula = CLOSED_FORMS[name]
    steps = 25
    np.testing.assert_allclose(run(make(make_optimizer()), steps), closed(formula, steps), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_step_with_epoch_uses_the_closed_form_and_warns(name):
    make, formula = CLOSED_FORMS[name]
    scheduler = make(make_optimizer())
    scheduler.optimizer.step()
    for epoch in (4, 11, 2):
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            scheduler.step(epoch)
        assert scheduler.last_epoch == epoch
        np.testing.assert_allclose(scheduler.get_last_lr(), [formula(b, epoch) for b in BASE_LRS], rtol=1e-12)


def test_lambda_lr_one_function_per_group():
    scheduler = S.LambdaLR(make_optimizer(), [lambda e: 0.95 ** e, lambda e: 1 / (e + 1)])
    expected = np.array([[0.1 * 0.95 ** t, 0.05 / (t + 1)] for t in range(10)])
    np.testing.assert_allclose(run(scheduler, 10), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        S.LambdaLR(make_optimizer(), [lambda e: 1.0] * 3)


def test_sequential_lr_switches_at_the_milestones():
    opt = make_optimizer()
    warmup = S.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=4)
    decay = S.ExponentialLR(opt, gamma=0.9)
    steps = S.StepLR(opt, step_size=2, gamma=0.5)
    scheduler = S.SequentialLR(opt, [warmup, decay, steps], milestones=[4, 10])

    def formula(b, t):
        if t < 4:
            return b * (0.1 + 0.9 * t / 4)
        if t < 10:
            return b * 0.9 ** (t - 4)
        return b * 0.5 ** ((t - 10) // 2)

    np.testing.assert_allclose(run(scheduler, 16), closed(formula, 16), rtol=1e-12)


def test_sequential_lr_errors():
    opt = make_optimizer()
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        S.SequentialLR(opt, [], [])
    with pytest.raises(ValueError, match="number of schedulers 1 and the number of milestones to be equal to 1"):
        S.SequentialLR(opt, [S.ExponentialLR(opt, 0.9)], [3])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.SequentialLR(opt, [S.ExponentialLR(make_optimizer(), 0.9)], [])


def one_cycle_reference(total, max_lrs, pct, anneal, three_phase, base_m=0.85, max_m=0.95, div=25.0,
                        final_div=1e4):
    """PyTorch's 1cycle schedule: (lrs, momenta) per step, per group, from the phase boundaries it documents."""
    lrs, moms = [], []
    for t in range(total):
        row_lr, row_m = [], []
        for max_lr in max_lrs:
            initial, low = max_lr / div, max_lr / div / final_div
            up_end = pct * total - 1
            if three_phase:
                phases = [(up_end, initial, max_lr, max_m, base_m),
                          (2 * pct * total - 2, max_lr, initial, base_m, max_m),
                          (total - 1, initial, low, max_m, max_m)]
            else:
                phases = [(up_end, initial, max_lr, max_m, base_m), (total - 1, max_lr, low, base_m, max_m)]
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(phases):
                if t <= end or i == len(phases) - 1:
                    frac = (t - start) / (end - start)
                    row_lr.append(anneal(lr0, lr1, frac))
                    row_m.append(anneal(m0, m1, frac))
                    break
                start = end
        lrs.append(row_lr)
        moms.append(row_m)
    return np.array(lrs), np.array(moms)


@pytest.mark.parametrize("anneal_strategy,three_phase,kind", [
    ("cos", False, "SGD"), ("linear", False, "SGD"), ("cos", True, "Adam"), ("linear", True, "Adam")])
def test_one_cycle_lr_and_momentum(anneal_strategy, three_phase, kind):
    total = 31
    opt = make_optimizer(kind)
    scheduler = S.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=total, pct_start=0.25,
                             anneal_strategy=anneal_strategy, three_phase=three_phase)
    lrs, moms = [], []
    for _ in range(total):
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["betas"][0] if kind == "Adam" else g["momentum"] for g in opt.param_groups])
        opt.step()
        if len(lrs) < total:
            scheduler.step()
    anneal = cos_anneal if anneal_strategy == "cos" else lin_anneal
    ref_lrs, ref_moms = one_cycle_reference(total, [1.0, 0.5], 0.25, anneal, three_phase)
    np.testing.assert_allclose(lrs, ref_lrs, rtol=1e-12)
    np.testing.assert_allclose(moms, ref_moms, rtol=1e-12)
    assert opt.param_groups[0]["betas" if kind == "Adam" else "momentum"] is not None
    scheduler.step()  # step 31 == total_steps: still allowed
    with pytest.raises(ValueError, match="Tried to step 32 times. The specified number of total steps is 31"):
        scheduler.step()


def test_one_cycle_lr_from_epochs_and_errors():
    opt = make_optimizer()
    scheduler = S.OneCycleLR(opt, max_lr=0.3, epochs=2, steps_per_epoch=5, cycle_momentum=False)
    assert scheduler.total_steps == 10 and opt.param_groups[0]["momentum"] == 0.9
    assert opt.param_groups[0]["lr"] == pytest.approx(0.3 / 25)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Expected positive integer total_steps, but got 0"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start, but got 1.5"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        S.OneCycleLR(opt, max_lr=[0.1], total_steps=10)
    no_momentum = optim.Adagrad([kiln.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.OneCycleLR(no_momentum, max_lr=0.1, total_steps=10)


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 3, 0.5),
    lambda o: S.MultiStepLR(o, [2, 4, 4, 7]),
    lambda o: S.CosineAnnealingLR(o, 5, 0.01),
    lambda o: S.LinearLR(o, 0.3, 1.0, 4),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, 1.0, 3), S.ExponentialLR(o, 0.8)], [3]),
    lambda o: S.OneCycleLR(o, 0.5, total_steps=20, three_phase=True),
], ids=["StepLR", "MultiStepLR", "CosineAnnealingLR", "LinearLR", "SequentialLR", "OneCycleLR"])
def test_state_dict_resumes_the_schedule(make):
    reference = make(make_optimizer())
    expected = run(reference, 14)
    first = make(make_optimizer())
    run(first, 6)
    state = first.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 6
    opt = make_optimizer()
    resumed = make(opt)
    resumed.load_state_dict(state)
    for group, lr in zip(opt.param_groups, first.get_last_lr()):
        group["lr"] = lr  # the optimizer's own state dict carries these in a real checkpoint
    if isinstance(resumed, S.OneCycleLR):
        for group, saved in zip(opt.param_groups, first.optimizer.param_groups):
            group["momentum"] = saved["momentum"]
    np.testing.assert_allclose(run(resumed, 8), expected[6:], rtol=1e-12)


def test_multistep_state_dict_survives_a_plain_dict_of_milestones():
    opt = make_optimizer()
    scheduler = S.MultiStepLR(opt, [2, 2, 5])
    state = scheduler.state_dict()
    state["milestones"] = dict(state["milestones"])  # what kiln.load gives back for a Counter
    scheduler.load_state_dict(state)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter"):
        scheduler.step(6)
    np.testing.assert_allclose(scheduler.get_last_lr(), [b * 0.1 ** 3 for b in BASE_LRS])


def test_lambda_lr_state_dict_keeps_callable_objects_state_only():
    class Factor:
        def __init__(self):
            self.scale = 0.5

        def __call__(self, epoch):
            return self.scale ** epoch

    scheduler = S.LambdaLR(make_optimizer(), [Factor(), lambda e: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"scale": 0.5}, None]
    state["lr_lambdas"][0]["scale"] = 0.25
    scheduler.load_state_dict(state)
    assert scheduler.lr_lambdas[0].scale == 0.25 and "lr_lambdas" in state


def test_warnings_as_pytorch():
    opt = make_optimizer()
    scheduler = S.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        scheduler.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()
    opt = make_optimizer()
    scheduler = S.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        scheduler.step()


def test_scheduler_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], 2)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        S.StepLR(make_optimizer(), 2, last_epoch=3)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater than 0"):
        S.LinearLR(make_optimizer(), start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between 0 and 1"):
        S.LinearLR(make_optimizer(), end_factor=1.5)


def test_tensor_lr_is_updated_in_place():
    lr = kiln.tensor(0.1, dtype=kiln.float64)
    opt = optim.SGD([kiln.zeros(2, requires_grad=True)], lr=lr)
    scheduler = S.ExponentialLR(opt, gamma=0.5)
    opt.step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(0.05)
    last = scheduler.get_last_lr()[0]
    assert last is not lr and last.item() == pytest.approx(0.05)
