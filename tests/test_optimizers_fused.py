"""The fused (numba) optimizer updates give the NumPy updates' numbers, bit for bit."""

import numpy as np
import pytest

from kerasnp.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    fused,
)
from kerasnp.variables import Variable


@pytest.fixture
def numba_loops(compiled):
    """The fused loops must be available here; in CI numba's absence fails."""
    compiled(fused._loaded() or None, "the fused optimizer loops")


@pytest.fixture
def numpy_only(monkeypatch):
    """Within the test, `fused.run` declines and the NumPy lines run."""
    monkeypatch.setattr(fused, "_compiled", {})


CASES = {
    "adam": lambda: Adam(learning_rate=0.01),
    "adam-amsgrad": lambda: Adam(learning_rate=0.01, amsgrad=True, beta_2=0.9),
    "adamw": lambda: AdamW(learning_rate=0.01, weight_decay=0.1),
    "adam-clipnorm": lambda: Adam(learning_rate=0.003, clipnorm=0.5),
    "rmsprop": lambda: RMSprop(),
    "rmsprop-centered-momentum": lambda: RMSprop(0.01, momentum=0.9, centered=True),
    "rmsprop-momentum": lambda: RMSprop(0.01, momentum=0.5),
    "sgd": lambda: SGD(0.1),
    "sgd-momentum": lambda: SGD(0.1, momentum=0.9),
    "sgd-nesterov": lambda: SGD(0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda: Adagrad(0.1),
    "adadelta": lambda: Adadelta(1.0, rho=0.9),
    "nadam": lambda: Nadam(0.01),
    "adamax": lambda: Adamax(0.01),
}


def _train(make, dtype, steps=25, big=False):
    """Weights and optimizer state after `steps` updates from noisy gradients."""
    rng = np.random.default_rng(3)
    shapes = [(300, 700), (700,)] if big else [(13, 7), (7,), ()]
    variables = [Variable(rng.standard_normal(s).astype(dtype), f"w{i}")
                 for i, s in enumerate(shapes)]
    opt = make()
    for _ in range(steps):
        grads = [(rng.standard_normal(s) * rng.choice([1e-4, 1.0, 30.0])).astype(dtype)
                 for s in shapes]
        opt.apply(grads, variables)
    return [v.value.copy() for v in variables] + [s.value.copy() for s in opt.variables]


def _same(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b, strict=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_equals_numpy_bit_for_bit(numba_loops, monkeypatch, case, dtype):
    with_loops = _train(CASES[case], dtype)
    monkeypatch.setattr(fused, "_compiled", {})
    _same(with_loops, _train(CASES[case], dtype))


@pytest.mark.parametrize("case", ["adam", "rmsprop-momentum"])
def test_fused_equals_numpy_on_variables_updated_in_halves(numba_loops, monkeypatch, case):
    # 210k elements: kerasnp's loops update these in two halves on two threads
    from kerasnp import _blas

    monkeypatch.setattr(_blas, "single_threaded", True)
    with_loops = _train(CASES[case], "float32", steps=4, big=True)
    monkeypatch.setattr(fused, "_compiled", {})
    _same(with_loops, _train(CASES[case], "float32", steps=4, big=True))


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_case_runs_its_loop(numba_loops, monkeypatch, case):
    calls = []
    real_run = fused.run

    def counting(name, arrays, scalars, views=None):
        done = real_run(name, arrays, scalars, views)
        calls.append((name, done))
        return done

    monkeypatch.setattr(fused, "run", counting)
    w = Variable(np.ones((4, 3), "float32"), "w")
    CASES[case]().apply([np.full((4, 3), 0.5, "float32")], [w])
    assert calls == [(case.split("-")[0].replace("adamw", "adam"), True)]


def test_a_loop_declines_mixed_dtypes_and_numpy_takes_over(numba_loops):
    w = Variable(np.ones(4, "float32"), "w")
    assert not fused.run("sgd", (np.ones(4), w.value, None), (0.1, 0.0, False))
    assert not fused.run("sgd", (np.ones(8, "float32")[::2], w.value, None), (0.1, 0.0, False))
    np.testing.assert_array_equal(w.value, 1.0)
    SGD(0.5).apply([np.ones(4)], [w])  # float64 gradient: the NumPy lines
    np.testing.assert_array_equal(w.value, 0.5)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_values_propagate_as_in_numpy(numba_loops, monkeypatch):
    def run(make):
        w = Variable(np.array([1.0, 2.0, 3.0], "float32"), "w")
        opt = make()
        opt.apply([np.array([np.nan, np.inf, 0.0], "float32")], [w])
        opt.apply([np.array([1.0, 0.0, 0.0], "float32")], [w])
        return [w.value.copy()] + [s.value.copy() for s in opt.variables]

    makes = [lambda: Adam(amsgrad=True), Adamax, RMSprop, Nadam]
    with_loops = [run(make) for make in makes]
    monkeypatch.setattr(fused, "_compiled", {})
    for loops, make in zip(with_loops, makes, strict=True):
        _same(loops, run(make))
        assert np.isnan(loops[0][:2]).all() and loops[0][2] == 3.0


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("KERASNP_FUSED", "0")
    monkeypatch.setattr(fused, "_compiled", None)
    assert not fused.available()
    assert not fused.run("sgd", (np.ones(2, "float32"), np.ones(2, "float32"), None),
                         (0.1, 0.0, False))


def test_an_update_after_the_arrays_changed_checks_them_again(numba_loops):
    """`run` remembers checked views per gradient array; other arrays with
    that gradient (or ones of another dtype) are checked again."""
    views = {}
    g = np.full(6, 0.5, "float32")
    w, velocity = np.ones(6, "float32"), np.zeros(6, "float32")
    assert fused.run("sgd", (g, w, velocity), (0.1, 0.9, False), views)
    assert len(views) == 1
    assert fused.run("sgd", (g, w, velocity), (0.1, 0.9, False), views)
    other = np.ones(6, "float64")
    assert not fused.run("sgd", (g, other, None), (0.1, 0.0, False), views)  # mixed dtypes
    assert other.tolist() == [1.0] * 6
    w2 = np.ones(6, "float32")
    assert fused.run("sgd", (g, w2, None), (0.1, 0.0, False), views)
    np.testing.assert_array_equal(w2, np.float32(1.0) - np.float32(0.5) * np.float32(0.1))
