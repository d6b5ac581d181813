"""kiln.utils.data: samplers, datasets and collation against PyTorch's documented results; the DataLoader with 0, 1
and 2 workers, its shared-memory hand-over and its behaviour when workers fail, die, stall or are left early."""

import collections
import os
import signal
import time

import numpy as np
import pytest

import kiln
from kiln.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from kiln.utils.data import _shared

import data_support as ds

# A hang (a deadlocked worker, a lost wake-up) fails the test instead of blocking the suite.
pytestmark = pytest.mark.timeout(120)


def kiln_segments():
    """This process's DataLoader segments still in /dev/shm."""
    prefix = f"{_shared.PREFIX}{os.getpid()}_"
    return [name for name in os.listdir(_shared.SHM_DIR) if name.startswith(prefix)]


def openmp_registrations(pids):
    return [pid for pid in pids if os.path.exists(f"/dev/shm/__KMP_REGISTERED_LIB_{pid}_{os.getuid()}")]


def assert_processes_gone(pids):
    """Every pid has exited and been reaped (no zombie, no orphan)."""
    deadline = time.monotonic() + 10
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if os.path.exists(f"/proc/{pid}")]
        if alive:
            time.sleep(0.05)
    assert alive == [], f"worker processes still present: {alive}"


def worker_pids(iterator):
    return [process.pid for process in iterator._workers]


