"""Reading an MNIST-shaped data set from a user's `.npz` file or IDX directory.

MNIST and Fashion-MNIST share one layout: four arrays, `x_train`, `y_train`,
`x_test`, `y_test`, stored either as an `.npz` with those keys (as Keras
writes it) or as four IDX files with the names of the original distribution.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .._errors import KerasnpError
from .idx import parse_idx, read_bytes

KEYS = ("x_train", "y_train", "x_test", "y_test")

# The IDX file of each array, without ".gz".
IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def expected_layout() -> str:
    """One sentence on what a `path` must hold, for error messages."""
    names = ", ".join(f"{name}[.gz]" for name in IDX_NAMES.values())
    return (
        f"an .npz file with the arrays {', '.join(KEYS)}, or a directory holding the "
        f"four IDX files {names}"
    )


def load_path(path: str | os.PathLike, dataset: str) -> Splits:
    """The four arrays from a user's `.npz` file or directory of IDX files."""
    name = os.fspath(path)
    target = Path(name).expanduser()
    if target.is_dir():
        return splits(load_idx_dir(target, dataset), name, dataset)
    if not target.exists():
        raise KerasnpError(
            f"{dataset}: {name!r} does not exist. `path` must be {expected_layout()}."
        )
    return splits(load_npz(target, dataset), name, dataset)


def find_idx_files(directory: Path) -> dict[str, Path | None]:
    """Each array's IDX file in `directory` (gzip or not), or None where missing.

    Besides the official names, accepts ``train-images.idx3-ubyte``, the name
    some archive tools give the unpacked files.
    """
    found: dict[str, Path | None] = {}
    for key, base in IDX_NAMES.items():
        dotted = base.replace("-idx", ".idx")
        candidates = (f"{base}.gz", base, f"{dotted}.gz", dotted)
        found[key] = next((directory / c for c in candidates if (directory / c).is_file()), None)
    return found


def load_idx_dir(directory: Path, dataset: str) -> dict[str, np.ndarray]:
    """The four arrays from the IDX files in `directory`."""
    files = find_idx_files(directory)
    missing = [f"{IDX_NAMES[key]}.gz" for key, file in files.items() if file is None]
    if missing:
        raise KerasnpError(
            f"{dataset}: the directory {os.fspath(directory)!r} lacks {', '.join(missing)} "
            f"(gzip-compressed or not). `path` must be {expected_layout()}."
        )
    return {key: parse_idx(read_bytes(file), os.fspath(file)) for key, file in files.items()}


def load_npz(path: Path, dataset: str) -> dict[str, np.ndarray]:
    """The four arrays from an `.npz` file (never unpickling anything)."""
    name = os.fspath(path)
    if not zipfile.is_zipfile(path):
        raise KerasnpError(
            f"{dataset}: {name!r} is not an .npz file (not a zip archive: damaged, or "
            f"another format). `path` must be {expected_layout()}."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in KEYS if key not in npz.files]
            if missing:
                raise KerasnpError(
                    f"{dataset}: {name!r} lacks the arrays {', '.join(missing)}. It holds "
                    f"{', '.join(npz.files) or 'no arrays'}; expected {', '.join(KEYS)} "
                    "(the layout of Keras's mnist.npz)."
                )
            return {key: npz[key] for key in KEYS}
    except KerasnpError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise KerasnpError(
            f"{dataset}: cannot read {name!r}: {exc}. The file is damaged, or holds "
            "arrays of Python objects (they are never unpickled)."
        ) from None


def splits(arrays: dict[str, np.ndarray], source: str, dataset: str) -> Splits:
    """``((x_train, y_train), (x_test, y_test))``, after checking that they pair up."""
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = arrays[x_key], arrays[y_key]
        if x.ndim < 2 or y.ndim < 1 or len(x) != len(y):
            raise KerasnpError(
                f"{dataset}: the data in {source!r} does not pair up: {x_key} has shape "
                f"{x.shape} and {y_key} has shape {y.shape}; expected images of shape "
                "(n, height, width) and n labels. Are files swapped, or from different "
                "data sets?"
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
