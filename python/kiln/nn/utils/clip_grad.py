"""clip_grad_norm_ and clip_grad_value_: gradient clipping in place, under no_grad, without reading the gradients
(the scale is a tensor, so the clipping joins the step's program) unless error_if_nonfinite asks for a check."""
import math

import kiln
from kiln import _C
from kiln._grad_mode import no_grad


def _grads(parameters):
    if isinstance(parameters, _C.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients of `parameters` in place so that their total norm_type-norm (the norm of the
    per-parameter norms) is at most max_norm; returns the total norm before clipping (a 0-d tensor)."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return kiln.tensor(0.0)
    with no_grad():
        if norm_type == math.inf:
            norms = [g.abs().max().to(_C.float32) if g.dtype in (_C.float16, _C.bfloat16) else g.abs().max()
                     for g in grads]
            total = norms[0] if len(norms) == 1 else kiln.stack([n.to(norms[0].dtype) for n in norms]).max()
        else:
            norms = [kiln.norm(g, norm_type) for g in grads]
            total = norms[0] if len(norms) == 1 else kiln.norm(kiln.stack([n.to(norms[0].dtype) for n in norms]),
                                                               norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                               "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                               "norm anyway, set `error_if_nonfinite=False`")
        scale = kiln.clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(scale.to(g.dtype))
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient of `parameters` to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
