"""Random sampling (manual_seed, rand, randn, randint, randperm, normal, bernoulli and the in-place fills).

Every draw comes materialized from the C++ Philox generator (runtime/core/Random.h) through the kiln._C kernels;
this module parses PyTorch's signatures and composes the tensor-parameter forms from those draws.
kiln/_creation.py installs FUNCTIONS and METHODS with its own.
"""

import builtins
import operator
import random

from kiln._registry import exporter
from kiln import _C
from kiln._creation import (
    _check_device,
    _check_dtype,
    _check_options,
    _check_tensor,
    _grad_option,
    _is_int,
    _number,
    _parse_size,
    _parse_size_arg,
)

FUNCTIONS = {}
METHODS = {}

Tensor = _C.Tensor
_B = _C._BINARY
_UINT64 = (1 << 64) - 1


_export = exporter(FUNCTIONS, METHODS)


def _check_generator(op, generator):
    if generator is not None:
        raise NotImplementedError(f"{op}(): generator= is not supported; seed the default one with kiln.manual_seed")


def _check_floating(op, dtype):
    if not dtype.is_floating_point:
        raise RuntimeError(
            f"{op}(): expected a floating-point dtype (float32, float64, float16 or bfloat16), got {dtype}"
        )


def _int_arg(op, name, value):
    if not _is_int(value):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return operator.index(value)


@_export("manual_seed", method=False)
def manual_seed(seed):
    """Seeds the default generator (and rewinds it), as torch.manual_seed; negative seeds wrap to 64 bits."""
    seed = _int_arg("manual_seed", "seed", seed)
    if not -(1 << 63) <= seed <= _UINT64:
        raise RuntimeError(
            f"manual_seed(): seed must be within [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got {seed}"
        )
    _C.manual_seed(seed & _UINT64)


@_export("seed", method=False)
def seed():
    """Seeds the default generator from the OS's entropy and returns the seed."""
    value = random.SystemRandom().getrandbits(64)
    _C.manual_seed(value)
    return value


@_export("initial_seed", method=False)
def initial_seed():
    """The seed the default generator was last seeded with."""
    return _C.initial_seed()


@_export("rand", method=False)
@_grad_option
def rand(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1)."""
    _check_generator("rand", generator)
    dtype = _check_options("rand", dtype, device, requires_grad)
    _check_floating("rand", dtype)
    return _C._uniform(_parse_size("rand", args, size), dtype, 0.0, 1.0)


@_export("randn", method=False)
@_grad_option
def randn(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    _check_generator("randn", generator)
    dtype = _check_options("randn", dtype, device, requires_grad)
    _check_floating("randn", dtype)
    return _C._normal(_parse_size("randn", args, size), dtype, 0.0, 1.0)


def _randint_bounds(op, low, high):
    low = _int_arg(op, "low", low)
    high = _int_arg(op, "high", high)
    if low >= high:
        raise RuntimeError(f"{op}(): random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return low, high


@_export("randint", method=False)
@_grad_option
def randint(*args, low=None, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size); int64 unless told."""
    _check_generator("randint", generator)
    params = {"low": low, "high": high, "size": size}
    if len(args) == 3:
        order = ("low", "high", "size")
    elif len(args) == 2:
        order = ("low", "high") if size is not None else ("high", "size")
    elif len(args) == 1:
        order = ("high",) if high is None else ("low",)
    elif not args:
        order = ()
    else:
        raise TypeError(f"randint(): takes at most 3 positional arguments ({len(args)} given)")
    for name, value in zip(order, args):
        if params[name] is not None:
            raise TypeError(f"randint(): got multiple values for argument '{name}'")
        params[name] = value
    for name in ("high", "size"):
        if params[name] is None:
            raise TypeError(f"randint(): missing required argument '{name}'")
    low, high = _randint_bounds("randint", 0 if params["low"] is None else params["low"], params["high"])
    dtype = _check_options("randint", dtype, device, requires_grad, _C.int64)
    return _C._randint(low, high, _parse_size_arg("randint", params["size"]), dtype)


@_export("randperm", method=False)
@_grad_option
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1 (int64 unless told otherwise)."""
    _check_generator("randperm", generator)
    n = _int_arg("randperm", "n", n)
    dtype = _check_options("randperm", dtype, device, requires_grad, _C.int64)
    if n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    return _C._randperm(n, dtype)


@_export("rand_like", method=False)
@_grad_option
def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_tensor("rand_like", input)
    dtype = _check_options("rand_like", dtype, device, requires_grad, input.dtype)
    _check_floating("rand_like", dtype)
    return _C._uniform(input.shape, dtype, 0.0, 1.0)


@_export("randn_like", method=False)
@_grad_option
def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_tensor("randn_like", input)
    dtype = _check_options("randn_like", dtype, device, requires_grad, input.dtype)
    _check_floating("randn_like", dtype)
    return _C._normal(input.shape, dtype, 0.0, 1.0)


@_export("randint_like", method=False)
@_grad_option
def randint_like(input, low_or_high, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """randint_like(input, high) or randint_like(input, low, high), in input's dtype unless told otherwise."""
    _check_tensor("randint_like", input)
    low, high = (0, low_or_high) if high is None else (low_or_high, high)
    low, high = _randint_bounds("randint_like", low, high)
    dtype = _check_options("randint_like", dtype, device, requires_grad, input.dtype)
    return _C._randint(low, high, input.shape, dtype)


def _check_std(op, std):
    if not std >= 0.0:
        raise RuntimeError(f"{op}(): normal expects std >= 0.0, but found std {std}")


