"""`model.summary()`: Keras's table of layers, output shapes and parameters."""

from __future__ import annotations

import shutil
from typing import Any


def _size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes < 1024 or unit == "TB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} TB"


def _shape(shape: Any) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _row(cells: list[str], widths: list[int], aligns: list[str], sep: str = "│") -> str:
    parts = []
    for cell, width, align in zip(cells, widths, aligns, strict=True):
        text = cell if len(cell) <= width - 2 else cell[: width - 3] + "…"
        parts.append(" " + (text.rjust(width - 2) if align == "r" else text.ljust(width - 2))
                     + " ")
    return sep + sep.join(parts) + sep


def print_summary(model: Any, line_length: int | None = None, positions: Any = None,
                  print_fn: Any = None) -> None:
    """Write the summary table of a Sequential model with `print_fn` (default `print`)."""
    if line_length is None:
        line_length = min(88, shutil.get_terminal_size((80, 24)).columns - 4)
    positions = positions or [0.45, 0.80, 1.0]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    # cell widths such that the three cells and four borders fill line_length
    widths = [positions[0] - 1, positions[1] - positions[0] - 2, positions[2] - positions[1] - 1]
    built = model.built
    rows = []
    shape = model.input_shape
    for layer in model.layers:
        if built and shape is not None:
            shape = layer.compute_output_shape(shape)
            params = f"{layer.count_params():,}"
            out = _shape(shape)
        else:
            params, out = "0 (unbuilt)", "?"
        rows.append([f"{layer.name} ({type(layer).__name__})", out, params])
    aligns = ["l", "l", "r"]
    lines = [f'Model: "{model.name}"']
    lines.append("┏" + "┳".join("━" * w for w in widths) + "┓")
    lines.append(_row(["Layer (type)", "Output Shape", "Param #"], widths, aligns, "┃"))
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, row in enumerate(rows):
        lines.append(_row(row, widths, aligns))
        if i < len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    if built:
        itemsize = 4
        trainable = sum(v.value.size for v in model.trainable_weights)
        total = sum(v.value.size for v in model.weights)
        non_trainable = total - trainable
        itemsize = model.weights[0].value.itemsize if model.weights else 4
        opt = getattr(model, "optimizer", None)
        opt_count = opt.count_params() if opt is not None and hasattr(opt, "count_params") else 0
        lines.append(f" Total params: {total + opt_count:,} "
                     f"({_size((total + opt_count) * itemsize)})")
        lines.append(f" Trainable params: {trainable:,} ({_size(trainable * itemsize)})")
        lines.append(f" Non-trainable params: {non_trainable:,} "
                     f"({_size(non_trainable * itemsize)})")
        if opt_count:
            lines.append(f" Optimizer params: {opt_count:,} ({_size(opt_count * itemsize)})")
    else:
        lines.append(" Total params: 0 (unbuilt)")
    text = "\n".join(lines)
    if print_fn is None:
        print(text)
    else:
        print_fn(text + "\n")
