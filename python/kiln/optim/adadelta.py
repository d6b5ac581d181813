"""Adadelta (torch.optim.Adadelta), with weight decay and maximize."""

import kiln
from kiln import _C
from kiln.optim._checks import check_non_negative
from kiln.optim.optimizer import Optimizer, _math_dtype, _scalar_dtype, _Scalars

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, following PyTorch's update exactly:

    g = -grad if maximize else grad;  g += wd * p;  v = rho * v + (1 - rho) * g^2;
    dx = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho * u + (1 - rho) * dx^2;  p -= lr * dx.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_non_negative("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative("epsilon value", eps)
        check_non_negative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach, capturable=capturable,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with kiln.no_grad():
            for group in self.param_groups:
                scalars = _Scalars(self, group)
                rho, eps, weight_decay, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = kiln.tensor(0.0, dtype=_scalar_dtype())
                        state["square_avg"] = kiln.zeros_like(p)
                        state["acc_delta"] = kiln.zeros_like(p)
                    # The update in the class docstring, recorded by one C++ call (lib/Trace/Optim.h) instead
                    # of seventeen Python calls.
                    _C._adadelta_update(p, grad, state["square_avg"], state["acc_delta"], state["step"],
                                        scalars("lr", _math_dtype(p.dtype)).to(p.dtype), rho, eps, weight_decay,
                                        maximize)
        return loss
