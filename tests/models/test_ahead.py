"""Dropout masks made ahead by the helper (models/ahead.py): the numbers,
and the generators' states, are those of a run without it."""

import copy
import subprocess
import sys

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import _compiled, _spinning, layers
from kerasnp.layers.dropout import Dropout
from kerasnp.models import ahead
from kerasnp.saving.rng_state import restore_rng_states, rng_states


@pytest.fixture
def module(compiled, monkeypatch):
    """The compiled masks, with a helper not backing off (other tests' tiny
    products may have finished before it could take them)."""
    spinner = compiled(_spinning.spinner(), "the spinning helper")
    for name in ("_seen", "_missed", "_skip"):
        monkeypatch.setattr(spinner, name, 0)
    return compiled(_compiled.load("models.ahead_fused"), "the compiled masks made ahead")


def _model(seed, rate=0.2):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(300,)), layers.Dense(512, "relu"),
                              layers.Dropout(rate), layers.Dense(256, "relu"),
                              layers.Dropout(rate), layers.Dense(10, "softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.random((330, 300), dtype=np.float32), rng.integers(0, 10, 330)


class _Record(keras.callbacks.Callback):
    """The generators' states after every batch (as a checkpoint saves them)."""

    def __init__(self):
        super().__init__()
        self.states = []

    def on_train_batch_end(self, batch, logs=None):
        self.states.append(rng_states(self.model))


class _Copy(keras.callbacks.Callback):
    """A copy of the model after every other batch ("keep the best model")."""

    def __init__(self):
        super().__init__()
        self.copies = []

    def on_train_batch_end(self, batch, logs=None):
        if batch % 2:
            self.copies.append(copy.deepcopy(self.model))


class _Stop(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 3:
            raise RuntimeError("stopped by a callback")


def _fit(monkeypatch, made_ahead, callback=None):
    with monkeypatch.context() as patch:
        if not made_ahead:
            patch.setattr(ahead.Ahead, "for_layers", classmethod(lambda cls, layers: None))
        model = _model(4)
        x, y = _data()
        try:
            history = model.fit(x, y, batch_size=64, epochs=3, verbose=0,
                                validation_split=0.2, callbacks=[callback] if callback else [])
        except RuntimeError:
            return model, None
        return model, history.history


def _same(model, other):
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()
    assert rng_states(model) == rng_states(other)


def test_training_with_masks_made_ahead_gives_the_same_numbers(module, monkeypatch):
    taken = []
    original = Dropout._take_ahead
    monkeypatch.setattr(Dropout, "_take_ahead",
                        lambda self, *a: taken.append(original(self, *a)) or taken[-1])
    model, history = _fit(monkeypatch, True)
    # 64x512 and 64x256 masks; the first step of an epoch has none made ahead
    assert sum(mask is not None for mask in taken) >= 2 * 3 * 2
    plain, plain_history = _fit(monkeypatch, False)
    assert history == plain_history
    _same(model, plain)
    assert all(layer._ahead is None for layer in model.layers if hasattr(layer, "_ahead"))


@pytest.mark.parametrize("callback", [_Record, _Copy, _Stop])
def test_callbacks_reading_copying_or_stopping_the_model_see_the_same(module, monkeypatch,
                                                                     callback):
    watched, plain_watched = callback(), callback()
    model, history = _fit(monkeypatch, True, watched)
    plain, plain_history = _fit(monkeypatch, False, plain_watched)
    assert history == plain_history
    _same(model, plain)
    if callback is _Record:
        assert watched.states == plain_watched.states
    if callback is _Copy:
        assert len(watched.copies) == len(plain_watched.copies) > 0
        x = _data()[0][:64]
        for copied, plain_copied in zip(watched.copies, plain_watched.copies, strict=True):
            _same(copied, plain_copied)
            # a copy's next masks are those the original would have drawn
            assert (copied.predict(x, verbose=0).tobytes()
                    == plain_copied.predict(x, verbose=0).tobytes())
            pairs = list(zip(copied.layers, plain_copied.layers, strict=True))
            for (before, _), (layer, plain_layer) in zip(pairs[:-1], pairs[1:], strict=True):
                if isinstance(layer, Dropout):
                    h = np.ones((64, before.units), np.float32)
                    assert (layer._forward_reusing(h, training=True).tobytes()
                            == plain_layer._forward_reusing(h, training=True).tobytes())


_NO_SEEDS_TAKEN = """
import numpy as np
import kerasnp
from kerasnp import _compiled, layers
from kerasnp.utils import random
kerasnp.utils.set_random_seed(0)
before = random._STATE["drawn"], layers.Dropout(0.1).name
for name in ("layers.dense_fused", "layers.dropout_fused", "models.ahead_fused",
             "losses.categorical_fused", "models.program_fused"):
    module = _compiled.load(name)
    assert module is not None, name
    if isinstance(getattr(module, "ready", None), _compiled.Checked):  # each dtype's check
        assert module.ready(np.dtype("float32")) and module.ready(np.dtype("float64")), name
after = random._STATE["drawn"], layers.Dropout(0.1).name
assert after[0] == before[0] + 1 and after[1] == "dropout_1", (before, after)
"""


def test_loading_the_compiled_passes_takes_no_seed_and_no_name(module):
    # a fresh interpreter: this one has loaded them already
    done = subprocess.run([sys.executable, "-c", _NO_SEEDS_TAKEN], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def _reserved(module, seed=3, shape=(128, 512)):
    """A Dropout layer after a training pass, with its next mask reserved
    and offered to the helper; and a twin layer without."""
    layer, twin = layers.Dropout(0.3, seed=seed), layers.Dropout(0.3, seed=seed)
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    layer._forward_reusing(x, training=True)
    twin._forward_reusing(x, training=True)
    table = np.zeros((1, module.SLOTS), np.int64)
    assert layer._reserve_ahead(table[0])
    assert module.post(table, 1)
    return layer, twin, x, table


def test_a_mask_made_ahead_is_the_next_one_drawn(module):
    layer, twin, x, table = _reserved(module)
    out = layer._forward_reusing(x, training=True).copy()
    assert out.tobytes() == twin._forward_reusing(x, training=True).tobytes()
    assert layer._mask.tobytes() == twin._mask.tobytes()
    assert layer._rng.bit_generator.state == twin._rng.bit_generator.state
    assert layer._ahead is None


@pytest.mark.parametrize("then", ["another shape", "call", "inference", "saved state",
                                  "loaded state", "another rate"])
def test_anything_else_first_puts_the_generator_back(module, then):
    layer, twin, x, table = _reserved(module)
    if then == "another shape":
        other = x[:100]
        assert (layer._forward_reusing(other, training=True).tobytes()
                == twin._forward_reusing(other, training=True).tobytes())
    elif then == "call":
        assert layer(x, training=True).tobytes() == twin(x, training=True).tobytes()
    elif then == "inference":
        layer._forward_reusing(x, training=False)
    elif then == "another rate":
        layer.rate = twin.rate = 0.5
        assert (layer._forward_reusing(x, training=True).tobytes()
                == twin._forward_reusing(x, training=True).tobytes())
    else:
        model, model_twin = keras.Sequential([layer]), keras.Sequential([twin])
        model.build((None, 512))
        model_twin.build((None, 512))
        key, twin_key = (next(k for k in rng_states(m) if k != "model")
                         for m in (model, model_twin))
        if then == "saved state":
            assert rng_states(model)[key] == rng_states(model_twin)[twin_key]
        else:  # a state from elsewhere replaces the reserved one
            loaded = np.random.PCG64(11).state
            restore_rng_states(model, {"rng": {key: loaded}}, "a test")
            restore_rng_states(model_twin, {"rng": {twin_key: loaded}}, "a test")
    assert layer._ahead is None
    assert layer._rng.bit_generator.state == twin._rng.bit_generator.state
    assert (layer._forward_reusing(x, training=True).tobytes()
            == twin._forward_reusing(x, training=True).tobytes())


def test_small_masks_are_not_made_ahead(module):
    layer = layers.Dropout(0.3, seed=1)
    layer._forward_reusing(np.ones((32, 128), np.float32), training=True)  # seed's 4096
    assert not layer._reserve_ahead(np.zeros(module.SLOTS, np.int64))
    plan = ahead.Ahead.for_layers([layer])
    plan.post(32)
    assert 32 in plan._small and layer._ahead is None


def test_generators_numpy_does_not_share_are_left_alone(module):
    layer = layers.Dropout(0.3)
    layer._rng = np.random.Generator(np.random.SFC64(0))
    layer._forward_reusing(np.ones((128, 512), np.float32), training=True)
    before = layer._rng.bit_generator.state["state"]["state"].tolist()
    assert not layer._reserve_ahead(np.zeros(module.SLOTS, np.int64))
    assert layer._rng.bit_generator.state["state"]["state"].tolist() == before


def test_nothing_is_reserved_while_the_helper_backs_off(module, monkeypatch):
    layer = layers.Dropout(0.3, seed=1)
    layer._forward_reusing(np.ones((128, 512), np.float32), training=True)
    before = layer._rng.bit_generator.state
    plan = ahead.Ahead.for_layers([layer])
    monkeypatch.setattr(_spinning.spinner(), "_skip", 10)  # another program holds the core
    plan.post(128)
    assert layer._ahead is None and layer._rng.bit_generator.state == before
    monkeypatch.setattr(_spinning.spinner(), "_skip", 0)
    plan.post(128)
    assert layer._ahead is not None
    plan.finish()
    assert layer._ahead is None and layer._rng.bit_generator.state == before
