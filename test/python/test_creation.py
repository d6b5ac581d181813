"""Creation ops (zeros, full, arange, linspace, logspace, eye, *_like, as_tensor, asarray) and random sampling."""

import math

import numpy as np
import pytest

import kiln
from conftest import NUMPY_DTYPES, random_array

ALL_DTYPES = [k for k, _ in NUMPY_DTYPES] + [kiln.bfloat16]
FLOAT_DTYPES = [kiln.float32, kiln.float64, kiln.float16, kiln.bfloat16]


def values(t):
    """The tensor's values as NumPy (bfloat16 widened to float32)."""
    return (t.float() if t.dtype is kiln.bfloat16 else t).numpy()


def compiles(fn):
    """How many programs the trace handed to the JIT while fn ran."""
    kiln._C._reset_trace_stats()
    fn()
    return kiln._C._trace_stats()["compiles"]


# ----------------------------------------------------------------------------------------------------------------
# zeros / ones / full / empty


@pytest.mark.parametrize(
    "args, kwargs, shape",
    [
        ((2, 3), {}, (2, 3)),
        (((2, 3),), {}, (2, 3)),
        (([4],), {}, (4,)),
        ((kiln.Size([3, 1, 2]),), {}, (3, 1, 2)),
        (((),), {}, ()),
        ((0, 3), {}, (0, 3)),
        ((), {"size": (2, 2)}, (2, 2)),
        ((np.int64(2), 3), {}, (2, 3)),
    ],
)
@pytest.mark.parametrize("op, fill", [("zeros", 0), ("ones", 1)])
def test_zeros_ones_sizes(op, fill, args, kwargs, shape):
    t = getattr(kiln, op)(*args, **kwargs)
    assert t.dtype is kiln.float32
    assert t.shape == shape
    assert t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), np.full(shape, fill, np.float32))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_zeros_ones_empty_dtypes(dtype):
    assert kiln.zeros(2, 3, dtype=dtype).dtype is dtype
    np.testing.assert_array_equal(values(kiln.zeros(2, 3, dtype=dtype)), np.zeros((2, 3)))
    np.testing.assert_array_equal(values(kiln.ones(4, dtype=dtype)), np.ones(4))
    e = kiln.empty(3, 2, dtype=dtype)
    assert e.dtype is dtype and e.shape == (3, 2) and e.is_contiguous()


@pytest.mark.parametrize(
    "fill, dtype",
    [
        (True, kiln.bool),
        (3, kiln.int64),
        (np.int32(3), kiln.int64),
        (2.5, kiln.float32),
        (np.float64(2.5), kiln.float32),
        (kiln.tensor(7), kiln.int64),
        (kiln.tensor(1.25, dtype=kiln.float64), kiln.float32),
    ],
)
def test_full_infers_dtype_from_the_fill_value(fill, dtype):
    t = kiln.full((2, 3), fill)
    assert t.dtype is dtype
    expected = fill.item() if isinstance(fill, kiln.Tensor) else fill
    np.testing.assert_array_equal(t.numpy(), np.full((2, 3), expected))


def test_full_with_dtype_converts_the_value():
    assert kiln.full([3], 2.7, dtype=kiln.int32).tolist() == [2, 2, 2]
    assert kiln.full([2], 1, dtype=kiln.float64).tolist() == [1.0, 1.0]
    assert kiln.full([2], 0.0, dtype=kiln.bool).tolist() == [False, False]
    assert kiln.full((), -1.5).shape == ()


SOURCES = [
    lambda: kiln.tensor(random_array((3, 4), np.float64)),
    lambda: kiln.tensor(random_array((4, 3), np.int32)).t(),
    lambda: (kiln.tensor(random_array((4, 6), np.float32)) + 1).t().narrow(0, 1, 3),
    lambda: kiln.tensor(True),
]


