"""DataLoader as torch.utils.data.DataLoader: batches from a dataset, in the main process or in worker processes
that hand their batches over through shared memory (see docs/data.md)."""

import atexit
import itertools
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import time
import weakref

from kiln.utils.data import _collate, _generator, _shared, _worker
from kiln.utils.data.dataset import IterableDataset
from kiln.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler, _InfiniteConstantSampler

# Seconds the shutdown waits for workers to leave on their own before terminating them.
_JOIN_TIMEOUT = 5.0

# Linux's fork is unsafe once the process has run a matmul: oneDNN's GNU OpenMP pool does not survive fork, and a
# forked worker that runs a matmul hangs. The fork server is a fresh interpreter that has imported kiln and run no
# op, so the workers it forks are safe; see docs/data.md.
_DEFAULT_START_METHOD = "forkserver"


def _default_context():
    methods = multiprocessing.get_all_start_methods()
    method = _DEFAULT_START_METHOD if _DEFAULT_START_METHOD in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # Workers then start by a fork of a process that has kiln imported (a fraction of a second saved on each).
        context.set_forkserver_preload(["kiln.utils.data"])
    return context


def _resolve_context(context, num_workers):
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "DataLoader: multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
            f"but got num_workers={num_workers}"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"DataLoader: multiprocessing_context option should specify a valid start method in {methods!r}, "
                f"but got multiprocessing_context={context!r}"
            )
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "DataLoader: multiprocessing_context option should be a valid context object or a string specifying "
            f"the start method, but got multiprocessing_context={context!r}"
        )
    return context


