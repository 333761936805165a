"""diagnose() on constructed curves: every verdict, the rules behind it, and the edge cases."""

import json
import math
import types

import numpy as np
import pytest

from kerasnp import KerasnpError
from kerasnp.lab import PRIORITY, VERDICTS, Diagnosis, Thresholds, diagnose
from kerasnp.lab.rules import RULES

NAN = float("nan")


def rules_fired(d):
    return {f.rule for f in d.findings}


def text_of(d):
    return " ".join(d.suggestions)


# -- one test per verdict --------------------------------------------------------


def test_overfitting_from_a_rising_validation_loss(curves):
    d = diagnose(curves.overfitting(n=30, best=8, rise=0.4), num_classes=10)
    assert d.verdict == "overfitting"
    assert {"overfitting.val_rise", "overfitting.high_variance"} <= rules_fired(d)
    assert d.evidence["best_val_epoch"] == 8  # 1-based, as Keras prints it
    assert d.evidence["val_rise_since_best"] == pytest.approx(0.42, abs=0.03)
    assert d.evidence["epochs_since_best"] == 22
    rise = next(f for f in d.findings if f.rule == "overfitting.val_rise")
    assert rise.numbers["severe"] is True and rise.numbers["patience"] == 3
    gl = d.evidence["val_rise_since_best"]
    assert "bottomed at epoch 8" in rise.message and f"rose {gl:.0%}" in rise.message
    # the remedies: regularisation, early stopping that keeps the best epoch, more data
    text = text_of(d)
    for remedy in (
        "Dropout(0.5)",
        "L2",
        "EarlyStopping(monitor='val_loss'",
        "restore_best_weights=True",
        "epoch-8 weights",
        "more training data",
    ):
        assert remedy in text
    # L2 first, Dropout second: the order calibrated on real runs (docs/lab-rules.md)
    assert d.suggestions[0].changes == {"l2": 1e-3}
    assert d.suggestions[1].changes == {"dropout": 0.5}
    assert {s.remedy for s in d.suggestions} >= {"dropout", "l2", "early_stopping"}


def test_mild_overfitting_waits_for_patience_and_suggests_milder_remedies(curves):
    h = curves.overfitting(n=30, best=20, rise=0.08)
    d = diagnose(h)
    assert d.verdict == "overfitting"
    assert d.evidence["evals_since_best"] >= 3
    assert 0.05 <= d.evidence["val_rise_since_best"] < 0.2
    assert "Dropout(0.3)" in text_of(d) and "L2 weight decay around 0.0003" in text_of(d)
    # the same rise right after the best epoch is not yet overfitting (patience)
    short = {k: v[:22] for k, v in h.items()}
    d2 = diagnose(short)
    assert "overfitting.val_rise" not in rules_fired(d2)


def test_high_variance_without_a_rising_validation_loss(curves):
    n = 20
    train = curves.decay(n, 0.8, 0.01, 0.5)
    val = curves.decay(n, 0.9, 0.40, 0.5)
    h = curves.history(
        loss=train, val_loss=val, accuracy=np.full(n, 0.999), val_accuracy=np.full(n, 0.88)
    )
    d = diagnose(h)
    assert d.verdict == "overfitting"
    assert rules_fired(d) & {"overfitting.val_rise", "overfitting.high_variance"} == {
        "overfitting.high_variance"
    }
    assert d.evidence["variance"] == pytest.approx(0.119)
    assert d.evidence["avoidable_bias"] == pytest.approx(0.001)
    assert "EarlyStopping" not in d.suggestions[0]
    assert "Dropout" in text_of(d) and "L2" in text_of(d)


def test_underfitting_against_the_chance_loss(curves):
    d = diagnose(curves.underfitting(level=1.6), num_classes=10)
    assert d.verdict == "underfitting"
    assert "underfitting.vs_chance" in rules_fired(d)
    assert d.evidence["chance_loss"] == pytest.approx(math.log(10))
    assert d.evidence["final_loss_vs_chance"] == pytest.approx(1.6 / math.log(10), abs=0.01)
    f = next(f for f in d.findings if f.rule == "underfitting.vs_chance")
    assert "ln 10 = 2.3" in f.message
    text = text_of(d)
    assert "capacity" in text and "More data will not help" in text
    assert d.suggestions[0].changes == {"hidden_factor": 2}


def test_underfitting_needs_an_anchor_and_says_so(curves):
    d = diagnose(curves.underfitting(level=1.6))
    assert d.verdict == "good_fit"
    assert "number of classes unknown" in d.checks_skipped["underfitting.vs_chance"]
    assert "no baseline" in d.checks_skipped["underfitting.vs_baseline"]
    assert "num_classes" in d.reason.message


