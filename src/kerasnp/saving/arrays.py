"""Weight stores on disk: groups of numbered arrays, as `.npz` or `.h5`.

A store is a dict ``{group path: {"0": array, "1": array, ...}}`` with the
group paths of Keras's weights files (``layers/dense/vars``,
``optimizer/vars``). In an `.npz` file each array is the member
``<group>/<index>.npy``; in an `.h5` file (needs the optional `h5py`) the
groups are HDF5 groups and the arrays their datasets, as Keras writes them.

Reading never unpickles (`allow_pickle=False`), accepts only numeric
arrays, and refuses an array whose header declares more bytes than the
file stores (a "decompression bomb" would otherwise allocate them first).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from typing import Any, BinaryIO

import numpy as np

from .._errors import KerasnpError

Store = dict[str, dict[str, np.ndarray]]

_NUMERIC_KINDS = "biuf"
_KEY = re.compile(r"^(?:[A-Za-z0-9_.\-]+/)*vars/(?:0|[1-9][0-9]*)$")


def _check_array(where: str, array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in _NUMERIC_KINDS or array.dtype.hasobject:
        raise KerasnpError(
            f"{where} has dtype {array.dtype}; weight files hold numeric arrays only."
        )
    return array


def flatten(store: Store) -> dict[str, np.ndarray]:
    """`{"layers/dense/vars": {"0": w}}` -> `{"layers/dense/vars/0": w}`."""
    return {
        f"{group}/{key}": value for group, values in store.items() for key, value in values.items()
    }


def unflatten(arrays: dict[str, np.ndarray], source: str) -> Store:
    store: Store = {}
    for key, value in arrays.items():
        if not _KEY.match(key):
            raise KerasnpError(
                f"{source} is not a kerasnp weights file: it holds an array named "
                f"{key!r}, where names like 'layers/dense/vars/0' are expected."
            )
        group, _, index = key.rpartition("/")
        store.setdefault(group, {})[index] = value
    return store


# ---------------------------------------------------------------------- npz
def write_npz(f: BinaryIO, store: Store) -> None:
    """Write `store` as an uncompressed `.npz` (never pickled)."""
    arrays = flatten(store)
    for key, value in arrays.items():
        _check_array(f"The array {key!r}", np.asarray(value))
    np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()})


def read_npz(data: bytes, source: str) -> Store:
    """The store in `.npz` bytes; raises KerasnpError for anything else."""
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise KerasnpError(f"{source} is not a readable .npz weights file ({exc}).") from exc
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise KerasnpError(f"{source} is not a .npz weights file (it holds a single array).")
    arrays: dict[str, np.ndarray] = {}
    with npz:
        for key in npz.files:
            _check_declared_size(npz.zip, key, source)
            try:
                arrays[key] = _check_array(f"The array {key!r} in {source}", npz[key])
            except KerasnpError:
                raise
            except Exception as exc:
                raise KerasnpError(
                    f"{source} is corrupted: the array {key!r} cannot be read "
                    f"({type(exc).__name__}: {exc})."
                ) from exc
    return unflatten(arrays, source)


def _check_declared_size(archive: zipfile.ZipFile, key: str, source: str) -> None:
    """Refuse an array whose header promises more data than the member holds."""
    try:
        info = archive.getinfo(key + ".npy")
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
    except Exception as exc:
        raise KerasnpError(
            f"{source} is corrupted: the header of the array {key!r} cannot be "
            f"read ({type(exc).__name__}: {exc})."
        ) from exc
    declared = math.prod(shape) * dtype.itemsize
    if declared > info.file_size:
        raise KerasnpError(
            f"{source} is corrupted: the array {key!r} declares {declared} bytes "
            f"but only {info.file_size} are stored."
        )


# ----------------------------------------------------------------------- h5
_NPZ_INSTEAD = ", or use a `.weights.npz` path, kerasnp's own format, which needs nothing more"


def h5py_or_error(what: str, alternative: str = _NPZ_INSTEAD) -> Any:
    """The `h5py` module, or a KerasnpError that says how to install it."""
    try:
        import h5py
    except ImportError as exc:
        raise KerasnpError(
            f"{what} needs the optional package h5py, which is not installed: "
            f"`pip install h5py` (or `pip install kerasnp[keras]`){alternative}."
        ) from exc
    return h5py


def write_h5(f: BinaryIO, store: Store, names: dict[str, str] | None = None) -> None:
    """Write `store` in Keras's `.weights.h5` layout (every group, even empty)."""
    h5py = h5py_or_error("Writing a `.weights.h5` file")
    with h5py.File(f, "w") as h5:
        for group, values in store.items():
            g = h5.require_group(group)
            if names and group in names:
                g.attrs["name"] = names[group]
            for key, value in values.items():
                g.create_dataset(
                    key, data=_check_array(f"The array {group}/{key}", np.asarray(value))
                )


def read_h5(f: BinaryIO, source: str, size: int) -> Store:
    """The store in a Keras-layout `.h5` file (groups named `.../vars`)."""
    h5py = h5py_or_error(f"Reading {source}")
    store: Store = {}
    try:
        with h5py.File(f, "r") as h5:

            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset):
                    key = name
                    if not _KEY.match(key):
                        raise KerasnpError(
                            f"{source} is not a Keras weights file: it holds a "
                            f"dataset named {key!r}."
                        )
                    if obj.dtype.kind not in _NUMERIC_KINDS:
                        raise KerasnpError(f"{source}: the dataset {key!r} is not numeric.")
                    if obj.size * obj.dtype.itemsize > 100 * size + (1 << 20):
                        raise KerasnpError(
                            f"{source} is corrupted: the dataset {key!r} "
                            "declares far more data than the file holds."
                        )
                    group, _, index = key.rpartition("/")
                    store.setdefault(group, {})[index] = np.asarray(obj[()])
                elif isinstance(obj, h5py.Group) and (name == "vars" or name.endswith("/vars")):
                    store.setdefault(name, {})

            h5.visititems(visit)
    except KerasnpError:
        raise
    except Exception as exc:
        raise KerasnpError(
            f"{source} is not a readable .h5 weights file ({type(exc).__name__}: {exc})."
        ) from exc
    return store
