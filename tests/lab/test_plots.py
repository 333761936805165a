"""PNG learning curves with matplotlib (skipped without it, unless CI is set)."""

import sys

import pytest

from kerasnp.lab import diagnose, figure_png, has_matplotlib, plot_comparison, plot_history

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_history_writes_a_png_with_verdict_and_best_epoch(mpl, curves, tmp_path):
    h = curves.overfitting()
    h["learning_rate"] = [0.001] * 15 + [0.0005] * 15
    d = diagnose(h, num_classes=10, baseline={"val_loss": 0.5, "val_accuracy": 0.85})
    path = tmp_path / "curves.png"
    fig = plot_history(d, path, title="wide net")
    assert path.read_bytes().startswith(PNG_MAGIC) and path.stat().st_size > 5000
    assert fig._suptitle.get_text() == "wide net: overfitting"
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["loss", "accuracy", "learning_rate"]
    loss_ax = fig.axes[0]
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert "best epoch 8" in labels and "validation" in labels
    assert any(lab.startswith("chance ln K") for lab in labels)
    assert "linear baseline (val)" in labels
    assert figure_png(fig).startswith(PNG_MAGIC)


def test_plot_history_handles_nan_and_one_epoch(mpl, curves, tmp_path):
    plot_history(curves.diverged_nan(), tmp_path / "nan.png")
    plot_history({"loss": [1.0]}, tmp_path / "one.png")
    assert (tmp_path / "nan.png").read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / "one.png").read_bytes().startswith(PNG_MAGIC)


def test_plot_comparison_overlays_runs_with_their_verdicts(mpl, curves, tmp_path):
    runs = {
        "baseline": diagnose(curves.overfitting()),
        "dropout": diagnose(curves.good_fit()),
        "raw": curves.still_improving(),
    }
    path = tmp_path / "compare.png"
    fig = plot_comparison(runs, path, title="regularisation study")
    assert path.read_bytes().startswith(PNG_MAGIC)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["baseline (overfitting)", "dropout (good fit)", "raw"]
    assert len(fig.axes) == 1  # "raw" logs no accuracy, so no shared metric panel
    fig2 = plot_comparison({k: runs[k] for k in ("baseline", "dropout")})
    assert [ax.get_title().split()[0] for ax in fig2.axes] == ["loss", "accuracy"]


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch, curves):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert has_matplotlib() is False
    with pytest.raises(ImportError, match=r"kerasnp\[lab\]"):
        plot_history(curves.good_fit())
