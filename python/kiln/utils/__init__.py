"""kiln.utils: helpers beside the tensor library (data loading), as torch.utils."""

from kiln.utils import data  # noqa: F401
