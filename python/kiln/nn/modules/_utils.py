"""Helpers the layer modules share: factory keyword arguments (device, dtype) and int tuples for hyperparameters."""
import collections.abc
import itertools

import kiln
from kiln._tensor import _parse_device


def factory_dtype(op, device=None, dtype=None):
    """The dtype new parameters take (the default dtype unless given); devices other than the cpu raise."""
    if device is not None:
        device = _parse_device(device)
        if device.type != "cpu":
            raise NotImplementedError(f"{op}: device '{device}' is not supported; Kiln runs on the cpu only")
    return kiln.get_default_dtype() if dtype is None else dtype


def empty(op, shape, device=None, dtype=None):
    return kiln.empty(*shape, dtype=factory_dtype(op, device, dtype))


def ntuple(n):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    return parse


_single, _pair = ntuple(1), ntuple(2)
