"""The main job (`make demo`): PyTorch's classic MNIST CNN trained on Fashion-MNIST with Kiln, as eager
PyTorch-style code that Kiln records, compiles once per step structure and then reuses.

Reads the IDX files of Debian's dataset-fashion-mnist package, trains with Adadelta(lr=1.0) and StepLR(gamma=0.7)
(PyTorch's mnist example recipe), shows loss and images per second, evaluates test accuracy after each epoch, saves
the state dict (kiln.save) and a PNG plot of loss and accuracy.

    python examples/fashion_mnist.py                 # one epoch (about 1 minute on 2 cores)
    python examples/fashion_mnist.py --epochs 3      # 0.91+ test accuracy
    python examples/fashion_mnist.py --short         # 200 batches, for quick checks
"""
import argparse
import gzip
import pathlib
import sys
import time

import numpy as np

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
from kiln.utils.data import DataLoader, TensorDataset

DATA_DIR = "/usr/share/datasets/fashion-mnist"
# Mean and standard deviation of the Fashion-MNIST training pixels (scaled to [0, 1]).
MEAN, STD = 0.2860, 0.3530
SHORT_BATCHES = 200
# IDX element-type codes (the third byte of the magic number) and the NumPy dtypes they hold, big-endian.
_IDX_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """An IDX file (gzip-compressed or not) as a NumPy array: two zero bytes, a type code, the rank, then the sizes
    as big-endian uint32 and the data."""
    path = pathlib.Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: '{path}' is not an IDX file (magic bytes {raw[:4].hex()})")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    shape = tuple(int(n) for n in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"read_idx: '{path}' holds {data.size} elements, its header says {shape}")
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def load_split(data_dir, split):
    """(images uint8 [N, 1, 28, 28], labels int64 [N]) of the 'train' or 't10k' split."""
    data_dir = pathlib.Path(data_dir)

    def find(stem):
        for name in (stem + ".gz", stem):
            if (data_dir / name).exists():
                return data_dir / name
        raise FileNotFoundError(
            f"load_split: no '{stem}.gz' in '{data_dir}' (install Debian's dataset-fashion-mnist, or pass --data)")

    images = read_idx(find(f"{split}-images-idx3-ubyte"))
    labels = read_idx(find(f"{split}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.shape != images.shape[:1]:
        raise ValueError(f"load_split: {split} images {images.shape} and labels {labels.shape} do not match")
    return images[:, None], labels.astype(np.int64)


class Net(nn.Module):
    """PyTorch's mnist example CNN: two 3x3 convolutions, max pooling, dropout, two linear layers."""

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
        x = kiln.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return self.fc2(x)


def normalize(images):
    """uint8 pixels to normalized float32; recorded, so it runs inside each step's compiled program."""
    return (images.to(kiln.float32) - 255 * MEAN) * (1 / (255 * STD))


def evaluate(model, loader):
    """(mean loss, accuracy) over the loader, in eval mode (no dropout) and without autograd."""
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    with kiln.no_grad():
        for images, labels in loader:
            logits = model(normalize(images))
            batch_loss = F.cross_entropy(logits, labels, reduction="sum")
            hits = (logits.argmax(dim=1) == labels).sum()
            kiln.sync(batch_loss, hits)  # one program computes both
            loss_sum += batch_loss.item()
            correct += int(hits.item())
            count += len(labels)
    model.train()
    return loss_sum / count, correct / count


def plot(history, path):
    """A PNG with the training loss per step (and its running mean), the test loss and the test accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = np.asarray(history["step_loss"])
    steps = np.arange(1, len(losses) + 1)
    per_epoch = history["steps_per_epoch"]
    epoch_ends = [per_epoch * (i + 1) for i in range(len(history["test_accuracy"]))]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(steps, losses, lw=0.5, alpha=0.4, label="train (per batch)")
    window = min(50, len(losses))
    if window > 1:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax_loss.plot(steps[window - 1:], smooth, lw=1.5, label=f"train ({window}-batch mean)")
    ax_loss.plot(epoch_ends, history["test_loss"], "o-", label="test")
    ax_loss.set(xlabel="step", ylabel="cross-entropy loss", title="Loss")
    ax_loss.legend()
    ax_acc.plot(range(1, len(history["test_accuracy"]) + 1), history["test_accuracy"], "o-")
    for epoch, acc in enumerate(history["test_accuracy"], 1):
        ax_acc.annotate(f"{acc:.4f}", (epoch, acc), textcoords="offset points", xytext=(0, 6), ha="center")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="Test accuracy")
    ax_acc.set_xticks(range(1, len(history["test_accuracy"]) + 1))
    ax_acc.margins(x=0.15, y=0.25)  # room for the labels
    fig.suptitle("Kiln: CNN on Fashion-MNIST")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def train(data_dir=DATA_DIR, out_dir="runs/fashion-mnist", epochs=1, batch_size=64, test_batch_size=1000,
          lr=1.0, gamma=0.7, limit_batches=None, seed=1, num_workers=0, progress=True, log=print):
    """Trains Net; returns it and its history: per-step losses, per-epoch test loss and accuracy, images per second,
    the epoch wall times, and where the state dict and the plot were written."""
    from tqdm import tqdm

    kiln.manual_seed(seed)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = load_split(data_dir, "train")
    test_images, test_labels = load_split(data_dir, "t10k")
    # The whole set stays in memory as uint8 (47 MB); each batch is normalized inside the step's program.
    # drop_last: a last partial batch (60000 % 64 = 32) would compile a program of its own for one step per epoch.
    train_loader = DataLoader(TensorDataset(kiln.from_numpy(train_images), kiln.from_numpy(train_labels)),
                              batch_size=batch_size, shuffle=True, drop_last=True, num_workers=num_workers)
    # An evaluation batch that divides the test set (10000) gives one program for all of them.
    test_loader = DataLoader(TensorDataset(kiln.from_numpy(test_images), kiln.from_numpy(test_labels)),
                             batch_size=test_batch_size)

    model = Net()
    optimizer = kiln.optim.Adadelta(model.parameters(), lr=lr)
    scheduler = kiln.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=gamma)
    steps_per_epoch = len(train_loader) if limit_batches is None else min(limit_batches, len(train_loader))
    history = {"step_loss": [], "test_loss": [], "test_accuracy": [], "images_per_second": [], "epoch_seconds": [],
               "steps_per_epoch": steps_per_epoch}
    for epoch in range(1, epochs + 1):
        model.train()
        start, images_seen = time.perf_counter(), 0
        bar = tqdm(total=steps_per_epoch * batch_size, desc=f"epoch {epoch}/{epochs}", unit="img", unit_scale=True,
                   disable=not progress, dynamic_ncols=True, file=sys.stderr)
        for step, (images, labels) in enumerate(train_loader):
            if step == steps_per_epoch:
                break
            optimizer.zero_grad()
            loss = F.cross_entropy(model(normalize(images)), labels)
            loss.backward()
            optimizer.step()
            value = loss.item()  # runs forward, backward and the Adadelta update as one compiled program
            history["step_loss"].append(value)
            images_seen += len(labels)
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
            bar.update(len(labels))
        bar.close()
        train_seconds = time.perf_counter() - start
        scheduler.step()
        test_loss, accuracy = evaluate(model, test_loader)
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(accuracy)
        history["images_per_second"].append(images_seen / train_seconds)
        history["epoch_seconds"].append(time.perf_counter() - start)
        recent = history["step_loss"][-steps_per_epoch:]
        log(f"epoch {epoch}: train loss {np.mean(recent):.4f}, test loss {test_loss:.4f}, "
            f"test accuracy {accuracy:.4f}, {images_seen / train_seconds:.0f} images/s, "
            f"{history['epoch_seconds'][-1]:.1f} s")

    history["state_dict_path"] = out_dir / "fashion_mnist_cnn.kiln"
    kiln.save(model.state_dict(), history["state_dict_path"])
    history["plot_path"] = out_dir / "fashion_mnist.png"
    plot(history, history["plot_path"])
    log(f"saved {history['state_dict_path']} and {history['plot_path']}")
    return model, history


def compile_summary():
    """One line per compiled program (what kiln.explain() prints, without the argument lists)."""
    s = kiln._trace.stats()
    lines = [f"kiln: {s['materializations']} programs run, {s['compiles']} compiled, "
             f"{s['program_hits']} served from the trace cache (JIT: {s['jit']['misses']} compiled from source, "
             f"{s['jit']['disk_hits']} loaded from the disk cache)"]
    for i, event in enumerate(s["events"], 1):
        lines.append(f"  program {i}: {event['reason']}, {event['ops']} ops, {event['origin']}, {event['ms']:.0f} ms")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    parser.add_argument("--short", action="store_true", help=f"train {SHORT_BATCHES} batches per epoch only")
    parser.add_argument("--limit-batches", type=int, help="train at most this many batches per epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0, help="Adadelta learning rate (default 1.0)")
    parser.add_argument("--gamma", type=float, default=0.7, help="StepLR decay per epoch (default 0.7)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes (default 0)")
    parser.add_argument("--data", default=DATA_DIR, help=f"folder with the IDX files (default {DATA_DIR})")
    parser.add_argument("--out", default="runs/fashion-mnist", help="folder for the state dict and the plot")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--explain", action="store_true", help="print kiln.explain() at the end")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    limit = SHORT_BATCHES if args.short else args.limit_batches
    if limit is not None and limit < 1:
        parser.error(f"--limit-batches must be at least 1, got {limit}")

    start = time.perf_counter()
    train(args.data, args.out, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, gamma=args.gamma,
          limit_batches=limit, seed=args.seed, num_workers=args.workers, progress=not args.no_progress)
    print(f"total {time.perf_counter() - start:.1f} s")
    if args.explain:
        kiln.explain()
    else:
        print(compile_summary())


if __name__ == "__main__":  # DataLoader workers start from a fork server and import this module
    main()