@pytest.mark.parametrize("make", SOURCES)
def test_like_ops_keep_shape_and_dtype(make):
    x = make()
    for op, fill in (("zeros_like", 0), ("ones_like", 1)):
        t = getattr(kiln, op)(x)
        assert t.shape == x.shape and t.dtype is x.dtype and t.is_contiguous()
        np.testing.assert_array_equal(t.numpy(), np.full(tuple(x.shape), fill, t.numpy().dtype))
    t = kiln.full_like(x, 3)
    assert t.dtype is x.dtype
    np.testing.assert_array_equal(t.numpy(), np.full(tuple(x.shape), 3).astype(t.numpy().dtype))
    e = kiln.empty_like(x)
    assert e.shape == x.shape and e.dtype is x.dtype
    t = kiln.zeros_like(x, dtype=kiln.float16)
    assert t.dtype is kiln.float16 and t.shape == x.shape


def test_full_like_truncates_into_an_integer_dtype():
    x = kiln.tensor([1, 2, 3])
    assert kiln.full_like(x, 2.7).tolist() == [2, 2, 2]
    assert kiln.full_like(x, 2.7, dtype=kiln.float64).tolist() == [2.7, 2.7, 2.7]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: kiln.zeros(2, -1), RuntimeError, r"zeros\(\): Trying to create tensor with negative dimension -1"),
        (lambda: kiln.ones((-3,)), RuntimeError, r"ones\(\): Trying to create tensor with negative dimension"),
        (lambda: kiln.empty(-1), RuntimeError, r"empty\(\): Trying to create tensor with negative dimension"),
        (lambda: kiln.full((2, -2), 1.0), RuntimeError, r"full\(\): Trying to create tensor with negative"),
        (
            lambda: kiln.zeros(2.5),
            TypeError,
            r"zeros\(\): argument 'size' must be tuple of ints, but found element of type float at pos 0",
        ),
        (lambda: kiln.zeros((2, True)), TypeError, r"zeros\(\): argument 'size' must be tuple of ints"),
        (lambda: kiln.zeros("ab"), TypeError, r"zeros\(\): argument 'size' must be tuple of ints"),
        (lambda: kiln.zeros(), TypeError, r"zeros\(\): missing required argument 'size'"),
        (lambda: kiln.zeros(2, dtype="float32"), TypeError, r"zeros\(\): argument 'dtype' must be kiln.dtype, not str"),
        (lambda: kiln.ones(2, dtype=np.float32), TypeError, r"ones\(\): argument 'dtype' must be kiln.dtype"),
        (lambda: kiln.full(3, 1.0), TypeError, r"full\(\): argument 'size' must be tuple of ints, but got int"),
        (lambda: kiln.full((2,), "x"), TypeError, r"full\(\): argument 'fill_value' must be Number, not str"),
        (lambda: kiln.full((2,), kiln.ones(2)), RuntimeError, r"full\(\): argument 'fill_value' must be a number"),
        (lambda: kiln.full((2,), 300, dtype=kiln.uint8), RuntimeError, r"full\(\): value cannot be converted"),
        (lambda: kiln.zeros(2, device="cuda"), NotImplementedError, r"zeros\(\): tensors on device 'cuda'"),
        (lambda: kiln.ones(2, device="tpu"), ValueError, r"device"),
        (lambda: kiln.zeros(2, dtype=kiln.int64, requires_grad=True), RuntimeError, r"floating point dtype"),
        (lambda: kiln.zeros_like([1, 2]), TypeError, r"zeros_like\(\): argument 'input' must be Tensor, not list"),
        (lambda: kiln.arange(3, requires_grad=True), RuntimeError, r"floating point dtype"),
        (lambda: kiln.tensor([1.0], device="cuda"), NotImplementedError, r"tensor\(\): tensors on device 'cuda'"),
    ],
)
def test_constant_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_tensor_accepts_requires_grad_false():
    t = kiln.tensor([1.0, 2.0], dtype=kiln.float64, device="cpu", requires_grad=False)
    assert t.dtype is kiln.float64 and t.tolist() == [1.0, 2.0]
    assert kiln.empty((2,), dtype=kiln.int8, device=kiln.device("cpu")).dtype is kiln.int8


