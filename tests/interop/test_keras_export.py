"""kerasnp -> .keras -> keras.saving.load_model: Keras opens kerasnp's files with no
custom objects and no warnings, predicts the same, and trains on from the same state."""

import json
import math
import sys
import zipfile

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError, initializers, layers, losses, metrics, optimizers, regularizers
from kerasnp.optimizers import schedules

from .helpers import close

pytestmark = pytest.mark.oracle

ACTIVATIONS = [
    n for n in kerasnp.activations.__all__ if n not in ("get", "serialize", "deserialize")
]


def export(model, tmp_path, name="m.keras"):
    path = tmp_path / name
    kerasnp.saving.export_keras(model, path)
    return path


def members(path):
    with zipfile.ZipFile(path) as zf:
        return zf.namelist(), json.loads(zf.read("config.json"))


# ------------------------------------------------------------------ layers
def test_file_layout(tmp_path, h5py, data):
    model = kerasnp.Sequential([kerasnp.Input(shape=(6,)), layers.Dense(3)])
    names, config = members(export(model, tmp_path))
    assert names == ["metadata.json", "config.json", "model.weights.h5", "kerasnp.json"]
    dense = config["config"]["layers"][1]
    assert dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert dense["build_config"] == {"input_shape": [None, 6]}
    assert config["config"]["layers"][0]["config"]["sparse"] is False


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation(name, tmp_path, keras_load, data):
    x = data[0]
    kerasnp.utils.set_random_seed(1)
    model = kerasnp.Sequential(
        [kerasnp.Input(shape=(6,)), layers.Dense(5, activation=name), layers.Activation(name)]
    )
    loaded = keras_load(export(model, tmp_path))
    close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)


INITIALIZERS = [
    initializers.Zeros(),
    initializers.Ones(),
    initializers.Constant(0.3),
    initializers.Identity(gain=0.5),
    initializers.RandomUniform(-0.1, 0.2, seed=1),
    initializers.RandomNormal(0.1, 0.2, seed=2),
    initializers.TruncatedNormal(stddev=0.3, seed=3),
    initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=4),
    initializers.GlorotUniform(seed=5),
    initializers.GlorotNormal(),
    initializers.HeUniform(),
    initializers.HeNormal(seed=7),
    initializers.LecunUniform(),
    initializers.LecunNormal(),
    initializers.Orthogonal(gain=1.5, seed=6),
]


def test_every_initializer_regularizer_and_layer(tmp_path, keras, keras_load, data):
    """One model with every initializer, regularizer and layer class: Keras
    rebuilds each with the same config (re-serializing gives our config back)."""
    x = data[0]
    stack = [kerasnp.Input(shape=(6,)), layers.Reshape((2, 3)), layers.Dense(6), layers.Flatten()]
    regs = [regularizers.L1(0.01), regularizers.L2(0.02), regularizers.L1L2(0.01, 0.03), None]
    for i, init in enumerate(INITIALIZERS):
        stack.append(
            layers.Dense(
                6,
                activation="tanh",
                kernel_initializer=init,
                bias_initializer=init
                if not isinstance(init, (initializers.Identity, initializers.Orthogonal))
                else "ones",
                kernel_regularizer=regs[i % 4],
                bias_regularizer=regs[(i + 1) % 4],
                activity_regularizer=regs[(i + 2) % 4],
            )
        )
    stack += [
        layers.Dropout(0.3, noise_shape=(None, 1), seed=2),
        layers.Activation("relu"),
        layers.Dense(3, activation="softmax", use_bias=False, name="out"),
    ]
    model = kerasnp.Sequential(stack, name="everything")
    path = export(model, tmp_path)
    loaded = keras_load(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    ours = members(path)[1]
    theirs = json.loads(json.dumps(keras.saving.serialize_keras_object(loaded)))
    assert _normalized(theirs["config"]) == _normalized(ours["config"])


def _normalized(config):
    """A config with what legitimately differs removed: object ids, float32
    rounding of the factors Keras stores as float32, Flatten's resolved default."""
    if isinstance(config, dict):
        out = {k: _normalized(v) for k, v in config.items() if k != "shared_object_id"}
        if out.get("data_format") is None and "data_format" in out:
            out["data_format"] = "channels_last"
        if out.get("class_name") == "Identity":  # Keras 3.15 does not save `gain`
            out["config"] = {}
        return out
    if isinstance(config, list):
        return [_normalized(v) for v in config]
    if isinstance(config, float):
        return float(np.float32(config))
    return config


def test_rank_three_inputs_and_unbuilt_model(tmp_path, keras_load):
    kerasnp.utils.set_random_seed(2)
    model = kerasnp.Sequential([kerasnp.Input(shape=(4, 3)), layers.Dense(2, activation="elu")])
    x = np.random.default_rng(3).normal(size=(5, 4, 3)).astype("float32")
    close(keras_load(export(model, tmp_path)).predict(x, verbose=0), model.predict(x, verbose=0))
    unbuilt = kerasnp.Sequential([layers.Dense(3), layers.Dense(2)])
    loaded = keras_load(export(unbuilt, tmp_path, "u.keras"))
    assert not loaded.built and len(loaded.layers) == 2


# --------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "adam_amsgrad_clipnorm": lambda: optimizers.Adam(0.01, amsgrad=True, clipnorm=1.0),
    "adamw_global_clipnorm": lambda: optimizers.AdamW(0.01, weight_decay=0.05, global_clipnorm=2.0),
    "rmsprop_centered_clipvalue": lambda: optimizers.RMSprop(
        0.01, momentum=0.5, centered=True, clipvalue=0.5
    ),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.2),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0, rho=0.9),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01, beta_1=0.8),
    "adamax_ema": lambda: optimizers.Adamax(learning_rate=0.01, use_ema=True, ema_momentum=0.9),
    "sgd_exponential_decay": lambda: optimizers.SGD(schedules.ExponentialDecay(0.1, 3, 0.5)),
    "adam_piecewise": lambda: optimizers.Adam(schedules.PiecewiseConstantDecay([2], [0.01, 1e-3])),
}


