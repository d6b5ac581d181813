"""Writes the model files (.kiln) the C++ loader's tests read: a valid MLP and hostile variants of it.

usage: make_models.py --kiln-opt PATH OUTDIR

Files are written with kiln.save (the same writer kiln.jit.save uses) from hand-written Kiln IR turned into
bytecode by `kiln-opt --emit-bytecode`. Variants whose checksums must stay valid are re-packed with fresh CRCs
(repack below), so the loader's model and IR checks are reached, not only the container's CRC checks.

mlp.kiln        x: float32[2, 4] -> (logits: float32[2, 3], total: float32[2]); logits = relu(x W1^T + b1) W2^T + b2
mlp_x.npy       an input; mlp_logits.npy, mlp_total.npy: its outputs computed with NumPy
"""

import argparse
import json
import os
import subprocess
import sys
import zlib

import numpy as np

import kiln
from kiln import serialization

FORWARD = """
func.func @forward(%x: tensor<2x4xf32>, %w1: tensor<8x4xf32>, %b1: tensor<8xf32>,
                   %w2: tensor<3x8xf32>, %b2: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2xf32>) {
  %w1t = kiln.permute %w1 [1, 0] : tensor<8x4xf32>
  %h = kiln.matmul %x, %w1t : tensor<2x4xf32>, tensor<4x8xf32>
  %hb = kiln.add %h, %b1 : tensor<2x8xf32>, tensor<8xf32>
  %r = kiln.relu %hb : tensor<2x8xf32>
  %w2t = kiln.permute %w2 [1, 0] : tensor<3x8xf32>
  %o = kiln.matmul %r, %w2t : tensor<2x8xf32>, tensor<8x3xf32>
  %y = kiln.add %o, %b2 : tensor<2x3xf32>, tensor<3xf32>
  %s = kiln.reduce sum %y dims [1] : tensor<2x3xf32>
  return %y, %s : tensor<2x3xf32>, tensor<2xf32>
}
"""

# @forward uses arith: parses in kiln-opt, but the model loader allows builtin, func and kiln only.
FOREIGN = FORWARD.replace("  %s = kiln.reduce sum %y dims [1] : tensor<2x3xf32>\n",
                          "  %z = arith.addf %y, %y : tensor<2x3xf32>\n"
                          "  %s = kiln.reduce sum %z dims [1] : tensor<2x3xf32>\n")

TWO_FUNCTIONS = FORWARD + """
func.func @helper(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
"""

PRIVATE = FORWARD.replace("func.func @forward", "func.func private @forward")
RENAMED = FORWARD.replace("@forward", "@main")

METADATA = {"kiln.file": "model", "kiln.model_version": "1"}


def bytecode(kiln_opt, text):
    return subprocess.run([kiln_opt, "--emit-bytecode", "-"], input=text.encode(), stdout=subprocess.PIPE,
                          check=True).stdout


def weights():
    rng = np.random.default_rng(7)
    return {
        "fc1.weight": rng.standard_normal((8, 4)).astype(np.float32),
        "fc1.bias": rng.standard_normal(8).astype(np.float32),
        "fc2.weight": rng.standard_normal((3, 8)).astype(np.float32),
        "fc2.bias": rng.standard_normal(3).astype(np.float32),
    }


def root(w, **changes):
    r = {
        "format": "kiln.model",
        "version": 1,
        "inputs": [{"name": "x", "dtype": "float32", "shape": [2, 4]}],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": [2, 3]},
                    {"name": "total", "dtype": "float32", "shape": [2]}],
        "weights": {k: kiln.from_numpy(v) for k, v in w.items()},
        "source": "MLP",
    }
    r.update(changes)
    return r