def mapping_of(address):
    """The path (or '') of the region of this process's address space holding `address`."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end:
                return fields[5].strip() if len(fields) == 6 else ""
    return None


def collect(loader):
    return [batch for batch in loader]


# --- samplers ---------------------------------------------------------------------------------------------------


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, drop_last=False)) == 3
    assert len(BatchSampler(range(7), 3, drop_last=True)) == 2
    with pytest.raises(ValueError, match=r"batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match=r"drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(range(3), 2, 1)


def test_random_sampler_permutes_and_replays():
    kiln.manual_seed(7)
    first = list(RandomSampler(range(10)))
    kiln.manual_seed(7)
    assert list(RandomSampler(range(10))) == first
    assert sorted(first) == list(range(10))
    # num_samples beyond the length: whole permutations, then part of one.
    drawn = list(RandomSampler(range(4), num_samples=10, generator=3))
    assert len(drawn) == 10 and sorted(drawn[:4]) == [0, 1, 2, 3] and sorted(drawn[4:8]) == [0, 1, 2, 3]
    assert len(set(drawn[8:])) == 2
    # An int seed and a numpy Generator replay; the sampler's state carries on between epochs.
    sampler = RandomSampler(range(50), generator=11)
    epoch1, epoch2 = list(sampler), list(sampler)
    assert epoch1 != epoch2
    assert list(RandomSampler(range(50), generator=np.random.default_rng(11))) == epoch1


def test_random_sampler_with_replacement():
    drawn = list(RandomSampler(range(5), replacement=True, num_samples=200, generator=0))
    assert len(drawn) == 200 and set(drawn) == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match=r"num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(5), num_samples=0)
    with pytest.raises(ValueError, match=r"replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(5), replacement=1)
    with pytest.raises(TypeError, match=r"generator must be None, an int seed or a numpy.random.Generator"):
        RandomSampler(range(5), generator=1.5)


def test_subset_and_weighted_samplers():
    indices = [3, 8, 11, 20]
    kiln.manual_seed(1)
    first = list(SubsetRandomSampler(indices))
    kiln.manual_seed(1)
    assert list(SubsetRandomSampler(indices)) == first
    assert sorted(first) == indices and len(SubsetRandomSampler(indices)) == 4
    drawn = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 400, generator=5))
    assert set(drawn) == {1, 3} and 200 < drawn.count(3) < 400
    assert sorted(WeightedRandomSampler([1, 1, 1], 3, replacement=False, generator=5)) == [0, 1, 2]


# --- datasets ---------------------------------------------------------------------------------------------------


def test_tensor_dataset_subset_concat():
    x = kiln.from_numpy(np.arange(12, dtype=np.float32).reshape(6, 2))
    y = kiln.from_numpy(np.arange(6, dtype=np.int64))
    dataset = TensorDataset(x, y)
    assert len(dataset) == 6
    sample_x, sample_y = dataset[4]
    np.testing.assert_array_equal(sample_x.numpy(), [8, 9])
    assert sample_y.item() == 4
    with pytest.raises(ValueError, match=r"size mismatch between tensors: sizes of dim 0 are \[6, 5\]"):
        TensorDataset(x, y[:5])
    subset = Subset(dataset, [5, 0, 2])
    assert len(subset) == 3 and subset[0][1].item() == 5 and subset[2][1].item() == 2
    concat = ConcatDataset([range(3), range(10, 14)])
    assert len(concat) == 7
    assert [concat[i] for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert concat[-1] == 13 and concat[-7] == 0
    with pytest.raises(ValueError, match=r"absolute value of index should not exceed dataset length"):
        concat[-8]
    both = ds.Squares(2) + ds.Squares(3)
    assert isinstance(both, ConcatDataset) and [both[i]["y"] for i in range(5)] == [0, 1, 0, 1, 2]


def test_random_split():
    parts = random_split(range(10), [3, 7], generator=4)
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert [p.indices for p in random_split(range(10), [3, 7], generator=4)] == [p.indices for p in parts]
    # Fractions: floors, then the remainder round-robin from the first split (PyTorch's rule).
    assert [len(p) for p in random_split(range(11), [0.5, 0.3, 0.2], generator=0)] == [6, 3, 2]
    assert [len(p) for p in random_split(range(10), [0.34, 0.33, 0.33], generator=0)] == [4, 3, 3]
    kiln.manual_seed(3)
    first = [p.indices for p in random_split(range(8), [0.5, 0.5])]
    kiln.manual_seed(3)
    assert [p.indices for p in random_split(range(8), [0.5, 0.5])] == first
    with pytest.raises(ValueError, match=r"sum of input lengths \(9, from \[4, 5\]\) does not equal .* \(10\)"):
        random_split(range(10), [4, 5])


# --- collation --------------------------------------------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "y"])


def test_default_collate_tensors_and_arrays():
    rng = np.random.default_rng(0)
    for np_dtype in (np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_, np.float16):
        arrays = [(rng.standard_normal((2, 3)) * 5).astype(np_dtype) for _ in range(4)]
        for samples in (arrays, [kiln.from_numpy(a) for a in arrays]):
            batch = default_collate(samples)
            assert isinstance(batch, kiln.Tensor)
            assert batch.numpy().dtype == np_dtype
            np.testing.assert_array_equal(batch.numpy(), np.stack(arrays))
    # Non-contiguous and lazy samples.
    base = kiln.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4))
    batch = default_collate([base.t(), base.t() * 2])
    np.testing.assert_array_equal(batch.numpy(), np.stack([base.numpy().T, base.numpy().T * 2]))
    # bfloat16 (which NumPy lacks) and tensors that require grad are stacked by kiln.
    bf = default_collate([kiln.ones(2, dtype=kiln.bfloat16), kiln.zeros(2, dtype=kiln.bfloat16)])
    assert bf.dtype == kiln.bfloat16 and bf.to(kiln.float32).tolist() == [[1, 1], [0, 0]]
    leaf = kiln.ones(2, requires_grad=True)
    stacked = default_collate([leaf, leaf])
    stacked.sum().backward()
    assert leaf.grad.tolist() == [2.0, 2.0]


def test_default_collate_numbers_strings_containers():
    floats = default_collate([1.5, 2.0])
    assert floats.dtype == kiln.float64 and floats.tolist() == [1.5, 2.0]
    ints = default_collate([1, 2, 3])
    assert ints.dtype == kiln.int64 and ints.tolist() == [1, 2, 3]
    assert default_collate([True, False]).dtype == kiln.bool
    assert default_collate([np.float32(1), np.float32(2)]).dtype == kiln.float32
    assert default_collate([np.int32(1), np.int32(2)]).dtype == kiln.int32
    assert default_collate(["a", "b"]) == ["a", "b"]
    batch = default_collate([{"a": 1, "b": [2.0, "s"]}, {"a": 3, "b": [4.0, "t"]}])
    assert batch["a"].tolist() == [1, 3]
    assert batch["b"][0].dtype == kiln.float64 and batch["b"][0].tolist() == [2.0, 4.0]
    assert batch["b"][1] == ["s", "t"]
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3] and point.y.dtype == kiln.float64
    pairs = default_collate([(1, "x"), (2, "y")])
    assert isinstance(pairs, list) and pairs[0].tolist() == [1, 2] and pairs[1] == ["x", "y"]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[3\] at entry 0 "
                                           r"and \[4\] at entry 2"):
        default_collate([kiln.zeros(3), kiln.zeros(3), kiln.zeros(4)])
    with pytest.raises(RuntimeError, match=r"got \[2, 2\] at entry 0 and \[2\] at entry 1"):
        default_collate([np.zeros((2, 2)), np.zeros(2)])
    with pytest.raises(RuntimeError, match=r"each element in list of batch should be of equal size, but element 0 "
                                           r"has 2 and element 1 has 3"):
        default_collate([[1, 2], [1, 2, 3]])
    with pytest.raises(TypeError, match=r"batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                                        r"found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match=r"found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(TypeError, match=r"can't convert np.ndarray of type numpy.int16"):
        default_collate([np.zeros(2, np.int16), np.zeros(2, np.int16)])


def test_default_convert():
    converted = default_convert({"a": np.arange(3), "b": (np.float32(2), "s"), "c": 4})
    assert isinstance(converted["a"], kiln.Tensor) and converted["a"].tolist() == [0, 1, 2]
    assert isinstance(converted["b"], list) and converted["b"][0].dtype == kiln.float32 and converted["b"][1] == "s"
    assert converted["c"] == 4
    array = np.arange(4.0)
    assert default_convert(array).data_ptr() == array.ctypes.data
    assert default_convert(Point(np.array(1), 2)).x.tolist() == 1


# --- DataLoader in the main process ----------------------------------------------------------------------------


def test_loader_single_process():
    loader = DataLoader(ds.Squares(10), batch_size=4)
    batches = collect(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[0]["y"].tolist() == [0, 1, 2, 3] and batches[2]["y"].tolist() == [8, 9]
    np.testing.assert_array_equal(batches[1]["x"].numpy()[:, 1], [16, 25, 36, 49])
    assert batches[1]["name"] == ["4", "5", "6", "7"]
    assert len(DataLoader(ds.Squares(10), batch_size=4, drop_last=True)) == 2
    unbatched = collect(DataLoader(ds.Squares(3), batch_size=None))
    assert unbatched[2]["y"] == 2 and isinstance(unbatched[2]["x"], kiln.Tensor)
    sampled = collect(DataLoader(ds.Squares(10), batch_sampler=[[9, 1], [4]]))
    assert [b["y"].tolist() for b in sampled] == [[9, 1], [4]]
    custom = collect(DataLoader(ds.Squares(5), batch_size=5, collate_fn=lambda samples: len(samples)))
    assert custom == [5]


def test_loader_argument_errors():
    with pytest.raises(ValueError, match=r"sampler option is mutually exclusive with shuffle"):
        DataLoader(range(4), sampler=SequentialSampler(range(4)), shuffle=True)
    with pytest.raises(ValueError, match=r"batch_sampler option is mutually exclusive with batch_size"):
        DataLoader(range(4), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match=r"batch_size=None option disables auto-batching"):
        DataLoader(range(4), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match=r"num_workers option should be a non-negative int.*num_workers=-1"):
        DataLoader(range(4), num_workers=-1)
    with pytest.raises(ValueError, match=r"persistent_workers option needs num_workers > 0"):
        DataLoader(range(4), persistent_workers=True)
    with pytest.raises(ValueError, match=r"prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(range(4), prefetch_factor=2)
    with pytest.raises(ValueError, match=r"expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(ds.Range(0, 4), shuffle=True)
    with pytest.raises(ValueError, match=r"valid start method in .* but got multiprocessing_context='nope'"):
        DataLoader(range(4), num_workers=1, multiprocessing_context="nope")
    with pytest.raises(ValueError, match=r"timeout option should be non-negative, got timeout=-1"):
        DataLoader(range(4), timeout=-1)


# --- DataLoader with workers -----------------------------------------------------------------------------------


def _as_lists(batches):
    return [(b["y"].tolist(), b["x"].numpy().tolist(), b["name"]) for b in batches]


def test_workers_give_the_same_batches():
    expected = _as_lists(collect(DataLoader(ds.Squares(11), batch_size=3)))
    for num_workers in (1, 2):
        got = _as_lists(collect(DataLoader(ds.Squares(11), batch_size=3, num_workers=num_workers)))
        assert got == expected, num_workers
    # Shuffled: the sampler runs in the main process, so a seed gives the same order whatever num_workers is.
    shuffled = {}
    for num_workers in (0, 2):
        kiln.manual_seed(123)
        shuffled[num_workers] = [b["y"].tolist() for b in DataLoader(ds.Squares(11), batch_size=3, shuffle=True,
                                                                      num_workers=num_workers)]
    assert shuffled[0] == shuffled[2]
    assert sorted(sum(shuffled[2], [])) == list(range(11)) and sum(shuffled[2], []) != list(range(11))
    by_generator = [b["y"].tolist() for b in DataLoader(ds.Squares(11), batch_size=3, shuffle=True, num_workers=2,
                                                         generator=np.random.default_rng(5))]
    again = [b["y"].tolist() for b in DataLoader(ds.Squares(11), batch_size=3, shuffle=True, generator=5)]
    assert by_generator == again
    assert kiln_segments() == []


def test_workers_iterable_dataset_sharded():
    loader = DataLoader(ds.Range(0, 20), batch_size=4, num_workers=2)
    batches = [b.tolist() for b in loader]
    # Each worker makes its own batches of its shard; batches alternate between the workers.
    assert batches == [[0, 2, 4, 6], [1, 3, 5, 7], [8, 10, 12, 14], [9, 11, 13, 15], [16, 18], [17, 19]]
    assert len(loader) == 5
    unsharded = list(DataLoader(ds.Range(0, 3, shard=False), batch_size=None, num_workers=2))
    assert sorted(unsharded) == [0, 0, 1, 1, 2, 2]
    # Persistent workers restart their iterators each epoch.
    persistent = DataLoader(ds.Range(0, 6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in persistent] == [[0, 2], [1, 3], [4], [5]]
    assert [b.tolist() for b in persistent] == [[0, 2], [1, 3], [4], [5]]
    del persistent
    assert kiln_segments() == []


def test_workers_hand_over_batches_in_shared_memory():
    batch = next(iter(DataLoader(ds.Squares(8), batch_size=4, num_workers=1)))
    region = mapping_of(batch["x"].data_ptr())
    # The batch lives in the worker's segment, mapped (not copied) and already unlinked.
    assert region.startswith(f"{_shared.SHM_DIR}/{_shared.PREFIX}{os.getpid()}_"), region
    assert region.endswith("(deleted)"), region
    assert mapping_of(batch["y"].data_ptr()) == region
    assert batch["y"].data_ptr() // 4096 != batch["x"].data_ptr() // 4096
    np.testing.assert_array_equal(batch["x"].numpy()[:, 1], [0, 1, 4, 9])
    # Writable, and usable by kiln ops.
    batch["x"].add_(1)
    assert (batch["x"] * 2).sum().item() == 2 * (np.array([[i + 1, i * i + 1, 1 - i] for i in range(4)]).sum())
    # A collate_fn's own arrays and tensors are copied into the segment and come back as they went.
    custom = next(iter(DataLoader(ds.Squares(8), batch_size=4, num_workers=1, collate_fn=ds.collate_to_numpy)))
    assert isinstance(custom["array"], np.ndarray) and custom["array"].tolist() == [0, 1, 2, 3]
    assert isinstance(custom["tensor"], kiln.Tensor) and custom["tensor"].tolist() == [0, 10, 20, 30]
    assert custom["names"] == ["0", "1", "2", "3"]
    assert mapping_of(custom["tensor"].data_ptr()).endswith("(deleted)")
    # Each tensor maps its own pages: dropping x unmaps them while y lives on.
    x_address, labels = batch["x"].data_ptr(), batch["y"]
    del batch, custom
    assert mapping_of(x_address) != region
    assert mapping_of(labels.data_ptr()) == region and labels.tolist() == [0, 1, 2, 3]
    assert kiln_segments() == []


def test_early_break_stops_workers():
    loader = DataLoader(ds.Squares(100), batch_size=2, num_workers=2, prefetch_factor=4)
    iterator = iter(loader)
    first = next(iterator)
    pids = worker_pids(iterator)
    assert first["y"].tolist() == [0, 1]
    del iterator
    assert_processes_gone(pids)
    assert kiln_segments() == []
    for batch in loader:
        break
    assert batch["y"].tolist() == [0, 1]
    assert kiln_segments() == []


def test_worker_exception_names_worker_and_keeps_traceback():
    # Index 3 is in the second batch, which worker 1 fetches.
    loader = DataLoader(ds.Failing(8, bad=3), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as raised:
        collect(loader)
    message = str(raised.value)
    assert "Caught ValueError in DataLoader worker process 1" in message
    assert "Traceback (most recent call last)" in message
    assert "in __getitem__" in message and "ValueError: bad sample 3" in message
    assert kiln_segments() == []
    with pytest.raises(KeyError, match=r"(?s)Caught KeyError in DataLoader worker process 0.*in failing_init.*"
                                       r"KeyError: 'init of worker 0'"):
        collect(DataLoader(ds.Squares(8), batch_size=2, num_workers=2, worker_init_fn=ds.failing_init))
    assert kiln_segments() == []


@pytest.mark.parametrize("how", ["SIGKILL", "SIGSEGV", "exit"])
def test_worker_death_raises(how):
    if how == "exit":
        dataset = ds.Dying(8, bad=3, signal_number=None, exit_code=3)
        expected = r"DataLoader worker 1 \(pid \d+\) exited unexpectedly with exit code 3"
    else:
        dataset = ds.Dying(8, bad=3, signal_number=getattr(signal, how))
        expected = rf"DataLoader worker 1 \(pid \d+\) is killed by signal: .*\({how}\)"
    iterator = iter(DataLoader(dataset, batch_size=2, num_workers=2))
    pids = worker_pids(iterator)
    with pytest.raises(RuntimeError, match=expected):
        collect(iterator)
    assert_processes_gone(pids)
    assert kiln_segments() == []
    assert openmp_registrations(pids) == []


def test_timeout():
    iterator = iter(DataLoader(ds.Slow(4, delay=5), batch_size=1, num_workers=1, timeout=0.5))
    pids = worker_pids(iterator)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds"):
        next(iterator)
    assert_processes_gone(pids)
    assert kiln_segments() == []


def test_persistent_workers_reuse_processes():
    loader = DataLoader(ds.WorkerReport(8), batch_size=2, num_workers=2, persistent_workers=True)
    epoch1 = [sample for batch in loader for sample in zip(*batch)]
    pids = {sample[4].item() for sample in epoch1}
    # Leave the second epoch early: the next one still starts from the beginning on the same processes.
    for batch in loader:
        break
    epoch3 = [sample for batch in loader for sample in zip(*batch)]
    assert [s[0].item() for s in epoch1] == list(range(8)) == [s[0].item() for s in epoch3]
    assert {sample[4].item() for sample in epoch3} == pids and len(pids) == 2
    iterator = loader._iterator
    del loader
    assert iterator._shutdown
    assert_processes_gone(pids)
    assert kiln_segments() == []


def test_worker_info_and_seeds():
    assert get_worker_info() is None
    epochs = []
    for _ in range(2):
        samples = [sample for batch in DataLoader(ds.WorkerReport(8), batch_size=2, num_workers=2)
                   for sample in zip(*batch)]
        by_worker = {}
        for index, worker_id, num_workers, seed, pid, own_copy, kiln_draw, numpy_draw in samples:
            assert num_workers.item() == 2 and own_copy.item()
            by_worker.setdefault(worker_id.item(), set()).add(seed.item())
        # Batches go round-robin: worker 0 gets batches 0 and 2, worker 1 batches 1 and 3.
        assert [s[1].item() for s in samples] == [0, 0, 1, 1, 0, 0, 1, 1]
        seeds = {worker: seeds.pop() for worker, seeds in by_worker.items() if len(seeds) == 1}
        assert seeds[1] == seeds[0] + 1
        # Different workers draw different kiln and NumPy random numbers.
        assert samples[0][6] != samples[2][6] and samples[0][7] != samples[2][7]
        epochs.append(seeds[0])
    assert epochs[0] != epochs[1]


def test_manual_seed_in_worker_init_fn():
    def draws():
        return [s[6].item() for batch in DataLoader(ds.WorkerReport(4), batch_size=2, num_workers=2,
                                                    worker_init_fn=ds.seed_kiln_in_worker) for s in zip(*batch)]

    first = draws()
    assert draws() == first
    kiln.manual_seed(1000)
    expected_worker0 = [kiln.rand(()).item() for _ in range(2)]
    assert first[:2] == expected_worker0


@pytest.mark.parametrize("context", [None, "fork"])
def test_kiln_ops_in_workers_after_parent_ran_kiln_ops(context):
    # The parent runs a matmul (oneDNN on GNU OpenMP) and a parallel elementwise program (LLVM's OpenMP) first. A
    # forked worker's own matmul would then wait forever for GNU OpenMP threads it does not have, unless (as the
    # loader does) it runs on one thread; the default start method forks from a process that ran no op.
    a = kiln.from_numpy(np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32))
    np.testing.assert_allclose((a @ a).numpy(), a.numpy() @ a.numpy(), rtol=1e-4, atol=1e-3)
    assert kiln.exp(kiln.zeros(1 << 20)).sum().item() == 1 << 20
    iterator = iter(DataLoader(ds.KilnCompute(), batch_size=2, num_workers=2, multiprocessing_context=context))
    pids = worker_pids(iterator)
    values = [v for batch in iterator for v in batch.tolist()]
    assert values == [ds.kiln_compute_expected(i) for i in range(6)]
    assert_processes_gone(pids)
    assert openmp_registrations(pids) == []
    assert kiln_segments() == []


def test_other_start_methods():
    expected = _as_lists(collect(DataLoader(ds.Squares(6), batch_size=4)))
    for method in ("spawn", "fork"):
        got = _as_lists(collect(DataLoader(ds.Squares(6), batch_size=4, num_workers=1,
                                           multiprocessing_context=method)))
        assert got == expected, method
    assert kiln_segments() == []


def test_unpicklable_dataset_is_named():
    class Local(ds.Squares):
        pass

    with pytest.raises(RuntimeError, match=r"could not start worker 0 with the 'forkserver' start method.*"
                                           r"define them at module level"):
        iter(DataLoader(Local(4), num_workers=1))
    assert kiln_segments() == []


def test_full_shared_memory_is_a_clear_error(monkeypatch):
    def no_space(fd, offset, length):
        raise OSError(28, "No space left on device")

    segment = _shared.SegmentWriter(f"{_shared.PREFIX}{os.getpid()}_test_full")
    monkeypatch.setattr(_shared.os, "posix_fallocate", no_space)
    with pytest.raises(OSError, match=r"cannot allocate 48 bytes of shared memory in .* \(No space left on device\)"):
        segment.stack([np.zeros((2, 3), np.float32)] * 2)
    monkeypatch.undo()
    segment.discard()
    assert kiln_segments() == []