# ----------------------------------------------------------------------------------------------------------------
# as_tensor / asarray


@pytest.mark.parametrize("kdtype, np_dtype", NUMPY_DTYPES)
def test_as_tensor_shares_numpy_memory(kdtype, np_dtype):
    a = random_array((3, 4), np_dtype)
    t = kiln.as_tensor(a)
    assert t.dtype is kdtype
    a[1, 2] = a[0, 0]
    np.testing.assert_array_equal(t.numpy(), a)
    assert np.shares_memory(t.numpy(), a)


def test_as_tensor_copies_when_it_must():
    a = np.arange(6, dtype=np.float64)
    converted = kiln.as_tensor(a, dtype=kiln.float32)
    assert converted.dtype is kiln.float32 and not np.shares_memory(converted.numpy(), a)
    reversed_view = kiln.as_tensor(a[::-1])
    np.testing.assert_array_equal(reversed_view.numpy(), a[::-1])
    assert kiln.as_tensor([1, 2]).dtype is kiln.int64
    x = kiln.tensor([1.0, 2.0])
    assert kiln.as_tensor(x) is x
    assert kiln.as_tensor(x, dtype=kiln.float32) is x
    assert kiln.as_tensor(x, dtype=kiln.int32).tolist() == [1, 2]


def test_asarray_copy_modes():
    a = np.arange(4, dtype=np.int32)
    shared = kiln.asarray(a)
    copied = kiln.asarray(a, copy=True)
    a[0] = 99
    assert shared.tolist()[0] == 99 and copied.tolist()[0] == 0
    x = kiln.tensor([1.5, 2.5])
    assert kiln.asarray(x) is x
    clone = kiln.asarray(x, copy=True)
    assert clone is not x and clone.tolist() == x.tolist()
    assert kiln.asarray(x, dtype=kiln.int64).tolist() == [1, 2]
    assert kiln.asarray([[1, 2]], dtype=kiln.float64).dtype is kiln.float64
    with pytest.raises(ValueError, match=r"asarray\(\): converting"):
        kiln.asarray(x, dtype=kiln.int64, copy=False)
    with pytest.raises(ValueError, match=r"asarray\(\): can't share"):
        kiln.asarray([1, 2], copy=False)
    with pytest.raises(ValueError, match=r"asarray\(\): can't share"):
        kiln.asarray(np.arange(3.0), dtype=kiln.float32, copy=False)


# ----------------------------------------------------------------------------------------------------------------
# arange


def arange_reference(start, end, step, np_dtype):
    """PyTorch's arange: n = ceil((end - start) / step); value i = start + i * step in double, then cast."""
    n = math.ceil((end - start) / step)
    if np.issubdtype(np_dtype, np.integer):
        return (np.int64(start) + np.arange(n, dtype=np.int64) * np.int64(step)).astype(np_dtype)
    return (np.float64(start) + np.arange(n, dtype=np.float64) * np.float64(step)).astype(np_dtype)


@pytest.mark.parametrize(
    "args, dtype",
    [
        ((5,), kiln.int64),
        ((0,), kiln.int64),
        ((1, 10, 3), kiln.int64),
        ((10, 0, -3), kiln.int64),
        ((-7, 7, 2), kiln.int64),
        ((2**40, 2**40 + 5), kiln.int64),
        ((0, 1, 0.1), kiln.float32),
        ((1.0, 2.0, 0.1), kiln.float32),
        ((-1.5, 2.5, 0.5), kiln.float32),
        ((5.0,), kiln.float32),
        ((3, 0.5, -0.25), kiln.float32),
        ((0, 2, np.float64(0.3)), kiln.float32),
    ],
)
def test_arange_values_and_inferred_dtype(args, dtype):
    t = kiln.arange(*args)
    assert t.dtype is dtype
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    expected = arange_reference(start, end, step, t.numpy().dtype)
    np.testing.assert_array_equal(t.numpy(), expected)
    assert t.shape == (len(np.arange(start, end, step)),)


