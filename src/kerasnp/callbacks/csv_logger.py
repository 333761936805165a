"""`CSVLogger`: write one row per epoch to a CSV file."""

from __future__ import annotations

import csv
import numbers
import os
from typing import Any

import numpy as np

from .._errors import check_bool, invalid
from .callback import Callback


def _cell(value: Any) -> Any:
    """How Keras writes a value: numbers as `str(float(v))`, sequences as "[a, b]"."""
    if isinstance(value, str):
        return value
    if isinstance(value, (numbers.Number, np.generic)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    if hasattr(value, "__iter__"):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file, as Keras writes it.

    The columns are `epoch` (from 0) and the sorted log keys; when no
    `val_` key is logged, `val_<key>` columns are added anyway and hold
    `NA`. Values are written in full (`repr` of the float). Each row is
    flushed, so the file can be read while training runs.

    Args:
        filename: the path of the CSV file, e.g. `"run/log.csv"`.
        separator: the string between fields. Defaults to `","`.
        append: add to an existing file (the header is written only if the
            file is empty), e.g. when resuming training; otherwise the file
            is overwritten. Defaults to `False`.

    Example:
    >>> CSVLogger("training.log", separator=";").sep
    ';'
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise invalid("CSVLogger", "filename", "a path (str or os.PathLike)", filename)
        if not isinstance(separator, str) or len(separator) != 1:
            raise invalid("CSVLogger", "separator", "a one-character string", separator)
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = check_bool("CSVLogger", "append", append)
        self.keys: list[str] | None = None
        self.append_header = True
        self.writer: Any = None
        self.csv_file: Any = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        self._close()
        # Keras writes "\r\n" line ends (the csv module's default) through a text
        # file; newline="" keeps exactly those bytes on every platform.
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            sep = self.sep

            class _Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + self.keys, dialect=_Dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()

    def __repr__(self) -> str:
        return (
            f"CSVLogger(filename={self.filename!r}, separator={self.sep!r}, append={self.append})"
        )
