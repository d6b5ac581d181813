"""Runs every benchmarks/bench_*.py and prints one table: Kiln beside NumPy, PyTorch eager and torch.compile.

Usage: make bench [BENCH_ARGS="--only gelu --markdown out.md"]
"""
import argparse
import datetime
import importlib
import os
import pathlib
import platform
import sys
import tempfile

# Before any benchmark module imports kiln (which sets its OpenMP defaults): PyTorch's child processes get this.
_ORIGINAL_ENV = dict(os.environ)
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# Cold-compile cases write fresh programs: keep them out of the user's cache.
os.environ.setdefault("KILN_CACHE_DIR", tempfile.mkdtemp(prefix="kiln-bench-cache-"))

import harness  # noqa: E402
from harness import figure, kiln_ratio, median_seconds, target_status  # noqa: E402

harness.ORIGINAL_ENV = dict(_ORIGINAL_ENV, KILN_CACHE_DIR=os.environ["KILN_CACHE_DIR"])

IMPLS = ["kiln", "numpy", "torch", "torch.compile", "onednn"]


def machine_line():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    versions = [f"numpy {numpy.__version__}"]
    try:
        import torch
        versions.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        versions.append("torch not installed")
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, " + ", ".join(versions)


def fmt(x):
    if x is None:
        return "n/a"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run only cases whose name contains this text")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()

    cases = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        for case in module.cases():
            if args.only and args.only not in case.name:
                continue
            cases.append(case)

    for case in cases:
        for impl, fn in case.setup().items():
            if getattr(fn, "self_timed", False):
                seconds = sorted(fn() for _ in range(getattr(fn, "repeats", 5)))
                seconds = seconds[len(seconds) // 2]
            else:
                seconds = median_seconds(fn)
            case.figures[impl] = figure(case, seconds)
            print(f"  {case.name:34s} {impl:14s} {fmt(case.figures[impl]):>8s} {case.unit}", file=sys.stderr)

    by_name = {c.name: c for c in cases}
    header = ["benchmark", "unit"] + IMPLS + ["kiln vs numpy", "kiln vs torch", "kiln vs compile", "target"]
    rows = []
    for c in cases:
        ratios = [kiln_ratio(c, o) for o in ("numpy", "torch", "torch.compile")]
        rows.append([c.name, c.unit] + [fmt(c.figures.get(i)) for i in IMPLS]
                    + [("n/a" if r is None else f"{r:.2f}x") for r in ratios]
                    + [target_status(c, by_name)])
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine_line()}.",
        "Figures are medians after warm-up; ratios > 1 mean Kiln is better.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ] + ["| " + " | ".join(r) + " |" for r in rows]
    notes = [f"- {c.name}: {c.note}" for c in cases if c.note]
    if notes:
        lines += ["", *notes]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        pathlib.Path(args.markdown).write_text(text + "\n")
    missed = [c.name for c in cases if target_status(c, by_name).startswith("MISSED")]
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
