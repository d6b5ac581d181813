"""Exports the Fashion-MNIST CNN of examples/fashion_mnist.py as a Kiln model file (.kiln) for kiln-run, kiln-inspect,
kiln-aot and the C++ API (docs/jit.md).

Loads the state dict fashion_mnist.py saves (runs/fashion-mnist/fashion_mnist_cnn.kiln) when it exists, else trains
--steps batches (a few seconds), calls .eval(), traces the forward at batch 1 (input float32[1, 1, 28, 28], pixels
normalized as fashion_mnist.normalize does), checks the trace against eager and writes:

    runs/fashion-mnist/model.kiln          the model (or --out)
    runs/fashion-mnist/model_input.npy     a sample input (the first test image, or random without the data set)
    runs/fashion-mnist/model_output.npy    the eager model's output for it (float32[1, 10] logits)

    python examples/export_model.py
    python examples/export_model.py --steps 50 --out /tmp/cnn.kiln
"""
import argparse
import pathlib
import sys

import numpy as np

import kiln
import kiln.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import fashion_mnist  # noqa: E402


def train_steps(model, data_dir, steps, batch_size=64, log=print):
    """A few Adadelta steps on the training set (fashion_mnist.train's recipe without the epochs)."""
    images, labels = fashion_mnist.load_split(data_dir, "train")
    optimizer = kiln.optim.Adadelta(model.parameters(), lr=1.0)
    order = np.random.default_rng(0).permutation(len(images))
    model.train()
    for step in range(steps):
        batch = order[step * batch_size:(step + 1) * batch_size]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(fashion_mnist.normalize(kiln.from_numpy(images[batch]))),
                               kiln.from_numpy(labels[batch]))
        loss.backward()
        optimizer.step()
        if step == steps - 1 or step % 10 == 0:
            log(f"step {step + 1}/{steps}: loss {loss.item():.4f}")


def sample_input(data_dir):
    try:
        images, _ = fashion_mnist.load_split(data_dir, "t10k")
        return fashion_mnist.normalize(kiln.from_numpy(images[:1])).numpy()
    except (FileNotFoundError, OSError):
        return np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)


def export(out="runs/fashion-mnist/model.kiln", state_dict=None, steps=5, data_dir=fashion_mnist.DATA_DIR,
           seed=1, log=print):
    """Builds, loads or trains, traces and saves the CNN; returns (traced module, input, expected output)."""
    kiln.manual_seed(seed)
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model = fashion_mnist.Net()
    state_dict = pathlib.Path(state_dict or out.parent / "fashion_mnist_cnn.kiln")
    if state_dict.exists():
        model.load_state_dict(kiln.load(state_dict))
        log(f"loaded {state_dict}")
    elif steps > 0 and pathlib.Path(data_dir).exists():
        train_steps(model, data_dir, steps, log=log)
    else:
        log("no state dict and no data set: exporting the randomly initialized network")
    model.eval()  # dropout off: a trace records what runs, and random ops cannot be exported
    x = sample_input(data_dir)
    traced = kiln.jit.trace(model, kiln.from_numpy(x))  # check_trace compares it with eager
    expected = model(kiln.from_numpy(x)).numpy()
    traced.save(out)
    stem = out.with_suffix("")
    np.save(f"{stem}_input.npy", x)
    np.save(f"{stem}_output.npy", expected)
    loaded = kiln.jit.load(out)
    np.testing.assert_allclose(loaded(kiln.from_numpy(x)).numpy(), expected, rtol=1e-4, atol=1e-5)
    log(f"saved {out} ({out.stat().st_size} bytes), {stem}_input.npy and {stem}_output.npy; "
        f"predicted class {int(expected.argmax())}")
    return traced, x, expected


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/fashion-mnist/model.kiln", help="the model file to write")
    parser.add_argument("--state-dict", help="a state dict saved by fashion_mnist.py (default: "
                        "fashion_mnist_cnn.kiln next to --out, if present)")
    parser.add_argument("--steps", type=int, default=5, help="training steps when there is no state dict (default 5)")
    parser.add_argument("--data", default=fashion_mnist.DATA_DIR, help="folder with the IDX files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--code", action="store_true", help="print the traced forward's .code")
    args = parser.parse_args(argv)
    traced, _, _ = export(args.out, args.state_dict, args.steps, args.data, args.seed)
    if args.code:
        print(traced.code)


if __name__ == "__main__":
    main()
