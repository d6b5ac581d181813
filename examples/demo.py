"""The main job until training lands: NumPy data into Kiln tensors and views, then a Kiln
function built from those tensors' shapes and dtypes, canonicalized, compiled to native code
(cached per shape) and run on the tensors, checked against NumPy."""
import numpy as np

import kiln

# MLIR element types of Kiln's dtypes (the tracer will own this mapping once it exists).
ELEMENT_TYPES = {
    kiln.float32: "f32", kiln.float64: "f64", kiln.float16: "f16", kiln.bfloat16: "bf16",
    kiln.int8: "i8", kiln.int32: "i32", kiln.int64: "i64", kiln.uint8: "ui8", kiln.bool: "i1",
}


def tensor_type(t):
    return "tensor<" + "".join(f"{d}x" for d in t.shape) + ELEMENT_TYPES[t.dtype] + ">"


def main():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((4, 6)).astype(np.float32)
    x = kiln.from_numpy(x_np)  # shares memory with x_np
    print("x =", x)
    print("x.T[1:5:2] =", x.T[1:5:2])
    print("x.T[1:5:2].stride() =", x.T[1:5:2].stride(), "contiguous:", x.T[1:5:2].is_contiguous())
    x_np[0, 0] = 100.0
    print("after x_np[0, 0] = 100, x[0, 0] =", x[0, 0].item(), "(same memory)")

    w = kiln.from_numpy(rng.standard_normal((6, 3)).astype(np.float32))
    b = kiln.from_numpy(rng.standard_normal((3,)).astype(np.float32))

    # y = gelu(x @ w + b) * 1, with a reshape chain the canonicalizer collapses.
    ir = f"""
func.func @mlp_layer(%x: {tensor_type(x)}, %w: {tensor_type(w)}, %b: {tensor_type(b)}) -> tensor<12xf32> {{
  %mm = kiln.matmul %x, %w : {tensor_type(x)}, {tensor_type(w)}
  %z = kiln.add %mm, %b : tensor<4x3xf32>, {tensor_type(b)}
  %g = kiln.gelu %z approximate tanh : tensor<4x3xf32>
  %one = kiln.splat 1.0 : f32 -> tensor<4x3xf32>
  %y = kiln.mul %g, %one : tensor<4x3xf32>, tensor<4x3xf32>
  %r1 = kiln.reshape %y : tensor<4x3xf32> to tensor<2x6xf32>
  %r2 = kiln.reshape %r1 : tensor<2x6xf32> to tensor<12xf32>
  return %r2 : tensor<12xf32>
}}
"""
    print("\nKiln IR built from the tensors' shapes and dtypes:", ir)
    print("after the compiler's canonicalize,cse pipeline:")
    print(kiln.compiler.run_pipeline(ir, "canonicalize,cse"))

    layer = kiln.compiler.compile(ir)
    (y,) = layer(x, w, b)
    z = x_np @ w.numpy() + b.numpy()
    expected = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
    print(f"compiled (served from: {layer.origin}; cache key {layer.key[:12]}...) and run: y =", y)
    print("max |y - NumPy| =", float(np.abs(y.numpy() - expected.reshape(-1)).max()))
    stats = kiln.compiler.stats()
    stages = ", ".join(f"{name} {s['last_ms']:.1f}" for name, s in stats["stages"].items())
    print(f"compile stats: {stats['misses']} miss(es), {stats['memory_hits']} memory hit(s), "
          f"{stats['disk_hits']} disk hit(s); last compile per stage (ms): {stages}")


if __name__ == "__main__":
    main()
