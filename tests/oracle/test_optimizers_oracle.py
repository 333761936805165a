"""Optimizers and schedules against Keras 3 (JAX): same weights, same gradients, same numbers."""

import inspect

import numpy as np
import pytest

from kerasnp import optimizers
from kerasnp.optimizers import schedules
from kerasnp.variables import Variable

pytestmark = pytest.mark.oracle

SHAPES = [(4, 3), (3,), (2, 2, 2)]
STEPS = 5

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("SGD", {"clipvalue": 0.3}),
    ("SGD", {"momentum": 0.5, "loss_scale_factor": 4.0}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"clipnorm": 0.5}),
    ("Adam", {"global_clipnorm": 0.5}),
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"use_ema": True, "ema_overwrite_frequency": 2}),
    ("Adam", {"gradient_accumulation_steps": 2}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.05, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("RMSprop", {"centered": True, "global_clipnorm": 1.0}),
    ("Adagrad", {}),
    ("Adagrad", {"initial_accumulator_value": 0.0, "epsilon": 1e-3}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5}),
    ("Nadam", {}),
    ("Nadam", {"gradient_accumulation_steps": 2, "use_ema": True}),
    ("Adamax", {}),
    ("Adamax", {"weight_decay": 0.2, "clipnorm": 1.0}),
]


def _problem(seed):
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    return start, grads


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_weights_and_state_match_keras(keras, name, kwargs):
    kwargs = {"learning_rate": 0.1, **kwargs}
    start, grads = _problem(seed=sum(map(ord, name + str(sorted(kwargs)))))
    theirs = getattr(keras.optimizers, name)(**kwargs)
    ours = getattr(optimizers, name)(**kwargs)
    k_vars = [keras.Variable(w) for w in start]
    n_vars = [Variable(w, f"v{i}") for i, w in enumerate(start)]
    for step in grads:
        theirs.apply([keras.ops.convert_to_tensor(g) for g in step], k_vars)
        ours.apply(step, n_vars)
        for k, n in zip(k_vars, n_vars, strict=True):
            np.testing.assert_allclose(n.value, np.asarray(k.numpy()), rtol=1e-5, atol=1e-6)
    assert ours.iterations == int(theirs.iterations)
    k_state = [np.asarray(v.numpy()) for v in theirs.variables]
    n_state = [v.value for v in ours.variables]
    assert [s.shape for s in n_state] == [s.shape for s in k_state]
    for k, n in zip(k_state, n_state, strict=True):
        np.testing.assert_allclose(n.astype(np.float64), k.astype(np.float64), rtol=1e-5, atol=1e-6)
    assert all(n.value.dtype == np.float32 for n in n_vars)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_schedule_driven_updates_match_keras(keras, name):
    start, grads = _problem(seed=7)
    theirs = getattr(keras.optimizers, name)(
        keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    )
    ours = getattr(optimizers, name)(schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5))
    k_vars = [keras.Variable(w) for w in start]
    n_vars = [Variable(w, f"v{i}") for i, w in enumerate(start)]
    for step in grads:
        theirs.apply([keras.ops.convert_to_tensor(g) for g in step], k_vars)
        ours.apply(step, n_vars)
    for k, n in zip(k_vars, n_vars, strict=True):
        np.testing.assert_allclose(n.value, np.asarray(k.numpy()), rtol=1e-5, atol=1e-6)
    assert ours.learning_rate == pytest.approx(float(theirs.learning_rate), rel=1e-6)


SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.6)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.6, staircase=True),
    ),
    ("InverseTimeDecay", dict(initial_learning_rate=0.3, decay_steps=5, decay_rate=0.5)),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.3, decay_steps=5, decay_rate=0.5, staircase=True),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 25], values=[0.1, 0.05, 0.01])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=20)),
    (
        "PolynomialDecay",
        dict(
            initial_learning_rate=0.1, decay_steps=20, power=2.0, end_learning_rate=0.01, cycle=True
        ),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=30, alpha=0.1)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=30, warmup_target=0.2, warmup_steps=8),
    ),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=6)),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=6, t_mul=1.0, m_mul=0.8, alpha=0.05),
    ),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[n for n, _ in SCHEDULES])
def test_schedules_match_keras(keras, name, kwargs):
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    for step in [0, 1, 3, 5, 6, 8, 10, 11, 17, 20, 25, 26, 30, 37, 45, 60, 100]:
        assert ours(step) == pytest.approx(float(theirs(step)), rel=2e-6, abs=3e-8), step
    assert ours.get_config() == theirs.get_config()


ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Nadam", "Adamax"]


@pytest.mark.parametrize("name", ALL)
def test_config_keys_and_defaults_match_keras(keras, name):
    theirs = getattr(keras.optimizers, name)().get_config()
    ours = getattr(optimizers, name)().get_config()
    assert list(ours) == list(theirs)
    for key in theirs:
        if key == "name":
            # The same snake-case base name (Keras and kerasnp number instances separately).
            assert ours[key].split("_")[0] == theirs[key].split("_")[0]
        elif key == "learning_rate":  # Keras stores it as float32
            assert ours[key] == pytest.approx(theirs[key], rel=1e-7)
        else:
            assert ours[key] == theirs[key], key


@pytest.mark.parametrize("name", ALL)
def test_keras_configs_load_in_kerasnp(keras, name):
    options = {"SGD": {"momentum": 0.5}, "RMSprop": {"centered": True}}.get(name, {})
    theirs = getattr(keras.optimizers, name)(clipnorm=2.0, **options)
    serialized = keras.optimizers.serialize(theirs)
    ours = optimizers.deserialize(serialized)
    assert type(ours).__name__ == name
    for key, value in theirs.get_config().items():
        if key not in ("name", "learning_rate"):
            assert ours.get_config()[key] == value


def test_schedule_config_from_keras(keras):
    theirs = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.1, 50, alpha=0.2))
    ours = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert ours.learning_rate == pytest.approx(0.1)
    assert (
        ours.get_config()["learning_rate"]
        == keras.optimizers.serialize(theirs)["config"]["learning_rate"]
    )


def test_case_insensitive_names_as_keras(keras):
    for text in ["adam", "ADAM", "Sgd", "rmsprop", "RMSPROP", "adamw", "NAdam", "adamax"]:
        assert type(optimizers.get(text)).__name__ == type(keras.optimizers.get(text)).__name__


def test_signature_defaults_match_keras(keras):
    for name in ALL:
        theirs = inspect.signature(getattr(keras.optimizers, name)).parameters
        ours = inspect.signature(getattr(optimizers, name)).parameters
        for key, param in ours.items():
            if key != "kwargs":
                assert param.default == theirs[key].default, (name, key)
