"""Whole-model behaviour against Keras 3 (JAX): same weights, same data, same numbers."""

import numpy as np
import pytest

import kerasnp

pytestmark = pytest.mark.oracle


def _data(n=96, d=12, k=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = rng.integers(0, k, size=n)
    return x, y


def _pair(keras, optimizer, loss="sparse_categorical_crossentropy", metrics=("accuracy",),
          l2=1e-3, d=12, k=4):
    """The same MLP in Keras and kerasnp, with Keras's initial weights copied over."""
    def build(lib):
        L, R = lib.layers, lib.regularizers
        model = lib.Sequential([
            lib.Input(shape=(d,)),
            L.Dense(16, activation="relu", kernel_regularizer=R.l2(l2)),
            # L1 on a kernel, not on the zero-initialised bias: at exactly 0 the
            # gradient of |w| is 0 in kerasnp (and TensorFlow) but 1 in JAX.
            L.Dense(8, activation="tanh", kernel_regularizer=R.l1(l2),
                    bias_regularizer=R.l2(l2)),
            L.Dense(k, activation="softmax"),
        ])
        opt = getattr(lib.optimizers, optimizer[0])(**optimizer[1])
        model.compile(optimizer=opt, loss=loss, metrics=list(metrics))
        return model

    kmodel = build(keras)
    nmodel = build(kerasnp)
    nmodel.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    return kmodel, nmodel


OPTIMIZERS = [
    ("Adam", {}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("AdamW", {"learning_rate": 0.01}),
    ("Adagrad", {"learning_rate": 0.05}),
    ("Nadam", {}),
    ("Adadelta", {"learning_rate": 1.0}),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_fit_history_and_weights_match_keras(keras, optimizer):
    x, y = _data()
    kmodel, nmodel = _pair(keras, optimizer)
    kh = kmodel.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
                    validation_split=0.25)
    nh = nmodel.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
                    validation_split=0.25)
    assert list(nh.history) == list(kh.history)
    for key in kh.history:
        np.testing.assert_allclose(nh.history[key], kh.history[key], rtol=2e-4, atol=2e-5,
                                   err_msg=key)
    for nw, kw in zip(nmodel.get_weights(), kmodel.get_weights(), strict=True):
        # Adam-like steps move every weight by about lr even for tiny gradients,
        # so float32 rounding differences show as ~1e-5 absolute after 15 steps.
        np.testing.assert_allclose(nw, np.asarray(kw), rtol=1e-3, atol=1e-4)
    assert nh.params == kh.params


def test_one_hot_labels_categorical_crossentropy(keras):
    x, y = _data()
    y1 = np.eye(4, dtype="float32")[y]
    kmodel, nmodel = _pair(keras, ("Adam", {}), loss="categorical_crossentropy",
                           metrics=("accuracy", "mse"))
    kh = kmodel.fit(x, y1, epochs=2, batch_size=32, shuffle=False, verbose=0)
    nh = nmodel.fit(x, y1, epochs=2, batch_size=32, shuffle=False, verbose=0)
    assert list(nh.history) == list(kh.history) == ["accuracy", "loss", "mse"]
    for key in kh.history:
        np.testing.assert_allclose(nh.history[key], kh.history[key], rtol=2e-4, atol=2e-5)


def test_evaluate_predict_and_batch_methods_match_keras(keras):
    x, y = _data(n=70)
    kmodel, nmodel = _pair(keras, ("Adam", {}))
    np.testing.assert_allclose(nmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nmodel.evaluate(x, y, verbose=0),
                               kmodel.evaluate(x, y, verbose=0), rtol=1e-5)
    assert nmodel.evaluate(x, y, verbose=0, return_dict=True).keys() == \
        kmodel.evaluate(x, y, verbose=0, return_dict=True).keys()
    np.testing.assert_allclose(nmodel.train_on_batch(x[:16], y[:16]),
                               kmodel.train_on_batch(x[:16], y[:16]), rtol=1e-5)
    np.testing.assert_allclose(nmodel.test_on_batch(x[:16], y[:16]),
                               kmodel.test_on_batch(x[:16], y[:16]), rtol=1e-4)


def test_sample_and_class_weights_match_keras(keras):
    x, y = _data()
    w = np.linspace(0.1, 2.0, len(x)).astype("float32")
    kmodel, nmodel = _pair(keras, ("SGD", {"learning_rate": 0.1}))
    kh = kmodel.fit(x, y, sample_weight=w, epochs=2, shuffle=False, verbose=0)
    nh = nmodel.fit(x, y, sample_weight=w, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(nh.history["loss"], kh.history["loss"], rtol=2e-4)
    kmodel, nmodel = _pair(keras, ("SGD", {"learning_rate": 0.1}))
    cw = {0: 2.0, 1: 0.5, 3: 1.5}
    kh = kmodel.fit(x, y, class_weight=cw, epochs=2, shuffle=False, verbose=0)
    nh = nmodel.fit(x, y, class_weight=cw, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(nh.history["loss"], kh.history["loss"], rtol=2e-4)


def test_initial_epoch_validation_freq_and_data(keras):
    x, y = _data()
    kmodel, nmodel = _pair(keras, ("Adam", {}))
    args = dict(epochs=5, initial_epoch=1, batch_size=20, shuffle=False, verbose=0,
                validation_data=(x[:30], y[:30]), validation_freq=2)
    kh, nh = kmodel.fit(x, y, **args), nmodel.fit(x, y, **args)
    assert nh.epoch == kh.epoch == [1, 2, 3, 4]
    assert {k: len(v) for k, v in nh.history.items()} == \
        {k: len(v) for k, v in kh.history.items()}
    for key in kh.history:
        np.testing.assert_allclose(nh.history[key], kh.history[key], rtol=2e-4, atol=2e-5)


def test_dropout_is_identity_at_inference_like_keras(keras):
    x, _ = _data()
    kmodel = keras.Sequential([keras.Input(shape=(12,)), keras.layers.Dense(5),
                               keras.layers.Dropout(0.5), keras.layers.Dense(3)])
    nmodel = kerasnp.Sequential([kerasnp.Input(shape=(12,)), kerasnp.layers.Dense(5),
                                 kerasnp.layers.Dropout(0.5), kerasnp.layers.Dense(3)])
    nmodel.set_weights(kmodel.get_weights())
    np.testing.assert_allclose(nmodel.predict(x, verbose=0), kmodel.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_summary_matches_keras_text(keras):
    def build(lib):
        L = lib.layers
        return lib.Sequential([lib.Input(shape=(784,)), L.Dense(20, "relu", name="hidden"),
                               L.Dropout(0.2, name="drop"),
                               L.Dense(10, "softmax", name="out")], name="mlp")

    theirs, ours = [], []
    build(keras).summary(print_fn=lambda s, **k: theirs.append(s), line_length=76)
    build(kerasnp).summary(print_fn=lambda s, **k: ours.append(s), line_length=76)

    def lines(text):
        return [line.rstrip() for line in text.strip().splitlines()]

    assert lines(ours[0]) == lines("".join(theirs))
