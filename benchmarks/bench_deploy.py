"""Issue 7's deployment targets on the Fashion-MNIST CNN (examples/fashion_mnist.py's Net, traced at batch 1 in eval
mode), each implementation in fresh processes taking turns (rounds: kiln, torch, kiln-run, AOT, ...):

- loading the model file and producing the first output, with warm caches (the OS page cache for both; Kiln's compile
  cache filled by an earlier process): `kiln.jit.load` + first call + `.numpy()` against `torch.jit.load` + first call
  (under `torch.no_grad()`) + `.numpy()`; the imports are timed apart and not counted. Also the C++ path as process wall
  time (`kiln-run model.kiln --input x.npy --output y.npy`, it has no timer of its own for loading), beside a Python
  process that imports torch, loads the TorchScript file and runs it once;
- batch-1 inference latency: the model compiled by `kiln-aot` into a shared library, run in a loop by
  examples/deploy/main.cpp (`--time N`: the median of N `kiln_aot_run` calls) against PyTorch eager (`model.eval()`,
  `torch.no_grad()`, median of N `model(x).numpy()` calls), both on their default thread counts; for context the same
  with OMP_NUM_THREADS=1 for both, `kiln.jit.load`'s module against `torch.jit.load`'s, and Debian's PyTorch 1.13
  eager (`/usr/bin/python3`) when it is installed.

Both frameworks run the same weights: Kiln's initialization (kiln.manual_seed(1)) copied into PyTorch's Net through
NumPy, and the outputs are checked to agree. Case names start with "deploy": `make bench BENCH_ARGS="--only deploy"`.
BENCH_DEPLOY_ROUNDS (default 5) sets the number of rounds, BENCH_DEPLOY_CALLS (default 1000) the calls per latency.
"""
import importlib.util
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import harness
from harness import Case

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
ROUNDS = int(os.environ.get("BENCH_DEPLOY_ROUNDS", "5"))
CALLS = int(os.environ.get("BENCH_DEPLOY_CALLS", "1000"))
WARMUP_CALLS = 50
DEBIAN_PYTHON = "/usr/bin/python3"
_HAVE_TORCH = importlib.util.find_spec("torch") is not None


def kiln_build_dir():
    """The build that the imported kiln package belongs to (its tools and libkiln_runtime.so): KILN_BUILD_DIR, else
    build/ beside the package's python/ folder. Found without importing kiln (see bench_cnn.py on import order)."""
    if os.environ.get("KILN_BUILD_DIR"):
        return pathlib.Path(os.environ["KILN_BUILD_DIR"])
    spec = importlib.util.find_spec("kiln")
    if spec is None or spec.origin is None:
        raise RuntimeError("bench_deploy: the kiln package is not importable (set PYTHONPATH or use make bench)")
    return pathlib.Path(spec.origin).resolve().parents[2] / "build"


# --- the children: each runs in a fresh process and prints one JSON line -----------------------------------------

# Kiln's processes never load PyTorch (its libgomp would serve oneDNN's OpenMP calls, docs/performance.md).
_NO_TORCH = "import sys; sys.modules['torch'] = None\n"

_TIMING = """
import json, statistics, time
import numpy as np

def latency(call, calls):
    for _ in range(""" + str(WARMUP_CALLS) + """):
        call()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return {{"median_ms": 1e3 * statistics.median(times), "p10_ms": 1e3 * times[len(times) // 10],
             "p90_ms": 1e3 * times[len(times) * 9 // 10]}}
"""  # formatted again with each child's template (hence the doubled braces)

