"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW), with amsgrad and maximize."""

import kiln
from kiln.optim._checks import check_non_negative, value_of
from kiln.optim.optimizer import Optimizer, _math_dtype, _scalar_dtype, _Scalars

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam, following PyTorch's update exactly (t counts this parameter's steps):

    g = -grad if maximize else grad;  weight decay: p *= 1 - lr * wd (decoupled, AdamW) or g += wd * p;
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;  amsgrad: v_max = max(v_max, v), used for v;
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).

    t is kept as a 0-d float tensor (state['step']) and lr and beta1 enter as 0-d tensors, so neither the step
    count nor a scheduled lr or beta1 compiles a new program.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_non_negative("learning rate", lr)
        check_non_negative("epsilon value", eps)
        for i in (0, 1):
            if not 0.0 <= value_of(betas[i]) < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        check_non_negative("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, group, p):
        state = self.state[p]
        if len(state) == 0:
            state["step"] = kiln.tensor(0.0, dtype=_scalar_dtype())
            state["exp_avg"] = kiln.zeros_like(p)
            state["exp_avg_sq"] = kiln.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = kiln.zeros_like(p)
        return state

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        with kiln.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        scalars = _Scalars(self, group)
        beta1, beta2 = group["betas"]
        weight_decay, eps = group["weight_decay"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self._init_state(group, p)
            grad = -p.grad if group["maximize"] else p.grad
            math = _math_dtype(p.dtype)
            lr = scalars("lr", math)
            beta1_t = scalars("beta1", math, beta1)
            step = state["step"]
            step.add_(1)
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(p, alpha=weight_decay)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(grad, 1 - beta1_t)
            exp_avg_sq.mul_(beta2).add_(grad * grad * (1 - beta2))
            t = step.to(math)
            bias_correction1 = 1 - beta1_t ** t
            bias_correction2_sqrt = (1 - beta2 ** t).sqrt()
            step_size = lr / bias_correction1
            if group["amsgrad"]:
                max_exp_avg_sq = state["max_exp_avg_sq"]
                max_exp_avg_sq.copy_(kiln.maximum(max_exp_avg_sq, exp_avg_sq))
                denom = max_exp_avg_sq.sqrt() / bias_correction2_sqrt + eps
            else:
                denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps
            p.sub_(exp_avg / denom * step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (p *= 1 - lr * weight_decay before the update), weight_decay 1e-2 by
    default."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


