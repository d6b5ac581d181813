"""Shared helpers for the kiln pytest suites: dtype tables and random NumPy inputs."""

import numpy as np
import pytest

import kiln

# Every Kiln dtype NumPy can hold, with its NumPy twin.
NUMPY_DTYPES = [
    (kiln.float32, np.float32),
    (kiln.float64, np.float64),
    (kiln.float16, np.float16),
    (kiln.int8, np.int8),
    (kiln.int32, np.int32),
    (kiln.int64, np.int64),
    (kiln.uint8, np.uint8),
    (kiln.bool, np.bool_),
]

SHAPES = [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)]


def random_array(shape, np_dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np_dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(np_dtype, np.integer):
        info = np.iinfo(np_dtype)
        return rng.integers(max(info.min, -100), min(info.max, 100), size=shape, dtype=np_dtype)
    return rng.standard_normal(shape).astype(np_dtype)


def assert_matches(t, expected):
    """Values, shape, dtype and strides (in elements) of tensor `t` equal NumPy's `expected`."""
    got = t.numpy()
    assert got.dtype == expected.dtype
    assert tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(got, expected)
    if expected.size > 1:
        # NumPy strides of size-1 or empty dims are arbitrary; compare the rest.
        for dim, size in enumerate(expected.shape):
            if size > 1:
                assert t.stride(dim) == expected.strides[dim] // expected.itemsize, (dim, t.stride(), expected.strides)


@pytest.fixture(params=NUMPY_DTYPES, ids=lambda p: repr(p[0]))
def dtype_pair(request):
    return request.param


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "prune(predicate): parameter combinations for which predicate(**params) is true are never generated "
        "(a test matrix trimmed to the combinations that add coverage, not skipped tests)")


def pytest_collection_modifyitems(config, items):
    kept = []
    for item in items:
        marker = item.get_closest_marker("prune")
        params = item.callspec.params if hasattr(item, "callspec") else {}
        if marker is None or not marker.args[0](**params):
            kept.append(item)
    items[:] = kept
