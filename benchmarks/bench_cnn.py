"""The main job's training step (examples/fashion_mnist.py: PyTorch's mnist CNN, batch 64, forward + backward +
Adadelta) and a 784-256-10 MLP step, beside PyTorch eager and torch.compile on the same batches, each implementation
in fresh processes taking turns; the CNN's compile times (cold cache, then a second process on the disk cache) and
the peak resident memory of a short CNN training run.

BENCH_TRAIN_ROUNDS (default 5) sets the rounds of fresh processes per implementation for the step times: the VM's
speed changes in phases of seconds (the same Kiln CNN process ran 29, 43 or 58 ms steps), and more rounds let the
median of each implementation see the same phases."""
import gzip
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

import harness
from harness import Case

# Not common.py's import: each implementation runs in a process of its own that loads only its framework
# (see child_main), so this module must not import kiln where PyTorch runs, nor PyTorch where Kiln runs. Nor does
# it import PyTorch when run.py imports it: loaded first in the parent, PyTorch's libgomp would serve the OpenMP
# calls of the other benchmarks' Kiln (docs/performance.md).
_HAVE_TORCH = importlib.util.find_spec("torch") is not None
TRAIN_ROUNDS = int(os.environ.get("BENCH_TRAIN_ROUNDS", "5"))


class _LazyTorch:
    """`torch`, imported on first use (in the PyTorch child processes only)."""

    def __getattr__(self, name):
        import torch as module
        return getattr(module, name)


torch = _LazyTorch() if _HAVE_TORCH else None

BATCH = 64
REPO = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "fashion_mnist.py"
DATA_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
RSS_STEPS = 30


def example():
    """examples/fashion_mnist.py as a module: its Net is the model Kiln trains here."""
    spec = importlib.util.spec_from_file_location("fashion_mnist_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The example's normalization (examples/fashion_mnist.py: MEAN, STD), repeated so that PyTorch's processes never
# import kiln (its OpenMP runtime and LLVM would count in their time and memory).
MEAN, STD = 0.2860, 0.3530


def load_split(split):
    """(uint8 images [N, 1, 28, 28], int64 labels [N]) of Debian's Fashion-MNIST IDX files."""
    def read(name, header):
        return np.frombuffer(gzip.decompress((DATA_DIR / name).read_bytes()), np.uint8, offset=header)

    images = read(f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    return images, read(f"{split}-labels-idx1-ubyte.gz", 8).astype(np.int64)


def batches(n=16):
    """n batches of normalized float32 images [64, 1, 28, 28] and int64 labels: the first Fashion-MNIST training
    images when Debian's dataset-fashion-mnist is installed, seeded noise otherwise. Every implementation gets these."""
    if (DATA_DIR / "train-images-idx3-ubyte.gz").exists():
        images, labels = load_split("train")
        images, labels = images[:n * BATCH], labels[:n * BATCH]
    else:
        g = np.random.default_rng(0)
        images = g.integers(0, 256, (n * BATCH, 1, 28, 28), dtype=np.uint8)
        labels = g.integers(0, 10, n * BATCH)
    x = ((images.astype(np.float32) / 255 - MEAN) / STD).astype(np.float32)
    return [(x[i:i + BATCH], labels[i:i + BATCH]) for i in range(0, n * BATCH, BATCH)]


# --- the models in PyTorch, layer for layer as in the example ---------------------------------------------------

def torch_cnn():
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return self.fc2(x)

    return Net()


def torch_mlp():
    nn = torch.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def kiln_mlp():
    import kiln.nn as nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


# --- one training step per call, cycling through the batches ----------------------------------------------------

def training_step(framework, model, data, forward=None):
    """One Adadelta(lr=1) training step per call over `data` (cycled), in `framework` (the kiln or torch module);
    the first three steps run here: Kiln compiles (and initializes the parameters) in the first two, torch.compile
    compiles the forward and backward graphs."""
    F = framework.nn.functional
    data = [(framework.from_numpy(x), framework.from_numpy(y)) for x, y in data]
    optimizer = framework.optim.Adadelta(model.parameters(), lr=1.0)
    forward = model if forward is None else forward
    position = [0]

    def step():
        x, y = data[position[0] % len(data)]
        position[0] += 1
        optimizer.zero_grad()
        loss = F.cross_entropy(forward(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):
        step()
    return step


def kiln_step(model, data):
    import kiln
    import kiln.nn.functional  # noqa: F401  (kiln.nn.functional as an attribute)

    return training_step(kiln, model, data)


def torch_step(model, data, compiled=False):
    return training_step(torch, model, data, torch.compile(model) if compiled else None)


MODELS = {"cnn": (lambda: example().Net(), torch_cnn), "mlp": (kiln_mlp, torch_mlp)}


def child_main(impl, model, steps):
    """In a fresh process: warm-up steps, then `steps` timed ones; prints their median and the peak RSS as JSON.

    One process per implementation: kiln and PyTorch each load an OpenMP runtime, and in one process whichever
    loads first serves the other's oneDNN calls (PyTorch's libgomp would run Kiln's convolutions beside Kiln's
    own libomp pool, and Kiln's OMP_WAIT_POLICY=PASSIVE would slow PyTorch's), so neither would be measured as
    a user runs it."""
    import time

    make_kiln, make_torch = MODELS[model]
    data = batches()
    if impl == "kiln":
        step = kiln_step(make_kiln(), data)
    else:
        step = torch_step(make_torch(), data, compiled=impl == "torch.compile")
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"median_s": float(np.median(times)), "maxrss_mb": peak_rss_mb()}))


