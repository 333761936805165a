"""Everything the rules look at, computed once from the curves: series, windows, evidence.

Positions index the epochs that ran (0-based); every number meant for people
(`evidence`, messages) uses 1-based epoch numbers, as Keras prints them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_float, check_int, closest
from . import _stats
from .curves import ACCURACY_NAMES, LR_KEYS, groups
from .history_io import load_history

LOSS_SOURCES = {
    "eval_loss": "eval_loss: the training loss measured in inference mode at the end of each "
    "epoch (no dropout, the epoch's final weights)",
    "loss": "loss: the running mean over the epoch's batches, with dropout active and the "
    "weights still changing (biased upwards; see the Keras FAQ)",
}


class Trend:
    """Theil-Sen slope of the last points of a curve, relative to its level."""

    def __init__(self, x: np.ndarray, y: np.ndarray, window: int, noise: float):
        self.x, self.y = x[-window:], y[-window:]
        self.window = len(self.y)
        self.slope = _stats.theil_sen(self.x, self.y)
        self.level = float(np.median(np.abs(self.y))) if self.window else float("nan")
        self.rel_slope = (
            self.slope / self.level if self.level and math.isfinite(self.slope) else float("nan")
        )
        span = float(self.x[-1] - self.x[0]) if self.window > 1 else 0.0
        self.drop = -self.slope * span if math.isfinite(self.slope) else float("nan")
        self.noise = noise


class Context:
    """The curves of one run, reduced to the series and numbers the rules need."""

    def __init__(
        self,
        history: Any,
        th,
        *,
        train_eval=None,
        baseline=None,
        num_classes=None,
        metric=None,
        validation_freq=None,
    ):
        curves = load_history(history, validation_freq=validation_freq)
        if train_eval is not None:
            extra = load_history(train_eval)
            curves = curves.with_values(
                {k.removeprefix("eval_"): extra[k] for k in extra.keys},
                prefix="eval_",
                validation_freq=validation_freq,
            )
        self.curves, self.th, self.n = curves, th, curves.n_epochs
        self.params = curves.params
        self.x = curves.epochs.astype(np.float64) + 1.0  # 1-based epoch numbers
        self._pick_series(metric)
        self._pick_classes(num_classes)
        self.baseline = _baseline(baseline)
        self._measure()

    # -- choosing what to read ------------------------------------------------
    def _has(self, key: str) -> bool:
        return key in self.curves and bool(self.curves.recorded(key).any())

    def _pick_series(self, metric) -> None:
        c = self.curves
        if self._has("eval_loss"):
            self.train_key = "eval_loss"
        elif "loss" in c or self.n == 0:
            self.train_key = "loss"
        else:
            raise KerasnpError(
                f"no training loss in {c.source}: expected a `loss` (or `eval_loss`) curve. "
                f"Available: {', '.join(c.keys) or 'none'}"
            )
        self.loss_source = LOSS_SOURCES[self.train_key]
        self.T = c[self.train_key] if self.train_key in c else np.zeros(0)
        self.T_running = c["loss"] if self._has("loss") else None
        self.V = c["val_loss"] if self._has("val_loss") else None
        self.val_pos = c.points("val_loss")[0] if self.V is not None else np.zeros(0, dtype=int)
        bases = groups(c)
        if metric is not None:
            base = str(metric).removeprefix("val_").removeprefix("eval_")
            if base not in bases:
                names = [b for b in bases if b != "loss"]
                hint = closest(base, names)
                raise KerasnpError(
                    f"Invalid value for argument `metric` of diagnose: no curve {metric!r} in "
                    f"{c.source}."
                    + (f" Did you mean {hint!r}?" if hint else "")
                    + f" Available metrics: {', '.join(names) or 'none'}"
                )
        else:
            base = next((b for b in bases if b in ACCURACY_NAMES), None)
        self.metric = base
        self.metric_is_accuracy = base is not None and (
            base in ACCURACY_NAMES or "accuracy" in base
        )
        self.A_train = self.A_val = None
        if base is not None:
            role_keys = bases[base]
            eval_key = role_keys.get("eval")
            train_key = (
                eval_key
                if self.train_key == "eval_loss" and eval_key
                else role_keys.get("train") or eval_key
            )
            self.metric_train_key = train_key
            self.A_train = c[train_key] if train_key and self._has(train_key) else None
            self.A_val = (
                c[role_keys["val"]] if "val" in role_keys and self._has(role_keys["val"]) else None
            )
        self.lr_key = next((k for k in LR_KEYS if self._has(k)), None)

    def _pick_classes(self, num_classes) -> None:
        k = check_int("diagnose", "num_classes", num_classes, minimum=2, allow_none=True)
        if k is None and isinstance(self.params.get("num_classes"), int | np.integer):
            k = int(self.params["num_classes"]) if self.params["num_classes"] >= 2 else None
        if k is None and self.metric and "binary" in self.metric:
            k = 2
        self.K = k
        self.chance_loss = math.log(k) if k else None
        self.chance_accuracy = 1.0 / k if k else None
        initial = self.params.get("initial_loss")
        first = _first_finite(self.T_running if self.T_running is not None else self.T)
        self.initial_loss = float(initial) if isinstance(initial, int | float) else None
        scale = self.chance_loss or self.initial_loss or first
        self.S = float(scale) if scale and math.isfinite(scale) and scale > 0 else 1.0

    # -- measuring --------------------------------------------------------------
    def _measure(self) -> None:
        th, T = self.th, self.T
        self.nonfinite = {}
        for key in ("loss", "eval_loss", "val_loss"):
            if key in self.curves:
                bad = self.curves.recorded(key) & ~np.isfinite(self.curves[key])
                if bad.any():
                    self.nonfinite[key] = int(np.flatnonzero(bad)[0])
        self.finite = not self.nonfinite
        self.floor = th.min_change_of_scale * self.S
        t_ok = np.isfinite(T)
        self.t_pos = np.flatnonzero(t_ok)
        self.train_noise = _stats.step_noise(T[t_ok]) if self.n else 0.0
        self.train_trend = (
            Trend(
                self.x[t_ok],
                T[t_ok],
                _stats.window_size(int(t_ok.sum()), th.window_fraction, th.min_window),
                self.train_noise,
            )
            if t_ok.sum() >= 2
            else None
        )
        self.plateau = (
            self.train_trend is not None
            and math.isfinite(self.train_trend.rel_slope)
            and self.train_trend.rel_slope > -th.plateau_rel_slope
        )
        self.m = len(self.val_pos)
        self.gl = None
        if self.V is not None and self.m:
            vp = self.val_pos[np.isfinite(self.V[self.val_pos])]
            self.val_pos_finite = vp
            vals = self.V[vp]
            self.val_noise = _stats.step_noise(vals)
            self.val_trend = (
                Trend(
                    self.x[vp],
                    vals,
                    _stats.window_size(len(vp), th.window_fraction, th.min_window),
                    self.val_noise,
                )
                if len(vp) >= 2
                else None
            )
            self.best_pos = int(vp[np.argmin(vals)]) if len(vp) else None
            if len(vp):
                vmin, vlast = float(vals.min()), float(vals[-1])
                # Prechelt's generalisation loss; inf when a zero minimum is left behind
                self.gl = (
                    (vlast - vmin) / abs(vmin) if vmin else (math.inf if vlast > vmin else 0.0)
                )
        else:
            self.val_pos_finite = np.zeros(0, dtype=int)
            self.val_noise, self.val_trend, self.best_pos = 0.0, None, None
        self.improving = self._still_improving()
        epochs_requested = self.params.get("epochs")
        self.stopped_early = (
            isinstance(epochs_requested, int | np.integer)
            and self.n > 0
            and int(self.curves.epochs[-1]) + 1 < int(epochs_requested)
        )
        self.evidence = self._evidence()

    def _still_improving(self) -> dict | None:
        """The "still improving" test on validation loss (else training loss), or None."""
        use_val = self.val_trend is not None and len(self.val_pos_finite) >= self.th.min_val_points
        trend = self.val_trend if use_val else self.train_trend
        if trend is None or trend.window < 2 or not math.isfinite(trend.slope):
            return None
        values = self.V[self.val_pos_finite] if use_val else self.T[self.t_pos]
        best_in_window = int(np.argmin(values)) >= len(values) - trend.window
        need = max(
            self.th.still_improving_min_drop * trend.level,
            self.floor,
            self.th.noise_z * trend.noise,
        )
        return {
            "series": "val_loss" if use_val else self.train_key,
            "improving": bool(trend.slope < 0 and trend.drop > need and best_in_window),
            "drop": trend.drop,
            "needed": need,
            "best_in_window": best_in_window,
            "rel_slope": trend.rel_slope,
            "window": trend.window,
        }

    def at(self, series: np.ndarray | None, pos: int | None) -> float | None:
        """The value of a series at an epoch position, or None if not recorded/finite."""
        if series is None or pos is None or pos < 0 or pos >= len(series):
            return None
        v = float(series[pos])
        return v if math.isfinite(v) else None

    def last_finite(self, series: np.ndarray | None) -> tuple[int | None, float | None]:
        """Position and value of the last finite point of a series."""
        if series is None:
            return None, None
        ok = np.flatnonzero(np.isfinite(series))
        return (int(ok[-1]), float(series[ok[-1]])) if len(ok) else (None, None)

    def accuracy_pos(self) -> int | None:
        """Where train and validation accuracy are compared: the best validation epoch if
        both are recorded there, else the last epoch where both are."""
        if self.A_train is None or self.A_val is None:
            return None
        both = np.flatnonzero(np.isfinite(self.A_train) & np.isfinite(self.A_val))
        if not len(both):
            return None
        return self.best_pos if self.best_pos in set(both.tolist()) else int(both[-1])

    # -- evidence ---------------------------------------------------------------
    def _evidence(self) -> dict:
        ev: dict[str, Any] = {
            "n_epochs": self.n,
            "n_val_points": self.m,
            "loss_source": self.train_key,
            "loss_scale": self.S,
            "num_classes": self.K,
            "chance_loss": self.chance_loss,
        }
        ev["validation_freq"] = (
            int(round(np.median(np.diff(self.val_pos)))) if self.m >= 2 else (1 if self.m else None)
        )
        first_pos = int(self.t_pos[0]) if len(self.t_pos) else None
        last_pos, last_T = self.last_finite(self.T)
        ev["first_train_loss"] = self.at(self.T, first_pos)
        ev["final_train_loss"] = last_T
        ev["min_train_loss"] = float(np.min(self.T[self.t_pos])) if len(self.t_pos) else None
        if self.T_running is not None and self.train_key != "loss":
            ev["final_running_loss"] = self.last_finite(self.T_running)[1]
        if self.chance_loss:
            ref = self.initial_loss if self.initial_loss is not None else ev["first_train_loss"]
            ev["initial_loss_vs_chance"] = _ratio(ref, self.chance_loss)
            ev["final_loss_vs_chance"] = _ratio(last_T, self.chance_loss)
        if self.train_trend is not None:
            ev["recent_window"] = self.train_trend.window
            ev["train_slope_rel"] = _num(self.train_trend.rel_slope)
        ev["train_step_noise"] = self.train_noise
        if self.best_pos is not None:
            b, (lp, lv) = self.best_pos, self.last_finite(self.V)
            vmin = float(self.V[b])
            ev["best_val_epoch"] = self.curves.display_epoch(b)
            ev["best_val_loss"] = vmin
            ev["final_val_loss"] = lv
            ev["val_rise_since_best"] = self.gl
            ev["epochs_since_best"] = int(self.curves.epochs[lp] - self.curves.epochs[b])
            ev["evals_since_best"] = int(np.sum(self.val_pos_finite > b))
            ev["gap_at_best"] = _diff(self.V[b], self.at(self.T, b))
            ev["gap_ratio_at_best"] = _ratio(ev["gap_at_best"], self.at(self.T, b))
            ev["gap_at_last"] = _diff(lv, self.at(self.T, lp))
            ev["gap_ratio_at_last"] = _ratio(ev["gap_at_last"], self.at(self.T, lp))
            ev["val_step_noise"] = self.val_noise
            if self.val_trend is not None:
                ev["val_slope_rel"] = _num(self.val_trend.rel_slope)
        if self.improving is not None:
            ev["still_improving_drop"] = _num(self.improving["drop"])
        ev.update(self._accuracy_evidence())
        ev.update(self._baseline_evidence(last_T))
        if self.lr_key:
            lr = self.curves[self.lr_key]
            ok = lr[np.isfinite(lr)]
            ev["learning_rate_first"], ev["learning_rate_last"] = float(ok[0]), float(ok[-1])
        ev["stopped_early"] = bool(self.stopped_early)
        return {k: _num(v) for k, v in ev.items()}

    def _accuracy_evidence(self) -> dict:
        ev: dict[str, Any] = {}
        if self.metric is None:
            return ev
        ev["metric"] = self.metric
        ev["metric_source"] = self.metric_train_key
        _, ev["final_train_metric"] = self.last_finite(self.A_train)
        _, ev["final_val_metric"] = self.last_finite(self.A_val)
        if not self.metric_is_accuracy:
            return ev
        if self.chance_accuracy is not None:
            ev["chance_accuracy"] = self.chance_accuracy
            acc = ev["final_train_metric"]
            if acc is not None:
                ev["train_accuracy_gain_over_chance"] = (acc - self.chance_accuracy) / (
                    1 - self.chance_accuracy
                )
        pos = self.accuracy_pos()
        if pos is not None:
            tr, va = float(self.A_train[pos]), float(self.A_val[pos])
            target = self.baseline.get("target_error")
            ev["accuracy_epoch"] = self.curves.display_epoch(pos)
            ev["train_error"], ev["val_error"] = 1 - tr, 1 - va
            ev["target_error"] = target if target is not None else 0.0
            ev["target_error_assumed"] = target is None
            ev["avoidable_bias"] = (1 - tr) - ev["target_error"]
            ev["variance"] = tr - va
        return ev

    def _baseline_evidence(self, last_T: float | None) -> dict:
        b, ev = self.baseline, {}
        if not b:
            return ev
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            if key in b:
                ev[f"baseline_{key}"] = b[key]
        if "loss" in b and last_T is not None:
            ev["gain_over_baseline"] = (b["loss"] - last_T) / b["loss"] if b["loss"] else None
        lp, lv = self.last_finite(self.V)
        if "val_loss" in b and lv is not None:
            ev["val_gain_over_baseline"] = (
                (b["val_loss"] - lv) / b["val_loss"] if b["val_loss"] else None
            )
        if "accuracy" in b:
            _, acc = self.last_finite(self.A_train)
            if acc is not None and b["accuracy"] < 1:
                ev["error_gain_over_baseline"] = ((1 - b["accuracy"]) - (1 - acc)) / (
                    1 - b["accuracy"]
                )
        return ev


# -- helpers ------------------------------------------------------------------

_BASELINE_ALIASES = {
    "loss": ("loss", "train_loss", "eval_loss"),
    "val_loss": ("val_loss",),
    "accuracy": ("accuracy", "acc", "train_accuracy", "eval_accuracy"),
    "val_accuracy": ("val_accuracy", "val_acc"),
    "target_error": ("target_error", "bayes_error", "human_error"),
}


def _baseline(baseline: Any) -> dict:
    """Normalise ``baseline`` to ``{loss, val_loss, accuracy, val_accuracy, target_error}``.

    Accepts final numbers, or a whole run (History / dict of lists), whose last
    recorded values are taken (inference-mode ``eval_*`` values first).
    """
    if baseline is None:
        return {}
    if (
        not isinstance(baseline, Mapping)
        or "history" in baseline
        or any(isinstance(v, list | tuple | np.ndarray) for v in baseline.values())
    ):
        curves = load_history(baseline)
        flat = {}
        for key in curves.keys:
            ok = curves[key][curves.recorded(key) & np.isfinite(curves[key])]
            if len(ok):
                flat[key] = float(ok[-1])
        for key in list(flat):
            if key.startswith("eval_"):
                flat[key.removeprefix("eval_")] = flat.pop(key)
        baseline = flat
    out: dict[str, Any] = {}
    for name, aliases in _BASELINE_ALIASES.items():
        for alias in aliases:
            if alias in baseline and baseline[alias] is not None:
                out[name] = check_float(
                    "diagnose", f"baseline[{alias!r}]", baseline[alias], low=0.0
                )
                break
    if "target_accuracy" in baseline and "target_error" not in out:
        out["target_error"] = 1.0 - check_float(
            "diagnose",
            "baseline['target_accuracy']",
            baseline["target_accuracy"],
            low=0.0,
            high=1.0,
        )
    if not out:
        raise KerasnpError(
            "Invalid value for argument `baseline` of diagnose: expected a dict with some of "
            "`loss`, `val_loss`, `accuracy`, `val_accuracy`, `target_error` (or a baseline "
            f"run's history). Received: baseline={baseline!r:.100}"
        )
    return out


def _first_finite(series: np.ndarray | None) -> float | None:
    if series is None:
        return None
    ok = series[np.isfinite(series)]
    return float(ok[0]) if len(ok) else None


def _diff(a, b) -> float | None:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return None
    return float(a) - float(b)


def _ratio(a, b) -> float | None:
    if a is None or b is None or not b or not (math.isfinite(a) and math.isfinite(b)):
        return None
    return float(a) / float(b)


def _num(v: Any) -> Any:
    """Python floats (NaN/inf -> None), ints and bools; other values unchanged."""
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return v
