"""The random sources of the data utilities: kiln's default generator, an int seed or a numpy.random.Generator.

Kiln has no Generator object, so where PyTorch takes `generator=torch.Generator`, these utilities take an int seed
(turned into a numpy.random.Generator once, so that successive epochs differ yet replay from the seed) or a
numpy.random.Generator used as is. Without one, draws come from kiln's default generator: kiln.manual_seed makes
them reproducible, as torch.manual_seed does for PyTorch.
"""

import operator

import numpy as np

import kiln

_SEED_HIGH = (1 << 63) - 1


def as_generator(op, generator):
    """None, or a numpy.random.Generator for `generator` (None, an int seed or a numpy.random.Generator)."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, (bool, np.bool_)):
        seed = operator.index(generator)
        if seed < 0:
            raise ValueError(f"{op}: generator seed must be non-negative, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(
        f"{op}: generator must be None, an int seed or a numpy.random.Generator (kiln has no Generator object), "
        f"got {type(generator).__name__}"
    )


def draw_seed(generator):
    """A seed in [0, 2**63 - 1) from `generator`, or from kiln's default generator when it is None."""
    if generator is None:
        return int(kiln.randint(0, _SEED_HIGH, ()).item())
    return int(generator.integers(0, _SEED_HIGH))


def rng(generator):
    """`generator` itself, or a fresh numpy.random.Generator seeded from kiln's default generator."""
    return generator if generator is not None else np.random.default_rng(draw_seed(None))


def permutation(n, generator):
    """A random permutation of range(n) as a list of ints."""
    if generator is None:
        return kiln.randperm(n).tolist()
    return generator.permutation(n).tolist()
