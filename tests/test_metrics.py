"""Metrics: golden values by hand, running state, reset, weights, names, get()."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerasnp import KerasnpError, metrics


# ------------------------------------------------------------ Mean and Sum
def test_mean_is_a_weighted_running_mean():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.update_state([10], sample_weight=[4])  # (16 + 40) / (4 + 4)
    assert m.result() == 7.0
    m.update_state(2.0, sample_weight=0)
    assert m.result() == 7.0
    m.reset_state()
    assert m.result() == 0.0
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0


def test_mean_weighted_by_batch_size_like_the_loss_tracker():
    m = metrics.Mean(name="loss")
    m.update_state(1.0, sample_weight=32)
    m.update_state(4.0, sample_weight=4)
    assert m.result() == pytest.approx((32 + 16) / 36)


def test_mean_averages_extra_axes_per_sample():
    m = metrics.Mean()
    m.update_state([[1.0, 3.0], [10.0, 20.0]], sample_weight=[1.0, 0.0])
    assert m.result() == 2.0  # the first row's mean, weight 1
    m.reset_state()
    m.update_state([[1.0, 3.0], [10.0, 20.0]])
    assert m.result() == pytest.approx(8.5)


def test_sum():
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    s.update_state([[1, 2]])
    assert s.result() == 7.0
    s.reset_state()
    assert s.result() == 0.0


def test_calling_a_metric_updates_then_returns_the_running_result():
    m = metrics.Mean()
    assert m([2.0]) == 2.0
    assert m([4.0]) == 3.0
    assert isinstance(m.result(), float)


def test_mean_metric_wrapper_with_a_user_function():
    def error(y_true, y_pred, power=1):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)) ** power

    m = metrics.MeanMetricWrapper(error, name="err", power=2)
    m.update_state([1.0, 2.0], [1.0, 4.0])
    m.update_state([0.0], [1.0], sample_weight=[2.0])
    assert m.result() == pytest.approx((0 + 4 + 2 * 1) / 4)
    assert m.name == "err"


# ------------------------------------------------------------- accuracies
def test_accuracy():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert m.result() == 0.75
    m.update_state([[1], [2]], [[1], [0]], sample_weight=[[2.0], [2.0]])  # 3+2 right of 4+4
    assert m.result() == pytest.approx(5 / 8)


def test_binary_accuracy_and_threshold():
    y, p = [1, 1, 0, 0], [0.98, 1.0, 0.0, 0.6]
    assert metrics.BinaryAccuracy()(y, p) == 0.75
    assert metrics.BinaryAccuracy(threshold=0.7)(y, p) == 1.0
    m = metrics.BinaryAccuracy()
    m.update_state(
        np.array([[1, 0], [0, 0]]), np.array([[0.9, 0.2], [0.8, 0.1]]), sample_weight=[1.0, 3.0]
    )  # rows right: 1.0 and 0.5
    assert m.result() == pytest.approx((1 * 1.0 + 3 * 0.5) / 4)
    np.testing.assert_array_equal(
        metrics.binary_accuracy([[1], [0]], [[0.4], [0.4]]), [[0.0], [1.0]]
    )


def test_categorical_and_sparse_categorical_accuracy():
    y_true = [[0, 0, 1], [0, 1, 0]]
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert metrics.CategoricalAccuracy()(y_true, y_pred) == 0.5
    assert metrics.SparseCategoricalAccuracy()([2, 1], y_pred) == 0.5
    assert metrics.SparseCategoricalAccuracy()([[2], [1]], y_pred) == 0.5
    assert metrics.SparseCategoricalAccuracy()([2.0, 1.0], y_pred) == 0.5
    m = metrics.CategoricalAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert m.result() == pytest.approx(0.3)
    m.update_state(y_true, y_pred)
    assert m.result() == pytest.approx(1.3 / 3)


def test_top_k_accuracies():
    y_pred = [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.6, 0.3, 0.1]]
    labels = [2, 1, 2]
    # ranks of the targets: 2nd, tied 2nd (ties count in its favour), 3rd
    assert metrics.SparseTopKCategoricalAccuracy(k=1)(labels, y_pred) == 0.0
    assert metrics.SparseTopKCategoricalAccuracy(k=2)(labels, y_pred) == pytest.approx(2 / 3)
    assert metrics.SparseTopKCategoricalAccuracy()(labels, y_pred) == 1.0
    assert metrics.TopKCategoricalAccuracy(k=2)(np.eye(3)[labels], y_pred) == pytest.approx(2 / 3)
    sorted_ids = [[1, 2, 0], [2, 0, 1], [0, 1, 2]]
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    assert m(labels, sorted_ids) == pytest.approx(1 / 3)


def test_accuracy_errors_point_to_the_right_metric():
    with pytest.raises(KerasnpError, match="sparse_categorical_accuracy"):
        metrics.CategoricalAccuracy()([0, 1], [[0.6, 0.4], [0.3, 0.7]])
    with pytest.raises(KerasnpError, match="np.argmax"):
        metrics.SparseCategoricalAccuracy()([[1, 0], [0, 1]], [[0.6, 0.4], [0.3, 0.7]])
    with pytest.raises(KerasnpError, match="outside"):
        metrics.SparseTopKCategoricalAccuracy()([5], [[0.6, 0.4]])


@pytest.mark.parametrize(
    "y_shape,p_shape,expected",
    [
        ((64, 3), (64, 3), "CategoricalAccuracy"),
        ((64,), (64, 3), "SparseCategoricalAccuracy"),
        ((64, 1), (64, 3), "SparseCategoricalAccuracy"),
        ((64,), (64, 1), "BinaryAccuracy"),
        ((64, 1), (64, 1), "BinaryAccuracy"),
        ((64, 2), (64, 2), "CategoricalAccuracy"),  # 2 sigmoid units: by shape, not by loss
    ],
)
@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy"])
def test_resolve_accuracy_follows_the_shape_rule(name, y_shape, p_shape, expected):
    m = metrics.resolve_accuracy(name, y_shape, p_shape)
    assert type(m).__name__ == expected
    assert m.name == name


# ------------------------------------------------------- error metrics
def test_mse_mae_rmse():
    y, p = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
    assert metrics.MeanSquaredError()(y, p) == 0.25
    assert metrics.MeanAbsoluteError()(y, p) == 0.25
    assert metrics.RootMeanSquaredError()(y, p) == 0.5
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(y, p, sample_weight=[1, 0])  # only the first row: mean error^2 = 0.5
    assert rmse.result() == pytest.approx(math.sqrt(0.5))
    rmse.update_state([[3.0, 3.0]], [[0.0, 0.0]], sample_weight=[1.0])  # (0.5 + 9) / 2
    assert rmse.result() == pytest.approx(math.sqrt(4.75))


def test_loss_metrics_are_running_means_of_the_losses():
    y, p = np.array([[0, 1, 0], [1, 0, 0]]), np.array([[0.2, 0.5, 0.3], [0.25, 0.25, 0.5]])
    m = metrics.CategoricalCrossentropy()
    m.update_state(y[:1], p[:1])
    m.update_state(y[1:], p[1:])
    assert m.result() == pytest.approx((-math.log(0.5) - math.log(0.25)) / 2, rel=1e-6)
    sparse = metrics.SparseCategoricalCrossentropy(ignore_class=0)
    sparse.update_state([1, 0], p)  # the second entry is ignored
    assert sparse.result() == pytest.approx(-math.log(0.5), rel=1e-6)
    assert metrics.BinaryCrossentropy()([[1, 0]], [[0.8, 0.4]]) == pytest.approx(
        -(math.log(0.8) + math.log(0.6)) / 2, rel=1e-6
    )


# ------------------------------------------------ precision, recall, AUC
def test_precision_and_recall_by_hand():
    y, p = [0, 1, 1, 1], [1, 0, 1, 1]  # tp 2, fp 1, fn 1
    assert metrics.Precision()(y, p) == pytest.approx(2 / 3)
    assert metrics.Recall()(y, p) == pytest.approx(2 / 3)
    precision = metrics.Precision()
    precision.update_state(y, p, sample_weight=[3, 1, 1, 1])  # fp weighs 3: 2 / 5
    assert precision.result() == pytest.approx(2 / 5)
    precision.update_state([1], [0.9])  # one more tp: 3 / 6
    assert precision.result() == pytest.approx(0.5)
    precision.reset_state()
    assert precision.result() == 0.0  # no predicted positive: 0, not NaN


def test_precision_at_several_thresholds_top_k_and_class_id():
    y, p = [0, 1, 1, 0], [0.1, 0.4, 0.8, 0.6]
    result = metrics.Precision(thresholds=[0.0, 0.5, 0.7])(y, p)
    np.testing.assert_allclose(result, [2 / 4, 1 / 2, 1 / 1])
    assert result.dtype == np.float32
    y2 = [[0, 0, 1, 1], [1, 1, 0, 0]]
    p2 = [[0.1, 0.2, 0.9, 0.3], [0.8, 0.1, 0.7, 0.2]]
    # top 2 of each row: {2, 3} (both right), {0, 2} (one right)
    assert metrics.Precision(top_k=2)(y2, p2) == pytest.approx(3 / 4)
    assert metrics.Recall(top_k=2)(y2, p2) == pytest.approx(3 / 4)
    # class 2 alone: predicted positive in both rows, right once
    assert metrics.Precision(class_id=2)(y2, p2) == pytest.approx(1 / 2)
    assert metrics.Recall(class_id=1)(y2, p2) == 0.0


def test_auc_by_hand():
    # thresholds -eps, 0.5, 1+eps -> (fpr, tpr) = (1, 1), (0, .5), (0, 0)
    y, p = [0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]
    assert metrics.AUC(num_thresholds=3)(y, p) == pytest.approx(0.75)
    assert metrics.AUC(num_thresholds=3, summation_method="minoring")(y, p) == pytest.approx(0.5)
    assert metrics.AUC(num_thresholds=3, summation_method="majoring")(y, p) == pytest.approx(1.0)
    # PR: (recall, precision) = (1, .5), (.5, 1), (0, 0)
    pr = dict(num_thresholds=3, curve="PR")
    assert metrics.AUC(**pr, summation_method="minoring")(y, p) == pytest.approx(0.25)
    assert metrics.AUC(**pr, summation_method="majoring")(y, p) == pytest.approx(1.0)
    # Davis-Goadrich: slope 1/3 and intercept 2/3 on [P=4 -> P=1], then slope 1
    expected = (1 + 2 / 3 * math.log(4)) / 3 / 2 + 1 / 2
    assert metrics.AUC(**pr)(y, p) == pytest.approx(expected, rel=1e-6)


def test_auc_accumulates_and_resets():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 200), 0, 1)
    whole = metrics.AUC()(y, p)
    m = metrics.AUC()
    for i in range(0, 200, 64):
        m.update_state(y[i : i + 64], p[i : i + 64])
    assert m.result() == pytest.approx(whole, rel=1e-6)
    # against the exact rank statistic (200 buckets: close, not equal)
    pos, neg = p[y == 1], p[y == 0]
    exact = np.mean(pos[:, None] > neg[None, :]) + 0.5 * np.mean(pos[:, None] == neg[None, :])
    assert whole == pytest.approx(exact, abs=0.01)
    m.reset_state()
    assert m.result() == 0.0


def test_auc_multi_label_learns_the_label_count():
    m = metrics.AUC(multi_label=True, num_thresholds=3)
    m.update_state([[0, 1], [1, 0], [1, 1]], [[0.2, 0.9], [0.8, 0.1], [0.7, 0.6]])
    assert m.true_positives.shape == (3, 2)
    assert m.result() == pytest.approx(1.0)
    m.reset_state()
    assert m.true_positives.shape == (3, 2) and m.result() == 0.0
    assert metrics.AUC(multi_label=True).result() == 0.0


def test_auc_from_logits_and_explicit_thresholds():
    y, logits = [0, 0, 1, 1], [-3.0, 0.0, -1.0, 2.0]
    probs = 1 / (1 + np.exp(-np.array(logits)))
    assert metrics.AUC(from_logits=True)(y, logits) == pytest.approx(metrics.AUC()(y, probs))
    m = metrics.AUC(thresholds=[0.5, 0.25])
    assert m.thresholds[1:-1] == [0.25, 0.5] and m.num_thresholds == 4
    assert m.get_config()["thresholds"] == [0.25, 0.5]


def test_unique_default_names():
    first, second = metrics.AUC(), metrics.AUC()
    base = 0 if first.name == "auc" else int(first.name.split("_")[1])
    assert second.name == f"auc_{base + 1}"
    assert metrics.Precision().name.startswith("precision")
    assert metrics.AUC(name="roc").name == "roc"
    assert metrics.CategoricalAccuracy().name == "categorical_accuracy"


@pytest.mark.parametrize(
    "make",
    [
        lambda: metrics.Precision(thresholds=1.5),
        lambda: metrics.Precision(thresholds=[0.5, "x"]),
        lambda: metrics.Recall(top_k=0),
        lambda: metrics.Recall(class_id=-1),
        lambda: metrics.AUC(num_thresholds=1),
        lambda: metrics.AUC(curve="PRR"),
        lambda: metrics.AUC(summation_method="trapezoid"),
        lambda: metrics.AUC(num_labels=3),
        lambda: metrics.BinaryAccuracy(threshold=2),
        lambda: metrics.TopKCategoricalAccuracy(k=0),
        lambda: metrics.Mean(dtype="int8"),
        lambda: metrics.MeanMetricWrapper(fn=3),
    ],
)
def test_invalid_arguments_raise_our_error(make):
    with pytest.raises(KerasnpError):
        make()


def test_class_id_out_of_range_is_named():
    with pytest.raises(KerasnpError, match="class_id=5"):
        metrics.Precision(class_id=5)([[0, 1]], [[0.3, 0.7]])


# -------------------------------------------------------------- get & co
@pytest.mark.parametrize(
    "name,cls,metric_name",
    [
        ("mse", "MeanSquaredError", "mean_squared_error"),
        ("MAE", "MeanAbsoluteError", None),
        ("mape", "MeanAbsolutePercentageError", None),
        ("msle", "MeanSquaredLogarithmicError", None),
        ("bce", "BinaryCrossentropy", "binary_crossentropy"),
        ("categorical_accuracy", "CategoricalAccuracy", "categorical_accuracy"),
        ("CategoricalAccuracy", "CategoricalAccuracy", None),
        ("auc", "AUC", None),
        ("AUC", "AUC", None),
        ("precision", "Precision", None),
        ("recall", "Recall", None),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy", None),
        ("root_mean_squared_error", "RootMeanSquaredError", None),
        ("categorical_crossentropy", "CategoricalCrossentropy", None),
        ("accuracy", "Accuracy", "accuracy"),
        ("log_cosh_error", "LogCoshError", "logcosh"),
    ],
)
def test_get_names(name, cls, metric_name):
    m = metrics.get(name)
    assert type(m).__name__ == cls
    if metric_name:
        assert m.name == metric_name


def test_get_errors_and_passthrough():
    with pytest.raises(KerasnpError, match="Could not interpret metric identifier: 'acc'"):
        metrics.get("acc")
    with pytest.raises(KerasnpError, match="Did you mean 'mse'"):
        metrics.get("Mse")
    m = metrics.Mean()
    assert metrics.get(m) is m
    assert metrics.get(None) is None
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy


ALL_METRICS = [
    metrics.Mean(name="m"),
    metrics.Sum(),
    metrics.Accuracy(),
    metrics.BinaryAccuracy(threshold=0.3),
    metrics.CategoricalAccuracy(),
    metrics.SparseCategoricalAccuracy(),
    metrics.TopKCategoricalAccuracy(k=2),
    metrics.SparseTopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(from_sorted_ids=True),
    metrics.MeanSquaredError(),
    metrics.MeanAbsoluteError(),
    metrics.MeanAbsolutePercentageError(),
    metrics.MeanSquaredLogarithmicError(),
    metrics.RootMeanSquaredError(),
    metrics.LogCoshError(),
    metrics.CosineSimilarity(axis=0),
    metrics.Precision(thresholds=[0.2, 0.4], class_id=1),
    metrics.Recall(top_k=2),
    metrics.AUC(curve="PR", summation_method="minoring"),
    metrics.AUC(thresholds=[0.1, 0.7], multi_label=True, label_weights=[1, 2]),
    metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.CategoricalCrossentropy(axis=1),
    metrics.SparseCategoricalCrossentropy(ignore_class=3),
    metrics.KLDivergence(),
    metrics.Poisson(),
    metrics.Hinge(),
    metrics.SquaredHinge(),
    metrics.CategoricalHinge(),
    metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, name="top2", k=2),
]


@pytest.mark.parametrize("metric", ALL_METRICS, ids=lambda m: type(m).__name__)
def test_config_round_trips(metric):
    config = metrics.serialize(metric)
    clone = metrics.deserialize(config)
    assert type(clone) is type(metric)
    assert clone.get_config() == metric.get_config()
    assert clone.name == metric.name and type(metric).__name__ in repr(metric)


def test_directions_for_callbacks():
    assert metrics.AUC()._direction == "up"
    assert metrics.CategoricalAccuracy()._direction == "up"
    assert metrics.MeanSquaredError()._direction == "down"
    assert metrics.MeanMetricWrapper(metrics.mean_squared_error)._direction == "down"
    assert metrics.Mean()._direction is None


# ------------------------------------------------------------ properties
@settings(max_examples=40, deadline=None)
@given(
    labels=hnp.arrays(np.int64, (6,), elements=st.integers(0, 3)),
    p=hnp.arrays(np.float32, (6, 4), elements=st.floats(0, 1, width=32)),
    w=hnp.arrays(np.float32, (6,), elements=st.floats(0, 5, width=32)),
)
def test_accuracies_stay_in_unit_interval(labels, p, w):
    for m, y in [
        (metrics.SparseCategoricalAccuracy(), labels),
        (metrics.CategoricalAccuracy(), np.eye(4)[labels]),
        (metrics.SparseTopKCategoricalAccuracy(k=2), labels),
        (metrics.BinaryAccuracy(), np.eye(4)[labels]),
        (metrics.Precision(), np.eye(4)[labels]),
        (metrics.Recall(), np.eye(4)[labels]),
        (metrics.AUC(num_thresholds=20), np.eye(4)[labels]),
    ]:
        m.update_state(y, p, sample_weight=w)
        m.update_state(y, p)
        assert 0.0 <= m.result() <= 1.0 + 1e-6, type(m).__name__


@settings(max_examples=30, deadline=None)
@given(
    values=hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-100, 100)),
    split=st.integers(0, 10),
)
def test_running_mean_does_not_depend_on_batching(values, split):
    whole, parts = metrics.Mean(), metrics.Mean()
    whole.update_state(values)
    parts.update_state(values[:split])
    parts.update_state(values[split:])
    assert parts.result() == pytest.approx(whole.result(), rel=1e-5, abs=1e-4)


def test_update_state_keeps_float32():
    p = np.random.default_rng(0).uniform(size=(1000, 10)).astype(np.float32)
    values = metrics.categorical_accuracy(np.eye(10, dtype=np.float32)[np.zeros(1000, int)], p)
    assert values.dtype == np.float32 and values.shape == (1000,)
    assert metrics.mean_squared_error(p, p).dtype == np.float32
