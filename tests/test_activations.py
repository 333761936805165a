"""Activations: hand-worked values and gradients, dtypes, properties, get/serialize."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerasnp import activations as A
from kerasnp._errors import KerasnpError
from kerasnp._registry import custom_object_scope, register_serializable

LN2, LN3 = math.log(2.0), math.log(3.0)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def phi(v):
    """Standard normal CDF, from math.erf."""
    return 0.5 * (1.0 + math.erf(v / math.sqrt(2.0)))


def pdf(v):
    return math.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi)


def _gelu_tanh(v):
    inner = math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3)
    return 0.5 * v * (1.0 + math.tanh(inner))


def _gelu_tanh_slope(v):
    inner = math.sqrt(2.0 / math.pi) * (v + 0.044715 * v**3)
    t = math.tanh(inner)
    d_inner = math.sqrt(2.0 / math.pi) * (1.0 + 3 * 0.044715 * v * v)
    return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * d_inner


# (function, keyword arguments, x, expected y, expected dy/dx for an upstream gradient of ones)
# Every value is worked out from the formula at points where it is simple.
GOLDEN = [
    (A.relu, {}, [-2.0, -0.5, 0.5, 8.0], [0.0, 0.0, 0.5, 8.0], [0.0, 0.0, 1.0, 1.0]),
    # slope 0.1 below the threshold 1, capped at 6:
    (
        A.relu,
        {"negative_slope": 0.1, "max_value": 6.0, "threshold": 1.0},
        [-2.0, 0.5, 1.5, 7.0],
        [-0.3, -0.05, 1.5, 6.0],
        [0.1, 0.1, 1.0, 0.0],
    ),
    # Keras keeps x in (threshold, 0) when the threshold is negative and there is no cap:
    (A.relu, {"threshold": -1.0}, [-2.0, -0.5, 3.0], [0.0, -0.5, 3.0], [0.0, 1.0, 1.0]),
    (A.relu, {"max_value": 2.0}, [-1.0, 1.0, 3.0], [0.0, 1.0, 2.0], [0.0, 1.0, 0.0]),
    (A.relu, {"negative_slope": 0.5}, [-2.0, 3.0], [-1.0, 3.0], [0.5, 1.0]),
    (A.leaky_relu, {}, [-2.0, 3.0], [-0.4, 3.0], [0.2, 1.0]),
    (A.leaky_relu, {"negative_slope": 2.0}, [-2.0, 3.0], [-4.0, 3.0], [2.0, 1.0]),
    (A.relu6, {}, [-1.0, 3.0, 9.0], [0.0, 3.0, 6.0], [0.0, 1.0, 0.0]),
    (A.sigmoid, {}, [-LN3, 0.0, LN3], [0.25, 0.5, 0.75], [0.1875, 0.25, 0.1875]),
    (
        A.hard_sigmoid,
        {},
        [-4.0, -1.5, 0.0, 1.5, 4.0],
        [0.0, 0.25, 0.5, 0.75, 1.0],
        [0.0, 1 / 6, 1 / 6, 1 / 6, 0.0],
    ),
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6
    (A.tanh, {}, [-LN2, 0.0, LN2], [-0.6, 0.0, 0.6], [0.64, 1.0, 0.64]),
    (A.linear, {}, [-1.5, 2.0], [-1.5, 2.0], [1.0, 1.0]),
    (A.exponential, {}, [0.0, LN2], [1.0, 2.0], [1.0, 2.0]),
    (A.elu, {}, [-LN2, 2.0], [-0.5, 2.0], [0.5, 1.0]),
    (A.elu, {"alpha": 2.0}, [-LN2, 2.0], [-1.0, 2.0], [1.0, 1.0]),
    (
        A.selu,
        {},
        [-LN2, 1.0],
        [-0.5 * SELU_SCALE * SELU_ALPHA, SELU_SCALE],
        [0.5 * SELU_SCALE * SELU_ALPHA, SELU_SCALE],
    ),
    # softplus(ln 3) = ln 4, its slope is sigmoid(ln 3) = 0.75
    (A.softplus, {}, [0.0, LN3], [LN2, 2 * LN2], [0.5, 0.75]),
    (A.softsign, {}, [-3.0, 1.0], [-0.75, 0.5], [1 / 16, 1 / 4]),
    (A.silu, {}, [0.0, LN3], [0.0, 0.75 * LN3], [0.5, 0.75 * (1 + 0.25 * LN3)]),
    (
        A.gelu,
        {},
        [-1.0, 0.0, 1.0, 2.5],
        [-phi(-1.0), 0.0, phi(1.0), 2.5 * phi(2.5)],
        [phi(-1.0) - pdf(1.0), 0.5, phi(1.0) + pdf(1.0), phi(2.5) + 2.5 * pdf(2.5)],
    ),
    (
        A.gelu,
        {"approximate": True},
        [-1.0, 0.0, 1.0],
        [_gelu_tanh(-1.0), 0.0, _gelu_tanh(1.0)],
        [_gelu_tanh_slope(-1.0), 0.5, _gelu_tanh_slope(1.0)],
    ),
]


@pytest.mark.parametrize(
    "fn, kwargs, x, y, dy",
    GOLDEN,
    ids=[f"{g[0].__name__}-{i}" for i, g in enumerate(GOLDEN)],
)
def test_golden_value_and_gradient(fn, kwargs, x, y, dy):
    x = np.array(x)
    out = fn(x, **kwargs)
    np.testing.assert_allclose(out, y, rtol=1e-12, atol=1e-15)
    grad = fn.backward(x, out, np.ones_like(x), **kwargs)
    np.testing.assert_allclose(grad, dy, rtol=1e-12, atol=1e-15)


def test_gelu_known_constants():
    # Phi(1) = 0.841344746068543 (tables); GELU(1) = Phi(1).
    assert A.gelu(np.array([1.0]))[0] == pytest.approx(0.841344746068543, rel=1e-14)
    assert A.gelu(np.array([1.0]), approximate=True)[0] == pytest.approx(0.8411919906, rel=1e-9)


def test_softmax_golden_and_stability():
    x = np.array([[0.0, LN3], [1000.0, 1000.0 + LN3], [-5.0, -5.0]])
    y = A.softmax(x)
    np.testing.assert_allclose(y, [[0.25, 0.75], [0.25, 0.75], [0.5, 0.5]], rtol=1e-12)
    grad = A.softmax.backward(x, y, np.array([[1.0, 0.0]] * 3))
    np.testing.assert_allclose(grad[0], [0.1875, -0.1875], rtol=1e-12)
    # axis=0 normalizes columns
    np.testing.assert_allclose(A.softmax(np.array([[0.0, 5.0], [LN3, 5.0]]), axis=0).sum(0), 1.0)
    np.testing.assert_allclose(
        A.softmax(np.array([[0.0, 0.0], [0.0, LN2 + LN2]]), axis=(0, 1)),
        [[1 / 7, 1 / 7], [1 / 7, 4 / 7]],
        rtol=1e-12,
    )


def test_log_softmax_golden_and_stability():
    x = np.array([[0.0, LN3], [-1000.0, -1000.0 + LN3]])
    y = A.log_softmax(x)
    np.testing.assert_allclose(y, [[math.log(0.25), math.log(0.75)]] * 2, rtol=1e-12)
    grad = A.log_softmax.backward(x, y, np.array([[1.0, 0.0]] * 2))
    np.testing.assert_allclose(grad, [[0.75, -0.75]] * 2, rtol=1e-12)
    # far apart logits: log-probability stays finite where softmax underflows to 0
    assert A.log_softmax(np.array([0.0, 2000.0]))[0] == pytest.approx(-2000.0)


def test_tails_are_exact_and_silent():
    x = np.array([-800.0, -700.0, 0.0, 700.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = A.sigmoid(x)
        sp = A.softplus(x)
        e = A.elu(np.array([-800.0, 800.0]))
        g = A.gelu(np.array([-1e5, -40.0, 40.0, 1e5]))
        A.silu(x)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert s[1] == pytest.approx(math.exp(-700.0), rel=1e-12)
    assert sp[-1] == 800.0 and sp[1] == pytest.approx(math.exp(-700.0), rel=1e-12)
    np.testing.assert_array_equal(e, [-1.0, 800.0])
    np.testing.assert_array_equal(g, [-0.0, -0.0, 40.0, 1e5])


def _reference_cdf(x64):
    return np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x64])


def test_normal_cdf_float32_within_a_few_ulp():
    x = np.concatenate([np.linspace(-13.0, 6.0, 4001), [-1e-30, 0.0, 1e-30]]).astype(np.float32)
    ours = A._normal_cdf(x)
    assert ours.dtype == np.float32
    ref = _reference_cdf(x.astype(np.float64))
    ok = ref > 1e-35
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=4 * np.finfo(np.float32).eps, atol=0)


def test_normal_cdf_float64_accuracy():
    x = np.linspace(-37.0, 8.0, 4501)
    ours = A._normal_cdf(x)
    ref = _reference_cdf(x)
    # The reference erfc(-x / sqrt(2)) is itself off by up to ~x^2 ulp (the rounding
    # of x / sqrt(2)), so the tolerance grows with x^2 (about 1e-12 at x = -37).
    tol = (16.0 + x * x) * np.finfo(np.float64).eps
    assert np.all(np.abs(ours - ref) <= tol * ref)


def test_gelu_is_fast_enough_to_use():
    # A guard against an np.vectorize(math.erf) style implementation (~1 s here).
    import time

    x = np.random.default_rng(0).standard_normal(200_000).astype(np.float32)
    start = time.perf_counter()
    A.gelu(x)
    assert time.perf_counter() - start < 0.25


ALL = sorted(A._ACTIVATIONS.items())


@pytest.mark.parametrize("name, fn", ALL)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_preserved_forward_and_backward(name, fn, dtype):
    x = np.linspace(-3.0, 3.0, 12).reshape(3, 4).astype(dtype)
    y = fn(x)
    assert y.dtype == dtype and y.shape == x.shape
    grad = fn.backward(x, y, np.ones_like(x))
    assert grad.dtype == dtype and grad.shape == x.shape


@pytest.mark.parametrize("kwargs", [{"negative_slope": 0.1}, {"max_value": 6.0}, {"threshold": 1}])
def test_relu_options_keep_float32(kwargs):
    x = np.linspace(-3.0, 8.0, 12, dtype=np.float32)
    y = A.relu(x, **kwargs)
    assert y.dtype == np.float32
    assert A.relu.backward(x, y, np.ones_like(x), **kwargs).dtype == np.float32


@pytest.mark.parametrize("name, fn", ALL)
def test_integers_and_lists_become_floatx(name, fn):
    y = fn([[1, 2, 3]])
    assert y.dtype == np.float32


def test_functions_do_not_modify_their_input():
    x = np.linspace(-3.0, 3.0, 7)
    keep = x.copy()
    for _, fn in ALL:
        y = fn(x)
        fn.backward(x, y, np.ones_like(x))
        np.testing.assert_array_equal(x, keep)


floats = st.floats(-1e4, 1e4, allow_nan=False, width=32)
arrays = hnp.arrays(
    st.sampled_from([np.float32, np.float64]),
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
    elements=floats,
)


@settings(max_examples=60, deadline=None)
@given(arrays)
def test_softmax_rows_are_distributions(x):
    y = A.softmax(x)
    assert y.dtype == x.dtype
    assert np.all((y >= 0) & (y <= 1))
    tol = 1e-5 if x.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=tol)
    np.testing.assert_allclose(np.exp(A.log_softmax(x)), y, rtol=1e-4, atol=1e-30)


@settings(max_examples=60, deadline=None)
@given(arrays)
def test_relu_is_idempotent_and_nonnegative(x):
    y = A.relu(x)
    assert np.all(y >= 0)
    np.testing.assert_array_equal(A.relu(y), y)
    np.testing.assert_array_equal(A.relu6(A.relu6(x)), A.relu6(x))


@settings(max_examples=60, deadline=None)
@given(arrays, st.sampled_from(sorted(A._ACTIVATIONS)))
def test_every_activation_keeps_dtype_and_shape(x, name):
    fn = A.get(name)
    with np.errstate(over="ignore"):  # exponential(1e4) is inf, as in Keras
        y = fn(x)
    assert y.dtype == x.dtype and y.shape == x.shape


@settings(max_examples=60, deadline=None)
@given(arrays)
def test_bounded_activations_stay_in_range(x):
    for fn, low, high in [
        (A.sigmoid, 0, 1),
        (A.hard_sigmoid, 0, 1),
        (A.tanh, -1, 1),
        (A.softsign, -1, 1),
    ]:
        y = fn(x)
        assert np.all((y >= low) & (y <= high))
    assert np.all(A.gelu(x) >= -0.17) and np.all(A.softplus(x) >= 0)


def test_swish_and_silu_are_one_function():
    assert A.swish is A.silu
    assert A.get("swish") is A.silu and A.get("silu") is A.silu
    assert A.serialize(A.swish) == "silu"


@pytest.mark.parametrize("name", sorted(A._ACTIVATIONS))
def test_get_and_serialize_round_trip(name):
    fn = A.get(name)
    assert callable(fn) and callable(fn.backward)
    assert A.deserialize(A.serialize(fn)) is fn


def test_get_none_function_and_keras_dict():
    assert A.get(None) is A.linear
    assert A.get(A.tanh) is A.tanh

    def mine(x):
        return x

    assert A.get(mine) is mine
    assert A.get({"class_name": "function", "config": "relu", "module": "builtins"}) is A.relu


@pytest.mark.parametrize(
    "bad, hint", [("Relu", "relu"), ("rellu", "relu"), ("sigmod", "sigmoid"), ("softmx", "softmax")]
)
def test_unknown_name_suggests_the_closest(bad, hint):
    with pytest.raises(KerasnpError, match=f"Did you mean '{hint}'") as info:
        A.get(bad)
    assert isinstance(info.value, ValueError)
    assert "Known names:" in str(info.value) and "gelu" in str(info.value)


def test_get_rejects_non_identifiers():
    with pytest.raises(KerasnpError):
        A.get(3)


def test_serialize_custom_functions():
    def my_act(x):
        return 2 * x

    assert A.serialize(my_act) == "my_act"
    with custom_object_scope({"my_act": my_act}):
        assert A.deserialize("my_act") is my_act

    @register_serializable(package="test_activations")
    def registered_act(x):
        return x

    assert A.serialize(registered_act) == "test_activations>registered_act"
    assert A.get("test_activations>registered_act") is registered_act
    with pytest.raises(KerasnpError, match="lambda"):
        A.serialize(lambda x: x)


def test_module_exports():
    for name in A.__all__:
        assert hasattr(A, name)
    assert set(A._ACTIVATIONS) <= set(A.__all__)
