"""BackupAndRestore: a fit that crashed or was stopped resumes where it was."""

import json
import os
import signal

import numpy as np
import pytest

import kerasnp
from kerasnp.callbacks import BackupAndRestore, Callback


class CrashAt(Callback):
    """Raise at the start of epoch `epoch` (a crash mid-training)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("crash")


def _same(first, second):
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_crashed_fit_resumes_at_the_first_epoch_not_done(make_model, data, tmp_path):
    x, y = data
    backup = str(tmp_path / "backup")
    whole = make_model().fit(x, y, epochs=10, shuffle=False, verbose=0)

    model = make_model()
    with pytest.raises(RuntimeError, match="crash"):
        model.fit(x, y, epochs=10, shuffle=False, verbose=0,
                  callbacks=[BackupAndRestore(backup), CrashAt(4)])
    with open(os.path.join(backup, "training_metadata.json"), encoding="utf-8") as f:
        assert json.load(f) == {"epoch": 4, "batch": 0}

    # a new process: a new model of the same shape, the same callback folder
    resumed = make_model(seed=1)
    history = resumed.fit(x, y, epochs=10, shuffle=False, verbose=0,
                          callbacks=[BackupAndRestore(backup)])
    assert history.epoch == [4, 5, 6, 7, 8, 9]  # as in Keras's own example: 6 more epochs
    # weights and Adam's state came back: the same numbers as the uninterrupted run
    np.testing.assert_array_equal(history.history["loss"], whole.history["loss"][4:])
    assert resumed.optimizer.iterations == 10 * 1  # one batch of 24 per epoch
    assert not os.path.exists(backup)  # a completed fit deletes its backup


def test_a_later_fit_starts_at_its_own_initial_epoch(make_model, data, tmp_path):
    x, y = data
    backup = str(tmp_path / "backup")
    model = make_model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=5, verbose=0, callbacks=[BackupAndRestore(backup), CrashAt(3)])
    assert model.fit(x, y, epochs=5, verbose=0,
                     callbacks=[BackupAndRestore(backup)]).epoch == [3, 4]
    # Keras would start this one at epoch 3 too (a stale start); kerasnp does not
    assert model.fit(x, y, epochs=2, verbose=0).epoch == [0, 1]


def test_nothing_to_restore_trains_from_the_start(make_model, data, tmp_path):
    x, y = data
    backup = tmp_path / "backup"
    history = make_model().fit(x, y, epochs=3, verbose=0,
                               callbacks=[BackupAndRestore(backup, delete_checkpoint=False)])
    assert history.epoch == [0, 1, 2]
    assert sorted(os.listdir(backup)) == ["latest.weights.npz", "training_metadata.json"]
    # kept: a fit asking for more epochs continues after the 3 done
    assert make_model().fit(x, y, epochs=5, verbose=0,
                            callbacks=[BackupAndRestore(backup)]).epoch == [3, 4]


def test_ctrl_c_keeps_the_backup(make_model, data, tmp_path):
    x, y = data
    backup = str(tmp_path / "backup")

    class CtrlC(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    model = make_model()
    history = model.fit(x, y, epochs=6, verbose=0,
                        callbacks=[BackupAndRestore(backup), CtrlC()])
    assert history.epoch == [0, 1]
    assert os.path.exists(os.path.join(backup, "latest.weights.npz"))
    assert model.fit(x, y, epochs=6, verbose=0,
                     callbacks=[BackupAndRestore(backup)]).epoch == [2, 3, 4, 5]
    assert not os.path.exists(backup)


def test_save_freq_in_batches(make_model, data, tmp_path):
    x, y = data
    backup = str(tmp_path / "backup")
    seen = []

    class Watch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            path = os.path.join(backup, "training_metadata.json")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    seen.append(json.load(f))

    make_model().fit(x, y, epochs=2, batch_size=8, verbose=0,  # 3 batches an epoch
                     callbacks=[BackupAndRestore(backup, save_freq=2), Watch()])
    # backed up after batches 1 (epoch 0) and 0, 2 (epoch 1): 2 batches apart
    assert seen == [{"epoch": 0, "batch": 1}] * 2 + [{"epoch": 1, "batch": 0}] * 2 + [
        {"epoch": 1, "batch": 2}]


def test_a_damaged_backup_falls_back_to_the_previous_one(make_model, data, tmp_path):
    x, y = data
    backup = tmp_path / "backup"
    model = make_model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=5, verbose=0,
                  callbacks=[BackupAndRestore(backup, double_checkpoint=True), CrashAt(3)])
    assert (backup / "previous.weights.npz").exists()
    (backup / "latest.weights.npz").write_bytes(b"damaged")
    history = make_model().fit(x, y, epochs=5, verbose=0,
                               callbacks=[BackupAndRestore(backup, double_checkpoint=True)])
    assert history.epoch == [2, 3, 4]  # the backup before the last: 2 epochs done

    (backup_without := tmp_path / "single").mkdir()
    (backup_without / "latest.weights.npz").write_bytes(b"damaged")
    with pytest.raises(kerasnp.KerasnpError):
        make_model().fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(backup_without)])


@pytest.mark.parametrize("kwargs, match", [
    ({"backup_dir": ""}, "Empty `backup_dir`"),
    ({"backup_dir": "b", "save_freq": "batch"}, "Expected either 'epoch' or an integer"),
    ({"backup_dir": "b", "save_freq": 0}, "save_freq"),
    ({"backup_dir": "b", "delete_checkpoint": "yes"}, "delete_checkpoint"),
    ({"backup_dir": 3}, "expected a path"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(kerasnp.KerasnpError, match=match):
        BackupAndRestore(**kwargs)
