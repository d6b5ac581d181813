"""The Optimizer base class: PyTorch's param groups, per-parameter state, zero_grad, state_dict and step hooks.

Updates are recorded, not run: subclasses update parameters and state with in-place ops under kiln.no_grad() and
never read a value back, so the update is computed by the program that next materializes anything (normally the
next training step's), fused with it. Hyper-parameters that schedulers change (lr, momentum, beta1) enter that
program as 0-d tensors built each step, not as Python numbers, which would be baked in as constants and compile a
new program whenever they change.
"""

import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

import kiln
from kiln import _C

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """The default of an option that every param group must give (SGD's lr in old PyTorch versions)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(value):
    if isinstance(value, _C.Tensor):
        return "kiln.Tensor"
    return type(value).__qualname__


def _scalar_dtype():
    """The dtype of state['step'], as PyTorch's _get_scalar_dtype(): float64 under a float64 default dtype."""
    return _C.float64 if kiln.get_default_dtype() is _C.float64 else _C.float32


def _math_dtype(dtype):
    """The dtype a parameter's scalar factors (bias corrections, step sizes) are computed in: float64 for float64
    parameters, float32 otherwise (1 - 0.999**t is far off in float16)."""
    return _C.float64 if dtype is _C.float64 else _C.float32


class _Scalars:
    """One step's hyper-parameters as 0-d tensors, made once per (name, dtype) and shared by a group's parameters.

    A 0-d tensor made from data is a program input, keyed by its type and not its value, so a learning rate that a
    scheduler changes every step reuses the compiled program. The optimizer keeps the last tensor made from each
    Python number with that number (per group, name and dtype): a step whose hyper-parameter did not change reuses
    it instead of making a tensor (about 10 us each). These tensors never leave the optimizers' update ops.
    """

    def __init__(self, optimizer, group):
        self._group = group
        self._made = {}
        self._last = optimizer.__dict__.setdefault("_last_scalars", {})

    def __call__(self, name, dtype, value=None):
        key = (name, dtype)
        if key not in self._made:
            value = self._group[name] if value is None else value
            if isinstance(value, _C.Tensor):
                made = value.detach().reshape(()).to(dtype)
            else:
                last_key = (id(self._group), name, dtype)  # the groups live as long as the optimizer
                last = self._last.get(last_key)
                if last is not None and type(last[0]) is type(value) and last[0] == value:
                    made = last[1]
                else:
                    made = kiln.tensor(value, dtype=dtype)
                    self._last[last_key] = (value, made)
            self._made[key] = made
        return self._made[key]


def _with_step_hooks(step):
    """Runs the optimizer's step pre-hooks (which may replace the arguments) and post-hooks around step."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in list(self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        out = step(self, *args, **kwargs)
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._kiln_hooked = True
    return wrapper


class _HookHandle:
    """register_step_pre_hook's handle: remove() takes the hook out of its ordered dict."""

    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Optimizer:
    """Base class of all optimizers (PyTorch's torch.optim.Optimizer).

    params: an iterable of tensors, of (name, tensor) pairs, or of dicts that define param groups (each with a
    'params' entry and optional per-group options overriding `defaults`).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_kiln_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        if isinstance(params, _C.Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        if isinstance(params, set):
            warnings.warn("optimizer parameters need to be organized in ordered collections, but the ordering of "
                          "tensors in sets will change between runs. Please use a list instead.", FutureWarning,
                          stacklevel=3)
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # --- Param groups ------------------------------------------------------------------------------------------

    def add_param_group(self, param_group):
        """Adds a group of parameters, with its own options (missing ones take the optimizer's defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, _C.Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple) and len(param) == 2:
                names.append(param[0])
                param = param[1]
            tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, _C.Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not param.dtype.is_floating_point:
                raise ValueError(f"optimizer can only optimize Tensors of a floating point dtype, but one of the "
                                 f"params has dtype {param.dtype}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- Gradients and steps -----------------------------------------------------------------------------------

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of all optimized tensors: to None (the default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None or p.grad.requires_grad:
                        p.grad = p.grad.detach()
                    with kiln.no_grad():
                        p.grad.zero_()

    def step(self, closure=None):
        """Performs one optimization step (records it: the update runs with the next program)."""
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with kiln.enable_grad():
            return closure()

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) runs before each step and may return (new_args, new_kwargs)."""
        handle = _HookHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) runs after each step."""
        handle = _HookHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # --- State dicts -------------------------------------------------------------------------------------------

    def state_dict(self):
        """{'state': {param index: {name: value}}, 'param_groups': [group options with 'params' as index lists]}.

        Tensors in the state are the optimizer's own (not copies), as in PyTorch.
        """
        mapping = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, _C.Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads state saved by state_dict(): groups must match in number and size; floating state tensors are
        cast to their parameter's dtype (except 'step') and copied, so the optimizer never shares them."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("load_state_dict(): expected a dict with 'state' and 'param_groups' entries, as "
                             "state_dict() returns")
        groups = self.param_groups
        saved_groups = [_copy_value(g) for g in state_dict["param_groups"]]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast_state(param, value)
            else:
                state[key] = value

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.param_groups = [update_group(g, s) for g, s in zip(groups, saved_groups)]
        self.state = state


def _copy_value(value):
    """A copy of a param group entry: containers rebuilt, tensors cloned, other values shared."""
    if isinstance(value, _C.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return value


def _cast_state(param, value, key=None):
    """A copy of one parameter's state, its floating tensors in the parameter's dtype ('step' keeps its own)."""
    if isinstance(value, _C.Tensor):
        if key != "step" and value.dtype.is_floating_point and value.dtype is not param.dtype:
            return value.detach().to(param.dtype)
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value
