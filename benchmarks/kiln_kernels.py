"""Kiln IR of the benchmarked kernels, compiled through the compiler's caches."""
import sys


def compile_kernel(source, entry):
    """The compiled Kiln function, or None (with the reason on stderr) when it can't be built."""
    try:
        import kiln
        return kiln._C.compiler.compile(source, entry=entry)
    except Exception as error:  # a benchmark run reports n/a instead of stopping
        print(f"kiln: {entry}: {type(error).__name__}: {error}", file=sys.stderr)
        return None


def tensor_type(shape, element="f32"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def gelu_tanh_9ops(n, name="gelu"):
    """tanh-GELU as 9 primitive ops: 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3)))."""
    t = tensor_type([n])
    s = "tensor<f32>"
    return f"""
func.func @{name}(%x: {t}) -> {t} {{
  %c0 = kiln.constant dense<0.044715> : {s}
  %c1 = kiln.constant dense<0.7978845608> : {s}
  %one = kiln.constant dense<1.0> : {s}
  %half = kiln.constant dense<0.5> : {s}
  %x2 = kiln.mul %x, %x : {t}, {t}
  %x3 = kiln.mul %x2, %x : {t}, {t}
  %a = kiln.mul %x3, %c0 : {t}, {s}
  %b = kiln.add %x, %a : {t}, {t}
  %c = kiln.mul %b, %c1 : {t}, {s}
  %th = kiln.tanh %c : {t}
  %d = kiln.add %th, %one : {t}, {s}
  %e = kiln.mul %x, %half : {t}, {s}
  %y = kiln.mul %e, %d : {t}, {t}
  return %y : {t}
}}
"""


def softmax_rows(rows, cols):
    t, r = tensor_type([rows, cols]), tensor_type([rows, 1])
    return f"""
func.func @softmax(%x: {t}) -> {t} {{
  %m = kiln.reduce max %x dims [1] keepdim : {t}
  %s = kiln.sub %x, %m : {t}, {r}
  %e = kiln.exp %s : {t}
  %z = kiln.reduce sum %e dims [1] keepdim : {t}
  %y = kiln.div %e, %z : {t}, {r}
  return %y : {t}
}}
"""


def layernorm_rows(rows, cols, eps=1e-5):
    t, r = tensor_type([rows, cols]), tensor_type([rows, 1])
    return f"""
func.func @layernorm(%x: {t}) -> {t} {{
  %eps = kiln.constant dense<{eps:e}> : tensor<f32>
  %mu = kiln.reduce mean %x dims [1] keepdim : {t}
  %d = kiln.sub %x, %mu : {t}, {r}
  %d2 = kiln.mul %d, %d : {t}, {t}
  %var = kiln.reduce mean %d2 dims [1] keepdim : {t}
  %ve = kiln.add %var, %eps : {r}, tensor<f32>
  %rs = kiln.rsqrt %ve : {r}
  %y = kiln.mul %d, %rs : {t}, {r}
  return %y : {t}
}}
"""


def matmul(m, k, n):
    a, b = tensor_type([m, k]), tensor_type([k, n])
    return f"""
func.func @matmul(%a: {a}, %b: {b}) -> {tensor_type([m, n])} {{
  %c = kiln.matmul %a, %b : {a}, {b}
  return %c : {tensor_type([m, n])}
}}
"""


def mlp_forward(batch=128, sizes=(784, 512, 10), name="mlp"):
    """A 2-layer MLP forward: relu(x @ w1 + b1) @ w2 + b2."""
    d0, d1, d2 = sizes
    x, w1, b1 = tensor_type([batch, d0]), tensor_type([d0, d1]), tensor_type([d1])
    h, w2, b2, y = tensor_type([batch, d1]), tensor_type([d1, d2]), tensor_type([d2]), tensor_type([batch, d2])
    return f"""
func.func @{name}(%x: {x}, %w1: {w1}, %b1: {b1}, %w2: {w2}, %b2: {b2}) -> {y} {{
  %0 = kiln.matmul %x, %w1 : {x}, {w1}
  %1 = kiln.add %0, %b1 : {h}, {b1}
  %2 = kiln.relu %1 : {h}
  %3 = kiln.matmul %2, %w2 : {h}, {w2}
  %4 = kiln.add %3, %b2 : {y}, {b2}
  return %4 : {y}
}}
"""
