"""Shared helpers of the per-op numerics tests: building Kiln functions, compiling them once, comparing with NumPy."""

import functools

import numpy as np
import pytest

import kiln

# Kiln element type -> (NumPy dtype holding its values, kiln dtype). bf16 travels as float32.
ELEMS = {
    "f32": (np.float32, kiln.float32),
    "f64": (np.float64, kiln.float64),
    "f16": (np.float16, kiln.float16),
    "bf16": (np.float32, kiln.bfloat16),
    "i8": (np.int8, kiln.int8),
    "i32": (np.int32, kiln.int32),
    "i64": (np.int64, kiln.int64),
    "ui8": (np.uint8, kiln.uint8),
    "i1": (np.bool_, kiln.bool),
}
FLOATS = ["f32", "f64", "f16", "bf16"]
INTS = ["i8", "i32", "i64", "ui8"]
# One ulp (relative) of the storage type: what rounding a float64 reference to it may cost.
ULP = {"f32": 2.0**-23, "f64": 2.0**-52, "f16": 2.0**-10, "bf16": 2.0**-7}
# 71,273 elements: above the threshold where loops run OpenMP-parallel.
BIG = (263, 271)
VEC = pytest.mark.parametrize("vectorize", [True, False], ids=["vec", "novec"])


# The scalar (vectorize=False) path differs from the vector path by dtype only in load/store widths, and every
# compile costs time: it runs for f32, i32 and bool; the other dtypes' scalar combinations are not generated.
SCALAR_PATH_FOR_SOME = pytest.mark.prune(
    lambda vectorize, elem=None, src=None, **_: not vectorize and (elem or src) not in ("f32", "i32", "i1"))


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """All compiles of this module go to one private disk cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KILN_CACHE_DIR", str(tmp_path_factory.mktemp("kiln-cache")))
        mp.delenv("KILN_CACHE", raising=False)
        mp.delenv("KILN_DUMP_IR", raising=False)
        yield


def ty(shape, elem):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


class Func:
    """Builds `func.func @f` from argument types, one op per line and the values it returns."""

    def __init__(self, *arg_types):
        self.arg_types = arg_types
        self.args = [f"%a{i}" for i in range(len(arg_types))]
        self.lines, self.results = [], []

    def op(self, text, result_type):
        name = f"%v{len(self.lines)}"
        self.lines.append(f"  {name} = {text}")
        self.results.append((name, result_type))
        return name

    def source(self):
        params = ", ".join(f"{a}: {t}" for a, t in zip(self.args, self.arg_types))
        rtypes = ", ".join(t for _, t in self.results)
        body = "\n".join(self.lines)
        names = ", ".join(n for n, _ in self.results)
        return f"func.func @f({params}) -> ({rtypes}) {{\n{body}\n  return {names} : {rtypes}\n}}\n"


@functools.lru_cache(maxsize=None)
def compiled(source, vectorize=True, parallelize=True, extern_kernels=True):
    return kiln.compiler.compile(source, vectorize=vectorize, parallelize=parallelize, extern_kernels=extern_kernels)


def bf16_round(a):
    """float32 values rounded to the nearest bfloat16 (ties to even), NaN kept."""
    a32 = np.asarray(a, dtype=np.float32)
    bits = a32.view(np.uint32).astype(np.uint64)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return np.where(np.isnan(a32), a32, bits.astype(np.uint32).view(np.float32))


def as_elem(a, elem):
    """`a` converted to the values `elem` can hold (float rounding to nearest even, integer wrap)."""
    if elem == "bf16":
        return bf16_round(a)
    with np.errstate(over="ignore"):  # float64 results beyond f16's range become inf, as in the kernel
        return np.asarray(a).astype(ELEMS[elem][0])


def to_kiln(a, elem):
    if elem == "bf16":
        return kiln.tensor(np.asarray(a, dtype=np.float32), dtype=kiln.bfloat16)
    return kiln.from_numpy(np.require(np.asarray(a, dtype=ELEMS[elem][0]), requirements="C"))


def to_numpy(t):
    if t.dtype is kiln.bfloat16:
        return np.array(t._bfloat16_to_float32().numpy())
    return np.array(t.numpy())


def run(fn, arrays, elems, **options):
    f = compiled(fn.source(), **options)
    return [to_numpy(r) for r in f(*[to_kiln(a, e) for a, e in zip(arrays, elems)])]


def rand(shape, elem, kind="any", seed=0):
    """Random inputs of `elem` (already representable in it). Kinds: any, pos, log1p, nonzero, pow, small."""
    rng = np.random.default_rng(seed)
    if elem == "i1":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if elem in INTS:
        info = np.iinfo(ELEMS[elem][0])
        lo, hi = max(info.min, -100), min(info.max, 100)
        if kind == "pow":
            lo, hi = max(lo, -4), 5
        elif kind == "small":
            lo, hi = max(lo, -10), 11
        a = rng.integers(lo, hi, size=shape).astype(ELEMS[elem][0])
        if kind == "nonzero":
            a[a == 0] = 7
        return a
    if kind == "pos":
        a = rng.uniform(0.05, 8.0, size=shape)
    elif kind == "log1p":
        a = rng.uniform(-0.9, 6.0, size=shape)
    else:
        a = rng.standard_normal(shape) * 3.0
        if kind == "any" and a.ndim and a.size > 4:
            # Exact halves (round's ties), a zero and tiny values (expm1, log1p, sign).
            flat = a.reshape(-1)
            flat[::5] = np.round(flat[::5] * 2) / 2
            flat[1] = 0.0
            flat[3::11] *= 1e-4
    return as_elem(a, elem)


def f64(a):
    return np.asarray(a, dtype=np.float64)


def check(got, ref, elem, rtol=0.0, atol=0.0):
    """`got` (of `elem`) against a float64 or exact reference: exact for integers/bools, within tolerance plus one
    storage ulp for floats."""
    ref = np.asarray(ref)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    if elem not in FLOATS or ref.dtype == np.bool_:
        expected = ref.astype(got.dtype) if ref.dtype != np.bool_ else ref
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        return
    np.testing.assert_allclose(f64(got), f64(as_elem(ref, elem)), rtol=rtol + ULP[elem], atol=atol, equal_nan=True)


def case_id(v):
    """Test ids for shape tuples: (2, 3) -> 2x3."""
    return "x".join(map(str, v)) if isinstance(v, tuple) else str(v)