@pytest.mark.parametrize("dtype", [kiln.float64, kiln.float16, kiln.bfloat16, kiln.int32, kiln.int8, kiln.uint8])
def test_arange_with_dtype(dtype):
    t = kiln.arange(0, 20, 3, dtype=dtype)
    assert t.dtype is dtype
    np.testing.assert_array_equal(values(t), np.arange(0, 20, 3))
    f = kiln.arange(-1.0, 1.0, 0.125, dtype=kiln.float64)
    np.testing.assert_array_equal(f.numpy(), -1.0 + np.arange(16) * 0.125)


def test_arange_integer_dtype_truncates_the_bounds():
    # PyTorch computes an int64 arange from the truncated bounds, and sizes it from them.
    assert kiln.arange(0.5, 4.9, 1, dtype=kiln.int64).tolist() == [0, 1, 2, 3]
    assert kiln.arange(0, 5.5, dtype=kiln.int32).tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(RuntimeError, match=r"arange\(\): step must be nonzero"):
        kiln.arange(0, 5, 0.5, dtype=kiln.int64)


def test_arange_is_keyed_by_shape_not_by_its_bounds():
    kiln.arange(3, 13).tolist()
    kiln.arange(0.5, 2.0, 0.25).tolist()
    assert compiles(lambda: kiln.arange(7, 17).tolist()) == 0
    assert compiles(lambda: kiln.arange(-4.0, 2.0, 1.0).tolist()) == 0
    assert kiln.arange(7, 17).tolist() == list(range(7, 17))


def test_arange_keywords_and_tensor_bounds():
    assert kiln.arange(end=4).tolist() == [0, 1, 2, 3]
    assert kiln.arange(start=2, end=8, step=2).tolist() == [2, 4, 6]
    assert kiln.arange(kiln.tensor(3)).tolist() == [0, 1, 2]
    long = kiln.arange(100_000)
    assert long.numpy()[-1] == 99_999 and long.numpy().sum() == sum(range(100_000))


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((0, 5, 0), {}, r"arange\(\): step must be nonzero"),
        ((0, 5, -1), {}, r"arange\(\): upper bound and larger bound inconsistent with step sign"),
        ((5, 0), {}, r"arange\(\): upper bound and larger bound inconsistent"),
        ((0, math.inf), {}, r"arange\(\): unsupported range"),
        ((math.nan,), {}, r"arange\(\): unsupported range"),
        ((5,), {"dtype": kiln.bool}, r"arange\(\): \"arange_cpu\" not implemented for 'Bool'"),
    ],
)
def test_arange_errors(args, kwargs, match):
    with pytest.raises(RuntimeError, match=match):
        kiln.arange(*args, **kwargs)


def test_arange_type_errors():
    with pytest.raises(TypeError, match=r"arange\(\): argument 'end' must be Number, not str"):
        kiln.arange("5")
    with pytest.raises(TypeError, match=r"arange\(\): argument 'dtype' must be kiln.dtype"):
        kiln.arange(5, dtype=int)


# ----------------------------------------------------------------------------------------------------------------
# linspace / logspace / eye


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-3.5, 7.25, 11), (10, -10, 7), (0, 1, 1000), (2, 2, 4)])
def test_linspace_matches_numpy(start, end, steps):
    t64 = kiln.linspace(start, end, steps, dtype=kiln.float64)
    expected = np.linspace(start, end, steps)
    np.testing.assert_allclose(t64.numpy(), expected, rtol=1e-15, atol=1e-15)
    assert t64.numpy()[0] == start and t64.numpy()[-1] == end
    t32 = kiln.linspace(start, end, steps)
    assert t32.dtype is kiln.float32
    # Computed in double and rounded once: within one float32 ulp of NumPy's value, exact at both ends.
    np.testing.assert_allclose(t32.numpy(), expected.astype(np.float32), rtol=2**-23, atol=1e-30)
    assert t32.numpy()[0] == np.float32(start) and t32.numpy()[-1] == np.float32(end)


