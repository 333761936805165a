"""What to try next, worded with the Keras API and filled in with the run's own numbers.

Every suggestion is a `Suggestion`: a plain string for people, carrying the
name of the remedy and a dict of `changes` a program can apply to retrain
(the lab's ``--try-fix``). The change keys are:

=====================  =====================================================
``learning_rate_factor``  multiply the learning rate by this
``clipnorm``              set the optimizer's ``clipnorm``
``batch_size_factor``     multiply the batch size by this
``epochs``                train for this many epochs in total
``early_stopping``        add EarlyStopping(patience=this, restore_best_weights=True)
``l2``                    L2 factor on every Dense kernel (0 removes it)
``dropout``               Dropout rate after each hidden layer (0 removes it)
``hidden_factor``         multiply every hidden layer's width by this
``validation_split``      hold out this fraction for validation
=====================  =====================================================
"""

from __future__ import annotations

import math
from typing import Any

from ._context import Context
from .findings import Finding, fmt_pct


class Suggestion(str):
    """A suggestion's text, with its `remedy` name and the `changes` that try it.

    Example:
        >>> s = Suggestion("add Dropout(0.3)", "dropout", {"dropout": 0.3})
        >>> s, s.remedy, s.changes
        ('add Dropout(0.3)', 'dropout', {'dropout': 0.3})
    """

    remedy: str
    changes: dict[str, Any]

    def __new__(cls, text: str, remedy: str = "", changes: dict[str, Any] | None = None):
        obj = super().__new__(cls, text)
        obj.remedy = remedy
        obj.changes = dict(changes or {})
        return obj

    def __reduce__(self):
        return (Suggestion, (str(self), self.remedy, self.changes))

    def to_dict(self) -> dict:
        return {"text": str(self), "remedy": self.remedy, "changes": dict(self.changes)}


def _lr_text(ctx: Context, factor: float) -> str:
    lr = ctx.params.get("learning_rate")
    if not isinstance(lr, int | float):
        lr = ctx.evidence.get("learning_rate_last")
    if isinstance(lr, int | float) and lr > 0:
        return f"from {lr:g} to {lr * factor:.2g}"
    return "e.g. from Adam's default 0.001 to " + f"{0.001 * factor:.2g}"


def _monitor(ctx: Context) -> str:
    """What EarlyStopping and ReduceLROnPlateau should watch in this run."""
    return "val_loss" if ctx.V is not None else "loss"


def _patience(ctx: Context) -> int:
    return max(
        ctx.th.overfit_min_patience, math.ceil(ctx.th.overfit_patience_fraction * max(ctx.n, 1))
    )


def _current(ctx: Context, key: str) -> float:
    value = ctx.params.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def suggest(verdict: str, ctx: Context, findings: list[Finding]) -> list[Suggestion]:
    """Suggestions for the verdict, then for the flags, without repeating a remedy."""
    fired = {f.rule: f for f in findings}
    make = _BY_VERDICT[verdict]
    out = list(make(ctx, fired))
    out += _for_flags(verdict, ctx, fired)
    seen, unique = set(), []
    for s in out:
        if s.remedy not in seen:
            seen.add(s.remedy)
            unique.append(s)
    return unique


def _diverged(ctx: Context, fired: dict) -> list[Suggestion]:
    f = next(fired[r] for r in fired if r.startswith("diverged."))
    if f.rule == "diverged.non_finite":
        why = f"`{f.numbers['key']}` became {f.numbers['value']} at epoch {f.numbers['epoch']}"
    else:
        why = "the training loss blew up"
    out = [
        Suggestion(
            f"{why}: lower the learning rate 10x ({_lr_text(ctx, 0.1)}); a rate "
            "that is too large is the usual cause.",
            "learning_rate",
            {"learning_rate_factor": ctx.th.suggest_lr_factor_diverged},
        ),
        Suggestion(
            "clip the gradients so one bad batch cannot throw the weights away: "
            "optimizer=Adam(clipnorm=1.0).",
            "clipnorm",
            {"clipnorm": 1.0},
        ),
        _check_data(),
    ]
    if f.rule == "diverged.non_finite":
        out.append(
            Suggestion(
                "add callbacks=[TerminateOnNaN()] to stop at the first NaN "
                "instead of training on garbage.",
                "terminate_on_nan",
                {},
            )
        )
    return out


def _unstable(ctx: Context, fired: dict) -> list[Suggestion]:
    return [
        Suggestion(
            f"the loss jumps up and down: lower the learning rate about 3x "
            f"({_lr_text(ctx, ctx.th.suggest_lr_factor_unstable)}).",
            "learning_rate",
            {"learning_rate_factor": ctx.th.suggest_lr_factor_unstable},
        ),
        Suggestion(
            "clip the gradients: optimizer=Adam(clipnorm=1.0).", "clipnorm", {"clipnorm": 1.0}
        ),
        Suggestion(
            "use larger batches (2x) to average out the noise in each step.",
            "batch_size",
            {"batch_size_factor": 2},
        ),
        Suggestion(
            f"add ReduceLROnPlateau(monitor='{_monitor(ctx)}', factor=0.5, patience=2) to "
            "lower the rate automatically when progress stalls.",
            "reduce_lr",
            {},
        ),
    ]