def test_underfitting_against_a_linear_baseline(curves):
    """A low loss can still underfit: the network does no better than softmax regression."""
    h = curves.underfitting(level=0.62)
    baseline = {"loss": 0.24, "val_loss": 0.33, "accuracy": 0.93, "val_accuracy": 0.91}
    d = diagnose(h, num_classes=10, baseline=baseline)
    assert d.verdict == "underfitting"
    assert "underfitting.vs_baseline" in rules_fired(d)
    assert "underfitting.vs_chance" not in rules_fired(d)  # 0.62 < 0.5 ln 10
    assert d.evidence["gain_over_baseline"] == pytest.approx((0.24 - 0.62) / 0.24, abs=0.02)
    assert d.evidence["baseline_val_loss"] == 0.33
    f = next(f for f in d.findings if f.rule == "underfitting.vs_baseline")
    assert "no better than the linear baseline's 0.24" in f.message
    # a network that does beat the baseline is not underfitting by this rule
    d2 = diagnose(h, num_classes=10, baseline={"loss": 1.5})
    assert "underfitting.vs_baseline" not in rules_fired(d2)


def test_baseline_may_be_a_whole_run(curves):
    base = types.SimpleNamespace(
        history=curves.history(
            loss=[1.0, 0.5, 0.3], val_loss=[1.1, 0.6, 0.4], eval_loss=[0.9, 0.45, 0.25]
        )
    )
    d = diagnose(curves.underfitting(level=0.62), baseline=base)
    assert d.evidence["baseline_loss"] == pytest.approx(0.25)  # inference-mode value first
    assert d.evidence["baseline_val_loss"] == pytest.approx(0.4)
    assert d.verdict == "underfitting"


def test_avoidable_bias_against_a_target_error(curves):
    n = 15
    loss = curves.decay(n, 1.0, 0.30, 0.6)
    h = curves.history(
        loss=loss, val_loss=loss + 0.02, accuracy=np.full(n, 0.90), val_accuracy=np.full(n, 0.89)
    )
    d = diagnose(h, baseline={"target_error": 0.02})
    assert d.verdict == "underfitting"
    assert "underfitting.bias" in rules_fired(d)
    assert d.evidence["avoidable_bias"] == pytest.approx(0.08)
    assert d.evidence["variance"] == pytest.approx(0.01)
    assert d.evidence["target_error_assumed"] is False
    d2 = diagnose(h, baseline={"target_accuracy": 0.91})  # the same as target_error 0.09
    assert "underfitting.bias" not in rules_fired(d2)


def test_not_learning_when_the_loss_stays_at_ln_k(curves):
    n = 12
    loss = math.log(10) + 0.2 - 0.008 * np.arange(n)
    h = curves.history(
        loss=loss, val_loss=loss + 0.05, accuracy=np.full(n, 0.11), val_accuracy=np.full(n, 0.10)
    )
    d = diagnose(h, num_classes=10, baseline=None)
    assert d.verdict == "underfitting"
    f = next(f for f in d.findings if f.rule == "underfitting.not_learning")
    assert f.numbers["final_loss_vs_chance"] > 0.9
    assert f.numbers["accuracy_gain_over_chance"] < 0.1
    assert d.suggestions[0].remedy == "learning_rate"
    assert d.suggestions[0].changes == {"learning_rate_factor": 10}


def test_still_improving(curves):
    d = diagnose(curves.still_improving(n=10), num_classes=10)
    assert d.verdict == "still_improving"
    f = next(f for f in d.findings if f.rule == "still_improving.trend")
    assert f.numbers["series"] == "val_loss" and f.numbers["drop"] > 0
    assert d.evidence["best_val_epoch"] == 10
    assert d.suggestions[0].changes["epochs"] == 20
    assert "EarlyStopping" in d.suggestions[0]


def test_good_fit(curves):
    d = diagnose(curves.good_fit(), num_classes=10, baseline={"loss": 0.3})
    assert d.verdict == "good_fit"
    assert d.reason.rule == "good_fit.settled"
    assert not any(f.verdict not in (None, "good_fit") for f in d.findings)
    assert d.evidence["variance"] == pytest.approx(0.015, abs=0.002)
    assert "restore_best_weights=True" in text_of(d)


