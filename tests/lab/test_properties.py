"""Property tests: diagnose and the renderers never crash, and the rules are scale-free."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerasnp.lab import (
    VERDICTS,
    diagnose,
    load_history,
    render_report,
    render_terminal,
    save_history,
    sparkline,
)
from kerasnp.lab.rules import RULES
from kerasnp.lab.svg import history_charts

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64), st.floats(min_value=0, max_value=20)
)
maybe_float = st.one_of(any_float, st.none())  # None: not recorded
loss_value = st.one_of(
    st.floats(min_value=0, max_value=20), st.just(float("nan")), st.just(float("inf"))
)


@st.composite
def histories(draw, values=maybe_float):
    n = draw(st.integers(0, 30))
    h = {"loss": draw(st.lists(values, min_size=n, max_size=n))}
    if draw(st.integers(0, 7)) == 0:
        h["loss"] = [None] * n  # logged, but never recorded
    if draw(st.booleans()) and n:
        freq = draw(st.integers(1, 3))
        h["val_loss"] = draw(st.lists(values, min_size=n // freq, max_size=n // freq))
    if draw(st.booleans()):
        h["accuracy"] = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
        if "val_loss" in h:
            m = len(h["val_loss"])
            h["val_accuracy"] = draw(st.lists(st.floats(0, 1), min_size=m, max_size=m))
    if draw(st.booleans()):
        h["eval_loss"] = draw(st.lists(values, min_size=n, max_size=n))
    if draw(st.booleans()):
        h["learning_rate"] = draw(st.lists(st.floats(1e-6, 1), min_size=n, max_size=n))
    return dict(sorted(h.items()))


@FAST
@given(h=histories(), k=st.one_of(st.none(), st.integers(2, 20)), with_baseline=st.booleans())
def test_diagnose_never_crashes_and_always_gives_a_valid_verdict(h, k, with_baseline):
    baseline = {"loss": 0.3, "val_loss": 0.35, "accuracy": 0.9} if with_baseline else None
    d = diagnose(h, num_classes=k, baseline=baseline)
    assert d.verdict in VERDICTS
    assert d.suggestions and all(isinstance(s, str) and s for s in d.suggestions)
    assert sorted(d.checks_run + list(d.checks_skipped)) == sorted(n for n, _ in RULES)
    assert all(f.severity in ("error", "warning", "info") for f in d.findings)
    assert d.reason is not None and d.reason.verdict == d.verdict
    json.loads(d.to_json())  # strict JSON: no NaN/inf anywhere
    assert str(d).startswith("Verdict: ")
    render_terminal(d, width=30, height=4)
    history_charts(d)
    assert "</html>" in render_report(d, images="svg")


@FAST
@given(h=histories(values=loss_value))
def test_non_finite_losses_always_mean_diverged(h):
    d = diagnose(h)
    bad = any(
        v is not None and not np.isfinite(v)
        for key in ("loss", "val_loss", "eval_loss")
        for v in h.get(key, [])
    )
    if bad:
        assert d.verdict == "diverged"
        assert d.findings[0].rule == "diverged.non_finite"
    else:
        assert "diverged.non_finite" not in {f.rule for f in d.findings}


@FAST
@given(start=st.floats(0.1, 10), rates=st.lists(st.floats(0.0, 0.5), min_size=5, max_size=30))
def test_a_smoothly_falling_training_loss_is_never_diverged_or_unstable(start, rates):
    loss = start * np.cumprod([1.0] + [1 - r for r in rates])
    d = diagnose({"loss": list(loss)})
    assert d.verdict not in ("diverged", "unstable")


@FAST
@given(
    h=histories(values=st.floats(min_value=1e-3, max_value=20)),
    factor=st.sampled_from([0.5, 2.0, 4.0]),
)
def test_without_num_classes_the_rules_are_scale_free(h, factor):
    """Multiplying every loss by a power of two (exact in floating point) changes nothing."""
    scaled = {
        k: ([None if v is None else v * factor for v in vals] if "loss" in k else vals)
        for k, vals in h.items()
    }
    a, b = diagnose(h), diagnose(scaled)
    assert a.verdict == b.verdict
    assert [f.rule for f in a.findings] == [f.rule for f in b.findings]


@FAST
@given(values=st.lists(any_float, max_size=80), width=st.integers(1, 40))
def test_sparkline_length(values, width):
    assert len(sparkline(values)) == len(values)
    assert len(sparkline(values, width=width)) == min(len(values), width)


@FAST
@given(h=histories())
def test_csv_round_trip(tmp_path_factory, h):
    curves = load_history(h)
    path = save_history(curves, tmp_path_factory.mktemp("rt") / "h.csv")
    back = load_history(path)
    assert back.n_epochs == curves.n_epochs
    for key in curves.keys:
        if back.n_epochs:
            np.testing.assert_array_equal(back.recorded(key), curves.recorded(key))
            np.testing.assert_array_equal(back[key], curves[key])
