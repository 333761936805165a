"""Reading a `.keras` zip: every failure of the zip, JSON or array layers becomes
a KerasnpError that names the file and the member."""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any

from .._errors import KerasnpError
from .arrays import Store, h5py_or_error, read_h5, read_npz

WEIGHTS_NPZ = "model.weights.npz"
WEIGHTS_H5 = "model.weights.h5"
STATE = "kerasnp.json"

# A member may not claim to expand more than this much (a "zip bomb").
_MAX_EXPANSION = 200
_SMALL = 1 << 20


class Archive:
    """A `.keras` zip opened for reading, with every failure as a KerasnpError."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path, "r")
        except OSError as exc:
            raise KerasnpError(f"Cannot read {path}: {exc}") from exc
        except Exception as exc:  # BadZipFile, and odd headers (ValueError, EOFError, ...)
            raise KerasnpError(
                f"{path} is not a valid .keras file: it is not a zip archive, "
                "or it is truncated or corrupted."
            ) from exc
        self.names = set(self.zip.namelist())

    def read(self, name: str) -> bytes:
        try:
            info = self.zip.getinfo(name)
        except KeyError as exc:
            raise KerasnpError(
                f"{self.path} is not a Keras/kerasnp model file: the archive has "
                f"no {name} (or the file is truncated or corrupted)."
            ) from exc
        if info.file_size > _MAX_EXPANSION * max(info.compress_size, 1) + _SMALL:
            raise KerasnpError(
                f"{self.path} is corrupted or hostile: {name} claims to expand "
                f"to {info.file_size} bytes from {info.compress_size}."
            )
        try:
            return self.zip.read(info)
        except zipfile.BadZipFile as exc:
            raise KerasnpError(
                f"{self.path} is corrupted: {name} fails its integrity check ({exc})."
            ) from exc
        except Exception as exc:  # zlib.error, EOFError, NotImplementedError, ...
            raise KerasnpError(
                f"{self.path} is corrupted: {name} cannot be read ({type(exc).__name__}: {exc})."
            ) from exc

    def json(self, name: str) -> Any:
        data = self.read(name)
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KerasnpError(
                f"{self.path} is corrupted: {name} is not valid JSON ({exc})."
            ) from exc

    def store(self) -> Store:
        """The weights: `model.weights.h5` first, as Keras reads them, else the `.npz`."""
        if WEIGHTS_H5 in self.names:
            h5py_or_error(
                f"Reading {self.path} (its weights are in {WEIGHTS_H5}, Keras's format)",
                alternative="",
            )
            data = self.read(WEIGHTS_H5)
            return read_h5(io.BytesIO(data), f"{self.path} ({WEIGHTS_H5})", len(data))
        if WEIGHTS_NPZ in self.names:
            return read_npz(self.read(WEIGHTS_NPZ), f"{self.path} ({WEIGHTS_NPZ})")
        raise KerasnpError(
            f"{self.path} has no weights: expected a {WEIGHTS_NPZ} (or {WEIGHTS_H5}) member."
        )

    def close(self) -> None:
        self.zip.close()


def open_archive(path: str) -> Archive:
    if not os.path.exists(path):
        raise KerasnpError(f"Cannot load {path}: the file does not exist.")
    if os.path.isdir(path):
        raise KerasnpError(f"Cannot load {path}: it is a directory, not a .keras file.")
    return Archive(path)
