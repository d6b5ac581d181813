"""kiln.autograd.Function: custom forward and backward in Python.

forward runs with grad mode off; its floating-point outputs become non-leaf tensors whose gradients backward()
hands to the Function's backward (lib/Trace/Autograd.cpp calls _run_backward on the context). Everything the
backward records is lazy as usual, so it fuses with the rest of the gradient program.
"""
import functools

from kiln import _C
from kiln._grad_mode import no_grad


class FunctionCtx:
    """The `ctx` of a custom Function: saves tensors for backward and carries flags between the two."""

    def __init__(self, function):
        self._function = function
        self._saved = ()
        self._non_differentiable = set()
        self._materialize_grads = True
        self._output_meta = []
        self._input_meta = []
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _C.Tensor):
                raise TypeError(f"save_for_backward(): argument {i} must be a Tensor or None, not {type(t).__name__}")
        self._saved = tuple((t, None if t is None else t._version) for t in tensors)

    @property
    def saved_tensors(self):
        out = []
        for t, version in self._saved:
            if t is not None and t._version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.dtype} {list(t.shape)}], which is output 0 of {self._function.__name__}, is "
                    f"at version {t._version}; expected version {version} instead.")
            out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError("mark_dirty(): Kiln's custom Functions do not support in-place outputs; "
                                  "return a new tensor instead")

    def _run_backward(self, grads):
        """Called by backward(): the gradients of the outputs (None where none flowed) to those of the inputs."""
        function = self._function
        grads = list(grads)
        for i, (g, meta) in enumerate(zip(grads, self._output_meta)):
            if g is None and self._materialize_grads and meta is not None:
                grads[i] = _C._full(meta[0], 0, meta[1])
        result = function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self._input_meta)
        if len(result) != expected:
            if len(result) > expected and all(r is None for r in result[expected:]):
                result = result[:expected]
            else:
                raise RuntimeError(f"function {function.__name__}Backward returned an incorrect number of gradients "
                                   f"(expected {expected}, got {len(result)})")
        out = []
        for i, (g, meta) in enumerate(zip(result, self._input_meta)):
            if meta is None or g is None:
                out.append(None)
                continue
            if not isinstance(g, _C.Tensor):
                raise TypeError(f"function {function.__name__}Backward returned a gradient of type "
                                f"{type(g).__name__} at index {i}; expected a Tensor or None")
            shape, dtype = meta
            if tuple(g.shape) != shape:
                g = _sum_to(g, shape)
                if g is None:
                    raise RuntimeError(f"Function {function.__name__}Backward returned an invalid gradient at index "
                                       f"{i} - got {list(result[i].shape)} but expected shape compatible with "
                                       f"{list(shape)}")
            if g.dtype is not dtype:
                g = g.to(dtype)
            out.append(g)
        return out


def _sum_to(grad, shape):
    """grad summed down to `shape` when shape broadcasts to it (as PyTorch reduces such gradients), else None."""
    extra = grad.dim() - len(shape)
    if extra < 0:
        return None
    dims = list(range(extra))
    for i, size in enumerate(shape):
        have = grad.shape[extra + i]
        if have != size:
            if size != 1:
                return None
            dims.append(extra + i)
    if dims:
        grad = grad.sum(dims, keepdim=True)
    return grad.reshape(shape)


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = cls


class Function(metaclass=_FunctionMeta):
    """Subclass with static forward(ctx, *args) and backward(ctx, *grad_outputs) (or forward(*args) plus
    setup_context(ctx, inputs, output)) and call Function.apply(*args)."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use new-style "
                           "autograd function with static forward method (and call it with .apply())")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(cls)
        needs = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        ctx.needs_input_grad = needs
        ctx._input_meta = [(tuple(a.shape), a.dtype) if isinstance(a, _C.Tensor) else None for a in args]
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if not (_C.is_grad_enabled() and any(needs)):
            return output
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        positions = [i for i, o in enumerate(outputs)
                     if isinstance(o, _C.Tensor) and id(o) not in ctx._non_differentiable]
        ctx._output_meta = [(tuple(o.shape), o.dtype) if isinstance(o, _C.Tensor) else None for o in outputs]
        inputs = [a if need else None for a, need in zip(args, needs)]
        raw = [outputs[i] for i in positions]
        attached = _C._function_outputs(ctx, cls.__name__ + "Backward", inputs, raw)
        result = list(outputs)
        for i, t in zip(positions, attached):
            result[i] = t
        # A saved output is the output with its history (so a differentiable backward differentiates again).
        swap = {id(r): t for r, t in zip(raw, attached)}
        ctx._saved = tuple((swap.get(id(t), t), None if t is None else swap.get(id(t), t)._version)
                           if t is not None else (None, None) for t, _ in ctx._saved)
        return result[0] if single else tuple(result)


def once_differentiable(fn):
    """Marks a backward as not differentiable twice: it runs with grad mode off."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper
