"""Regularizers against Keras 3 (JAX): penalties, configs, identifiers."""

import numpy as np
import pytest

from kerasnp import regularizers
from kerasnp._errors import KerasnpError

pytestmark = pytest.mark.oracle

CASES = [
    ("L1", {"l1": 0.03}),
    ("L2", {"l2": 0.07}),
    ("L1L2", {"l1": 0.02, "l2": 0.05}),
    ("L1", {}),
    ("L2", {}),
    ("L1L2", {"l2": 0.1}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
@pytest.mark.parametrize("shape", [(7,), (20, 5)])
def test_penalty_matches_keras(keras, name, kwargs, shape):
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    theirs = float(getattr(keras.regularizers, name)(**kwargs)(keras.ops.convert_to_tensor(x)))
    ours = getattr(regularizers, name)(**kwargs)(x)
    assert ours == pytest.approx(theirs, rel=1e-6)


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_gradient_matches_jax(keras, name, kwargs):
    import jax

    x = np.random.default_rng(5).normal(size=(6, 4)).astype("float32")
    reg = getattr(keras.regularizers, name)(**kwargs)
    theirs = np.asarray(jax.grad(lambda w: reg(w))(x))
    ours = getattr(regularizers, name)(**kwargs).gradient(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("identifier", ["l1", "l2", "l1l2", "L1", "L2", "L1L2"])
def test_string_identifiers_as_keras(keras, identifier):
    theirs = keras.regularizers.get(identifier)
    ours = regularizers.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == pytest.approx(theirs.get_config(), rel=1e-6)


def test_l1_l2_string_is_a_deliberate_difference(keras):
    with pytest.raises(ValueError):
        keras.regularizers.get("l1_l2")
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    with pytest.raises(ValueError):
        keras.regularizers.get("L1l2")
    with pytest.raises(KerasnpError):
        regularizers.get("L1l2")


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_configs_and_serialization_as_keras(keras, name, kwargs):
    theirs = getattr(keras.regularizers, name)(**kwargs)
    ours = getattr(regularizers, name)(**kwargs)
    # Keras keeps L1's factor as float32 (0.009999999776482582); kerasnp keeps the float given.
    assert ours.get_config() == pytest.approx(theirs.get_config(), rel=1e-7)
    k_ser, n_ser = keras.regularizers.serialize(theirs), regularizers.serialize(ours)
    assert {k: v for k, v in n_ser.items() if k != "config"} == {
        k: v for k, v in k_ser.items() if k != "config"
    }
    loaded = regularizers.deserialize(k_ser)
    assert loaded.get_config() == pytest.approx(theirs.get_config(), rel=1e-7)
    assert keras.regularizers.deserialize(n_ser).get_config() == pytest.approx(
        ours.get_config(), rel=1e-7
    )


def test_aliases_as_keras(keras):
    assert (keras.regularizers.l2 is keras.regularizers.L2) == (regularizers.l2 is regularizers.L2)
    assert (
        regularizers.l1_l2 is regularizers.L1L2
        and keras.regularizers.l1_l2 is keras.regularizers.L1L2
    )
