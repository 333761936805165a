"""The `kerasnp` command line through `main(argv)`: every subcommand on tiny data, seconds each."""

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import kerasnp
from kerasnp.lab.cli import main
from kerasnp.lab.run_folder import LAB_MEMBER


def words(text):
    """Command-line words: ``words("--epochs 5")`` -> ``["--epochs", "5"]``."""
    return text.split()


TINY = words("--subset 300 --hidden 16 --epochs 5 --test-size 200 --quiet")


class Page(HTMLParser):
    """The tags, classes and images of a report page (and a check that it parses)."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.classes, self.images, self.table_rows = [], set(), [], {}
        self._table = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.classes.update((attrs.get("class") or "").split())
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "svg":
            self.images.append("svg")
        if tag == "table":
            self._table = attrs.get("class")
            self.table_rows.setdefault(self._table, 0)
        if tag == "tr" and self._table:
            self.table_rows[self._table] += 1


def page(path):
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    return Page(text)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    _, err = capsys.readouterr()
    assert exc.value.code == 2
    return err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny MNIST run folder, shared by the predict tests."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "mnist", *TINY, "--out", str(out), "--no-plots"]) == 0
    return out


# -- help and errors -----------------------------------------------------------------------


def test_python_m_kerasnp_help():
    res = subprocess.run(
        [sys.executable, "-m", "kerasnp", "--help"], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("usage: kerasnp")
    for command in ("train", "compare", "diagnose", "predict", "lab"):
        assert command in res.stdout


def test_no_command_prints_help(capsys):
    code, out, _ = run([], capsys)
    assert code == 0 and "usage: kerasnp" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert kerasnp.__version__ in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--dropout", "1.5"], "--dropout: expected a value in [0, 1), got 1.5"),
        (["train", "--epochs", "0"], "--epochs: expected a value >= 1, got 0"),
        (["train", "--hidden", "128,x"], "--hidden: hidden layers must be positive integers"),
        (["train", "--optimizer", "adamm"], "unknown optimizer 'adamm'"),
        (["train", "--learning-rate", "-1"], "--learning-rate/--lr: expected a value > 0"),
        (["train", "--batch-size", "ten"], "--batch-size: expected an integer >= 1, got 'ten'"),
        (["train", "no_such_data"], "Unknown dataset 'no_such_data'"),
        (["train", "missing.npz"], "Dataset file not found: 'missing.npz'"),
        (["compare", "--variants", "l2=1e-3;drop=0.3"], "unknown setting 'drop'"),
        (["compare", "--variants", "l2"], "expected settings like l2=1e-3"),
        (["diagnose", "nope.csv"], "no history file at 'nope.csv'"),
        (["diagnose", "x.csv", "--num-classes", "1"], "--num-classes: expected a value >= 2"),
        (["predict", "nope.keras", "a.npy"], "model not found: 'nope.keras'"),
        (["predict", "model.keras"], "the following arguments are required: INPUT"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["lab", "--subset", "-3"], "--subset: expected a value >= 1"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.csv").write_text("epoch,loss\n0,1.0\n")
    err = usage_error(argv, capsys)
    assert message in err
    assert err.startswith("usage: kerasnp")


def test_a_subset_too_small_to_split_is_a_usage_error(capsys, tmp_path):
    err = usage_error(["train", "--subset", "3", "--out", str(tmp_path), "--quiet"], capsys)
    assert "leaves 0 for validation" in err


# -- train -----------------------------------------------------------------------------------


def test_train_writes_a_complete_run_folder(tmp_path, capsys):
    code, out, err = run(["train", "mnist", *TINY, "--out", str(tmp_path)], capsys)
    assert code == 0
    for name in (
        "model.keras",
        "history.csv",
        "history.json",
        "diagnosis.json",
        "curves.png",
        "config.json",
        "preprocessing.json",
        "report.html",
    ):
        assert (tmp_path / name).is_file(), name
    assert "Verdict:" in out and "Training loss used: eval_loss" in out
    assert "Linear baseline" not in out  # progress and notes go to stderr ...
    assert err == ""  # ... and --quiet silences them
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["preprocessing"]["scale"] == "255"
    assert config["preprocessing"]["image_shape"] == [28, 28]
    assert config["data"]["train_samples"] == 240 and config["data"]["validation_samples"] == 60
    assert config["command"].startswith("kerasnp train mnist --subset 300")
    assert config["baseline"]["accuracy"] > 0.5
    assert set(config["final"]) == {"train", "val", "test"}
    header = (tmp_path / "history.csv").read_text().splitlines()[0].split(",")
    assert {"eval_loss", "eval_accuracy", "val_loss", "loss"} <= set(header)
    params = json.loads((tmp_path / "history.json").read_text())["params"]
    assert params["num_classes"] == 10 and params["initial_loss"] > 1.5
    diag = json.loads((tmp_path / "diagnosis.json").read_text())
    assert diag["verdict"] in out
    assert "baseline_loss" in diag["evidence"]  # judged against the linear baseline
    html = page(tmp_path / "report.html")
    assert "history" in html.classes and "evidence" in html.classes
    assert any(src.startswith("data:image/png;base64,") for src in html.images)
    with __import__("zipfile").ZipFile(tmp_path / "model.keras") as zf:
        assert LAB_MEMBER in zf.namelist()
    loaded = kerasnp.saving.load_model(str(tmp_path / "model.keras"))
    assert loaded.output_shape == (None, 10)


def test_train_shows_progress_on_stderr(tmp_path, capsys):
    argv = words("train mnist --subset 200 --hidden 8 --epochs 2 --test-size 50 --no-plots")
    code, out, err = run([*argv, "--out", str(tmp_path)], capsys)
    assert code == 0
    assert "Data: mnist: 160 training, 40 validation, 50 test samples" in err
    assert "Linear baseline (softmax regression): training loss" in err
    assert "2/2" in err and "━" in err  # one bar per run, one step per epoch
    assert "too few epochs" in out


def test_try_fix_retrains_with_the_top_suggestion(tmp_path, capsys):
    code, out, _ = run(
        ["train", "mnist", *TINY, "--out", str(tmp_path), "--try-fix", "--no-plots"], capsys
    )
    assert code == 0
    assert "--try-fix: retraining with the top suggestion applied" in out
    assert "fix: " in out
    assert (tmp_path / "fix" / "model.keras").is_file()
    fix_config = json.loads((tmp_path / "fix" / "config.json").read_text())
    assert fix_config["suggestion"]["changes"]
    assert fix_config["run"]["seed"] == 0
    run_rows = [line for line in out.splitlines() if line.startswith(("run ", "fix: "))]
    assert len(run_rows) >= 2  # the side-by-side table
    html = page(tmp_path / "report.html")
    assert html.table_rows.get("comparison") == 3  # header + the two runs
    assert "run" in html.classes and "svg" in html.images


def test_train_on_npz_and_csv_files(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.arange(120) % 3
    x = (rng.integers(0, 60, size=(120, 6, 6)) + 60 * y[:, None, None]).astype(np.uint8)
    np.savez(
        tmp_path / "blobs.npz", x_train=x[:100], y_train=y[:100], x_test=x[100:], y_test=y[100:]
    )
    small = words("--hidden 8 --epochs 5 --quiet --no-plots --out")
    npz = ["train", str(tmp_path / "blobs.npz"), "--no-baseline", *small, str(tmp_path / "npz")]
    code, out, _ = run(npz, capsys)
    assert code == 0
    config = json.loads((tmp_path / "npz" / "config.json").read_text())
    assert config["preprocessing"]["image_shape"] == [6, 6]
    assert config["preprocessing"]["num_classes"] == 3
    assert config["data"]["test_samples"] == 20
    assert config["baseline"] is None  # --no-baseline
    # a CSV with a named label column (not first) and class names as labels
    names = np.array(["cat", "dog", "emu"])[y]
    rows = ["f1,f2,label,f3"] + [
        f"{a:.3f},{b:.3f},{n},{c:.3f}"
        for (a, b, c), n in zip(rng.normal(size=(120, 3)) + y[:, None], names, strict=True)
    ]
    (tmp_path / "animals.csv").write_text("\n".join(rows) + "\n")
    code, out, _ = run(
        ["train", str(tmp_path / "animals.csv"), *small, str(tmp_path / "csv")], capsys
    )
    assert code == 0
    pre = json.loads((tmp_path / "csv" / "preprocessing.json").read_text())
    assert pre["class_names"] == ["cat", "dog", "emu"]
    assert pre["input_dim"] == 3 and pre["scale"] == "standardize"
    assert pre["image_shape"] is None


# -- compare ---------------------------------------------------------------------------------


def test_compare_prints_a_table_and_writes_one_report(tmp_path, capsys):
    variants = "base;l2=1e-3;drop:dropout=0.3"
    code, out, _ = run(
        ["compare", "mnist", *TINY, "--variants", variants, "--out", str(tmp_path)], capsys
    )
    assert code == 0
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert lines[head].split() == words(
        "run train acc val acc test acc gap best epoch epochs verdict"
    )
    assert [line.split()[0] for line in lines[head + 2 : head + 5]] == ["base", "l2=1e-3", "drop"]
    assert (tmp_path / "comparison.png").is_file()
    assert (tmp_path / "table.txt").read_text().startswith("run ")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [s["config"]["l2"] for s in summary] == [0.0, 0.001, 0.0]
    assert [s["config"]["dropout"] for s in summary] == [0.0, 0.0, 0.3]
    assert len({s["config"]["seed"] for s in summary}) == 1
    folders = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert folders == ["01-base", "02-l2=1e-3", "03-drop"]
    html = page(tmp_path / "report.html")
    assert html.table_rows["comparison"] == 4
    assert sum(src.startswith("data:image/png") for src in html.images) >= 4  # overlay + runs


# -- diagnose --------------------------------------------------------------------------------


def test_diagnose_a_keras_csv(tmp_path, capsys, curves):
    h = curves.overfitting()
    keys = sorted(h)
    lines = ["epoch," + ",".join(keys)] + [
        f"{i}," + ",".join(repr(h[k][i]) for k in keys) for i in range(len(h["loss"]))
    ]
    log = tmp_path / "training.log"
    log.write_text("\r\n".join(lines) + "\r\n")
    report = tmp_path / "r.html"
    code, out, err = run(
        ["diagnose", str(log), "--num-classes", "10", "--report", str(report)], capsys
    )
    assert code == 0
    assert "Verdict: OVERFITTING" in out and "loss (log scale)" in out
    assert f"Report: {report}" in err
    assert "history" in page(report).classes
    code, out, _ = run(["diagnose", str(log), "--json"], capsys)
    assert json.loads(out)["verdict"] == "overfitting"


def test_diagnose_a_run_folder_uses_its_params(trained, capsys):
    code, out, _ = run(["diagnose", str(trained), "--no-chart", "--ascii"], capsys)
    assert code == 0
    assert out.startswith("Verdict:")
    assert "chance loss ln K" in out  # num_classes came from history.json's params
    assert "baseline training loss" in out  # the baseline from config.json


def test_diagnose_an_unreadable_file(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("epoch,loss\n0,abc\n1,0.5\n")
    err = usage_error(["diagnose", str(bad)], capsys)
    assert "column 'loss' holds 'abc'" in err


# -- predict ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    (_, _), (x, y) = kerasnp.datasets.mnist.load_data()
    return x[:4], y[:4]


def test_predict_npy_and_png(trained, digits, tmp_path, capsys):
    pil = pytest.importorskip("PIL.Image")
    x, y = digits
    np.save(tmp_path / "one.npy", x[0])
    np.save(tmp_path / "flat.npy", x[1:3].reshape(2, 784))
    pil.fromarray(x[3]).save(tmp_path / "digit.png")
    pil.fromarray(255 - x[3]).save(tmp_path / "paper.png")  # dark digit on white paper
    pil.fromarray(x[3]).convert("RGB").save(tmp_path / "rgb.png")
    inputs = [
        str(tmp_path / n) for n in ("one.npy", "flat.npy", "digit.png", "paper.png", "rgb.png")
    ]
    code, out, _ = run(["predict", str(trained / "model.keras"), *inputs, "--json"], capsys)
    assert code == 0
    res = json.loads(out)
    assert [r["input"] for r in res] == [
        "one.npy",
        "flat.npy[0]",
        "flat.npy[1]",
        "digit.png",
        "paper.png",
        "rgb.png",
    ]
    for r in res:
        probs = [t["probability"] for t in r["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-6
        assert r["top"][0]["class"] == r["class"] and r["probability"] == probs[0]
    # the same digit as PNG, inverted PNG, RGB PNG and array: the same probabilities
    model = kerasnp.saving.load_model(str(trained / "model.keras"))
    expected = model.predict(x[3:4].reshape(1, 784).astype("float32") / 255, verbose=0)[0]
    for r in res[3:]:
        assert r["probability"] == pytest.approx(float(expected.max()), abs=1e-5)
    assert "inverted" in res[4]["notes"][0]
    code, out, _ = run(["predict", str(trained), str(tmp_path / "one.npy")], capsys)
    assert code == 0 and out.startswith("one.npy  ->  ") and "top:" in out


def test_predict_png_without_an_image_reader_says_what_to_install(
    trained, tmp_path, capsys, monkeypatch
):
    (tmp_path / "d.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setitem(sys.modules, "PIL", None)  # "import PIL" now fails
    err = usage_error(["predict", str(trained), str(tmp_path / "d.png")], capsys)
    assert "reading .png files needs Pillow: pip install pillow" in err and ".npy" in err


def test_predict_explains_wrong_inputs(trained, tmp_path, capsys):
    pil = pytest.importorskip("PIL.Image")
    pil.fromarray(np.zeros((32, 30), dtype=np.uint8)).save(tmp_path / "big.png")
    np.save(tmp_path / "odd.npy", np.zeros((5, 27, 27)))
    (tmp_path / "notes.txt").write_text("hello")
    err = usage_error(["predict", str(trained), str(tmp_path / "big.png")], capsys)
    assert "big.png is 30x32 pixels, but the model was trained on 28x28 images" in err
    err = usage_error(["predict", str(trained), str(tmp_path / "odd.npy")], capsys)
    assert "odd.npy has shape (5, 27, 27)" in err and "(n, 28, 28)" in err
    err = usage_error(["predict", str(trained), str(tmp_path / "notes.txt")], capsys)
    assert "unsupported input" in err


def test_predict_warns_about_prescaled_arrays(trained, digits, tmp_path, capsys):
    x, _ = digits
    np.save(tmp_path / "scaled.npy", x[0] / 255.0)
    code, out, _ = run(["predict", str(trained), str(tmp_path / "scaled.npy")], capsys)
    assert code == 0 and "--prescaled" in out
    code, out2, _ = run(
        ["predict", str(trained), str(tmp_path / "scaled.npy"), "--prescaled", "--json"], capsys
    )
    assert json.loads(out2)[0]["notes"] == []


def test_predict_needs_the_preprocessing_record(tmp_path, capsys):
    model = kerasnp.Sequential([kerasnp.Input(shape=(4,)), kerasnp.layers.Dense(2)])
    model.save(str(tmp_path / "plain.keras"))
    np.save(tmp_path / "x.npy", np.zeros(4))
    err = usage_error(["predict", str(tmp_path / "plain.keras"), str(tmp_path / "x.npy")], capsys)
    assert "carries no preprocessing record" in err


# -- lab -------------------------------------------------------------------------------------


def test_lab_runs_the_guided_study(tmp_path, capsys):
    argv = words("lab --subset 300 --epochs 6 --quiet --no-plots --out")
    code, out, err = run([*argv, str(tmp_path)], capsys)
    assert code == 0
    for step in (
        "1. The reference",
        "2. A wide network",
        "4. The classic cures",
        "5. The opposite problem",
    ):
        assert step in out
    assert "linear baseline" in out and "EarlyStopping(" in out
    assert f"Open the report: {tmp_path / 'report.html'}" in out
    html = page(tmp_path / "report.html")
    assert html.table_rows["comparison"] >= 7  # header, baseline, overfit and its variants
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary[0]["name"] == "linear baseline"
    assert {s["config"]["seed"] for s in summary} == {0}
    assert all(
        (tmp_path / d / "model.keras").is_file()
        for d in [p.name for p in tmp_path.iterdir() if p.is_dir()]
    )
