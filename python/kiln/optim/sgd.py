"""SGD with momentum, dampening, Nesterov momentum, weight decay and maximize (torch.optim.SGD)."""

import kiln
from kiln.optim._checks import check_non_negative
from kiln.optim.optimizer import Optimizer, _Scalars

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, following PyTorch's update exactly:

    g = -grad if maximize else grad;  g += weight_decay * p;
    with momentum: b = g on the first step, else b = momentum * b + (1 - dampening) * g;
    g = g + momentum * b (nesterov) or b;  p -= lr * g.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_non_negative("learning rate", lr)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with kiln.no_grad():
            for group in self.param_groups:
                scalars = _Scalars(self, group)
                momentum, dampening = group["momentum"], group["dampening"]
                weight_decay = group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = -p.grad if group["maximize"] else p.grad
                    if weight_decay != 0:
                        grad = grad.add(p, alpha=weight_decay)
                    if momentum != 0:
                        state = self.state[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            buf = grad.detach().clone()
                            state["momentum_buffer"] = buf
                        else:
                            buf.mul_(scalars("momentum", p.dtype)).add_(grad, alpha=1 - dampening)
                        if group["nesterov"]:
                            grad = grad + buf * scalars("momentum", p.dtype)
                        else:
                            grad = buf
                    p.sub_(grad * scalars("lr", p.dtype))
        return loss
