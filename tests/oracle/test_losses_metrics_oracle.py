"""Losses and metrics against Keras 3 (JAX backend) on the same inputs.

Loss gradients are compared with `jax.grad` of the Keras loss, so the clipping
and normalisation rules are checked, not just the values.
"""

import numpy as np
import pytest

from kerasnp import losses, metrics

pytestmark = pytest.mark.oracle

N, C = 8, 4
RNG = np.random.default_rng(1234)
LOGITS = RNG.normal(size=(N, C)).astype(np.float32) * 2
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype(np.float32)
UNNORMALISED = RNG.uniform(0.05, 2.0, size=(N, C)).astype(np.float32)
SATURATED = np.eye(C, dtype=np.float32)[RNG.integers(0, C, N)]  # exact 0 and 1
LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C, dtype=np.float32)[LABELS]
SOFT = RNG.dirichlet(np.ones(C), size=N).astype(np.float32)
BINARY = RNG.integers(0, 2, size=(N, 3)).astype(np.float32)
BIN_PROBS = RNG.uniform(0.02, 0.98, size=(N, 3)).astype(np.float32)
BIN_LOGITS = RNG.normal(size=(N, 3)).astype(np.float32) * 3
SIGNS = np.where(BINARY > 0, 1.0, -1.0).astype(np.float32)
REG_TRUE = RNG.normal(size=(N, 3)).astype(np.float32)
REG_PRED = RNG.normal(size=(N, 3)).astype(np.float32)
POS_TRUE = RNG.uniform(0.1, 3, size=(N, 3)).astype(np.float32)
POS_PRED = RNG.uniform(0.1, 3, size=(N, 3)).astype(np.float32)
WEIGHTS = np.array([1.0, 0.5, 2.0, 0.0, 1.5, 1.0, 0.25, 3.0], dtype=np.float32)

# (function name, y_true, y_pred, kwargs)
FUNCTION_CASES = [
    ("categorical_crossentropy", ONE_HOT, PROBS, {}),
    ("categorical_crossentropy", ONE_HOT, UNNORMALISED, {}),
    ("categorical_crossentropy", ONE_HOT, SATURATED, {}),
    ("categorical_crossentropy", SOFT, PROBS, {"label_smoothing": 0.1}),
    ("categorical_crossentropy", ONE_HOT, LOGITS, {"from_logits": True}),
    ("categorical_crossentropy", ONE_HOT, LOGITS, {"from_logits": True, "label_smoothing": 0.2}),
    ("sparse_categorical_crossentropy", LABELS, PROBS, {}),
    ("sparse_categorical_crossentropy", LABELS[:, None], UNNORMALISED, {}),
    ("sparse_categorical_crossentropy", LABELS, SATURATED, {}),
    ("sparse_categorical_crossentropy", LABELS, LOGITS, {"from_logits": True}),
    ("binary_crossentropy", BINARY, BIN_PROBS, {}),
    ("binary_crossentropy", BINARY, np.round(BIN_PROBS), {}),
    ("binary_crossentropy", BINARY, BIN_PROBS, {"label_smoothing": 0.1}),
    ("binary_crossentropy", BINARY, BIN_LOGITS, {"from_logits": True}),
    ("binary_crossentropy", BINARY, BIN_LOGITS, {"from_logits": True, "label_smoothing": 0.3}),
    ("mean_squared_error", REG_TRUE, REG_PRED, {}),
    ("mean_absolute_error", REG_TRUE, REG_PRED, {}),
    ("mean_absolute_percentage_error", REG_TRUE, REG_PRED, {}),
    ("mean_squared_logarithmic_error", POS_TRUE, POS_PRED, {}),
    ("mean_squared_logarithmic_error", REG_TRUE, REG_PRED, {}),
    ("huber", REG_TRUE, REG_PRED, {}),
    ("huber", REG_TRUE, REG_PRED, {"delta": 0.5}),
    ("log_cosh", REG_TRUE, REG_PRED, {}),
    ("hinge", BINARY, REG_PRED, {}),
    ("hinge", SIGNS, REG_PRED, {}),
    ("squared_hinge", BINARY, REG_PRED, {}),
    ("categorical_hinge", ONE_HOT, LOGITS, {}),
    ("kl_divergence", SOFT, PROBS, {}),
    ("poisson", POS_TRUE, POS_PRED, {}),
    ("cosine_similarity", REG_TRUE, REG_PRED, {}),
    ("cosine_similarity", REG_TRUE, REG_PRED, {"axis": 0}),
]


