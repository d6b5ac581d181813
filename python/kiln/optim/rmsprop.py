"""RMSprop (torch.optim.RMSprop), with momentum, centering, weight decay and maximize."""

import kiln
from kiln.optim._checks import check_non_negative
from kiln.optim.optimizer import Optimizer, _scalar_dtype, _Scalars

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, following PyTorch's update exactly:

    g = -grad if maximize else grad;  g += wd * p;  v = alpha * v + (1 - alpha) * g * g;
    centered: a = lerp(a, g, 1 - alpha), avg = sqrt(v - a * a) + eps; else avg = sqrt(v) + eps;
    momentum > 0: b = momentum * b + g / avg, p -= lr * b;  else p -= lr * g / avg.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        check_non_negative("momentum value", momentum)
        check_non_negative("weight_decay value", weight_decay)
        check_non_negative("alpha value", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with kiln.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        scalars = _Scalars(self, group)
        alpha, eps, weight_decay = group["alpha"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = kiln.tensor(0.0, dtype=_scalar_dtype())
                state["square_avg"] = kiln.zeros_like(p)
                if group["momentum"] > 0:
                    state["momentum_buffer"] = kiln.zeros_like(p)
                if group["centered"]:
                    state["grad_avg"] = kiln.zeros_like(p)
            grad = -p.grad if group["maximize"] else p.grad
            state["step"].add_(1)
            if weight_decay != 0:
                grad = grad.add(p, alpha=weight_decay)
            square_avg = state["square_avg"]
            square_avg.mul_(alpha).add_(grad * grad * (1 - alpha))
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg.lerp_(grad, 1 - alpha)
                avg = (square_avg - grad_avg * grad_avg).sqrt()
            else:
                avg = square_avg.sqrt()
            avg = avg + eps
            lr = scalars("lr", p.dtype)
            if group["momentum"] > 0:
                buf = state["momentum_buffer"]
                buf.mul_(scalars("momentum", p.dtype)).add_(grad / avg)
                p.sub_(buf * lr)
            else:
                p.sub_(grad / avg * lr)
