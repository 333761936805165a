"""The lab's data: load a dataset, choose a subset, split it, and preprocess it the same way
at training and at prediction time.

Datasets (`load_dataset`):

- ``mnist`` (bundled) and ``fashion_mnist`` (found on disk or downloaded once);
- an ``.npz`` file with ``x_train`` and ``y_train``, and optionally ``x_test`` and
  ``y_test``; images may be ``(n, h, w)`` or ``(n, h, w, c)``;
- a ``.csv`` file, one sample per row: the label in a column named ``label``
  (any position) or, without such a header, in the first column; every other
  column is a feature. A header row is recognised by its non-numeric cells.
  Labels may be integers ``0 .. K-1`` or names (sorted names become
  ``0 .. K-1`` and are kept as the class names). A CSV has no test set.

`Preprocessing` is what `predict` must repeat: the scaling (``x / 255`` for
images of 8-bit pixels, a per-feature standardisation with the training
mean and standard deviation, or nothing), flattening, the image shape, the
class names. It is saved as JSON in the run folder and inside the model file.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import KerasnpError
from ..utils.random import make_rng

BUILTIN = {"mnist": "mnist", "fashion_mnist": "fashion_mnist", "fashion-mnist": "fashion_mnist"}
SCALES = ("auto", "255", "standardize", "none")


@dataclasses.dataclass
class Dataset:
    """Raw arrays as loaded, before any subset or scaling."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    class_names: list[str] | None = None
    image_shape: tuple[int, ...] | None = None


def load_dataset(spec: str, *, image_shape: tuple[int, ...] | None = None) -> Dataset:
    """`mnist`, `fashion_mnist`, or the path of an ``.npz`` or ``.csv`` file (see module doc).

    Raises:
        KerasnpError: an unknown name, a missing file, or a file without the
            expected arrays or columns (the message says what was found).
    """
    key = str(spec).strip()
    if key.lower() in BUILTIN:
        from .. import datasets

        which = BUILTIN[key.lower()]
        (x, y), (xt, yt) = getattr(datasets, which).load_data()
        names = (
            list(datasets.fashion_mnist.CLASS_NAMES)
            if which == "fashion_mnist"
            else [str(i) for i in range(10)]
        )
        return Dataset(which, x, y, xt, yt, names, tuple(x.shape[1:]))
    path = Path(key)
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".csv"):
        raise KerasnpError(
            f"Unknown dataset {spec!r}: expected `mnist`, `fashion_mnist`, or the path of an "
            "`.npz` file (x_train, y_train[, x_test, y_test]) or a `.csv` file (label "
            "column first, or named 'label')."
        )
    if not path.is_file():
        raise KerasnpError(f"Dataset file not found: {spec!r}")
    ds = _load_npz(path) if suffix == ".npz" else _load_csv(path)
    if image_shape is not None:
        size = int(np.prod(ds.x_train.shape[1:]))
        if int(np.prod(image_shape)) != size:
            raise KerasnpError(
                f"--image-shape {'x'.join(map(str, image_shape))} has "
                f"{int(np.prod(image_shape))} pixels, but each sample of {spec} has {size} "
                "values."
            )
        ds.image_shape = tuple(image_shape)
    return ds


def _load_npz(path: Path) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError) as exc:
        raise KerasnpError(f"Cannot read {path} as an .npz file: {exc}") from None
    missing = [k for k in ("x_train", "y_train") if k not in arrays]
    if missing:
        raise KerasnpError(
            f"{path} has no {' and no '.join(missing)}: an .npz dataset needs the arrays "
            f"x_train and y_train (and optionally x_test, y_test). Found: "
            f"{', '.join(sorted(arrays)) or 'nothing'}"
        )
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise KerasnpError(f"{path}: x_test and y_test must come together.")
    x, y = arrays["x_train"], arrays["y_train"]
    xt, yt = arrays.get("x_test"), arrays.get("y_test")
    y, names = _labels(y, f"{path} y_train")
    if yt is not None:
        yt, _ = _labels(yt, f"{path} y_test", names)
        if xt.shape[1:] != x.shape[1:]:
            raise KerasnpError(
                f"{path}: x_test samples have shape {xt.shape[1:]}, x_train samples {x.shape[1:]}."
            )
    image = tuple(x.shape[1:]) if x.ndim in (3, 4) else None
    return Dataset(path.name, x, y, xt, yt, names, image)


