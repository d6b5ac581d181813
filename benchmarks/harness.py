"""Timing and reporting for benchmarks/: medians after warm-up, every implementation in the same run."""
import dataclasses
import statistics
import time
from typing import Callable, Dict, List, Optional


# The environment run.py started with, before any benchmark module imported kiln: importing kiln sets
# OMP_WAIT_POLICY=PASSIVE and KMP_BLOCKTIME=1 for its own OpenMP runtime (python/kiln/__init__.py), and a PyTorch
# child process inheriting them would run its libgomp pool in Kiln's mode instead of as a user runs it.
ORIGINAL_ENV: Optional[Dict[str, str]] = None


def foreign_env(**extra):
    """The environment for a child process of another framework (PyTorch): run.py's starting environment (kiln's
    OpenMP settings left out unless the user had set them), plus `extra`."""
    import os
    env = dict(ORIGINAL_ENV if ORIGINAL_ENV is not None else os.environ)
    env.update(extra)
    return env


@dataclasses.dataclass
class Case:
    """One benchmark: the same computation in several implementations.

    `work` is the bytes moved (unit "GB/s") or the floating-point operations
    (unit "GFLOP/s") of one call; with unit "ms" or "us" the figure is the time.
    `target` is what Kiln's figure must reach: (reference case or None for
    this case, implementation or "best", fraction), e.g.
    ("copy 256 MB", "best", 0.8), or ("at_most", bound) for a time; a list of such tuples must all be met.
    With unit "MB" (memory, lower is better) the implementations measure and return the figure themselves.
    """

    name: str
    unit: str
    # Builds the implementations (compiling, allocating) only when the case runs.
    setup: Callable[[], Dict[str, Callable[[], object]]]
    work: float = 0.0
    target: Optional[tuple] = None
    note: str = ""
    figures: Dict[str, float] = dataclasses.field(default_factory=dict)


def median_seconds(fn, min_runs=5, min_seconds=0.3, warmup=2):
    """Median wall time of fn() after `warmup` calls; at least min_runs runs and min_seconds in all."""
    for _ in range(warmup):
        fn()
    times: List[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 1000:
            break
    return statistics.median(times)


def figure(case: Case, seconds: float) -> float:
    if case.unit == "GB/s":
        return case.work / seconds / 1e9
    if case.unit == "GFLOP/s":
        return case.work / seconds / 1e9
    if case.unit == "ms":
        return seconds * 1e3
    if case.unit == "us":
        return seconds * 1e6
    if case.unit == "MB":  # measured directly by a self-timed implementation
        return seconds
    raise ValueError(f"figure(): unknown unit {case.unit!r} in case {case.name}")


def higher_is_better(unit: str) -> bool:
    return unit in ("GB/s", "GFLOP/s")


def kiln_ratio(case: Case, other: str) -> Optional[float]:
    """How many times better Kiln's figure is than `other`'s (> 1: Kiln wins)."""
    k, o = case.figures.get("kiln"), case.figures.get(other)
    if k is None or o is None:
        return None
    return k / o if higher_is_better(case.unit) else o / k


def target_status(case: Case, cases_by_name: Dict[str, Case]) -> str:
    """'ok' or 'MISSED' against the case's target, with the figures it compared."""
    if case.target is None or "kiln" not in case.figures:
        return ""
    if isinstance(case.target, list):
        parts = [_one_target_status(case, target, cases_by_name) for target in case.target]
        parts = [part for part in parts if part != "no reference"]  # e.g. no torch.compile in PyTorch 1.13
        if not parts:
            return "no reference"
        met = all(part.startswith("ok") for part in parts)
        return ("ok" if met else "MISSED") + " (" + "; ".join(part[part.index("(") + 1:-1] for part in parts) + ")"
    return _one_target_status(case, case.target, cases_by_name)


def _one_target_status(case: Case, target: tuple, cases_by_name: Dict[str, Case]) -> str:
    kiln = case.figures["kiln"]
    kind = target[0]
    if kind == "at_most":  # an absolute bound on a time
        bound = target[1]
        return f"{'ok' if kiln <= bound else 'MISSED'} (<= {bound:g} {case.unit})"
    ref_case, ref_impl, fraction = target
    ref = cases_by_name.get(ref_case or case.name)
    if ref is None or not ref.figures or (ref_impl != "best" and ref_impl not in ref.figures):
        return "no reference"
    # "best": the fastest implementation of the reference case (e.g. the best copy).
    ref_figure = max(ref.figures.values()) if ref_impl == "best" else ref.figures[ref_impl]
    bound = ref_figure * fraction
    met = kiln >= bound if higher_is_better(case.unit) else kiln <= bound
    label = f"{ref_impl}" if ref_case is None else f"{ref_case}/{ref_impl}"
    return f"{'ok' if met else 'MISSED'} ({fraction:.0%} of {label} = {bound:.3g})"
