"""Every activation's backward against float64 central differences."""

import numpy as np
import pytest

from kerasnp import activations as A

# (function, keyword arguments, kinks to keep away from)
CASES = [
    (A.relu, {}, [0.0]),
    (A.relu, {"negative_slope": 0.1}, [0.0]),
    (A.relu, {"max_value": 2.0}, [0.0, 2.0]),
    (A.relu, {"threshold": 0.5}, [0.0, 0.5]),
    (A.relu, {"threshold": -1.0}, [-1.0, 0.0]),
    (A.relu, {"negative_slope": 0.3, "max_value": 2.5, "threshold": -1.0}, [-1.0, 0.0, 2.5]),
    (A.relu, {"negative_slope": 0.2, "max_value": 6.0, "threshold": 1.0}, [1.0, 6.0]),
    (A.leaky_relu, {}, [0.0]),
    (A.leaky_relu, {"negative_slope": 1.5}, [0.0]),
    (A.relu6, {}, [0.0, 6.0]),
    (A.sigmoid, {}, []),
    (A.hard_sigmoid, {}, [-3.0, 3.0]),
    (A.tanh, {}, []),
    (A.linear, {}, []),
    (A.exponential, {}, []),
    (A.elu, {}, [0.0]),
    (A.elu, {"alpha": 0.5}, [0.0]),
    (A.selu, {}, [0.0]),
    (A.softplus, {}, []),
    (A.softsign, {}, [0.0]),
    (A.silu, {}, []),
    (A.gelu, {}, []),
    (A.gelu, {"approximate": True}, []),
]


def away_from(x, kinks, gap=0.05):
    """Move points that sit within `gap` of a kink, where the derivative jumps."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, 2 * gap, -2 * gap)
    return x


def check(fn, kwargs, x, num_grad):
    upstream = np.random.default_rng(1).standard_normal(x.shape)

    def loss(v):
        return float(np.sum(fn(v, **kwargs) * upstream))

    y = fn(x, **kwargs)
    analytic = fn.backward(x, y, upstream, **kwargs)
    # The rounding of the summed loss (eps * sum |terms|) is divided by the step
    # 1e-6 in the central difference: the absolute tolerance scales with it.
    atol = 1e-9 * (1.0 + np.sum(np.abs(y * upstream)))
    np.testing.assert_allclose(analytic, num_grad(loss, x), rtol=1e-6, atol=atol)


@pytest.mark.parametrize("fn, kwargs, kinks", CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_elementwise_gradient(fn, kwargs, kinks, num_grad):
    x = np.random.default_rng(0).uniform(-7.0, 7.0, size=(4, 6))
    check(fn, kwargs, away_from(x, kinks), num_grad)


@pytest.mark.parametrize("fn", [A.softmax, A.log_softmax])
@pytest.mark.parametrize(
    "shape, axis", [((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), (0, 2))]
)
def test_softmax_gradient(fn, shape, axis, num_grad):
    x = np.random.default_rng(2).normal(0.0, 3.0, size=shape)
    check(fn, {"axis": axis}, x, num_grad)


@pytest.mark.parametrize("x", [-9.0, -6.0, -4.0, -2.0, 3.0, 6.0])
def test_gelu_gradient_in_the_tails(x, num_grad):
    # The exact GELU's slope is tiny but not 0 far out on the left (about -1e-17
    # at -9): one point per loss, and a relative tolerance, to see it.
    x = np.array([x])
    analytic = A.gelu.backward(x, A.gelu(x), np.ones_like(x))
    numeric = num_grad(lambda v: float(A.gelu(v)[0]), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=0)