def _case_id(case):
    return f"{case[0]}-{','.join(f'{k}={v}' for k, v in case[3].items())}"


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=_case_id)
def test_loss_functions_match_keras(keras, case):
    name, y_true, y_pred, kwargs = case
    import jax

    ours = getattr(losses, name)(y_true, y_pred, **kwargs)
    keras_fn = getattr(keras.losses, name)
    theirs = np.asarray(jax.jit(lambda t, p: keras_fn(t, p, **kwargs))(y_true, y_pred))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)


# (class name, kwargs, y_true, y_pred); the grads of these are checked with jax.grad
CLASS_CASES = [
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {}, ONE_HOT, UNNORMALISED),
    ("CategoricalCrossentropy", {}, ONE_HOT, SATURATED),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True}, ONE_HOT, LOGITS),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, ONE_HOT, LOGITS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("SparseCategoricalCrossentropy", {}, LABELS[:, None], UNNORMALISED),
    ("SparseCategoricalCrossentropy", {}, LABELS, SATURATED),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, LOGITS),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, LABELS, PROBS),
    ("BinaryCrossentropy", {}, BINARY, BIN_PROBS),
    ("BinaryCrossentropy", {}, BINARY[:, :1], BIN_PROBS[:, :1]),
    ("BinaryCrossentropy", {}, BINARY[:, 0], BIN_PROBS[:, :1]),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, BINARY, BIN_PROBS),
    ("BinaryCrossentropy", {"from_logits": True}, BINARY, BIN_LOGITS),
    ("MeanSquaredError", {}, REG_TRUE, REG_PRED),
    ("MeanSquaredError", {}, REG_TRUE[:, 0], REG_PRED[:, :1]),
    ("MeanAbsoluteError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsolutePercentageError", {}, REG_TRUE, REG_PRED),
    ("MeanSquaredLogarithmicError", {}, POS_TRUE, POS_PRED),
    ("MeanSquaredLogarithmicError", {}, REG_TRUE, REG_PRED),
    ("KLDivergence", {}, SOFT, UNNORMALISED),
    ("Huber", {}, REG_TRUE, REG_PRED),
    ("Huber", {"delta": 0.4}, REG_TRUE, REG_PRED),
    ("LogCosh", {}, REG_TRUE, REG_PRED),
    ("Hinge", {}, BINARY, REG_PRED),
    ("SquaredHinge", {}, BINARY, REG_PRED),
    ("CategoricalHinge", {}, ONE_HOT, LOGITS),
    ("KLDivergence", {}, SOFT, PROBS),
    ("Poisson", {}, POS_TRUE, POS_PRED),
    ("CosineSimilarity", {}, REG_TRUE, REG_PRED),
]


def _class_id(case):
    return f"{case[0]}-{','.join(f'{k}={v}' for k, v in case[1].items())}-{np.shape(case[2])}"


def _keras_value_and_grad(loss, y_true):
    """``f(y_pred, sample_weight) -> (Keras' reduced loss, its gradient wrt y_pred)``,
    jitted: compiling once is much faster than running JAX eagerly."""
    import jax

    step = jax.jit(jax.value_and_grad(lambda p, sw: loss(y_true, p, sample_weight=sw)))

    def f(y_pred, sample_weight):
        value, grad = step(y_pred, sample_weight)
        return float(value), np.asarray(grad)

    return f


def _check_against_keras(ours, theirs, y_true, y_pred):
    """Unweighted, then weighted. Keras gets unit weights for the unweighted case (the same
    value under every reduction), so one compilation serves both."""
    keras_grad = _keras_value_and_grad(theirs, y_true)
    for sw in (None, WEIGHTS):
        value = ours(y_true, y_pred, sample_weight=sw)
        assert isinstance(value, float)
        expected, expected_grad = keras_grad(y_pred, np.ones(N, np.float32) if sw is None else sw)
        assert value == pytest.approx(expected, rel=2e-5, abs=2e-6)
        grad = ours.gradient(y_true, y_pred, sample_weight=sw)
        assert grad.shape == y_pred.shape and grad.dtype == np.float32
        np.testing.assert_allclose(grad, expected_grad, rtol=2e-4, atol=2e-6)


