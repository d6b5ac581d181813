"""Datasets for test_data.py, at module level so DataLoader workers (forkserver or spawn) can unpickle them."""

import os
import signal
import time

import numpy as np

import kiln
from kiln.utils.data import Dataset, IterableDataset, get_worker_info


class Squares(Dataset):
    """Sample i: {"x": float32 array [i, i*i, -i], "y": i, "name": str(i)}."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if not 0 <= index < self.n:
            raise IndexError(f"Squares: index {index} out of range")
        return {"x": np.array([index, index * index, -index], np.float32), "y": index, "name": str(index)}


class Failing(Dataset):
    """Raises ValueError at index `bad`."""

    def __init__(self, n, bad):
        self.n, self.bad = n, bad

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.bad:
            raise ValueError(f"bad sample {index}")
        return np.float32(index)


class Dying(Dataset):
    """A worker fetching index `bad` dies: by `signal_number`, or by os._exit(exit_code) when that is None."""

    def __init__(self, n, bad, signal_number=signal.SIGKILL, exit_code=None):
        self.n, self.bad, self.signal_number, self.exit_code = n, bad, signal_number, exit_code

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.bad and get_worker_info() is not None:
            if self.signal_number is None:
                os._exit(self.exit_code)
            os.kill(os.getpid(), self.signal_number)
            time.sleep(30)
        return np.float32(index)


class Slow(Dataset):
    def __init__(self, n, delay):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        time.sleep(self.delay)
        return index


class WorkerReport(Dataset):
    """Sample i: (i, worker id, num_workers, seed, pid, dataset is this copy, a kiln.rand draw, a numpy draw)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        info = get_worker_info()
        return (index, info.id, info.num_workers, info.seed, os.getpid(), info.dataset is self,
                float(kiln.rand(()).item()), float(np.random.random()))


class KilnCompute(Dataset):
    """Computes with kiln ops (an elementwise chain and a matmul) in __getitem__, so a worker compiles and runs
    programs, and a matmul large enough for oneDNN to run it in parallel: sample i is
    (x_i * 2 + 1).sum() + (m_i @ m_i).sum() with x_i = full(4096, i), m_i = full((128, 128), i) (exact in float32)."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        x = kiln.full((4096,), float(index))
        m = kiln.full((128, 128), float(index))
        return (x * 2 + 1).sum() + (m @ m).sum()


def kiln_compute_expected(index):
    return 4096 * (2 * index + 1) + 128**3 * index * index


class Range(IterableDataset):
    """start .. end - 1, sharded between workers by get_worker_info() unless shard is False."""

    def __init__(self, start, end, shard=True):
        self.start, self.end, self.shard = start, end, shard

    def __len__(self):
        return self.end - self.start

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.start, self.end))
        return iter(range(self.start + info.id, self.end, info.num_workers))


def seed_kiln_in_worker(worker_id):
    kiln.manual_seed(1000 + worker_id)


def failing_init(worker_id):
    raise KeyError(f"init of worker {worker_id}")


def collate_to_numpy(batch):
    """A collate_fn returning NumPy arrays and a kiln tensor that is not default_collate's."""
    values = np.array([sample["y"] for sample in batch], np.int64)
    return {"array": values, "tensor": kiln.from_numpy(values * 10), "names": [s["name"] for s in batch]}
