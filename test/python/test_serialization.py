"""kiln.save / kiln.load: round trips of every dtype and of nested objects and optimizer state, memory mapping
without copies, atomic writes, and rejection of damaged, truncated and hostile files (docs/file-format.md)."""
import collections
import io
import json
import math
import os
import struct
import zlib

import numpy as np
import pytest
from conftest import NUMPY_DTYPES, random_array

import kiln
import kiln.optim as optim
from kiln import serialization
from kiln.serialization import FileFormatError


def to_numpy(t):
    return t.to(kiln.float32).numpy() if t.dtype is kiln.bfloat16 else t.numpy()


def assert_same_tensor(got, expected):
    assert isinstance(got, kiln.Tensor)
    assert got.dtype is expected.dtype and tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(to_numpy(got), to_numpy(expected))


# --- Round trips ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5), (2, 1, 4)])
@pytest.mark.parametrize("mmap", [False, True])
def test_every_dtype_round_trips(tmp_path, shape, mmap):
    tensors = {repr(kd): kiln.from_numpy(random_array(shape, nd, seed=len(shape))) for kd, nd in NUMPY_DTYPES}
    tensors["bfloat16"] = kiln.from_numpy(random_array(shape, np.float32, seed=9)).to(kiln.bfloat16)
    path = tmp_path / "t.kiln"
    kiln.save(tensors, path)
    loaded = kiln.load(path, mmap=mmap)
    assert list(loaded) == list(tensors)
    for name, t in tensors.items():
        assert_same_tensor(loaded[name], t)


def test_special_float_values_are_bit_exact(tmp_path):
    values = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, np.finfo(np.float64).max], np.float64)
    halves = np.array([np.nan, np.inf, -0.0, 6e-8, 65504.0], np.float16)
    bf16 = kiln.tensor([float("nan"), float("-inf"), -0.0, 1e-40, 3.0e38]).to(kiln.bfloat16)
    kiln.save([kiln.from_numpy(values), kiln.from_numpy(halves), bf16], tmp_path / "f.kiln")
    a, b, c = kiln.load(tmp_path / "f.kiln")
    assert a.numpy().tobytes() == values.tobytes() and b.numpy().tobytes() == halves.tobytes()
    assert c.to(kiln.float32).numpy().tobytes() == bf16.to(kiln.float32).numpy().tobytes()


def test_nested_objects_round_trip():
    weight = kiln.arange(6.0).reshape(2, 3)
    obj = {
        "model": {"layer.weight": weight, "layer.bias": kiln.zeros(3, dtype=kiln.float64)},
        7: [1, -2 ** 63, 2 ** 63 - 1, 0.1, float("inf"), float("-inf"), -0.0, True, False, None, "naïve ✓", ""],
        "tuple": (1, (2.5, "x"), []),
        "empty": {},
        "dtype": kiln.bfloat16,
        "numpy scalars": [np.int64(4), np.float32(0.5), np.bool_(True)],
        "again": weight,
    }
    buffer = io.BytesIO()
    kiln.save(obj, buffer)
    buffer.seek(0)
    loaded = kiln.load(buffer)
    assert list(loaded) == ["model", 7, "tuple", "empty", "dtype", "numpy scalars", "again"]
    assert_same_tensor(loaded["model"]["layer.weight"], weight)
    assert loaded["again"] is loaded["model"]["layer.weight"]
    values = loaded[7]
    assert values[:4] == [1, -2 ** 63, 2 ** 63 - 1, 0.1] and all(type(v) is int for v in values[:3])
    assert values[4:6] == [math.inf, -math.inf] and math.copysign(1.0, values[6]) == -1.0
    assert values[7:] == [True, False, None, "naïve ✓", ""]
    assert loaded["tuple"] == (1, (2.5, "x"), []) and loaded["empty"] == {}
    assert loaded["dtype"] is kiln.bfloat16
    assert loaded["numpy scalars"] == [4, 0.5, True] and type(loaded["numpy scalars"][0]) is int
    assert math.isnan(kiln.load(io.BytesIO(_saved(float("nan")))))


