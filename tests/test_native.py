"""The native library of the compiled passes (_jit.py, _native.py, _native_build.py):
a training process runs numba's code without importing numba, bit for bit
as numba's JIT runs it."""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from kerasnp import _compiled, _native

_TRAINING = """
import hashlib, json, sys
import numpy as np
import kerasnp
from kerasnp import _compiled, _jit, layers, regularizers

if "--twins" in sys.argv:  # every call a miss: numba's JIT in this process
    _jit.mode()
    _jit._library.entries.clear()
rng = np.random.default_rng(0)
x, y = rng.random((700, 784), dtype=np.float32), rng.integers(0, 10, 700).astype(np.uint8)
digest = hashlib.sha256()
sgd = kerasnp.optimizers.SGD(momentum=0.9)
for units, batch, optimizer in ((128, 32, "adam"), (512, 128, "rmsprop"), (16, 8, sgd)):
    kerasnp.utils.set_random_seed(0)
    model = kerasnp.Sequential([
        kerasnp.Input(shape=(784,)), layers.Dense(units, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-3)),
        layers.Dense(10, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=batch, validation_split=0.2, verbose=0)
    digest.update(json.dumps(history.history).encode())
    digest.update(model.predict(x, verbose=0).tobytes())
    digest.update(json.dumps(model.evaluate(x, y, verbose=0)).encode())
    for w in model.get_weights():
        digest.update(w.tobytes())
kerasnp.utils.set_random_seed(0)  # a Dropout mask of images (3-D, made ahead by the helper)
model = kerasnp.Sequential([kerasnp.Input(shape=(28, 28)), layers.Dropout(0.1), layers.Flatten(),
                            layers.Dense(64, activation="relu"),
                            layers.Dense(10, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(x.reshape(-1, 28, 28), y, epochs=2, batch_size=32, verbose=0)
for w in model.get_weights():
    digest.update(w.tobytes())
modules = ("layers.dense_fused", "losses.categorical_fused", "models.program_fused",
           "models.ahead_fused", "layers.dropout_fused")
usable = {name: _compiled.load(name) is not None for name in modules}
usable.update({name: bool(_compiled.load(name).ready(np.dtype("float32")))
               for name in modules[:4] if usable[name]})
print(json.dumps({"mode": _jit.mode(), "reason": _jit.reason, "numba": "numba" in sys.modules,
                  "misses": _jit.misses, "digest": digest.hexdigest(), "usable": usable}))
"""


def _run(code: str, *args: str, **env: str) -> dict:
    """Run `code` in a fresh interpreter, with kerasnp's switches as `env`
    sets them (not as this process's environment does)."""
    switches = ("KERASNP_NATIVE", "KERASNP_FUSED", "KERASNP_SPIN", "KERASNP_PROGRAMS")
    environment = {k: v for k, v in os.environ.items() if k not in switches}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=600, env=dict(environment, **env))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def native(compiled):
    """Skips (fails with CI set) where the compiled passes cannot run."""
    compiled(_compiled.load("layers.dense_fused"), "the compiled passes")


def test_training_runs_numbas_code_without_numba(native):
    ours = _run(_TRAINING)
    assert ours["mode"] == "native", ours["reason"]
    assert not ours["numba"] and ours["misses"] == []
    assert all(ours["usable"].values()), ours["usable"]
    theirs = _run(_TRAINING, KERASNP_NATIVE="0")
    assert theirs["mode"] == "numba" and theirs["numba"]
    assert ours["digest"] == theirs["digest"]  # the same bits: history, weights, outputs
    without = _run(_TRAINING, KERASNP_FUSED="0")  # the NumPy lines
    assert ours["digest"] == without["digest"]


def test_calls_the_library_has_no_version_for_run_numbas_jit_with_the_same_bits(native):
    twins = _run(_TRAINING, "--twins")  # every function, part and intrinsic a twin
    assert twins["mode"] == "native" and twins["numba"] and twins["misses"]
    assert all(twins["usable"].values()), twins["usable"]  # (a twin that cannot compile: no)
    assert twins["digest"] == _run(_TRAINING)["digest"]


def test_a_call_the_library_has_no_version_for_runs_numbas_jit(native):
    code = """
import json, sys
import numpy as np
from kerasnp import _jit, _pairwise
x = np.arange(40.0)[::3]  # a strided vector: no rehearsal sums one
total = float(_pairwise.pairwise_sum(x))
total = float(_pairwise.pairwise_sum(x))  # (found again, not missed again)
print(json.dumps({"mode": _jit.mode(), "total": total, "misses": _jit.misses,
                  "numba": "numba" in sys.modules}))
"""
    found = _run(code)
    assert found["mode"] == "native"
    assert found["misses"] == [["kerasnp._pairwise:pairwise_sum", ["float64:1A"]]]
    assert found["numba"] and found["total"] == np.arange(40.0)[::3].sum()


