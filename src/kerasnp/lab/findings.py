"""What a rule reports (`Finding`), how it declines to run (`Skip`), and shared helpers."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ._context import Context


@dataclasses.dataclass
class Finding:
    """One rule that fired: its name, how serious, what it saw, and the numbers behind it.

    Attributes:
        rule: dotted name, ``<verdict>.<rule>`` or ``flag.<name>``.
        severity: ``"error"`` (the run is broken), ``"warning"`` (a verdict-level
            problem) or ``"info"`` (context).
        message: one or two sentences for people.
        numbers: the values that triggered the rule (epochs are 1-based).
        verdict: the verdict this finding supports, None for flags.
    """

    rule: str
    severity: str
    message: str
    numbers: dict[str, Any]
    verdict: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Skip(Exception):
    """Raised by a rule that cannot run; the message is the reason shown to the user."""


def fmt_num(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3g}"


def fmt_pct(x: float) -> str:
    """A relative change as a whole percentage ("from zero" when it is infinite)."""
    return f"{x:.0%}" if math.isfinite(x) else "from zero"


def need_epochs(ctx: Context) -> None:
    if ctx.n < ctx.th.min_epochs:
        raise Skip(f"needs at least {ctx.th.min_epochs} epochs; the run has {ctx.n}")


def need_finite(ctx: Context) -> None:
    """Finite losses, and at least one recorded training-loss value."""
    if not ctx.finite:
        raise Skip("the losses contain NaN or inf (see diverged.non_finite)")
    if not len(ctx.t_pos):
        raise Skip(f"no recorded `{ctx.train_key}` values")


def need_val(ctx: Context) -> None:
    if ctx.V is None:
        raise Skip("no validation data (no `val_loss`)")
    if len(ctx.val_pos_finite) < ctx.th.min_val_points:
        raise Skip(
            f"needs at least {ctx.th.min_val_points} validation evaluations; "
            f"the run has {len(ctx.val_pos_finite)}"
        )


def train_points(ctx: Context) -> np.ndarray:
    return ctx.T[ctx.t_pos]


def epoch_of(ctx: Context, pos: int) -> int:
    return ctx.curves.display_epoch(pos)