def _classifier(optimizer, loss="sparse_categorical_crossentropy", metrics_=("accuracy",)):
    kerasnp.utils.set_random_seed(0)
    model = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(6,)),
            layers.Dense(8, activation="relu", kernel_regularizer=regularizers.L2(1e-3)),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics_))
    return model


def test_every_optimizer_class_is_covered():
    assert {type(make()).__name__ for make in OPTIMIZERS.values()} == set(optimizers._TABLE)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_state_carries_over(name, tmp_path, keras_load, data):
    """Keras continues training from kerasnp's state: one more epoch in each
    (shuffle=False) gives the same loss and the same weights."""
    x, y, _ = data
    model = _classifier(OPTIMIZERS[name]())
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    loaded = keras_load(export(model, tmp_path))
    assert type(loaded.optimizer).__name__ == type(model.optimizer).__name__
    assert int(loaded.optimizer.iterations) == model.optimizer.iterations == 3
    for theirs, ours in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        close(theirs, ours.value)
    hk = loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    hn = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    assert hk["loss"][0] == pytest.approx(hn["loss"][0], rel=1e-5)
    assert hk["accuracy"] == hn["accuracy"]
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        close(a, b, atol=1e-5)


def test_untrained_optimizer_loads_without_warnings(tmp_path, keras_load, data):
    """Keras builds the optimizer on load; kerasnp writes the state it will
    have then, so Keras loads silently, and kerasnp reads it back unbuilt."""
    model = _classifier(optimizers.Adagrad(initial_accumulator_value=0.3))
    path = export(model, tmp_path)
    loaded = keras_load(path)
    assert loaded.optimizer.built and int(loaded.optimizer.iterations) == 0
    again = kerasnp.models.load_model(path)
    assert not again.optimizer.built and again.optimizer.iterations == 0


# --------------------------------------------------------- losses and metrics
def _loss_cases():
    out = []
    for cls in losses._CLASSES:
        if cls in (losses.Loss, losses.LossFunctionWrapper):
            continue
        params = cls.__init__.__code__.co_varnames
        kwargs = {"name": f"my_{cls.__name__.lower()}"}
        if "label_smoothing" in params:
            kwargs["label_smoothing"] = 0.1
        if "delta" in params:
            kwargs["delta"] = 0.5
        if "reduction" in params:
            kwargs["reduction"] = "sum"
        out.append(cls(**kwargs))
    return out + ["categorical_crossentropy", "mse", "kld", "categorical_hinge", "ce"]


def _targets(loss, one_hot, labels):
    sparse = "Sparse" in type(loss).__name__ or "sparse" in str(loss) or loss == "ce"
    return labels if sparse else one_hot


@pytest.mark.parametrize(
    "loss", _loss_cases(), ids=lambda o: o if isinstance(o, str) else type(o).__name__
)
def test_every_loss(loss, tmp_path, keras_load, data):
    x, labels, one_hot = data
    y = _targets(loss, one_hot, labels)
    model = _classifier("sgd", loss=loss, metrics_=())
    loaded = keras_load(export(model, tmp_path))
    ours = model.evaluate(x, y, verbose=0)
    theirs = loaded.evaluate(x, y, verbose=0)
    assert theirs == pytest.approx(ours, rel=1e-5, abs=1e-6)


def _metric_cases(sparse):
    out = []
    for cls in metrics._CLASSES:
        if cls in (metrics.Mean, metrics.Sum, metrics.MeanMetricWrapper):
            continue
        if ("Sparse" in cls.__name__) != sparse:
            continue
        code = cls.__init__.__code__.co_varnames
        kwargs = {"name": f"m_{cls.__name__.lower()}"}
        if "k" in code:
            kwargs["k"] = 2
        if "thresholds" in code and cls is not metrics.AUC:
            kwargs["thresholds"] = 0.4
        if "num_thresholds" in code:
            kwargs["num_thresholds"] = 50
        out.append(cls(**kwargs))
    return out


