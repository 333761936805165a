"""Properties that must hold for any data: hypothesis searches for counterexamples."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerasnp as keras
from kerasnp import layers

floats = st.floats(-100, 100, width=32)


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=3, max_side=6),
                    elements=floats),
       rate=st.floats(0, 1))
def test_dropout_at_inference_is_the_identity(x, rate):
    np.testing.assert_array_equal(layers.Dropout(rate)(x, training=False), x)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 50), seed=st.integers(0, 1000))
def test_predict_does_not_depend_on_batch_size(n, batch_size, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(7, "tanh"),
                              layers.Dropout(0.5), layers.Dense(3, "softmax")])
    x = np.random.default_rng(seed).normal(size=(n, 5)).astype("float32")
    full = model.predict(x, batch_size=n, verbose=0)
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), full,
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=1e-5)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 30), batch_size=st.integers(1, 40), seed=st.integers(0, 1000))
def test_evaluate_equals_the_full_batch_loss(n, batch_size, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)),
                              layers.Dense(3, "softmax",
                                           kernel_regularizer=keras.regularizers.l2(0.01))])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, 4)).astype("float32"), rng.integers(0, 3, n)
    loss, acc = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    p = model.predict(x, verbose=0)
    expected = (-np.log(np.clip(p[np.arange(n), y], 1e-7, 1)).mean()
                + 0.01 * np.sum(model.layers[0].kernel.value ** 2))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(acc, (p.argmax(1) == y).mean(), rtol=1e-6)


def _fit_numbers(arch, numpy_lines, monkeypatch):
    """(history, weights' bytes) of a short fit of `arch`; with `numpy_lines`
    no compiled pass, no spinning helper and no step program."""
    from kerasnp import _compiled, _spinning
    from kerasnp.models import program
    from kerasnp.optimizers import fused

    with monkeypatch.context() as patch:
        if numpy_lines:
            patch.setattr(_compiled, "_loaded", {})
            patch.setenv("KERASNP_FUSED", "0")
            patch.setattr(fused, "_compiled", {})
            patch.setattr(_spinning, "_spinner", None)
            patch.setattr(program, "ENABLED", False)
        seed, n, d, classes, hidden, batch_size, optimizer, onehot = arch
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, d)).astype("float32")
        y = rng.integers(0, classes, n)
        stack = [keras.Input(shape=(d,))]
        for units, activation, rate, l2 in hidden:
            stack.append(layers.Dense(units, activation, kernel_regularizer=(
                keras.regularizers.l2(l2) if l2 else None)))
            if rate:
                stack.append(layers.Dropout(rate))
        model = keras.Sequential([*stack, layers.Dense(classes, "softmax")])
        model.compile(optimizer=optimizer, metrics=["accuracy"], loss=(
            "categorical_crossentropy" if onehot else "sparse_categorical_crossentropy"))
        labels = np.eye(classes, dtype="float32")[y] if onehot else y
        history = model.fit(x, labels, batch_size=batch_size, epochs=2, verbose=0).history
        return history, [w.tobytes() for w in model.get_weights()]


architectures = st.tuples(
    st.integers(0, 1000), st.integers(3, 120), st.integers(1, 12), st.integers(2, 6),
    # (units, activation, Dropout rate, L2): few units and large batches are where sums
    # change their order (NumPy sums one column pairwise)
    st.lists(st.tuples(st.sampled_from([1, 2, 3, 17, 40]),
                       st.sampled_from(["relu", "tanh", "sigmoid", None]),
                       st.sampled_from([0, 0.3]), st.sampled_from([0, 1e-3])), max_size=2),
    st.sampled_from([1, 2, 3, 7, 32, 60]),
    st.sampled_from(["adam", "rmsprop", "sgd", "adagrad", "nadam", "adamax", "adamw"]),
    st.booleans())


@settings(max_examples=40, deadline=None)
@given(arch=architectures)
# one relu unit summed over 60 rows (NumPy: pairwise); two units and L2, one-hot labels
@example(arch=(0, 120, 5, 3, [(1, "relu", 0, 0)], 60, "sgd", False))
@example(arch=(1, 90, 7, 4, [(2, None, 0.3, 1e-3), (3, "relu", 0, 0)], 32, "adam", True))
def test_the_compiled_passes_and_step_programs_train_as_the_numpy_lines(arch):
    """Any small Dense/Dropout model, any batch size, any optimizer: bit for bit
    (the compiled passes, the helper and step programs are optimisations only)."""
    pytest.importorskip("numba")
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert (_fit_numbers(arch, False, monkeypatch)
                == _fit_numbers(arch, True, monkeypatch))