@_export("normal", method=False)
@_grad_option
def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: normal(mean, std, size) for numbers, or elementwise for tensor mean and/or std
    (broadcast together; the result has the tensor's dtype, mean's when both are tensors)."""
    _check_generator("normal", generator)
    _check_device("normal", device)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal(): missing required argument 'size' (mean and std are numbers)")
        mean = builtins.float(_number("normal", "mean", mean))
        std = builtins.float(_number("normal", "std", std))
        _check_std("normal", std)
        dtype = _check_dtype("normal", dtype, _C.float32)
        _check_floating("normal", dtype)
        return _C._normal(_parse_size_arg("normal", size), dtype, mean, std)
    if size is not None or dtype is not None:
        raise TypeError("normal(): size and dtype may only be given when mean and std are numbers")
    result_dtype = mean.dtype if isinstance(mean, Tensor) else std.dtype
    _check_floating("normal", result_dtype)
    if not isinstance(std, Tensor):
        std = builtins.float(_number("normal", "std", std))
        _check_std("normal", std)
    if not isinstance(mean, Tensor):
        mean = builtins.float(_number("normal", "mean", mean))
    if isinstance(mean, Tensor) and isinstance(std, Tensor):
        shape = _C._broadcast_shapes("normal", mean.shape, std.shape)
    else:
        shape = (mean if isinstance(mean, Tensor) else std).shape
    # PyTorch's order: draw standard normals, then scale by std and shift by mean, in the result's dtype.
    noise = _C._normal(shape, result_dtype, 0.0, 1.0)
    scaled = _C._cast(_C._binary(_B["mul"], noise, std), result_dtype)
    return _C._cast(_C._binary(_B["add"], scaled, mean), result_dtype)


def _bernoulli_probabilities(op, p, shape):
    """p as a floating-point tensor of `shape` (a number or a tensor broadcast to it)."""
    if isinstance(p, Tensor):
        _check_floating(op, p.dtype)
        return p.expand(*shape) if tuple(p.shape) != tuple(shape) else p
    p = builtins.float(_number(op, "p", p))
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"{op}(): bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _C._full(shape, p, _C.float64)


@_export("bernoulli")
def bernoulli(input, p=None, *, generator=None):
    """1 with probability p (the elements of `input` when p is None), else 0, in input's dtype and shape."""
    _check_generator("bernoulli", generator)
    _check_tensor("bernoulli", input)
    if p is None:
        _check_floating("bernoulli", input.dtype)
        return _C._cast(_C._bernoulli(input), input.dtype)
    return _C._cast(_C._bernoulli(_bernoulli_probabilities("bernoulli", p, input.shape)), input.dtype)


def _fill_from(self, fresh):
    return _C._copy_(self, fresh)


def _from_to(op, args, kwargs, defaults):
    """PyTorch's `from`/`to` arguments (`from` is a Python keyword, so they arrive through **kwargs)."""
    if len(args) > 2:
        raise TypeError(f"{op}(): takes at most 2 positional arguments ({len(args)} given)")
    values = dict(zip(("from", "to"), defaults))
    values.update(zip(("from", "to"), args))
    for name, value in kwargs.items():
        if name not in values:
            raise TypeError(f"{op}(): got an unexpected keyword argument '{name}'")
        values[name] = value
    return values["from"], values["to"]


@_export("uniform_", function=False)
def uniform_(self, *args, generator=None, **kwargs):
    """Fills self with uniform samples on [from, to) (defaults 0 and 1)."""
    _check_generator("uniform_", generator)
    low, high = _from_to("uniform_", args, kwargs, (0.0, 1.0))
    _check_floating("uniform_", self.dtype)
    low = builtins.float(_number("uniform_", "from", low))
    high = builtins.float(_number("uniform_", "to", high))
    return _fill_from(self, _C._uniform(self.shape, self.dtype, low, high))


@_export("normal_", function=False)
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fills self with normal samples."""
    _check_generator("normal_", generator)
    _check_floating("normal_", self.dtype)
    mean = builtins.float(_number("normal_", "mean", mean))
    std = builtins.float(_number("normal_", "std", std))
    _check_std("normal_", std)
    return _fill_from(self, _C._normal(self.shape, self.dtype, mean, std))


# random_()'s default upper bound (exclusive): every integer the dtype holds exactly, as PyTorch. int64's
# 2**63 does not fit the kernel's int64 bound, so it stops one short.
_RANDOM_HIGH = {
    _C.bool: 2,
    _C.uint8: 1 << 8,
    _C.int8: 1 << 7,
    _C.int32: 1 << 31,
    _C.int64: (1 << 63) - 1,
    _C.float16: (1 << 11) + 1,
    _C.bfloat16: (1 << 8) + 1,
    _C.float32: (1 << 24) + 1,
    _C.float64: (1 << 53) + 1,
}


@_export("random_", function=False)
def random_(self, *args, generator=None, **kwargs):
    """random_() / random_(to) / random_(from, to): integers on [from, to), to defaulting to the dtype's range."""
    _check_generator("random_", generator)
    if len(args) == 1 and "to" not in kwargs and "from" not in kwargs:
        args = (0, args[0])
    low, high = _from_to("random_", args, kwargs, (0, None))
    high = _RANDOM_HIGH[self.dtype] if high is None else high
    low, high = _randint_bounds("random_", low, high)
    return _fill_from(self, _C._randint(low, high, self.shape, self.dtype))


@_export("bernoulli_", function=False)
def bernoulli_(self, p=0.5, *, generator=None):
    """Fills self with 1 (probability p, a number or a tensor broadcast to self) or 0."""
    _check_generator("bernoulli_", generator)
    return _fill_from(self, _C._bernoulli(_bernoulli_probabilities("bernoulli_", p, self.shape)))
