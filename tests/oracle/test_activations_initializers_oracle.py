"""Activations and initializers against Keras 3 (JAX backend)."""

import math

import numpy as np
import pytest

from kerasnp import activations as A
from kerasnp import initializers as I

pytestmark = pytest.mark.oracle


def _inputs():
    rng = np.random.default_rng(0)
    grid = np.linspace(-15.0, 15.0, 301)
    points = np.concatenate([grid, rng.normal(0.0, 3.0, 205), [0.0, -1e-3, 1e-3, -3.0, 3.0, 6.0]])
    return points.astype(np.float32).reshape(-1, 8)


ACTIVATION_CASES = [
    ("relu", {}),
    ("relu", {"negative_slope": 0.1, "max_value": 6.0, "threshold": 1.0}),
    ("relu", {"threshold": -1.0}),
    ("relu", {"max_value": 2.0}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"negative_slope": 0.3}),
    ("relu", {"negative_slope": 0.2, "threshold": -2.0, "max_value": 4.0}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 2.0}),
    ("relu6", {}),
    ("sigmoid", {}),
    ("hard_sigmoid", {}),
    ("tanh", {}),
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 0}),
    ("linear", {}),
    ("exponential", {}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("softplus", {}),
    ("softsign", {}),
    ("silu", {}),
    ("swish", {}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
]


@pytest.mark.parametrize(
    "name, kwargs", ACTIVATION_CASES, ids=[f"{n}-{k}" for n, k in ACTIVATION_CASES]
)
def test_activation_values_match_keras(keras, name, kwargs):
    x = _inputs()
    expected = np.asarray(getattr(keras.activations, name)(x, **kwargs))
    ours = getattr(A, name)(x, **kwargs)
    assert ours.dtype == expected.dtype == np.float32
    # float32 tolerance; the absolute part covers JAX's float32 GELU in the far
    # left tail, where 1 + erf(...) (or 1 + tanh) cancels in float32.
    np.testing.assert_allclose(ours, expected, rtol=2e-6, atol=1e-6)


def test_activation_defaults_match_keras(keras):
    import inspect

    for name in ["relu", "leaky_relu", "elu", "gelu", "softmax", "log_softmax"]:
        theirs = inspect.signature(getattr(keras.activations, name)).parameters
        ours = inspect.signature(getattr(A, name)).parameters
        assert {k: p.default for k, p in ours.items()} == {k: p.default for k, p in theirs.items()}


def test_activation_names_and_serialization_match_keras(keras):
    for name in A._ACTIVATIONS:
        theirs = keras.activations.get(name)
        ours = A.get(name)
        assert A.serialize(ours) == keras.activations.serialize(theirs)
    assert A.serialize(A.get(None)) == keras.activations.serialize(keras.activations.get(None))


# ---------------------------------------------------------------------------- initializers

INITIALIZER_CONFIGS = [
    ("Zeros", {}),
    ("Ones", {}),
    ("Constant", {"value": 0.25}),
    ("RandomUniform", {"minval": -0.3, "maxval": 0.1, "seed": 5}),
    ("RandomNormal", {"mean": 0.5, "stddev": 0.2, "seed": 5}),
    ("TruncatedNormal", {"mean": 0.0, "stddev": 0.1, "seed": 5}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform", "seed": 5}),
    ("VarianceScaling", {"mode": "fan_out", "distribution": "untruncated_normal"}),
    ("GlorotUniform", {}),
    ("GlorotNormal", {"seed": 1}),
    ("HeUniform", {}),
    ("HeNormal", {}),
    ("LecunUniform", {}),
    ("LecunNormal", {}),
    ("Orthogonal", {"gain": 2.0, "seed": 3}),
]


@pytest.mark.parametrize("name, kwargs", INITIALIZER_CONFIGS)
def test_initializer_configs_match_keras(keras, name, kwargs):
    theirs = getattr(keras.initializers, name)(**kwargs)
    ours = getattr(I, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    assert I.serialize(ours) == keras.initializers.serialize(theirs)
    # a Keras config loads here, and ours loads in Keras
    assert I.deserialize(keras.initializers.serialize(theirs)).get_config() == ours.get_config()
    assert keras.initializers.deserialize(I.serialize(ours)).get_config() == theirs.get_config()


def test_defaults_match_keras(keras):
    for name in [
        "RandomUniform",
        "RandomNormal",
        "TruncatedNormal",
        "VarianceScaling",
        "GlorotUniform",
        "HeNormal",
        "Orthogonal",
        "Constant",
    ]:
        assert getattr(I, name)().get_config() == getattr(keras.initializers, name)().get_config()


def test_initializer_names_match_keras(keras):
    from keras.src.initializers import ALL_OBJECTS_DICT

    skip = {"STFT", "stft", "STFTInitializer", "Initializer", "initializer"}
    for name, cls in ALL_OBJECTS_DICT.items():
        if name in skip:
            continue
        assert type(I.get(name)).__name__ == cls.__name__, name


# Each case: an initializer name, its arguments and a shape. Both libraries draw
# a large array; the bounds must agree exactly and the spreads statistically.
CONV = (3, 3, 32, 64)
STAT_CASES = [
    ("GlorotUniform", {}, (400, 250)),
    ("GlorotNormal", {}, (400, 250)),
    ("HeUniform", {}, CONV),
    ("HeNormal", {}, CONV),
    ("LecunUniform", {}, (400, 250)),
    ("LecunNormal", {}, (400, 250)),
    (
        "VarianceScaling",
        {"scale": 3.0, "mode": "fan_out", "distribution": "untruncated_normal"},
        CONV,
    ),
    (
        "VarianceScaling",
        {"scale": 0.5, "mode": "fan_avg", "distribution": "truncated_normal"},
        CONV,
    ),
    ("VarianceScaling", {"mode": "fan_in", "distribution": "uniform"}, (400, 250)),
    ("RandomUniform", {"minval": -0.3, "maxval": 0.1}, (400, 250)),
    ("RandomNormal", {"mean": 0.5, "stddev": 0.2}, (400, 250)),
    ("TruncatedNormal", {"mean": -1.0, "stddev": 0.3}, (400, 250)),
]


@pytest.mark.parametrize(
    "name, kwargs, shape", STAT_CASES, ids=[f"{c[0]}-{c[2]}" for c in STAT_CASES]
)
def test_initializer_statistics_match_keras(keras, name, kwargs, shape):
    theirs = np.asarray(getattr(keras.initializers, name)(seed=0, **kwargs)(shape))
    ours = getattr(I, name)(seed=0, **kwargs)(shape)
    assert ours.dtype == theirs.dtype == np.float32 and ours.shape == theirs.shape
    n = theirs.size
    t_std, t_mean = float(theirs.std()), float(theirs.mean())
    # the standard error of a sample std is about std / sqrt(2n): allow 6 of them
    assert float(ours.std()) == pytest.approx(t_std, rel=6 / math.sqrt(2 * n))
    assert float(ours.mean()) == pytest.approx(t_mean, abs=6 * t_std / math.sqrt(n))
    unbounded = name == "RandomNormal" or kwargs.get("distribution") == "untruncated_normal"
    if not unbounded:
        # a uniform reaches its limits, a truncated normal its 2-sigma bounds: in both
        assert float(ours.max()) == pytest.approx(float(theirs.max()), rel=0.005, abs=1e-4)
        assert float(ours.min()) == pytest.approx(float(theirs.min()), rel=0.005, abs=1e-4)


def test_orthogonal_matches_keras(keras):
    # (3, 4, 40) is the matrix (12, 40): the wide case, whose rows are orthonormal.
    shape = (3, 4, 40)
    theirs = np.asarray(keras.initializers.Orthogonal(gain=1.5, seed=0)(shape))
    ours = I.Orthogonal(gain=1.5, seed=0)(shape)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    for q in (theirs.reshape(12, 40), ours.reshape(12, 40)):
        np.testing.assert_allclose(q @ q.T, 2.25 * np.eye(12), atol=1e-4)


def test_identity_and_constants_match_keras(keras):
    for shape in [(3, 3), (2, 4)]:
        np.testing.assert_array_equal(
            I.Identity(gain=2.0)(shape), np.asarray(keras.initializers.Identity(gain=2.0)(shape))
        )
    np.testing.assert_array_equal(I.Constant(0.3)((2, 3)), keras.initializers.Constant(0.3)((2, 3)))
    np.testing.assert_array_equal(I.Zeros()((2, 3)), keras.initializers.Zeros()((2, 3)))
    np.testing.assert_array_equal(I.Ones()((4,)), keras.initializers.Ones()((4,)))


def test_seeded_initializers_repeat_like_keras(keras):
    theirs = keras.initializers.GlorotUniform(seed=4)
    ours = I.GlorotUniform(seed=4)
    assert np.array_equal(np.asarray(theirs((5, 5))), np.asarray(theirs((5, 5))))
    assert np.array_equal(ours((5, 5)), ours((5, 5)))
