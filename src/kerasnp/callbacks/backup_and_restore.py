"""`BackupAndRestore`: resume a `fit` that crashed or was stopped, where it was."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from .._errors import KerasnpError, check_bool, invalid
from .callback import Callback, reads_logs_lazily
from .save_frequency import checked_save_freq


class BackupAndRestore(Callback):
    """Back up the training state while `fit` runs; restore it when `fit` restarts.

    At the end of each epoch (or every `save_freq` batches) the callback
    writes the weights with the optimizer state to
    `backup_dir/latest.weights.npz`, and the number of epochs done to
    `backup_dir/training_metadata.json`; both are written atomically. When
    `fit` starts with a backup in `backup_dir`, the model takes the backed-up
    weights and optimizer state and training resumes at the first epoch not
    done (an epoch cut short is done again from its start). When `fit`
    completes, the backup is deleted (unless `delete_checkpoint=False`); a
    crash or Ctrl-C leaves it for the next run.

    Restoring needs the same model and `compile` settings as the run that
    wrote the backup. The folder is the callback's own: do not keep other
    files there.

    Args:
        backup_dir: the folder for the backup (created when needed).
        save_freq: `"epoch"`, or an int: back up every that many batches.
            Defaults to `"epoch"`.
        double_checkpoint: also keep the previous backup, used if the latest
            one cannot be read. Defaults to `False`.
        delete_checkpoint: delete the backup when `fit` completes.
            Defaults to `True`.

    Raises:
        KerasnpError: an empty `backup_dir`, or another invalid argument.

    Example:
    >>> import tempfile
    >>> backup = BackupAndRestore(backup_dir=tempfile.mkdtemp())
    >>> backup.save_freq
    'epoch'
    """

    def __init__(self, backup_dir: Any, save_freq: Any = "epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True):
        super().__init__()
        owner = "BackupAndRestore"
        if not backup_dir:
            raise KerasnpError("Empty `backup_dir` argument passed")
        if not isinstance(backup_dir, (str, os.PathLike)):
            raise invalid(owner, "backup_dir", "a path", backup_dir)
        self.save_freq, self._batches = checked_save_freq(
            owner, save_freq, "Invalid value for argument `save_freq`. "
            f"Received: save_freq={save_freq}. Expected either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.double_checkpoint = check_bool(owner, "double_checkpoint", double_checkpoint)
        self.delete_checkpoint = check_bool(owner, "delete_checkpoint", delete_checkpoint)
        self._epochs_done = 0
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.npz")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        # with double_checkpoint, the backup before the latest
        self._previous = (os.path.join(self.backup_dir, "previous.weights.npz"),
                          os.path.join(self.backup_dir, "previous_training_metadata.json"))

    # ------------------------------------------------------------- restore
    def on_train_begin(self, logs=None):
        try:
            self._restore(self._weights_path, self._metadata_path)
        except (OSError, ValueError):  # (KerasnpError is a ValueError)
            if not os.path.exists(self._previous[0]):
                raise
            # the latest backup is damaged: the one before it
            self._restore(*self._previous)

    def _restore(self, weights_path: str, metadata_path: str) -> None:
        if os.path.exists(weights_path):
            self.model.load_weights(weights_path)
        if os.path.exists(metadata_path):
            with open(metadata_path, encoding="utf-8") as f:
                self._epochs_done = int(json.load(f)["epoch"])
            self.model._initial_epoch = self._epochs_done

    # -------------------------------------------------------------- back up
    def on_epoch_begin(self, epoch, logs=None):
        self._epochs_done = epoch

    @reads_logs_lazily  # never reads them: fit need not build them for it
    def on_train_batch_end(self, batch, logs=None):
        if self._batches is not None and self._batches.due(batch):
            self._back_up(batch)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_done = epoch + 1
        if self.save_freq == "epoch":
            self._back_up(0)

    def _back_up(self, batch: int) -> None:
        from ..saving.atomic import atomic_write

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path, previous in zip((self._weights_path, self._metadata_path), self._previous,
                                      strict=True):
                if os.path.exists(path):
                    shutil.copyfile(path, previous)
        self.model.save_weights(self._weights_path, overwrite=True)
        with atomic_write(self._metadata_path) as f:
            f.write(json.dumps({"epoch": self._epochs_done, "batch": batch}).encode())

    def on_train_end(self, logs=None):
        # not after Ctrl-C: an interrupted fit keeps its backup, as after a crash
        if (self.delete_checkpoint and not getattr(self.model, "_fit_interrupted", False)
                and os.path.isdir(self.backup_dir)):
            shutil.rmtree(self.backup_dir)
