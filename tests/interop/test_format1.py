"""Files written before kerasnp's format became Keras's (format 1) keep loading,
and saving them again upgrades them to files Keras opens."""

import json
import pathlib
import zipfile

import numpy as np
import pytest

import kerasnp

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def expected():
    with np.load(DATA / "format1_expected.npz") as f:
        return {k: f[k] for k in f.files}


def test_the_fixtures_are_format_one():
    with zipfile.ZipFile(DATA / "format1_trained.keras") as zf:
        assert "model.weights.npz" in zf.namelist()
        assert json.loads(zf.read("metadata.json"))["format_version"] == 1
        config = json.loads(zf.read("config.json"))
    assert config["config"]["layers"][1]["config"]["dtype"] == "float32"


def test_trained_model_loads(expected):
    model = kerasnp.models.load_model(DATA / "format1_trained.keras")
    assert model.name == "format_one" and model.optimizer.iterations == 4
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(1e-3)
    np.testing.assert_array_equal(model.predict(expected["x"], verbose=0), expected["predictions"])
    history = model.fit(expected["x"], expected["y"], epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and model.optimizer.iterations == 6


def test_unbuilt_model_loads():
    model = kerasnp.models.load_model(DATA / "format1_unbuilt.keras")
    assert not model.built and [layer.units for layer in model.layers] == [3, 2]


@pytest.mark.oracle
def test_saving_again_gives_a_file_keras_opens(expected, keras, tmp_path):
    model = kerasnp.models.load_model(DATA / "format1_trained.keras")
    path = tmp_path / "upgraded.keras"
    kerasnp.saving.export_keras(model, path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(expected["x"], verbose=0), expected["predictions"], atol=1e-6
    )
    assert int(loaded.optimizer.iterations) == 4