@pytest.mark.parametrize("case", CLASS_CASES, ids=_class_id)
def test_loss_classes_and_gradients_match_keras(keras, case):
    name, kwargs, y_true, y_pred = case
    ours, theirs = getattr(losses, name)(**kwargs), getattr(keras.losses, name)(**kwargs)
    _check_against_keras(ours, theirs, y_true, y_pred)


REDUCTION_CASES = [c for c in CLASS_CASES if c[0] in ("MeanSquaredError", "Huber")][:2] + [
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, ONE_HOT, PROBS),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, LABELS, PROBS),
    ("BinaryCrossentropy", {}, BINARY[:, 0], BIN_PROBS[:, :1]),
]


@pytest.mark.parametrize("reduction", ["sum", "mean", "mean_with_sample_weight"])
@pytest.mark.parametrize("case", REDUCTION_CASES, ids=_class_id)
def test_loss_reductions_match_keras(keras, case, reduction):
    name, kwargs, y_true, y_pred = case
    ours = getattr(losses, name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, name)(reduction=reduction, **kwargs)
    _check_against_keras(ours, theirs, y_true, y_pred)


@pytest.mark.parametrize(
    "case",
    [c for c in CLASS_CASES if c[0] == "SparseCategoricalCrossentropy"]
    + [c for c in CLASS_CASES if c[0] == "CategoricalCrossentropy"][:2],
    ids=_class_id,
)
def test_unreduced_losses_match_keras(keras, case):
    name, kwargs, y_true, y_pred = case
    ours = getattr(losses, name)(reduction="none", **kwargs)(y_true, y_pred, WEIGHTS)
    theirs = getattr(keras.losses, name)(reduction="none", **kwargs)(y_true, y_pred, WEIGHTS)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=2e-5, atol=2e-6)


def test_loss_configs_match_keras(keras):
    for name in {c[0] for c in CLASS_CASES}:
        ours = getattr(losses, name)().get_config()
        theirs = getattr(keras.losses, name)().get_config()
        extra = {"Huber": {"delta"}, "CosineSimilarity": {"axis"}}.get(name, set())
        assert set(ours) == set(theirs) | extra, name
        assert {k: ours[k] for k in theirs} == theirs, name


def test_loss_names_exist_in_keras(keras):
    from keras.src.losses import ALL_OBJECTS_DICT

    for name, obj in losses.ALL_OBJECTS.items():
        assert name in ALL_OBJECTS_DICT, name
        assert isinstance(obj, type) == isinstance(ALL_OBJECTS_DICT[name], type), name


# ----------------------------------------------------------------- metrics
MULTI_PROBS = RNG.uniform(0, 1, size=(N, C)).astype(np.float32)
MULTI_TRUE = (RNG.uniform(size=(N, C)) > 0.5).astype(np.float32)