def test_linspace_is_symmetric_and_keyed_by_shape():
    t = kiln.linspace(-1, 1, 9, dtype=kiln.float64).numpy()
    np.testing.assert_array_equal(t, -t[::-1])
    kiln.linspace(0, 1, 13).tolist()
    assert compiles(lambda: kiln.linspace(-4, 9.5, 13).tolist()) == 0


def test_linspace_edge_cases_and_dtypes():
    assert kiln.linspace(0, 1, 0).shape == (0,)
    assert kiln.linspace(3.5, 9, 1).tolist() == [3.5]
    assert kiln.linspace(0, 10, 4, dtype=kiln.int64).tolist() == [0, 3, 6, 10]
    assert kiln.linspace(kiln.tensor(0.0), kiln.tensor(1.0), 3).tolist() == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(values(kiln.linspace(0, 1, 5, dtype=kiln.bfloat16)), [0, 0.25, 0.5, 0.75, 1])
    with pytest.raises(RuntimeError, match=r"linspace\(\): number of steps must be non-negative"):
        kiln.linspace(0, 1, -1)
    with pytest.raises(TypeError, match=r"linspace\(\): argument 'steps' must be int, not float"):
        kiln.linspace(0, 1, 2.0)


@pytest.mark.parametrize("start, end, steps, base", [(0, 3, 4, 10.0), (-2, 2, 9, 2.0), (1, 0, 5, 3)])
def test_logspace_matches_numpy(start, end, steps, base):
    t = kiln.logspace(start, end, steps, base, dtype=kiln.float64)
    np.testing.assert_allclose(t.numpy(), np.logspace(start, end, steps, base=base), rtol=1e-14)
    assert kiln.logspace(start, end, steps, base=base).dtype is kiln.float32
    assert kiln.logspace(0, 2, 3, dtype=kiln.int64).tolist() == [1, 10, 100]


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (1, 0)])
@pytest.mark.parametrize("dtype", [None, kiln.int32, kiln.bool, kiln.float64])
def test_eye_matches_numpy(args, dtype):
    t = kiln.eye(*args, dtype=dtype)
    assert t.dtype is (dtype or kiln.float32)
    np.testing.assert_array_equal(t.numpy(), np.eye(*args).astype(t.numpy().dtype))


def test_eye_errors():
    with pytest.raises(RuntimeError, match=r"eye\(\): n must be greater or equal to 0, got -1"):
        kiln.eye(-1)
    with pytest.raises(RuntimeError, match=r"eye\(\): m must be greater or equal to 0, got -2"):
        kiln.eye(2, -2)
    with pytest.raises(TypeError, match=r"eye\(\): argument 'n' must be int"):
        kiln.eye(2.0)


# ----------------------------------------------------------------------------------------------------------------
# Random sampling


def test_manual_seed_reproduces_every_sampler():
    def draw():
        return [
            kiln.rand(5).numpy(),
            kiln.randn(2, 3, dtype=kiln.float64).numpy(),
            kiln.randint(0, 100, (7,)).numpy(),
            kiln.randperm(9).numpy(),
            kiln.normal(2.0, 3.0, (4,)).numpy(),
            kiln.bernoulli(kiln.full((8,), 0.5)).numpy(),
        ]

    kiln.manual_seed(1234)
    first = draw()
    kiln.manual_seed(1234)
    second = draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert kiln.initial_seed() == 1234
    assert not np.array_equal(kiln.rand(5).numpy(), first[0])


def test_seed_and_negative_seeds():
    s = kiln.seed()
    assert isinstance(s, int) and 0 <= s < 2**64 and kiln.initial_seed() == s
    kiln.manual_seed(-1)
    assert kiln.initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError, match=r"manual_seed\(\): seed must be within"):
        kiln.manual_seed(2**64)
    with pytest.raises(TypeError, match=r"manual_seed\(\): argument 'seed' must be int"):
        kiln.manual_seed(1.5)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_rand_is_uniform_on_unit_interval(dtype):
    kiln.manual_seed(0)
    t = kiln.rand(200, 500, dtype=dtype)
    assert t.dtype is dtype and t.shape == (200, 500)
    v = values(t).astype(np.float64)
    assert v.min() >= 0.0 and v.max() < 1.0
    assert abs(v.mean() - 0.5) < 0.01 and abs(v.var() - 1 / 12) < 0.005