class DataLoader:
    """Batches of a dataset, as torch.utils.data.DataLoader.

    generator: None (shuffling and worker seeds come from kiln's default generator, so kiln.manual_seed makes them
    reproducible), an int seed or a numpy.random.Generator (kiln has no Generator object).
    multiprocessing_context: None uses 'forkserver' (see docs/data.md for why not 'fork'); 'fork', 'spawn',
    'forkserver' or a multiprocessing context object choose otherwise.
    pin_memory is accepted and ignored (CPU only). Batches from workers live in shared memory (see docs/data.md).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device=""):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "DataLoader: num_workers option should be a non-negative int; use num_workers=0 to disable "
                f"multiprocessing, got num_workers={num_workers!r}"
            )
        if not timeout >= 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got timeout={timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified in multiprocessing; let num_workers > 0 "
                f"to enable multiprocessing, otherwise set prefetch_factor to None (got prefetch_factor="
                f"{prefetch_factor!r})"
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int)
                                            or prefetch_factor < 1):
            raise ValueError(f"DataLoader: prefetch_factor should be a positive int, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _resolve_context(multiprocessing_context, num_workers)
        self.persistent_workers = persistent_workers
        self.generator = _generator.as_generator("DataLoader", generator)

        if isinstance(dataset, IterableDataset):
            self._iterable = True
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, but got "
                        f"{name}={value!r}"
                    )
        else:
            self._iterable = False
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                    "drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=self.generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = _collate.default_collate if self._auto_collation else _collate.default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _context(self):
        return self.multiprocessing_context or _default_context()

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiProcessIter(self)
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = _MultiProcessIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else -(-length // self.batch_size)
            return length
        return len(self._index_sampler)

    def __del__(self):
        iterator = getattr(self, "_iterator", None)
        if iterator is not None:
            iterator._shutdown_workers()


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        # Drawn by every iterator (as PyTorch's), so the sampler's draws match whatever num_workers is.
        self._base_seed = _generator.draw_seed(loader.generator)
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data

    def __len__(self):
        return len(self._index_sampler)

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _worker.make_fetcher(self._iterable, self._dataset, self._auto_collation,
                                             self._collate_fn, self._drop_last)

    def _next_data(self):
        return self._fetcher.fetch(next(self._sampler_iter))


_live_iterators = weakref.WeakSet()


@atexit.register
def _shutdown_live_iterators():
    for iterator in list(_live_iterators):
        iterator._shutdown_workers()


def _describe_exit(worker_id, pid, exitcode):
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
            detail = f"is killed by signal: {signal.strsignal(-exitcode)} ({name})"
        except ValueError:
            detail = f"is killed by signal {-exitcode}"
    else:
        detail = f"exited unexpectedly with exit code {exitcode}"
    return (
        f"DataLoader worker {worker_id} (pid {pid}) {detail}. Rerunning with num_workers=0 may give a better error "
        "trace."
    )


class _MultiProcessIter(_BaseIter):
    """Worker processes fed indices through queues; batches come back through per-worker pipes as shared-memory
    segment names and are delivered in sampler order."""

    _shutdown = True  # until workers exist: __del__ of a half-built iterator has nothing to stop

    def __init__(self, loader):
        super().__init__(loader)
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._prefix = _shared.iterator_prefix()
        self._workers = []
        self._index_queues = []
        self._conns = []
        context = loader._context()
        self._done_event = context.Event()
        self._shutdown = False
        _live_iterators.add(self)
        try:
            for worker_id in range(self._num_workers):
                index_queue = context.Queue()
                # The queue's feeder thread must never keep the main process from exiting.
                index_queue.cancel_join_thread()
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=_worker.worker_loop,
                    args=(self._iterable, self._dataset, index_queue, writer, self._done_event,
                          self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                          loader.worker_init_fn, worker_id, self._num_workers, self._prefix),
                    daemon=True,
                )
                self._index_queues.append(index_queue)
                self._conns.append(reader)
                try:
                    process.start()
                except (pickle.PicklingError, AttributeError, TypeError) as error:
                    method = context.get_start_method()
                    raise RuntimeError(
                        f"DataLoader: could not start worker {worker_id} with the '{method}' start method: {error}. "
                        "The dataset, collate_fn and worker_init_fn are pickled to each worker; define them at "
                        "module level (or pass multiprocessing_context='fork', see docs/data.md)"
                    ) from error
                finally:
                    writer.close()
                self._workers.append(process)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter=False):
        super()._reset(loader)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info = {}  # task index -> [worker id] or [worker id, batch]
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers: tell each a new epoch starts, dropping what the last one left in flight.
            for index_queue in self._index_queues:
                index_queue.put(_worker.ResumeIteration())
            pending = self._num_workers
            while pending:
                _, (task_index, kind, payload) = self._get_message()
                if kind == "resumed":
                    pending -= 1
                else:
                    self._discard(kind, payload)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self):
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = [worker_id]
        self._tasks_outstanding += 1
        self._send_idx += 1

    @staticmethod
    def _discard(kind, payload):
        if kind == "data" and payload[0] is not None:
            _shared.unlink(payload[0])

    def _get_message(self):
        """(worker id, message) from the first worker that answers; raises if one died or the timeout passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            watched = [i for i in range(self._num_workers) if self._workers_status[i]]
            conns = {self._conns[i]: i for i in watched}
            sentinels = {self._workers[i].sentinel: i for i in watched}
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(list(conns) + list(sentinels), remaining)
            if not ready:
                # The workers are stuck: waiting for them to finish on their own would only add to the timeout.
                self._shutdown_workers(grace=0.0)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            # Messages first: a worker may have sent its last batch just before it died.
            for conn in ready:
                if conn in conns:
                    try:
                        return conns[conn], conn.recv()
                    except (EOFError, OSError):
                        self._worker_died(conns[conn])
            for sentinel in ready:
                if sentinel in sentinels:
                    self._worker_died(sentinels[sentinel])

    def _worker_died(self, worker_id):
        process = self._workers[worker_id]
        process.join(timeout=_JOIN_TIMEOUT)
        message = _describe_exit(worker_id, process.pid, process.exitcode)
        self._shutdown_workers()
        raise RuntimeError(message)

    def _next_data(self):
        while True:
            # Skip tasks of workers whose iterable dataset has ended.
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                batch = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process(batch)
            worker_id, (task_index, kind, payload) = self._get_message()
            self._tasks_outstanding -= 1
            if kind == "stop":
                self._workers_status[worker_id] = False
                if not self._persistent:
                    self._index_queues[worker_id].put(None)
                self._try_put_index()
                continue
            if kind == "data":
                batch = _shared.load(*payload)
            else:
                batch = payload
            if task_index != self._rcvd_idx:
                self._task_info[task_index].append(batch)
                continue
            del self._task_info[task_index]
            self._rcvd_idx += 1
            return self._process(batch)

    def _process(self, batch):
        if isinstance(batch, _worker.ExceptionWrapper):
            self._shutdown_workers()
            batch.reraise()
        self._try_put_index()
        return batch

    def _shutdown_workers(self, grace=_JOIN_TIMEOUT):
        """Stops the workers (asking first and waiting up to `grace` seconds, then terminating), reaps them, and
        removes every segment of this iterator that was not consumed. Safe to call more than once."""
        if self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            for index_queue in self._index_queues:
                index_queue.put(None)
            self._drain_until_exit(time.monotonic() + grace)
            for process in self._workers:
                if process.is_alive():
                    process.terminate()
                    process.join(timeout=1.0)
                if process.is_alive():
                    process.kill()
                process.join()
                if process.exitcode != 0:
                    _shared.remove_openmp_registration(process.pid)
            for index_queue in self._index_queues:
                index_queue.close()
            for conn in self._conns:
                conn.close()
        finally:
            _shared.remove_segments(self._prefix)
            _live_iterators.discard(self)

    def _drain_until_exit(self, deadline):
        """Reads (and drops) what workers still send, so none blocks on a full pipe, until all have exited."""
        conns = {self._conns[i]: i for i, process in enumerate(self._workers)}
        sentinels = {process.sentinel: i for i, process in enumerate(self._workers)}
        while sentinels and time.monotonic() < deadline:
            ready = multiprocessing.connection.wait(list(conns) + list(sentinels),
                                                    max(0.0, deadline - time.monotonic()))
            for handle in ready:
                if handle in conns:
                    try:
                        _, kind, payload = handle.recv()
                        self._discard(kind, payload)
                    except (EOFError, OSError):
                        del conns[handle]
                elif handle in sentinels:
                    del sentinels[handle]

    def __del__(self):
        self._shutdown_workers()