def _too_short(ctx: Context, fired: dict) -> list[Suggestion]:
    target = max(20, 4 * ctx.n)
    return [
        Suggestion(
            f"train longer to see a trend: epochs={target} with EarlyStopping("
            f"monitor='{_monitor(ctx)}', patience=3, restore_best_weights=True) to stop "
            "when it no longer helps.",
            "epochs",
            {"epochs": target, "early_stopping": 3},
        )
    ]


def _overfitting(ctx: Context, fired: dict) -> list[Suggestion]:
    ev, th = ctx.evidence, ctx.th
    rise = fired.get("overfitting.val_rise")
    if rise is not None:
        severe = rise.numbers["severe"]
        why = (
            f"validation loss bottomed at epoch {ev['best_val_epoch']} and rose "
            f"{fmt_pct(ctx.gl)} since"
        )
    else:
        severe = ev["variance"] >= 2 * th.overfit_min_variance
        why = f"validation error {ev['val_error']:.1%} vs training error {ev['train_error']:.1%}"
    rate = th.suggest_dropout[int(severe)]
    l2 = th.suggest_l2[int(severe)]
    if _current(ctx, "dropout"):
        rate = min(0.5, round(_current(ctx, "dropout") + 0.2, 2))
    if _current(ctx, "l2"):
        l2 = _current(ctx, "l2") * 10
    dropout = Suggestion(
        f"{why}: add Dropout({rate:g}) after the widest hidden layer.", "dropout", {"dropout": rate}
    )
    weight_decay = Suggestion(
        f"{why}: add L2 weight decay around {l2:g} "
        f"(kernel_regularizer=regularizers.L2({l2:g}) on the Dense layers).",
        "l2",
        {"l2": l2},
    )
    # L2 first: on kerasnp's MNIST and Fashion-MNIST runs, L2 of 3e-4 to 1e-3 stopped the
    # validation loss from rising in every case, while Dropout(0.3) never did and
    # Dropout(0.5) only sometimes (docs/lab-rules.md, section 7). A run that already has
    # L2 tries Dropout next, unless Dropout is at its usual maximum of 0.5.
    dropout_next = _current(ctx, "l2") > 0 and _current(ctx, "dropout") < 0.5
    out = [dropout, weight_decay] if dropout_next else [weight_decay, dropout]
    if rise is not None:
        p = _patience(ctx)
        out.append(
            Suggestion(
                f"add EarlyStopping(monitor='val_loss', patience={p}, "
                f"restore_best_weights=True) to keep the epoch-"
                f"{ev['best_val_epoch']} weights.",
                "early_stopping",
                {"early_stopping": p},
            )
        )
        if ev["best_val_epoch"] <= 3 and ctx.n >= 10:
            out.append(
                Suggestion(
                    "the validation loss turned up within 3 epochs: a smaller "
                    f"learning rate ({_lr_text(ctx, 0.3)}) makes the U less sharp.",
                    "learning_rate",
                    {"learning_rate_factor": 0.3},
                )
            )
    out.append(
        Suggestion(
            "more training data (or augmentation) reduces variance most "
            "reliably; a smaller network (half the units) also does.",
            "capacity_down",
            {"hidden_factor": 0.5},
        )
    )
    return out


