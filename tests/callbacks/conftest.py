"""Fixtures for the callback tests: a tiny model, tiny data, and injected metric values."""

import numpy as np
import pytest

import kerasnp
from kerasnp.callbacks import Callback

# The val_loss sequence of the Keras experiments in keras-semantics.md §11.
SEQUENCE = [1.0, 0.9, 0.95, 0.96, 0.85, 0.9, 0.91, 0.92, 0.93, 0.94]


class Inject(Callback):
    """Overwrite `logs[key]` at each epoch end with the next value (placed first)."""

    def __init__(self, key="val_loss", values=SEQUENCE):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class RecordWeights(Callback):
    """Keep a copy of the weights at every epoch end."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def epoch_of(weights, recorded):
    """The index of the recorded epoch whose weights equal `weights` (or None)."""
    for i, rec in enumerate(recorded):
        if all(np.array_equal(a, b) for a, b in zip(weights, rec, strict=True)):
            return i
    return None


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = rng.integers(0, 2, size=24)
    return x, y


@pytest.fixture
def make_model():
    def make(optimizer=None, metrics=("accuracy",), seed=0):
        kerasnp.utils.set_random_seed(seed)
        model = kerasnp.Sequential(
            [
                kerasnp.Input(shape=(3,)),
                kerasnp.layers.Dense(4, activation="relu"),
                kerasnp.layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=optimizer or kerasnp.optimizers.Adam(learning_rate=0.001),
            loss="sparse_categorical_crossentropy",
            metrics=list(metrics),
        )
        return model

    return make


@pytest.fixture
def fit(data):
    """Run fit on the tiny data, silently; extra kwargs pass through."""

    def run(model, callbacks, epochs=10, **kwargs):
        x, y = data
        kwargs.setdefault("validation_split", 0.25)
        return model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=8,
            verbose=0,
            callbacks=callbacks,
            shuffle=False,
            **kwargs,
        )

    return run


@pytest.fixture
def helpers():
    """The helper classes and functions above, for the test modules."""

    class H:
        pass

    H.Inject, H.RecordWeights, H.epoch_of, H.SEQUENCE = Inject, RecordWeights, epoch_of, SEQUENCE
    return H
