"""Every loss gradient against float64 central differences of the reduced loss.

The points avoid kinks (|error| = delta, hinge margins, ...), where a central
difference measures the average of two one-sided slopes.
"""

import numpy as np
import pytest

from kerasnp import losses

RNG = np.random.default_rng(7)
N, C = 4, 3
LOGITS = RNG.normal(size=(N, C)) * 2
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
UNNORMALISED = RNG.uniform(0.1, 2.0, size=(N, C))
LABELS = np.array([0, 2, 1, 2])
ONE_HOT = np.eye(C)[LABELS]
SOFT = RNG.dirichlet(np.ones(C), size=N)
BINARY = RNG.integers(0, 2, size=(N, C)).astype(float)
BIN_PROBS = RNG.uniform(0.05, 0.95, size=(N, C))
REG_TRUE = RNG.normal(size=(N, C))
REG_PRED = REG_TRUE + RNG.choice([-1, 1], size=(N, C)) * RNG.uniform(0.1, 2.5, size=(N, C))
POSITIVE = RNG.uniform(0.2, 3.0, size=(N, C))
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0])

CASES = [
    (losses.CategoricalCrossentropy, {}, ONE_HOT, PROBS),
    (losses.CategoricalCrossentropy, {}, SOFT, UNNORMALISED),  # through p / sum(p)
    (losses.CategoricalCrossentropy, {"label_smoothing": 0.2}, ONE_HOT, UNNORMALISED),
    (losses.CategoricalCrossentropy, {"from_logits": True}, ONE_HOT, LOGITS),
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, SOFT, LOGITS),
    (losses.CategoricalCrossentropy, {"axis": 0}, ONE_HOT.T, UNNORMALISED.T),
    (losses.SparseCategoricalCrossentropy, {}, LABELS, UNNORMALISED),
    (losses.SparseCategoricalCrossentropy, {}, LABELS[:, None], PROBS),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True}, LABELS, LOGITS),
    (losses.SparseCategoricalCrossentropy, {"ignore_class": 2}, LABELS, UNNORMALISED),
    (
        losses.SparseCategoricalCrossentropy,
        {"ignore_class": 2, "from_logits": True},
        LABELS,
        LOGITS,
    ),
    (losses.BinaryCrossentropy, {}, BINARY, BIN_PROBS),
    (losses.BinaryCrossentropy, {"label_smoothing": 0.3}, BINARY, BIN_PROBS),
    (losses.BinaryCrossentropy, {"from_logits": True}, BINARY, LOGITS),
    (losses.BinaryCrossentropy, {}, BINARY[:, 0], BIN_PROBS[:, :1]),  # (n,) labels, (n, 1)
    (losses.MeanSquaredError, {}, REG_TRUE, REG_PRED),
    (losses.MeanAbsoluteError, {}, REG_TRUE, REG_PRED),
    (losses.MeanAbsolutePercentageError, {}, REG_TRUE, REG_PRED),
    (losses.MeanSquaredLogarithmicError, {}, POSITIVE, POSITIVE[::-1]),
    (losses.MeanSquaredLogarithmicError, {}, REG_TRUE, REG_PRED),  # negatives are floored
    (losses.Huber, {}, REG_TRUE, REG_PRED),
    (losses.Huber, {"delta": 0.3}, REG_TRUE, REG_PRED),
    (losses.LogCosh, {}, REG_TRUE, REG_PRED),
    (losses.Hinge, {}, BINARY, REG_PRED),
    (losses.SquaredHinge, {}, BINARY, REG_PRED),
    (losses.CategoricalHinge, {}, ONE_HOT, LOGITS / 4),
    (losses.KLDivergence, {}, SOFT, PROBS),
    (losses.KLDivergence, {}, SOFT, UNNORMALISED),  # entries above 1 are clipped
    (losses.Poisson, {}, POSITIVE, POSITIVE[::-1]),
    (losses.CosineSimilarity, {}, REG_TRUE, REG_PRED),
    (losses.CosineSimilarity, {"axis": 0}, REG_TRUE, REG_PRED),
]


def _id(case):
    return f"{case[0].__name__}-{','.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_gradient_matches_central_differences(num_grad, case, reduction):
    cls, kwargs, y_true, y_pred = case
    loss = cls(reduction=reduction, dtype="float64", **kwargs)
    per_sample = np.shape(cls(reduction="none", **kwargs)(y_true, y_pred))
    weights = WEIGHTS if per_sample == (N,) else np.linspace(0.0, 2.0, per_sample[0])
    for sw in (None, weights):
        grad = loss.gradient(y_true, y_pred, sample_weight=sw)
        assert grad.shape == y_pred.shape and grad.dtype == np.float64
        expected = num_grad(lambda p, sw=sw: loss(y_true, p, sample_weight=sw), y_pred)
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-8)


