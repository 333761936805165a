"""Dropout masks made ahead by the helper (models/ahead.py): the numbers,
and the generators' states, are those of a run without it."""

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import _compiled, _spinning, layers
from kerasnp.models import ahead
from kerasnp.saving.rng_state import restore_rng_states, rng_states


@pytest.fixture
def module(compiled):
    compiled(_spinning.spinner(), "the spinning helper")
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


def _fit(monkeypatch, made_ahead, **kwargs):
    with monkeypatch.context() as patch:
        if not made_ahead:
            patch.setattr(ahead.Ahead, "for_layers", classmethod(lambda cls, layers: None))
        model = _model(4)
        x, y = _data()
        record = _Record()
        history = model.fit(x, y, batch_size=64, epochs=3, verbose=0, validation_split=0.2,
                            callbacks=[record] if kwargs.get("record") else [])
        return model, history.history, record.states


@pytest.mark.parametrize("record", [False, True])
def test_training_with_masks_made_ahead_gives_the_same_numbers(module, monkeypatch, record):
    reserved = []
    original = module.mask_task
    monkeypatch.setattr(module, "mask_task", lambda *a: reserved.append(1) or original(*a))
    model, history, states = _fit(monkeypatch, True, record=record)
    assert reserved  # 64x512 and 64x256 masks: both made ahead
    plain, plain_history, plain_states = _fit(monkeypatch, False, record=record)
    assert history == plain_history
    for a, b in zip(model.get_weights(), plain.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()
    assert states == plain_states
    assert rng_states(model) == rng_states(plain)
    assert all(layer._ahead is None for layer in model.layers if hasattr(layer, "_ahead"))


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
    assert 32 in plan._nothing_for and layer._ahead is None


def test_generators_numpy_does_not_share_are_left_alone(module):
    layer = layers.Dropout(0.3)
    layer._rng = np.random.Generator(np.random.SFC64(0))
    layer._forward_reusing(np.ones((128, 512), np.float32), training=True)
    before = layer._rng.bit_generator.state["state"]["state"].tolist()
    assert not layer._reserve_ahead(np.zeros(module.SLOTS, np.int64))
    assert layer._rng.bit_generator.state["state"]["state"].tolist() == before
