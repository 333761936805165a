"""The fused (numba) optimizer updates give the NumPy updates' numbers, bit for bit."""

import numpy as np
import pytest

from kerasnp import _spinning
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
from kerasnp.optimizers.schedules import ExponentialDecay
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
    "rmsprop-schedule": lambda: RMSprop(ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5)),
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


TOGETHER = ["adam", "adam-amsgrad", "adamw", "adam-clipnorm", "rmsprop",
            "rmsprop-centered-momentum", "rmsprop-momentum", "rmsprop-schedule"]


_SPECIALS = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45]


def _train_in_buffers(make, dtype, shapes, steps=6):
    """`_train`, with each step's gradients written into the same arrays (as
    `fit` does), so the optimizer may update all the variables together; a
    few weights and gradients are NaN, infinite, signed zeros or tiny."""
    rng = np.random.default_rng(4)
    variables = [Variable(rng.standard_normal(s).astype(dtype), f"w{i}")
                 for i, s in enumerate(shapes)]
    variables[0].value.flat[:8] = _SPECIALS
    grads = [np.empty(s, dtype) for s in shapes]
    opt = make()
    for _ in range(steps):
        for g in grads:
            g[...] = rng.standard_normal(g.shape) * rng.choice([1e-4, 1.0, 30.0])
        grads[0].flat[-8:] = _SPECIALS
        with np.errstate(all="ignore"):
            opt.apply(grads, variables)
    return [v.value.copy() for v in variables] + [s.value.copy() for s in opt.variables]


def _same_bytes(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _counting_together(monkeypatch):
    done = []
    real = fused.run_together

    def counting(name, rows, scalars, memo):
        done.append(real(name, rows, scalars, memo))
        return done[-1]

    monkeypatch.setattr(fused, "run_together", counting)
    return done


@pytest.mark.parametrize("single_threaded", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", TOGETHER)
def test_variables_updated_together_equal_numpy_bit_for_bit(numba_loops, monkeypatch, case,
                                                            dtype, single_threaded):
    # 90k elements in all: on one BLAS thread, the helper updates the second half
    from kerasnp import _blas

    monkeypatch.setattr(_blas, "single_threaded", single_threaded)
    shapes = [(300, 290), (290,), (13, 7), (7,), ()]
    done = _counting_together(monkeypatch)
    helped = []
    spinner = _spinning.spinner()
    if single_threaded and spinner is not None:
        real_call = spinner.call
        monkeypatch.setattr(spinner, "_skip", 0)
        monkeypatch.setattr(spinner, "call", lambda *a: helped.append(real_call(*a)) or helped[-1])
    together = _train_in_buffers(CASES[case], dtype, shapes)
    if "clip" not in case:  # (a gradient not clipped is passed as it is, not in a buffer)
        assert done == [False] + [True] * 5  # the first sight of the arrays: one by one
        assert not single_threaded or spinner is None or helped == [True] * 5
    monkeypatch.setattr(fused, "_compiled", {})
    _same_bytes(together, _train_in_buffers(CASES[case], dtype, shapes))


def test_new_arrays_each_step_are_updated_one_by_one(numba_loops, monkeypatch):
    done = _counting_together(monkeypatch)
    _train(CASES["adam"], "float32", steps=3)
    assert done == [False] * 3


@pytest.mark.parametrize("arrays", ["overlapping", "mixed dtypes", "strided"])
def test_arrays_one_loop_cannot_take_are_updated_one_by_one(numba_loops, monkeypatch, arrays):
    done = _counting_together(monkeypatch)
    big = np.zeros(12, "float32")
    if arrays == "overlapping":  # one gradient array for two variables
        grads = [big[:6], big[:6]]
    elif arrays == "mixed dtypes":
        grads = [big[:6], np.zeros(6)]
    else:  # (apart from the others: the overlap check must not be what declines it)
        grads = [big[:6], np.zeros(12, "float32")[::2]]
    variables = [Variable(np.ones(6, g.dtype), f"w{i}") for i, g in enumerate(grads)]

    def run(opt):
        for step in range(3):
            for g in grads:
                g[...] = step + 1.0
            opt.apply(grads, variables)
        return [v.value.copy() for v in variables]

    first = run(Adam(0.1))
    assert done == [False] * 3
    monkeypatch.setattr(fused, "_compiled", {})
    for v in variables:
        v.value[...] = 1.0
    _same(first, run(Adam(0.1)))


def test_a_subclass_with_its_own_update_is_not_updated_together(numba_loops, monkeypatch):
    class Halved(Adam):
        def update_step(self, gradient, variable, learning_rate):
            super().update_step(gradient * 0.5, variable, learning_rate)

    done = _counting_together(monkeypatch)
    w, g = Variable(np.ones(4, "float32"), "w"), np.ones(4, "float32")
    opt = Halved(0.1)
    for _ in range(3):
        opt.apply([g], [w])
    assert done == []


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_optimizer_forgets_the_originals_arrays(numba_loops, how):
    import copy
    import pickle

    memo = fused.Together()
    g, w = np.ones(4, "float32"), np.ones(4, "float32")
    rows = [(g, np.zeros(4, "float32"), np.zeros(4, "float32"), w, None)]
    assert not fused.run_together("adam", rows, (0.1, 0.001, 1e-7, 0.01), memo)
    assert fused.run_together("adam", rows, (0.1, 0.001, 1e-7, 0.01), memo)
    copied = copy.deepcopy(memo) if how == "deepcopy" else pickle.loads(pickle.dumps(memo))
    assert copied.arrays is None and copied.table is None


def test_two_threads_updating_at_once_get_their_own_numbers(numba_loops):
    """Two optimizers (other learning rates, so other scalars) updating in two
    threads share the helper: a part the caller runs itself, untaken, keeps
    the shared job until it is done, so the other thread's next offer cannot
    change its scalars halfway (it did: the bias's second half came out wrong
    in about one run in six)."""
    import threading

    from kerasnp import _blas

    shapes = [(700, 400), (400,), (400, 3), (3,)]

    def run(seed, lr, out):
        rng = np.random.default_rng(seed)
        variables = [Variable(rng.standard_normal(s).astype("float32"), f"w{i}")
                     for i, s in enumerate(shapes)]
        grads = [np.empty(s, "float32") for s in shapes]
        opt = Adam(lr)
        with _blas.limited(64 * 700 * 400):
            for _ in range(100):
                for g in grads:
                    g[...] = rng.standard_normal(g.shape)
                opt.apply(grads, variables)
        out[seed] = [v.value.copy() for v in variables]

    cases = ((1, 0.01), (2, 0.003))
    alone = {}
    for seed, lr in cases:
        run(seed, lr, alone)
    for _ in range(8):
        together = {}
        threads = [threading.Thread(target=run, args=(seed, lr, together)) for seed, lr in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for seed, _ in cases:
            _same_bytes(alone[seed], together[seed])
