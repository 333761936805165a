"""Products and optimizer updates on two cores (`_parallel`): the same numbers
whichever thread computes the parts (the spinning helper, the sleeping one,
or the caller alone)."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import _blas, _parallel, _spinning, layers

HELPERS = ["spinning", "sleeping", "caller only"]



@pytest.fixture(autouse=True)
def one_blas_thread():
    """The BLAS on one thread, as in `fit`."""
    with _blas.limited(1):
        yield


def use_helper(kind, monkeypatch, compiled=None):
    """Within the test: split like `fit` does, with this kind of helper."""
    monkeypatch.setattr(_blas, "single_threaded", True)
    if kind == "spinning":
        compiled(_spinning.spinner(), "the spinning helper")
        return
    monkeypatch.setattr(_spinning, "_spinner", None)
    if kind == "caller only":
        monkeypatch.setattr(_parallel._helper, "offer", lambda half: None)


def _operand(rng, shape, dtype, transposed):
    """An array of `shape`, C-ordered, or the transpose of a C-ordered one."""
    if transposed:
        return rng.normal(size=shape[::-1]).astype(dtype).T
    return rng.normal(size=shape).astype(dtype)


# (rows, inner, columns, a transposed, b transposed): the Dense layers' products
PRODUCTS = [(96, 700, 300, False, False),   # above WAKE_PRODUCT
            (32, 784, 128, False, False),   # seed's forward: split, not worth waking
            (784, 32, 128, True, False),    # seed's kernel gradient x.T @ g
            (97, 512, 128, False, True),    # an input gradient g @ W.T, odd rows
            (5, 600, 900, False, False)]    # few rows


@pytest.mark.parametrize("kind", HELPERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_products_are_two_products_whoever_computes_them(kind, dtype, monkeypatch,
                                                              compiled):
    use_helper(kind, monkeypatch, compiled)
    rng = np.random.default_rng(0)
    for m, k, n, ta, tb in PRODUCTS:
        a, b = _operand(rng, (m, k), dtype, ta), _operand(rng, (k, n), dtype, tb)
        assert m * k * n >= _parallel.SPLIT_PRODUCT
        h = m // 2
        parts = np.concatenate([a[:h] @ b, a[h:] @ b])
        for _ in range(5):  # the helper, or the caller, computes the second part
            out = np.full((m, n), np.nan, dtype=dtype)
            assert _parallel.matmul(a, b, out) is out
            np.testing.assert_array_equal(out, parts)


# (rows, inputs, units): a layer's forward `x @ kernel`, split over the kernel's
# rows when there are fewer rows of x than half the kernel's, else by rows of x
LAYER_PRODUCTS = [(32, 784, 128), (96, 701, 300), (512, 784, 128), (5, 600, 900)]


@pytest.mark.parametrize("kind", HELPERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_layers_products_split_by_the_kernels_rows_whoever_computes_them(kind, dtype,
                                                                          monkeypatch, compiled):
    use_helper(kind, monkeypatch, compiled)
    rng = np.random.default_rng(2)
    for m, k, n in LAYER_PRODUCTS:
        x, w = rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
        g = rng.normal(size=(m, n)).astype(dtype)
        j, h = k // 2, m // 2
        if 2 * m < k:  # each core reads its own half of the kernel; then the sum
            forward = x[:, :j] @ w[:j] + x[:, j:] @ w[j:]
        else:
            forward = np.concatenate([x[:h] @ w, x[h:] @ w])
        backward = np.concatenate([g @ w[:j].T, g @ w[j:].T], axis=1)
        for _ in range(5):
            out = np.full((m, n), np.nan, dtype=dtype)
            assert _parallel.kernel_product(x, w, out) is out
            np.testing.assert_array_equal(out, forward)
            out = np.full((m, k), np.nan, dtype=dtype)
            assert _parallel.transposed_kernel_product(g, w, out) is out
            np.testing.assert_array_equal(out, backward)
    # small products, or a BLAS with its own threads: one product
    x, w = rng.normal(size=(32, 128)).astype(dtype), rng.normal(size=(128, 64)).astype(dtype)
    np.testing.assert_array_equal(_parallel.kernel_product(x, w, np.empty((32, 64), dtype)),
                                  x @ w)
    monkeypatch.setattr(_blas, "single_threaded", False)
    x, w = rng.normal(size=(32, 784)).astype(dtype), rng.normal(size=(784, 128)).astype(dtype)
    np.testing.assert_allclose(_parallel.kernel_product(x, w, np.empty((32, 128), dtype)),
                               x @ w, rtol=1e-5, atol=1e-4)


def test_small_products_and_threaded_blas_multiply_whole(monkeypatch):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(32, 128)).astype("float32"), rng.normal(size=(128, 64)).astype(
        "float32")
    monkeypatch.setattr(_blas, "single_threaded", True)
    np.testing.assert_array_equal(_parallel.matmul(a, b, np.empty((32, 64), "float32")), a @ b)
    a, b = rng.normal(size=(96, 700)).astype("float32"), rng.normal(size=(700, 300)).astype(
        "float32")
    monkeypatch.setattr(_blas, "single_threaded", False)  # the BLAS has its threads
    out = _parallel.matmul(a, b, np.empty((96, 300), "float32"))
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-4)


def _train(kind, monkeypatch, compiled):
    with monkeypatch.context() as patch:
        use_helper(kind, patch, compiled)
        patch.setattr(_blas, "single_threaded", False)  # fit decides it from the shapes
        keras.utils.set_random_seed(7)
        model = keras.Sequential([keras.Input(shape=(700,)), layers.Dense(400, "relu"),
                                  layers.Dropout(0.2), layers.Dense(300, "relu"),
                                  layers.Dense(3, "softmax")])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, 700)).astype("float32")
        y = rng.integers(0, 3, 200)
        history = model.fit(x, y, batch_size=64, epochs=2, verbose=0, validation_split=0.2)
        return history.history, model.get_weights()


def test_a_model_with_large_products_trains_to_the_same_numbers_with_any_helper(monkeypatch,
                                                                               compiled):
    runs = [_train(kind, monkeypatch, compiled) for kind in HELPERS + ["spinning"]]
    for history, weights in runs[1:]:
        assert history == runs[0][0]
        for a, b in zip(weights, runs[0][1], strict=True):
            np.testing.assert_array_equal(a, b)


OPTIMIZERS = [lambda: keras.optimizers.Adam(), lambda: keras.optimizers.Adam(amsgrad=True),
              lambda: keras.optimizers.RMSprop(),
              lambda: keras.optimizers.RMSprop(momentum=0.5),
              lambda: keras.optimizers.RMSprop(centered=True),
              lambda: keras.optimizers.RMSprop(momentum=0.5, centered=True),
              lambda: keras.optimizers.SGD(momentum=0.9)]


@pytest.mark.parametrize("kind", HELPERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_optimizer_updates_in_two_halves_equal_the_whole(kind, dtype, monkeypatch, compiled):
    from kerasnp.variables import Variable

    rng = np.random.default_rng(0)
    # 280,000 elements: split by every helper; 80,000: by the spinning one; 400: never
    shapes = [(700, 400), (200, 400), (400,)]
    grads = [rng.normal(size=s).astype(dtype) for s in shapes]
    results = []
    for single in (True, False):
        use_helper(kind, monkeypatch, compiled)
        monkeypatch.setattr(_blas, "single_threaded", single)
        for make in OPTIMIZERS:
            variables = [Variable(np.ones(s, dtype), f"w{i}") for i, s in enumerate(shapes)]
            opt = make()
            for _ in range(3):
                opt.apply(grads, variables)
            results.append([v.value.copy() for v in variables] +
                           [v.value.copy() for v in opt.variables[2:]])
    half = len(OPTIMIZERS)
    for split, whole in zip(results[:half], results[half:], strict=True):
        for a, b in zip(split, whole, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", HELPERS)
def test_an_error_in_the_helpers_half_reaches_the_caller(kind, monkeypatch, compiled):
    use_helper(kind, monkeypatch, compiled)
    seen = []

    def update(w, step):
        if w.flat[0] == 2.0:  # the second half
            raise FloatingPointError("overflow")
        seen.append(len(w))

    w = np.ones(2 * _parallel.SPLIT_ELEMENTS, "float32")
    first = _parallel.caller_share(len(w))
    w[first:] = 2.0
    with pytest.raises(FloatingPointError, match="overflow"):
        _parallel.elementwise(update, w=w, step=0.1)
    assert seen == [first]
    _parallel.elementwise(update, w=np.ones((3, 5), "float32").T, step=0.1)  # not contiguous
    assert seen[-1] == 5


@pytest.mark.parametrize("kind", ["spinning", "sleeping"])
def test_an_error_in_the_callers_part_leaves_no_second_part_running(kind, monkeypatch,
                                                                    compiled):
    use_helper(kind, monkeypatch, compiled)
    state = {"running": False, "finished": 0}

    def work(first):
        if first:
            time.sleep(0.01)  # the helper has time to take the second part
            raise FloatingPointError("overflow")
        state["running"] = True
        time.sleep(0.05)
        state["running"] = False
        state["finished"] += 1

    for _ in range(3):
        with pytest.raises(FloatingPointError, match="overflow"):
            _parallel.in_halves(work, (True,), (False,))
        assert not state["running"]  # waited for a taken second part to finish
    # the helper never took it: it must not run later either
    held = []
    if kind == "spinning":
        monkeypatch.setattr(_spinning.spinner(), "offer",
                            lambda half: held.append(half) or True)
    else:
        monkeypatch.setattr(_parallel._helper, "offer", lambda half: held.append(half))
    before = state["finished"]
    with pytest.raises(FloatingPointError):
        _parallel.in_halves(work, (True,), (False,))
    held[0].run()  # a helper arriving late finds the part cancelled
    assert state["finished"] == before


_FORK_CHILD = """
import os
import numpy as np
from kerasnp import _blas, _parallel
_blas.single_threaded = True
a, b = np.ones((96, 700), "float32"), np.ones((700, 300), "float32")
_parallel.matmul(a, b, np.empty((96, 300), "float32"))  # the parent's helper thread runs
pid = os.fork()
if pid == 0:  # the child has no helper thread until it starts its own
    ok = all(np.all(_parallel.matmul(a, b, np.empty((96, 300), "float32")) == 700)
             for _ in range(20))
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
raise SystemExit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("spin", ["1", "0"])
def test_split_products_work_in_a_forked_child(spin):
    # a fresh interpreter: this one may hold other libraries' threads (JAX)
    env = {**os.environ, "KERASNP_SPIN": spin}
    done = subprocess.run([sys.executable, "-c", _FORK_CHILD], timeout=120, env=env)
    assert done.returncode == 0


