"""Fixtures for the interop tests: the optional packages, and Keras loading with no warnings.

Like the `keras` fixture, each optional package is required when the
environment variable CI is set: a missing one fails the test instead of
skipping it, so the ways out of kerasnp are always checked in CI.
"""

import importlib
import os
import warnings

import numpy as np
import pytest


def _require(name):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required for the interop tests in CI: {exc}")
        pytest.skip(f"{name} is not installed: {exc}")


@pytest.fixture(scope="session")
def h5py():
    return _require("h5py")


@pytest.fixture(scope="session")
def onnx():
    return _require("onnx")


@pytest.fixture(scope="session")
def onnxruntime():
    return _require("onnxruntime")


@pytest.fixture
def keras_load(keras, h5py):
    """`keras.saving.load_model(path)`, failing the test on any warning Keras gives."""

    def load(path, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.saving.load_model(path, **kwargs)
        messages = [str(w.message) for w in caught if "jax" not in str(w.filename)]
        assert not messages, messages
        return model

    return load


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 6)).astype("float32")
    labels = rng.integers(0, 3, size=24)
    return x, labels, np.eye(3, dtype="float32")[labels]