def _underfitting(ctx: Context, fired: dict) -> list[Suggestion]:
    out = []
    dropout, l2 = _current(ctx, "dropout"), _current(ctx, "l2")
    less_reg = None
    if dropout or l2:
        parts = ([f"Dropout({dropout:g})"] if dropout else []) + ([f"L2({l2:g})"] if l2 else [])
        changes = {
            **({"dropout": round(dropout / 2, 2)} if dropout else {}),
            **({"l2": l2 / 10} if l2 else {}),
        }
        less_reg = Suggestion(
            f"less regularisation: the run uses {' and '.join(parts)}; "
            "halve the dropout rate and divide L2 by 10.",
            "regularization_down",
            changes,
        )
    not_learning = "underfitting.not_learning" in fired
    # A regularised run that learned but levelled off (or whose loss started high because
    # of the penalty) is held back by the regularisation: loosen that first (Ng: high bias
    # -> less regularisation). A run that hardly moved needs a larger step first.
    if less_reg is not None and (not not_learning or "flag.init_loss_high" in fired):
        out.append(less_reg)
    noisy = fired.get("flag.noisy_validation")
    if noisy is not None and not not_learning:
        # A plateau with a jumpy validation loss: the steps are too large to settle (a real
        # Adam lr=0.03 Fashion-MNIST run levelled off below the linear baseline this way).
        out.append(
            Suggestion(
                f"the validation loss jumps by about {noisy.numbers['val_noise_rel']:.0%} "
                "between epochs while the training loss levelled off: the steps may be too "
                f"large to settle; lower the learning rate 3x ({_lr_text(ctx, 0.3)}).",
                "learning_rate_down",
                {"learning_rate_factor": ctx.th.suggest_lr_factor_unstable},
            )
        )
    if not_learning:
        out.append(
            Suggestion(
                f"the loss has hardly moved: raise the learning rate 10x "
                f"({_lr_text(ctx, 10)}), or switch from SGD to Adam.",
                "learning_rate",
                {"learning_rate_factor": 10},
            )
        )
        out.append(_check_data())
    if less_reg is not None and less_reg not in out:
        out.append(less_reg)
    out.append(
        Suggestion(
            "more capacity: twice the hidden units (e.g. Dense(256) instead of "
            "Dense(128)) or one more hidden layer. More data will not help a "
            "model that cannot fit the data it has.",
            "capacity_up",
            {"hidden_factor": 2},
        )
    )
    if not (dropout or l2):
        out.append(
            Suggestion(
                "if the model has L2 or Dropout, reduce them: they trade training "
                "fit for generalisation.",
                "regularization_down",
                {},
            )
        )
    out.append(
        Suggestion(
            f"train longer with a larger learning rate ({_lr_text(ctx, 3)}).",
            "learning_rate",
            {"learning_rate_factor": 3},
        )
    )
    return out


def _still_improving(ctx: Context, fired: dict) -> list[Suggestion]:
    n, ev = max(ctx.n, 1), ctx.evidence
    total = int(ctx.params.get("epochs") or n)
    target = max(2 * total, total + 10)
    p = _patience(ctx)
    out = [
        Suggestion(
            f"train longer: epochs={target} with EarlyStopping(monitor='{_monitor(ctx)}', "
            f"patience={p}, restore_best_weights=True), which stops once the "
            "validation loss stops falling.",
            "epochs",
            {"epochs": target, "early_stopping": p},
        ),
        Suggestion(
            f"add ReduceLROnPlateau(monitor='{_monitor(ctx)}', factor=0.5, patience="
            f"{p}) to take smaller steps near the end.",
            "reduce_lr",
            {},
        ),
    ]
    ratio = ev.get("final_loss_vs_chance")
    if ratio is not None and ratio > ctx.th.underfit_chance_fraction:
        out.insert(
            1,
            Suggestion(
                f"the loss is still {ratio:.0%} of ln K: a larger learning rate "
                f"({_lr_text(ctx, 3)}) gets there in fewer epochs.",
                "learning_rate",
                {"learning_rate_factor": 3},
            ),
        )
    return out


def _good_fit(ctx: Context, fired: dict) -> list[Suggestion]:
    p = _patience(ctx)
    return [
        Suggestion(
            f"keep the best weights: EarlyStopping(monitor='{_monitor(ctx)}', "
            f"patience={p}, restore_best_weights=True) or "
            "ModelCheckpoint('best.keras', save_best_only=True).",
            "early_stopping",
            {"early_stopping": p},
        ),
        Suggestion(
            "to push further, try one step more capacity together with "
            "regularisation (twice the units with Dropout(0.2)); compare the "
            "validation loss.",
            "capacity_up",
            {"hidden_factor": 2, "dropout": 0.2},
        ),
    ]


def _check_data() -> Suggestion:
    return Suggestion(
        "check the data: inputs scaled to [0, 1] (x / 255 for images) and free "
        "of NaN; integer labels with sparse_categorical_crossentropy, one-hot "
        "labels with categorical_crossentropy.",
        "data",
        {},
    )


def _for_flags(verdict: str, ctx: Context, fired: dict) -> list[Suggestion]:
    out = []
    if "flag.no_validation" in fired:
        out.append(
            Suggestion(
                "hold out validation data (validation_split=0.2) so overfitting can be seen.",
                "validation",
                {"validation_split": 0.2},
            )
        )
    if "flag.noisy_validation" in fired:
        out.append(
            Suggestion(
                "use a larger validation set (a larger validation_split) so one "
                "epoch's score means more.",
                "validation_size",
                {},
            )
        )
    if "flag.init_loss_high" in fired and verdict != "diverged":
        out.append(_check_data())
    if "flag.saturated_early" in fired and verdict not in ("overfitting", "diverged"):
        p = _patience(ctx)
        out.append(
            Suggestion(
                f"EarlyStopping(monitor='val_loss', patience={p}, "
                "restore_best_weights=True) would have saved the epochs after "
                "the best one.",
                "early_stopping",
                {"early_stopping": p},
            )
        )
    return out


_BY_VERDICT = {
    "diverged": _diverged,
    "unstable": _unstable,
    "too_short": _too_short,
    "overfitting": _overfitting,
    "underfitting": _underfitting,
    "still_improving": _still_improving,
    "good_fit": _good_fit,
}
