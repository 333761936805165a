"""Regularizers: penalties and gradients by hand, identifiers, configs, errors."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasnp import regularizers
from kerasnp._errors import KerasnpError
from kerasnp.regularizers import L1, L1L2, L2, Regularizer

X = np.array([[1.0, -2.0], [0.5, 0.0]])


def test_penalties_by_hand():
    assert L1(0.1)(X) == pytest.approx(0.1 * 3.5)
    assert L2(0.1)(X) == pytest.approx(0.1 * 5.25)  # no 1/2 factor
    assert L1L2(l1=0.1, l2=0.2)(X) == pytest.approx(0.35 + 1.05)
    assert isinstance(L2()(X), float)


def test_gradients_by_hand():
    np.testing.assert_allclose(L1(0.1).gradient(X), [[0.1, -0.1], [0.1, 0.0]])
    np.testing.assert_allclose(L2(0.1).gradient(X), [[0.2, -0.4], [0.1, 0.0]])
    np.testing.assert_allclose(L1L2(0.1, 0.2).gradient(X), [[0.5, -0.9], [0.3, 0.0]])
    np.testing.assert_allclose(L1L2(0.0, 0.2).gradient(X), L2(0.2).gradient(X))
    np.testing.assert_allclose(L1L2(0.1, 0.0).gradient(X), L1(0.1).gradient(X))


@pytest.mark.parametrize("reg", [L1(0.1), L2(0.1), L1L2(0.1, 0.1), Regularizer()])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_keeps_shape_and_dtype(reg, dtype):
    x = X.astype(dtype)
    grad = reg.gradient(x)
    assert grad.shape == x.shape and grad.dtype == np.dtype(dtype)
    assert grad is not x


def test_integer_input_becomes_float():
    assert L2(0.5)(np.array([1, 2])) == pytest.approx(2.5)
    assert L1(0.5).gradient(np.array([3, -1])).dtype == np.float64


def test_defaults_and_none():
    assert L1().l1 == 0.01 and L2().l2 == 0.01
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert L1(None).l1 == 0.01 and L2(None).l2 == 0.01
    assert L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


def test_aliases_are_the_classes():
    assert regularizers.l1 is L1 and regularizers.l2 is L2 and regularizers.l1_l2 is L1L2


@pytest.mark.parametrize(
    "name, cls, config",
    [
        ("l1", L1, {"l1": 0.01}),
        ("L1", L1, {"l1": 0.01}),
        ("l2", L2, {"l2": 0.01}),
        ("L2", L2, {"l2": 0.01}),
        ("l1l2", L1L2, {"l1": 0.0, "l2": 0.0}),
        ("L1L2", L1L2, {"l1": 0.0, "l2": 0.0}),
        ("l1_l2", L1L2, {"l1": 0.01, "l2": 0.01}),  # a deliberate difference: Keras rejects it
    ],
)
def test_get_names(name, cls, config):
    reg = regularizers.get(name)
    assert type(reg) is cls and reg.get_config() == config


def test_get_other_identifiers():
    assert regularizers.get(None) is None
    reg = L2(0.3)
    assert regularizers.get(reg) is reg
    assert regularizers.get(L1).get_config() == {"l1": 0.01}
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5

    def fn(w):
        return 0.0

    assert regularizers.get(fn) is fn


@pytest.mark.parametrize("name", ["L1l2", "l3", "ridge", "L2 "])
def test_get_unknown(name):
    with pytest.raises(KerasnpError, match="Could not interpret regularizer identifier"):
        regularizers.get(name)


def test_unknown_name_suggests():
    with pytest.raises(KerasnpError, match="Did you mean 'l1l2'"):
        regularizers.get("l1l22")


@pytest.mark.parametrize("reg", [L1(0.25), L2(0.125), L1L2(0.5, 0.75), Regularizer()])
def test_config_round_trip(reg):
    config = reg.get_config()
    assert all(type(v) is float for v in config.values())
    again = type(reg).from_config(config)
    assert again.get_config() == config
    assert again(X) == reg(X)
    back = regularizers.deserialize(regularizers.serialize(reg))
    assert type(back) is type(reg) and back.get_config() == config


def test_serialize_layout():
    assert regularizers.serialize(L2(0.1)) == {
        "module": "keras.regularizers",
        "class_name": "L2",
        "config": {"l2": 0.1},
        "registered_name": None,
    }


def test_repr():
    assert repr(L1L2(0.1, 0.2)) == "L1L2(l1=0.1, l2=0.2)"


@pytest.mark.parametrize("cls, name", [(L1, "l1"), (L2, "l2"), (L1L2, "l1"), (L1L2, "l2")])
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "0.1", True, [0.1]])
def test_invalid_factor(cls, name, bad):
    with pytest.raises(KerasnpError) as info:
        cls(**{name: bad})
    assert str(info.value).startswith(f"Invalid value for argument `{name}` of {cls.__name__}")
    assert f"Received: {name}=" in str(info.value)


def test_misspelt_keyword_suggests():
    with pytest.raises(KerasnpError, match="Did you mean `l2`"):
        L2(l=0.1)


def test_base_is_zero_penalty():
    assert Regularizer()(X) == 0.0
    assert not Regularizer().gradient(X).any()


def test_custom_penalty_without_gradient_says_what_to_do():
    class Cubes(Regularizer):
        def __call__(self, x):
            return float(np.sum(np.abs(x) ** 3))

    assert Cubes()(X) == pytest.approx(9.125)
    with pytest.raises(KerasnpError, match="must define `gradient"):
        Cubes().gradient(X)


factors = st.floats(min_value=0.0, max_value=1e3, allow_nan=False)
arrays = st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=8).map(np.array)


@given(l1=factors, l2=factors, x=arrays)
def test_property_formula_and_round_trip(l1, l2, x):
    reg = L1L2(l1=l1, l2=l2)
    expected = l1 * np.abs(x).sum() + l2 * (x**2).sum()
    assert reg(x) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert reg(x) >= 0.0
    assert L1L2.from_config(reg.get_config()).get_config() == reg.get_config()


bad_factors = st.one_of(
    st.floats(max_value=-1e-12, allow_infinity=True, allow_nan=False),
    st.just(math.nan),
    st.just(math.inf),
    st.text(max_size=3),
    st.booleans(),
    st.none().map(lambda _: [1.0]),
)


@given(bad=bad_factors, cls=st.sampled_from([L1, L2]))
def test_property_invalid_always_raises(bad, cls):
    with pytest.raises(KerasnpError):
        cls(bad)