def _load_csv(path: Path) -> Dataset:
    text = path.read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    if not rows:
        raise KerasnpError(f"{path} is empty.")
    header = None
    if any(not _is_number(c) for c in rows[0]):
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    if not rows:
        raise KerasnpError(f"{path} has a header but no data rows.")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise KerasnpError(
                f"{path}, data row {i + 1}: {len(row)} fields, the first row has {width}."
            )
    if width < 2:
        raise KerasnpError(f"{path}: needs a label column and at least one feature column.")
    label_col = header.index("label") if header and "label" in header else 0
    labels = [row[label_col].strip() for row in rows]
    feats = [[c for j, c in enumerate(row) if j != label_col] for row in rows]
    try:
        x = np.asarray(feats, dtype=np.float32)
    except ValueError:
        bad = next((i, c) for i, row in enumerate(feats) for c in row if not _is_number(c))
        raise KerasnpError(
            f"{path}, data row {bad[0] + 1}: feature value {bad[1]!r} is not a number."
        ) from None
    if all(_is_number(v) for v in labels):
        y_raw: Any = np.asarray([float(v) for v in labels])
    else:
        y_raw = np.asarray(labels)
    y, names = _labels(y_raw, f"{path} labels")
    return Dataset(path.name, x, y, None, None, names, None)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _labels(y: Any, where: str, names: list[str] | None = None) -> tuple[np.ndarray, Any]:
    """Integer labels 0..K-1 (one-hot rows and class names are converted)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1:
        raise KerasnpError(f"{where}: expected one label per sample, got shape {y.shape}.")
    if y.dtype.kind in "USO":
        known = names or sorted({str(v) for v in y})
        index = {n: i for i, n in enumerate(known)}
        unknown = sorted({str(v) for v in y} - set(index))
        if unknown:
            raise KerasnpError(f"{where}: labels {unknown[:5]} are not among {known}.")
        return np.asarray([index[str(v)] for v in y], dtype=np.int64), known
    if y.dtype.kind == "f" and not (np.all(np.isfinite(y)) and np.all(y == np.round(y))):
        raise KerasnpError(
            f"{where}: labels must be whole numbers 0 .. K-1 (class indices) or class "
            "names; found fractional or NaN values."
        )
    y = y.astype(np.int64)
    if len(y) and y.min() < 0:
        raise KerasnpError(f"{where}: labels must be 0 .. K-1; found {int(y.min())}.")
    return y, names


# -- preprocessing -------------------------------------------------------------


@dataclasses.dataclass
class Preprocessing:
    """How raw samples become model inputs; saved with the model so `predict` repeats it.

    Attributes:
        scale: ``"255"`` (divide by 255), ``"standardize"`` (``(x - mean) / std``
            per feature, with the training statistics) or ``"none"``.
        sample_shape: the shape of one raw sample, e.g. ``[28, 28]``.
        input_dim: the flattened size the model takes.
        num_classes: K.
        image_shape: the image layout (``[h, w]`` or ``[h, w, c]``) for image
            inputs, else None.
        class_names: label names, index = class.
        background: ``"dark"`` or ``"light"``: the training images' usual
            border, so `predict` can notice inverted images.
        dataset: where the training data came from.
        mean, std: per-feature statistics for ``"standardize"``.
    """

    scale: str
    sample_shape: list[int]
    input_dim: int
    num_classes: int
    image_shape: list[int] | None = None
    class_names: list[str] | None = None
    background: str | None = None
    dataset: str | None = None
    mean: list[float] | None = None
    std: list[float] | None = None

    def apply(self, x: Any) -> np.ndarray:
        """Raw samples ``(n, *sample_shape)`` or ``(n, input_dim)`` -> float32 ``(n, input_dim)``.

        Raises:
            KerasnpError: samples of another size, with the expected shape.
        """
        x = np.asarray(x, dtype=np.float32)
        n = x.shape[0] if x.ndim else 0
        if x.ndim < 1 or int(np.prod(x.shape[1:])) != self.input_dim:
            raise KerasnpError(
                f"expected samples of shape {tuple(self.sample_shape)} (or {self.input_dim} "
                f"values each); received an array of shape {x.shape}."
            )
        x = x.reshape(n, self.input_dim)
        if self.scale == "255":
            return x / np.float32(255.0)
        if self.scale == "standardize":
            mean = np.asarray(self.mean, dtype=np.float32)
            std = np.asarray(self.std, dtype=np.float32)
            return (x - mean) / std
        return x

    def describe(self) -> str:
        """One line for people: "x / 255, 28x28 images flattened to 784 values"."""
        how = {
            "255": "x / 255",
            "standardize": "(x - mean) / std per feature (training statistics)",
            "none": "no scaling",
        }[self.scale]
        shape = "x".join(map(str, self.sample_shape))
        kind = "images" if self.image_shape else "samples"
        return f"{how}; {shape} {kind} flattened to {self.input_dim} values"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessing:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)


def fit_preprocessing(ds: Dataset, x_train: np.ndarray, scale: str = "auto") -> Preprocessing:
    """Choose the scaling from the training samples (``auto``: see `choose_scale`)."""
    if scale not in SCALES:
        raise KerasnpError(f"unknown scale {scale!r}: expected one of {', '.join(SCALES)}")
    if scale == "auto":
        scale = choose_scale(x_train)
    flat = x_train.reshape(len(x_train), -1).astype(np.float64)
    mean = std = None
    if scale == "standardize":
        mean = flat.mean(axis=0)
        std = flat.std(axis=0)
        std[std < 1e-8] = 1.0  # a constant feature stays at 0 instead of dividing by 0
        mean, std = mean.astype(np.float32).tolist(), std.astype(np.float32).tolist()
    background = None
    if ds.image_shape is not None and len(x_train):
        imgs = x_train.reshape((len(x_train),) + tuple(ds.image_shape)).astype(np.float64)
        border = np.concatenate(
            [imgs[:, 0].reshape(len(imgs), -1), imgs[:, -1].reshape(len(imgs), -1)], axis=1
        )
        top = 255.0 if scale == "255" else float(np.max(imgs)) or 1.0
        background = "dark" if np.median(border) < top / 2 else "light"
    k = int(max(int(ds.y_train.max()) + 1 if len(ds.y_train) else 0, len(ds.class_names or [])))
    return Preprocessing(
        scale=scale,
        sample_shape=[int(s) for s in x_train.shape[1:]],
        input_dim=int(np.prod(x_train.shape[1:])),
        num_classes=max(k, 2),
        image_shape=list(ds.image_shape) if ds.image_shape else None,
        class_names=list(ds.class_names) if ds.class_names else None,
        background=background,
        dataset=ds.name,
        mean=mean,
        std=std,
    )


def choose_scale(x: np.ndarray) -> str:
    """``"255"`` for 8-bit pixel data, ``"none"`` for data already in about [-1, 1],
    else ``"standardize"``."""
    if not len(x):
        return "none"
    lo, hi = float(np.min(x)), float(np.max(x))
    whole = x.dtype.kind in "iu" or bool(np.all(x == np.round(x)))
    if lo >= 0 and 1 < hi <= 255 and whole:
        return "255"
    if lo >= -1.5 and hi <= 1.5:
        return "none"
    return "standardize"


# -- subsets and splits ------------------------------------------------------------


@dataclasses.dataclass
class Prepared:
    """Preprocessed arrays for one experiment, and how they were made."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    preprocessing: Preprocessing
    info: dict[str, Any]

    @property
    def num_classes(self) -> int:
        return self.preprocessing.num_classes


