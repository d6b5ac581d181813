"""Samplers as torch.utils.data: the order (and grouping) in which a DataLoader asks a map-style dataset for samples."""

import operator

import numpy as np

from kiln.utils.data import _generator


def _check_bool(op, name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{op}: {name} should be a boolean value, but got {name}={value!r}")


def _check_positive_int(op, name, value):
    if isinstance(value, bool) or not hasattr(type(value), "__index__") or operator.index(value) <= 0:
        raise ValueError(f"{op}: {name} should be a positive integer value, but got {name}={value!r}")
    return operator.index(value)


class Sampler:
    """Base class: `__iter__` yields dataset indices (or, for a batch sampler, lists of them)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} should implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in a random order: a permutation per len(data_source) samples, or uniform draws with replacement.

    generator: None draws each epoch's seed from kiln's default generator (reproducible with kiln.manual_seed);
    an int seed or a numpy.random.Generator is used instead where PyTorch takes a torch.Generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool("RandomSampler", "replacement", replacement)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = None if num_samples is None else _check_positive_int(
            "RandomSampler", "num_samples", num_samples
        )
        self.generator = _generator.as_generator("RandomSampler", generator)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _generator.rng(self.generator)
        if self.replacement:
            if n == 0 and self.num_samples:
                raise ValueError("RandomSampler: cannot draw samples with replacement from an empty data source")
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n if n else 0):
            yield from rng.permutation(n).tolist()
        if n:
            yield from rng.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (kiln's default generator unless one is given)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _generator.as_generator("SubsetRandomSampler", generator)

    def __iter__(self):
        for position in _generator.permutation(len(self.indices), self.generator):
            yield self.indices[position]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices in [0, len(weights)) drawn with probabilities proportional to the weights."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = _check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1-D sequence, got shape {weights.shape}")
        if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and self.num_samples > np.count_nonzero(weights):
            raise ValueError(
                f"WeightedRandomSampler: cannot draw {self.num_samples} samples without replacement from "
                f"{np.count_nonzero(weights)} non-zero weights"
            )
        self.weights = weights
        self.replacement = replacement
        self.generator = _generator.as_generator("WeightedRandomSampler", generator)

    def __iter__(self):
        rng = _generator.rng(self.generator)
        drawn = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of batch_size (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _check_positive_int("BatchSampler", "batch_size", batch_size)
        _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class _InfiniteConstantSampler(Sampler):
    """None forever: the indices a DataLoader passes for an IterableDataset, which ignores them."""

    def __iter__(self):
        while True:
            yield None
