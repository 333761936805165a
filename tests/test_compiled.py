"""Loading the compiled passes (_compiled.py): each dtype's versions are
checked, and so compiled, at their first use only."""

import os
import subprocess
import sys

import numpy as np
import pytest

from kerasnp import _compiled

_FLOAT32_MODEL = """
import numpy as np
import kerasnp
from kerasnp import _compiled, layers, regularizers

kerasnp.utils.set_random_seed(0)
model = kerasnp.Sequential([
    kerasnp.Input(shape=(20,)), layers.Dense(16, activation="relu"), layers.Dropout(0.2),
    layers.Dense(8, activation="relu", kernel_regularizer=regularizers.l2(1e-3)),
    layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
rng = np.random.default_rng(0)
x, y = rng.random((256, 20), dtype=np.float32), rng.integers(0, 3, 256)
model.fit(x, y, epochs=2, batch_size=32, verbose=0)
model.predict(x, verbose=0)
versions = []
for name in ("layers.dense_fused", "losses.categorical_fused", "models.program_fused"):
    module = _compiled.load(name)
    assert module is not None, name
    for value in vars(module).values():
        versions += [str(types) for types in getattr(value, "signatures", [])]
assert any("float32" in v for v in versions), versions
assert not any("float64" in v for v in versions), versions
"""


def test_a_float32_model_compiles_no_float64_version(compiled):
    compiled(_compiled.load("layers.dense_fused"), "the compiled passes")
    # a fresh interpreter: this one has checked both dtypes already; with
    # numba's JIT (the native library holds both dtypes' versions, built once)
    done = subprocess.run([sys.executable, "-c", _FLOAT32_MODEL], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, KERASNP_NATIVE="0"))
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def dense(compiled, monkeypatch):
    """dense_fused with its own record of checks, and a check that passes
    float32 only, counting its calls."""
    module = compiled(_compiled.load("layers.dense_fused"), "the compiled Dense passes")
    real_check, asked = module.check, []

    def check(dtype):
        asked.append(dtype)
        return real_check(dtype) and dtype == np.float32

    monkeypatch.setattr(module, "check", check)
    monkeypatch.setattr(module, "ready", _compiled.Checked(module.__name__))
    return module, asked


def _biased(dtype):
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype)


def test_a_dtype_whose_check_fails_is_left_to_the_numpy_lines(dense):
    module, asked = dense
    z, bias = _biased("float64")
    before = z.copy()
    assert not module.bias_relu(z, None, bias)
    assert z.tobytes() == before.tobytes()
    z, bias = _biased("float32")
    assert module.bias_relu(z, None, bias)
    assert asked == [np.float64, np.float32]
    z64, bias64 = _biased("float64")
    assert module.bias_relu(z, None, bias) and not module.bias_relu(z64, None, bias64)
    assert asked == [np.float64, np.float32]  # each dtype checked once


def test_the_check_runs_the_passes_it_checks(dense):
    module, asked = dense
    z, bias = _biased("float32")
    assert module.bias_relu(z, None, bias)
    assert module.ready(np.dtype("float32"))  # its own calls were let through


def test_other_dtypes_and_a_failing_check_say_no(dense, monkeypatch):
    module, asked = dense
    assert not module.ready(np.dtype("int64")) and not module.ready(np.dtype("float16"))
    assert asked == []

    def broken(dtype):
        raise RuntimeError("a compilation problem")

    monkeypatch.setattr(module, "check", broken)
    assert not module.ready(np.dtype("float32"))