@pytest.mark.parametrize("dtype", [kiln.float32, kiln.float64, kiln.bfloat16])
def test_randn_moments(dtype):
    kiln.manual_seed(1)
    v = values(kiln.randn(100_000, dtype=dtype)).astype(np.float64)
    assert abs(v.mean()) < 0.02 and abs(v.std() - 1.0) < 0.02
    assert abs(((v - v.mean()) ** 3).mean()) < 0.05  # symmetric


@pytest.mark.parametrize(
    "args, kwargs, low, high",
    [
        ((10, (1000,)), {}, 0, 10),
        ((-5, 5, (20, 50)), {}, -5, 5),
        ((3, 4), {"size": (100,)}, 3, 4),
        ((2**40, 2**40 + 3, (500,)), {}, 2**40, 2**40 + 3),
        ((0, 256, (2000,)), {"dtype": kiln.uint8}, 0, 256),
        ((-3, 3, (500,)), {"dtype": kiln.float32}, -3, 3),
        ((), {"high": 6, "size": (300,)}, 0, 6),
    ],
)
def test_randint_bounds(args, kwargs, low, high):
    t = kiln.randint(*args, **kwargs)
    assert t.dtype is kwargs.get("dtype", kiln.int64)
    v = t.numpy()
    assert v.min() >= low and v.max() < high
    if high - low <= 10 and v.size >= 300:
        assert set(np.unique(v).tolist()) == set(range(low, high))


@pytest.mark.parametrize("n", [0, 1, 2, 17, 1000])
def test_randperm_is_a_permutation(n):
    for dtype in (kiln.int64, kiln.int32, kiln.float32):
        t = kiln.randperm(n, dtype=dtype)
        assert t.dtype is dtype and t.shape == (n,)
        np.testing.assert_array_equal(np.sort(t.numpy()), np.arange(n))


def test_normal_forms():
    mean = kiln.tensor([[0.0, 10.0, -5.0]])
    std = kiln.tensor([[0.0], [0.0]], dtype=kiln.float32)
    # std 0 makes every form exact: mean * 1 + noise * 0.
    both = kiln.normal(mean, std)
    assert both.shape == (2, 3) and both.dtype is kiln.float32
    np.testing.assert_array_equal(both.numpy(), np.broadcast_to(mean.numpy(), (2, 3)))
    np.testing.assert_array_equal(kiln.normal(mean, 0.0).numpy(), mean.numpy())
    assert kiln.normal(1.5, kiln.zeros(4, dtype=kiln.float64)).tolist() == [1.5] * 4
    assert kiln.normal(1.5, kiln.zeros(4, dtype=kiln.float64)).dtype is kiln.float64
    kiln.manual_seed(3)
    many = kiln.normal(kiln.full((100_000,), 4.0), kiln.full((100_000,), 2.0)).numpy()
    assert abs(many.mean() - 4.0) < 0.03 and abs(many.std() - 2.0) < 0.03
    sized = kiln.normal(-1.0, 0.5, (50_000,), dtype=kiln.float64).numpy()
    assert abs(sized.mean() + 1.0) < 0.01 and abs(sized.std() - 0.5) < 0.01


def test_bernoulli():
    p = kiln.tensor([0.0, 1.0, 0.0, 1.0], dtype=kiln.float64)
    assert kiln.bernoulli(p).tolist() == [0.0, 1.0, 0.0, 1.0]
    assert kiln.bernoulli(p).dtype is kiln.float64
    assert p.bernoulli().tolist() == [0.0, 1.0, 0.0, 1.0]
    kiln.manual_seed(5)
    v = kiln.bernoulli(kiln.full((100_000,), 0.3)).numpy()
    assert set(np.unique(v).tolist()) <= {0.0, 1.0} and abs(v.mean() - 0.3) < 0.01
    ints = kiln.bernoulli(kiln.zeros(1000, dtype=kiln.int32), 0.25)
    assert ints.dtype is kiln.int32 and abs(ints.numpy().mean() - 0.25) < 0.05
    assert kiln.bernoulli(kiln.zeros(3), 1.0).tolist() == [1.0, 1.0, 1.0]


