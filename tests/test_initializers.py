"""Initializers: Keras's formulas, statistics, seeds, dtypes, configs, get/serialize."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerasnp import initializers as I
from kerasnp._errors import KerasnpError
from kerasnp.utils.random import set_random_seed

TRUNC = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def test_truncation_constant_is_the_std_of_the_truncated_normal():
    # Var of N(0,1) on [-a, a] = 1 - 2 a pdf(a) / (2 Phi(a) - 1), here with a = 2.
    pdf2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert math.sqrt(1 - 4 * pdf2 / mass) == pytest.approx(TRUNC, rel=1e-15)


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((20, 30), (20, 30)),
        ((3, 3, 16, 32), (144, 288)),
        ((5, 4, 6), (20, 30)),
        ((2, 3, 3, 8, 4), (144, 72)),
        ((0, 10), (0, 10)),
    ],
)
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def test_compute_fans_with_axes():
    assert I.compute_fans((4, 5, 6), input_axes=[0, 1], output_axes=[2]) == (20, 6)
    # both are needed; with one only, the default rule applies
    assert I.compute_fans((4, 5, 6), input_axes=[0]) == (20, 24)


def uniform_limit(scale, fan):
    return math.sqrt(3.0 * scale / max(1.0, fan))


SHAPE = (400, 250)  # fan_in 400, fan_out 250, fan_avg 325: 100 000 draws
FANS = {"fan_in": 400, "fan_out": 250, "fan_avg": 325}


@pytest.mark.parametrize(
    "init, scale, mode",
    [
        (I.GlorotUniform(seed=1), 1.0, "fan_avg"),
        (I.HeUniform(seed=2), 2.0, "fan_in"),
        (I.LecunUniform(seed=3), 1.0, "fan_in"),
        (I.VarianceScaling(0.5, "fan_out", "uniform", seed=4), 0.5, "fan_out"),
    ],
)
def test_uniform_variance_scaling(init, scale, mode):
    w = init(SHAPE)
    limit = uniform_limit(scale, FANS[mode])
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.999 * limit  # it does reach the limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize(
    "init, scale, mode",
    [
        (I.GlorotNormal(seed=1), 1.0, "fan_avg"),
        (I.HeNormal(seed=2), 2.0, "fan_in"),
        (I.LecunNormal(seed=3), 1.0, "fan_in"),
        (I.VarianceScaling(3.0, "fan_out", "normal", seed=4), 3.0, "fan_out"),
        (I.VarianceScaling(seed=5), 1.0, "fan_in"),
    ],
)
def test_truncated_normal_variance_scaling(init, scale, mode):
    w = init(SHAPE)
    target_std = math.sqrt(scale / FANS[mode])
    bound = 2 * target_std / TRUNC  # truncation at 2 stddev of the untruncated draw
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert np.abs(w).max() > 0.99 * bound
    # the correction constant makes the truncated draw have the target variance
    assert w.std() == pytest.approx(target_std, rel=0.01)


def test_untruncated_normal_variance_scaling():
    w = I.VarianceScaling(2.0, "fan_avg", "untruncated_normal", seed=0)(SHAPE)
    std = math.sqrt(2.0 / 325)
    assert w.std() == pytest.approx(std, rel=0.01)
    assert np.abs(w).max() > 3 * std  # no truncation


def test_variance_scaling_on_a_convolution_kernel():
    w = I.HeUniform(seed=0)((3, 3, 32, 64))
    limit = math.sqrt(6.0 / (9 * 32))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit


def test_small_fans_count_as_one():
    w = I.VarianceScaling(1.0, "fan_in", "uniform", seed=0)((0, 5))
    assert w.shape == (0, 5)
    w = I.VarianceScaling(1.0, "fan_in", "uniform", seed=0)(())
    assert w.shape == () and abs(float(w)) <= math.sqrt(3.0)


def test_random_uniform():
    w = I.RandomUniform(-0.2, 0.6, seed=0)((100_000,))
    assert w.min() >= -0.2 and w.max() < 0.6
    assert w.mean() == pytest.approx(0.2, abs=0.005)
    assert w.std() == pytest.approx(0.8 / math.sqrt(12), rel=0.01)


def test_random_normal():
    w = I.RandomNormal(mean=1.5, stddev=0.3, seed=0)((100_000,))
    assert w.mean() == pytest.approx(1.5, abs=0.005)
    assert w.std() == pytest.approx(0.3, rel=0.01)
    assert np.abs(w - 1.5).max() > 3 * 0.3


def test_truncated_normal_bounds_and_spread():
    w = I.TruncatedNormal(mean=-1.0, stddev=0.5, seed=0)((100_000,))
    assert w.min() >= -2.0 and w.max() <= 0.0
    assert w.mean() == pytest.approx(-1.0, abs=0.005)
    assert w.std() == pytest.approx(0.5 * TRUNC, rel=0.01)


def test_defaults_match_keras():
    assert I.RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert I.RandomNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert I.TruncatedNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert I.VarianceScaling().get_config() == {
        "seed": None,
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "input_axes": None,
        "output_axes": None,
    }
    assert I.Orthogonal().get_config() == {"seed": None, "gain": 1.0}
    assert I.Constant().get_config() == {"value": 0.0}


@pytest.mark.parametrize(
    "cls, scale, mode, distribution",
    [
        (I.GlorotUniform, 1.0, "fan_avg", "uniform"),
        (I.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
        (I.HeUniform, 2.0, "fan_in", "uniform"),
        (I.HeNormal, 2.0, "fan_in", "truncated_normal"),
        (I.LecunUniform, 1.0, "fan_in", "uniform"),
        (I.LecunNormal, 1.0, "fan_in", "truncated_normal"),
    ],
)
def test_named_variance_scalings(cls, scale, mode, distribution):
    init = cls(seed=7)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    assert init.get_config() == {"seed": 7, "input_axes": None, "output_axes": None}
    same = I.VarianceScaling(scale, mode, distribution, seed=7)
    np.testing.assert_array_equal(init((30, 20)), same((30, 20)))


def test_orthogonal_square_tall_wide_and_conv():
    q = I.Orthogonal(seed=0)((64, 64))
    np.testing.assert_allclose(q.T @ q, np.eye(64), atol=1e-5)
    np.testing.assert_allclose(q @ q.T, np.eye(64), atol=1e-5)
    tall = I.Orthogonal(seed=0)((50, 10))
    np.testing.assert_allclose(tall.T @ tall, np.eye(10), atol=1e-5)
    wide = I.Orthogonal(gain=2.0, seed=0)((10, 50))
    np.testing.assert_allclose(wide @ wide.T, 4.0 * np.eye(10), atol=1e-4)
    kernel = I.Orthogonal(seed=0)((3, 3, 4, 8)).reshape(36, 8)
    np.testing.assert_allclose(kernel.T @ kernel, np.eye(8), atol=1e-5)
    assert q.dtype == np.float32


def test_orthogonal_is_not_biased_towards_a_sign():
    # With R's diagonal made positive, Q's diagonal has no preferred sign.
    diag = np.concatenate([np.diag(I.Orthogonal(seed=s)((8, 8))) for s in range(200)])
    assert 0.4 < np.mean(diag > 0) < 0.6


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(KerasnpError, match="at least 2 dimensions"):
        I.Orthogonal()((5,))


def test_identity_and_constant():
    np.testing.assert_array_equal(I.Identity()((2, 2)), np.eye(2))
    np.testing.assert_array_equal(I.Identity(gain=3.0)((3, 2)), 3 * np.eye(3, 2))
    with pytest.raises(KerasnpError, match="2-D"):
        I.Identity()((2, 2, 2))
    np.testing.assert_array_equal(I.Constant(2)((2, 3)), np.full((2, 3), 2.0))
    row = I.Constant([1.0, 2.0, 3.0])((2, 3))
    np.testing.assert_array_equal(row, [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(KerasnpError, match="does not broadcast"):
        I.Constant([1.0, 2.0])((2, 3))
    assert I.Zeros()((2, 2)).sum() == 0 and I.Ones()((2, 2)).sum() == 4


@pytest.mark.parametrize(
    "factory",
    [
        lambda seed: I.RandomUniform(seed=seed),
        lambda seed: I.RandomNormal(seed=seed),
        lambda seed: I.TruncatedNormal(seed=seed),
        lambda seed: I.GlorotUniform(seed=seed),
        lambda seed: I.HeNormal(seed=seed),
        lambda seed: I.VarianceScaling(seed=seed, distribution="untruncated_normal"),
        lambda seed: I.Orthogonal(seed=seed),
    ],
)
def test_seeds(factory):
    a = factory(3)
    np.testing.assert_array_equal(a((6, 5)), a((6, 5)))  # same values at every call (Keras 3)
    np.testing.assert_array_equal(a((6, 5)), factory(3)((6, 5)))
    np.testing.assert_array_equal(a((6, 5)), factory(np.int64(3))((6, 5)))
    assert not np.array_equal(a((6, 5)), factory(4)((6, 5)))
    unseeded = factory(None)
    np.testing.assert_array_equal(unseeded((6, 5)), unseeded((6, 5)))  # drawn once
    assert not np.array_equal(factory(None)((6, 5)), factory(None)((6, 5)))
    set_random_seed(11)
    first = factory(None)((6, 5))
    set_random_seed(11)
    np.testing.assert_array_equal(first, factory(None)((6, 5)))


@pytest.mark.parametrize(
    "name",
    [
        "RandomUniform",
        "RandomNormal",
        "TruncatedNormal",
        "GlorotUniform",
        "HeNormal",
        "Orthogonal",
        "Identity",
        "Zeros",
        "Ones",
        "Constant",
    ],
)
@pytest.mark.parametrize("dtype", [None, "float16", "float32", "float64", np.float64])
def test_dtypes(name, dtype):
    w = getattr(I, name)()((4, 3), dtype=dtype)
    assert w.dtype == np.dtype(dtype or "float32")


def test_integer_dtypes():
    assert I.Zeros()((2,), dtype="int32").dtype == np.int32
    assert I.Constant(3)((2,), dtype="int64").tolist() == [3, 3]
    with pytest.raises(KerasnpError, match="dtype"):
        I.GlorotUniform()((2, 2), dtype="int32")
    with pytest.raises(KerasnpError, match="dtype"):
        I.Zeros()((2,), dtype="not-a-dtype")


@pytest.mark.parametrize("shape", [(-1, 3), (2.0, 3), "ab", None, (True, 2)])
def test_bad_shapes(shape):
    with pytest.raises(KerasnpError, match="shape"):
        I.GlorotUniform(seed=0)(shape)


def test_int_shape_is_one_dimensional():
    assert I.Zeros()(4).shape == (4,)
    assert I.HeUniform(seed=0)(np.int64(4)).shape == (4,)


ALL_CLASSES = [
    I.Zeros(),
    I.Ones(),
    I.Constant(value=1.5),
    I.Identity(gain=0.5),
    I.RandomUniform(-1.0, 2.0, seed=3),
    I.RandomNormal(0.5, 0.2, seed=3),
    I.TruncatedNormal(0.0, 1.0, seed=3),
    I.VarianceScaling(2.0, "fan_avg", "uniform", seed=3),
    I.VarianceScaling(input_axes=[0], output_axes=[1], seed=3),
    I.GlorotUniform(seed=3),
    I.GlorotNormal(),
    I.HeUniform(seed=3),
    I.HeNormal(seed=3),
    I.LecunUniform(seed=3),
    I.LecunNormal(seed=3),
    I.Orthogonal(gain=2.0, seed=3),
]


@pytest.mark.parametrize("init", ALL_CLASSES, ids=lambda i: type(i).__name__)
def test_config_round_trips(init):
    config = init.get_config()
    again = type(init).from_config(config)
    assert again.get_config() == config
    assert type(init).__name__ in repr(init)
    if config.get("seed", 0) is not None:
        np.testing.assert_array_equal(again((5, 4)), init((5, 4)))
    restored = I.deserialize(I.serialize(init))
    assert type(restored) is type(init) and restored.get_config() == config
    assert I.get(I.serialize(init)).get_config() == config
    assert init.clone().get_config() == config


def test_serialize_shape_matches_keras():
    assert I.serialize(I.GlorotUniform()) == {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }


def test_serialize_none_and_non_initializers():
    assert I.serialize(None) is None
    with pytest.raises(KerasnpError, match="get_config"):
        I.serialize(object())


def test_distribution_spelling_is_normalized():
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert I.VarianceScaling(distribution="Uniform").get_config()["distribution"] == "uniform"


KERAS_NAMES = {
    "Constant": I.Constant,
    "constant": I.Constant,
    "GlorotNormal": I.GlorotNormal,
    "glorot_normal": I.GlorotNormal,
    "GlorotUniform": I.GlorotUniform,
    "glorot_uniform": I.GlorotUniform,
    "HeNormal": I.HeNormal,
    "he_normal": I.HeNormal,
    "HeUniform": I.HeUniform,
    "he_uniform": I.HeUniform,
    "Identity": I.Identity,
    "identity": I.Identity,
    "IdentityInitializer": I.Identity,
    "LecunNormal": I.LecunNormal,
    "lecun_normal": I.LecunNormal,
    "LecunUniform": I.LecunUniform,
    "lecun_uniform": I.LecunUniform,
    "Ones": I.Ones,
    "ones": I.Ones,
    "one": I.Ones,
    "Orthogonal": I.Orthogonal,
    "orthogonal": I.Orthogonal,
    "OrthogonalInitializer": I.Orthogonal,
    "RandomNormal": I.RandomNormal,
    "random_normal": I.RandomNormal,
    "normal": I.RandomNormal,
    "RandomUniform": I.RandomUniform,
    "random_uniform": I.RandomUniform,
    "uniform": I.RandomUniform,
    "TruncatedNormal": I.TruncatedNormal,
    "truncated_normal": I.TruncatedNormal,
    "VarianceScaling": I.VarianceScaling,
    "variance_scaling": I.VarianceScaling,
    "Zeros": I.Zeros,
    "zeros": I.Zeros,
    "zero": I.Zeros,
}


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_get_by_name(name):
    init = I.get(name)
    assert type(init) is KERAS_NAMES[name]


def test_snake_case_aliases_are_the_classes():
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal
    assert I.zeros is I.Zeros and I.orthogonal is I.Orthogonal


def test_get_other_identifiers():
    assert I.get(None) is None
    init = I.HeNormal(seed=1)
    assert I.get(init) is init
    assert type(I.get(I.LecunUniform)) is I.LecunUniform
    cfg = {"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.0, "seed": None}}
    np.testing.assert_array_equal(I.get(cfg)((2,)), [1.0, 1.0])

    def ones_fn(shape, dtype=None):
        return np.ones(shape, dtype)

    assert I.get(ones_fn) is ones_fn
    from_array = I.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(from_array((2, 3)), np.arange(6.0).reshape(2, 3))
    assert from_array((2, 3)).dtype == np.float32
    with pytest.raises(KerasnpError, match="shape"):
        from_array((3, 2))


@pytest.mark.parametrize(
    "bad, hint",
    [("Glorot_Uniform", "glorot_uniform"), ("he_normall", "he_normal"), ("zeroes", "zeros")],
)
def test_unknown_names_suggest_the_closest(bad, hint):
    with pytest.raises(KerasnpError, match=f"Did you mean '{hint}'") as info:
        I.get(bad)
    assert isinstance(info.value, ValueError) and "Known names:" in str(info.value)


def test_get_is_case_sensitive_as_keras():
    with pytest.raises(KerasnpError):
        I.get("GLOROT_UNIFORM")


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: I.RandomNormal(stddev=-0.1), "stddev"),
        (lambda: I.TruncatedNormal(stddev=-1), "stddev"),
        (lambda: I.RandomNormal(mean=float("nan")), "mean"),
        (lambda: I.RandomUniform(minval=1.0, maxval=0.0), "maxval"),
        (lambda: I.VarianceScaling(scale=0.0), "scale"),
        (lambda: I.VarianceScaling(scale=-2.0), "scale"),
        (lambda: I.VarianceScaling(mode="fan_avgg"), "mode"),
        (lambda: I.VarianceScaling(distribution="gaussian"), "distribution"),
        (lambda: I.VarianceScaling(distribution=3), "distribution"),
        (lambda: I.VarianceScaling(input_axes="01"), "input_axes"),
        (lambda: I.GlorotUniform(seed=-1), "seed"),
        (lambda: I.GlorotUniform(seed=True), "seed"),
        (lambda: I.GlorotUniform(seed=1.5), "seed"),
        (lambda: I.Orthogonal(gain="big"), "gain"),
        (lambda: I.Constant("abc"), "value"),
        (lambda: I.Constant(None), "value"),
        (lambda: I.Constant(True), "value"),
    ],
)
def test_invalid_arguments(make, argument):
    with pytest.raises(KerasnpError, match=f"argument `{argument}`"):
        make()


def test_bad_mode_suggests_the_right_spelling():
    with pytest.raises(KerasnpError, match="Did you mean 'fan_avg'"):
        I.VarianceScaling(mode="fan_Avg")


@settings(max_examples=50, deadline=None)
@given(st.floats(max_value=0.0, exclude_max=True) | st.floats(allow_nan=True).filter(math.isnan))
def test_any_negative_stddev_raises(stddev):
    with pytest.raises(KerasnpError):
        I.RandomNormal(stddev=stddev)


@settings(max_examples=50, deadline=None)
@given(st.floats(max_value=0.0) | st.just(float("inf")))
def test_any_nonpositive_scale_raises(scale):
    with pytest.raises(KerasnpError):
        I.VarianceScaling(scale=scale)


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0.01, 10.0),
    st.sampled_from(["fan_in", "fan_out", "fan_avg"]),
    st.sampled_from(["truncated_normal", "untruncated_normal", "uniform"]),
    st.integers(0, 2**31),
)
def test_variance_scaling_config_round_trips(scale, mode, distribution, seed):
    init = I.VarianceScaling(scale, mode, distribution, seed)
    again = I.deserialize(I.serialize(init))
    np.testing.assert_array_equal(again((3, 4)), init((3, 4)))


def test_base_class():
    with pytest.raises(NotImplementedError):
        I.Initializer()((2,))
    assert I.Initializer().get_config() == {}


def test_module_exports():
    for name in I.__all__:
        assert hasattr(I, name)
