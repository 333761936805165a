"""The Unicode rendering: sparklines, charts and the whole run, without matplotlib."""

import re

import numpy as np
import pytest

from kerasnp.lab import chart, diagnose, render_terminal, sparkline
from kerasnp.lab.terminal import BLOCKS, GLYPHS

NAN, INF = float("nan"), float("inf")
ANSI = re.compile(r"\033\[[0-9;]*m")


def test_sparkline_shape_and_levels():
    s = sparkline([3.0, 2.0, 1.0, 0.5, 0.25])
    assert len(s) == 5 and s[0] == "█" and s[-1] == "▁"
    assert sparkline([1.0, 1.0, 1.0]) == "▄▄▄"
    assert sparkline([1.0, NAN, INF, 0.0]) == "█ !▁"
    assert sparkline([]) == ""
    assert sparkline([NAN, NAN]) == "  "
    assert len(sparkline(np.arange(100.0), width=20)) == 20
    assert set(sparkline(np.arange(10.0), ascii=True)) <= set("_.-=+*#@")


def test_chart_dimensions_legend_and_best_epoch():
    train = np.linspace(1.0, 0.1, 10)
    val = np.linspace(1.1, 0.3, 10)
    lines = chart({"train": train, "val": val}, width=40, height=6, best=7, title="loss")
    assert lines[0] == "loss"
    assert "▼ best epoch 8" in lines[1]  # position 7 is epoch 8
    body = [ln for ln in lines if "│" in ln]
    assert len(body) == 6
    assert all(len(ln) == len(body[0]) for ln in body)
    assert body[0].split("│")[0].strip() == "1.1" and body[-1].split("│")[0].strip() == "0.1"
    legend = lines[-1]
    assert "• train (running mean)" in legend and "○ validation" in legend
    joined = "\n".join(lines)
    assert GLYPHS["train"] in joined and GLYPHS["val"] in joined
    assert "epoch 1" in lines[-2] and lines[-2].rstrip().endswith("10")


def test_chart_bins_long_runs_to_the_width():
    lines = chart({"train": np.linspace(2, 0, 500)}, width=30, height=5)
    body = [ln.split("│")[1] for ln in lines if "│" in ln]
    assert all(len(row) == 30 for row in body)


def test_chart_survives_nan_inf_and_one_point():
    lines = chart({"train": [1.0, NAN, INF, 0.5]}, width=20, height=4)
    assert "! NaN/inf" in lines[-1]
    assert "!" in "".join(ln for ln in lines if "│" in ln)
    one = chart({"train": [0.7]}, width=20, height=4)
    assert sum("•" in ln for ln in one if "│" in ln) == 1 and "epoch 1" in one[-2]
    assert chart({"train": [NAN, NAN]}) == ["  (no finite values to plot)"]
    assert chart({"train": []}, title="t") == ["t", "  (no finite values to plot)"]
    log = chart({"train": [1.0, 0.0, -1.0, 0.1]}, log=True, height=4)
    assert any("│" in ln for ln in log)


def test_ascii_and_braille_styles():
    series = {"train": np.linspace(1, 0, 12), "val": np.linspace(1.2, 0.4, 12)}
    text = "\n".join(chart(series, ascii=True, best=3))
    assert all(ord(ch) < 128 for ch in text)
    braille = "\n".join(chart(series, style="braille", color=True))
    assert any(0x2800 < ord(ch) <= 0x28FF for ch in braille)
    assert "\033[" in braille and ANSI.sub("", braille).count("validation") == 1


def test_render_terminal_whole_run(curves):
    h = curves.overfitting()
    h["eval_loss"] = [v * 0.7 for v in h["loss"]]
    d = diagnose(h, num_classes=10)
    text = render_terminal(d, width=50, height=6)
    assert text.splitlines()[1].startswith("Verdict: OVERFITTING: validation loss bottomed")
    assert "\nloss (log scale)\n" in text and "\naccuracy\n" in text  # 0.002..1.2: auto log
    assert "\nloss\n" in render_terminal(d, log=False)
    assert "+ train (inference mode)" in text
    for key in h:
        assert any(line.startswith(key + " ") for line in text.splitlines())
    plain = render_terminal(h, ascii=True)
    assert "Verdict" not in plain and all(ord(ch) < 128 for ch in plain)


def test_render_terminal_marks_recorded_nan(curves):
    text = render_terminal(curves.diverged_nan(n=6, at=3))
    assert "! NaN/inf" in text
    loss_line = next(ln for ln in text.splitlines() if ln.startswith("loss "))
    assert "!!!" in loss_line


@pytest.mark.parametrize("n", [1, 2, 7, 61, 200])
def test_any_length_renders(n):
    h = {"loss": list(np.linspace(1, 0.1, n)), "val_loss": list(np.linspace(1.2, 0.2, n))}
    text = render_terminal(h, width=60)
    assert "validation" in text
    assert max(len(ln) for ln in text.splitlines() if "│" in ln) <= 10 + 60
    assert set(BLOCKS) & set(text)