_SCIPY_FIRST = """
import os
import numpy as np
import scipy.linalg  # brings a second OpenBLAS (SciPy's wheels bundle their own)
from kerasnp import _blas
first = _blas._loaded_libraries()[0]
own = os.path.realpath(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs"))
raise SystemExit(0 if first.startswith(own) else 1)
"""


def test_the_blas_set_is_numpys_even_after_another_one_was_loaded():
    pytest.importorskip("scipy")
    import glob

    own = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    if not glob.glob(os.path.join(own, "*openblas*")):
        pytest.skip("this NumPy has no OpenBLAS of its own")
    done = subprocess.run([sys.executable, "-c", _SCIPY_FIRST], timeout=120)
    assert done.returncode == 0


def test_two_threads_training_at_once_get_their_own_numbers():
    """Two models trained in two threads of one program share the helper and
    the BLAS setting: each must come out exactly as when trained alone."""
    import threading

    def make(seed):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input(shape=(700,)), layers.Dense(400, "relu"),
                                  layers.Dropout(0.2, seed=seed), layers.Dense(3, "softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(seed)
        return model, rng.normal(size=(256, 700)).astype("float32"), rng.integers(0, 3, 256)

    def train(made, out, seed):
        model, x, y = made
        model.fit(x, y, batch_size=64, epochs=2, verbose=0, shuffle=False)
        out[seed] = model.get_weights()

    alone = {}
    for seed in (1, 2):
        train(make(seed), alone, seed)
    together = {}
    made = {seed: make(seed) for seed in (1, 2)}  # built one after the other
    threads = [threading.Thread(target=train, args=(made[seed], together, seed))
               for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed in (1, 2):
        for a, b in zip(alone[seed], together[seed], strict=True):
            np.testing.assert_array_equal(a, b)



def _train_recipe_like(seed):
    """A few steps of the `seed` and `mnist_mlp` recipes' layers at once
    (split products, Dropout halves, relu passes, Adam and RMSprop, the
    softmax and both cross-entropy steps, an L2 penalty's gradient)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.random((300, 784), dtype=np.float32)
    y = rng.integers(0, 10, 300)
    weights, histories = [], []
    for units, optimizer, batch, loss in ((128, "adam", 32, "sparse_categorical_crossentropy"),
                                          (512, "rmsprop", 128, "sparse_categorical_crossentropy"),
                                          (64, "adam", 32, "categorical_crossentropy")):
        model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(units, "relu"),
                                  layers.Dropout(0.2),
                                  layers.Dense(units, "relu", kernel_regularizer="l2"),
                                  layers.Dropout(0.2), layers.Dense(10, "softmax")])
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        labels = y if loss.startswith("sparse") else np.eye(10, dtype="float32")[y]
        history = model.fit(x, labels, batch_size=batch, epochs=2, verbose=0,
                            validation_split=0.2)
        histories.append(history.history)
        weights += model.get_weights()
        weights.append(model.predict(x[:100], verbose=0))
    return histories, weights


def test_the_compiled_passes_train_to_the_numbers_of_the_numpy_lines(compiled, monkeypatch):
    from kerasnp import _compiled
    from kerasnp.optimizers import fused

    compiled(_spinning.spinner(), "the spinning helper")
    for name in ("layers.dense_fused", "layers.dropout_fused", "losses.categorical_fused",
                 "models.program_fused"):
        compiled(_compiled.load(name), name)
    assert fused.available()
    with_compiled = _train_recipe_like(3)
    with monkeypatch.context() as numpy_only:
        numpy_only.setattr(_compiled, "_loaded", {})
        numpy_only.setenv("KERASNP_FUSED", "0")
        numpy_only.setattr(fused, "_compiled", {})
        numpy_only.setattr(_spinning, "_spinner", None)
        assert not fused.available()
        numpy_lines = _train_recipe_like(3)
    assert with_compiled[0] == numpy_lines[0]
    for a, b in zip(with_compiled[1], numpy_lines[1], strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("compiled_passes", [True, False])
def test_a_dropout_layers_backward_pass_done_by_the_dense_layer_below_is_the_same(
        compiled_passes, monkeypatch):
    """`Sequential._backward_to` hands a Dropout layer's mask to the Dense layer
    below (one pass with relu's); the numbers are those of the two passes."""
    from kerasnp import _compiled
    from kerasnp.layers.dense import Dense

    if not compiled_passes:
        monkeypatch.setattr(_compiled, "_loaded", {})
        monkeypatch.setenv("KERASNP_FUSED", "0")
    handed = []
    original = Dense._backward_reusing
    monkeypatch.setattr(Dense, "_backward_reusing", lambda self, *a, **k: handed.append(
        k.get("above") is not None) or original(self, *a, **k))
    together = _train_recipe_like(5)
    assert any(handed)
    monkeypatch.setattr(Dense, "_takes_gradient_mask", False)
    handed.clear()
    apart = _train_recipe_like(5)
    assert not any(handed)
    assert together[0] == apart[0]
    for a, b in zip(together[1], apart[1], strict=True):
        assert a.tobytes() == b.tobytes()
