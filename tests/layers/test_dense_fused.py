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
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (32, 128), (128, 512), (2048, 33)])
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
                 (y.astype("float16"), grad.astype("float16"), dz.astype("float16"),
                  d_bias.astype("float16"))]:
        assert not fused.relu_backward(*args)
    assert not dz.any() and not d_bias.any()
