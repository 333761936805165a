"""Regularizer gradients against float64 central differences."""

import numpy as np
import pytest

from kerasnp.regularizers import L1, L1L2, L2


@pytest.mark.parametrize("reg", [L1(0.3), L2(0.7), L1L2(l1=0.2, l2=0.45), L1L2(l2=1.5)], ids=repr)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_gradient_matches_central_differences(reg, shape, num_grad):
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=shape)
    x[np.abs(x) < 0.05] = 0.3  # |x| is not differentiable at 0; stay clear of it
    expected = num_grad(reg, x)
    np.testing.assert_allclose(reg.gradient(x), expected, rtol=1e-6, atol=1e-8)


def test_a_wrong_gradient_would_be_caught(num_grad):
    # The check itself can fail: half of L2's gradient (the 1/2 convention) is off.
    x = np.array([0.5, -1.5, 2.0])
    assert not np.allclose(L2(0.7).gradient(x) / 2, num_grad(L2(0.7), x))