def prepare(
    ds: Dataset,
    *,
    subset: int | None = None,
    validation_split: float = 0.2,
    validation_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    scale: str = "auto",
) -> Prepared:
    """Subset, split and preprocess a dataset; the same seed gives the same samples.

    `subset` training samples are drawn at random (all when None); the last
    `validation_split` of them (or, with `validation_size`, that many further
    samples of the training set) are held out for validation. `test_size`
    caps the test set (a random subset). The scaling is fitted on the
    training part only.
    """
    n = len(ds.x_train)
    order = make_rng(seed).permutation(n)
    take = n if subset is None else min(subset, n)
    if subset is not None and subset < 2:
        raise KerasnpError(f"--subset must be at least 2; received {subset}.")
    chosen = order[:take]
    if validation_size:
        val_idx = order[take : take + validation_size]
        if len(val_idx) < validation_size:
            raise KerasnpError(
                f"validation_size={validation_size} does not fit: the training set has "
                f"{n} samples and the subset takes {take}."
            )
        train_idx = chosen
    elif validation_split:
        n_val = int(math.floor(take * validation_split))
        if n_val < 1 or n_val >= take:
            raise KerasnpError(
                f"validation split {validation_split} of {take} samples leaves "
                f"{n_val} for validation; use a larger subset or split."
            )
        train_idx, val_idx = chosen[: take - n_val], chosen[take - n_val :]
    else:
        train_idx, val_idx = chosen, np.zeros(0, dtype=int)
    xr = ds.x_train[train_idx]
    pre = fit_preprocessing(ds, xr, scale)
    x_val = y_val = x_test = y_test = None
    if len(val_idx):
        x_val, y_val = pre.apply(ds.x_train[val_idx]), ds.y_train[val_idx]
    if ds.x_test is not None:
        t = np.arange(len(ds.x_test))
        if test_size is not None and test_size < len(t):
            t = np.sort(make_rng(seed + 1).permutation(len(t))[:test_size])
        x_test, y_test = pre.apply(ds.x_test[t]), ds.y_test[t]
    info = {
        "dataset": ds.name,
        "train_samples": int(len(train_idx)),
        "validation_samples": int(len(val_idx)),
        "test_samples": 0 if x_test is None else int(len(x_test)),
        "subset": subset,
        "validation_split": None if validation_size else validation_split,
        "validation_size": validation_size,
        "seed": seed,
        "preprocessing": pre.describe(),
    }
    return Prepared(pre.apply(xr), ds.y_train[train_idx], x_val, y_val, x_test, y_test, pre, info)
