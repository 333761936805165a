"""MNIST: 70,000 greyscale 28x28 images of handwritten digits.

LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to
document recognition", Proc. IEEE 86(11), 1998. Distributed under the
Creative Commons Attribution-Share Alike 3.0 licence.

kerasnp ships the data (11 MB, the arrays of Keras's ``mnist.npz``), so
`load_data()` works offline; its sha256 is checked once per process.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._errors import KerasnpError
from . import _cache, _files

__all__ = ["load_data"]

#: The copy bundled with kerasnp.
BUNDLED = Path(__file__).parent / "data" / "mnist.npz"
#: Its sha256 (also in ``mnist.npz.sha256`` beside it, for ``sha256sum -c``).
SHA256 = "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"


def load_data(path: str | os.PathLike | None = None) -> _files.Splits:
    """Load MNIST, from the copy bundled with kerasnp unless told otherwise.

    Args:
        path: Optional. An ``.npz`` file with the arrays ``x_train``,
            ``y_train``, ``x_test``, ``y_test`` (Keras's layout), or a
            directory holding the original IDX files
            ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each
            gzip-compressed (``.gz``) or not. Keras's default name
            ``"mnist.npz"`` means the bundled copy. Defaults to `None`, the
            bundled copy.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: uint8 images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)`` with values in [0, 255],
        and uint8 digit labels of shape ``(60000,)`` and ``(10000,)``.

    Raises:
        KerasnpError: The bundled file is damaged (reinstall kerasnp), or
            `path` does not hold the data in one of the layouts above.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_data()
    >>> x_train.shape, y_train.dtype, y_test[:5]
    ((60000, 28, 28), dtype('uint8'), array([7, 2, 1, 0, 4], dtype=uint8))
    """
    if path is None or os.fspath(path) == "mnist.npz":
        return _files.splits(_files.load_npz(_verified_bundle(), "MNIST"), "MNIST", "MNIST")
    return _files.load_path(path, "MNIST")


def _verified_bundle() -> Path:
    reinstall = (
        "Reinstall kerasnp to restore it (pip install --force-reinstall kerasnp; in a source "
        "checkout, git checkout -- src/kerasnp/datasets/data/mnist.npz)."
    )
    if not BUNDLED.is_file():
        raise KerasnpError(
            f"The MNIST file bundled with kerasnp is missing: {BUNDLED}. {reinstall}"
        )
    digest = _cache.sha256_file(BUNDLED)
    if digest != SHA256:
        raise KerasnpError(
            f"The MNIST file bundled with kerasnp is damaged: {BUNDLED} has sha256 {digest}, "
            f"expected {SHA256}. {reinstall}"
        )
    return BUNDLED
