"""Metrics from confusion counts at thresholds: `Precision`, `Recall`, `AUC`.

A prediction is positive at threshold ``t`` when ``y_pred > t``. For every
threshold the metrics accumulate weighted true/false positive/negative
counts. `confusion_counts` gets them all in one pass, without a loop over
thresholds: each prediction is mapped to how many thresholds it exceeds (a
bucket), the weights are summed per bucket with `np.bincount`, and a
reversed cumulative sum turns buckets into counts per threshold. For evenly
spaced thresholds (AUC's default) the bucket is arithmetic, as in Keras.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import config
from .._errors import KerasnpError, check_bool, check_choice, check_int
from ..losses.loss import squeeze_or_expand_to_same_rank
from ..losses.numerics import sigmoid
from .metric import Metric

NEG_INF = -1e10


def _thresholds(owner: str, thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [
        t
        for t in values
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0 <= t <= 1
    ]
    if bad or not values:
        raise KerasnpError(
            f"Invalid value for argument `thresholds` of {owner}: expected a "
            f"float in [0, 1] or a list of them. Received: thresholds={thresholds!r}"
        )
    return [float(t) for t in values]


def _evenly_spaced(thresholds: list[float]) -> bool:
    """Whether the thresholds, clipped to [0, 1], are ``i / (n - 1)`` (n >= 3)."""
    n = len(thresholds)
    even = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    clipped = [min(max(x, 0.0), 1.0) for x in thresholds]
    return n >= 3 and bool(np.allclose(clipped, even, atol=config.epsilon()))


def _filter_top_k(p: np.ndarray, k: int) -> np.ndarray:
    """Keep the `k` largest values of the last axis (the first on ties), the rest NEG_INF."""
    if k >= p.shape[-1]:
        return p
    top = np.argsort(-p, axis=-1, kind="stable")[..., :k]
    out = np.full_like(p, NEG_INF)
    np.put_along_axis(out, top, np.take_along_axis(p, top, axis=-1), axis=-1)
    return out


def confusion_counts(
    y_true: Any,
    y_pred: Any,
    thresholds: list[float],
    *,
    dtype: str,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: np.ndarray | None = None,
    evenly_spaced: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted (tp, fp, tn, fn) per threshold: arrays of shape (T,), or (T, labels).

    `evenly_spaced` is ``_evenly_spaced(thresholds)``, which a metric works out
    once for its fixed thresholds rather than on every batch (None: work it out).
    """
    t = np.asarray(y_true, dtype=dtype)
    p = np.asarray(y_pred, dtype=dtype)
    p, t = squeeze_or_expand_to_same_rank(p, t)
    if t.shape != p.shape:
        raise KerasnpError(
            "Precision, Recall and AUC expect labels with the same shape as the "
            f"predictions. Received: y_true.shape={np.shape(y_true)}, "
            f"y_pred.shape={np.shape(y_pred)}."
        )
    weights = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=dtype)[..., None]
        _, w = squeeze_or_expand_to_same_rank(t, w, expand_rank_1=False)
        try:
            weights = np.broadcast_to(w, p.shape)
        except ValueError:
            raise KerasnpError(
                f"`sample_weight` of shape {np.shape(sample_weight)} does not "
                f"match predictions of shape {p.shape}."
            ) from None
    if top_k is not None:
        p = _filter_top_k(p, top_k)
    if class_id is not None:
        if p.ndim < 2 or not 0 <= class_id < p.shape[-1]:
            raise KerasnpError(
                f"class_id={class_id} needs predictions of shape (num_samples, "
                f"num_classes) with num_classes > {class_id}. Received "
                f"y_pred.shape={p.shape}."
            )
        t, p = t[..., class_id : class_id + 1], p[..., class_id : class_id + 1]
        if weights is not None:
            weights = weights[..., class_id : class_id + 1]
    if label_weights is not None and not multi_label:
        lw = np.broadcast_to(label_weights, p.shape)
        weights = lw if weights is None else weights * lw

    n = len(thresholds)
    nan = np.isnan(p)
    any_nan = nan.any()
    if any_nan:  # NaN is above no threshold
        p = np.where(nan, NEG_INF, p)
    order = None
    if evenly_spaced is None:
        evenly_spaced = _evenly_spaced(thresholds)
    if evenly_spaced:
        # Thresholds i/(n-1): p exceeds ceil(p*(n-1)) of them (Keras' arithmetic form), and
        # also AUC's -eps end point when p is exactly 0.
        exceeded = np.ceil(np.clip(p, 0, 1) * np.asarray(n - 1, dtype=dtype)).astype(np.intp)
        if thresholds[0] < 0:
            np.maximum(exceeded, 1, out=exceeded)
    else:
        order = np.argsort(np.asarray(thresholds, dtype=dtype), kind="stable")
        exceeded = np.searchsorted(np.asarray(thresholds, dtype=dtype)[order], p, side="left")
    if any_nan:
        exceeded[nan] = 0

    w = np.ones(p.shape, dtype=dtype) if weights is None else weights
    pos_w = np.where(t != 0, w, 0)
    neg_w = w - pos_w
    tp = _counts(exceeded, pos_w, n, multi_label)
    fp = _counts(exceeded, neg_w, n, multi_label)
    axis = 0 if multi_label else None
    tn = np.sum(neg_w, axis=axis, dtype=np.float64) - fp
    fn = np.sum(pos_w, axis=axis, dtype=np.float64) - tp
    if order is not None:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(n)
        tp, fp, tn, fn = tp[inverse], fp[inverse], tn[inverse], fn[inverse]
    return tp, fp, tn, fn


