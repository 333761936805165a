"""The HTML report: it parses, has its tables, diagnosis and images, escapes text, is offline."""

import base64
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from kerasnp import KerasnpError
from kerasnp.lab import ReportRun, diagnose, render_report, write_report
from kerasnp.lab import plots as lab_plots


class Page(HTMLParser):
    """Collects tags (with attributes), table rows per table class, and the text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.tables, self._table = [], [], {}, None
        self.stack = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table":
            self._table = attrs.get("class", "")
            self.tables.setdefault(self._table, [])
        if tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        if tag in ("td", "th"):
            self.stack.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.stack:
            self.tables[self._table][-1].append(self.stack.pop().strip())
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self.stack:
            self.stack[-1] += data

    @property
    def all_text(self):
        return "".join(self.text)


def test_single_run_report_with_png(mpl, curves, tmp_path):
    h = curves.overfitting(n=30, best=8)
    d = diagnose(h, num_classes=10)
    run = ReportRun(
        "wide net",
        d,
        config={"hidden": [512], "dropout": 0.0},
        command="kerasnp train mnist --subset 1000 --hidden 512",
        test={"accuracy": 0.871, "loss": 0.52},
    )
    path = write_report(tmp_path / "report.html", run)
    page = Page(path.read_text(encoding="utf-8"))
    text = page.all_text
    assert "Verdict: overfitting" in text and d.reason.message in text
    assert all(s in text for s in d.suggestions)
    assert "Training loss used: loss: the running mean" in text
    # the per-epoch table: a header and one row per epoch, the best epoch marked
    rows = page.tables["history"]
    assert len(rows) == 31
    assert rows[0][:3] == ["epoch", "loss", "val_loss"]
    assert rows[8][0] == "8 (best)"
    # the evidence table and the test results
    evidence = dict(page.tables["evidence"][1:])
    assert evidence["best validation epoch"] == "8 of 30"
    assert dict(page.tables["test"])["accuracy"] == "0.871"
    # the embedded PNG decodes
    imgs = [a["src"] for t, a in page.tags if t == "img"]
    assert len(imgs) == 1 and imgs[0].startswith("data:image/png;base64,")
    assert base64.b64decode(imgs[0].split(",", 1)[1]).startswith(b"\x89PNG")
    # reproduce section, thresholds and skipped checks
    assert "kerasnp train mnist --subset 1000 --hidden 512" in text
    assert '"hidden": [' in text
    assert "OVERFIT_MILD_RISE" in text
    assert "no baseline given" in text


def test_report_is_self_contained(curves):
    html = render_report(curves.good_fit(), images="svg")
    page = Page(html)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe")
        for name in ("src", "href"):
            assert not attrs.get(name, "data:").startswith(("http", "//", "file:"))
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_svg_charts_when_matplotlib_is_missing(monkeypatch, curves):
    monkeypatch.setattr(lab_plots, "has_matplotlib", lambda: False)
    html = render_report(diagnose(curves.diverged_nan(), num_classes=10))  # images="auto"
    page = Page(html)
    assert not [t for t, _ in page.tags if t == "img"]
    svgs = [t for t, _ in page.tags if t == "svg"]
    assert len(svgs) == 1  # one panel: loss
    start = html.index("<svg")
    ET.fromstring(html[start : html.index("</svg>", start) + 6])  # well-formed XML
    assert "best epoch" in page.all_text and "Verdict: diverged" in page.all_text


def test_text_charts(curves):
    html = render_report(curves.unstable(), images="text")
    page = Page(html)
    assert any(t == "pre" for t, _ in page.tags)
    assert "○ validation" in page.all_text


def test_comparison_report(mpl, curves):
    runs = [
        ReportRun("baseline", curves.overfitting(), test={"accuracy": 0.86}),
        ReportRun("L2 1e-3", curves.good_fit(), config={"l2": 0.001}),
        ReportRun(
            "too small",
            curves.underfitting(),
            diagnosis=diagnose(curves.underfitting(), num_classes=10),
        ),
    ]
    html = render_report(
        runs,
        title="Regularisation study",
        command="kerasnp compare mnist",
        config={"variants": ["baseline", "l2"]},
    )
    page = Page(html)
    table = page.tables["comparison"]
    assert table[0][:5] == ["run", "verdict", "best epoch", "train loss", "val loss (best)"]
    assert "test accuracy" in table[0]
    assert [row[0] for row in table[1:]] == ["baseline", "L2 1e-3", "too small"]
    assert [row[1] for row in table[1:]] == ["overfitting", "good fit", "underfitting"]
    assert table[1][table[0].index("test accuracy")] == "0.86"
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == 1 + 3  # the overlay, then one figure per run
    assert sum(t == "table" and a.get("class") == "history" for t, a in page.tags) == 3
    assert "kerasnp compare mnist" in page.all_text
    assert page.all_text.count("Verdict:") == 3


def test_comparison_from_a_dict_with_svg(curves):
    html = render_report({"a": curves.overfitting(), "b": curves.good_fit()}, images="svg")
    page = Page(html)
    assert len(page.tables["comparison"]) == 3
    # the overlay (loss and accuracy), then two panels per run
    assert sum(t == "svg" for t, _ in page.tags) == 2 + 2 * 2


def test_all_text_is_escaped(curves):
    evil = "<script>alert('x')</script>"
    run = ReportRun(evil, curves.good_fit(), command=f"echo {evil}", config={"note": evil})
    html = render_report(run, title=evil, images="svg")
    assert "<script>" not in html
    page = Page(html)
    assert not [t for t, _ in page.tags if t == "script"]
    assert evil in page.all_text  # shown, as text


def test_bad_images_argument(curves):
    with pytest.raises(KerasnpError, match="images"):
        render_report(curves.good_fit(), images="jpeg")
