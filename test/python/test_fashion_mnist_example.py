"""examples/fashion_mnist.py (the main job) on a tiny synthetic IDX set: reading IDX files, training, the saved
state dict and the plot. Independent of Debian's dataset package."""

import gzip
import importlib.util
import pathlib

import numpy as np
import pytest

import kiln

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "fashion_mnist.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("fashion_mnist_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_idx(path, array, compress=True):
    """An IDX file as the dataset ships them: 0, 0, type code, rank, big-endian uint32 sizes, big-endian data."""
    codes = {np.dtype("u1"): 0x08, np.dtype("i4"): 0x0C, np.dtype("f4"): 0x0D}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def synthetic_split(n, seed):
    """28x28 uint8 noise with a bright 6x6 block whose place encodes the label: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.uint8) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
    for image, label in zip(images, labels):
        row, col = 3 + 13 * (label // 5), 1 + 5 * (label % 5)
        image[row:row + 6, col:col + 6] = 250
    return images, labels


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fashion-idx")
    for split, n, seed in (("train", 320, 0), ("t10k", 40, 1)):
        images, labels = synthetic_split(n, seed)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("array", [np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.array([-5, 7], np.int32),
                                   np.array([[1.5, -2.25]], np.float32)])
def test_read_idx_round_trip(example, tmp_path, array, compress):
    write_idx(tmp_path / "a.idx", array, compress)
    got = example.read_idx(tmp_path / "a.idx")
    assert got.shape == array.shape and got.dtype == array.dtype
    np.testing.assert_array_equal(got, array)


def test_read_idx_rejects_other_files(example, tmp_path):
    (tmp_path / "x.gz").write_bytes(gzip.compress(b"PK\x03\x04 not an idx file"))
    with pytest.raises(ValueError, match=r"read_idx: '.*x.gz' is not an IDX file \(magic bytes 504b0304\)"):
        example.read_idx(tmp_path / "x.gz")
    write_idx(tmp_path / "short.idx", np.zeros((4, 5), np.uint8), compress=False)
    (tmp_path / "short.idx").write_bytes((tmp_path / "short.idx").read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"read_idx: '.*short.idx' holds 17 elements, its header says \(4, 5\)"):
        example.read_idx(tmp_path / "short.idx")


def test_load_split_names_the_missing_file(example, tmp_path):
    with pytest.raises(FileNotFoundError, match="load_split: no 'train-images-idx3-ubyte.gz' in"):
        example.load_split(tmp_path, "train")


def test_load_split(example, data_dir):
    images, labels = example.load_split(data_dir, "t10k")
    expected_images, expected_labels = synthetic_split(40, 1)
    assert images.shape == (40, 1, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(images[:, 0], expected_images)
    np.testing.assert_array_equal(labels, expected_labels)


def test_normalize_matches_numpy(example):
    pixels = np.array([[0, 73, 128, 255]], np.uint8)
    expected = (pixels / 255.0 - example.MEAN) / example.STD
    np.testing.assert_allclose(example.normalize(kiln.from_numpy(pixels)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_training_learns_saves_and_plots(example, data_dir, tmp_path):
    logged = []
    model, history = example.train(data_dir, tmp_path / "out", epochs=2, batch_size=16, test_batch_size=20,
                                   limit_batches=12, progress=False, log=logged.append)
    losses = history["step_loss"]
    assert len(losses) == 24 and history["steps_per_epoch"] == 12
    assert np.mean(losses[-6:]) < 0.5 * np.mean(losses[:6]), losses
    assert len(history["test_accuracy"]) == 2 and history["test_accuracy"][-1] >= 0.8, history["test_accuracy"]
    assert all(a >= 0 for a in history["test_loss"]) and history["test_loss"][-1] < history["test_loss"][0]
    assert logged[0].startswith("epoch 1: train loss") and "test accuracy" in logged[1]

    # The state dict loads back into a fresh Net with the trained values.
    saved = kiln.load(history["state_dict_path"])
    trained = model.state_dict()
    assert sorted(saved) == sorted(trained)
    for name, value in trained.items():
        np.testing.assert_array_equal(saved[name].numpy(), value.numpy(), err_msg=name)
    fresh = example.Net()
    missing, unexpected = fresh.load_state_dict(saved)
    assert missing == [] and unexpected == []
    x = example.normalize(kiln.from_numpy(example.load_split(data_dir, "t10k")[0][:4]))
    model.eval()
    fresh.eval()
    with kiln.no_grad():
        np.testing.assert_allclose(fresh(x).numpy(), model(x).numpy(), rtol=1e-6, atol=1e-6)

    # The plot is a PNG that reads back as an image.
    import matplotlib.pyplot as plt

    png = pathlib.Path(history["plot_path"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = plt.imread(png)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 400
    assert pixels.std() > 0.05  # not a blank canvas


def test_workers_give_the_same_steps(example, data_dir, tmp_path):
    runs = [example.train(data_dir, tmp_path / f"w{workers}", batch_size=16, test_batch_size=20, limit_batches=3,
                          num_workers=workers, progress=False, log=lambda line: None)[1]["step_loss"]
            for workers in (0, 1)]
    assert runs[0] == runs[1]


def test_main_short_run_compiles_each_program_once(example, data_dir, tmp_path, capsys):
    kiln._trace.reset_stats()
    example.main(["--data", str(data_dir), "--out", str(tmp_path), "--limit-batches", "6", "--batch-size", "8",
                  "--no-progress"])
    out = capsys.readouterr().out
    assert "epoch 1: train loss" in out and "saved" in out
    stats = kiln._trace.stats()
    # Step 1 (with the parameters' initialization), the steady step, the evaluation batch: nothing else.
    assert stats["compiles"] == 3, kiln.explain(file=False)
    assert stats["materializations"] == 6 + 1  # six steps, one evaluation batch (40 images)
    assert "3 compiled, 4 served from the trace cache" in out
    assert (tmp_path / "fashion_mnist_cnn.kiln").exists() and (tmp_path / "fashion_mnist.png").exists()


def test_main_rejects_bad_flags(example, capsys):
    with pytest.raises(SystemExit):
        example.main(["--epochs", "0"])
    assert "--epochs must be at least 1, got 0" in capsys.readouterr().err
