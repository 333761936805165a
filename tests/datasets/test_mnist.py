"""MNIST: the bundled copy, its checksum, and user-supplied .npz files and IDX directories."""

import os
import shutil
import time

import numpy as np
import pytest

from kerasnp._errors import KerasnpError
from kerasnp.datasets import _cache, mnist
from kerasnp.datasets.idx import write_idx

# Pinned from the bundled file (the arrays of Keras's mnist.npz).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_PIXEL_SUM = 1567298545
TEST_PIXEL_SUM = 264923200


@pytest.fixture(scope="module")
def data():
    return mnist.load_data()


def test_shapes_and_dtypes(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.writeable


def test_pinned_class_counts_and_pixel_sums(data):
    (x_train, y_train), (x_test, y_test) = data
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert int(x_train.sum(dtype=np.int64)) == TRAIN_PIXEL_SUM
    assert int(x_test.sum(dtype=np.int64)) == TEST_PIXEL_SUM
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert x_train.max() == 255 and x_train.min() == 0


def test_keras_default_name_means_the_bundled_copy(data):
    (x_train, _), (_, y_test) = mnist.load_data("mnist.npz")
    np.testing.assert_array_equal(x_train, data[0][0])
    np.testing.assert_array_equal(y_test, data[1][1])


def test_each_call_returns_fresh_arrays(data):
    (x_train, _), _ = mnist.load_data()
    x_train[0] = 0
    assert int(mnist.load_data()[0][0].sum(dtype=np.int64)) == TRAIN_PIXEL_SUM
    assert int(data[0][0].sum(dtype=np.int64)) == TRAIN_PIXEL_SUM


def test_loading_is_fast():
    mnist.load_data()
    start = time.perf_counter()
    mnist.load_data()
    # Well under a second on a normal machine; the bound only catches gross regressions.
    assert time.perf_counter() - start < 3.0


def test_sha256_file_matches_the_constant():
    text = (mnist.BUNDLED.parent / "mnist.npz.sha256").read_text().split()
    assert text == [mnist.SHA256, "mnist.npz"]
    assert _cache.sha256_file(mnist.BUNDLED) == mnist.SHA256


def test_damaged_bundle_raises(tmp_path, monkeypatch):
    damaged = tmp_path / "mnist.npz"
    shutil.copyfile(mnist.BUNDLED, damaged)
    with open(damaged, "r+b") as f:
        f.seek(5_000_000)
        byte = f.read(1)
        f.seek(5_000_000)
        f.write(bytes([byte[0] ^ 1]))
    monkeypatch.setattr(mnist, "BUNDLED", damaged)
    with pytest.raises(KerasnpError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "damaged" in message and str(damaged) in message
    assert mnist.SHA256 in message and "Reinstall kerasnp" in message


def test_missing_bundle_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "BUNDLED", tmp_path / "mnist.npz")
    with pytest.raises(KerasnpError, match="missing.*Reinstall kerasnp"):
        mnist.load_data()


def test_hash_is_computed_once_per_unchanged_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"a" * 100)
    first = _cache.sha256_file(path)
    stat = os.stat(path)
    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _cache.sha256_file(path) == first  # same size and time: not hashed again
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _cache.sha256_file(path) != first


def _small():
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 4, dtype=np.uint8),
    }


def _check(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    for key, got in zip(arrays, (x_train, y_train, x_test, y_test), strict=True):
        np.testing.assert_array_equal(got, arrays[key])


def test_user_npz(tmp_path):
    arrays = _small()
    np.savez(tmp_path / "mine.npz", **arrays)
    _check(mnist.load_data(tmp_path / "mine.npz"), arrays)
    _check(mnist.load_data(str(tmp_path / "mine.npz")), arrays)


def test_user_npz_missing_keys(tmp_path):
    arrays = _small()
    del arrays["y_test"]
    np.savez(tmp_path / "mine.npz", **arrays)
    with pytest.raises(KerasnpError, match="lacks the arrays y_test.*holds x_train"):
        mnist.load_data(tmp_path / "mine.npz")


def test_user_npz_that_is_not_npz(tmp_path):
    (tmp_path / "mine.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(KerasnpError, match="not an .npz file") as info:
        mnist.load_data(tmp_path / "mine.npz")
    assert "mine.npz" in str(info.value)


def test_user_npz_with_objects_is_not_unpickled(tmp_path):
    arrays = _small()
    arrays["y_train"] = np.array([object()] * 6)
    np.savez(tmp_path / "mine.npz", **arrays)
    with pytest.raises(KerasnpError, match="never unpickled"):
        mnist.load_data(tmp_path / "mine.npz")


def test_user_npz_lengths_must_pair_up(tmp_path):
    arrays = _small()
    arrays["y_test"] = arrays["y_test"][:3]
    np.savez(tmp_path / "mine.npz", **arrays)
    with pytest.raises(KerasnpError, match="does not pair up: x_test.*y_test has shape"):
        mnist.load_data(tmp_path / "mine.npz")


def test_idx_directory_gz_raw_and_dotted_names(tmp_path):
    arrays = _small()
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", arrays["x_train"])
    write_idx(tmp_path / "train-labels-idx1-ubyte", arrays["y_train"])
    write_idx(tmp_path / "t10k-images.idx3-ubyte", arrays["x_test"])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", arrays["y_test"])
    _check(mnist.load_data(tmp_path), arrays)


def test_idx_directory_with_missing_files(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", _small()["x_train"])
    with pytest.raises(KerasnpError) as info:
        mnist.load_data(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message
    for name in (
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        assert name in message
    assert "lacks train-images" not in message


def test_idx_directory_with_swapped_files(tmp_path):
    arrays = _small()
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", arrays["y_train"])
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", arrays["x_train"])
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", arrays["x_test"])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", arrays["y_test"])
    with pytest.raises(KerasnpError, match="swapped"):
        mnist.load_data(tmp_path)


def test_idx_directory_with_a_garbled_file(tmp_path):
    arrays = _small()
    for key, name in (
        ("x_train", "train-images"),
        ("y_train", "train-labels"),
        ("x_test", "t10k-images"),
        ("y_test", "t10k-labels"),
    ):
        dims = 3 if name.endswith("images") else 1
        write_idx(tmp_path / f"{name}-idx{dims}-ubyte.gz", arrays[key])
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-12])
    with pytest.raises(KerasnpError, match="t10k-labels-idx1-ubyte.gz"):
        mnist.load_data(tmp_path)


def test_nonexistent_path(tmp_path):
    with pytest.raises(KerasnpError) as info:
        mnist.load_data(tmp_path / "nowhere.npz")
    message = str(info.value)
    assert "nowhere.npz" in message and "does not exist" in message
    assert "x_train" in message and "train-images-idx3-ubyte" in message
