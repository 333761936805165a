"""IDX files, the plain binary format MNIST and Fashion-MNIST are published in.

An IDX file is a 4-byte magic number, the sizes of the dimensions, then the
elements in C order. Every number in it is big-endian::

    bytes 0-1      always zero
    byte  2        element type: 0x08 uint8, 0x09 int8, 0x0B int16,
                   0x0C int32, 0x0D float32, 0x0E float64
    byte  3        number of dimensions, ndim
    4 * ndim       the size of each dimension, unsigned 32-bit
    the rest       prod(sizes) elements of the element type

The files are usually gzip-compressed. `read_idx` recognises gzip by its
first two bytes, whatever the file is called; `write_idx` compresses when the
name ends in ``.gz``.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from typing import Any

import numpy as np

from .._errors import KerasnpError

__all__ = ["read_idx", "write_idx"]

# Element type code -> big-endian NumPy dtype.
_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 24


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a NumPy array.

    The header is checked against the data: a file that is shorter or longer
    than its header announces is reported, not silently cut or padded.

    Args:
        path: The file to read, e.g. ``"train-images-idx3-ubyte.gz"``.

    Returns:
        A writable array in native byte order, with the file's element type
        and shape, e.g. ``uint8`` of shape ``(60000, 28, 28)`` for MNIST's
        training images.

    Raises:
        KerasnpError: The file is not IDX, or is damaged or truncated.
        FileNotFoundError: There is no such file.

    Example:
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     name = os.path.join(tmp, "labels-idx1-ubyte.gz")
    ...     write_idx(name, np.array([3, 1, 4], dtype="uint8"))
    ...     read_idx(name)
    array([3, 1, 4], dtype=uint8)
    """
    return parse_idx(read_bytes(path), os.fspath(path))


def write_idx(path: str | os.PathLike, array: Any) -> None:
    """Write an array as an IDX file, gzip-compressed when `path` ends in ``.gz``.

    Args:
        path: The file to write; an existing file is replaced.
        array: Array-like of type uint8, int8, int16, int32, float32 or
            float64 (the types IDX can hold).

    Raises:
        KerasnpError: The array's type or shape cannot be stored in IDX.

    Example:
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     name = os.path.join(tmp, "x-idx2-ubyte")
    ...     write_idx(name, np.arange(6, dtype="int16").reshape(2, 3))
    ...     read_idx(name).shape
    (2, 3)
    """
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder("=")
    if dtype not in _CODES:
        if dtype.kind == "b":
            hint = "convert it with .astype('uint8')"
        else:
            hint = "convert it first, e.g. with .astype('int32') or .astype('float32')"
        raise KerasnpError(
            f"IDX cannot store arrays of dtype {array.dtype} ({hint}). It stores uint8, int8, "
            f"int16, int32, float32 and float64. Received: array of dtype {array.dtype}"
        )
    if any(size >= 2**32 for size in array.shape):
        raise KerasnpError(
            f"IDX stores dimensions smaller than 2**32 each. Received: array of shape {array.shape}"
        )
    header = struct.pack(f">HBB{array.ndim}I", 0, _CODES[dtype], array.ndim, *array.shape)
    data = np.ascontiguousarray(array, dtype=dtype.newbyteorder(">")).tobytes()
    path = os.fspath(path)
    if path.endswith(".gz"):
        # mtime=0 keeps the output byte-identical from run to run.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(header)
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(header)
            f.write(data)


def read_bytes(path: str | os.PathLike) -> bytearray:
    """All bytes of `path`, decompressed when it is gzip (detected by content)."""
    name = os.fspath(path)
    with open(name, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        data = bytearray()
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw as f:
                while chunk := f.read(_CHUNK):
                    data += chunk
        except (EOFError, OSError, zlib.error) as exc:
            raise KerasnpError(
                f"Cannot decompress {name!r}: the gzip data is damaged or truncated "
                f"({exc}). Download the file again."
            ) from None
    return data


def parse_idx(data: bytes | bytearray, name: str = "<bytes>") -> np.ndarray:
    """The array held by the IDX bytes `data` (`name` is used in error messages)."""
    if len(data) < 4:
        raise KerasnpError(
            f"{name!r} is not an IDX file: it has {len(data)} bytes, fewer than the 4 of "
            "the IDX header. The file is empty or truncated; download it again."
        )
    zero, code, ndim = struct.unpack_from(">HBB", data)
    if zero != 0:
        raise KerasnpError(
            f"{name!r} is not an IDX file: an IDX file starts with two zero bytes, this one "
            f"with {bytes(data[:2]).hex(' ')}. If it is compressed other than with gzip, "
            "decompress it first."
        )
    if code not in _TYPES:
        known = ", ".join(f"0x{c:02X} ({_TYPES[c].newbyteorder('=')})" for c in _TYPES)
        raise KerasnpError(
            f"{name!r} is not a valid IDX file: its element type code is 0x{code:02X}; "
            f"the known codes are {known}."
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise KerasnpError(
            f"{name!r} is truncated: its header announces {ndim} dimensions, which need "
            f"{header_size} header bytes, but the file has only {len(data)} bytes."
        )
    shape = struct.unpack_from(f">{ndim}I", data, 4)
    dtype = _TYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header_size
    if actual != expected:
        what = "is truncated" if actual < expected else "has extra bytes at the end"
        raise KerasnpError(
            f"{name!r} {what}: its header announces an array of shape {shape} and type "
            f"{dtype.newbyteorder('=')} ({expected} bytes of data), but {actual} bytes "
            "follow the header. Download the file again."
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    if dtype.itemsize == 1:
        # Single bytes have no byte order; keep the (writable) buffer as it is.
        return array.view(dtype.newbyteorder("="))
    return array.astype(dtype.newbyteorder("="))
