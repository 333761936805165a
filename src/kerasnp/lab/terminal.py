"""Learning curves as Unicode text, for terminals without matplotlib.

Two renderings:

- `sparkline`: one line of block characters ``▁▂▃▄▅▆▇█`` per curve;
- `chart`: a small scatter chart of train and validation on one grid, with a
  y axis, the best epoch marked ``▼``, and a legend. The default glyph style
  tells the curves apart without colour (``•`` train, ``○`` validation, ``+``
  inference-mode train, ``◉`` where they meet); ``style="braille"`` draws
  lines in braille dots at 2x4 the resolution and needs ``color=True`` to
  tell curves apart; ``ascii=True`` keeps to 7-bit characters.

`render_terminal` puts a run's charts, its verdict and a sparkline table
together.

Example:
    >>> sparkline([3, 2, 1.5, 1, 0.8, 0.7])
    '█▅▃▂▁▁'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .curves import best_val_position, groups, higher_is_better, marked
from .history_io import curves_of

BLOCKS = "▁▂▃▄▅▆▇█"
GLYPHS = {"train": "•", "val": "○", "eval": "+", "both": "◉", "bad": "!", "best": "▼"}
ASCII_GLYPHS = {"train": "*", "val": "o", "eval": "+", "both": "@", "bad": "!", "best": "v"}
LABELS = {"train": "train (running mean)", "val": "validation", "eval": "train (inference mode)"}
ANSI = {
    "train": "\033[34m",
    "val": "\033[33m",
    "eval": "\033[36m",
    "both": "\033[35m",
    "reset": "\033[0m",
}
_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col]


def sparkline(values: Sequence[float], *, width: int | None = None, ascii: bool = False) -> str:
    """One character per epoch (or per bin of epochs if more than `width`).

    NaN (not recorded) is a space; inf is ``!``. A flat curve is all ``▄``.
    """
    y = _tame(values)
    y = _bins(y, width) if width and len(y) > width else y
    ok = np.isfinite(y)
    levels = "_.-=+*#@" if ascii else BLOCKS
    if not ok.any():
        return "".join("!" if np.isinf(v) else " " for v in y)
    lo, hi = float(np.min(y[ok])), float(np.max(y[ok]))
    out = []
    for v in y:
        if np.isnan(v):
            out.append(" ")
        elif np.isinf(v):
            out.append("!")
        elif not hi - lo > 1e-300:
            out.append(levels[len(levels) // 2 - 1])
        else:
            share = (v / 2 - lo / 2) / (hi / 2 - lo / 2)  # halves: no overflow near 1e308
            out.append(levels[min(len(levels) - 1, int(share * len(levels)))])
    return "".join(out)


def _tame(values: Sequence[float]) -> np.ndarray:
    """float64 copy in which values too large to scale (|v| > 1e300) count as inf."""
    a = np.array(values, dtype=np.float64).reshape(-1)
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(a) & (np.abs(a) > 1e300)
    a[huge] = np.inf
    return a


def _bins(y: np.ndarray, width: int) -> np.ndarray:
    """Mean of each of `width` bins (inf if any value in a bin is inf, NaN if none recorded)."""
    edges = np.linspace(0, len(y), width + 1).astype(int)
    out = np.full(width, np.nan)
    for i in range(width):
        part = y[edges[i] : max(edges[i + 1], edges[i] + 1)]
        if np.isinf(part).any():
            out[i] = np.inf
        elif np.isfinite(part).any():
            out[i] = float(np.nanmean(part))
    return out


def chart(
    series: dict[str, Sequence[float]],
    *,
    width: int = 60,
    height: int = 8,
    best: int | None = None,
    title: str = "",
    log: bool = False,
    style: str = "glyph",
    color: bool = False,
    ascii: bool = False,
    epoch_offset: int = 1,
) -> list[str]:
    """Lines of a chart of several aligned curves ``{role: values}`` (role: train/val/eval).

    Args:
        series: per-epoch values, NaN where not recorded.
        width: chart columns (the y-axis labels come on top of this).
        height: chart rows.
        best: 0-based position of the best epoch to mark, if any.
        title: text for the first line.
        log: log-scale y axis (positive values only).
        style: ``"glyph"`` or ``"braille"``.
        color: ANSI colours per curve.
        ascii: 7-bit characters only (implies the glyph style).
        epoch_offset: number of the first epoch on the x axis.
    """
    glyphs = ASCII_GLYPHS if ascii else GLYPHS
    arrays = {r: _tame(v) for r, v in series.items()}
    n = max((len(a) for a in arrays.values()), default=0)
    lines = [title] if title else []
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays.values()] or [np.zeros(0)])
    if log:
        finite = finite[finite > 0]
    if n == 0 or not len(finite):
        return lines + ["  (no finite values to plot)"]
    span = max(1, min(width // n, 6)) if n <= width else 1
    cols = min(width, n * span)
    lo, hi = float(np.min(finite)), float(np.max(finite))
    if log:
        lo, hi = math.log10(lo), math.log10(hi)
    if not hi > lo:  # a flat curve: pad around it (by 0.5 for values near zero)
        pad = 0.5 * abs(lo) if abs(lo) > 1e-300 else 0.5
        lo, hi = lo - pad, hi + pad

    def column_values(a: np.ndarray) -> np.ndarray:
        if n <= width:
            return np.repeat(a, span)[:cols]
        return _bins(a, cols)

    braille = style == "braille" and not ascii
    sub_rows, sub_cols = (4, 2) if braille else (1, 1)
    grid_h = height * sub_rows
    owner = [[set() for _ in range(cols)] for _ in range(height)]
    bits = [[0] * cols for _ in range(height)]
    bad_cols: set[int] = set()

    def to_row(v: float) -> int:
        v = math.log10(v) if log else v
        return int(round((hi - v) / (hi - lo) * (grid_h - 1)))

    for role, a in arrays.items():
        cv = column_values(a)
        fine = np.repeat(cv, sub_cols) if braille else cv
        prev = None
        for x, v in enumerate(fine):
            if np.isinf(v) or (np.isfinite(v) and log and v <= 0):
                bad_cols.add(x // sub_cols)
                prev = None
                continue
            if not np.isfinite(v):
                prev = None
                continue
            r = to_row(v)
            rows = range(min(r, prev), max(r, prev) + 1) if braille and prev is not None else [r]
            for rr in rows:
                owner[rr // sub_rows][x // sub_cols].add(role)
                if braille:
                    bits[rr // sub_rows][x // sub_cols] |= _BRAILLE_BITS[rr % 4][x % 2]
            prev = r

    def cell(r: int, c: int) -> str:
        who = owner[r][c]
        if r == 0 and c in bad_cols and not who:
            return glyphs["bad"]
        if not who:
            return " "
        key = next(iter(who)) if len(who) == 1 else "both"
        ch = chr(0x2800 + bits[r][c]) if braille else glyphs[key]
        return f"{ANSI[key]}{ch}{ANSI['reset']}" if color else ch

    label_w = 9
    top, bottom = (10**hi, 10**lo) if log else (hi, lo)
    best_col = (
        (min(cols - 1, best * span + span // 2) if n <= width else int(best * cols / n))
        if best is not None
        else None
    )
    if best_col is not None:
        lines.append(
            " " * (label_w + 1)
            + " " * best_col
            + glyphs["best"]
            + f" best epoch {best + epoch_offset}"
        )
    for r in range(height):
        label = f"{top:.3g}" if r == 0 else (f"{bottom:.3g}" if r == height - 1 else "")
        axis = "|" if ascii else "│"
        lines.append(f"{label:>{label_w}}{axis}" + "".join(cell(r, c) for c in range(cols)))
    corner, rule = ("+", "-") if ascii else ("└", "─")
    lines.append(" " * label_w + corner + rule * cols)
    first, last = str(epoch_offset), str(epoch_offset + n - 1)
    lines.append(
        " " * (label_w + 1)
        + "epoch "
        + first
        + (" " * max(1, cols - len(first) - len(last) - 6) + last if n > 1 else "")
    )
    legend = "  ".join(
        f"{glyphs[r] if not braille else '⣿'} {LABELS[r]}"
        if not color
        else f"{ANSI[r]}{glyphs[r] if not braille else '⣿'}{ANSI['reset']} {LABELS[r]}"
        for r in arrays
    )
    if len(arrays) > 1 and not braille:
        legend += f"  {glyphs['both']} both"
    if bad_cols:
        legend += f"  {glyphs['bad']} NaN/inf"
    lines.append(" " * (label_w + 1) + legend)
    return lines


def render_terminal(
    history: Any,
    *,
    diagnosis: Any = None,
    width: int = 60,
    height: int = 8,
    style: str = "glyph",
    color: bool = False,
    ascii: bool = False,
    log: bool | str = "auto",
    title: str | None = None,
) -> str:
    """A run's curves as text: verdict line, one chart per loss/metric, and sparklines.

    Args:
        history: anything `load_history` reads, or a `Diagnosis` (its curves
            and verdict are used).
        diagnosis: the run's `Diagnosis`, to show the verdict and mark the best
            epoch.
        width, height: size of each chart in characters.
        style, color, ascii: see `chart`.
        log: log scale for the loss chart: True, False, or ``"auto"`` (when the
            loss spans two decades or more, so that a validation loss rising
            from 0.45 to 0.6 stays visible next to a training loss near 0.001).
        title: first line; defaults to the name of the curves.
    """
    curves, diagnosis = curves_of(history, diagnosis)
    best = best_val_position(curves)
    out = [title or f"Learning curves of {curves.name} ({curves.n_epochs} epochs)"]
    if diagnosis is not None:
        out.append(
            f"Verdict: {diagnosis.verdict.upper().replace('_', ' ')}: "
            f"{diagnosis.reason.message if diagnosis.reason else ''}".rstrip(": ")
        )
    offset = int(curves.epochs[0]) + 1 if curves.n_epochs else 1
    for base, roles in groups(curves).items():
        series = {
            r: marked(curves, k) for r, k in sorted(roles.items(), key=lambda rk: _ORDER[rk[0]])
        }
        use_log = base == "loss" and (_spans_decades(series) if log == "auto" else bool(log))
        out.append("")
        out += chart(
            series,
            width=width,
            height=height,
            title=base + (" (log scale)" if use_log else ""),
            best=best if base == "loss" or not higher_is_better(base) else None,
            log=use_log,
            style=style,
            color=color,
            ascii=ascii,
            epoch_offset=offset,
        )
    out.append("")
    name_w = max([len(k) for k in curves.keys] + [4])
    for key in curves.keys:
        y = marked(curves, key)[curves.recorded(key)]
        ok = y[np.isfinite(y)]
        summary = f"{ok[0]:.4g} -> {ok[-1]:.4g}" if len(ok) else "no finite values"
        out.append(f"{key:<{name_w}}  {sparkline(y, width=width, ascii=ascii)}  {summary}")
    return "\n".join(out)


_ORDER = {"train": 0, "eval": 1, "val": 2}


def _spans_decades(series: dict[str, np.ndarray], decades: float = 2.0) -> bool:
    """True when the finite values are all positive and span `decades` powers of ten."""
    values = np.concatenate([a[np.isfinite(a)] for a in series.values()] or [np.zeros(0)])
    if not len(values) or values.min() <= 0:
        return False
    # log10 of each end: the ratio itself overflows for values near 1e308 and 1e-308
    return bool(math.log10(values.max()) - math.log10(values.min()) >= decades)
