"""The lazy trace: ops record without running, materialization compiles once per structure, explain() says why."""
import numpy as np
import pytest

import kiln
from kiln import _trace


@pytest.fixture
def fresh_trace():
    kiln._C._clear_program_cache()
    _trace.reset_stats()
    yield
    kiln.sync()


def test_ops_record_without_running(fresh_trace):
    x = kiln.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    y = (x * 2 + 1).t()
    assert y.shape == (3, 2) and y.dtype is kiln.float32
    assert y._is_pending
    stats = _trace.stats()
    assert stats["materializations"] == 0 and stats["compiles"] == 0
    assert stats["recorded"] >= 2  # mul and add (the constants may be shared nodes)
    np.testing.assert_array_equal(y.numpy(), (np.arange(6).reshape(2, 3) * 2 + 1).T)
    assert not y._is_pending
    assert _trace.stats()["compiles"] == 1


def test_loop_of_identical_steps_compiles_once(fresh_trace):
    rng = np.random.default_rng(0)
    w = kiln.from_numpy(rng.standard_normal((8, 8)).astype(np.float32))
    results = []
    for step in range(6):
        x = kiln.from_numpy(rng.standard_normal((4, 8)).astype(np.float32))  # new data, same shape
        y = kiln.tanh(x @ w + 0.5).sum(1)
        results.append((y.numpy(), x.numpy().copy()))
    stats = _trace.stats()
    assert stats["compiles"] == 1, _trace.explain(file=False)
    assert stats["program_hits"] == 5
    for values, x in results:
        np.testing.assert_allclose(values, np.tanh(x @ w.numpy() + 0.5).sum(1), rtol=1e-5, atol=1e-5)


def test_in_place_state_loop_compiles_once(fresh_trace):
    state = kiln.zeros(16)
    expected = np.zeros(16, np.float32)
    for _ in range(5):
        state.mul_(0.9).add_(1.0)
        expected = expected * np.float32(0.9) + np.float32(1.0)
        total = state.sum().item()
        assert total == pytest.approx(expected.sum(), rel=1e-6)
    # The first step reads a splat, later ones read memory: two structures.
    assert _trace.stats()["compiles"] <= 2, _trace.explain(file=False)


def test_explain_names_the_reason(fresh_trace):
    (kiln.ones(4) + 1).numpy()
    (kiln.ones(8) + 1).numpy()
    (kiln.ones(8, dtype=kiln.float64) + 1).numpy()
    (kiln.ones(8) * 3).numpy()
    (kiln.ones(8) * 4).numpy()  # a Python number is a constant of the program (docs/lazy.md)
    reasons = [e["reason"] for e in _trace.stats()["events"]]
    assert reasons == ["new op sequence", "new shape", "new dtype", "new op sequence", "new constant"]
    text = _trace.explain(file=False)
    assert "5 compiled" in text and "new dtype" in text and "new constant" in text


def test_pending_depth_bound_materializes_long_chains(fresh_trace):
    depth = kiln._C._max_pending_depth()
    kiln._C._set_max_pending_depth(50)
    try:
        x = kiln.zeros(3)
        for _ in range(400):
            x = x + 1
        assert _trace.stats()["materializations"] >= 7
        np.testing.assert_array_equal(x.numpy(), np.full(3, 400, np.float32))
    finally:
        kiln._C._set_max_pending_depth(depth)


def test_live_intermediates_are_computed_with_the_cut(fresh_trace):
    x = kiln.from_numpy(np.arange(4, dtype=np.float32))
    y = x + 1
    z = y * 2
    z.numpy()
    assert not y._is_pending
    np.testing.assert_array_equal(y.numpy(), np.arange(4) + 1)
    assert _trace.stats()["materializations"] == 1


def test_sync_materializes_everything(fresh_trace):
    a, b = kiln.ones(3) * 2, kiln.ones(2) - 5
    kiln.sync()
    assert not a._is_pending and not b._is_pending
    assert _trace.stats()["pending"] == 0
    kiln.sync()  # nothing pending: a no-op


def test_program_text_is_kiln_ir(fresh_trace):
    y = kiln.ones(2, 3).sum(0)
    text = _trace.program_text(y)
    assert '"kiln.reduce"' in text and "func.func @trace" in text


def test_print_materializes():
    y = kiln.ones(2) * 3
    assert "3." in repr(y)
    assert not y._is_pending


def test_bool_and_item_materialize():
    x = kiln.ones(1) * 2
    assert x.item() == 2.0
    assert bool(kiln.ones(1) > 0)


def test_compile_cache_survives_new_tensors_of_other_values(fresh_trace):
    for value in (1.0, 2.0, 3.0):
        t = kiln.from_numpy(np.full(5, value, np.float32))
        assert (t * t).sum().item() == pytest.approx(5 * value * value)
    assert _trace.stats()["compiles"] == 1
