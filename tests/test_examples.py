"""The examples run end to end (on small subsets) and learn something."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_study_group_mlp(capsys):
    history, accuracy = load("study_group_mlp").main(["--epochs", "1", "--subset", "2000",
                                                      "--verbose", "0"])
    assert accuracy > 0.7
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert "test accuracy" in capsys.readouterr().out


def test_study_group_workflow(capsys):
    results = load("study_group_workflow").main(["--subset", "1500", "--epochs", "2"])
    assert set(results) == {"plain", "l2", "dropout"}
    assert all(test_acc > 0.6 for _, test_acc, _ in results.values())
    out = capsys.readouterr().out
    assert "train_test_split: 1200 / 300 (stratified)" in out and "verdict" in out
