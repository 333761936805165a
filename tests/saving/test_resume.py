"""Training resumes exactly: N epochs == k epochs + save + load + (N - k) epochs."""

import numpy as np
import pytest

import kerasnp
from kerasnp.callbacks import ModelCheckpoint


def build(optimizer):
    model = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(5,)),
            kerasnp.layers.Dense(
                8, activation="relu", kernel_regularizer=kerasnp.regularizers.L2(1e-3)
            ),
            kerasnp.layers.Dropout(0.3),
            kerasnp.layers.Dense(6, activation="tanh"),
            kerasnp.layers.Dropout(0.2, seed=3),
            kerasnp.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(42)
    x = rng.normal(size=(50, 5)).astype("float32")
    y = rng.integers(0, 3, size=50)
    return x, y


FIT = dict(batch_size=8, verbose=0, validation_split=0.2)


def identical(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


@pytest.mark.parametrize(
    "optimizer, shuffle",
    [
        (lambda: kerasnp.optimizers.Adam(learning_rate=0.01), True),
        (lambda: kerasnp.optimizers.SGD(learning_rate=0.05, momentum=0.9), "batch"),
        (
            lambda: kerasnp.optimizers.RMSprop(
                learning_rate=kerasnp.optimizers.schedules.ExponentialDecay(0.01, 5, 0.9)
            ),
            True,
        ),
    ],
)
def test_resume_is_bit_for_bit(data, tmp_path, optimizer, shuffle):
    x, y = data
    kerasnp.utils.set_random_seed(7)
    straight = build(optimizer())
    full = straight.fit(x, y, epochs=5, shuffle=shuffle, **FIT)

    kerasnp.utils.set_random_seed(7)
    first = build(optimizer())
    part1 = first.fit(x, y, epochs=2, shuffle=shuffle, **FIT)
    first.save(tmp_path / "half.keras")
    kerasnp.utils.set_random_seed(12345)  # the global seed no longer matters
    resumed = kerasnp.models.load_model(tmp_path / "half.keras")
    part2 = resumed.fit(x, y, epochs=5, initial_epoch=2, shuffle=shuffle, **FIT)

    for key, values in full.history.items():
        assert part1.history[key] + part2.history[key] == values, key
    assert identical(resumed.get_weights(), straight.get_weights())
    assert identical(resumed.optimizer.get_weights(), straight.optimizer.get_weights())
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 25


def test_without_the_random_states_the_run_differs(data, tmp_path):
    """The control: the test above fails if the generators are not restored."""
    x, y = data
    kerasnp.utils.set_random_seed(7)
    straight = build(kerasnp.optimizers.Adam())
    straight.fit(x, y, epochs=3, **FIT)
    kerasnp.utils.set_random_seed(7)
    first = build(kerasnp.optimizers.Adam())
    first.fit(x, y, epochs=1, **FIT)
    first.save(tmp_path / "m.keras")
    resumed = kerasnp.models.load_model(tmp_path / "m.keras")
    resumed._rng = np.random.default_rng(0)
    resumed.fit(x, y, epochs=3, initial_epoch=1, **FIT)
    assert not identical(resumed.get_weights(), straight.get_weights())


def test_resume_from_a_checkpoint_written_during_training(data, tmp_path):
    x, y = data
    kerasnp.utils.set_random_seed(3)
    straight = build(kerasnp.optimizers.Adam())
    straight.fit(
        x, y, epochs=4, callbacks=[ModelCheckpoint(str(tmp_path / "e{epoch}.keras"))], **FIT
    )
    resumed = kerasnp.models.load_model(tmp_path / "e2.keras")
    resumed.fit(x, y, epochs=4, initial_epoch=2, **FIT)
    assert identical(resumed.get_weights(), straight.get_weights())
