"""kiln.compiler's JIT: compiled Kiln functions against NumPy, argument checks, statistics and the disk cache."""

import json
import os
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kiln
from conftest import random_array

EXP_ADD = """
func.func @exp_add(%a: tensor<4x1xf32>, %b: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.add %a, %b : tensor<4x1xf32>, tensor<1x8xf32>
  %1 = kiln.exp %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test compiles into its own cache directory, from an empty memory cache."""
    monkeypatch.setenv("KILN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KILN_CACHE", raising=False)
    monkeypatch.delenv("KILN_DUMP_IR", raising=False)
    kiln.compiler.clear_memory_cache()
    kiln.compiler.reset_stats()
    return tmp_path / "cache"


def run(source, *arrays, **options):
    f = kiln.compiler.compile(source, **options)
    return [r.numpy() for r in f(*[kiln.from_numpy(np.ascontiguousarray(a)) for a in arrays])]


def ty(shape, elem):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


@pytest.mark.parametrize("shape_a,shape_b", [((4, 1), (1, 8)), ((3, 5), (5,)), ((2, 3, 4), (1, 3, 1)), ((7,), (7,))])
@pytest.mark.parametrize("vectorize", [True, False])
def test_elementwise_with_broadcasting(shape_a, shape_b, vectorize):
    out = np.broadcast_shapes(shape_a, shape_b)
    src = f"""
    func.func @f(%a: {ty(shape_a, 'f32')}, %b: {ty(shape_b, 'f32')}) -> {ty(out, 'f32')} {{
      %0 = kiln.mul %a, %b : {ty(shape_a, 'f32')}, {ty(shape_b, 'f32')}
      %1 = kiln.tanh %0 : {ty(out, 'f32')}
      %2 = kiln.sub %1, %a : {ty(out, 'f32')}, {ty(shape_a, 'f32')}
      return %2 : {ty(out, 'f32')}
    }}"""
    a, b = random_array(shape_a, np.float32, 1), random_array(shape_b, np.float32, 2)
    (got,) = run(src, a, b, vectorize=vectorize)
    np.testing.assert_allclose(got, np.tanh(a * b) - a, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("elem,np_dtype", [("i32", np.int32), ("i64", np.int64), ("f64", np.float64)])
def test_elementwise_other_dtypes(elem, np_dtype):
    src = f"""
    func.func @f(%a: tensor<3x4x{elem}>, %b: tensor<3x4x{elem}>) -> tensor<3x4x{elem}> {{
      %0 = kiln.add %a, %b : tensor<3x4x{elem}>, tensor<3x4x{elem}>
      %1 = kiln.mul %0, %a : tensor<3x4x{elem}>, tensor<3x4x{elem}>
      return %1 : tensor<3x4x{elem}>
    }}"""
    a, b = random_array((3, 4), np_dtype, 3), random_array((3, 4), np_dtype, 4)
    (got,) = run(src, a, b)
    assert got.dtype == np_dtype
    np.testing.assert_allclose(got, (a + b) * a, rtol=1e-12)


def test_reduction_sum_and_max():
    src = """
    func.func @f(%x: tensor<6x10xf32>) -> (tensor<6xf32>, tensor<1x10xf32>) {
      %s = kiln.reduce sum %x dims [1] : tensor<6x10xf32>
      %m = kiln.reduce max %x dims [0] keepdim : tensor<6x10xf32>
      return %s, %m : tensor<6xf32>, tensor<1x10xf32>
    }"""
    x = random_array((6, 10), np.float32, 5)
    s, m = run(src, x)
    np.testing.assert_allclose(s, x.sum(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(m, x.max(axis=0, keepdims=True))


@pytest.mark.parametrize("m,k,n", [(4, 3, 5), (16, 32, 8), (33, 17, 9)])
def test_matmul(m, k, n):
    src = f"""
    func.func @f(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
      %0 = kiln.matmul %a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>
      return %0 : tensor<{m}x{n}xf32>
    }}"""
    a, b = random_array((m, k), np.float32, 6), random_array((k, n), np.float32, 7)
    (got,) = run(src, a, b)
    np.testing.assert_allclose(got, a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)


def test_cast_truncates_toward_zero():
    src = """
    func.func @f(%x: tensor<8xf32>) -> (tensor<8xi64>, tensor<8xi1>) {
      %0 = kiln.cast %x : tensor<8xf32> to tensor<8xi64>
      %1 = kiln.cast %x : tensor<8xf32> to tensor<8xi1>
      return %0, %1 : tensor<8xi64>, tensor<8xi1>
    }"""
    x = np.array([-2.7, -1.0, -0.5, 0.0, 0.5, 1.9, 3.0, 100.25], dtype=np.float32)
    i, b = run(src, x)
    np.testing.assert_array_equal(i, x.astype(np.int64))
    np.testing.assert_array_equal(b, x != 0)


def test_non_contiguous_inputs_are_made_contiguous():
    f = kiln.compiler.compile(EXP_ADD)
    wide = random_array((8, 4), np.float32, 8)
    a = kiln.from_numpy(wide).narrow(1, 1, 1).narrow(0, 0, 4)
    assert not a.is_contiguous()
    b = random_array((1, 8), np.float32, 9)
    (got,) = f(a, kiln.from_numpy(b))
    np.testing.assert_allclose(got.numpy(), np.exp(wide[:4, 1:2] + b), rtol=1e-5)


def test_signature_key_and_origin():
    f = kiln.compiler.compile(EXP_ADD)
    assert f.name == "exp_add"
    assert f.signature == {
        "name": "exp_add",
        "inputs": [(kiln.float32, (4, 1)), (kiln.float32, (1, 8))],
        "outputs": [(kiln.float32, (4, 8))],
    }
    assert len(f.key) == 64 and int(f.key, 16) >= 0
    assert f.origin == "compiled"
    g = kiln.compiler.compile(EXP_ADD)
    assert g.origin == "memory" and g.key == f.key
    assert kiln.compiler.compile(EXP_ADD, vectorize=False).key != f.key
    assert "exp_add (f32[4, 1], f32[1, 8]) -> (f32[4, 8])" in repr(f)


def test_argument_errors_name_the_function():
    f = kiln.compiler.compile(EXP_ADD)
    a = kiln.from_numpy(np.zeros((4, 1), np.float32))
    with pytest.raises(ValueError, match=r"exp_add\(\) takes 2 input\(s\), but 1 were given"):
        f(a)
    with pytest.raises(TypeError, match=r"exp_add\(\): input 1 has dtype float64, but the function expects float32"):
        f(a, kiln.from_numpy(np.zeros((1, 8), np.float64)))
    with pytest.raises(ValueError, match=r"exp_add\(\): input 1 has shape \[8\], but the function expects \[1, 8\]"):
        f(a, kiln.from_numpy(np.zeros((8,), np.float32)))
    with pytest.raises(TypeError, match="must be a kiln.Tensor"):
        f(a, np.zeros((1, 8), np.float32))


def test_compile_errors():
    with pytest.raises(ValueError, match="error"):
        kiln.compiler.compile("func.func @f(")
    with pytest.raises(ValueError, match="no function @g"):
        kiln.compiler.compile(EXP_ADD, entry="g")
    with pytest.raises(ValueError, match="statically shaped tensors"):
        kiln.compiler.compile("func.func @d(%a: tensor<?xf32>) -> tensor<?xf32> { return %a : tensor<?xf32> }")


def test_stats_count_hits_misses_and_stages(private_cache):
    kiln.compiler.compile(EXP_ADD)
    kiln.compiler.compile(EXP_ADD)
    kiln.compiler.clear_memory_cache()
    kiln.compiler.compile(EXP_ADD)
    s = kiln.compiler.stats()
    assert (s["misses"], s["memory_hits"], s["disk_hits"]) == (1, 1, 1)
    for step in ("linalg", "llvm", "llvm-O3", "codegen", "link", "load"):
        assert s["stages"][step]["last_ms"] > 0, step
        assert s["stages"][step]["total_ms"] >= s["stages"][step]["last_ms"]
    assert s["stages"]["load"]["runs"] == 2
    kiln.compiler.reset_stats()
    assert kiln.compiler.stats() == {"memory_hits": 0, "disk_hits": 0, "misses": 0, "stages": {}}


def test_cache_directory_is_private(private_cache):
    f = kiln.compiler.compile(EXP_ADD)
    assert stat.S_IMODE(os.stat(private_cache).st_mode) == 0o700
    assert os.listdir(private_cache) == [f.key + ".so"]


# A child process: compiles EXP_ADD, checks values, prints where it came from.
CHILD = textwrap.dedent(
    """
    import sys, numpy as np, kiln
    src = sys.stdin.read()
    for _ in range(int(sys.argv[1])):
        kiln.compiler.clear_memory_cache()
        f = kiln.compiler.compile(src)
        a = np.arange(4, dtype=np.float32).reshape(4, 1); b = np.ones((1, 8), np.float32)
        (r,) = f(kiln.from_numpy(a), kiln.from_numpy(b))
        assert np.allclose(r.numpy(), np.exp(a + b)), "wrong values"
        print(f.origin, f.key)
    """
)


def spawn(cache, repeats=1, extra_env=None):
    env = dict(os.environ, KILN_CACHE_DIR=str(cache), **(extra_env or {}))
    return subprocess.Popen([sys.executable, "-c", CHILD, str(repeats)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(proc):
    out, err = proc.communicate(EXP_ADD, timeout=120)
    assert proc.returncode == 0, err
    return out.split(), err


def test_two_processes_compiling_the_same_key_both_succeed(private_cache):
    procs = [spawn(private_cache) for _ in range(4)]
    results = [finish(p) for p in procs]
    keys = {out[1] for out, _ in results}
    assert len(keys) == 1
    assert all(err == "" for _, err in results)
    assert os.listdir(private_cache) == [keys.pop() + ".so"]  # no temporary files left behind
    out, _ = finish(spawn(private_cache))
    assert out[0] == "disk"


def test_disabled_disk_cache_writes_nothing(private_cache):
    out, _ = finish(spawn(private_cache, extra_env={"KILN_CACHE": "0"}))
    assert out[0] == "compiled"
    assert not private_cache.exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "garbage"])
def test_corrupt_entries_are_reported_once_and_replaced(private_cache, damage):
    out, _ = finish(spawn(private_cache))
    path = private_cache / (out[1] + ".so")
    good = path.read_bytes()

    def corrupt():
        data = bytearray(good)
        if damage == "truncate":
            data = data[: len(data) - 50]
        elif damage == "flip":
            data[len(data) // 2] ^= 0xFF
        elif damage == "foreign":
            other = kiln.compiler.compile(EXP_ADD.replace("@exp_add", "@other"))
            data = bytearray(open(other.path, "rb").read())
        else:
            data = bytearray(b"\x7fELF" + b"\0" * 300)
        path.write_bytes(bytes(data))

    corrupt()
    # Three compiles in one child, the entry corrupted before the first only:
    # one warning, one recompile, then disk hits of the replaced entry.
    out, err = finish(spawn(private_cache, repeats=3))
    assert out[0::2] == ["compiled", "disk", "disk"]
    assert err.count("kiln: warning: ignoring corrupt compile cache entry " + str(path)) == 1, err
    assert err.rstrip().endswith("recompiling")
    assert path.read_bytes()[-120:-112] == b"KILNJIT\0"


def test_a_corrupt_entry_is_reported_once_per_process(private_cache, capfd):
    f = kiln.compiler.compile(EXP_ADD)
    path = private_cache / (f.key + ".so")
    for expected_warnings in (1, 0):
        path.write_bytes(b"not a library")
        kiln.compiler.clear_memory_cache()
        g = kiln.compiler.compile(EXP_ADD)
        assert g.origin == "compiled"
        assert capfd.readouterr().err.count("ignoring corrupt compile cache entry") == expected_warnings


def test_dump_ir_writes_each_stage(tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_DUMP_IR", str(tmp_path / "dump"))
    f = kiln.compiler.compile(EXP_ADD)
    files = sorted(os.listdir(tmp_path / "dump" / f.key))
    assert files[0] == "00-input.mlir" and files[-1].endswith("-llvm-O3.ll")
    assert [n.split("-", 1)[1] for n in files[1:3]] == ["linalg.mlir", "bufferized.mlir"]
    assert "linalg.generic" in (tmp_path / "dump" / f.key / files[1]).read_text()


def test_threads_compile_and_run_concurrently():
    from concurrent.futures import ThreadPoolExecutor

    def work(i):
        src = EXP_ADD.replace("@exp_add", f"@thread{i % 3}")
        f = kiln.compiler.compile(src)
        a = random_array((4, 1), np.float32, i)
        b = random_array((1, 8), np.float32, i + 100)
        (r,) = f(kiln.from_numpy(a), kiln.from_numpy(b))
        return np.abs(r.numpy() - np.exp(a + b)).max()

    with ThreadPoolExecutor(4) as pool:
        errors = list(pool.map(work, range(12)))
    assert max(errors) < 1e-5
    s = kiln.compiler.stats()
    assert s["misses"] + s["memory_hits"] + s["disk_hits"] == 12
    assert s["misses"] >= 3


BOUNDED = textwrap.dedent(
    """
    import json, kiln
    def run(n):
        return float((kiln.ones(n) * 2).sum().item())
    for n in range(1, 6):        # five programs (shapes) through a cache that keeps three
        assert run(n) == 2 * n
    before = kiln._trace.stats()
    assert run(1) == 2           # evicted from both memory caches: served by the disk cache
    after = kiln._trace.stats()
    print(json.dumps({"compiles": after["compiles"] - before["compiles"],
                      "hits": after["program_hits"] - before["program_hits"],
                      "origin": after["events"][-1]["origin"]}))
    """
)


@pytest.mark.parametrize("limit", ["3", "100"])
def test_in_memory_program_caches_are_bounded(private_cache, limit):
    # KILN_MAX_PROGRAMS bounds the trace's and the JIT's in-memory caches (emptied when full); the disk cache
    # serves an evicted program again. Read once per process, hence a child.
    env = dict(os.environ, KILN_CACHE_DIR=str(private_cache), KILN_MAX_PROGRAMS=limit)
    out = subprocess.run([sys.executable, "-c", BOUNDED], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    if limit == "3":
        assert got == {"compiles": 1, "hits": 0, "origin": "disk"}
    else:
        assert got["compiles"] == 0 and got["hits"] == 1
