"""kiln.jit.save / load: the model file layout (docs/file-format.md, "Model files"), round trips, and clean
FileFormatErrors for truncated, bit-flipped and hostile files."""

import collections
import importlib.util
import pathlib

import numpy as np
import pytest

import kiln
import kiln.nn as nn
import kiln.nn.functional as F
from kiln.serialization import FileFormatError, load_container

from test_jit_trace import MLP, load_example, mlp_reference, randn

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
META = {"kiln.file": "model", "kiln.model_version": "1"}


@pytest.fixture(scope="module")
def mlp_file(tmp_path_factory):
    kiln.manual_seed(0)
    m = MLP().eval()
    traced = kiln.jit.trace(m, kiln.zeros(1, 6))
    path = tmp_path_factory.mktemp("jit") / "mlp.kiln"
    kiln.jit.save(traced, path)
    return m, traced, path


def test_round_trip_matches_numpy(mlp_file):
    m, traced, path = mlp_file
    loaded = kiln.jit.load(path)
    x = randn(1, 6, seed=4)
    np.testing.assert_allclose(loaded(kiln.from_numpy(x)).numpy(), mlp_reference(m, x), rtol=1e-5, atol=1e-5)
    assert loaded.graph == traced.graph
    assert loaded.code == traced.code
    assert list(loaded.state_dict()) == list(traced.state_dict())
    for name, w in traced.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name].numpy(), w.detach().numpy())
    assert loaded.inputs == traced.inputs and loaded.outputs == traced.outputs
    assert loaded.original_name == "MLP"
    with pytest.raises(ValueError, match=r"must be float32\[1, 6\], but got float32\[2, 6\]"):
        loaded(kiln.ones(2, 6))


def test_file_layout(mlp_file):
    _, traced, path = mlp_file
    c = load_container(path)
    assert c.metadata == META
    root = c.obj
    assert list(root) == ["format", "version", "inputs", "outputs", "weights", "source"]
    assert root["format"] == "kiln.model" and root["version"] == 1 and root["source"] == "MLP"
    assert root["inputs"] == [{"name": "x", "dtype": "float32", "shape": [1, 6]}]
    assert root["outputs"] == [{"name": "output0", "dtype": "float32", "shape": [1, 3]}]
    assert list(root["weights"]) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(not w.requires_grad for w in root["weights"].values())
    ir = bytes(c.blobs["ir"])
    assert ir[:4] == b"ML\xefR"
    assert kiln._C._ir_from_bytecode(ir) == traced.graph
    assert kiln._C._ir_signature(traced.graph) == (
        [("f32", (1, 6)), ("f32", (8, 6)), ("f32", (8,)), ("f32", (3, 8)), ("f32", (3,))], [("f32", (1, 3))])


