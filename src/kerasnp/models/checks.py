"""Checks on the data given to `fit`/`evaluate`/`predict`, before any work starts.

Each check turns a classic beginner's mistake, which Keras reports late and
cryptically (or not at all), into a message that says what to do.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._errors import KerasnpError

#: Total-variation distance between the label distributions of the training
#: part and the `validation_split` part above which `fit` warns. 0.25 means a
#: quarter of the probability mass sits on different classes: far beyond what
#: a random split of even a few hundred samples gives (about 0.05 for MNIST-
#: sized classes), and what sorted data gives (close to 1).
VALIDATION_SHIFT_WARNING = 0.25


def loss_kind(loss) -> str | None:
    """`"cce"`, `"scce"`, `"bce"` or None for the compiled loss."""
    name = type(loss).__name__
    fn = getattr(loss, "fn", None)
    fn_name = getattr(fn, "__name__", "")
    for kind, cls, func in (("scce", "SparseCategoricalCrossentropy",
                             "sparse_categorical_crossentropy"),
                            ("cce", "CategoricalCrossentropy", "categorical_crossentropy"),
                            ("bce", "BinaryCrossentropy", "binary_crossentropy")):
        if name == cls or fn_name == func:
            return kind
    return None


def check_raw_inputs(model, x, where: str) -> None:
    """Warn once per model when the inputs look like unscaled pixels (0-255)."""
    arr = np.asarray(x)
    if getattr(model, "_warned_unscaled", False) or arr.size == 0 or arr.dtype.kind not in "uif":
        return
    sample = arr[:1000]
    hi, lo = float(np.max(sample)), float(np.min(sample))
    # pixels: whole numbers from 0 up to a maximum near 255 (small whole
    # numbers such as counts or codes are left alone)
    unscaled = lo >= 0 and 100 <= hi <= 255 and (
        arr.dtype == np.uint8 or bool(np.all(sample == np.round(sample))))
    if unscaled:
        model._warned_unscaled = True
        warnings.warn(
            f"The inputs given to {where} look unscaled: values from 0 to "
            f"{int(np.max(sample))} ({arr.dtype}). Networks train much better on inputs in "
            "[0, 1]: use x.astype('float32') / 255.", UserWarning, stacklevel=4)


def _first_bad_index(arr: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])


def check_finite(arr: np.ndarray | None, name: str, where: str) -> None:
    """Raise if `arr` holds NaN or inf, naming the first bad index."""
    if arr is None or arr.dtype.kind != "f" or arr.size == 0:
        return
    if np.isfinite(np.min(arr)) and np.isfinite(np.max(arr)):
        return
    index = _first_bad_index(arr)
    value = arr[index]
    raise KerasnpError(
        f"{name} given to {where} contains {value} at index {index}"
        f"{' (and maybe more)' if arr.size > 1 else ''}. Remove or replace non-finite values "
        f"before training, e.g. with np.nan_to_num({name}) or by dropping those rows.")


def check_input_shape(model, x: np.ndarray, where: str) -> None:
    expected = model.input_shape
    if expected is None or len(expected) < 2:
        return
    got, want = x.shape[1:], tuple(expected[1:])
    if len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want, strict=True)):
        return
    hint = ""
    if len(want) == 1 and len(got) > 1 and want[0] == int(np.prod(got)):
        hint = (" Flatten each sample first: x.reshape(len(x), -1), or start the model with "
                "layers.Flatten().")
    raise KerasnpError(
        f"Input shape mismatch in {where}: the model expects samples of shape {want} "
        f"(input shape {tuple(expected)}), but x has shape {x.shape}.{hint}")


def check_targets(model, x: np.ndarray, y: np.ndarray, where: str) -> None:
    """The labels must fit the loss and the output layer."""
    out_shape = model.output_shape
    if out_shape is None:
        return
    units = out_shape[-1]
    kind = loss_kind(model.loss)
    loss_name = {"scce": "sparse_categorical_crossentropy",
                 "cce": "categorical_crossentropy", "bce": "binary_crossentropy"}.get(kind)
    if len(out_shape) > 2 and y.ndim < len(out_shape) - (kind == "scce") and x.ndim > 2:
        raise KerasnpError(
            f"The model's output has shape {tuple(out_shape)} but y has shape {y.shape} in "
            f"{where}: Dense acts on the last axis only, so unflattened images give one "
            "output per row of pixels. Add layers.Flatten() as the first layer, or flatten "
            "the data: x.reshape(len(x), -1).")
    if kind in ("cce", "scce") and units == 1:
        raise KerasnpError(
            f"{loss_name} needs one output unit per class, but the model's last layer has 1 "
            "unit (the loss would always be 0). For two classes use Dense(1, "
            "activation='sigmoid') with loss='binary_crossentropy'; for K classes use "
            "Dense(K, activation='softmax').")
    if kind == "scce":
        if y.ndim == len(out_shape) and y.shape[-1] == units and units > 1:
            raise KerasnpError(
                f"sparse_categorical_crossentropy expects integer class labels (shape "
                f"{y.shape[:-1]}), but y in {where} has shape {y.shape}: it looks one-hot "
                "encoded. Use loss='categorical_crossentropy' with one-hot labels, or turn "
                "them back into integers with np.argmax(y, axis=1).")
        labels = y.reshape(y.shape[0], -1) if y.ndim >= len(out_shape) else y
        _check_label_range(labels, units, where)
    elif kind == "cce":
        if y.ndim < len(out_shape) or (y.shape[-1] == 1 and units > 1):
            raise KerasnpError(
                f"categorical_crossentropy expects one-hot labels of shape "
                f"(n, {units}), but y in {where} has shape {y.shape}: it looks like integer "
                "class labels. Use loss='sparse_categorical_crossentropy' with integer labels, "
                "or one-hot encode them with kerasnp.utils.to_categorical(y, "
                f"num_classes={units}).")
        if y.shape[-1] != units:
            raise KerasnpError(
                f"y in {where} has {y.shape[-1]} columns (one-hot classes) but the model's "
                f"last layer has {units} units. Make them equal: Dense({y.shape[-1]}, "
                f"activation='softmax'), or to_categorical(y, num_classes={units}).")


def _check_label_range(labels: np.ndarray, units: int, where: str) -> None:
    if labels.size == 0:
        return
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        raise KerasnpError(
            f"sparse_categorical_crossentropy expects integer class labels, but y in {where} "
            "holds fractional values. Use integer labels 0..K-1, or a regression loss "
            "such as 'mse'.")
    lo, hi = labels.min(), labels.max()
    if lo < 0 or hi >= units:
        bad = lo if lo < 0 else hi
        fix = f"use Dense({int(hi) + 1}) for {int(hi) + 1} classes, or " if hi >= units else ""
        raise KerasnpError(
            f"Label {int(bad)} in y given to {where} is outside [0, {units}): the model's last "
            f"layer has {units} units, one per class. Labels must be 0..{units - 1}; {fix}"
            "re-map the labels (e.g. with np.unique(y, return_inverse=True)).")


def check_output_activation(model) -> None:
    """Warn once when a probability loss follows an output with no softmax/sigmoid."""
    kind = loss_kind(model.loss)
    if kind is None or getattr(model.loss, "from_logits", False):
        return
    if getattr(model, "_warned_activation", False):
        return
    from .. import activations

    last = model._last_layer()
    act = getattr(last, "activation", None)
    if act is None or act in (activations.softmax, activations.sigmoid):
        return
    model._warned_activation = True
    name = getattr(act, "__name__", str(act))
    warnings.warn(
        f"The loss expects probabilities (from_logits=False), but the last layer "
        f"'{last.name}' has activation '{name}'. Use activation='softmax' (or 'sigmoid' for "
        "binary_crossentropy) on the last layer, or pass from_logits=True to the loss, e.g. "
        "keras.losses.SparseCategoricalCrossentropy(from_logits=True).",
        UserWarning, stacklevel=4)


def class_labels(y: np.ndarray) -> np.ndarray | None:
    """Class indices of classification targets, or None for regression targets."""
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y.reshape(-1, y.shape[-1]), axis=1)
    flat = y.reshape(-1)
    if flat.dtype.kind in "iu" or (flat.size and np.all(flat == np.round(flat))
                                   and flat.min() >= 0 and flat.max() < 1000):
        return flat.astype(np.int64)
    return None


def check_validation_split(y_train: np.ndarray, y_val: np.ndarray, split: float) -> None:
    """Warn when the last `split` of the data is unlike the rest (e.g. sorted data)."""
    a, b = class_labels(y_train), class_labels(y_val)
    if a is None or b is None or a.size == 0 or b.size == 0:
        return
    k = int(max(a.max(), b.max())) + 1
    pa = np.bincount(a, minlength=k) / a.size
    pb = np.bincount(b, minlength=k) / b.size
    # A class missing from one part counts only when chance alone would
    # almost surely have put a few of its samples there (expected count >= 5),
    # and the distance only beyond what sampling noise gives for this size.
    only_train = np.flatnonzero((pa * b.size >= 5) & (pb == 0))
    only_val = np.flatnonzero((pb * a.size >= 5) & (pa == 0))
    distance = 0.5 * float(np.abs(pa - pb).sum())
    noise = 2.0 * np.sqrt(k / b.size)
    if not (only_train.size or only_val.size
            or distance > max(VALIDATION_SHIFT_WARNING, noise)):
        return
    what = []
    if only_val.size:
        what.append(f"classes {only_val.tolist()} appear only in the validation part")
    if only_train.size:
        what.append(f"classes {only_train.tolist()} never appear in the validation part")
    what.append(f"the label distributions differ by {distance:.0%} (total variation)")
    warnings.warn(
        f"validation_split={split} holds out the LAST {split:.0%} of the data, before any "
        f"shuffling, and that slice is unlike the rest: {'; '.join(what)}. The data looks "
        "sorted, so val_accuracy will mislead. Shuffle first (p = np.random.permutation("
        "len(x)); x, y = x[p], y[p]) or split with kerasnp.utils.train_test_split(x, y, "
        "test_size=0.2, stratify=y) and pass validation_data.", UserWarning, stacklevel=3)


def check_data(model, x: np.ndarray, y: np.ndarray | None, where: str) -> None:
    """All checks on arrays already converted by `models.data`."""
    check_input_shape(model, x, where)
    check_finite(x, "x", where)
    if y is not None:
        check_finite(y, "y", where)
        if model.loss is not None:
            check_targets(model, x, y, where)
            check_output_activation(model)