def test_argument_tokens_are_numbas_types(native):
    import numba

    from kerasnp._native_build import token

    a = np.zeros((4, 6), np.float32)
    readonly = np.zeros(5, np.int64)
    readonly.flags.writeable = False
    values = [a, a.T, a[:, ::2], a[0], readonly, np.zeros((), np.float64), np.float32(1.5),
              1.5, 3, True, np.uint32(7), np.uint64(2 ** 63 + 1), 2 ** 63 + 1, (1, 2, 3),
              (1.0, 2.0), None]
    for value in values:
        assert _native.token(value) == token(numba.typeof(value)), value
    unaligned = np.frombuffer(bytes(33), np.float64, count=4, offset=1)
    # no entry for what numba types otherwise (its JIT then compiles or refuses)
    for value in (np.zeros(3, ">f4"), unaligned, 2 ** 64, -2 ** 63 - 1, (a, a), (1, 2.0),
                  "text"):
        assert _native.token(value) == "?", value


def test_call_lookup_keys_tell_apart_what_tokens_tell_apart():
    a = np.zeros((4, 6), np.float32)
    different = [a, a.T, a[:, ::2], a.astype(np.float64), a.astype(">f4"), a[0], 1, 2 ** 63,
                 2 ** 64, 1.0, np.float32(1.0), True, None, (1, 2), (2 ** 63, 1), (1.0, 2.0)]
    keys = [_native.key(v) for v in different]
    assert len(set(keys)) == len(keys)
    assert _native.key(np.ones((4, 6), np.float32)) == _native.key(a)


def test_a_version_for_any_layout_takes_each_layout():
    assert _native.takes(("float32:2A", "int64"), ("float32:2C", "int64"))
    assert _native.takes(("float32:2A",), ("float32:2F",))
    assert _native.takes(("float32:2Ar",), ("float32:2C",))
    assert not _native.takes(("float32:2A",), ("float32:2Cr",))  # it may write
    assert not _native.takes(("float32:2A",), ("float64:2C",))
    assert not _native.takes(("float32:2A",), ("float32:1C",))
    assert not _native.takes(("float32:2C",), ("float32:2A",))
    assert not _native.takes(("float32:2C", "int64"), ("float32:2C",))
    assert not _native.takes(("float32:2A",), ("float32:2C*2",))  # a tuple of arrays
    assert not _native.takes(("float32:1A",), ("float32:12C",))
    assert _native.takes(("float32:12A",), ("float32:12F",))
    assert not _native.takes(("float32:2A",), ("?",))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASNP_CACHE_DIR", str(tmp_path))
    pytest.importorskip("llvmlite")
    return tmp_path


def test_a_failed_build_leaves_its_error_and_is_not_tried_again(cache, monkeypatch):
    runs = []

    def failing(*args, **kwargs):
        runs.append(args)
        return subprocess.CompletedProcess(args, 1, "", "Traceback ...\nOSError: disk full\n")

    monkeypatch.setattr(_native.subprocess, "run", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _native.open_library()
    (failed,) = cache.glob("native-*.failed")
    assert "disk full" in failed.read_text()
    with pytest.raises(RuntimeError, match="build failed before"):
        _native.open_library()
    assert len(runs) == 1
    assert not list(cache.glob("native-*.json"))


def test_a_library_that_cannot_be_loaded_is_said_and_numba_runs_instead(native, tmp_path):
    code = """
import json, sys, warnings
import numpy as np
from kerasnp import _compiled, _jit
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    module = _compiled.load("layers.dense_fused")
    usable = module.ready(np.dtype("float32"))
print(json.dumps({"mode": _jit.mode(), "usable": usable,
                  "warnings": [str(w.message) for w in caught]}))
"""
    # an unwritable cache folder: a file where the folder should be
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    found = _run(code, KERASNP_CACHE_DIR=str(blocked / "cache"))
    assert found["mode"] == "numba" and found["usable"]
    (message,) = found["warnings"]
    assert "native library of compiled passes is unavailable" in message
    assert "numba compiles them in this process instead" in message


def test_a_library_that_does_not_match_its_manifest_is_not_loaded(cache, monkeypatch):
    monkeypatch.setattr(_native, "fingerprint", lambda cpu, features: "f" * 20)
    path = cache / ("native-" + "f" * 20)
    path.with_suffix(".o").write_bytes(b"not an object file")
    path.with_suffix(".json").write_text(json.dumps(
        {"version": 1, "sha256": hashlib.sha256(b"something else").hexdigest(), "entries": []}))
    with pytest.raises(RuntimeError, match="does not match"):
        _native.open_library()


def test_the_fingerprint_follows_the_compiled_sources_and_the_cpu(native, tmp_path):
    import shutil
    from pathlib import Path

    root = Path(_native.__file__).parent
    copy = tmp_path / "kerasnp"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    before = _native.fingerprint("cpu", "+a", copy)
    assert before == _native.fingerprint("cpu", "+a", root)
    assert before != _native.fingerprint("other", "+a", copy)
    assert before != _native.fingerprint("cpu", "+b", copy)
    for name in _native.MODULES:
        source = copy / (name.replace(".", "/") + ".py")
        original = source.read_text()
        source.write_text(original + "\n# edited\n")
        assert _native.fingerprint("cpu", "+a", copy) != before, name
        source.write_text(original)


def test_the_builder_builds_only_the_sources_it_was_asked_for(native, tmp_path):
    done = subprocess.run([sys.executable, "-m", "kerasnp._native_build",
                           str(tmp_path / "native-x"), "0" * 20], capture_output=True, text=True,
                          env=dict(os.environ, KERASNP_NATIVE="0"), timeout=300)
    assert done.returncode == 3
    assert "are not those the library is for" in done.stderr
    assert not list(tmp_path.iterdir())
