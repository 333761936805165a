"""`export_onnx(model, path)`: the model's forward pass as an ONNX graph.

The graph is built node by node with the `onnx` package's helper API
(optional: `pip install kerasnp[onnx]`), one small lowering per layer:

    Dense        MatMul (+ Add) then its activation
    Activation   the activation
    Flatten      Flatten(axis=1)
    Reshape      Reshape to [0, *target_shape] (0 keeps the batch size)
    Dropout      nothing: inference is the identity

Activations map to one ONNX operator where one exists (Relu, Sigmoid,
Tanh, Softmax, LogSoftmax, Elu, Selu, Softplus, Softsign, Exp, LeakyRelu,
HardSigmoid; relu6 is Clip) and are composed otherwise: silu/swish is
`x * Sigmoid(x)`, exact gelu `0.5 * x * (1 + Erf(x / sqrt(2)))`.

The input is named "input" and the output "output" (changeable); the batch
axis is the symbolic dimension "batch", so any batch size runs. The default
opset is 17, which every current ONNX runtime supports; 13 or later works.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import activations
from .._errors import KerasnpError, check_bool, check_int
from .atomic import atomic_write

#: The opset written by default: supported by onnxruntime >= 1.14 and most runtimes.
DEFAULT_OPSET = 17
#: Softmax with `axis=-1` on any rank, and Clip with tensor bounds, need opset 13.
MIN_OPSET = 13


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise KerasnpError(
            "export_onnx needs the optional package onnx, which is not installed: "
            "`pip install kerasnp[onnx]` (or `pip install onnx`)."
        ) from exc
    return onnx


class _Graph:
    """The nodes and constants of the graph under construction."""

    def __init__(self, onnx: Any, dtype: np.dtype):
        self.onnx = onnx
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()

    def name(self, hint: str) -> str:
        """A tensor or node name not used yet, based on `hint`."""
        name, k = hint, 1
        while name in self._names:
            name, k = f"{hint}_{k}", k + 1
        self._names.add(name)
        return name

    def constant(self, hint: str, value: Any, dtype: Any = None) -> str:
        name = self.name(hint)
        array = np.asarray(value, dtype=dtype or self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str, **attributes: Any) -> str:
        """Add one node; returns the name of its output."""
        output = self.name(hint)
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, inputs, [output], name=self.name(f"{hint}/{op_type}"), **attributes
            )
        )
        return output


# ------------------------------------------------------------------ activations
def _gelu(g: _Graph, x: str, at: str) -> str:
    scaled = g.op("Mul", [x, g.constant(f"{at}/inv_sqrt2", 1.0 / math.sqrt(2.0))], f"{at}/scaled")
    erf = g.op("Erf", [scaled], f"{at}/erf")
    one_plus = g.op("Add", [erf, g.constant(f"{at}/one", 1.0)], f"{at}/one_plus_erf")
    half_x = g.op("Mul", [x, g.constant(f"{at}/half", 0.5)], f"{at}/half_x")
    return g.op("Mul", [half_x, one_plus], f"{at}/gelu")


def _silu(g: _Graph, x: str, at: str) -> str:
    return g.op("Mul", [x, g.op("Sigmoid", [x], f"{at}/sigmoid")], f"{at}/silu")


def _relu6(g: _Graph, x: str, at: str) -> str:
    low, high = g.constant(f"{at}/zero", 0.0), g.constant(f"{at}/six", 6.0)
    return g.op("Clip", [x, low, high], f"{at}/relu6")


def _single(op_type: str, **attributes: Any) -> Callable[[_Graph, str, str], str]:
    def lower(g: _Graph, x: str, at: str) -> str:
        return g.op(op_type, [x], f"{at}/{op_type.lower()}", **attributes)

    return lower


_ACTIVATIONS: dict[Callable, Callable[[_Graph, str, str], str]] = {
    activations.relu: _single("Relu"),
    activations.sigmoid: _single("Sigmoid"),
    activations.tanh: _single("Tanh"),
    activations.softmax: _single("Softmax", axis=-1),
    activations.log_softmax: _single("LogSoftmax", axis=-1),
    activations.elu: _single("Elu", alpha=1.0),
    # ONNX's Selu defaults are the constants of Klambauer et al.; written out for clarity
    activations.selu: _single("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805),
    activations.softplus: _single("Softplus"),
    activations.softsign: _single("Softsign"),
    activations.exponential: _single("Exp"),
    activations.leaky_relu: _single("LeakyRelu", alpha=0.2),
    activations.hard_sigmoid: _single("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    activations.relu6: _relu6,
    activations.silu: _silu,
    activations.gelu: _gelu,
}


def _activation(g: _Graph, fn: Callable, x: str, at: str) -> str:
    if fn is activations.linear:
        return x
    return _ACTIVATIONS[fn](g, x, at)


# ----------------------------------------------------------------------- layers
def _problems(model: Any) -> list[str]:
    """Every layer or activation the exporter cannot lower (empty when all can)."""
    from ..layers import Activation, Dense, Dropout, Flatten, Reshape

    problems = []
    for layer in model.layers:
        if layer.dtype != model.dtype:
            problems.append(
                f"layer '{layer.name}' computes in {layer.dtype} inside a {model.dtype} "
                "model (an ONNX graph has one float type)"
            )
        if type(layer) not in (Dense, Activation, Dropout, Flatten, Reshape):
            problems.append(
                f"layer '{layer.name}' is a {type(layer).__name__}, which has no ONNX "
                "lowering (supported: Dense, Activation, Dropout, Flatten, Reshape)"
            )
            continue
        fn = getattr(layer, "activation", activations.linear)
        if fn is not activations.linear and fn not in _ACTIVATIONS:
            problems.append(
                f"layer '{layer.name}' uses the activation "
                f"{getattr(fn, '__name__', fn)!r}, which has no ONNX lowering"
            )
    return problems


def _lower_layer(g: _Graph, layer: Any, x: str) -> str:
    kind = type(layer).__name__
    at = layer.name
    if kind == "Dense":
        y = g.op("MatMul", [x, g.constant(f"{at}/kernel", layer.kernel.value)], f"{at}/matmul")
        if layer.bias is not None:
            y = g.op("Add", [y, g.constant(f"{at}/bias", layer.bias.value)], f"{at}/bias_add")
        return _activation(g, layer.activation, y, at)
    if kind == "Activation":
        return _activation(g, layer.activation, x, at)
    if kind == "Flatten":
        return g.op("Flatten", [x], f"{at}/flatten", axis=1)
    if kind == "Reshape":
        shape = g.constant(f"{at}/shape", [0, *layer.target_shape], dtype=np.int64)
        return g.op("Reshape", [x, shape], f"{at}/reshape")
    return x  # Dropout: the identity at inference


# ----------------------------------------------------------------------- export
def export_onnx(
    model: Any,
    filepath: Any,
    opset: int = DEFAULT_OPSET,
    input_name: str = "input",
    output_name: str = "output",
    overwrite: bool = True,
) -> None:
    """Write the model's inference graph as an ONNX file.

    The graph takes one tensor `input_name` of shape `(batch, *input_shape)`
    (the model's dtype, float32 by default; `batch` is symbolic, any size
    runs) and returns `output_name`, equal to `model.predict` up to float
    rounding. Dropout is left out (inference is the identity). The graph is
    checked with `onnx.checker` before anything is written, and the file is
    written atomically.

    Args:
        model: a built kerasnp model (give it an `Input(shape)`).
        filepath: where to write, e.g. `"model.onnx"`.
        opset: the ONNX opset (the default operator domain's version), from 13
            to the newest your `onnx` knows. Defaults to 17.
        input_name: the graph input's name. Defaults to `"input"`.
        output_name: the graph output's name. Defaults to `"output"`.
        overwrite: replace an existing file. Defaults to `True`.

    Raises:
        KerasnpError: onnx is not installed; the model is not built; a
            layer or activation has no ONNX lowering (all are listed), or
            a bad argument. Nothing is written then.

    Example:
    >>> import os, tempfile, kerasnp as keras
    >>> model = keras.Sequential([keras.Input(shape=(4,)),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> export_onnx(model, os.path.join(tempfile.mkdtemp(), "m.onnx"))  # doctest: +SKIP
    """
    onnx = _onnx()
    if not isinstance(filepath, (str, os.PathLike)):
        raise KerasnpError(
            "Invalid value for argument `filepath` of export_onnx: expected a path. "
            f"Received: filepath={filepath!r}"
        )
    path = os.fspath(filepath)
    newest = onnx.defs.onnx_opset_version()
    opset = check_int("export_onnx", "opset", opset, minimum=MIN_OPSET)
    if opset > newest:
        raise KerasnpError(
            f"Invalid value for argument `opset` of export_onnx: the installed onnx knows "
            f"opsets up to {newest}. Received: opset={opset}"
        )
    for arg, value in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(value, str) or not value:
            raise KerasnpError(
                f"Invalid value for argument `{arg}` of export_onnx: expected a non-empty "
                f"string. Received: {arg}={value!r}"
            )
    if input_name == output_name:
        raise KerasnpError("export_onnx: `input_name` and `output_name` must differ.")
    if not check_bool("export_onnx", "overwrite", overwrite) and os.path.exists(path):
        raise KerasnpError(f"{path} already exists and overwrite=False.")
    if not getattr(model, "built", False) or getattr(model, "input_shape", None) is None:
        raise KerasnpError(
            "export_onnx needs a built model with a known input shape: start the model "
            "with keras.Input(shape=...) or call model.build((None, ...)) first."
        )
    problems = _problems(model)
    if problems:
        raise KerasnpError(
            f"Cannot export the model to ONNX: {'; '.join(problems)}. Nothing was written."
        )
    dtype = np.dtype(model.dtype)
    if dtype not in (np.float32, np.float64):
        raise KerasnpError(f"export_onnx supports float32 and float64 models. Received: {dtype}")

    proto = _build(onnx, model, dtype, opset, input_name, output_name)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as exc:  # a lowering bug, never the user's input
        raise KerasnpError(f"The ONNX graph failed onnx's checker: {exc}") from exc
    data = proto.SerializeToString()
    with atomic_write(path) as f:
        f.write(data)


def _build(
    onnx: Any, model: Any, dtype: np.dtype, opset: int, input_name: str, output_name: str
) -> Any:
    from .. import __version__

    helper = onnx.helper
    g = _Graph(onnx, dtype)
    g.name(input_name)
    g.name(output_name)
    x = input_name
    for layer in model.layers:
        x = _lower_layer(g, layer, x)
    if g.nodes and x == g.nodes[-1].output[0]:
        g.nodes[-1].output[0] = output_name  # the last node writes the output directly
    else:  # no node at all (only Dropout): the output is the input
        g.nodes.append(helper.make_node("Identity", [x], [output_name], name="output/Identity"))
    elem = helper.np_dtype_to_tensor_dtype(dtype)
    shape_in = ["batch", *model.input_shape[1:]]
    shape_out = ["batch", *model.output_shape[1:]]
    graph = helper.make_graph(
        g.nodes,
        model.name,
        [helper.make_tensor_value_info(input_name, elem, shape_in)],
        [helper.make_tensor_value_info(output_name, elem, shape_out)],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        graph, opset_imports=opsets, producer_name="kerasnp", producer_version=__version__
    )
    # The oldest IR version that carries this opset, so that older runtimes load it too.
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    return proto
