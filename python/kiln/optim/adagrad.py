"""Adagrad (torch.optim.Adagrad), with learning-rate decay, weight decay and maximize."""

import kiln
from kiln.optim._checks import check_non_negative
from kiln.optim.optimizer import Optimizer, _math_dtype, _scalar_dtype, _Scalars

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, following PyTorch's update exactly (t counts this parameter's steps):

    g = -grad if maximize else grad;  g += wd * p;  clr = lr / (1 + (t - 1) * lr_decay);
    s += g * g;  p -= clr * g / (sqrt(s) + eps).

    As in PyTorch the state (step and the sum, starting at initial_accumulator_value) is made with the param group.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_non_negative("learning rate", lr)
        check_non_negative("lr_decay value", lr_decay)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("initial_accumulator_value value", initial_accumulator_value)
        check_non_negative("epsilon value", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        for p in param_group["params"]:
            self._init_state(param_group, p)

    def _init_state(self, group, p):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = kiln.tensor(0.0, dtype=_scalar_dtype())
            state["sum"] = kiln.full_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with kiln.no_grad():
            for group in self.param_groups:
                scalars = _Scalars(self, group)
                lr_decay, eps, weight_decay = group["lr_decay"], group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    step = state["step"]
                    step.add_(1)
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    math = _math_dtype(p.dtype)
                    clr = scalars("lr", math) / (1 + (step.to(math) - 1) * lr_decay)
                    state_sum = state["sum"]
                    state_sum.add_(grad * grad)
                    std = state_sum.sqrt() + eps
                    p.sub_(grad / std * clr)
        return loss
