"""model.to_keras(): a live keras.Sequential with the same weights, compile
settings and optimizer state; and how kerasnp finds Keras and its backend."""

import json
import sys

import pytest

import kerasnp
from kerasnp import KerasnpError, layers, optimizers
from kerasnp.saving import keras_live

from .helpers import close

pytestmark = pytest.mark.oracle


def _model(optimizer="adam"):
    kerasnp.utils.set_random_seed(3)
    model = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(6,)),
            layers.Dense(8, activation="gelu", kernel_regularizer=kerasnp.regularizers.L2(1e-3)),
            layers.Dropout(0.0),  # no random masks: Keras and kerasnp draw differently
            layers.Dense(3, activation="softmax"),
        ],
        name="mine",
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_round_trip(keras, data, tmp_path):
    x, y, _ = data
    model = _model(optimizers.RMSprop(0.01, momentum=0.5))
    model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    converted = model.to_keras()
    assert isinstance(converted, keras.Sequential) and converted.name == "mine"
    close(converted.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(converted.optimizer.iterations) == model.optimizer.iterations == 3
    for theirs, ours in zip(converted.optimizer.variables, model.optimizer.variables, strict=True):
        close(theirs, ours.value)
    hk = converted.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    hn = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0).history
    assert hk["loss"][0] == pytest.approx(hn["loss"][0], rel=1e-5)
    # ... and back: Keras saves it, kerasnp loads it, the predictions still agree
    path = tmp_path / "back.keras"
    converted.save(path)
    back = kerasnp.models.load_model(path)
    close(back.predict(x, verbose=0), converted.predict(x, verbose=0))


def test_uncompiled_and_unbuilt(keras, data):
    x = data[0]
    model = kerasnp.Sequential([kerasnp.Input(shape=(6,)), layers.Dense(2)])
    converted = model.to_keras()
    assert not converted.compiled
    close(converted.predict(x, verbose=0), model.predict(x, verbose=0))
    unbuilt = kerasnp.Sequential([layers.Dense(2)]).to_keras()
    assert not unbuilt.built


def test_untrained_optimizer(keras):
    converted = _model("adam").to_keras()
    assert converted.optimizer.built and int(converted.optimizer.iterations) == 0


def test_unsupported(keras):
    def double(x):
        return 2 * x

    model = kerasnp.Sequential([kerasnp.Input(shape=(6,)), layers.Dense(2, activation=double)])
    with pytest.raises(KerasnpError, match="Cannot convert the model to Keras.*'double'"):
        model.to_keras()


def test_keras_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)
    monkeypatch.setattr(keras_live, "_installed", lambda name: False)
    with pytest.raises(KerasnpError, match=r"needs Keras 3.*pip install kerasnp\[keras\]"):
        _model().to_keras()


def test_backend_choice(monkeypatch, tmp_path):
    """KERAS_BACKEND wins, then keras.json; when the configured backend is not
    installed, an installed one is chosen."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert keras_live._configured_backend() == "torch"
    monkeypatch.delenv("KERAS_BACKEND")
    assert keras_live._configured_backend() == "tensorflow"
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    assert keras_live._configured_backend() == "jax"

    monkeypatch.delitem(sys.modules, "keras", raising=False)  # pretend Keras was not imported yet
    imported = []
    monkeypatch.setattr(keras_live, "_import_keras_module", lambda: imported.append(1))
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    monkeypatch.setattr(keras_live, "_installed", lambda name: name in ("keras", "torch"))
    keras_live.import_keras()
    assert imported == [1] and keras_live.os.environ["KERAS_BACKEND"] == "torch"

    monkeypatch.setenv("KERAS_BACKEND", "jax")  # the user's choice is never overridden
    keras_live.import_keras()
    assert keras_live.os.environ["KERAS_BACKEND"] == "jax"


def test_backend_that_cannot_start(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")

    def fail():
        raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")

    monkeypatch.setattr(keras_live, "_installed", lambda name: True)
    monkeypatch.setattr(keras_live, "_import_keras_module", fail)
    with pytest.raises(KerasnpError, match="backend 'tensorflow'.*KERAS_BACKEND"):
        keras_live.import_keras()
