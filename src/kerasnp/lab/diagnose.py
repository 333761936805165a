"""`diagnose(history)`: learning curves in, a verdict with its evidence and next steps out.

Every rule in `rules/` runs (or is skipped, with the reason); each verdict
rule that fires adds a `Finding`. The verdict is the first of `PRIORITY`
that has a finding, so a run gets exactly one verdict while the findings keep
everything that was seen (an overfitting run that also underfits shows both).

The order, and why:

1. ``diverged`` - NaN/inf or a loss that blew up: every other number is
   meaningless after that, and the fix (a smaller learning rate) comes first.
2. ``too_short`` - fewer than `MIN_EPOCHS` epochs: the trend rules cannot
   run; only divergence can be judged from one or two epochs.
3. ``unstable`` - the loss jumps up and down: "validation loss rose since its
   best" is then noise, not overfitting, and lowering the learning rate comes
   before any regularisation.
4. ``overfitting`` - the validation loss is rising, or the variance dominates.
   Above underfitting: when both show (Ng's "high bias and high variance"),
   the validation loss going *up* is the urgent part, and more capacity would
   make it worse.
5. ``underfitting`` - the training loss plateaued at a level a baseline beats.
   Above still_improving for the "not learning" case (a loss crawling down
   from ``ln K`` needs a larger learning rate, not more epochs); the other
   underfitting rules require a plateau, so they never compete with it.
6. ``still_improving`` - nothing is wrong yet, but the run stopped early.
7. ``good_fit`` - nothing above fired.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from . import rules as _rules
from ._context import Context
from .curves import LearningCurves, _jsonable
from .findings import Finding, Skip
from .suggestions import Suggestion, suggest
from .thresholds import DEFAULT, Thresholds

PRIORITY = (
    "diverged",
    "too_short",
    "unstable",
    "overfitting",
    "underfitting",
    "still_improving",
    "good_fit",
)
VERDICTS = frozenset(PRIORITY)

HEADLINES = {
    "diverged": "the training blew up",
    "too_short": "too few epochs to judge",
    "unstable": "the loss jumps up and down",
    "overfitting": "the model memorises its training data",
    "underfitting": "the model cannot fit its training data",
    "still_improving": "the run stopped while still improving",
    "good_fit": "no problem found",
}


@dataclasses.dataclass
class Diagnosis:
    """The verdict on one run, with the evidence behind it.

    Attributes:
        verdict: one of `PRIORITY`.
        findings: every rule that fired, verdict rules first, in rule order.
        evidence: the measured numbers (JSON-able). Every ``*_epoch`` value is
            1-based, as Keras prints epochs ("Epoch 7/20").
        suggestions: what to try, most useful first (`Suggestion` strings).
        checks_run: names of the rules that ran.
        checks_skipped: rule name -> why it could not run.
        loss_source: which training loss the rules used, and what it means.
        thresholds: the thresholds the rules compared against.
        curves: the curves that were diagnosed (for plots and reports).
    """

    verdict: str
    findings: list[Finding]
    evidence: dict[str, Any]
    suggestions: list[Suggestion]
    checks_run: list[str]
    checks_skipped: dict[str, str]
    loss_source: str
    thresholds: Thresholds = dataclasses.field(default=DEFAULT, repr=False)
    curves: LearningCurves | None = dataclasses.field(default=None, repr=False)

    @property
    def reason(self) -> Finding | None:
        """The first finding that supports the verdict."""
        return next((f for f in self.findings if f.verdict == self.verdict), None)

    @property
    def summary(self) -> str:
        """One line: the verdict and why."""
        why = self.reason.message if self.reason else HEADLINES[self.verdict]
        return f"{self.verdict}: {why}"

    def __str__(self) -> str:
        ev = self.evidence
        lines = [f"Verdict: {self.verdict.upper().replace('_', ' ')} ({HEADLINES[self.verdict]})"]
        if self.reason:
            lines.append(f"  {self.reason.message}")
        lines.append(f"Training loss used: {self.loss_source}")
        lines.append("Evidence (epochs are 1-based):")
        lines += [f"  {label:<34} {text}" for label, text in evidence_rows(ev)]
        lines.append("Findings:")
        lines += [f"  [{f.severity}] {f.rule}: {f.message}" for f in self.findings] or ["  (none)"]
        lines.append("Suggestions:")
        lines += [f"  {i}. {s}" for i, s in enumerate(self.suggestions, 1)] or ["  (none)"]
        lines.append(f"Checks run: {len(self.checks_run)}; skipped: {len(self.checks_skipped)}")
        lines += [f"  skipped {name}: {why}" for name, why in self.checks_skipped.items()]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Everything except the curves, as plain JSON-able Python (NaN -> None)."""
        return _jsonable(
            {
                "verdict": self.verdict,
                "summary": self.summary,
                "loss_source": self.loss_source,
                "evidence": self.evidence,
                "findings": [f.to_dict() for f in self.findings],
                "suggestions": [s.to_dict() for s in self.suggestions],
                "checks_run": list(self.checks_run),
                "checks_skipped": dict(self.checks_skipped),
                "thresholds": self.thresholds.to_dict(),
                "priority": list(PRIORITY),
            }
        )

    def to_json(self, **kwargs) -> str:
        """`to_dict` as a JSON string (strict JSON: no NaN)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)


def diagnose(
    history: Any,
    *,
    train_eval: Any = None,
    baseline: Any = None,
    num_classes: int | None = None,
    metric: str | None = None,
    validation_freq: int | None = None,
    thresholds: Thresholds | None = None,
) -> Diagnosis:
    """Read learning curves and say whether the model under- or overfits, and what to try.

    Args:
        history: a kerasnp/Keras ``History``, a ``history.history`` dict, a
            ``LearningCurves``, or the path of a CSVLogger CSV or a JSON file
            (see `load_history`).
        train_eval: optional per-epoch training loss/metrics measured in
            inference mode at each epoch end (``{"loss": [...], "accuracy":
            [...]}``); the same as logging ``eval_loss``/``eval_accuracy`` in
            the history. When present, the rules use it instead of the
            running-mean ``loss``, and `Diagnosis.loss_source` says so.
        baseline: optional results of a quick linear (softmax-regression) run
            on the same data: ``{"loss", "val_loss", "accuracy",
            "val_accuracy"}`` final values or that run's History, plus an
            optional ``"target_error"`` (Bayes/human error estimate) for Ng's
            avoidable-bias rule.
        num_classes: K for K-class classification; gives the chance loss
            ``ln K`` and chance accuracy ``1/K``. Defaults to
            ``history.params["num_classes"]``, or 2 for ``binary_*`` metrics.
        metric: the metric to report (e.g. ``"accuracy"``, ``"auc"``).
            Defaults to the first accuracy-like metric logged.
        validation_freq: for dict histories whose ``val_*`` lists are shorter
            (see `load_history`).
        thresholds: a `Thresholds` to use instead of the defaults.

    Returns:
        A `Diagnosis`.

    Raises:
        KerasnpError: for an unreadable history, a missing training loss, or
            a `metric` that was not logged.

    Example:
        >>> h = {"loss": [1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05],
        ...      "val_loss": [1.0, 0.6, 0.45, 0.5, 0.58, 0.66, 0.75, 0.83]}
        >>> d = diagnose(h)
        >>> d.verdict, d.evidence["best_val_epoch"]
        ('overfitting', 3)
    """
    th = thresholds if thresholds is not None else DEFAULT
    findings, run, skipped = [], [], {}
    # Absurd inputs (losses near 1e308) overflow to inf, which the rules handle.
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        ctx = Context(
            history,
            th,
            train_eval=train_eval,
            baseline=baseline,
            num_classes=num_classes,
            metric=metric,
            validation_freq=validation_freq,
        )
        for name, rule in _rules.RULES:
            try:
                found = rule(ctx)
            except Skip as why:
                skipped[name] = str(why)
                continue
            run.append(name)
            if found is not None:
                findings.append(found)
    fired = {f.verdict for f in findings if f.verdict}
    verdict = next((v for v in PRIORITY if v in fired), "good_fit")
    if verdict == "good_fit":
        findings.append(_rules.good_fit(ctx))
    findings.sort(key=lambda f: (f.verdict is None, PRIORITY.index(f.verdict) if f.verdict else 0))
    return Diagnosis(
        verdict=verdict,
        findings=findings,
        evidence=ctx.evidence,
        suggestions=suggest(verdict, ctx, findings),
        checks_run=run,
        checks_skipped=skipped,
        loss_source=ctx.loss_source,
        thresholds=th,
        curves=ctx.curves,
    )


# -- presentation shared by __str__, the terminal and the report -------------


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def _g(x: Any) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{x:.4g}" if math.isfinite(x) else str(x)


_ROWS = [
    ("n_epochs", "epochs run", _g),
    ("best_val_epoch", "best validation epoch", _g),
    ("best_val_loss", "best validation loss", _g),
    ("final_val_loss", "final validation loss", _g),
    ("val_rise_since_best", "validation loss rise since best", _pct),
    ("final_train_loss", "final training loss", _g),
    ("final_running_loss", "final running-mean loss", _g),
    ("gap_at_best", "val - train loss at best epoch", _g),
    ("gap_at_last", "val - train loss at last epoch", _g),
    ("train_slope_rel", "training loss slope (per epoch)", _pct),
    ("val_slope_rel", "validation loss slope (per epoch)", _pct),
    ("chance_loss", "chance loss ln K", _g),
    ("initial_loss_vs_chance", "first-epoch loss / ln K", _g),
    ("final_loss_vs_chance", "final loss / ln K", _g),
    ("final_train_metric", "final training metric", _g),
    ("final_val_metric", "final validation metric", _g),
    ("chance_accuracy", "chance accuracy 1/K", _g),
    ("train_error", "training error", lambda x: f"{x:.2%}"),
    ("val_error", "validation error", lambda x: f"{x:.2%}"),
    ("avoidable_bias", "avoidable bias", lambda x: f"{x:.2%}"),
    ("variance", "variance (val - train error)", lambda x: f"{x:.2%}"),
    ("baseline_loss", "baseline training loss", _g),
    ("baseline_val_loss", "baseline validation loss", _g),
    ("gain_over_baseline", "training-loss gain over baseline", _pct),
    ("val_gain_over_baseline", "validation-loss gain over baseline", _pct),
]


def evidence_rows(evidence: dict) -> list[tuple[str, str]]:
    """``(label, formatted value)`` for the evidence worth showing people."""
    rows = []
    for key, label, fmt in _ROWS:
        value = evidence.get(key)
        if value is not None:
            if key == "best_val_epoch":
                text = f"{value} of {evidence['n_epochs']}"
            elif key == "final_train_metric" and evidence.get("metric"):
                label = f"final training {evidence['metric']}"
                text = fmt(value)
            elif key == "final_val_metric" and evidence.get("metric"):
                label = f"final validation {evidence['metric']}"
                text = fmt(value)
            elif key in ("train_error", "val_error", "avoidable_bias", "variance"):
                label = f"{label} @ epoch {evidence.get('accuracy_epoch')}"
                text = fmt(value)
                if key == "avoidable_bias" and evidence.get("target_error_assumed"):
                    text += " (target error taken as 0)"
            else:
                text = fmt(value)
            rows.append((label, text))
    return rows