def _counts(exceeded: np.ndarray, weights: np.ndarray, n: int, multi_label: bool) -> np.ndarray:
    """Weighted count of predictions above each of the n (sorted) thresholds."""
    if multi_label:
        labels = exceeded.shape[1]
        index = exceeded + (n + 1) * np.arange(labels)
        per = np.bincount(index.ravel(), weights.ravel(), minlength=(n + 1) * labels)
        per = per.reshape(labels, n + 1)
        return np.cumsum(per[:, ::-1], axis=1)[:, ::-1][:, 1:].T
    per = np.bincount(exceeded.ravel(), weights.ravel(), minlength=n + 1)
    return np.cumsum(per[::-1])[::-1][1:]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, with 0 where b is 0."""
    out = np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b)))
    return np.divide(a, b, out=out, where=np.asarray(b) != 0)


class _ThresholdMetric(Metric):
    """Precision and Recall: counts at a few thresholds, or among the top k."""

    _direction = "up"

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(dtype=dtype, name=name)
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = check_int(owner, "top_k", top_k, minimum=1, allow_none=True)
        self.class_id = check_int(owner, "class_id", class_id, minimum=0, allow_none=True)
        self.thresholds = _thresholds(owner, thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly_spaced = _evenly_spaced(self.thresholds)
        self.reset_state()

    def reset_state(self) -> None:
        zeros = np.zeros(len(self.thresholds))
        self.true_positives, self.false_positives, self.false_negatives = (
            zeros,
            zeros.copy(),
            zeros.copy(),
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        tp, fp, _, fn = confusion_counts(
            y_true,
            y_pred,
            self.thresholds,
            dtype=self.dtype,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
            evenly_spaced=self._evenly_spaced,
        )
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def _finish(self, values: np.ndarray) -> Any:
        values = values.astype(self.dtype)
        return float(values[0]) if len(self.thresholds) == 1 else values

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_ThresholdMetric):
    """Precision, ``tp / (tp + fp)``: the fraction of predicted positives that are right.

    Args:
        thresholds: a float in [0, 1], or a list of them (then `result()` is an
            array). Defaults to `0.5`, or to "in the top k" with `top_k`.
        top_k: count only the `k` highest predictions of each sample as positive.
        class_id: compute the metric for this class (last axis) only.
        name: defaults to a unique ``precision``, ``precision_1`` ...
        dtype: defaults to `config.floatx()`.

    Example:
    >>> m = Precision()
    >>> m([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666865348816
    """

    def result(self) -> Any:
        tp = self.true_positives
        return self._finish(_ratio(tp, tp + self.false_positives))


class Recall(_ThresholdMetric):
    """Recall, ``tp / (tp + fn)``: the fraction of actual positives that are found.

    Args:
        thresholds: a float in [0, 1], or a list of them (then `result()` is an
            array). Defaults to `0.5`, or to "in the top k" with `top_k`.
        top_k: count only the `k` highest predictions of each sample as positive.
        class_id: compute the metric for this class (last axis) only.
        name: defaults to a unique ``recall``, ``recall_1`` ...
        dtype: defaults to `config.floatx()`.

    Example:
    >>> m = Recall()
    >>> m([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666865348816
    """

    def result(self) -> Any:
        tp = self.true_positives
        return self._finish(_ratio(tp, tp + self.false_negatives))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at fixed thresholds.

    Predictions are counted at `num_thresholds` evenly spaced thresholds in
    [0, 1] (plus end points just outside it) and the curve through those
    points is integrated: ROC with the trapezoid rule, PR with the
    interpolation of Davis & Goadrich (2006), "The Relationship Between
    Precision-Recall and ROC Curves". `"minoring"`/`"majoring"` take the
    lower/upper rectangle instead.

    Args:
        num_thresholds: the number of thresholds, an int > 1. Defaults to `200`.
        curve: `"ROC"` or `"PR"`. Defaults to `"ROC"`.
        summation_method: `"interpolation"`, `"minoring"` or `"majoring"`.
            Defaults to `"interpolation"`.
        name: defaults to a unique ``auc``, ``auc_1`` ...
        dtype: defaults to `config.floatx()`.
        thresholds: explicit thresholds in [0, 1] (then `num_thresholds` is
            ignored).
        multi_label: compute one AUC per label column and average them.
            Defaults to `False` (all columns pooled).
        num_labels: the number of labels with `multi_label` (else inferred).
        label_weights: weights of the labels (columns).
        from_logits: apply a sigmoid to `y_pred` first. Defaults to `False`.

    Example:
    >>> m = AUC(num_thresholds=3)
    >>> m([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
    0.75
    """

    _direction = "up"

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ):
        owner = "AUC"
        self.curve = check_choice(owner, "curve", curve, ["ROC", "PR", "roc", "pr"]).upper()
        self.summation_method = check_choice(
            owner,
            "summation_method",
            summation_method,
            ["interpolation", "minoring", "majoring", "Interpolation", "Minoring", "Majoring"],
        ).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_thresholds(owner, thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
        else:
            self.num_thresholds = check_int(owner, "num_thresholds", num_thresholds, minimum=2)
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
        eps = config.epsilon()
        self._thresholds = [0.0 - eps, *inner, 1.0 + eps]
        self._evenly_spaced = _evenly_spaced(self._thresholds)
        self.multi_label = check_bool(owner, "multi_label", multi_label)
        self.num_labels = check_int(owner, "num_labels", num_labels, minimum=1, allow_none=True)
        if num_labels is not None and not self.multi_label:
            raise KerasnpError(
                "Invalid value for argument `num_labels` of AUC: it is used only "
                f"with multi_label=True. Received: num_labels={num_labels}"
            )
        self.label_weights = (
            None if label_weights is None else [float(w) for w in np.ravel(label_weights)]
        )
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        super().__init__(dtype=dtype, name=name)
        self.reset_state()

    @property
    def thresholds(self) -> list[float]:
        """The thresholds, end points included."""
        return list(self._thresholds)

    def reset_state(self) -> None:
        shape = (self.num_thresholds,)
        if self.multi_label:  # the label count may be learnt from the first batch
            shape += (self.num_labels or getattr(self, "_labels_seen", 0),)
        self.true_positives, self.false_positives, self.true_negatives, self.false_negatives = (
            np.zeros(shape) for _ in range(4)
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = np.asarray(y_pred, dtype=self.dtype)
        if self.from_logits:
            y_pred = sigmoid(y_pred)
        if self.multi_label and y_pred.ndim != 2:
            raise KerasnpError(
                "AUC(multi_label=True) expects predictions of shape "
                f"(num_samples, num_labels). Received: y_pred.shape={y_pred.shape}"
            )
        label_weights = None
        if self.label_weights is not None and not self.multi_label:
            label_weights = np.asarray(self.label_weights, dtype=self.dtype)
        counts = confusion_counts(
            y_true,
            y_pred,
            self._thresholds,
            dtype=self.dtype,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=label_weights,
            evenly_spaced=self._evenly_spaced,
        )
        if self.true_positives.size == 0:  # multi-label: the label count is now known
            self._labels_seen = counts[0].shape[1]
            self.true_positives, self.false_positives, self.true_negatives, self.false_negatives = (
                np.zeros_like(c) for c in counts
            )
        self.true_positives += counts[0]
        self.false_positives += counts[1]
        self.true_negatives += counts[2]
        self.false_negatives += counts[3]

    def _average(self, per_threshold: np.ndarray) -> float:
        by_label = np.sum(per_threshold, axis=0)
        if self.multi_label:
            if by_label.size == 0:  # nothing seen yet
                return 0.0
            if self.label_weights is None:
                by_label = np.mean(by_label)
            else:
                lw = np.asarray(self.label_weights)
                by_label = _ratio(np.sum(by_label * lw), np.sum(lw))
        return float(np.asarray(by_label, dtype=self.dtype))

    def _interpolated_pr(self) -> float:
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(np.where(p_ratio > 0, p_ratio, 1.0))
        area = _ratio(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0))
        return self._average(area)

    def result(self) -> float:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr()
        tp, fp = self.true_positives, self.false_positives
        recall = _ratio(tp, tp + self.false_negatives)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + self.true_negatives), recall
        else:
            x, y = recall, _ratio(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict[str, Any]:
        config_ = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config_["thresholds"] = self._thresholds[1:-1]
        return config_