# kiln.jit.load + first call + .numpy(), split at the compile-cache lookup (TracedModule._function(), which the first
# call would otherwise make itself), then optionally the steady-state latency of the loaded module.
_KILN_CHILD = _NO_TORCH + _TIMING + """
start = time.perf_counter()
import kiln
imported = time.perf_counter()
x = kiln.from_numpy(np.load({x!r}))
t0 = time.perf_counter()
model = kiln.jit.load({model!r})
t1 = time.perf_counter()
model._function()
t2 = time.perf_counter()
y = model(x).numpy()
t3 = time.perf_counter()
np.testing.assert_allclose(y, np.load({y!r}), rtol=1e-4, atol=1e-5)
result = {{"import_ms": 1e3 * (imported - start), "first_ms": 1e3 * (t3 - t0), "load_ms": 1e3 * (t1 - t0),
           "lookup_ms": 1e3 * (t2 - t1), "run_ms": 1e3 * (t3 - t2)}}
if {calls}:
    result.update(latency(lambda: model(x).numpy(), {calls}))
print(json.dumps(result))
"""

# torch.jit.load + first call (no_grad) + .numpy(), then optionally the loaded module's steady-state latency.
_TORCH_JIT_CHILD = _TIMING + """
import warnings
warnings.filterwarnings("ignore")  # torch.jit's deprecation warnings
start = time.perf_counter()
import torch
imported = time.perf_counter()
x = torch.from_numpy(np.load({x!r}))
t0 = time.perf_counter()
model = torch.jit.load({model!r})
t1 = time.perf_counter()
with torch.no_grad():
    y = model(x).numpy()
t2 = time.perf_counter()
np.testing.assert_allclose(y, np.load({y!r}), rtol=1e-4, atol=1e-5)
result = {{"import_ms": 1e3 * (imported - start), "first_ms": 1e3 * (t2 - t0), "load_ms": 1e3 * (t1 - t0),
           "run_ms": 1e3 * (t2 - t1), "threads": torch.get_num_threads(), "version": torch.__version__}}
if {calls}:
    with torch.no_grad():
        result.update(latency(lambda: model(x).numpy(), {calls}))
print(json.dumps(result))
"""

# bench_cnn's Net in PyTorch with the Kiln model's weights, in eval mode, and the sample input x.
_TORCH_MODEL = """
import sys
sys.path.insert(0, {bench!r})
import numpy as np
import torch
import bench_cnn
model = bench_cnn.torch_cnn()
weights = np.load({weights!r})
model.load_state_dict({{k: torch.from_numpy(weights[k].copy()) for k in weights.files}})
model.eval()
x = torch.from_numpy(np.load({x!r}))
"""

# PyTorch eager: that model under no_grad.
_TORCH_EAGER_CHILD = _TIMING + _TORCH_MODEL + """
with torch.no_grad():
    np.testing.assert_allclose(model(x).numpy(), np.load({y!r}), rtol=1e-4, atol=1e-5)
    result = latency(lambda: model(x).numpy(), {calls})
result.update(threads=torch.get_num_threads(), version=torch.__version__)
print(json.dumps(result))
"""

# Set-up, once per run: the Kiln model file (and its weights for PyTorch), then the TorchScript file.
_KILN_SETUP = _NO_TORCH + """
import sys
sys.path.insert(0, {examples!r})
sys.path.insert(0, {bench!r})
import numpy as np
import kiln
import bench_cnn
import fashion_mnist
kiln.manual_seed(1)
model = fashion_mnist.Net()
model.eval()
try:
    images, _ = bench_cnn.load_split("t10k")
    x = ((images[:1].astype(np.float32) / 255 - bench_cnn.MEAN) / bench_cnn.STD).astype(np.float32)
except OSError:
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
traced = kiln.jit.trace(model, kiln.from_numpy(x))
traced.save({model_path!r})
np.save({x_path!r}, x)
np.save({y_path!r}, model(kiln.from_numpy(x)).numpy())
np.savez({weights!r}, **{{k: v.numpy() for k, v in model.state_dict().items()}})
"""

_TORCH_SETUP = """
import warnings
warnings.filterwarnings("ignore")
""" + _TORCH_MODEL + """
with torch.no_grad():
    traced = torch.jit.trace(model, x)
    np.testing.assert_allclose(traced(x).numpy(), np.load({y!r}), rtol=1e-4, atol=1e-5)
torch.jit.save(traced, {pt!r})
"""


