"""Keras -> .keras -> kerasnp.models.load_model: the same predictions, the compile
settings and optimizer state, and training that continues where Keras stopped."""

import json
import sys
import warnings
import zipfile

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError

from .helpers import close

pytestmark = pytest.mark.oracle

ACTIVATIONS = [
    n for n in kerasnp.activations.__all__ if n not in ("get", "serialize", "deserialize")
]


def load_quietly(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return kerasnp.models.load_model(path, **kwargs)


def saved(model, tmp_path, name="k.keras"):
    path = tmp_path / name
    model.save(path)
    return path


@pytest.fixture
def K(keras, h5py):  # noqa: N802 - reads like the Keras code it stands for
    return keras


def test_every_layer_activation_initializer_and_regularizer(K, tmp_path, data):
    x = data[0]
    K.utils.set_random_seed(0)
    inits = [
        "zeros", "ones", K.initializers.Constant(0.2), K.initializers.Identity(),
        "random_uniform", K.initializers.RandomNormal(0.0, 0.3), "truncated_normal",
        K.initializers.VarianceScaling(2.0, "fan_in", "truncated_normal", seed=1),
        "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
        "lecun_normal", K.initializers.Orthogonal(gain=0.8),
    ]  # fmt: skip
    regs = [K.regularizers.L1(0.01), K.regularizers.L2(0.02), K.regularizers.L1L2(0.01, 0.02)]
    stack = [K.Input((6,)), K.layers.Reshape((3, 2)), K.layers.Flatten(), K.layers.Dropout(0.2)]
    for i, name in enumerate(ACTIVATIONS):
        stack.append(
            K.layers.Dense(
                6,
                activation=name,
                kernel_initializer=inits[i % len(inits)],
                kernel_regularizer=regs[i % 3],
                bias_regularizer=regs[(i + 1) % 3] if i % 2 else None,
                activity_regularizer=regs[(i + 2) % 3] if i % 3 == 0 else None,
            )
        )
        stack.append(K.layers.Activation("tanh"))
    stack.append(K.layers.Dense(3, activation="softmax", use_bias=False))
    model = K.Sequential(stack, name="keras_made")
    loaded = load_quietly(saved(model, tmp_path))
    assert loaded.name == "keras_made" and not loaded.compiled
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    dense = loaded.layers[3]
    assert type(dense.kernel_regularizer).__name__ == "L1"
    assert dense.kernel_regularizer.l1 == pytest.approx(0.01)
    x_small, y_small = x[:4], np.zeros((4, 3), "float32")
    model.compile(loss="mse")  # the penalties count in the loss in both
    loaded.compile(loss="mse")
    assert loaded.evaluate(x_small, y_small, verbose=0) == pytest.approx(
        model.evaluate(x_small, y_small, verbose=0), rel=1e-5
    )


def test_initializer_configs_survive(K, tmp_path):
    model = K.Sequential(
        [
            K.Input((3,)),
            K.layers.Dense(
                2,
                kernel_initializer=K.initializers.VarianceScaling(
                    0.5, "fan_out", "uniform", seed=9
                ),
                bias_initializer=K.initializers.Constant(0.25),
            ),
        ]
    )
    dense = load_quietly(saved(model, tmp_path)).layers[0]
    config = dense.kernel_initializer.get_config()
    assert (config["scale"], config["mode"], config["seed"]) == (0.5, "fan_out", 9)
    assert np.array_equal(dense.bias.value, [0.25, 0.25])


OPTIMIZERS = {
    "sgd_nesterov": lambda K: K.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda K: K.optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda K: K.optimizers.AdamW(0.01, weight_decay=0.05),
    "rmsprop": lambda K: K.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda K: K.optimizers.Adagrad(0.1),
    "adadelta": lambda K: K.optimizers.Adadelta(1.0),
    "nadam": lambda K: K.optimizers.Nadam(0.01),
    "adamax": lambda K: K.optimizers.Adamax(0.01),
    "sgd_schedule": lambda K: K.optimizers.SGD(
        K.optimizers.schedules.CosineDecay(0.1, decay_steps=10, alpha=0.1)
    ),
}


def _keras_mlp(K):
    K.utils.set_random_seed(1)
    return K.Sequential(
        [
            K.Input((6,)),
            K.layers.Dense(8, activation="relu", kernel_regularizer="l2"),
            K.layers.Dropout(0.0),
            K.layers.Dense(3, activation="softmax"),
        ]
    )


def _keras_classifier(K, optimizer):
    model = _keras_mlp(K)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", K.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
    )
    return model


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_training_continues_from_keras_state(name, K, tmp_path, data):
    """One epoch in Keras, save, load in kerasnp; then one more epoch in each
    (shuffle=False) gives the same loss, metrics and weights."""
    x, y, _ = data
    model = _keras_classifier(K, OPTIMIZERS[name](K))
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded = load_quietly(saved(model, tmp_path))
    assert type(loaded.optimizer).__name__ == type(model.optimizer).__name__
    assert loaded.optimizer.iterations == int(model.optimizer.iterations) == 3
    for ours, theirs in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        close(ours.value, theirs)
    hk = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    hn = loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    assert set(hn) == set(hk) == {"loss", "accuracy", "top2"}
    assert hn["loss"][0] == pytest.approx(hk["loss"][0], rel=1e-5)
    assert hn["accuracy"] == hk["accuracy"] and hn["top2"] == hk["top2"]
    for ours, theirs in zip(loaded.get_weights(), model.get_weights(), strict=True):
        close(ours, theirs, atol=1e-5)


