"""Learning curves as inline SVG, drawn by hand, for reports written without matplotlib.

Plain SVG 1.1 text (no scripts, no external references), so a report stays
one offline file. Every label is XML-escaped.

Example:
    >>> svg = line_chart({"train": ([1, 2, 3], [1.0, 0.5, 0.4])}, title="loss")
    >>> svg.startswith("<svg") and "loss" in svg
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from .curves import groups, higher_is_better, marked
from .history_io import curves_of

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
ROLE_LOOK = {
    "train": ("#1f77b4", "", "train (running mean)"),
    "eval": ("#1f77b4", "5,3", "train (inference mode)"),
    "val": ("#ff7f0e", "", "validation"),
}


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering ``[lo, hi]``.

    >>> nice_ticks(0.03, 0.92)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    if not math.isfinite(hi - lo):
        return [lo, hi]
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = float(np.floor(lo / step)) * step
    ticks, t = [], start
    while t <= hi + step * 0.5 and len(ticks) < 50:
        ticks.append(round(t, 12))
        t += step
    return ticks


def line_chart(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str = "",
    styles: Mapping[str, tuple[str, str]] | None = None,
    best: float | None = None,
    hlines: Sequence[tuple[float, str]] = (),
    width: int = 460,
    height: int = 270,
) -> str:
    """An SVG chart of named ``(x, y)`` curves; NaN/inf break the line.

    Args:
        series: label -> (x values, y values).
        title: text above the plot.
        styles: label -> (colour, stroke-dasharray); defaults cycle a palette.
        best: an x value to mark with a dotted vertical line ("best epoch").
        hlines: reference lines ``(y, label)`` (chance level, baselines).
        width, height: size in pixels.
    """
    left, right, top, bottom = 52, 12, 28, 36
    legend_h = 14 * (len(series) + len(hlines) + (best is not None))
    plot_w, plot_h = width - left - right, height - top - bottom
    total_h = height + legend_h + 6
    xs = [np.asarray(x, dtype=float) for x, _ in series.values()]
    ys = [np.array(y, dtype=float) for _, y in series.values()]
    for y in ys:  # values too large to scale are drawn as off-chart marks, like inf
        y[np.isfinite(y) & (np.abs(np.nan_to_num(y)) > 1e300)] = np.inf
    fin = np.concatenate(
        [y[np.isfinite(y)] for y in ys] + [np.array([v for v, _ in hlines], dtype=float)]
    )
    xall = np.concatenate(xs) if xs else np.zeros(0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
        f'viewBox="0 0 {width} {total_h}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{total_h}" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="16" text-anchor="middle" font-size="13" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    if not len(fin) or not len(xall):
        out.append(
            f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle">'
            "no finite values</text></svg>"
        )
        return "".join(out)
    lo, hi = float(fin.min()), float(fin.max())
    if not hi > lo:  # a flat curve: pad around it (by 0.5 for values near zero)
        pad = 0.5 * abs(lo) if abs(lo) > 1e-300 else 0.5
        lo, hi = lo - pad, hi + pad
    yt = nice_ticks(lo, hi)
    lo, hi = min(lo, yt[0]), max(hi, yt[-1])
    x0, x1 = float(np.nanmin(xall)), float(np.nanmax(xall))
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return top + (hi - y) / (hi - lo) * plot_h

    out.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>'
    )
    for t in yt:
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
            'stroke="#eee"/>'
            f'<text x="{left - 4}" y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>'
        )
    for t in nice_ticks(x0, x1, 6):
        if x0 <= t <= x1:
            out.append(
                f'<text x="{px(t):.1f}" y="{top + plot_h + 14}" text-anchor="middle">{t:g}</text>'
            )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 28}" '
        'text-anchor="middle">epoch</text>'
    )
    looks = {}
    for i, label in enumerate(series):
        looks[label] = (styles or {}).get(label, (PALETTE[i % len(PALETTE)], ""))
    for y_ref, _ in hlines:
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(y_ref):.1f}" '
            f'y2="{py(y_ref):.1f}" stroke="#888" stroke-dasharray="6,3,2,3"/>'
        )
    if best is not None:
        out.append(
            f'<line x1="{px(best):.1f}" x2="{px(best):.1f}" y1="{top}" '
            f'y2="{top + plot_h}" stroke="#444" stroke-dasharray="2,3"/>'
        )
    for label, xa, ya in zip(series, xs, ys, strict=True):
        color, dash = looks[label]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for run in _finite_runs(xa, ya):
            pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in run)
            if len(run) == 1:
                a, b = run[0]
                out.append(f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="2.5" fill="{color}"/>')
            else:
                out.append(
                    f'<polyline points="{pts}" fill="none" stroke="{color}" '
                    f'stroke-width="1.6"{dash_attr}/>'
                )
        for a in xa[np.isinf(ya)]:
            out.append(
                f'<text x="{px(a):.1f}" y="{top + 10}" text-anchor="middle" fill="#b2182b">!</text>'
            )
    ly = height + 4
    entries = [(looks[lab][0], looks[lab][1], lab) for lab in series]
    entries += [("#888", "6,3,2,3", lab) for _, lab in hlines]
    if best is not None:
        entries.append(("#444", "2,3", f"best epoch {best:g}"))
    for color, dash, label in entries:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{left}" x2="{left + 22}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="2"{dash_attr}/>'
            f'<text x="{left + 28}" y="{ly}">{escape(label)}</text>'
        )
        ly += 14
    out.append("</svg>")
    return "".join(out)


def _finite_runs(x: np.ndarray, y: np.ndarray) -> list[list[tuple[float, float]]]:
    runs, cur = [], []
    for a, b in zip(x, y, strict=True):
        if math.isfinite(a) and math.isfinite(b):
            cur.append((float(a), float(b)))
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def history_charts(history: Any, diagnosis: Any = None) -> list[str]:
    """One SVG chart per loss/metric of a run, with the best epoch and reference lines."""
    curves, diagnosis = curves_of(history, diagnosis)
    ev = diagnosis.evidence if diagnosis is not None else {}
    best = ev.get("best_val_epoch")
    x = curves.epochs + 1.0
    out = []
    for base, roles in groups(curves).items():
        series, styles = {}, {}
        for role in ("train", "eval", "val"):
            if role in roles:
                rec = curves.recorded(roles[role])
                y = marked(curves, roles[role])  # a recorded NaN is marked, not skipped
                color, dash, label = ROLE_LOOK[role]
                series[label] = (x[rec], y[rec])
                styles[label] = (color, dash)
        hlines = []
        if base == "loss" and ev.get("chance_loss"):
            hlines.append((ev["chance_loss"], f"chance ln K = {ev['chance_loss']:.3g}"))
        if base == ev.get("metric") and higher_is_better(base) and ev.get("chance_accuracy"):
            hlines.append((ev["chance_accuracy"], "chance 1/K"))
        out.append(line_chart(series, title=base, styles=styles, hlines=hlines, best=best))
    return out


def comparison_charts(runs: Mapping[str, Any], metric: str | None = None) -> list[str]:
    """Overlay charts of several runs' validation curves (loss, then `metric` if given)."""
    loaded = {name: curves_of(h) for name, h in runs.items()}
    out = []
    for base in ["loss"] + ([metric] if metric else []):
        series = {}
        for name, (curves, diag) in loaded.items():
            key = groups(curves).get(base, {}).get("val")
            if key:
                rec = curves.recorded(key)
                label = f"{name} ({diag.verdict.replace('_', ' ')})" if diag is not None else name
                series[label] = ((curves.epochs + 1.0)[rec], curves[key][rec])
        if series:
            out.append(line_chart(series, title=f"validation {base}", width=560))
    return out
