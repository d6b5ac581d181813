"""kiln.utils.data: datasets, samplers, collation and the DataLoader, with PyTorch's torch.utils.data API.

Worker processes hand batches over through shared memory; docs/data.md describes how, the start method, the
cleanup guarantees and where this deviates from PyTorch."""

from kiln.utils.data._collate import default_collate, default_convert
from kiln.utils.data._worker import WorkerInfo, get_worker_info
from kiln.utils.data.dataloader import DataLoader
from kiln.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from kiln.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