def test_like_samplers():
    x = kiln.zeros(30, 40, dtype=kiln.float64)
    for op in (kiln.rand_like, kiln.randn_like):
        t = op(x)
        assert t.shape == x.shape and t.dtype is kiln.float64
    assert kiln.rand_like(x, dtype=kiln.float16).dtype is kiln.float16
    r = kiln.randint_like(x, 5)
    assert r.dtype is kiln.float64 and r.numpy().min() >= 0 and r.numpy().max() <= 4
    r = kiln.randint_like(kiln.zeros(500, dtype=kiln.int8), -3, 3)
    assert r.dtype is kiln.int8 and r.numpy().min() >= -3 and r.numpy().max() <= 2
    assert kiln.randint_like(x, 1, 2, dtype=kiln.int64).numpy().tolist() == np.ones((30, 40), np.int64).tolist()


def test_in_place_samplers():
    kiln.manual_seed(7)
    x = kiln.zeros(200, 100)
    assert x.uniform_(-2, 3) is x
    v = x.numpy()
    assert v.min() >= -2 and v.max() < 3 and v.std() > 1
    x.uniform_(**{"from": 5, "to": 6})
    assert x.numpy().min() >= 5 and x.numpy().max() < 6
    x.normal_(10.0, 0.5)
    assert abs(x.numpy().mean() - 10.0) < 0.05
    i = kiln.zeros(1000, dtype=kiln.int64)
    i.random_(3)
    assert set(np.unique(i.numpy()).tolist()) == {0, 1, 2}
    i.random_(10, 12)
    assert set(np.unique(i.numpy()).tolist()) == {10, 11}
    u = kiln.zeros(1000, dtype=kiln.uint8).random_()
    assert u.numpy().max() > 200
    f = kiln.zeros(1000, dtype=kiln.float16).random_()
    assert f.numpy().min() >= 0 and f.numpy().max() <= 2**11 and np.all(f.numpy() == np.round(f.numpy()))
    b = kiln.zeros(1000).bernoulli_(0.5)
    assert set(np.unique(b.numpy()).tolist()) == {0.0, 1.0}
    b.bernoulli_(kiln.tensor([0.0, 1.0]).expand(500, 2).reshape(1000))
    assert b.numpy().tolist() == [0.0, 1.0] * 500


