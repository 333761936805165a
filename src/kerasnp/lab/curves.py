"""`LearningCurves`: every logged quantity of a run, aligned on the epochs that ran.

One float64 array per logged name, NaN where a value was not recorded, and a
mask that tells "not recorded" (``NA`` in a CSVLogger file, a shorter
``val_*`` list with ``validation_freq > 1``) apart from a recorded NaN or inf
(a diverged run). The readers in `history_io` build it; the rules, plots and
reports read it. Also here: how logged names split into role and metric.

Example:
    >>> c = LearningCurves({"loss": [1.0, 0.5], "val_loss": [float("nan"), 0.7]},
    ...                    recorded={"val_loss": [False, True]})
    >>> c.points("val_loss")
    (array([1]), array([0.7]))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._errors import KerasnpError, closest

LR_KEYS = ("learning_rate", "lr")
ACCURACY_NAMES = (
    "accuracy",
    "acc",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "binary_accuracy",
)
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "iou", "r2")


class LearningCurves:
    """Per-epoch values of every logged name, aligned on the epochs that ran.

    Args:
        values: name -> sequence of floats, one per epoch (NaN = not recorded
            unless `recorded` says otherwise).
        epochs: the epoch indices that ran, 0-based as in Keras's
            ``History.epoch`` (``initial_epoch`` shifts them). Defaults to
            ``0 .. n-1``.
        params: the ``History.params`` dict (``epochs``, ``steps``, ...).
        recorded: name -> bool mask of the values that were logged.
        source: where the curves came from, for messages.
    """

    def __init__(
        self,
        values: Mapping[str, Sequence[float]],
        epochs: Sequence[int] | None = None,
        params: Mapping[str, Any] | None = None,
        recorded: Mapping[str, Sequence[bool]] | None = None,
        source: str = "dict",
    ):
        self._values = {
            str(k): np.asarray(v, dtype=np.float64).reshape(-1) for k, v in values.items()
        }
        lengths = {len(v) for v in self._values.values()}
        n = len(epochs) if epochs is not None else (lengths.pop() if lengths else 0)
        if any(len(v) != n for v in self._values.values()):
            raise KerasnpError(
                f"every curve must have one value per epoch ({n}); got lengths "
                f"{ {k: len(v) for k, v in self._values.items()} }"
            )
        self.epochs = (
            np.arange(n) if epochs is None else np.asarray([int(e) for e in epochs], dtype=np.int64)
        )
        self._recorded = {
            k: (np.asarray(recorded[k], dtype=bool) if recorded and k in recorded else ~np.isnan(v))
            for k, v in self._values.items()
        }
        self.params = dict(params or {})
        self.source = source

    # -- access ---------------------------------------------------------------
    @property
    def n_epochs(self) -> int:
        """Number of epochs that ran."""
        return len(self.epochs)

    @property
    def keys(self) -> list[str]:
        """The logged names, in the order they were given (Keras sorts them)."""
        return list(self._values)

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._values:
            hint = closest(name, self.keys)
            raise KerasnpError(
                f"no curve named {name!r} in {self.source}"
                + (f"; did you mean {hint!r}?" if hint else "")
                + f" Available: {', '.join(self.keys) or 'none'}"
            )
        return self._values[name].copy()

    def recorded(self, name: str) -> np.ndarray:
        """Bool mask of the epochs at which `name` was logged (NaN and inf included)."""
        self[name]  # noqa: B018  (raises the helpful error for unknown names)
        return self._recorded[name].copy()

    def points(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, values)`` of the recorded points of `name` (positions index epochs)."""
        mask = self.recorded(name)
        return np.flatnonzero(mask), self._values[name][mask]

    @property
    def name(self) -> str:
        """A short name for titles: the file name for files, else "run"."""
        if any(sep in self.source for sep in ("/", "\\")) or self.source.endswith(
            (".csv", ".json", ".log", ".txt")
        ):
            return self.source.replace("\\", "/").rsplit("/", 1)[-1]
        return "run"

    def display_epoch(self, position: int) -> int:
        """1-based epoch number, as Keras prints it ("Epoch 3/10"), of a position."""
        return int(self.epochs[position]) + 1

    def with_values(
        self,
        extra: Mapping[str, Sequence[float]],
        *,
        prefix: str = "",
        validation_freq: int | None = None,
    ) -> LearningCurves:
        """A copy with more curves (e.g. a separate ``train_eval`` dict under ``eval_``)."""
        from .history_io import from_dict

        other = from_dict(
            {prefix + k: v for k, v in extra.items()},
            epoch=list(self.epochs),
            validation_freq=validation_freq,
        )
        values = {**self._values, **other._values}
        recorded = {**self._recorded, **other._recorded}
        return LearningCurves(values, self.epochs, self.params, recorded, self.source)

    def to_dict(self) -> dict:
        """``{"history": {name: [float or None]}, "epoch": [...], "params": {...}}`` (JSON-able).

        Not-recorded values become None; recorded NaN/inf stay floats.
        """
        hist = {
            k: [float(x) if r else None for x, r in zip(v, self._recorded[k], strict=True)]
            for k, v in self._values.items()
        }
        return {
            "history": hist,
            "epoch": [int(e) for e in self.epochs],
            "params": _jsonable(self.params),
        }

    def __repr__(self) -> str:
        return f"<LearningCurves epochs={self.n_epochs} keys={self.keys} from {self.source}>"


# -- names -------------------------------------------------------------------


def split_key(name: str) -> tuple[str, str]:
    """``(role, base)`` of a logged name: role is train, val, eval or schedule.

    >>> split_key("val_accuracy"), split_key("eval_loss"), split_key("lr")
    (('val', 'accuracy'), ('eval', 'loss'), ('schedule', 'lr'))
    """
    if name in LR_KEYS:
        return "schedule", name
    for prefix, role in (("val_", "val"), ("eval_", "eval")):
        if name.startswith(prefix) and len(name) > len(prefix):
            return role, name[len(prefix) :]
    return "train", name


def groups(curves: LearningCurves) -> dict[str, dict[str, str]]:
    """``{base: {role: key}}`` with ``loss`` first, then the metrics in logged order."""
    out: dict[str, dict[str, str]] = {}
    for key in sorted(curves.keys, key=lambda k: (split_key(k)[1] != "loss",)):
        role, base = split_key(key)
        if role != "schedule":
            out.setdefault(base, {})[role] = key
    return out


def best_val_position(curves: LearningCurves) -> int | None:
    """Position of the lowest finite ``val_loss``, or None without one."""
    if "val_loss" not in curves:
        return None
    pos, vals = curves.points("val_loss")
    ok = np.isfinite(vals)
    return int(pos[ok][np.argmin(vals[ok])]) if ok.any() else None


def marked(curves: LearningCurves, key: str) -> np.ndarray:
    """The curve with recorded NaN turned into inf, so that charts mark it as bad."""
    y = curves[key]
    y[curves.recorded(key) & np.isnan(y)] = np.inf
    return y


def higher_is_better(base: str) -> bool:
    """True for accuracy-like metrics, False for losses and errors."""
    b = base.lower()
    return any(tag in b for tag in _HIGHER_IS_BETTER) and "error" not in b


def _jsonable(obj: Any) -> Any:
    """A JSON-able copy: NumPy scalars to Python, tuples to lists, others to str."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic | np.ndarray):
        return _jsonable(obj.tolist())
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return str(obj)