def test_untrained_keras_model(K, tmp_path, data):
    model = _keras_classifier(K, "adam")
    loaded = load_quietly(saved(model, tmp_path))
    assert loaded.compiled and not loaded.optimizer.built
    assert loaded.get_compile_config()["metrics"] == ["accuracy"]
    x, y, _ = data
    loaded.fit(x, y, epochs=1, verbose=0)
    assert not load_quietly(saved(model, tmp_path), compile=False).compiled


LOSSES = [
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge",
    "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson",
]  # fmt: skip


@pytest.mark.parametrize("name", LOSSES)
def test_every_keras_loss(name, K, tmp_path, data):
    x, labels, one_hot = data
    kwargs = {"reduction": "sum"}
    if name in ("BinaryCrossentropy", "CategoricalCrossentropy"):
        kwargs["label_smoothing"] = 0.1
    model = _keras_mlp(K)
    model.compile(optimizer="sgd", loss=getattr(K.losses, name)(**kwargs))
    loaded = load_quietly(saved(model, tmp_path))
    assert type(loaded.loss).__name__ == name
    y = labels if name.startswith("Sparse") else one_hot
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-5, abs=1e-6
    )


def test_keras_metrics(K, tmp_path, data):
    x, _, one_hot = data
    model = _keras_mlp(K)
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=[
            "accuracy",
            "mse",
            K.metrics.AUC(num_thresholds=50),
            K.metrics.Precision(0.4),
            K.metrics.Recall(name="rec"),
            K.metrics.TopKCategoricalAccuracy(k=2),
            K.metrics.CategoricalCrossentropy(),
            K.metrics.RootMeanSquaredError(),
        ],  # fmt: skip
        weighted_metrics=["categorical_accuracy"],
    )
    loaded = load_quietly(saved(model, tmp_path))
    theirs = model.evaluate(x, one_hot, verbose=0, return_dict=True)
    ours = loaded.evaluate(x, one_hot, verbose=0, return_dict=True)
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


# ---------------------------------------------------------- what kerasnp lacks
def test_unsupported_keras_layer(K, tmp_path):
    model = K.Sequential([K.Input((8, 2)), K.layers.Conv1D(3, 2), K.layers.Flatten()])
    with pytest.raises(KerasnpError, match=r"(?s)'Conv1D'.*Known names: Activation, Dense"):
        kerasnp.models.load_model(saved(model, tmp_path))


def test_functional_model(K, tmp_path):
    inputs = K.Input((4,))
    model = K.Model(inputs, K.layers.Dense(2)(inputs))
    with pytest.raises(KerasnpError, match="'Functional'"):
        kerasnp.models.load_model(saved(model, tmp_path))


def test_keras_only_arguments(K, tmp_path):
    model = K.Sequential(
        [K.Input((4,)), K.layers.Dense(2, kernel_constraint=K.constraints.NonNeg())]
    )
    with pytest.raises(KerasnpError, match="kernel_constraint=.*NonNeg.*not support"):
        kerasnp.models.load_model(saved(model, tmp_path))


def test_mixed_precision(K, tmp_path):
    model = K.Sequential([K.Input((4,)), K.layers.Dense(2, dtype="mixed_float16")])
    with pytest.raises(KerasnpError, match="mixed precision.*mixed_float16"):
        kerasnp.models.load_model(saved(model, tmp_path))


def test_channels_first_flatten(K, tmp_path):
    model = K.Sequential([K.Input((2, 3)), K.layers.Flatten(data_format="channels_first")])
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    ours = kerasnp.models.load_model(saved(model, tmp_path))
    expected = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_array_equal(ours.predict(x, verbose=0), expected)


def test_custom_keras_activation(K, tmp_path):
    @K.saving.register_keras_serializable(package="t")
    def halve(x):
        return x * 0.5

    model = K.Sequential([K.Input((4,)), K.layers.Dense(2, activation=halve)])
    path = saved(model, tmp_path)
    with pytest.raises(KerasnpError, match="halve.*custom_objects"):
        kerasnp.models.load_model(path)
    loaded = kerasnp.models.load_model(path, custom_objects={"t>halve": lambda x: x * 0.5})
    x = np.ones((2, 4), "float32")
    close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_weights_without_h5py(K, tmp_path, monkeypatch):
    path = saved(_keras_classifier(K, "adam"), tmp_path)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(KerasnpError, match=r"needs the optional package h5py.*pip install h5py"):
        kerasnp.models.load_model(path)


def test_load_weights_from_a_keras_model_file(K, tmp_path, data):
    model = _keras_classifier(K, "adam")
    path = saved(model, tmp_path)
    ours = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(6,)),
            kerasnp.layers.Dense(8, activation="relu"),
            kerasnp.layers.Dropout(0.0),
            kerasnp.layers.Dense(3, activation="softmax"),
        ]
    )
    ours.load_weights(path)
    close(ours.predict(data[0], verbose=0), model.predict(data[0], verbose=0))


def test_both_weight_members_prefer_h5_as_keras(K, tmp_path, data):
    """A file with both members is read as Keras reads it: model.weights.h5."""
    model = _keras_classifier(K, "adam")
    path = saved(model, tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("model.weights.npz", b"not even an npz")
    loaded = load_quietly(path)
    close(loaded.predict(data[0], verbose=0), model.predict(data[0], verbose=0))
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("config.json"))["class_name"] == "Sequential"
