"""kiln.nn.Parameter: a tensor that a Module registers as one of its parameters when assigned to an attribute."""
import copy

from kiln import _C
from kiln._creation import empty
from kiln._tensor_str import tensor_repr


class Parameter(_C.Tensor):
    """A leaf tensor (requires_grad=True unless told otherwise) holding a lazy copy of `data`, as
    torch.nn.Parameter. Arithmetic on it gives plain tensors; in-place updates under kiln.no_grad() keep it."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, _C.Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, not {type(data).__name__}")
        super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + tensor_repr(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        if self.grad is not None:
            result.grad = self.grad.detach().clone()
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