# (class name, kwargs, y_true, y_pred)
METRIC_CASES = [
    (
        "Accuracy",
        {},
        LABELS,
        np.roll(LABELS, 1) * (np.arange(N) % 2) + LABELS * (1 - np.arange(N) % 2),
    ),
    ("BinaryAccuracy", {}, BINARY, BIN_PROBS),
    ("BinaryAccuracy", {"threshold": 0.7}, BINARY[:, :1], BIN_PROBS[:, :1]),
    ("BinaryAccuracy", {}, BINARY[:, 0], BIN_PROBS[:, :1]),
    ("CategoricalAccuracy", {}, ONE_HOT, PROBS),
    ("SparseCategoricalAccuracy", {}, LABELS, PROBS),
    ("SparseCategoricalAccuracy", {}, LABELS[:, None], PROBS),
    ("TopKCategoricalAccuracy", {"k": 2}, ONE_HOT, PROBS),
    ("TopKCategoricalAccuracy", {}, ONE_HOT, PROBS),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, LABELS, PROBS),
    ("SparseTopKCategoricalAccuracy", {"k": 1}, LABELS[:, None], PROBS),
    ("MeanSquaredError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsoluteError", {}, REG_TRUE, REG_PRED),
    ("MeanAbsolutePercentageError", {}, REG_TRUE, REG_PRED),
    ("MeanSquaredLogarithmicError", {}, POS_TRUE, POS_PRED),
    ("RootMeanSquaredError", {}, REG_TRUE, REG_PRED),
    ("LogCoshError", {}, REG_TRUE, REG_PRED),
    ("CosineSimilarity", {}, REG_TRUE, REG_PRED),
    ("Precision", {}, BINARY, BIN_PROBS),
    ("Precision", {"thresholds": [0.2, 0.5, 0.7]}, BINARY, BIN_PROBS),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, BINARY, BIN_PROBS),
    ("Precision", {"top_k": 2}, MULTI_TRUE, MULTI_PROBS),
    ("Precision", {"class_id": 1}, MULTI_TRUE, MULTI_PROBS),
    ("Recall", {}, BINARY, BIN_PROBS),
    ("Recall", {"thresholds": [0.7, 0.3]}, BINARY, BIN_PROBS),
    ("Recall", {"top_k": 1, "class_id": 2}, MULTI_TRUE, MULTI_PROBS),
    ("AUC", {}, BINARY, BIN_PROBS),
    ("AUC", {"num_thresholds": 7}, BINARY, BIN_PROBS),
    ("AUC", {"curve": "PR"}, BINARY, BIN_PROBS),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, BINARY, BIN_PROBS),
    ("AUC", {"summation_method": "majoring"}, BINARY, BIN_PROBS),
    ("AUC", {"thresholds": [0.1, 0.35, 0.5, 0.9]}, BINARY, BIN_PROBS),
    ("AUC", {"from_logits": True}, BINARY, BIN_LOGITS),
    ("AUC", {"multi_label": True, "num_labels": C}, MULTI_TRUE, MULTI_PROBS),
    (
        "AUC",
        {"multi_label": True, "num_labels": C, "label_weights": [1, 2, 0, 1], "curve": "PR"},
        MULTI_TRUE,
        MULTI_PROBS,
    ),
    ("AUC", {"label_weights": [1, 2, 0, 1]}, MULTI_TRUE, MULTI_PROBS),
    ("BinaryCrossentropy", {}, BINARY, BIN_PROBS),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, BINARY, BIN_LOGITS),
    ("CategoricalCrossentropy", {}, ONE_HOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, ONE_HOT, LOGITS),
    ("SparseCategoricalCrossentropy", {}, LABELS, PROBS),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, LABELS, PROBS),
    ("KLDivergence", {}, SOFT, PROBS),
    ("Poisson", {}, POS_TRUE, POS_PRED),
    ("Hinge", {}, BINARY, REG_PRED),
    ("SquaredHinge", {}, BINARY, REG_PRED),
    ("CategoricalHinge", {}, ONE_HOT, LOGITS),
]


def _metric_id(case):
    return f"{case[0]}-{','.join(f'{k}={v}' for k, v in case[1].items())}-{np.shape(case[2])}"


class _KerasMetricRunner:
    """Keras' results batch after batch, with the stateless API under one jax.jit
    (compiling once per metric is several times faster than eager JAX)."""

    def __init__(self, metric):
        import jax

        self.shapes = [(v.shape, v.dtype) for v in metric.variables]
        self.update = jax.jit(metric.stateless_update_state)
        self.result = jax.jit(metric.stateless_result)

    def run(self, batches):
        variables, out = None, []
        for y_true, y_pred, sw in batches:
            if variables is None or y_true is None:  # start, or a reset
                variables = [np.zeros(shape, dtype) for shape, dtype in self.shapes]
            if y_true is not None:
                variables = self.update(variables, y_true, y_pred, sample_weight=sw)
                out.append(np.asarray(self.result(variables)))
        return out