def _python(code, python=None, env=None):
    """Runs `code` in a fresh interpreter; returns (its last stdout line as JSON or None, wall seconds)."""
    start = time.perf_counter()
    done = subprocess.run([python or sys.executable, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"bench_deploy: a child process failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines else None), wall


def _command(args, env=None):
    start = time.perf_counter()
    done = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"bench_deploy: {' '.join(map(str, args))} failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout, wall


def _debian_torch_installed():
    """Debian's python3-torch is installed and is not the PyTorch this benchmark runs (it is when run.py itself runs
    under /usr/bin/python3: then the torch column is already 1.13)."""
    debian = "/usr/lib/python3/dist-packages/torch"
    if not (os.path.exists(DEBIAN_PYTHON) and os.path.isdir(debian)):
        return False
    spec = importlib.util.find_spec("torch")
    return spec is None or not str(spec.origin).startswith(debian)


def debian_torch():
    """True when Debian's PyTorch (1.13) imports under /usr/bin/python3 and is not the one running here."""
    if not _debian_torch_installed():
        return False
    return subprocess.run([DEBIAN_PYTHON, "-c", "import torch"], capture_output=True).returncode == 0


class Deployment:
    """Builds the model files, the AOT library and its driver in a temporary folder, then runs the rounds."""

    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="kiln-bench-deploy-"))
        self.build = kiln_build_dir()
        d = self.dir
        self.model, self.x, self.y = d / "cnn.kiln", d / "x.npy", d / "y.npy"
        self.weights, self.pt = d / "weights.npz", d / "cnn.pt"
        self.cache = d / "cache"  # the warm compile cache of Kiln's load cases
        self.env = dict(os.environ, KILN_CACHE_DIR=str(self.cache))
        self.torch = _HAVE_TORCH
        self.debian = _HAVE_TORCH and debian_torch()  # else the 1.13 case shows Kiln's figure alone
        self.results = {}

    def setup(self):
        d, fmt = self.dir, {"bench": str(BENCH), "examples": str(REPO / "examples"), "model_path": str(self.model),
                            "x_path": str(self.x), "y_path": str(self.y), "weights": str(self.weights),
                            "x": str(self.x), "y": str(self.y), "pt": str(self.pt)}
        _python(_KILN_SETUP.format(**fmt), env=self.env)
        if self.torch:
            _python(_TORCH_SETUP.format(**fmt))
        # kiln-aot and examples/deploy/main.cpp with --time.
        _command([self.build / "bin" / "kiln-aot", self.model, "-o", d / "libcnn.so", "--name", "cnn"])
        lib = self.build / "lib"
        _command([os.environ.get("CXX", "c++"), "-O2", "-std=c++17", f"-I{REPO}", f"-I{d}",
                  '-DKILN_MODEL_HEADER="cnn.h"', REPO / "examples" / "deploy" / "main.cpp", f"-L{d}", "-lcnn",
                  f"-L{lib}", "-lkiln_runtime", f"-Wl,-rpath,{d}", f"-Wl,-rpath,{lib}", "-o", d / "deploy"])
        _command([d / "deploy", self.x, d / "y_aot.npy"])
        np.testing.assert_allclose(np.load(d / "y_aot.npy"), np.load(self.y), rtol=1e-4, atol=1e-5)
        # Warm caches: Kiln's compile cache (Python and kiln-run), the page cache of every file and library.
        self.kiln_first(0)
        self.kiln_run()
        if self.torch:
            self.torch_first(0)

    # One measurement each, in a fresh process.
    def kiln_first(self, calls, env=None):
        code = _KILN_CHILD.format(x=str(self.x), y=str(self.y), model=str(self.model), calls=calls)
        result, wall = _python(code, env=env or self.env)
        result["wall_ms"] = 1e3 * wall
        return result

    def kiln_cold(self):
        """The same, with an empty compile cache: load + compile + first call (context only)."""
        with tempfile.TemporaryDirectory(prefix="kiln-bench-deploy-cold-") as cache:
            return self.kiln_first(0, dict(os.environ, KILN_CACHE_DIR=cache))

    def torch_first(self, calls):
        code = _TORCH_JIT_CHILD.format(x=str(self.x), y=str(self.y), model=str(self.pt), calls=calls)
        result, wall = _python(code, env=harness.foreign_env())
        result["wall_ms"] = 1e3 * wall
        return result

    def torch_eager(self, python=None, env=None):
        code = _TORCH_EAGER_CHILD.format(bench=str(BENCH), weights=str(self.weights), x=str(self.x),
                                         y=str(self.y), calls=CALLS)
        return _python(code, python=python, env=env or harness.foreign_env())[0]

    def kiln_run(self):
        """Process wall time of kiln-run: load (checks, IR parsed in a forked child, compile-cache hit), one run and
        writing the output .npy; it has no timer for the load itself."""
        out, wall = _command([self.build / "bin" / "kiln-run", self.model, "--input", self.x,
                              "--output", self.dir / "y_run.npy"], env=self.env)
        np.testing.assert_allclose(np.load(self.dir / "y_run.npy"), np.load(self.y), rtol=1e-4, atol=1e-5)
        _, startup = _command([self.build / "bin" / "kiln-run", "--help"])  # exec and dynamic loading alone
        return {"wall_ms": 1e3 * wall, "startup_ms": 1e3 * startup}

    def aot(self, env=None):
        """examples/deploy/main.cpp --time CALLS: create, first run, then the median of CALLS kiln_aot_run calls."""
        # A C++ program: it runs with the user's environment, not the OpenMP defaults `import kiln` sets.
        out, wall = _command([self.dir / "deploy", "--time", CALLS, self.x, self.dir / "y_aot.npy"],
                             env=env or harness.foreign_env())
        line = out.strip().splitlines()[-1]  # cnn: create A ms, first run B ms, median C ms (min D, max E) over N runs
        words = line.replace(",", " ").replace("(", " ").replace(")", " ").split()
        number = {words[i - 1]: float(words[i]) for i in range(1, len(words)) if words[i - 1] in
                  ("create", "run", "median", "min", "max")}
        return {"create_ms": number["create"], "first_ms": number["run"], "median_ms": number["median"],
                "min_ms": number["min"], "wall_ms": 1e3 * wall}

    def run(self):
        self.setup()
        torch = self.torch
        one_thread = harness.foreign_env(OMP_NUM_THREADS="1")  # libomp's and PyTorch's thread count
        measures = [("kiln first", lambda: self.kiln_first(0)),
                    ("torch first", lambda: self.torch_first(0)) if torch else None,
                    ("kiln-run", self.kiln_run),
                    ("kiln cold", self.kiln_cold),
                    ("aot", self.aot),
                    ("torch eager", self.torch_eager) if torch else None,
                    ("kiln jit", lambda: self.kiln_first(CALLS)),
                    ("torch jit", lambda: self.torch_first(CALLS)) if torch else None,
                    ("torch 1.13 eager", lambda: self.torch_eager(DEBIAN_PYTHON)) if self.debian else None,
                    ("aot 1 thread", lambda: self.aot(one_thread)),
                    ("torch eager 1 thread", lambda: self.torch_eager(env=one_thread)) if torch else None]
        measures = [m for m in measures if m is not None]
        self.results = {name: [] for name, _ in measures}
        for round_ in range(ROUNDS):
            for name, measure in measures:
                self.results[name].append(measure())
            print(f"    deploy round {round_ + 1}: " + self.round_line(round_), file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.results

    def round_line(self, r):
        def get(name, key):
            values = self.results.get(name)
            return f"{values[r][key]:.3g}" if values else "n/a"
        return (f"load+first kiln {get('kiln first', 'first_ms')} torch {get('torch first', 'first_ms')} ms; "
                f"kiln-run process {get('kiln-run', 'wall_ms')} ms; latency aot {get('aot', 'median_ms')} "
                f"torch {get('torch eager', 'median_ms')} kiln.jit {get('kiln jit', 'median_ms')} "
                f"torch.jit {get('torch jit', 'median_ms')} torch 1.13 {get('torch 1.13 eager', 'median_ms')} ms; "
                f"1 thread: aot {get('aot 1 thread', 'median_ms')} torch {get('torch eager 1 thread', 'median_ms')} ms")

    # Figures for the harness.
    def values(self, name, key):
        return [r[key] for r in self.results.get(name, [])]

    def replay(self, name, key):
        """A self-timed callable that hands the per-round figures (ms) to the harness, which takes their median."""
        queue = [v / 1e3 for v in self.values(name, key)]

        def run():
            return queue.pop(0)

        run.self_timed, run.repeats = True, len(queue)
        return run

    def spread(self, pairs):
        """'kiln 1.2-1.5, torch 3.0-4.1 ms; per-round ratio 2.1-3.0x' for [(label, name, key)] (first is Kiln)."""
        parts = []
        for label, name, key in pairs:
            v = self.values(name, key)
            if v:
                parts.append(f"{label} {min(v):.3g}-{max(v):.3g}")
        text = ", ".join(parts) + f" ms over {ROUNDS} rounds"
        if len(pairs) > 1:
            kiln, other = self.values(pairs[0][1], pairs[0][2]), self.values(pairs[1][1], pairs[1][2])
            if kiln and other:
                ratios = [o / k for k, o in zip(kiln, other)]
                text += f"; per-round {pairs[1][0]}/{pairs[0][0]} {min(ratios):.2f}-{max(ratios):.2f}x"
        return text


_DEPLOYMENT = None


def deployment():
    global _DEPLOYMENT
    if _DEPLOYMENT is None:
        _DEPLOYMENT = Deployment()
        _DEPLOYMENT.run()
    return _DEPLOYMENT


def _case(name, unit, impls, target=None, note="", spread=None, extra=None):
    """A Case whose setup runs (once) every round of every case, then replays this case's figures; `impls` maps
    the table's implementation to (measure name, key); `spread` and `extra` append measured text to the note."""
    case = Case(name, unit, None, target=target, note=note)

    def setup():
        d = deployment()
        figures = {impl: d.replay(m, k) for impl, (m, k) in impls.items() if d.values(m, k)}
        if spread:
            case.note += " Spread: " + d.spread(spread) + "."
        if extra:
            case.note += " " + extra(d)
        return figures

    case.setup = setup
    return case


def _median(d, name, key):
    values = d.values(name, key)
    return statistics.median(values) if values else float("nan")


def _kiln_parts(d):
    return (f"Kiln's parts (medians): kiln.jit.load {_median(d, 'kiln first', 'load_ms'):.3g} ms, compile-cache "
            f"lookup {_median(d, 'kiln first', 'lookup_ms'):.3g} ms, first run + .numpy() "
            f"{_median(d, 'kiln first', 'run_ms'):.3g} ms; torch.jit.load {_median(d, 'torch first', 'load_ms'):.3g}"
            f" ms, first call {_median(d, 'torch first', 'run_ms'):.3g} ms.")


def _process_parts(d):
    return (f"`kiln-run --help` (process start, loading libMLIR/libLLVM, nothing else) took "
            f"{_median(d, 'kiln-run', 'startup_ms'):.3g} ms; the AOT driver's whole process (create, {CALLS + 1} "
            f"runs) {_median(d, 'aot', 'wall_ms'):.0f} ms.")


def _aot_parts(d):
    return (f"AOT process: create {_median(d, 'aot', 'create_ms'):.3g} ms, first run "
            f"{_median(d, 'aot', 'first_ms'):.3g} ms (oneDNN creates its primitives).")


def cases():
    first = ("kiln first", "first_ms")
    torch_first = ("torch first", "first_ms")
    debian = [
        _case("deploy: CNN batch 1 latency, AOT vs torch 1.13 eager", "ms",
              {"kiln": ("aot", "median_ms"), "torch": ("torch 1.13 eager", "median_ms")},
              note="PyTorch 1.13 from Debian (/usr/bin/python3), eager as above; same rounds as the AOT figure.",
              spread=[("aot", "aot", "median_ms"), ("torch 1.13", "torch 1.13 eager", "median_ms")]),
    ] if _HAVE_TORCH and _debian_torch_installed() else []
    return [
        _case("deploy: CNN file load + first output", "ms", {"kiln": first, "torch": torch_first},
              target=(None, "torch", 1.0),
              note="a fresh process (imports done, not counted): kiln.jit.load(file) + first call on a [1,1,28,28] "
                   "input + .numpy(), compile cache warm; torch: torch.jit.load(file) + first call under no_grad + "
                   ".numpy(). Target: <= torch.",
              spread=[("kiln", *first), ("torch", *torch_first)], extra=_kiln_parts),
        _case("deploy: CNN load + first output, cold compile cache", "ms", {"kiln": ("kiln cold", "first_ms")},
              note="as above with an empty KILN_CACHE_DIR (compiles @forward); context only.",
              spread=[("kiln", "kiln cold", "first_ms")]),
        _case("deploy: CNN load + first output, process wall", "ms",
              {"kiln": ("kiln-run", "wall_ms"), "torch": ("torch first", "wall_ms")},
              note="kiln: the whole `kiln-run cnn.kiln --input x.npy --output y.npy` process (C++; startup and "
                   "dynamic loading included, compile cache warm); torch: the whole Python process that imports "
                   "numpy and torch, loads the TorchScript file and runs it once.",
              spread=[("kiln-run", "kiln-run", "wall_ms"), ("torch", "torch first", "wall_ms"),
                      ("python+kiln", "kiln first", "wall_ms")], extra=_process_parts),
        _case("deploy: import (not counted above)", "ms",
              {"kiln": ("kiln first", "import_ms"), "torch": ("torch first", "import_ms")},
              note="`import kiln` / `import torch` in a fresh process, numpy already imported.",
              spread=[("kiln", "kiln first", "import_ms"), ("torch", "torch first", "import_ms")]),
        _case("deploy: CNN batch 1 latency, AOT vs eager", "ms",
              {"kiln": ("aot", "median_ms"), "torch": ("torch eager", "median_ms")},
              target=(None, "torch", 0.8),
              note=f"kiln: kiln-aot's .so run by examples/deploy/main.cpp --time {CALLS} (median kiln_aot_run call, "
                   f"output into a caller buffer); torch: model.eval(), no_grad, median of {CALLS} model(x).numpy() "
                   f"after {WARMUP_CALLS} warm-up calls. Target: <= 0.8x torch eager.",
              spread=[("aot", "aot", "median_ms"), ("torch", "torch eager", "median_ms")], extra=_aot_parts),
        _case("deploy: CNN batch 1 latency, AOT vs eager, 1 thread", "ms",
              {"kiln": ("aot 1 thread", "median_ms"), "torch": ("torch eager 1 thread", "median_ms")},
              note="as above with OMP_NUM_THREADS=1 for both (libomp's pool; PyTorch's intra-op threads); "
                   "context: less sensitive to other work on the machine.",
              spread=[("aot", "aot 1 thread", "median_ms"), ("torch", "torch eager 1 thread", "median_ms")]),
        _case("deploy: CNN batch 1 latency, kiln.jit vs torch.jit", "ms",
              {"kiln": ("kiln jit", "median_ms"), "torch": ("torch jit", "median_ms")},
              note=f"the loaded model files' modules, median of {CALLS} calls + .numpy() (torch: no_grad).",
              spread=[("kiln.jit", "kiln jit", "median_ms"), ("torch.jit", "torch jit", "median_ms")]),
    ] + debian