def test_traced_module_save_and_cnn(tmp_path):
    net = load_example().Net().eval()
    x = randn(1, 1, 28, 28, seed=5)
    traced = kiln.jit.trace(net, kiln.from_numpy(x))
    path = tmp_path / "cnn.kiln"
    traced.save(path)
    for mmap in (True, False):
        loaded = kiln.jit.load(path, mmap=mmap)
        np.testing.assert_allclose(loaded(kiln.from_numpy(x)).numpy(), net(kiln.from_numpy(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)
    with open(path, "rb") as f:
        assert kiln.jit.load(f).inputs[0]["shape"] == [1, 1, 28, 28]


def test_constants_and_multiple_outputs_round_trip(tmp_path):
    table = kiln.from_numpy(np.arange(3, dtype=np.int64))

    def f(x):
        return x + table, (x * 2).to(kiln.float32)

    traced = kiln.jit.trace(f, kiln.ones(2, 3, dtype=kiln.int64))
    kiln.jit.save(traced, tmp_path / "f.kiln")
    loaded = kiln.jit.load(tmp_path / "f.kiln")
    assert list(loaded.state_dict()) == ["constant.0"]
    a, b = loaded(kiln.full((2, 3), 4, dtype=kiln.int64))
    assert a.tolist() == [[4, 5, 6]] * 2 and b.dtype is kiln.float32 and b.tolist() == [[8.0] * 3] * 2


def test_not_a_model_file(tmp_path):
    kiln.save({"w": kiln.ones(2)}, tmp_path / "ckpt.kiln")
    with pytest.raises(FileFormatError, match=r"ckpt.kiln'?: not a model file \(a kiln.save checkpoint\?\)"):
        kiln.jit.load(tmp_path / "ckpt.kiln")
    with pytest.raises(TypeError, match="expected a TracedModule"):
        kiln.jit.save(MLP(), tmp_path / "x.kiln")


# --- Hostile files: valid containers with a wrong model layer ----------------------------------------------------

FORWARD = """func.func @forward(%arg0: tensor<2xf32>, %arg1: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "kiln.add"(%arg0, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
"""


def good_root():
    return collections.OrderedDict([
        ("format", "kiln.model"), ("version", 1),
        ("inputs", [{"name": "x", "dtype": "float32", "shape": [2]}]),
        ("outputs", [{"name": "y", "dtype": "float32", "shape": [2]}]),
        ("weights", {"b": kiln.full((2,), 10.0)}),
    ])


def write(path, root=None, ir=None, metadata=META, text=FORWARD):
    blobs = {} if ir is False else {"ir": ir if ir is not None else kiln._C._ir_to_bytecode(text)}
    kiln.save(good_root() if root is None else root, path, blobs=blobs, metadata=metadata)
    return path


def test_handwritten_model_loads(tmp_path):
    loaded = kiln.jit.load(write(tmp_path / "good.kiln"))
    assert loaded(kiln.ones(2)).tolist() == [11.0, 11.0]


def edited(**changes):
    root = good_root()
    for key, value in changes.items():
        if value is KeyError:
            del root[key]
        else:
            root[key] = value
    return root


HOSTILE = [
    ("no format", dict(root=edited(format=KeyError)), "the root has no 'format'"),
    ("wrong format", dict(root=edited(format="kiln.checkpoint")), "'format' must be 'kiln.model'"),
    ("version as str", dict(root=edited(version="1")), "unknown 'version' '1'"),
    ("version 2", dict(root=edited(version=2)), "unknown 'version' 2"),
    ("root a list", dict(root=[1, 2]), "the root must be a dict, not list"),
    ("inputs a dict", dict(root=edited(inputs={"x": 1})), "'inputs' must be a list"),
    ("input shape str", dict(root=edited(inputs=[{"name": "x", "dtype": "float32", "shape": "2"}])),
     r"'inputs'\[0\]\['shape'\] must be a list of non-negative ints"),
    ("input bad dtype", dict(root=edited(inputs=[{"name": "x", "dtype": "complex", "shape": [2]}])),
     r"'inputs'\[0\]\['dtype'\] must be a dtype name"),
    ("input wrong dtype", dict(root=edited(inputs=[{"name": "x", "dtype": "float64", "shape": [2]}])),
     r"input 'x' is float64\[2\], but @forward's argument 0 is float32\[2\]"),
    ("weights a list", dict(root=edited(weights=[kiln.ones(2)])), "'weights' must be a dict, not list"),
    ("weight not a tensor", dict(root=edited(weights={"b": 3})), r"entry 'b' is a int"),
    ("weight shape", dict(root=edited(weights={"b": kiln.ones(3)})),
     r"weight 'b' is float32\[3\], but @forward's argument 1 is float32\[2\]"),
    ("missing weight", dict(root=edited(weights={})), "@forward takes 2 arguments, but the file lists 1 inputs and 0"),
    ("output shape", dict(root=edited(outputs=[{"name": "y", "dtype": "float32", "shape": [3]}])),
     r"output 'y' is float32\[3\], but @forward's result 0 is float32\[2\]"),
    ("wrong kind", dict(metadata={"kiln.file": "checkpoint", "kiln.model_version": "1"}),
     "not a model file \\(kiln.file is 'checkpoint'\\)"),
    ("model version", dict(metadata={"kiln.file": "model", "kiln.model_version": "2"}),
     "unknown model version '2'"),
    ("no ir", dict(ir=False), "no 'ir' blob"),
    ("ir as text", dict(ir=FORWARD.encode()), "not MLIR bytecode"),
    ("ir garbage", dict(ir=b"ML\xefR" + bytes(range(40))), "not valid model IR"),
]


@pytest.mark.parametrize("name, kwargs, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_model_layer(tmp_path, name, kwargs, message):
    path = write(tmp_path / "hostile.kiln", **kwargs)
    with pytest.raises(FileFormatError, match=r"kiln.jit.load: '.*hostile.kiln': .*" + message):
        kiln.jit.load(path)


HOSTILE_IR = [
    ("extra dialect op", FORWARD.replace('  %0 = "kiln.add"', '  %c = arith.constant 1.0 : f32\n  %0 = "kiln.add"'),
     "operation 'arith.constant' is not allowed in a model"),
    ("two functions", FORWARD + FORWARD.replace("@forward", "@other"), "exactly one function"),
    ("renamed", FORWARD.replace("@forward", "@main"), "must be named @forward, not @main"),
    ("private", FORWARD.replace("func.func @forward", "func.func private @forward"), "must be public"),
    ("dynamic shape", FORWARD.replace("%arg1: tensor<2xf32>", "%arg1: tensor<?xf32>")
     .replace("(tensor<2xf32>, tensor<2xf32>)", "(tensor<2xf32>, tensor<?xf32>)"),
     "argument 1 of @forward is not a statically shaped tensor"),
]


@pytest.mark.parametrize("name, text, message", HOSTILE_IR, ids=[h[0] for h in HOSTILE_IR])
def test_hostile_ir(tmp_path, name, text, message):
    with pytest.raises(ValueError, match=message):
        kiln._C._ir_to_bytecode(text)
    ir = kiln._C._ir_to_bytecode(text, model_rules=False)
    path = write(tmp_path / "hostile.kiln", ir=ir)
    with pytest.raises(FileFormatError, match="not valid model IR.*" + message):
        kiln.jit.load(path)


def test_ir_that_crashes_the_bytecode_reader(tmp_path):
    """A crafted IR blob (test/models/hostile-ir.mlirbc, found by the C++ loader's fuzzer) makes MLIR 19's bytecode
    reader crash; it runs in a forked child, so loading raises instead of ending the process."""
    crafted = (pathlib.Path(__file__).resolve().parents[1] / "models" / "hostile-ir.mlirbc").read_bytes()
    with pytest.raises(ValueError, match="the IR reader crashed"):
        kiln._C._ir_from_bytecode(crafted)
    path = write(tmp_path / "hostile.kiln", ir=crafted)
    with pytest.raises(FileFormatError, match="not valid model IR.*the IR reader crashed"):
        kiln.jit.load(path)


def test_ir_that_does_not_verify():
    bad = FORWARD.replace('"kiln.add"(%arg0, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>',
                          '"kiln.add"(%arg0, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> tensor<3xf32>')
    with pytest.raises(ValueError, match="invalid model IR"):
        kiln._C._ir_to_bytecode(bad, model_rules=False)


# --- Damaged files: every truncation class and bit flips everywhere ----------------------------------------------


def regions(data):
    """(name, start, end) of the header, the manifest and the data section (the IR blob and the weights)."""
    manifest_length = int.from_bytes(data[16:24], "little")
    data_offset = int.from_bytes(data[24:32], "little")
    return [("header", 0, 64), ("manifest", 64, 64 + manifest_length), ("data", data_offset, len(data))]


def test_truncations_and_bit_flips_give_clean_errors(mlp_file, tmp_path):
    _, _, path = mlp_file
    data = path.read_bytes()
    target = tmp_path / "damaged.kiln"
    rng = np.random.default_rng(7)
    cuts = sorted(set([0, 1, 8, 63, 64, 65, len(data) // 2, len(data) - 1] +
                      rng.integers(0, len(data), 20).tolist()))
    for cut in cuts:
        target.write_bytes(data[:cut])
        with pytest.raises(FileFormatError, match="damaged.kiln"):
            kiln.jit.load(target)
    flips = 0
    for name, start, end in regions(data):
        for position in rng.integers(start, end, 25).tolist():
            damaged = bytearray(data)
            damaged[position] ^= 1 << int(rng.integers(0, 8))
            target.write_bytes(bytes(damaged))
            try:
                kiln.jit.load(target)
            except FileFormatError as error:
                assert "damaged.kiln" in str(error)
                flips += 1
            # A flip in bytes no check covers (none in version 1.0) would load; every flip here must be caught.
    assert flips == 75


def test_export_example_writes_model_and_samples(tmp_path):
    spec = importlib.util.spec_from_file_location("export_model_example", EXAMPLES / "export_model.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "model.kiln"
    # No state dict and no data set here: the randomly initialized CNN and a random sample input.
    example.export(out, steps=0, data_dir=tmp_path / "no-data", log=lambda message: None)
    x, expected = np.load(tmp_path / "model_input.npy"), np.load(tmp_path / "model_output.npy")
    assert x.shape == (1, 1, 28, 28) and x.dtype == np.float32 and expected.shape == (1, 10)
    loaded = kiln.jit.load(out)
    assert loaded.original_name == "Net" and list(loaded.state_dict())[0] == "conv1.weight"
    np.testing.assert_allclose(loaded(kiln.from_numpy(x)).numpy(), expected, rtol=1e-4, atol=1e-5)
