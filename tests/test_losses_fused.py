"""The training loop's compiled cross-entropy steps (losses/categorical_fused.py):
the NumPy lines' loss and gradient, bit for bit."""

import numpy as np
import pytest

from kerasnp import _compiled
from kerasnp.losses import categorical


@pytest.fixture
def fused(compiled):
    return compiled(_compiled.load("losses.categorical_fused"), "the compiled loss steps")


def _probabilities(rng, rows, classes, dtype):
    logits = rng.normal(size=(rows, classes)) * 20
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (probs / probs.sum(axis=-1, keepdims=True)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows, classes", [(1, 1), (1, 3), (32, 10), (128, 10), (9, 130),
                                           (4, 1000)])
def test_the_steps_are_the_numpy_lines(fused, dtype, rows, classes):
    rng = np.random.default_rng(rows * classes)
    probs = _probabilities(rng, rows, classes, dtype)
    probs[0, 0] = 0.0  # clipped to eps before the log
    labels = rng.integers(0, classes, rows).astype(rng.choice(["int64", "int32", "uint8"]))
    onehot = np.eye(classes, dtype=dtype)[labels]
    if rows > 2:
        onehot[1] = 0.0  # no class at all: -0.0 products
        probs[2, -1] = np.nan
    for step, numpy_step, y in [(fused.sparse_step, categorical._scce_numpy_step, labels),
                                (fused.onehot_step, categorical._cce_numpy_step, onehot)]:
        for with_gradient in (True, False):
            ours, theirs = np.full_like(probs, 7.0), np.full_like(probs, 7.0)
            with np.errstate(invalid="ignore"):
                expected = numpy_step(y, probs, theirs if with_gradient else None)
                loss = step(y, probs, ours if with_gradient else None)
            assert np.float64(loss).tobytes() == np.float64(expected).tobytes()  # sign of 0 too
            assert ours.tobytes() == theirs.tobytes()


def test_the_fit_steps_use_them(fused, monkeypatch):
    used = []
    for name in ("sparse_step_call", "onehot_step"):  # (sparse: made ready, then run)
        real = getattr(fused, name)
        monkeypatch.setattr(fused, name, lambda *a, real=real: used.append(real) or real(*a))
    rng = np.random.default_rng(0)
    probs, labels = _probabilities(rng, 32, 10, "float32"), rng.integers(0, 10, 32)
    out = np.empty_like(probs)
    categorical._scce_fused_step(labels, probs, out)
    categorical._cce_fused_step(np.eye(10, dtype="float32")[labels], probs, out)
    assert len(used) == 2


def test_arrays_it_does_not_take_are_left_to_the_numpy_lines(fused):
    rng = np.random.default_rng(1)
    probs = _probabilities(rng, 4, 3, "float32")
    out = np.full_like(probs, 7.0)
    labels = np.array([0, 1, 2, 1])
    for y, p in [(labels.astype("float32"), probs),      # float labels
                 (labels[:3], probs),                    # one label short
                 (labels, probs.T.copy().T),             # not C-contiguous
                 (np.array([0, 1, 3, 1]), probs),        # a label out of range
                 (np.array([0, -1, 2, 1]), probs),       # a negative label
                 (labels.astype(">i2"), probs)]:         # not the machine's byte order
        assert fused.sparse_step(y, p, out) is None
    onehot = np.eye(3, dtype="float32")[labels]
    assert fused.onehot_step(onehot.astype("float64"), probs, out) is None  # mixed dtypes
    assert fused.onehot_step(onehot[:3], probs, out) is None                # wrong shape
    assert (out == 7.0).all()
    with pytest.raises(IndexError):  # the NumPy lines still raise for a bad label
        categorical._scce_fused_step(np.array([0, 1, 3, 1]), probs, out)


def test_fit_takes_labels_of_any_integer_type(fused):
    import kerasnp as keras

    x = np.random.default_rng(2).random((40, 6), dtype=np.float32)
    y = np.arange(40) % 3
    histories = []
    for labels in (y.astype("int64"), y.astype(">i2"), y.astype("uint8")):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(3, "softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        histories.append(model.fit(x, labels, epochs=2, batch_size=8, verbose=0).history)
    assert histories[0] == histories[1] == histories[2]