def _our_results(metric, batches):
    out = []
    for y_true, y_pred, sw in batches:
        if y_true is None:
            metric.reset_state()
        else:
            metric.update_state(y_true, y_pred, sample_weight=sw)
            out.append(metric.result())
    return out


@pytest.mark.parametrize("case", METRIC_CASES, ids=_metric_id)
def test_metrics_match_keras_over_batches(keras, case):
    name, kwargs, y_true, y_pred = case
    runner = _KerasMetricRunner(getattr(keras.metrics, name)(**kwargs))
    for sw in (None, WEIGHTS):
        # Two batches, a reset, then one more batch (all of one shape: one compilation).
        batches = [
            (y_true[i:j], y_pred[i:j], None if sw is None else sw[i:j])
            for i, j in [(0, 4), (4, 8), (2, 6)]
        ]
        batches.insert(2, (None, None, None))
        # Keras gets unit weights in the unweighted run (one compilation for both). That
        # also matters for SparseCategoricalCrossentropy(ignore_class=...): without weights
        # Keras counts ignored entries as 0s, with weights it drops them, as kerasnp always does.
        keras_batches = [
            (a, b, np.ones(len(a), np.float32) if a is not None and w is None else w)
            for a, b, w in batches
        ]
        ours = _our_results(getattr(metrics, name)(**kwargs), batches)
        for got, want in zip(ours, runner.run(keras_batches), strict=True):
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_metric_configs_names_and_directions_match_keras(keras):
    extra = {"CosineSimilarity": {"axis"}}
    for name in {c[0] for c in METRIC_CASES}:
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        assert ours.name.split("_")[0] == theirs.name.split("_")[0], name
        ours_cfg, theirs_cfg = ours.get_config(), theirs.get_config()
        theirs_cfg.pop("name")
        ours_cfg.pop("name")
        assert set(ours_cfg) == set(theirs_cfg) | extra.get(name, set()), name
        assert {k: ours_cfg[k] for k in theirs_cfg} == theirs_cfg, name
        assert ours._direction == getattr(theirs, "_direction", None), name


def test_mean_and_sum_match_keras(keras):
    values = RNG.normal(size=(6, 3)).astype(np.float32)
    for cls in ("Mean", "Sum"):
        ours, theirs = getattr(metrics, cls)(), getattr(keras.metrics, cls)()
        for v, w in [(values, None), (values, WEIGHTS[:6]), (2.5, 7), (values[:, 0], WEIGHTS[:6])]:
            ours.update_state(v, sample_weight=w)
            theirs.update_state(v, sample_weight=w)
            assert ours.result() == pytest.approx(float(theirs.result()), rel=2e-6)


def test_metric_names_exist_in_keras(keras):
    from keras.src.metrics import ALL_OBJECTS_DICT

    for name, cls in metrics.ALL_OBJECTS.items():
        assert ALL_OBJECTS_DICT[name].__name__ == cls.__name__, name


@pytest.mark.parametrize(
    "y_shape,p_shape",
    [
        ((64, 3), (64, 3)),
        ((64,), (64, 3)),
        ((64, 1), (64, 3)),
        ((64,), (64, 1)),
        ((64, 1), (64, 1)),
        ((64, 2), (64, 2)),
        ((64, 5, 1), (64, 5, 3)),
        ((64,), (64, 2)),
    ],
)
@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy"])
def test_resolve_accuracy_matches_compile_utils(keras, name, y_shape, p_shape):
    from keras.src.trainers.compile_utils import get_metric

    theirs = get_metric(name, np.zeros(y_shape), np.zeros(p_shape))
    ours = metrics.resolve_accuracy(name, y_shape, p_shape)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name == name


@pytest.mark.parametrize(
    "y_shape,p_shape", [((64, 3), (64, 3)), ((64,), (64, 3)), ((64, 1), (64, 3)), ((64,), (64, 1))]
)
def test_resolve_crossentropy_matches_compile_utils(keras, y_shape, p_shape):
    from keras.src.trainers.compile_utils import get_loss

    theirs = get_loss("crossentropy", np.zeros(y_shape), np.zeros(p_shape))
    ours = losses.resolve_crossentropy("crossentropy", y_shape, p_shape)
    assert theirs.fn.__name__ == ours.fn.__name__