def test_unstable(curves):
    d = diagnose(curves.unstable(), num_classes=10)
    assert d.verdict == "unstable"
    assert {"unstable.train_spikes", "unstable.val_swings"} <= rules_fired(d)
    spikes = next(f for f in d.findings if f.rule == "unstable.train_spikes")
    assert spikes.numbers["spike_epochs"] == [7, 12, 16, 21]
    assert d.suggestions[0].changes == {"learning_rate_factor": 0.3}
    assert "clipnorm" in text_of(d)


def test_diverged_with_nan_in_the_middle(curves):
    d = diagnose(curves.diverged_nan(n=8, at=4), num_classes=10)
    assert d.verdict == "diverged"
    f = d.findings[0]
    assert f.rule == "diverged.non_finite" and f.severity == "error"
    assert f.numbers == {"key": "loss", "epoch": 5, "value": "NaN"}
    assert "NaN or inf" in d.checks_skipped["overfitting.val_rise"]
    assert "10x" in d.suggestions[0] and "TerminateOnNaN" in text_of(d)


def test_diverged_inf_in_validation_only(curves):
    h = curves.history(loss=curves.decay(6, 2, 0.5), val_loss=[2, 1.5, float("inf"), 1, 1, 1])
    d = diagnose(h)
    assert d.verdict == "diverged" and d.findings[0].numbers["key"] == "val_loss"
    assert d.findings[0].numbers["value"] == "inf"


def test_diverged_loss_that_blew_up_without_nan(curves):
    """Keras clips probabilities, so a blown-up softmax ends at a large finite loss."""
    loss = [0.9, 0.5, 0.35, 0.3, 14.3, 14.7, 14.7, 14.7]
    d = diagnose(curves.history(loss=loss, val_loss=loss), num_classes=10)
    assert d.verdict == "diverged"
    assert {"diverged.loss_rise", "diverged.above_start", "diverged.above_chance"} <= (
        rules_fired(d)
    )
    rise = next(f for f in d.findings if f.rule == "diverged.loss_rise")
    assert rise.numbers["min_epoch"] == 4 and rise.numbers["factor"] == pytest.approx(49, 0.01)


def test_a_small_late_rise_of_a_tiny_loss_is_not_divergence(curves):
    loss = list(curves.decay(20, 1.0, 0.001, 0.5))
    loss[-1] = 0.004  # 4x its minimum, but 0.1% of ln 10
    d = diagnose(curves.history(loss=loss), num_classes=10)
    assert d.verdict != "diverged"


def test_too_short(curves):
    d = diagnose(curves.history(loss=[2.0, 1.0, 0.7], val_loss=[1.8, 1.0, 0.8]))
    assert d.verdict == "too_short"
    assert d.findings[0].rule == "too_short.epochs"
    assert d.findings[0].numbers == {"n_epochs": 3, "min_epochs": 5}
    assert "needs at least 5 epochs" in d.checks_skipped["overfitting.val_rise"]
    assert d.suggestions[0].changes == {"epochs": 20, "early_stopping": 3}


# -- edge cases ---------------------------------------------------------------------


def test_one_epoch(curves):
    d = diagnose(
        {"loss": [2.1], "val_loss": [2.0], "accuracy": [0.3], "val_accuracy": [0.35]},
        num_classes=10,
    )
    assert d.verdict == "too_short"
    assert d.evidence["n_epochs"] == 1 and d.evidence["best_val_epoch"] == 1
    assert d.evidence["gap_at_best"] == pytest.approx(-0.1)


def test_no_epochs_at_all():
    d = diagnose({})  # Keras: fit(epochs=0) gives an empty history
    assert d.verdict == "too_short"
    assert d.evidence["n_epochs"] == 0


def test_no_validation_data(curves):
    loss = curves.decay(15, 1.0, 0.2, 0.5)
    d = diagnose(curves.history(loss=loss, accuracy=1 - loss / 2))
    assert d.verdict in ("good_fit", "still_improving")
    assert "flag.no_validation" in rules_fired(d)
    assert d.checks_skipped["overfitting.val_rise"] == "no validation data (no `val_loss`)"
    assert "no validation accuracy" in d.checks_skipped["overfitting.high_variance"]
    assert any(s.changes == {"validation_split": 0.2} for s in d.suggestions)
    assert "best_val_epoch" not in d.evidence


def test_training_loss_never_recorded(curves):
    h = {"loss": [None] * 6, "val_loss": [1.0, 0.9, 0.8, 0.85, 0.9, 1.0]}
    d = diagnose(h, num_classes=10, baseline={"loss": 0.3, "target_error": 0.01})
    assert d.checks_skipped["underfitting.not_learning"] == "no recorded `loss` values"
    assert d.verdict == "good_fit"


