"""Controls of the lazy trace: kiln.sync(), kiln.explain() and the statistics behind them."""

from kiln import _C

FUNCTIONS = {}
METHODS = {}


def sync(*tensors):
    """Materializes the given tensors, or every pending tensor when called without arguments."""
    if tensors:
        _C._materialize(list(tensors))
    else:
        _C.sync()


def stats():
    """The trace's counters: nodes recorded, programs run, program-cache hits, compiles (with their reasons), and the
    JIT's own cache statistics under 'jit'."""
    result = _C._trace_stats()
    result["jit"] = _C.compiler.stats()
    return result


def reset_stats():
    _C._reset_trace_stats()
    _C.compiler.reset_stats()


def explain(file=None):
    """Prints (and returns) what the trace compiled and why: each compile's reason (a new op sequence, a new dtype, a
    new shape, a new constant), its size and time, and how often later steps were served from the cache."""
    s = stats()
    lines = [
        f"kiln.explain: {s['recorded']} ops recorded, {s['materializations']} programs run, "
        f"{s['compiles']} compiled, {s['program_hits']} served from the trace cache, {s['pending']} tensors pending",
        f"  JIT caches: {s['jit']['memory_hits']} memory hits, {s['jit']['disk_hits']} disk hits, "
        f"{s['jit']['misses']} compiled from source",
    ]
    for i, event in enumerate(s["events"]):
        lines.append(
            f"  compile {i + 1}: {event['reason']}: {event['ops']} ops ({event['inputs']}) -> ({event['outputs']}), "
            f"{event['origin']}, {event['ms']:.1f} ms"
        )
    text = "\n".join(lines)
    if file is not False:
        print(text, file=file)
    return text


def program_text(*tensors):
    """The Kiln IR of the program that would materialize `tensors` (empty when nothing is pending)."""
    return _C._program_text(list(tensors))


FUNCTIONS.update(sync=sync, explain=explain)