def repack(src, dst, edit_manifest=None, edit_data=None, version=None):
    """Rewrites the container `src` as `dst` after edit_manifest(manifest) and edit_data(bytearray of the data
    section), with every CRC (array, blob, manifest, header) recomputed so only the intended damage remains."""
    raw = open(src, "rb").read()
    fields = list(serialization.HEADER.unpack(raw[:64]))
    manifest_length, data_offset, data_length = fields[4], fields[5], fields[6]
    manifest = json.loads(raw[64:64 + manifest_length])
    data = bytearray(raw[data_offset:data_offset + data_length])
    if edit_data:
        edit_data(manifest, data)
    for entry in manifest["arrays"] + list(manifest.get("blobs", {}).values()):
        if isinstance(entry.get("offset"), int) and isinstance(entry.get("length"), int) and \
                entry["offset"] + entry["length"] <= len(data):
            entry["crc32"] = zlib.crc32(data[entry["offset"]:entry["offset"] + entry["length"]])
    if edit_manifest:
        edit_manifest(manifest)
    text = json.dumps(manifest, separators=(",", ":")).encode()
    new_offset = (64 + len(text) + 63) // 64 * 64
    major, minor = version or (fields[1], fields[2])
    header = serialization._header(len(text), new_offset, len(data), zlib.crc32(text), (major, minor))
    with open(dst, "wb") as out:
        out.write(header + text + bytes(new_offset - 64 - len(text)) + bytes(data))


