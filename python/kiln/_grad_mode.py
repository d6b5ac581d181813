"""Grad mode: kiln.no_grad, enable_grad, set_grad_enabled, inference_mode (context managers and decorators), and
Tensor.backward."""
import functools

from kiln import _C
from kiln._registry import exporter

FUNCTIONS = {}
METHODS = {}
_export = exporter(FUNCTIONS, METHODS)


class _GradMode:
    """Sets the grad mode inside a `with` block or a decorated function, and restores it afterwards."""

    enabled = True

    def __enter__(self):
        self._previous = _C.is_grad_enabled()
        _C._set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._previous)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Ops inside record no history: their results do not require grad."""

    enabled = False


class enable_grad(_GradMode):
    """Turns grad mode back on inside a no_grad block."""

    enabled = True


class inference_mode(_GradMode):
    """As no_grad (Kiln has no separate inference tensors)."""

    def __init__(self, mode=True):
        self.enabled = not mode

    def __call__(self, fn):
        mode = not self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


class set_grad_enabled(_GradMode):
    """Sets grad mode to `mode` at once (as a function) or for a `with` block."""

    def __init__(self, mode):
        self._previous = _C.is_grad_enabled()
        self.enabled = bool(mode)
        _C._set_grad_enabled(self.enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._previous)
        return False


FUNCTIONS.update(no_grad=no_grad, enable_grad=enable_grad, inference_mode=inference_mode,
                 set_grad_enabled=set_grad_enabled, is_grad_enabled=_C.is_grad_enabled)


@_export("backward", function=False)
def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates d(self)/d(leaf) (or d(sum(self * gradient))/d(leaf)) into .grad of every leaf that requires grad
    (or only of `inputs`), calling tensor hooks on the way."""
    if gradient is not None and not isinstance(gradient, _C.Tensor):
        raise TypeError(f"backward(): gradient must be a Tensor or None, not {type(gradient).__name__}")
    retain = bool(create_graph if retain_graph is None else retain_graph)
    if inputs is None:
        targets = []
    else:
        targets = [inputs] if isinstance(inputs, _C.Tensor) else list(inputs)
        if not targets:
            raise RuntimeError("backward(): 'inputs' argument to backward() cannot be empty.")
    _C._backward([self], [gradient], targets, retain, bool(create_graph))


class _RemovableHandle:
    """What register_hook returns: remove() takes the hook off again."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


@_export("register_hook", function=False)
def register_hook(self, hook):
    """Calls hook(grad) when the gradient of this tensor is computed (for a leaf: its total, before it is
    accumulated into .grad); a returned tensor replaces the gradient."""
    if not self.requires_grad:
        raise RuntimeError("register_hook(): cannot register a hook on a tensor that doesn't require gradient")
    if not callable(hook):
        raise TypeError(f"register_hook(): hook must be callable, not {type(hook).__name__}")
    hooks = self._hook_list()
    hooks.append(hook)
    return _RemovableHandle(hooks, hook)


class _GradFn:
    """What Tensor.grad_fn returns: the name of the op that made the tensor, as PyTorch prints it."""

    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name} object>"


def _grad_fn(self):
    name = self._grad_fn_name
    return _GradFn(name) if name else None


METHODS["grad_fn"] = property(_grad_fn, doc="The op that made this tensor (None for leaves).")
