"""Datasets as torch.utils.data: map-style and iterable bases, TensorDataset, Subset, ConcatDataset, ChainDataset,
random_split."""

import bisect
import itertools
import math
import operator
import warnings

import kiln
from kiln.utils.data import _generator


class Dataset:
    """A map-style dataset: `__getitem__(index)` returns a sample, `__len__` the number of samples (which the
    default samplers need). `__getitems__(indices)`, where defined, fetches a whole batch at once."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """An iterable-style dataset: `__iter__` yields samples. With worker processes each worker iterates its own copy;
    shard the stream with get_worker_info() (its id and num_workers), or every worker yields every sample."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are tuples of the tensors' rows: dataset[i] == tuple(t[i] for t in tensors)."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset(): expected at least one tensor")
        for position, tensor in enumerate(tensors):
            if not isinstance(tensor, kiln.Tensor):
                raise TypeError(f"TensorDataset(): argument {position} must be a Tensor, got {type(tensor).__name__}")
            if tensor.dim() == 0:
                raise ValueError(f"TensorDataset(): tensor {position} is 0-dimensional; samples are rows of dim 0")
        sizes = [tensor.size(0) for tensor in tensors]
        if any(size != sizes[0] for size in sizes):
            raise ValueError(f"TensorDataset(): size mismatch between tensors: sizes of dim 0 are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class ConcatDataset(Dataset):
    """The datasets one after the other (map-style ones only)."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset(): datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset(): does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        length = len(self)
        if index < 0:
            if -index > length:
                raise ValueError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length, got {index} for "
                    f"length {length}"
                )
            index += length
        if index >= length:
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {length}")
        dataset_index = bisect.bisect_right(self.cumulative_sizes, index)
        sample_index = index - (self.cumulative_sizes[dataset_index - 1] if dataset_index > 0 else 0)
        return self.datasets[dataset_index][sample_index]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got {type(dataset).__name__}")
            yield from dataset

    def __len__(self):
        return sum(len(dataset) for dataset in self.datasets)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def _split_lengths(length, lengths):
    """Lengths given as fractions summing to 1 become counts; the remainder goes round-robin, as PyTorch."""
    lengths = list(lengths)
    total = sum(lengths)
    if lengths and math.isclose(total, 1) and total <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split(): fraction at index {i} is not between 0 and 1, got {fraction}")
        counts = [int(math.floor(length * fraction)) for fraction in lengths]
        for i in range(length - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        return counts
    for i, count in enumerate(lengths):
        if isinstance(count, bool) or not hasattr(type(count), "__index__"):
            raise TypeError(f"random_split(): lengths must be ints or fractions summing to 1, got {lengths}")
        if operator.index(count) < 0:
            raise ValueError(f"random_split(): length at index {i} is negative: {count}")
    return [operator.index(count) for count in lengths]


def random_split(dataset, lengths, generator=None):
    """Splits `dataset` into non-overlapping Subsets of the given lengths (ints, or fractions summing to 1) in a
    random order from `generator` (None: kiln's default generator; an int seed or a numpy.random.Generator)."""
    generator = _generator.as_generator("random_split()", generator)
    length = len(dataset)
    counts = _split_lengths(length, lengths)
    if sum(counts) != length:
        raise ValueError(
            f"random_split(): sum of input lengths ({sum(counts)}, from {list(lengths)}) does not equal the length "
            f"of the input dataset ({length})"
        )
    indices = _generator.permutation(length, generator)
    return [
        Subset(dataset, indices[end - count : end]) for end, count in zip(itertools.accumulate(counts), counts)
    ]
