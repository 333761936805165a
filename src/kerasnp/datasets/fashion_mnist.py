"""Fashion-MNIST: 70,000 greyscale 28x28 images of clothes in 10 classes.

A drop-in replacement for MNIST that is harder to fit, by Zalando Research
(MIT licence): Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image
Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017.

The data is not bundled (30 MB). `load_data` finds it, in this order: the
`path` you give; kerasnp's cache (``~/.kerasnp/datasets/fashion-mnist``, or
under ``$KERASNP_HOME``); the files of Debian's ``dataset-fashion-mnist``
package (``/usr/share/datasets/fashion-mnist``); and last a download into the
cache, checked against the known sha256 of each file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

from .._errors import KerasnpError
from . import _cache, _files
from .idx import parse_idx, read_bytes

__all__ = ["CLASS_NAMES", "load_data"]

#: The name of each label, ``CLASS_NAMES[y]``.
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where Debian's ``dataset-fashion-mnist`` package puts the four files.
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Download locations, tried in order: the authors' repository, then the copy Keras uses.
MIRRORS = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
)


class _Sha256(NamedTuple):
    published: str  # the .gz file as the authors publish it
    debian: str  # the same compressed data, its gzip header normalised by Debian
    content: str  # the decompressed IDX file, whichever .gz it came from


# The published sums match the TensorFlow Datasets checksum list; the others were
# computed from Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1.
_SHA256 = {
    "x_train": _Sha256(
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "y_train": _Sha256(
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "x_test": _Sha256(
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "y_test": _Sha256(
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}


def load_data(path: str | os.PathLike | None = None) -> _files.Splits:
    """Load Fashion-MNIST, finding or downloading it.

    Args:
        path: Optional. A directory holding the four files
            ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
            ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``
            (or the same files unpacked), or an ``.npz`` file with the arrays
            ``x_train``, ``y_train``, ``x_test``, ``y_test``. Only this is
            read when given (without checksums, so it may be data of your
            own in the same layout). Defaults to `None`: the cache, then
            Debian's package, then a download into the cache.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)`` with values in [0, 255],
        and uint8 labels in [0, 9] (see `CLASS_NAMES`).

    Raises:
        KerasnpError: The data is nowhere to be found and cannot be
            downloaded (the message says how to get it), or a file is
            damaged or in the wrong format.

    Example:
    >>> CLASS_NAMES[9]
    'Ankle boot'
    """
    if path is not None:
        return _files.load_path(path, "Fashion-MNIST")
    cache = _cache.cache_dir("fashion-mnist")
    arrays, cache_status = _read_checked(cache)
    if arrays is not None:
        return _files.splits(arrays, os.fspath(cache), "Fashion-MNIST")
    arrays, debian_status = _read_checked(DEBIAN_DIR)
    if arrays is not None:
        return _files.splits(arrays, os.fspath(DEBIAN_DIR), "Fashion-MNIST")
    try:
        for key, problem in cache_status.items():
            if problem:  # missing or damaged: fetch it again
                _cache.download_first(
                    [mirror + _filename(key) for mirror in MIRRORS],
                    cache / _filename(key),
                    (_SHA256[key].published, _SHA256[key].debian),
                )
    except KerasnpError as exc:
        raise KerasnpError(_how_to_get(cache, cache_status, debian_status, str(exc))) from None
    arrays, cache_status = _read_checked(cache)
    if arrays is None:  # pragma: no cover - only if the cache changes under us
        raise KerasnpError(_how_to_get(cache, cache_status, debian_status, ""))
    return _files.splits(arrays, os.fspath(cache), "Fashion-MNIST")


def _filename(key: str) -> str:
    return _files.IDX_NAMES[key] + ".gz"


def _read_checked(directory: Path) -> tuple[dict | None, dict[str, str]]:
    """The arrays in `directory` if all four files are there and intact.

    Also returns, for each array, what is wrong with its file ("" if nothing).
    """
    files = _files.find_idx_files(directory) if directory.is_dir() else dict.fromkeys(_SHA256)
    arrays, status = {}, {}
    for key, file in files.items():
        if file is None:
            status[key] = "missing"
            continue
        try:
            data = read_bytes(file)
        except (OSError, KerasnpError) as exc:
            status[key] = f"unreadable ({exc})"
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != _SHA256[key].content:
            status[key] = f"damaged (its content has sha256 {digest}, not {_SHA256[key].content})"
            continue
        arrays[key] = parse_idx(data, os.fspath(file))
        status[key] = ""
    return (arrays if len(arrays) == len(_SHA256) else None), status


def _how_to_get(cache: Path, cache_status: dict, debian_status: dict, failure: str) -> str:
    def describe(directory: Path, status: dict) -> str:
        if not directory.is_dir():
            return "does not exist"
        problems = [f"{_filename(key)} {why}" for key, why in status.items() if why]
        return "; ".join(problems)

    apt = (
        "reinstall the package: apt-get install --reinstall dataset-fashion-mnist"
        if DEBIAN_DIR.is_dir()
        else "install the package: apt-get install dataset-fashion-mnist"
    )
    urls = "\n".join(f"      {MIRRORS[0]}{_filename(key)}" for key in _SHA256)
    failure = "\n".join(f"  {line}" for line in failure.splitlines())
    return (
        "Fashion-MNIST is not on this computer and could not be downloaded.\n"
        "Looked for it in:\n"
        f"  - kerasnp's cache {os.fspath(cache)}: {describe(cache, cache_status)}\n"
        f"  - Debian's dataset-fashion-mnist package, {os.fspath(DEBIAN_DIR)}: "
        f"{describe(DEBIAN_DIR, debian_status)}\n"
        f"The download failed:\n{failure}\n"
        "To get the data, do one of these, then call load_data() again:\n"
        f"  - on Debian, {apt}\n"
        f"  - download these four files into {os.fspath(cache)}\n"
        "    (or into any directory, then call load_data(path=that_directory)):\n"
        f"{urls}"
    )
