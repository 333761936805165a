"""Fashion-MNIST: where load_data looks, in which order, and verified downloads.

Most tests use a tiny synthetic data set with its checksums patched in, a
temporary cache ($KERASNP_HOME), a stand-in for Debian's directory and a fake
`urlopen`, so they never touch the network or the real cache. The tests
marked by the Debian files' presence check the real data and checksums.
"""

import gzip
import hashlib
import io
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from kerasnp._errors import KerasnpError
from kerasnp.datasets import _cache, fashion_mnist
from kerasnp.datasets.idx import write_idx

REAL_DEBIAN = Path("/usr/share/datasets/fashion-mnist")
needs_debian = pytest.mark.skipif(
    not REAL_DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist is not installed"
)
NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def _tiny(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_train": np.array([0, 9, 3, 3, 1], dtype=np.uint8),
        "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_test": np.array([2, 2, 7], dtype=np.uint8),
    }


def _write(directory, arrays):
    directory.mkdir(parents=True, exist_ok=True)
    for key, name in NAMES.items():
        write_idx(directory / name, arrays[key])
    return {name: (directory / name).read_bytes() for name in NAMES.values()}


def _matches(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    got = (x_train, y_train, x_test, y_test)
    return all(np.array_equal(g, arrays[k]) for g, k in zip(got, NAMES, strict=True))


class FakeWeb:
    """Stands in for urllib's urlopen: serves `files` by URL, records requests."""

    def __init__(self, files=None, fail=()):
        self.files, self.fail, self.requested = dict(files or {}), set(fail), []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        if url in self.fail or url not in self.files:
            raise urllib.error.URLError("no network in tests")
        return io.BytesIO(self.files[url])


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private cache, an empty stand-in Debian directory, no network, tiny checksums."""
    monkeypatch.setenv("KERASNP_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "debian")
    web = FakeWeb()
    monkeypatch.setattr(_cache, "urlopen", web)
    arrays = _tiny()
    packed = _write(tmp_path / "source", arrays)
    sums = {
        key: fashion_mnist._Sha256(
            hashlib.sha256(packed[NAMES[key]]).hexdigest(),
            "0" * 64,
            hashlib.sha256(gzip.decompress(packed[NAMES[key]])).hexdigest(),
        )
        for key in NAMES
    }
    monkeypatch.setattr(fashion_mnist, "_SHA256", sums)

    class Env:
        pass

    e = Env()
    e.arrays, e.packed, e.web, e.tmp = arrays, packed, web, tmp_path
    e.cache = tmp_path / "home" / "datasets" / "fashion-mnist"
    e.debian = tmp_path / "debian"
    return e


def _serve(env, mirror=0, damage=None):
    files = {}
    for name, data in env.packed.items():
        if name == damage:
            data = data[:-1] + bytes([data[-1] ^ 1])
        files[fashion_mnist.MIRRORS[mirror] + name] = data
    env.web.files.update(files)


def test_class_names():
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert fashion_mnist.CLASS_NAMES[0] == "T-shirt/top"
    assert fashion_mnist.CLASS_NAMES[9] == "Ankle boot"


def test_cache_dir_follows_kerasnp_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASNP_HOME", str(tmp_path / "k"))
    assert _cache.cache_dir("fashion-mnist") == tmp_path / "k" / "datasets" / "fashion-mnist"
    monkeypatch.delenv("KERASNP_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert _cache.cache_dir("fashion-mnist") == (
        tmp_path / "user" / ".kerasnp" / "datasets" / "fashion-mnist"
    )


def test_path_directory_is_used_alone(env):
    other = _tiny(seed=1)
    _write(env.tmp / "mine", other)
    _write(env.cache, env.arrays)
    assert _matches(fashion_mnist.load_data(env.tmp / "mine"), other)
    assert env.web.requested == []


def test_path_npz(env):
    np.savez(env.tmp / "f.npz", **env.arrays)
    assert _matches(fashion_mnist.load_data(str(env.tmp / "f.npz")), env.arrays)


def test_bad_path_is_an_error_not_a_fallback(env):
    _write(env.cache, env.arrays)
    with pytest.raises(KerasnpError, match="does not exist"):
        fashion_mnist.load_data(env.tmp / "missing")
    (env.tmp / "empty").mkdir()
    with pytest.raises(KerasnpError, match="lacks train-images-idx3-ubyte.gz"):
        fashion_mnist.load_data(env.tmp / "empty")


def test_cache_comes_before_debian(env):
    _write(env.cache, env.arrays)
    env.debian.mkdir()
    for name in NAMES.values():
        (env.debian / name).write_bytes(b"garbage")
    assert _matches(fashion_mnist.load_data(), env.arrays)
    assert env.web.requested == []


def test_debian_comes_before_download(env):
    _write(env.debian, env.arrays)
    _serve(env)
    assert _matches(fashion_mnist.load_data(), env.arrays)
    assert env.web.requested == []
    assert not env.cache.exists()


def test_download_fills_the_cache_once(env, capsys):
    _serve(env)
    assert _matches(fashion_mnist.load_data(), env.arrays)
    assert sorted(p.name for p in env.cache.iterdir()) == sorted(NAMES.values())
    assert "Downloading data from https://" in capsys.readouterr().out
    assert len(env.web.requested) == 4
    assert _matches(fashion_mnist.load_data(), env.arrays)
    assert len(env.web.requested) == 4  # served from the cache the second time


def test_download_tries_the_next_mirror(env):
    _serve(env, mirror=1)
    assert _matches(fashion_mnist.load_data(), env.arrays)
    assert env.web.requested[0].startswith(fashion_mnist.MIRRORS[0])
    assert env.web.requested[1].startswith(fashion_mnist.MIRRORS[1])


def test_only_missing_or_damaged_cache_files_are_downloaded(env):
    _write(env.cache, env.arrays)
    (env.cache / NAMES["y_test"]).unlink()
    bad = env.cache / NAMES["x_test"]
    write_idx(bad, np.zeros((3, 28, 28), dtype=np.uint8))  # valid IDX, wrong content
    _serve(env)
    assert _matches(fashion_mnist.load_data(), env.arrays)
    assert sorted(url.rsplit("/", 1)[1] for url in env.web.requested) == sorted(
        [NAMES["y_test"], NAMES["x_test"]]
    )


def test_checksum_failure_discards_the_download(env):
    _serve(env, mirror=0, damage=NAMES["x_train"])
    _serve(env, mirror=1, damage=NAMES["x_train"])
    with pytest.raises(KerasnpError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert "sha256" in message and "discarded" in message
    assert fashion_mnist._SHA256["x_train"].published in message
    assert not (env.cache / NAMES["x_train"]).exists()
    assert not [p for p in env.cache.iterdir() if p.name.endswith(".part")]


def test_nothing_works_says_how_to_get_the_data(env):
    with pytest.raises(KerasnpError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert str(env.cache) in message and str(env.debian) in message
    assert "load_data(path=" in message
    assert "no network in tests" in message
    for name in NAMES.values():
        assert fashion_mnist.MIRRORS[0] + name in message


def test_damaged_debian_files_are_reported(env):
    _write(env.debian, env.arrays)
    (env.debian / NAMES["y_train"]).write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x00"))
    with pytest.raises(KerasnpError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert f"{NAMES['y_train']} damaged (its content has sha256" in message
    assert "apt-get install --reinstall dataset-fashion-mnist" in message


def test_download_writes_nothing_when_the_cache_is_not_writable(env, monkeypatch):
    _serve(env)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(KerasnpError, match="could not download.*read-only"):
        fashion_mnist.load_data()


@needs_debian
def test_real_data_from_debian(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASNP_HOME", str(tmp_path))
    monkeypatch.setattr(_cache, "urlopen", FakeWeb())
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert int(x_train.sum(dtype=np.int64)) == 3431114169
    assert int(x_test.sum(dtype=np.int64)) == 573469082
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]


# The authors' .gz files carry the file name and these times in their gzip
# headers; Debian's carry neither, but the compressed data is the same.
_PUBLISHED_MTIME = {"train": 1504176606, "t10k": 1504176627}


def _published_bytes(name):
    debian = (REAL_DEBIAN / name).read_bytes()
    header = b"\x1f\x8b\x08\x08" + struct.pack("<I", _PUBLISHED_MTIME[name[:5].rstrip("-")])
    return header + b"\x00\x03" + name[:-3].encode() + b"\x00" + debian[10:]


@needs_debian
def test_recorded_checksums_match_the_debian_files():
    for key, name in NAMES.items():
        sums = fashion_mnist._SHA256[key]
        debian = (REAL_DEBIAN / name).read_bytes()
        assert hashlib.sha256(debian).hexdigest() == sums.debian
        assert hashlib.sha256(gzip.decompress(debian)).hexdigest() == sums.content
        assert hashlib.sha256(_published_bytes(name)).hexdigest() == sums.published


@needs_debian
def test_download_of_the_published_files_is_accepted(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERASNP_HOME", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian")
    web = FakeWeb({fashion_mnist.MIRRORS[0] + n: _published_bytes(n) for n in NAMES.values()})
    monkeypatch.setattr(_cache, "urlopen", web)
    (_, y_train), (x_test, _) = fashion_mnist.load_data()
    assert len(web.requested) == 4
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert int(x_test.sum(dtype=np.int64)) == 573469082
