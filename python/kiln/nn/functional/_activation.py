"""Activation functions and softmax, composed from kiln's elementwise ops and reductions so that they fuse."""
import warnings

import kiln
from kiln import _C
from kiln._ops import _assign_result

Tensor = _C.Tensor


def _check_tensor(op, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(input).__name__}")


def _maybe_inplace(input, result, inplace):
    return _assign_result(input, result) if inplace else result


def relu(input, inplace=False):
    _check_tensor("relu", input)
    return input.relu_() if inplace else kiln.relu(input)


def relu_(input):
    return relu(input, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x (the gradient at 0 is negative_slope, as PyTorch's)."""
    _check_tensor("leaky_relu", input)
    return _maybe_inplace(input, kiln.where(input > 0, input, input * negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def gelu(input, approximate="none"):
    _check_tensor("gelu", input)
    return kiln.gelu(input, approximate=approximate)


def silu(input, inplace=False):
    _check_tensor("silu", input)
    return _maybe_inplace(input, kiln.silu(input), inplace)


def tanh(input):
    return kiln.tanh(input)


def sigmoid(input):
    return kiln.sigmoid(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (as PyTorch)."""
    scaled = input * beta if beta != 1 else input
    # max(z, 0) + log1p(exp(-|z|)) is log(1 + exp(z)) without overflow.
    soft = kiln.relu(scaled) + kiln.log1p(kiln.exp(-kiln.abs(scaled)))
    if beta != 1:
        soft = soft / beta
    return kiln.where(scaled > threshold, input, soft)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -(kiln.relu(-input) + kiln.log1p(kiln.exp(-kiln.abs(input))))


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along dim (dim=None picks PyTorch's legacy implicit dim, with its warning)."""
    _check_tensor("softmax", input)
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return kiln.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along dim."""
    _check_tensor("log_softmax", input)
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return kiln.log_softmax(input, dim, dtype=dtype)
