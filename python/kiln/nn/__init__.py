"""kiln.nn: torch.nn's Module, Parameter, layers, losses, functional, init and utils over Kiln's lazy tensors."""
from kiln.nn.parameter import Parameter
from kiln.nn import functional, init, utils  # noqa: F401
from kiln.nn.modules import *  # noqa: F401,F403
from kiln.nn.modules import __all__ as _modules_all

__all__ = ["Parameter", "functional", "init", "utils"] + _modules_all
