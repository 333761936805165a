"""ModelCheckpoint: file names, best-only, weights-only, batch frequency, messages."""

import os
import signal
import sys

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError
from kerasnp.callbacks import Callback, ModelCheckpoint


def files(directory):
    return sorted(os.listdir(directory))


def test_filepath_formatting(helpers, make_model, fit, tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    fit(make_model(), [helpers.Inject(), ModelCheckpoint(pattern)], epochs=3)
    assert files(tmp_path) == ["ckpt-01-1.00.keras", "ckpt-02-0.90.keras", "ckpt-03-0.95.keras"]


def test_every_epoch_overwrites_a_fixed_path_with_messages(make_model, fit, tmp_path, capsys):
    path = str(tmp_path / "model.keras")
    record = RecordLast()
    fit(make_model(), [ModelCheckpoint(path, verbose=1), record], epochs=2)
    assert files(tmp_path) == ["model.keras"]
    out = capsys.readouterr().out
    assert out == (
        f"\nEpoch 1: saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        f"\nEpoch 2: saving model to {path}\n"
        f"\nEpoch 2: finished saving model to {path}\n"
    )
    loaded = kerasnp.models.load_model(path)
    assert all(
        np.array_equal(a, b) for a, b in zip(loaded.get_weights(), record.weights, strict=True)
    )


class RecordLast(Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.weights = self.model.get_weights()


def test_save_best_only_keeps_the_best_epoch(helpers, make_model, fit, tmp_path, capsys):
    path = str(tmp_path / "best.keras")
    record = helpers.RecordWeights()
    fit(
        make_model(),
        [helpers.Inject(), ModelCheckpoint(path, save_best_only=True, verbose=1), record],
        epochs=6,
    )
    loaded = kerasnp.models.load_model(path)
    assert helpers.epoch_of(loaded.get_weights(), record.weights) == 4
    out = capsys.readouterr().out.split("\n\n")
    assert out[0] == f"\nEpoch 1: val_loss improved from None to 1.00000, saving model to {path}"
    assert out[1] == f"Epoch 1: finished saving model to {path}"
    assert out[2] == f"Epoch 2: val_loss improved from 1.00000 to 0.90000, saving model to {path}"
    assert out[4] == "Epoch 3: val_loss did not improve from 0.90000"
    assert out[5] == "Epoch 4: val_loss did not improve from 0.90000"
    assert out[6].startswith("Epoch 5: val_loss improved from 0.90000 to 0.85000")


def test_mode_max_and_initial_value_threshold(helpers, make_model, fit, tmp_path):
    pattern = str(tmp_path / "e{epoch}.keras")
    acc = [0.5, 0.6, 0.55, 0.7, 0.7, 0.65]
    cb = ModelCheckpoint(
        pattern,
        monitor="val_accuracy",
        save_best_only=True,
        mode="max",
        initial_value_threshold=0.55,
    )
    fit(make_model(), [helpers.Inject("val_accuracy", acc), cb], epochs=6)
    assert files(tmp_path) == ["e2.keras", "e4.keras"]
    assert cb.best == 0.7


def test_auto_mode_maximises_accuracy(helpers, make_model, fit, tmp_path):
    pattern = str(tmp_path / "e{epoch}.keras")
    acc = [0.5, 0.4, 0.6]
    fit(
        make_model(),
        [
            helpers.Inject("val_accuracy", acc),
            ModelCheckpoint(pattern, monitor="val_accuracy", save_best_only=True),
        ],
        epochs=3,
    )
    assert files(tmp_path) == ["e1.keras", "e3.keras"]


def test_missing_monitor_warns_and_saves(make_model, fit, tmp_path):
    path = str(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        fit(
            make_model(),
            [ModelCheckpoint(path, save_best_only=True)],
            epochs=1,
            validation_split=0.0,
        )
    assert os.path.exists(path)


@pytest.mark.parametrize("suffix", [".weights.npz", ".weights.h5"])
def test_save_weights_only(make_model, fit, tmp_path, suffix):
    if suffix.endswith(".h5"):
        pytest.importorskip("h5py")
    path = str(tmp_path / f"w{suffix}")
    model = make_model()
    fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=2)
    other = make_model(seed=5)
    other.load_weights(path)
    assert all(
        np.array_equal(a, b) for a, b in zip(other.get_weights(), model.get_weights(), strict=True)
    )


def test_save_freq_in_batches(make_model, fit, tmp_path):
    pattern = str(tmp_path / "e{epoch}-b{batch}.keras")
    fit(make_model(), [ModelCheckpoint(pattern, save_freq=2)], epochs=2)  # 3 batches/epoch
    assert files(tmp_path) == ["e1-b2.keras", "e2-b1.keras", "e2-b3.keras"]


def test_directories_are_created_and_no_temporary_files_remain(make_model, fit, tmp_path):
    pattern = str(tmp_path / "run" / "{epoch}" / "m.keras")
    fit(make_model(), [ModelCheckpoint(pattern)], epochs=2)
    assert files(tmp_path / "run") == ["1", "2"]
    assert files(tmp_path / "run" / "2") == ["m.keras"]


def test_an_existing_directory_is_refused(make_model, fit, tmp_path):
    (tmp_path / "m.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="non-directory filepath"):
        fit(make_model(), [ModelCheckpoint(str(tmp_path / "m.keras"))], epochs=1)


def test_unknown_format_field_names_the_available_ones(make_model, fit, tmp_path):
    with pytest.raises(
        KerasnpError,
        match=r"Failed to format this callback filepath.*"
        r"Available fields: accuracy, epoch, loss",
    ):
        fit(make_model(), [ModelCheckpoint(str(tmp_path / "{val_los}.keras"))], epochs=1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filepath": "m.h5"}, "must end in `.keras`"),
        ({"filepath": "m.weights.npz"}, "must end in `.keras`"),
        ({"filepath": "m.keras", "save_weights_only": True}, "must end in `.weights.npz`"),
        ({"filepath": "m.keras", "save_freq": "batch"}, "Unrecognized save_freq: batch"),
        ({"filepath": "m.keras", "save_freq": 0}, "save_freq"),
        ({"filepath": "m.keras", "mode": "best"}, "mode"),
        ({"filepath": "m.keras", "initial_value_threshold": "x"}, "initial_value_threshold"),
        ({"filepath": None}, "filepath"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(KerasnpError, match=match):
        ModelCheckpoint(**kwargs)


def test_weights_h5_without_h5py_is_refused_up_front(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(KerasnpError, match="needs the optional package h5py"):
        ModelCheckpoint("w.weights.h5", save_weights_only=True)


def test_checkpoint_is_complete_when_ctrl_c_arrives_during_the_save(
    make_model, fit, tmp_path, monkeypatch
):
    """Ctrl-C during a save: the save finishes, fit stops after the next batch."""
    from kerasnp.saving import file_format

    calls = []

    def interrupted(original):  # the weights writer (h5, or npz without h5py)
        def write(f, store, *names):
            calls.append(1)
            if len(calls) == 1:
                os.kill(os.getpid(), signal.SIGINT)
            original(f, store, *names)

        return write

    monkeypatch.setattr(file_format, "write_npz", interrupted(file_format.write_npz))
    monkeypatch.setattr(file_format, "write_h5", interrupted(file_format.write_h5))
    path = str(tmp_path / "m.keras")
    model = make_model()
    history = fit(model, [ModelCheckpoint(path)], epochs=5)
    assert history.epoch == [0]  # the interrupt stopped epoch 2 after its first batch
    assert files(tmp_path) == ["m.keras"]
    loaded = kerasnp.models.load_model(path)
    assert loaded.optimizer.iterations == 3  # the state at the end of epoch 1


def test_best_only_by_batch_before_the_first_epoch_end(make_model, fit, tmp_path):
    # Keras 3.15 raises TypeError here (its comparison is chosen at the first epoch end)
    path = str(tmp_path / "m.keras")
    cb = ModelCheckpoint(path, monitor="loss", save_best_only=True, save_freq=1)
    fit(make_model(), [cb], epochs=1)
    assert os.path.exists(path) and cb.best is not None
