"""Compile-time costs of the JIT: cold compiles, a disk-cache hit and an in-memory hit."""
import itertools
import time

from harness import Case
from kiln_kernels import gelu_tanh_9ops, mlp_forward

_fresh = itertools.count()


def _timed(fn, repeats=5):
    fn.self_timed = True
    fn.repeats = repeats
    return fn


def cold(make_source, entry_prefix):
    """Seconds to compile a program no cache has seen: each call renames the function."""
    def run():
        import kiln
        name = f"{entry_prefix}_{next(_fresh)}_{time.time_ns()}"
        t = time.perf_counter()
        f = kiln.compiler.compile(make_source(name), entry=name)
        dt = time.perf_counter() - t
        assert f.origin == "compiled", f.origin
        return dt
    return _timed(run)


def disk_hit():
    def run():
        import kiln
        name = f"gelu_disk_{next(_fresh)}_{time.time_ns()}"
        src = gelu_tanh_9ops(1 << 20, name)
        kiln.compiler.compile(src, entry=name)
        kiln.compiler.clear_memory_cache()
        t = time.perf_counter()
        f = kiln.compiler.compile(src, entry=name)
        dt = time.perf_counter() - t
        assert f.origin == "disk", f.origin
        return dt
    return _timed(run)


def memory_hit():
    import kiln
    src = gelu_tanh_9ops(1 << 20, "gelu_hot")
    kiln.compiler.compile(src, entry="gelu_hot")
    return lambda: kiln.compiler.compile(src, entry="gelu_hot")


def cases():
    return [
        Case("cold compile GELU (1M f32)", "ms",
             lambda: {"kiln": cold(lambda n: gelu_tanh_9ops(1 << 20, n), "gelu")}, target=("at_most", 100)),
        Case("cold compile MLP 784-512-10 fwd", "ms",
             lambda: {"kiln": cold(lambda n: mlp_forward(name=n), "mlp")}, target=("at_most", 250)),
        Case("disk-cache hit GELU", "ms", lambda: {"kiln": disk_hit()}, target=("at_most", 10)),
        Case("in-memory hit GELU", "us", lambda: {"kiln": memory_hit()}, target=("at_most", 20)),
    ]
