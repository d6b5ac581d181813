"""What runs in a DataLoader worker process: seeding, get_worker_info(), fetching and collating batches, and handing
them to the main process through shared memory (_shared.py)."""

import ctypes
import multiprocessing
import os
import pickle
import queue
import random
import sys
import traceback

import numpy as np

import kiln
from kiln.utils.data import _collate, _shared

# How often (seconds) an idle worker checks that the main process is still alive.
_STATUS_CHECK_INTERVAL = 2.0


class WorkerInfo:
    """What get_worker_info() returns in a worker: id, num_workers, seed and dataset (this worker's copy)."""

    __initialized = False

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, value):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self):
        fields = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.__keys)
        return f"{type(self).__name__}({fields})"


_worker_info = None


def get_worker_info():
    """In a DataLoader worker process, its WorkerInfo (id, num_workers, seed, dataset); None in the main process.

    An IterableDataset shards its stream with it; worker_init_fn can configure the worker's dataset copy."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc_info, where):
        exc_type = exc_info[0]
        try:
            pickle.dumps(exc_type)
        except Exception:
            exc_type = None
        self.exc_type = exc_type
        self.exc_type_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raises the worker's exception type (RuntimeError when it cannot be rebuilt) with its traceback text."""
        message = f"Caught {self.exc_type_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            # KeyError quotes its message with repr(): keep the traceback readable.
            message = _KeyErrorMessage(message)
        try:
            exception = self.exc_type(message) if self.exc_type is not None else None
        except Exception:
            exception = None
        if exception is None:
            raise RuntimeError(message) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class ResumeIteration:
    """Main process to persistent workers: a new epoch starts (iterable datasets restart)."""


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index):
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    return (_IterableFetcher if iterable else _MapFetcher)(dataset, auto_collation, collate_fn, drop_last)


def seed_worker(base_seed, worker_id):
    """PyTorch's worker seeding: Python's and kiln's generators get base_seed + worker_id; NumPy's legacy global
    generator a state derived from both."""
    seed = base_seed + worker_id
    random.seed(seed)
    kiln.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def limit_openmp_threads():
    """Each worker runs kiln ops on one thread, as PyTorch's workers run theirs (torch.set_num_threads(1)): N workers
    would otherwise each start a pool as large as the machine. It also makes forked workers safe: GNU OpenMP's pool
    (oneDNN's matmul runs on it) does not survive fork, and a forked child whose matmul starts a parallel region of
    more than one thread waits forever. LLVM's OpenMP (generated code) reads OMP_NUM_THREADS when it starts."""
    os.environ["OMP_NUM_THREADS"] = "1"
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libgomp.so" in line or "libomp.so" in line}
    for path in sorted(paths):
        try:
            ctypes.CDLL(path).omp_set_num_threads(1)
        except (OSError, AttributeError):
            pass


def _fetch_into_segment(fetcher, index, name):
    """(segment name or None, payload) of the batch at `index`; the segment is removed on error."""
    segment = _shared.SegmentWriter(name)
    _collate._segment = segment
    try:
        data = fetcher.fetch(index)
        payload = segment.pack(data)
        del data
    except BaseException:
        segment.discard()
        raise
    finally:
        _collate._segment = None
    segment.close()
    return (segment.name if segment.created else None), payload


def worker_loop(iterable, dataset, index_queue, result_conn, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers, prefix):
    """A worker's life: seed, run worker_init_fn, then fetch the batches asked through index_queue, answering
    (task index, kind, ...) on result_conn, until None arrives, the main process dies or its pipe breaks."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    parent = multiprocessing.parent_process()
    parent_gone = False
    try:
        limit_openmp_threads()
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(), where)
        iteration_end = False
        sequence = 0
        while True:
            try:
                task = index_queue.get(timeout=_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    parent_gone = True
                    return
                continue
            if task is None:
                return
            if isinstance(task, ResumeIteration):
                if init_error is None:
                    try:
                        fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(sys.exc_info(), where)
                iteration_end = False
                result_conn.send((None, "resumed", None))
                continue
            if done_event.is_set() or iteration_end:
                continue
            task_index, index = task
            if init_error is not None:
                message = (task_index, "error", init_error)
                init_error = None
            else:
                try:
                    name = f"{prefix}w{worker_id}_{sequence}"
                    sequence += 1
                    message = (task_index, "data", _fetch_into_segment(fetcher, index, name))
                except StopIteration:
                    if not iterable:
                        message = (task_index, "error", ExceptionWrapper(sys.exc_info(), where))
                    else:
                        iteration_end = True
                        message = (task_index, "stop", None)
                except Exception:
                    message = (task_index, "error", ExceptionWrapper(sys.exc_info(), where))
            try:
                result_conn.send(message)
            except Exception:
                if message[1] == "data" and message[2][0] is not None:
                    _shared.unlink(message[2][0])
                raise
            del message
    except KeyboardInterrupt:
        # The main process gets the same interrupt and shuts the workers down.
        pass
    except (BrokenPipeError, ConnectionResetError, EOFError):
        # The main process closed the pipe: it shuts down (and removes what is left), or it died.
        parent_gone = parent is not None and not parent.is_alive()
    finally:
        result_conn.close()
        if parent_gone:
            # Nothing will map this worker's announced batches any more (a living main process would have
            # unlinked those it mapped): remove them.
            _shared.remove_segments(f"{prefix}w{worker_id}_")
        _shared.remove_openmp_registration(os.getpid())