def peak_rss_mb():
    """This process's peak resident memory: VmHWM, which starts afresh at exec. (ru_maxrss does not: Linux carries
    the forked parent's resident size over exec, so a child of a 500 MB parent reports at least 500 MB.)"""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Kiln's processes must not load PyTorch: its libgomp, loaded first, would serve the GOMP_* calls of Debian's oneDNN
# that Kiln links against LLVM's libomp, and two OpenMP pools would run in turns on the same cores.
_NO_TORCH = "import sys; sys.modules['torch'] = None; "


def run_impl(impl, model, steps):
    code = (_NO_TORCH if impl == "kiln" else "import sys; ") + \
        f"sys.path.insert(0, {str(pathlib.Path(__file__).resolve().parent)!r}); " \
        f"import bench_cnn; bench_cnn.child_main({impl!r}, {model!r}, {steps})"
    env = None if impl == "kiln" else harness.foreign_env()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def available_impls():
    impls = ["kiln"]
    if _HAVE_TORCH:
        import importlib.metadata
        impls.append("torch")
        if int(importlib.metadata.version("torch").split(".")[0]) >= 2:  # torch.compile (Debian's 1.13 has none)
            impls.append("torch.compile")
    return impls


def interleaved(model, key, steps, rounds=3):
    """Runs every implementation `rounds` times, alternating (kiln, torch, torch.compile, kiln, ...), each in a
    fresh process, so that the VM's slow and fast phases reach all of them; each implementation's callable then
    hands its figures to the harness one by one (which takes their median)."""
    results = {impl: [] for impl in available_impls()}
    for round_ in range(rounds):
        for impl in results:
            results[impl].append(run_impl(impl, model, steps)[key])
        print(f"    {model} {key}, round {round_ + 1}: " +
              ", ".join(f"{impl} {values[-1]:.4g}" for impl, values in results.items()), file=sys.stderr)

    def replay(values):
        queue = list(values)

        def run():
            return queue.pop(0)

        run.self_timed, run.repeats = True, len(queue)
        return run

    return {impl: replay(values) for impl, values in results.items()}


# A fresh process that times the trace's compiles (emit + JIT, from kiln's own statistics).
_COMPILE_CHILD = _NO_TORCH + """
sys.path.insert(0, {bench!r})
import json
import bench_cnn, kiln
step = bench_cnn.kiln_step(bench_cnn.example().Net(), bench_cnn.batches())  # three steps
print(json.dumps([event["ms"] for event in kiln._trace.stats()["events"]]))
"""


def compile_ms(cache_dir):
    """Compile times (ms) of the CNN's first three steps in a fresh process using `cache_dir`: one program for
    step 1 (which also initializes the parameters and creates Adadelta's state), one for the steady step."""
    script = _COMPILE_CHILD.format(bench=str(pathlib.Path(__file__).resolve().parent))
    env = dict(os.environ, KILN_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def first_step_compile(from_disk, which=0):
    """Seconds spent compiling program `which` (0: step 1's, 1: the steady step's) with an empty cache directory,
    or (from_disk) in a second process on the directory a first one filled."""
    def run():
        with tempfile.TemporaryDirectory(prefix="kiln-bench-cnn-") as cache:
            events = compile_ms(cache)
            if from_disk:
                events = compile_ms(cache)
        return events[which] / 1e3

    run.self_timed, run.repeats = True, 3
    return run


def cases():
    return [
        Case("CNN train step (batch 64)", "ms", lambda: interleaved("cnn", "median_s", 25, TRAIN_ROUNDS),
             target=[(None, "torch", 1 / 1.3), (None, "torch.compile", 1.0)],
             note="examples/fashion_mnist.py's Net: conv 1->32, conv 32->64, max pool, dropout, 9216->128->10; "
                  "forward + backward + Adadelta(lr=1) + loss.item(). torch.compile = torch.compile(model), "
                  "Adadelta eager. Target: <= torch / 1.3 and <= torch.compile"),
        Case("MLP 784-256-10 train step (batch 64)", "ms", lambda: interleaved("mlp", "median_s", 300, TRAIN_ROUNDS),
             target=(None, "torch", 1 / 1.5),
             note="forward + backward + Adadelta(lr=1) + loss.item(). Target: <= torch / 1.5"),
        Case("CNN step 1 compile, cold cache", "ms", lambda: {"kiln": first_step_compile(False)},
             target=("at_most", 2000),
             note="a fresh process and KILN_CACHE_DIR; the trace's compile time (emit + JIT) of step 1's program"),
        Case("CNN step 2 compile, cold cache", "ms", lambda: {"kiln": first_step_compile(False, 1)},
             note="the steady step's program, compiled at step 2 (step 1's also initializes the parameters)"),
        Case("CNN step 1 compile, disk cache", "ms", lambda: {"kiln": first_step_compile(True)},
             target=("at_most", 200), note="a second fresh process on the cache the first one filled"),
        Case(f"CNN peak RSS, {RSS_STEPS} train steps", "MB", lambda: interleaved("cnn", "maxrss_mb", RSS_STEPS, 1),
             target=(None, "torch", 1.0),
             note="peak resident memory (VmHWM) of a fresh process that imports the framework, loads the data "
                  "and trains; lower is better"),
    ]