def root_entry(manifest, key):
    for pair in manifest["root"]["dict"]:
        if pair[0] == key:
            return pair
    raise KeyError(key)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kiln-opt", required=True)
    parser.add_argument("outdir")
    args = parser.parse_args()
    out = args.outdir
    os.makedirs(out, exist_ok=True)
    path = lambda name: os.path.join(out, name)

    w = weights()
    ir = bytecode(args.kiln_opt, FORWARD)
    kiln.save(root(w), path("mlp.kiln"), blobs={"ir": ir}, metadata=METADATA)

    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    h = np.maximum(x @ w["fc1.weight"].T + w["fc1.bias"], 0)
    logits = h @ w["fc2.weight"].T + w["fc2.bias"]
    np.save(path("mlp_x.npy"), x)
    np.save(path("mlp_logits.npy"), logits.astype(np.float32))
    np.save(path("mlp_total.npy"), logits.sum(1).astype(np.float32))

    # A checkpoint (kiln.save without the model metadata) and an unknown model version.
    kiln.save({k: kiln.from_numpy(v) for k, v in w.items()}, path("checkpoint.kiln"))
    kiln.save(root(w), path("model_version2.kiln"), blobs={"ir": ir},
              metadata={"kiln.file": "model", "kiln.model_version": "2"})
    # IR problems.
    kiln.save(root(w), path("no_ir.kiln"), metadata=METADATA)
    kiln.save(root(w), path("text_ir.kiln"), blobs={"ir": FORWARD.encode()}, metadata=METADATA)
    kiln.save(root(w), path("foreign_dialect.kiln"), blobs={"ir": bytecode(args.kiln_opt, FOREIGN)},
              metadata=METADATA)
    kiln.save(root(w), path("two_functions.kiln"), blobs={"ir": bytecode(args.kiln_opt, TWO_FUNCTIONS)},
              metadata=METADATA)
    kiln.save(root(w), path("private_forward.kiln"), blobs={"ir": bytecode(args.kiln_opt, PRIVATE)},
              metadata=METADATA)
    # Bytecode found by the fuzzer that makes MLIR 19's bytecode reader crash (SIGSEGV), in a file whose CRCs
    # are all valid: the loader must report it, not die.
    hostile = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile-ir.mlirbc"), "rb").read()
    kiln.save(root(w), path("hostile_ir.kiln"), blobs={"ir": hostile}, metadata=METADATA)
    kiln.save(root(w), path("no_forward.kiln"), blobs={"ir": bytecode(args.kiln_opt, RENAMED)},
              metadata=METADATA)
    # Weights or signature that disagree with @forward's arguments.
    swapped = dict(w)
    swapped["fc1.weight"] = w["fc1.weight"].T.copy()
    kiln.save(root(swapped), path("weight_shape.kiln"), blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root({k: v for k, v in w.items() if k != "fc2.bias"}), path("missing_weight.kiln"),
              blobs={"ir": ir}, metadata=METADATA)
    as_f64 = dict(w)
    as_f64["fc1.bias"] = w["fc1.bias"].astype(np.float64)
    kiln.save(root(as_f64), path("weight_dtype.kiln"), blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, inputs=[{"name": "x", "dtype": "float32", "shape": [1, 4]}]), path("input_shape.kiln"),
              blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, outputs=[{"name": "logits", "dtype": "int64", "shape": [2, 3]},
                               {"name": "total", "dtype": "float32", "shape": [2]}]),
              path("output_dtype.kiln"), blobs={"ir": ir}, metadata=METADATA)
    # Model keys of the wrong type (valid containers otherwise).
    kiln.save(root(w, format="kiln.checkpoint"), path("bad_format.kiln"), blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, version=2), path("bad_root_version.kiln"), blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, inputs="x"), path("bad_inputs.kiln"), blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, inputs=[{"name": "x", "dtype": "complex64", "shape": [2, 4]}]), path("bad_dtype.kiln"),
              blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, inputs=[{"name": "x", "dtype": "float32", "shape": [2, -4]}]), path("bad_shape.kiln"),
              blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, weights={"fc1.weight": 3}), path("bad_weights.kiln"), blobs={"ir": ir}, metadata=METADATA)
    kiln.save(root(w, source=7), path("bad_source.kiln"), blobs={"ir": ir}, metadata=METADATA)

    # Container-level damage with valid CRCs: the checks behind the checksums.
    good = path("mlp.kiln")

    def set_array(field, value, index=0):
        def edit(m):
            m["arrays"][index][field] = value
        return edit

    repack(good, path("array_dtype_unknown.kiln"), set_array("dtype", "complex64"))
    repack(good, path("array_dtype_number.kiln"), set_array("dtype", 4))
    repack(good, path("array_shape_negative.kiln"), set_array("shape", [8, -4]))
    repack(good, path("array_length.kiln"), set_array("length", 64))
    repack(good, path("array_offset_unaligned.kiln"), set_array("offset", 8))
    repack(good, path("array_outside.kiln"), set_array("offset", 1 << 40))
    repack(good, path("array_offset_float.kiln"), set_array("offset", 0.5))
    repack(good, path("arrays_overlap.kiln"), set_array("offset", 0, index=1))
    repack(good, path("manifest_not_object.kiln"), lambda m: m.clear())
    repack(good, path("tensor_ref_range.kiln"),
           lambda m: root_entry(m, "weights")[1]["dict"][0][1]["tensor"].update(array=99))
    repack(good, path("unknown_tag.kiln"), lambda m: root_entry(m, "version").__setitem__(1, {"complex": 1}))
    repack(good, path("minor_version.kiln"), version=(1, 3))
    repack(good, path("major_version.kiln"), version=(2, 0))

    # fc1.weight's 128 bytes leave no padding; fc1.bias (32 bytes at 128) is followed by 32 zero bytes.
    def padding_after_bias(manifest, data):
        entry = manifest["arrays"][1]
        data[entry["offset"] + entry["length"]] = 1

    repack(good, path("nonzero_padding.kiln"), edit_data=padding_after_bias)

    # A checkpoint whose bool array holds a 2 (with a matching CRC).
    kiln.save({"mask": kiln.from_numpy(np.array([True, False, True]))}, path("bool.kiln"))

    def bad_bool(manifest, data):
        data[manifest["arrays"][0]["offset"]] = 2

    repack(path("bool.kiln"), path("bool_value.kiln"), edit_data=bad_bool)
    print(f"make_models.py: wrote {len(os.listdir(out))} files to {out}")


if __name__ == "__main__":
    sys.exit(main())