def test_in_place_samplers_write_through_views():
    kiln.manual_seed(8)
    x = kiln.zeros(4, 6)
    column = x.select(1, 2)
    column.uniform_(1, 2)
    v = x.numpy()
    assert np.all((v[:, 2] >= 1) & (v[:, 2] < 2))
    v2 = v.copy()
    v2[:, 2] = 0
    assert not v2.any()
    (x.t()).normal_(0, 0)
    assert not x.numpy().any()


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: kiln.rand(3, dtype=kiln.int64), RuntimeError, r"rand\(\): expected a floating-point dtype"),
        (lambda: kiln.randn(3, dtype=kiln.bool), RuntimeError, r"randn\(\): expected a floating-point dtype"),
        (lambda: kiln.rand(2, -1), RuntimeError, r"rand\(\): Trying to create tensor with negative dimension -1"),
        (lambda: kiln.randn((-2,)), RuntimeError, r"randn\(\): Trying to create tensor with negative dimension"),
        (lambda: kiln.rand(3, dtype="float"), TypeError, r"rand\(\): argument 'dtype' must be kiln.dtype"),
        (
            lambda: kiln.randint(5, 5, (3,)),
            RuntimeError,
            r"randint\(\): random_ expects 'from' to be less than 'to', but got from=5 >= to=5",
        ),
        (lambda: kiln.randint(7, 2, (3,)), RuntimeError, r"randint\(\): random_ expects 'from' to be less than 'to'"),
        (lambda: kiln.randint(0, (3,)), RuntimeError, r"randint\(\): random_ expects 'from'"),
        (lambda: kiln.randint(10, 5), TypeError, r"randint\(\): argument 'size' must be tuple of ints, but got int"),
        (lambda: kiln.normal(0.0, 1.0, 4), TypeError, r"normal\(\): argument 'size' must be tuple of ints"),
        (lambda: kiln.randint(5), TypeError, r"randint\(\): missing required argument 'size'"),
        (lambda: kiln.randint(0, 2.5, (3,)), TypeError, r"randint\(\): argument 'high' must be int, not float"),
        (lambda: kiln.randint(0, 300, (3,), dtype=kiln.uint8), RuntimeError, r"randint\(\): to - 1 is out of bounds for"),
        (lambda: kiln.randint(0, 5, (-1,)), RuntimeError, r"randint\(\): Trying to create tensor with negative dimension"),
        (lambda: kiln.randperm(-1), RuntimeError, r"randperm\(\): n must be non-negative, got -1"),
        (lambda: kiln.randperm(3, dtype=kiln.bool), RuntimeError, r"randperm\(\)"),
        (lambda: kiln.normal(0.0, -1.0, (3,)), RuntimeError, r"normal\(\): normal expects std >= 0.0"),
        (lambda: kiln.normal(kiln.zeros(2), -1.0), RuntimeError, r"normal\(\): normal expects std >= 0.0"),
        (lambda: kiln.normal(0.0, 1.0), TypeError, r"normal\(\): missing required argument 'size'"),
        (lambda: kiln.normal(kiln.zeros(2, dtype=kiln.int64), 1.0), RuntimeError, r"normal\(\): expected a floating-point"),
        (lambda: kiln.normal(kiln.zeros(2), kiln.ones(3)), RuntimeError, r"normal"),
        (
            lambda: kiln.bernoulli(kiln.zeros(2), 1.5),
            RuntimeError,
            r"bernoulli\(\): bernoulli_ expects p to be in \[0, 1\], but got p=1.5",
        ),
        (lambda: kiln.bernoulli(kiln.zeros(2, dtype=kiln.int64)), RuntimeError, r"bernoulli\(\): expected a floating-point"),
        (lambda: kiln.zeros(2, dtype=kiln.int32).uniform_(), RuntimeError, r"uniform_\(\): expected a floating-point"),
        (lambda: kiln.zeros(2).normal_(0, -1), RuntimeError, r"normal_\(\): normal expects std >= 0.0"),
        (lambda: kiln.zeros(2).random_(3, 3), RuntimeError, r"random_\(\): random_ expects 'from' to be less than 'to'"),
        (lambda: kiln.rand(3, generator=object()), NotImplementedError, r"rand\(\): generator= is not supported"),
        (lambda: kiln.randn(3, device="cuda:0"), NotImplementedError, r"randn\(\): tensors on device 'cuda:0'"),
        (lambda: kiln.rand_like([1.0]), TypeError, r"rand_like\(\): argument 'input' must be Tensor"),
        (lambda: kiln.rand_like(kiln.zeros(2, dtype=kiln.int32)), RuntimeError, r"rand_like\(\): expected a floating-point"),
    ],
)
def test_random_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "make",
    [
        lambda: kiln.zeros(2, 3, requires_grad=True),
        lambda: kiln.ones((2, 3), requires_grad=True),
        lambda: kiln.full((2, 3), 1.5, requires_grad=True),
        lambda: kiln.tensor([[1.0, 2.0, 3.0]] * 2, requires_grad=True),
        lambda: kiln.randn(2, 3, requires_grad=True),
        lambda: kiln.rand(2, 3, dtype=kiln.float64, requires_grad=True),
        lambda: kiln.zeros_like(kiln.ones(2, 3), requires_grad=True),
        lambda: kiln.linspace(0, 1, 6, requires_grad=True),
    ],
)
def test_requires_grad_keyword_makes_leaves(make):
    x = make()
    assert x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
