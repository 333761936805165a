"""Fixtures for the saving tests: small trained models and data."""

import numpy as np
import pytest

import kerasnp


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.integers(0, 3, size=32)
    return x, y


@pytest.fixture
def mlp():
    """A Dense-Dropout-Dense classifier; `mlp(optimizer=..., compile=True)`."""

    def make(optimizer="adam", compile=True, seed=0, dropout=0.25):
        kerasnp.utils.set_random_seed(seed)
        model = kerasnp.Sequential(
            [
                kerasnp.Input(shape=(4,)),
                kerasnp.layers.Dense(
                    6, activation="relu", kernel_regularizer=kerasnp.regularizers.L2(1e-3)
                ),
                kerasnp.layers.Dropout(dropout),
                kerasnp.layers.Dense(3, activation="softmax"),
            ]
        )
        if compile:
            model.compile(
                optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"]
            )
        return model

    return make


@pytest.fixture
def trained(mlp, xy, tmp_path):
    """A trained model saved at `path` (the model and the path)."""
    model = mlp()
    x, y = xy
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    return model, path


@pytest.fixture
def same():
    def check(a, b):
        a, b = list(a), list(b)
        return len(a) == len(b) and all(
            np.asarray(u).shape == np.asarray(v).shape and np.array_equal(u, v)
            for u, v in zip(a, b, strict=False)
        )

    return check