def test_clipped_probabilities_have_zero_gradient(num_grad):
    # The true class of row 0 and every entry of row 1's first unit are beyond the clip.
    p = np.array([[1e-12, 0.6, 0.4], [0.3, 0.7 - 1e-12, 1e-12]])
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    loss = losses.CategoricalCrossentropy(dtype="float64")
    grad = loss.gradient(y, p)
    expected = num_grad(lambda q: loss(y, q), p, eps=1e-14)
    np.testing.assert_allclose(grad, expected, atol=1e-6)
    assert np.all(grad[0] == 0) and np.all(grad[1] == 0)
    sparse = losses.SparseCategoricalCrossentropy(dtype="float64")
    np.testing.assert_allclose(sparse.gradient([0, 2], p), grad)
    bce = losses.BinaryCrossentropy(dtype="float64")
    q = np.array([[1.0, 0.5], [0.0, 1e-9]])
    g = bce.gradient([[0.0, 1.0], [1.0, 0.0]], q)
    assert g[0, 0] == 0 and g[1, 0] == 0 and g[1, 1] == 0 and g[0, 1] != 0


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize(
    "loss,y_true",
    [
        (losses.CategoricalCrossentropy(dtype="float64"), ONE_HOT),
        (losses.CategoricalCrossentropy(label_smoothing=0.2, dtype="float64"), ONE_HOT),
        (losses.CategoricalCrossentropy(dtype="float64"), SOFT),
        (losses.SparseCategoricalCrossentropy(dtype="float64"), LABELS),
        (losses.SparseCategoricalCrossentropy(ignore_class=1, dtype="float64"), LABELS),
    ],
    ids=["cce", "cce-smoothing", "cce-soft", "scce", "scce-ignore"],
)
def test_fused_softmax_gradient_is_the_chain_rule_through_softmax(num_grad, loss, y_true):
    for sw in (None, WEIGHTS):
        fused = loss.fused_softmax_gradient(y_true, PROBS, sample_weight=sw)
        # The chain rule: dL/dz = p * (g - sum(g * p)) with g = dL/dp.
        g = loss.gradient(y_true, PROBS, sample_weight=sw)
        chain = PROBS * (g - np.sum(g * PROBS, axis=-1, keepdims=True))
        np.testing.assert_allclose(fused, chain, rtol=1e-9, atol=1e-12)
        numeric = num_grad(lambda z, sw=sw: loss(y_true, _softmax(z), sample_weight=sw), LOGITS)
        np.testing.assert_allclose(fused, numeric, rtol=1e-6, atol=1e-9)


def test_fused_sigmoid_gradient_is_the_chain_rule_through_sigmoid(num_grad):
    loss = losses.BinaryCrossentropy(label_smoothing=0.1, dtype="float64")
    probs = 1 / (1 + np.exp(-LOGITS))
    for sw in (None, WEIGHTS):
        fused = loss.fused_sigmoid_gradient(BINARY, probs, sample_weight=sw)
        chain = loss.gradient(BINARY, probs, sample_weight=sw) * probs * (1 - probs)
        np.testing.assert_allclose(fused, chain, rtol=1e-9, atol=1e-12)
        numeric = num_grad(
            lambda z, sw=sw: loss(BINARY, 1 / (1 + np.exp(-z)), sample_weight=sw), LOGITS
        )
        np.testing.assert_allclose(fused, numeric, rtol=1e-6, atol=1e-9)


def test_function_backward_is_the_gradient_of_the_weighted_sum(num_grad):
    upstream = np.array([0.3, -1.0, 2.0, 0.5])
    for fn, y_true, y_pred, kwargs in [
        (losses.categorical_crossentropy, ONE_HOT, UNNORMALISED, {"label_smoothing": 0.1}),
        (losses.sparse_categorical_crossentropy, LABELS, LOGITS, {"from_logits": True}),
        (losses.binary_crossentropy, BINARY, BIN_PROBS, {}),
        (losses.huber, REG_TRUE, REG_PRED, {"delta": 0.7}),
    ]:
        grad = fn.backward(y_true, y_pred, upstream, **kwargs)
        expected = num_grad(
            lambda p, fn=fn, y=y_true, kw=kwargs: np.sum(upstream * fn(y, p, **kw)), y_pred
        )
        np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-9)
