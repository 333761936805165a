"""Dense's compiled relu and bias gradient (layers/dense_fused.py): the NumPy
lines' bits."""

import numpy as np
import pytest

from kerasnp import _compiled
from kerasnp.activations import _relu_backward_into


@pytest.fixture
def fused(compiled):
    return compiled(_compiled.load("layers.dense_fused"), "the compiled relu gradient")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 2), (1, 7), (32, 128), (128, 512), (2048, 33),
                                   (2048, 2)])
def test_the_gradients_are_the_numpy_lines(fused, dtype, shape):
    rng = np.random.default_rng(sum(shape))
    y = np.maximum(rng.normal(size=shape), 0).astype(dtype)
    grad = (rng.normal(size=shape) * 10.0 ** rng.integers(-30, 30, shape)).astype(dtype)
    specials = [np.nan, -0.0, 0.0, np.inf, -np.inf]
    grad.flat[rng.integers(0, grad.size, 5)] = specials
    y.flat[rng.integers(0, y.size, 2)] = [np.nan, -0.0]
    dz, d_bias = np.full_like(grad, 7.0), np.full(shape[1], 7.0, dtype)
    assert fused.relu_backward(y, grad, dz, d_bias)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = _relu_backward_into(y, grad, np.empty_like(grad))
        expected_bias = expected.sum(axis=0)
    assert dz.tobytes() == expected.tobytes()
    assert d_bias.tobytes() == expected_bias.tobytes()


def test_arrays_it_does_not_take_are_left_alone(fused):
    y, grad = np.ones((4, 3), "float32"), np.ones((4, 3), "float32")
    dz, d_bias = np.zeros((4, 3), "float32"), np.zeros(3, "float32")
    for args in [(y, grad.astype("float64"), dz, d_bias),       # mixed dtypes
                 (y, np.ones((3, 4), "float32").T, dz, d_bias),  # not contiguous
                 (y, grad, dz, np.zeros(4, "float32")),          # wrong bias size
                 # one unit: NumPy sums one column pairwise, not row by row
                 (y[:, :1], grad[:, :1], dz[:, :1], d_bias[:1]),
                 (y.astype("float16"), grad.astype("float16"), dz.astype("float16"),
                  d_bias.astype("float16"))]:
        assert not fused.relu_backward(*args)
    assert not dz.any() and not d_bias.any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(1, 1), (32, 10), (128, 10), (7, 130), (5, 1000)])
def test_the_softmax_is_the_numpy_lines(fused, dtype, shape):
    from kerasnp.activations import _softmax_in_place

    rng = np.random.default_rng(sum(shape))
    z = (rng.normal(size=shape) * 40).astype(dtype)
    part, bias = rng.normal(size=shape).astype(dtype), rng.normal(size=shape[1]).astype(dtype)
    if shape[0] > 4:  # an inf, a NaN, a row of zeros, a negative NaN (x86's inf - inf)
        z[1, 0], z[2, -1], z[3, :], z[4, 1] = np.inf, np.nan, -0.0, -np.nan
    for with_part, with_bias in [(True, True), (False, True), (False, False)]:
        ours, expected = z.copy(), z.copy()
        with np.errstate(invalid="ignore"):  # inf - inf, in both
            assert fused.bias_softmax(ours, part if with_part else None,
                                      bias if with_bias else None)
            if with_part:
                np.add(expected, part, out=expected)
            if with_bias:
                expected += bias
            _softmax_in_place(expected)
        assert ours.tobytes() == expected.tobytes()


def test_a_softmax_it_does_not_take_is_left_alone(fused):
    z = np.ones((4, 3), "float32")
    for args in [(z, None, np.ones(3)),                     # mixed dtypes
                 (z, np.ones((3, 4), "float32").T, None),   # not contiguous
                 (z, None, np.ones(4, "float32")),          # wrong bias size
                 (np.ones((4, 0), "float32"), None, None),  # no classes
                 (np.ones(3, "float32"), None, None)]:      # not 2-D
        assert not fused.bias_softmax(*args)
    assert (z == 1).all()


def test_only_a_batch_with_a_nan_maximum_takes_the_numpy_lines(fused, monkeypatch):
    from kerasnp import activations

    taken = []
    real = activations._softmax_in_place
    monkeypatch.setattr(activations, "_softmax_in_place", lambda z: taken.append(1) or real(z))
    z = np.random.default_rng(0).normal(size=(8, 10)).astype("float32")
    z[0, 0] = np.inf  # an infinite maximum: still the compiled passes
    assert fused.bias_softmax(z.copy(), None, None) and not taken
    z[1, 3] = -np.nan
    with np.errstate(invalid="ignore"):
        assert fused.bias_softmax(z, None, None)
    assert taken == [1]


def test_a_one_unit_relu_layer_trains_as_the_numpy_lines(fused, monkeypatch):
    """Its bias gradient is NumPy's sum of one column (pairwise from 9 rows on)."""
    import kerasnp as keras
    from kerasnp.layers import Dense

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 5)).astype("float32"), rng.integers(0, 3, 400)
    weights = []
    for use_fused in (True, False):
        monkeypatch.setattr(_compiled, "_loaded", {} if use_fused else
                            {"layers.dense_fused": None})
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(5,)), Dense(1, "relu"),
                                  Dense(3, "softmax")])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=200, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for ours, numpy_lines in zip(*weights, strict=True):
        assert ours.tobytes() == numpy_lines.tobytes()
