"""Argument checks the optimizers share, with PyTorch's messages."""

from kiln import _C


def value_of(x):
    """A hyper-parameter as a Python number (a 1-element tensor is read once, at construction)."""
    if isinstance(x, _C.Tensor):
        if x.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        return x.item()
    return x


def check_non_negative(what, value):
    if not 0.0 <= value_of(value):
        raise ValueError(f"Invalid {what}: {value}")
