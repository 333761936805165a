"""IDX reader and writer: byte layout, round trips, and damaged files."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from kerasnp._errors import KerasnpError
from kerasnp.datasets.idx import read_idx, write_idx

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]
SHAPES = [(), (7,), (3, 5), (2, 3, 4), (2, 1, 3, 2)]


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:
        values = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
        if values.size >= 2:
            values.flat[0], values.flat[1] = info.min, info.max
        return values
    return (rng.standard_normal(shape) * 1e3).astype(dtype)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype, shape, suffix):
    array = _sample(dtype, shape)
    path = tmp_path / f"data-idx{len(shape)}-ubyte{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_byte_layout_is_big_endian(tmp_path):
    path = tmp_path / "a.idx"
    write_idx(path, np.array([1, 2, 3], dtype="uint8"))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])
    write_idx(path, np.array([[258]], dtype="int32"))
    assert path.read_bytes() == bytes([0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 2])


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(12, dtype="int16").reshape(3, 4)
    write_idx(tmp_path / "x.gz", array)
    (tmp_path / "x.gz").rename(tmp_path / "no-suffix")
    assert gzip.decompress((tmp_path / "no-suffix").read_bytes())[:4] == b"\0\0\x0b\x02"
    np.testing.assert_array_equal(read_idx(tmp_path / "no-suffix"), array)


def test_gzip_output_is_reproducible(tmp_path):
    array = _sample("float32", (4, 4))
    write_idx(tmp_path / "a.gz", array)
    first = (tmp_path / "a.gz").read_bytes()
    write_idx(tmp_path / "a.gz", array)
    assert (tmp_path / "a.gz").read_bytes() == first


def test_big_endian_and_noncontiguous_input(tmp_path):
    array = np.arange(20, dtype=">i4").reshape(4, 5)[:, ::2]
    write_idx(tmp_path / "a", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), array)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", ["fewer than the 4"]),
        (b"\0\0", ["fewer than the 4"]),
        (b"PK\x03\x04" + bytes(20), ["not an IDX file", "50 4b"]),
        (b"\0\0\x07\x01" + bytes(8), ["element type code is 0x07", "0x08 (uint8)"]),
        (b"\0\0\x08\x03\0\0\0\x02", ["truncated", "3 dimensions", "16 header bytes"]),
        (b"\0\0\x08\x01\0\0\0\x05" + bytes(3), ["truncated", "(5,)", "5 bytes of data", "3 bytes"]),
        (b"\0\0\x08\x01\0\0\0\x02" + bytes(3), ["extra bytes", "(2,)"]),
        (b"\0\0\x0c\x02\0\0\0\x02\0\0\0\x02" + bytes(15), ["truncated", "int32", "16 bytes"]),
        # A garbled header announcing a huge array must not try to allocate it.
        (b"\0\0\x0e\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", ["truncated"]),
    ],
)
def test_garbage_is_reported(tmp_path, content, words):
    for path, data in ((tmp_path / "raw", content), (tmp_path / "c.gz", gzip.compress(content))):
        path.write_bytes(data)
        with pytest.raises(KerasnpError) as info:
            read_idx(path)
        message = str(info.value)
        assert repr(str(path)) in message
        for word in words:
            assert word in message


def test_truncated_and_corrupt_gzip(tmp_path):
    write_idx(tmp_path / "ok.gz", _sample("uint8", (50, 28, 28)))
    packed = (tmp_path / "ok.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(KerasnpError, match="damaged or truncated"):
        read_idx(tmp_path / "cut.gz")
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0xFF
    (tmp_path / "bad.gz").write_bytes(bytes(flipped))
    with pytest.raises(KerasnpError, match="Cannot decompress"):
        read_idx(tmp_path / "bad.gz")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


@pytest.mark.parametrize(
    "dtype, hint",
    [
        ("int64", "astype('int32')"),
        ("bool", "'uint8'"),
        ("complex64", "float32"),
        ("uint16", "int32"),
    ],
)
def test_write_rejects_types_idx_cannot_hold(tmp_path, dtype, hint):
    with pytest.raises(KerasnpError, match="IDX cannot store") as info:
        write_idx(tmp_path / "x", np.zeros(3, dtype=dtype))
    assert hint in str(info.value)
    assert not (tmp_path / "x").exists()


def test_write_rejects_dimensions_of_2_to_the_32(tmp_path):
    huge = np.broadcast_to(np.uint8(0), (2**32,))  # a view: no memory behind it
    with pytest.raises(KerasnpError, match="smaller than 2\\*\\*32"):
        write_idx(tmp_path / "x", huge)
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(not DEBIAN_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is absent")
def test_reads_the_debian_files():
    labels = read_idx(DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10
    images = read_idx(DEBIAN_DIR / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