def _saved(obj, **kwargs):
    buffer = io.BytesIO()
    kiln.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def test_views_are_saved_contiguous_and_requires_grad_is_kept(tmp_path):
    base = kiln.from_numpy(np.arange(24.0).reshape(4, 6))
    views = {"t": base.t(), "slice": base[1:3, ::2], "expanded": kiln.ones(3).expand(2, 3),
             "pending": base * 2 + 1, "param": kiln.ones(2, 2, requires_grad=True)}
    kiln.save(views, tmp_path / "v.kiln")
    loaded = kiln.load(tmp_path / "v.kiln")
    for name, view in views.items():
        assert_same_tensor(loaded[name], view.detach())
        assert loaded[name].is_contiguous()
    assert loaded["param"].requires_grad and loaded["param"].is_leaf
    assert not loaded["t"].requires_grad


def test_optimizer_state_dict_round_trip_continues_training_identically(tmp_path):
    rng = np.random.default_rng(0)
    grads = [[rng.standard_normal(s) for s in [(3, 4), (4,)]] for _ in range(6)]

    def train(opt, params, steps):
        for step_grads in steps:
            for p, g in zip(params, step_grads):
                p.grad = kiln.from_numpy(g.copy())
            opt.step()

    params = [kiln.from_numpy(rng.standard_normal(s)).requires_grad_() for s in [(3, 4), (4,)]]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1, "amsgrad": True}], lr=0.01)
    sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    train(opt, params, grads[:3])
    sched.step()
    kiln.save({"params": params, "optim": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt")

    checkpoint = kiln.load(tmp_path / "ckpt")
    assert checkpoint["optim"]["param_groups"][1]["betas"] == (0.9, 0.999)
    assert checkpoint["optim"]["state"][0]["step"].item() == 3.0
    copies = checkpoint["params"]
    resumed = optim.Adam([{"params": copies[:1]}, {"params": copies[1:], "lr": 0.1, "amsgrad": True}], lr=0.01)
    resumed_sched = optim.lr_scheduler.MultiStepLR(resumed, milestones=[1, 3], gamma=0.5)
    resumed.load_state_dict(checkpoint["optim"])
    resumed_sched.load_state_dict(checkpoint["sched"])
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]

    for trained, (o, s, ps) in enumerate([(opt, sched, params), (resumed, resumed_sched, copies)]):
        for step_grads in grads[3:]:
            train(o, ps, [step_grads])
            s.step()
    for p, c in zip(params, copies):
        np.testing.assert_array_equal(c.numpy(), p.numpy())
    assert resumed_sched.get_last_lr() == sched.get_last_lr()


def test_blobs_and_metadata_for_model_files(tmp_path):
    path = tmp_path / "m.kiln"
    ir = b"module { func.func @main() }" * 3
    kiln.save({"w": kiln.ones(3)}, path, blobs={"ir": ir, "empty": b""}, metadata={"kind": "model"})
    for mmap in (False, True):
        container = serialization.load_container(path, mmap=mmap)
        assert bytes(container.blobs["ir"]) == ir and bytes(container.blobs["empty"]) == b""
        assert container.metadata == {"kind": "model"}
        assert_same_tensor(container.obj["w"], kiln.ones(3))
    assert list(kiln.load(path)) == ["w"]


def test_file_objects_hold_several_containers_and_streams_work():
    buffer = io.BytesIO()
    kiln.save({"a": kiln.ones(2)}, buffer)
    kiln.save([kiln.zeros(3, dtype=kiln.int32)], buffer)
    buffer.seek(0)
    assert_same_tensor(kiln.load(buffer)["a"], kiln.ones(2))
    assert_same_tensor(kiln.load(buffer)[0], kiln.zeros(3, dtype=kiln.int32))

    class Stream:  # readable, not seekable
        def __init__(self, data):
            self.data = data

        def read(self, n=-1):
            data, self.data = self.data, b""
            return data

    loaded = kiln.load(Stream(_saved({"x": kiln.ones(4)})))["x"]
    loaded.add_(1)  # its memory is its own, not the stream's immutable bytes
    assert_same_tensor(loaded, kiln.full((4,), 2.0))


def test_map_location():
    data = _saved({"w": kiln.ones(2)})
    for location in (None, "cpu", kiln.device("cpu"), {"cpu": "cpu"}):
        assert_same_tensor(kiln.load(io.BytesIO(data), map_location=location)["w"], kiln.ones(2))
    assert kiln.load(io.BytesIO(data), map_location=lambda t, loc: (loc, t))["w"][0] == "cpu"
    with pytest.raises(NotImplementedError, match="map_location 'cuda:0': only cpu is supported"):
        kiln.load(io.BytesIO(data), map_location="cuda:0")


# --- Memory mapping ------------------------------------------------------------------------------------------


def mapped_ranges(path):
    """Address ranges of this process's mappings of `path` (/proc/self/maps)."""
    ranges, target = [], os.path.realpath(path)
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == target:
                low, high = (int(x, 16) for x in fields[0].split("-"))
                ranges.append((low, high))
    return ranges


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs Linux's /proc/self/maps")
def test_mmap_wraps_the_mapped_file_without_copies(tmp_path):
    path = tmp_path / "big.kiln"
    original = {"w": kiln.from_numpy(np.arange(4096, dtype=np.float32)),
                "b": kiln.from_numpy(np.arange(300, dtype=np.float32)).to(kiln.bfloat16)}
    kiln.save(original, path)
    loaded = kiln.load(path, mmap=True)
    ranges = mapped_ranges(path)
    assert ranges
    for t in loaded.values():
        assert any(low <= t.data_ptr() < high for low, high in ranges), hex(t.data_ptr())
    assert any(low <= loaded["w"].numpy().ctypes.data < high for low, high in ranges)
    copied = kiln.load(path)
    assert not any(low <= copied["w"].data_ptr() < high for low, high in ranges)

    # Copy-on-write: changing the loaded tensor changes neither the file nor a fresh load.
    before = path.read_bytes()
    loaded["w"].numpy()[:3] = -1.0
    assert path.read_bytes() == before
    np.testing.assert_array_equal(kiln.load(path, mmap=True)["w"].numpy()[:3], [0.0, 1.0, 2.0])
    with open(path, "rb") as f:
        assert_same_tensor(kiln.load(f, mmap=True)["b"], original["b"])


def test_mmap_needs_a_file_descriptor():
    with pytest.raises(ValueError, match="mmap=True needs a path or a file with a file descriptor"):
        kiln.load(type("R", (), {"read": lambda self, n=-1: b""})(), mmap=True)


# --- Atomic writes -------------------------------------------------------------------------------------------


class FailingFile:
    """Wraps the temporary file: writes go through until `limit` bytes, then the disk is "full"."""

    def __init__(self, inner, limit):
        self.inner, self.limit, self.written = inner, limit, 0

    def write(self, data):
        data = bytes(data)
        if self.written + len(data) > self.limit:
            self.inner.write(data[:self.limit - self.written])
            raise OSError(28, "No space left on device")
        self.written += len(data)
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inner.close()


@pytest.mark.parametrize("fail_at", [10, 100, 700])
def test_a_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "ckpt.kiln"
    kiln.save({"version": 1, "w": kiln.ones(100)}, path)
    before = path.read_bytes()
    real_open = serialization._open_temporary

    def failing_open(directory, name):
        out, temporary = real_open(directory, name)
        return FailingFile(out, fail_at), temporary

    monkeypatch.setattr(serialization, "_open_temporary", failing_open)
    with pytest.raises(OSError, match="No space left on device"):
        kiln.save({"version": 2, "w": kiln.zeros(100)}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.kiln"]
    assert kiln.load(path)["version"] == 1


def test_a_failed_fsync_or_interrupt_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.kiln"
    kiln.save({"version": 1}, path)

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        kiln.save({"version": 2}, path)
    monkeypatch.undo()
    assert kiln.load(path) == {"version": 1} and os.listdir(tmp_path) == ["ckpt.kiln"]
    kiln.save({"version": 3}, str(path))
    assert kiln.load(str(path)) == {"version": 3} and os.listdir(tmp_path) == ["ckpt.kiln"]


def test_saving_through_a_symbolic_link_replaces_its_target(tmp_path):
    (tmp_path / "real.kiln").write_bytes(b"old")
    (tmp_path / "link.kiln").symlink_to("real.kiln")
    kiln.save({"new": True}, tmp_path / "link.kiln")
    assert (tmp_path / "link.kiln").is_symlink() and kiln.load(tmp_path / "real.kiln") == {"new": True}
    assert sorted(os.listdir(tmp_path)) == ["link.kiln", "real.kiln"]


def test_saved_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        kiln.save(1, tmp_path / "p.kiln")
    finally:
        os.umask(old)
    assert (tmp_path / "p.kiln").stat().st_mode & 0o777 == 0o640


def test_save_errors():
    with pytest.raises(TypeError, match="can't save an object of type set \\(at 'a.0'\\)"):
        kiln.save({"a": [{1}]}, io.BytesIO())
    with pytest.raises(TypeError, match="dict keys must be str or int, but the dict at 'x' has a key of type tuple"):
        kiln.save({"x": {(1, 2): 3}}, io.BytesIO())
    with pytest.raises(ValueError, match="the int at '0' does not fit in 64 bits"):
        kiln.save([2 ** 64], io.BytesIO())
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        kiln.save(loop, io.BytesIO())
    with pytest.raises(ValueError, match="not valid Unicode"):
        kiln.save("\ud800", io.BytesIO())
    with pytest.raises(TypeError, match="f must be a path or a writable binary file, not int"):
        kiln.save(1, 3)


# --- Damaged and hostile files -------------------------------------------------------------------------------


def sample_file():
    return _saved({"layer.weight": kiln.from_numpy(random_array((5, 3), np.float32, seed=1)),
                   "mask": kiln.tensor([True, False, True]),
                   "ids": kiln.from_numpy(np.arange(9, dtype=np.int64)),
                   "half": kiln.ones(4, dtype=kiln.bfloat16),
                   "meta": {"epoch": 3, "lr": 0.1, "name": "run"}},
                  blobs={"ir": b"func"})


def load_bytes(data, tmp_path=None):
    if tmp_path is None:
        return kiln.load(io.BytesIO(data))
    path = tmp_path / "f.kiln"
    path.write_bytes(data)
    return kiln.load(path)


def equal_objects(a, b):
    if isinstance(a, kiln.Tensor):
        return isinstance(b, kiln.Tensor) and a.dtype is b.dtype and np.array_equal(to_numpy(a), to_numpy(b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(equal_objects(a[k], b[k]) for k in a)
    return a == b


def test_every_truncation_is_reported(tmp_path):
    data = sample_file()
    path = tmp_path / "f.kiln"
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(FileFormatError, match="truncated|not a Kiln file") as info:
            kiln.load(path)
        assert str(path) in str(info.value)
    with pytest.raises(FileFormatError, match=f"truncated: expected {len(data)} bytes, file has {len(data) - 64}"):
        load_bytes(data[:-64], tmp_path)
    with pytest.raises(FileFormatError, match="truncated: expected at least 64 bytes of header, file has 0"):
        load_bytes(b"")
    with pytest.raises(FileFormatError, match="64 trailing bytes after the data section"):
        load_bytes(data + bytes(64), tmp_path)


def test_every_bit_flip_is_reported():
    data = sample_file()
    original = load_bytes(data)
    rng = np.random.default_rng(1234)
    positions = list(range(64)) + list(rng.integers(64, len(data), 300))
    for position in positions:
        damaged = bytearray(data)
        damaged[position] ^= 1 << int(rng.integers(0, 8))
        try:
            loaded = load_bytes(bytes(damaged))
        except FileFormatError:
            continue
        raise AssertionError(f"a flipped bit at byte {position} loaded silently "
                             f"({'equal' if equal_objects(loaded, original) else 'different'})")


def test_random_overwrites_are_reported():
    data = sample_file()
    rng = np.random.default_rng(99)
    for _ in range(100):
        damaged = bytearray(data)
        start = int(rng.integers(0, len(data) - 8))
        damaged[start:start + 8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
        if bytes(damaged) == data:
            continue
        with pytest.raises(FileFormatError):
            load_bytes(bytes(damaged))


def test_checksum_errors_name_the_array(tmp_path):
    data = bytearray(sample_file())
    manifest = json.loads(data[64:64 + struct.unpack_from("<Q", data, 16)[0]])
    entry = next(a for a in manifest["arrays"] if a["name"] == "layer.weight")
    data_offset = struct.unpack_from("<Q", data, 24)[0]
    data[data_offset + entry["offset"] + 5] ^= 0x10
    with pytest.raises(FileFormatError, match="f.kiln'?: array 'layer.weight' checksum mismatch \\(stored 0x"):
        load_bytes(bytes(data), tmp_path)


def build(manifest, data=b"", version=(1, 0), flags=0, raw_manifest=None):
    """A container with correct checksums around a hand-written (possibly hostile) manifest and data section."""
    text = raw_manifest if raw_manifest is not None else json.dumps(manifest).encode()
    data_offset = (64 + len(text) + 63) // 64 * 64
    data = data + bytes(-len(data) % 64)
    header = serialization._header(len(text), data_offset, len(data), zlib.crc32(text), version, flags)
    return header + text + bytes(data_offset - 64 - len(text)) + data


def array(name="a", dtype="float32", shape=(2,), offset=0, length=8, data=bytes(8)):
    return {"name": name, "dtype": dtype, "shape": list(shape), "offset": offset, "length": length,
            "crc32": zlib.crc32(data)}


def ref(i):
    return {"tensor": {"array": i, "requires_grad": False}}


def test_a_hand_built_file_loads():
    assert equal_objects(load_bytes(build({"root": ref(0), "arrays": [array()]}, bytes(8))), kiln.zeros(2))


HOSTILE = [
    ({"root": ref(0), "arrays": [array(shape=[2 ** 40, 2 ** 40])]}, bytes(8),
     "array 'a': shape \\[1099511627776, 1099511627776\\] of float32 needs \\d+ bytes, but its length is 8"),
    ({"root": ref(0), "arrays": [array(shape=[2 ** 40], length=2 ** 42)]}, bytes(8), "lie outside the data section"),
    ({"root": ref(0), "arrays": [array(offset=-64)]}, bytes(8), "negative offset or length"),
    ({"root": ref(0), "arrays": [array(offset=8)]}, bytes(16), "offset 8 is not a multiple of 64"),
    ({"root": None, "arrays": [array("a", shape=[16], length=64, data=bytes(64)),
                               array("b", offset=0)]}, bytes(64), "array '[ab]' overlaps array '[ab]'"),
    ({"root": ref(0), "arrays": [array(dtype="complex64")]}, bytes(8), "unknown dtype 'complex64'"),
    ({"root": ref(0), "arrays": [array(shape=[-2], length=-8)]}, bytes(8), "non-negative integers"),
    ({"root": ref(0), "arrays": [array(shape="2")]}, bytes(8), "shape must be a list"),
    ({"root": ref(0), "arrays": [array(shape=[1] * 65, length=4, data=bytes(4))]}, bytes(4), "at most 64"),
    ({"root": ref(0), "arrays": [{**array(), "offset": 0.0}]}, bytes(8), "'offset' must be an integer"),
    ({"root": ref(0), "arrays": [{**array(), "crc32": 2 ** 32}]}, bytes(8), "is not a 32-bit value"),
    ({"root": ref(0), "arrays": [array(dtype="bool", length=2, data=b"\x02\x00")]}, b"\x02\x00",
     "array 'a': bool values other than 0 and 1"),
    ({"root": ref(1), "arrays": [array()]}, bytes(8), "tensor refers to array 1, but the file has 1"),
    ({"root": ref(0), "arrays": {}}, b"", "'arrays' must be a list"),
    ({"arrays": []}, b"", "the manifest has no 'root'"),
    ({"root": {"int": 1.5}, "arrays": []}, b"", "'int' must hold a 64-bit integer"),
    ({"root": {"int": 2 ** 63}, "arrays": []}, b"", "'int' must hold a 64-bit integer"),
    ({"root": {"float": "NaN!"}, "arrays": []}, b"", "'float' must hold a number"),
    ({"root": {"pickle": "os.system"}, "arrays": []}, b"", "unknown tag 'pickle'"),
    ({"root": {"list": [], "tuple": []}, "arrays": []}, b"", "one-key tagged object"),
    ({"root": 3, "arrays": []}, b"", "expected null, a boolean, a string or a one-key tagged object"),
    ({"root": {"dict": [["a", 1], ["a", 2]]}, "arrays": []}, b"", "dict entries|one-key"),
    ({"root": {"dict": [["a", None], ["a", None]]}, "arrays": []}, b"", "duplicate dict key 'a'"),
    ({"root": {"dict": [[{"float": 1.0}, None]]}, "arrays": []}, b"", "dict keys must be strings or ints"),
    ({"root": {"dtype": "complex64"}, "arrays": []}, b"", "unknown dtype 'complex64'"),
    ({"root": {"tensor": {"array": 0, "requires_grad": True}},
      "arrays": [array(dtype="int32", length=8)]}, bytes(8), "a kiln.int32 tensor can't require grad"),
    ({"root": None, "arrays": [], "blobs": {"ir": {"offset": 0, "length": 65, "crc32": 0}}}, bytes(64),
     "blob 'ir': bytes 0..65 lie outside the data section of 64 bytes"),
    ({"root": None, "arrays": [], "metadata": {"a": 1}}, b"", "'metadata' must map strings to strings"),
]


@pytest.mark.parametrize("manifest,data,message", HOSTILE, ids=[h[2][:40] for h in HOSTILE])
def test_hostile_manifests_are_rejected(manifest, data, message):
    with pytest.raises(FileFormatError, match=message):
        load_bytes(build(manifest, data))


def random_json(rng, depth=0):
    makers = [
        lambda: None, lambda: True, lambda: int(rng.integers(-70, 2 ** 33)), lambda: float(rng.standard_normal()),
        lambda: "nan", lambda: "x" * int(rng.integers(0, 3)),
        lambda: {"tensor": {"array": int(rng.integers(-1, 6)), "requires_grad": bool(rng.integers(0, 2))}},
        lambda: [random_json(rng, depth + 1) for _ in range(int(rng.integers(0, 3)))],
        lambda: {str(k): random_json(rng, depth + 1)
                 for k in rng.choice(["int", "float", "list", "tensor", "array", "dtype", "offset", "dict"], 2)},
    ]
    return makers[int(rng.integers(0, len(makers) if depth < 3 else len(makers) - 2))]()


def replace_random_node(rng, value):
    """`value` with one randomly chosen node (any depth) replaced by random JSON."""
    if not isinstance(value, (dict, list)) or not value or rng.random() < 0.25:
        return random_json(rng)
    if isinstance(value, dict):
        key = list(value)[int(rng.integers(0, len(value)))]
        return {**value, key: replace_random_node(rng, value[key])}
    i = int(rng.integers(0, len(value)))
    return value[:i] + [replace_random_node(rng, value[i])] + value[i + 1:]


def test_structurally_fuzzed_manifests_load_or_raise_the_documented_error():
    """Manifests with valid checksums but a random node replaced: every outcome is a load or FileFormatError."""
    data = sample_file()
    manifest = json.loads(data[64:64 + struct.unpack_from("<Q", data, 16)[0]])
    data_offset = struct.unpack_from("<Q", data, 24)[0]
    section = data[data_offset:]
    rng = np.random.default_rng(5)
    outcomes = collections.Counter()
    for _ in range(300):
        try:
            load_bytes(build(replace_random_node(rng, manifest), section))
            outcomes["loaded"] += 1
        except FileFormatError:
            outcomes["rejected"] += 1
    assert outcomes["rejected"] > 100 and outcomes["loaded"] > 10, outcomes


def test_deep_nesting_and_invalid_json_are_rejected():
    nested = None
    for _ in range(70):
        nested = {"list": [nested]}
    with pytest.raises(FileFormatError, match="nested deeper than 64 levels"):
        load_bytes(build({"root": nested, "arrays": []}))
    for raw, message in [(b"[" * 100000 + b"]" * 100000, "not valid JSON"),
                         (b"\xff\xfe{}", "not valid JSON"),
                         (b'{"root": NaN, "arrays": []}', "not valid JSON: NaN is not JSON"),
                         (b'{"root": null, "root": 1, "arrays": []}', "duplicate key 'root'"),
                         (b'[1, 2]', "the manifest is not a JSON object"),
                         (b'{"root": null, "arrays": []} trailing', "not valid JSON")]:
        with pytest.raises(FileFormatError, match=message):
            load_bytes(build(None, raw_manifest=raw))


def test_versions_and_flags():
    manifest = {"root": {"int": 5}, "arrays": [], "future key": [1, 2]}
    assert load_bytes(build(manifest, version=(1, 7), flags=0x1)) == 5  # newer minor, ignorable flag: accepted
    with pytest.raises(FileFormatError, match=r"unsupported format version 3.0 \(this Kiln reads 1.x\)"):
        load_bytes(build(manifest, version=(3, 0)))
    with pytest.raises(FileFormatError, match="needs features this Kiln lacks \\(flags 0x00010000"):
        load_bytes(build(manifest, version=(1, 7), flags=1 << 16))
    with pytest.raises(FileFormatError, match="reserved header fields are not zero"):
        load_bytes(build(manifest, flags=0x1))
    with pytest.raises(FileFormatError, match="not a Kiln file \\(magic bytes b'PK"):
        load_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(FileFormatError, match="not a Kiln file \\(magic bytes b'hi'"):
        load_bytes(b"hi")
    data = bytearray(build(manifest))
    data[40] ^= 1
    with pytest.raises(FileFormatError, match="header checksum mismatch"):
        load_bytes(bytes(data))


def test_nonzero_padding_is_reported():
    good = build({"root": None, "arrays": [array()]}, bytes(8))
    data = bytearray(good)
    data[-1] = 1
    with pytest.raises(FileFormatError, match="nonzero padding byte in the padding at the end of the data section"):
        load_bytes(bytes(data))
    manifest_end = 64 + struct.unpack_from("<Q", good, 16)[0]
    assert manifest_end % 64, "the manifest must leave padding before the data section"
    data = bytearray(good)
    data[manifest_end] = 7
    with pytest.raises(FileFormatError, match="nonzero padding byte in the padding after the manifest"):
        load_bytes(bytes(data))