def test_no_metrics(curves):
    h = curves.overfitting()
    h = {k: v for k, v in h.items() if "acc" not in k}
    d = diagnose(h)
    assert d.verdict == "overfitting"
    assert d.checks_skipped["overfitting.high_variance"] == "no accuracy metric logged"
    assert "metric" not in d.evidence


def test_validation_freq_shorter_val_lists(curves):
    full = curves.overfitting(n=30, best=8)
    # validation_freq=2: Keras records val_* at epochs 2, 4, ... (1-based)
    h = {k: (v[1::2] if k.startswith("val_") else v) for k, v in full.items()}
    d = diagnose(h)
    assert d.evidence["n_val_points"] == 15 and d.evidence["validation_freq"] == 2
    assert d.evidence["best_val_epoch"] % 2 == 0
    assert d.verdict == "overfitting"
    # the explicit hint gives the same alignment
    assert diagnose(h, validation_freq=2).evidence == d.evidence


def test_keras_style_history_object_with_acc_names_and_learning_rate(curves):
    h = curves.good_fit(n=12)
    renamed = {
        ("acc" if k == "accuracy" else "val_acc" if k == "val_accuracy" else k): v
        for k, v in h.items()
    }
    renamed["learning_rate"] = [0.001] * 6 + [0.0005] * 6
    obj = types.SimpleNamespace(
        history=dict(sorted(renamed.items())),
        epoch=list(range(12)),
        params={"verbose": 0, "epochs": 12, "steps": 25, "num_classes": 10},
    )
    d = diagnose(obj)
    assert d.evidence["metric"] == "acc"
    assert d.evidence["num_classes"] == 10  # from params
    assert d.evidence["learning_rate_first"] == 0.001
    assert d.evidence["learning_rate_last"] == 0.0005
    lr = next(f for f in d.findings if f.rule == "flag.learning_rate_changed")
    assert lr.numbers["change_epochs"] == [7]
    assert "learning_rate" not in d.evidence.get("metric", "")


def test_binary_metric_implies_two_classes(curves):
    n = 10
    loss = curves.decay(n, 0.7, 0.3)
    d = diagnose(
        curves.history(
            loss=loss,
            val_loss=loss + 0.02,
            binary_accuracy=1 - loss / 2,
            val_binary_accuracy=1 - loss / 2 - 0.01,
        )
    )
    assert d.evidence["num_classes"] == 2
    assert d.evidence["chance_loss"] == pytest.approx(math.log(2))


def test_initial_epoch_offsets_the_displayed_epochs(curves):
    h = curves.overfitting(n=20, best=6)
    obj = types.SimpleNamespace(history=h, epoch=list(range(10, 30)))
    d = diagnose(obj)
    assert d.evidence["best_val_epoch"] == 16


# -- which training loss -----------------------------------------------------------


def test_loss_source_prefers_inference_mode_values(curves):
    h = curves.overfitting()
    d = diagnose(h)
    assert d.loss_source.startswith("loss: the running mean")
    assert d.evidence["loss_source"] == "loss"
    eval_loss = [v * 0.8 for v in h["loss"]]
    d2 = diagnose({**h, "eval_loss": eval_loss})
    assert d2.loss_source.startswith("eval_loss: the training loss measured in inference mode")
    assert d2.evidence["final_train_loss"] == pytest.approx(eval_loss[-1])
    assert d2.evidence["final_running_loss"] == pytest.approx(h["loss"][-1])
    d3 = diagnose(h, train_eval={"loss": eval_loss, "accuracy": h["accuracy"]})
    assert d3.evidence["loss_source"] == "eval_loss"
    assert d3.evidence["final_train_loss"] == d2.evidence["final_train_loss"]


def test_val_below_train_is_explained_by_the_loss_source(curves):
    n = 12
    val = curves.decay(n, 0.9, 0.3)
    h = curves.history(loss=val + 0.1, val_loss=val)
    flag = next(f for f in diagnose(h).findings if f.rule == "flag.val_below_train")
    assert "dropout" in flag.message
    flag = next(
        f
        for f in diagnose(h, train_eval={"loss": val + 0.1}).findings
        if f.rule == "flag.val_below_train"
    )
    assert "leakage" in flag.message


# -- options, ordering and output ---------------------------------------------------


