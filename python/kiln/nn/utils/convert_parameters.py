"""parameters_to_vector and vector_to_parameters."""
from kiln import _C
from kiln._grad_mode import no_grad
import kiln


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one vector."""
    return kiln.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of vec into the parameters (in place)."""
    if not isinstance(vec, _C.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[offset:offset + n].view(tuple(p.shape)))
            offset += n
