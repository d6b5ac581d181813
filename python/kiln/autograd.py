"""kiln.autograd: gradients of recorded computations (grad, backward) and their finite-difference checks."""
import itertools

import numpy as np

from kiln import _C
from kiln._function import Function, FunctionCtx, once_differentiable  # noqa: F401
from kiln._grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: F401


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, _C.Tensor):
        return [value]
    return list(value)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """The gradients of sum(outputs * grad_outputs) with respect to `inputs`, as a tuple (None for an unused input
    when allow_unused)."""
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad(): grad requires one grad_output per output, got {len(grad_outputs)} for "
                           f"{len(outputs)} outputs")
    retain = create_graph if retain_graph is None else retain_graph
    result = _C._grad(outputs, grad_outputs, inputs, bool(retain), bool(create_graph))
    for i, value in enumerate(result):
        if value is None:
            if materialize_grads:
                result[i] = _C._full(inputs[i].shape, 0, inputs[i].dtype)
            elif not allow_unused:
                raise RuntimeError("grad(): One of the differentiated Tensors appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of sum(tensors * grad_tensors) into .grad of the leaves (or of `inputs`)."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) or [None] * len(tensors)
    retain = create_graph if retain_graph is None else retain_graph
    targets = _as_list(inputs)
    if inputs is not None and not targets:
        raise RuntimeError("backward(): 'inputs' argument to backward() cannot be empty.")
    _C._backward(tensors, grad_tensors, targets, bool(retain), bool(create_graph))


def _numerical_jacobian(fn, inputs, index, eps):
    """d(outputs)/d(inputs[index]) by central differences, in float64, as [out elements, in elements]."""
    base = inputs[index].numpy().astype(np.float64)
    columns = []
    for position in itertools.product(*[range(s) for s in base.shape]):
        values = []
        for sign in (1, -1):
            shifted = base.copy()
            shifted[position] += sign * eps
            args = list(inputs)
            # The shifted input keeps requires_grad: fn may differentiate (gradgradcheck).
            args[index] = _C.from_numpy(shifted).requires_grad_(inputs[index].requires_grad)
            out = fn(*args)
            values.append(np.concatenate([o.numpy().astype(np.float64).ravel() for o in _as_list(out)]))
        columns.append((values[0] - values[1]) / (2 * eps))
    return np.stack(columns, axis=1) if columns else np.zeros((0, 0))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares the gradients Kiln computes for `fn` at float64 `inputs` with central finite differences, one
    output element at a time (as torch.autograd.gradcheck does)."""
    inputs = [t for t in _as_list(inputs)]
    wrt = [i for i, t in enumerate(inputs) if t.requires_grad]
    outputs = _as_list(fn(*inputs))
    for out_index, out in enumerate(outputs):
        flat = out.numel()
        for element in range(flat):
            seed = np.zeros(flat, np.float64)
            seed[element] = 1.0
            seed_t = _C.from_numpy(seed.reshape(tuple(out.shape)))
            analytic = grad([out], [inputs[i] for i in wrt], [seed_t], retain_graph=True, allow_unused=True)
            for k, i in enumerate(wrt):
                numeric = _numerical_jacobian(lambda *a: _as_list(fn(*a))[out_index], inputs, i, eps)[element]
                got = np.zeros(inputs[i].numel()) if analytic[k] is None else analytic[k].numpy().ravel()
                if not np.allclose(got, numeric, atol=atol, rtol=rtol):
                    if raise_exception:
                        raise RuntimeError(f"gradcheck(): Jacobian mismatch for output {out_index} element {element} "
                                           f"with respect to input {i}:\nnumerical: {numeric}\nanalytical: {got}")
                    return False
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """gradcheck of the function that returns fn's gradients (with create_graph=True): second derivatives."""
    inputs = _as_list(inputs)
    wrt = [i for i, t in enumerate(inputs) if t.requires_grad]

    def first_derivative(*args):
        outs = _as_list(fn(*args))
        total = outs[0].sum()
        for o in outs[1:]:
            total = total + o.sum()
        return grad([total], [args[i] for i in wrt], create_graph=True, allow_unused=True,
                    materialize_grads=True)

    fresh = [_C.from_numpy(t.numpy().copy()).requires_grad_(t.requires_grad) for t in inputs]
    return gradcheck(first_derivative, fresh, eps, atol, rtol, raise_exception)