def test_priority_overfitting_wins_over_underfitting_but_both_are_shown(curves):
    n = 30
    train = curves.decay(n, 2.2, 1.5, 0.5)
    val = np.concatenate([curves.decay(8, 2.2, 1.6, 0.6), 1.6 * (1 + 0.5 * np.arange(1, 23) / 22)])
    d = diagnose(curves.history(loss=train, val_loss=val), num_classes=10)
    assert d.verdict == "overfitting"
    assert {"overfitting.val_rise", "underfitting.vs_chance"} <= rules_fired(d)
    order = [f.verdict for f in d.findings if f.verdict]
    assert order == sorted(order, key=PRIORITY.index)


def test_early_stopping_that_caught_the_rise(curves):
    h = curves.overfitting(n=40, best=8, rise=0.3)
    stopped = {k: v[:12] for k, v in h.items()}
    obj = types.SimpleNamespace(history=stopped, epoch=list(range(12)), params={"epochs": 40})
    d = diagnose(obj)
    assert "overfitting.stopped_in_time" in rules_fired(d)
    assert "overfitting.val_rise" not in rules_fired(d)
    assert "flag.stopped_early" in rules_fired(d)
    assert d.evidence["stopped_early"] is True


def test_thresholds_can_be_changed_for_calibration(curves):
    h = curves.overfitting(n=30, best=20, rise=0.08)
    assert diagnose(h).verdict == "overfitting"
    lenient = Thresholds().replace(overfit_mild_rise=0.2, overfit_min_variance=0.5)
    d = diagnose(h, thresholds=lenient)
    assert d.verdict != "overfitting"
    assert d.thresholds.overfit_mild_rise == 0.2
    assert d.to_dict()["thresholds"]["overfit_mild_rise"] == 0.2


def test_metric_argument(curves):
    h = curves.good_fit()
    assert diagnose(h, metric="val_accuracy").evidence["metric"] == "accuracy"
    with pytest.raises(KerasnpError, match="Did you mean 'accuracy'"):
        diagnose(h, metric="acuracy")


def test_bad_inputs_raise_our_error(curves):
    with pytest.raises(KerasnpError, match="expected a `loss`"):
        diagnose({"accuracy": [0.1, 0.2]})
    with pytest.raises(KerasnpError, match="num_classes"):
        diagnose(curves.good_fit(), num_classes=1)
    with pytest.raises(KerasnpError, match="num_classes"):
        diagnose(curves.good_fit(), num_classes=True)
    with pytest.raises(KerasnpError, match="baseline"):
        diagnose(curves.good_fit(), baseline={"nothing": 1})
    with pytest.raises(KerasnpError, match="History"):
        diagnose(42)


def test_checks_run_and_skipped_cover_every_rule(curves):
    d = diagnose(curves.good_fit())
    names = [name for name, _ in RULES]
    assert sorted(d.checks_run + list(d.checks_skipped)) == sorted(names)
    assert not set(d.checks_run) & set(d.checks_skipped)
    assert all(isinstance(why, str) and why for why in d.checks_skipped.values())


def test_to_dict_is_strict_json_and_str_is_readable(curves):
    d = diagnose(curves.diverged_nan(), num_classes=10)
    data = json.loads(d.to_json())
    assert data["verdict"] == "diverged"
    assert data["findings"][0]["rule"] == "diverged.non_finite"
    assert data["suggestions"][0]["changes"] == {"learning_rate_factor": 0.1}
    assert data["priority"] == list(PRIORITY)
    text = str(d)
    assert text.startswith("Verdict: DIVERGED")
    for part in (
        "Training loss used:",
        "Evidence (epochs are 1-based):",
        "Findings:",
        "Suggestions:",
        "skipped overfitting.val_rise",
    ):
        assert part in text
    assert isinstance(d, Diagnosis) and d.verdict in VERDICTS
    assert d.summary.startswith("diverged: `loss` became NaN at epoch 5")


def test_suggestions_follow_the_runs_configuration(curves):
    h = curves.overfitting()
    obj = types.SimpleNamespace(history=h, params={"dropout": 0.5, "learning_rate": 0.01})
    d = diagnose(obj)
    assert d.suggestions[0].remedy == "l2"  # Dropout is already at 0.5
    under = types.SimpleNamespace(
        history=curves.underfitting(), params={"dropout": 0.5, "l2": 0.01, "num_classes": 10}
    )
    d = diagnose(under)
    assert d.verdict == "underfitting"
    reg = next(s for s in d.suggestions if s.remedy == "regularization_down")
    assert reg.changes == {"dropout": 0.25, "l2": 0.001}
    assert "Dropout(0.5) and L2(0.01)" in reg
