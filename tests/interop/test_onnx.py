"""kerasnp -> ONNX -> onnxruntime: the same predictions, for any batch size."""

import sys

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError, layers
from kerasnp.saving import export_onnx

from .helpers import close

ACTIVATIONS = [
    n for n in kerasnp.activations.__all__ if n not in ("get", "serialize", "deserialize")
]


def run(onnxruntime, path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _every_layer_and_activation():
    kerasnp.utils.set_random_seed(0)
    stack = [kerasnp.Input(shape=(6,)), layers.Reshape((2, 3)), layers.Dense(4), layers.Flatten()]
    for i, name in enumerate(ACTIVATIONS):  # each activation in a Dense and as a layer
        stack += [layers.Dense(5, activation=name), layers.Dropout(0.5)]
        stack.append(layers.Activation(ACTIVATIONS[(i + 5) % len(ACTIVATIONS)]))
    stack += [layers.Reshape((-1, 1)), layers.Flatten(), layers.Dense(3, use_bias=False)]
    return kerasnp.Sequential(stack, name="everything")


@pytest.mark.parametrize("opset", [13, 17])
def test_every_layer_and_activation(opset, onnx, onnxruntime, tmp_path):
    model = _every_layer_and_activation()
    path = tmp_path / "m.onnx"
    export_onnx(model, path, opset=opset)
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == opset
    assert [i.name for i in proto.graph.input] == ["input"]
    assert [o.name for o in proto.graph.output] == ["output"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [6]
    assert "Dropout" not in {n.op_type for n in proto.graph.node}
    rng = np.random.default_rng(1)
    for batch in (1, 7, 130):  # the batch axis is symbolic: any size runs
        x = rng.normal(size=(batch, 6)).astype("float32")
        close(run(onnxruntime, path, x), model.predict(x, verbose=0), atol=1e-5)


def test_every_activation_is_covered(onnx):
    from kerasnp.saving import onnx_export

    named = {kerasnp.activations.get(n) for n in ACTIVATIONS} - {kerasnp.activations.linear}
    assert named <= set(onnx_export._ACTIVATIONS)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_each_activation_over_its_range(name, onnxruntime, onnx, tmp_path):
    """From the saturated tails through the kinks to the linear parts."""
    model = kerasnp.Sequential([kerasnp.Input(shape=(9,)), layers.Activation(name)])
    grid = np.linspace(-7.0, 7.0, 57, dtype="float32")
    tails = np.array([-30.0, -12.0, 12.0, 30.0, 0.0], dtype="float32")
    x = np.concatenate([grid, tails, -grid[:1] / 3]).reshape(-1, 9)
    if name == "exponential":
        x = np.clip(x, None, 12.0)
    export_onnx(model, tmp_path / "a.onnx")
    close(run(onnxruntime, tmp_path / "a.onnx", x), model.predict(x, verbose=0), atol=2e-6)


def test_float64_rank_three_and_names(onnxruntime, onnx, tmp_path):
    kerasnp.config.set_floatx("float64")
    try:
        model = kerasnp.Sequential(
            [kerasnp.Input(shape=(4, 3)), layers.Dense(2, activation="tanh")]
        )
    finally:
        kerasnp.config.set_floatx("float32")
    path = tmp_path / "m.onnx"
    export_onnx(model, path, input_name="pixels", output_name="scores")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["pixels"]
    assert [o.name for o in session.get_outputs()] == ["scores"]
    x = np.random.default_rng(2).normal(size=(3, 4, 3))
    out = session.run(None, {"pixels": x})[0]
    assert out.dtype == np.float64
    close(out, model.predict(x, verbose=0), atol=1e-12)


def test_only_dropout_is_the_identity(onnxruntime, onnx, tmp_path):
    model = kerasnp.Sequential([kerasnp.Input(shape=(3,)), layers.Dropout(0.5)])
    export_onnx(model, tmp_path / "m.onnx")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    assert np.array_equal(run(onnxruntime, tmp_path / "m.onnx", x), x)


def test_mixed_dtypes(onnx, tmp_path):
    model = kerasnp.Sequential([kerasnp.Input(shape=(3,)), layers.Dense(2, dtype="float64")])
    with pytest.raises(KerasnpError, match="float64.*float32"):
        export_onnx(model, tmp_path / "m.onnx")


class Twice(layers.Layer):
    def call(self, inputs, training=False):
        return inputs * 2


def my_activation(x):
    return x * 0.5


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: [Twice(name="twice")], "layer 'twice' is a Twice"),
        (lambda: [layers.Dense(2, activation=my_activation)], "'my_activation'"),
    ],
    ids=["custom layer", "custom activation"],
)
def test_unsupported_is_an_error_before_writing(make, match, onnx, tmp_path):
    model = kerasnp.Sequential([kerasnp.Input(shape=(3,)), *make()])
    path = tmp_path / "m.onnx"
    with pytest.raises(KerasnpError, match=f"{match}.*no ONNX lowering.*Nothing was written"):
        export_onnx(model, path)
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"old")
    with pytest.raises(KerasnpError):
        export_onnx(model, path)
    assert path.read_bytes() == b"old"


def test_arguments(onnx, tmp_path):
    model = kerasnp.Sequential([kerasnp.Input(shape=(3,)), layers.Dense(2)])
    with pytest.raises(KerasnpError, match="opset"):
        export_onnx(model, tmp_path / "m.onnx", opset=12)
    with pytest.raises(KerasnpError, match="opsets up to"):
        export_onnx(model, tmp_path / "m.onnx", opset=1000)
    with pytest.raises(KerasnpError, match="must differ"):
        export_onnx(model, tmp_path / "m.onnx", input_name="x", output_name="x")
    with pytest.raises(KerasnpError, match="built model"):
        export_onnx(kerasnp.Sequential([layers.Dense(2)]), tmp_path / "m.onnx")
    (tmp_path / "m.onnx").write_bytes(b"keep")
    with pytest.raises(KerasnpError, match="overwrite=False"):
        export_onnx(model, tmp_path / "m.onnx", overwrite=False)
    assert (tmp_path / "m.onnx").read_bytes() == b"keep"


def test_onnx_not_installed(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    model = kerasnp.Sequential([kerasnp.Input(shape=(3,)), layers.Dense(2)])
    with pytest.raises(KerasnpError, match=r"needs the optional package onnx.*kerasnp\[onnx\]"):
        export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
