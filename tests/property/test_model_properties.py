"""Properties that must hold for any data: hypothesis searches for counterexamples."""

import numpy as np
from hypothesis import given, settings
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