@pytest.mark.parametrize("sparse", [False, True], ids=["dense_labels", "sparse_labels"])
def test_every_metric(sparse, tmp_path, keras_load, data):
    x, labels, one_hot = data
    y = labels if sparse else one_hot
    names = (
        ["accuracy", "acc", "sparse_top_k_categorical_accuracy"]
        if sparse
        else ["accuracy", "mse", "mae", "categorical_accuracy", "top_k_categorical_accuracy"]
    )
    model = _classifier(
        "adam",
        loss="sparse_categorical_crossentropy" if sparse else "categorical_crossentropy",
        metrics_=_metric_cases(sparse) + names,
    )
    loaded = keras_load(export(model, tmp_path))
    ours = model.evaluate(x, y, verbose=0, return_dict=True)
    theirs = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert set(theirs) == set(ours)
    for key, value in ours.items():
        assert theirs[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key


# ------------------------------------------------------------- what cannot go
class Scale(layers.Layer):
    def call(self, inputs, training=False):
        return inputs * 2.0


def my_activation(x):
    return x * 0.5


def my_loss(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2, axis=-1)


UNSUPPORTED = {
    "custom layer": (
        lambda: kerasnp.Sequential([kerasnp.Input(shape=(6,)), Scale(name="scale")]),
        "layer 'scale' is 'Scale'",
    ),
    "custom activation": (
        lambda: kerasnp.Sequential(
            [kerasnp.Input(shape=(6,)), layers.Dense(2, activation=my_activation)]
        ),
        "custom function 'my_activation'",
    ),
    "custom loss": (lambda: _classifier("adam", loss=my_loss), "loss 'my_loss'"),
    "wrapped loss with arguments": (
        lambda: _classifier(
            "adam",
            loss=losses.LossFunctionWrapper(losses.categorical_crossentropy, label_smoothing=0.2),
        ),
        "LossFunctionWrapper",
    ),
    "custom metric": (lambda: _classifier("adam", metrics_=[my_loss]), "metric 'my_loss'"),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_what_keras_lacks_is_an_error_before_writing(case, tmp_path, h5py, data):
    make, match = UNSUPPORTED[case]
    model = make()
    path = tmp_path / "m.keras"
    with pytest.raises(KerasnpError, match=f"(?s)Cannot export.*{match}.*Nothing was written"):
        kerasnp.saving.export_keras(model, path)
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"previous")
    with pytest.raises(KerasnpError):
        kerasnp.saving.export_keras(model, path)
    assert path.read_bytes() == b"previous"
    model.save(path)  # kerasnp's own save still writes it (custom objects, as in Keras)
    assert path.read_bytes() != b"previous"


def test_every_problem_is_listed_at_once(tmp_path, h5py):
    model = kerasnp.Sequential(
        [kerasnp.Input(shape=(6,)), Scale(name="s"), layers.Dense(2, activation=my_activation)]
    )
    model.compile(optimizer="adam", loss=my_loss)
    with pytest.raises(KerasnpError) as info:
        kerasnp.saving.export_keras(model, tmp_path / "m.keras")
    assert all(s in str(info.value) for s in ("'Scale'", "my_activation", "my_loss"))


def test_channels_first_flatten_of_rank_three(tmp_path, h5py, keras):
    model = kerasnp.Sequential(
        [kerasnp.Input(shape=(2, 3)), layers.Flatten(data_format="channels_first")]
    )
    kerasnp.saving.export_keras(model, tmp_path / "m.keras")
    x = np.arange(12, dtype="float32").reshape(2, 2, 3) / 12
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(np.asarray(theirs.predict(x, verbose=0)),
                                  model.predict(x, verbose=0))
    loaded = kerasnp.models.load_model(tmp_path / "m.keras")
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------- without h5py
def test_without_h5py_save_falls_back_to_npz(tmp_path, monkeypatch, data):
    from kerasnp.saving import file_format

    monkeypatch.setitem(sys.modules, "h5py", None)
    monkeypatch.setattr(file_format, "_NPZ_WARNED", False)
    model = _classifier("adam")
    x, y, _ = data
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning, match="h5py is not installed.*Keras does not"):
        model.save(path)
    model.save(path)  # warns once per process
    assert "model.weights.npz" in members(path)[0]
    loaded = kerasnp.models.load_model(path)
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(KerasnpError, match=r"needs h5py.*pip install h5py.*Nothing was written"):
        kerasnp.saving.export_keras(model, tmp_path / "k.keras")
    assert not (tmp_path / "k.keras").exists()


def test_reading_h5_weights_without_h5py(tmp_path, monkeypatch, h5py):
    path = export(_classifier("adam"), tmp_path)
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(KerasnpError, match=r"model.weights.h5.*pip install h5py.*kerasnp\[keras\]"):
        kerasnp.models.load_model(path)


def test_keras_ignores_the_kerasnp_member(tmp_path, keras_load, data):
    """kerasnp.json (random-generator states) rides along; Keras neither needs nor minds it."""
    model = _classifier("adam")
    path = export(model, tmp_path)
    assert "kerasnp.json" in members(path)[0]
    loaded = keras_load(path)
    close(loaded.predict(data[0], verbose=0), model.predict(data[0], verbose=0))
    assert math.isfinite(loaded.evaluate(data[0], data[1], verbose=0)[0])
