"""What a lab run is (`RunConfig`) and how suggestions and variants change it.

`apply_changes` turns a suggestion's ``.changes`` (see `kerasnp.lab.suggestions`)
or a ``kerasnp compare`` variant such as ``l2=1e-3,dropout=0.3`` into the next
config; `first_applicable` picks the first suggestion that changes anything.

Example:
    >>> cfg = apply_changes(RunConfig(hidden=(128,)), {"l2": 1e-3, "hidden_factor": 2})
    >>> cfg.hidden, cfg.l2
    ((256,), 0.001)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .._errors import KerasnpError
from .diagnose import Diagnosis

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "nadam", "adamax", "adagrad", "adadelta")
#: Keras's default learning rate of each optimizer (used by the ``*_factor`` changes).
DEFAULT_LR = {
    "adam": 0.001,
    "adamw": 0.001,
    "sgd": 0.01,
    "rmsprop": 0.001,
    "nadam": 0.001,
    "adamax": 0.001,
    "adagrad": 0.001,
    "adadelta": 0.001,
}


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run (the data comes separately).

    Attributes:
        hidden: widths of the hidden Dense layers (ReLU); empty = softmax regression.
        dropout: Dropout rate after each hidden layer (0: none).
        l2: L2 factor on every Dense kernel (0: none).
        optimizer: a name from `OPTIMIZERS`.
        learning_rate: None for the optimizer's default.
        clipnorm: gradient-norm clipping, or None.
        epochs: epochs to train.
        batch_size: samples per update.
        early_stopping: EarlyStopping patience on ``val_loss`` (with
            ``restore_best_weights=True``), or None.
        validation_split: fraction of the training subset held out.
        seed: the seed of the weights, Dropout masks and batch order.
    """

    hidden: tuple[int, ...] = (128, 64)
    dropout: float = 0.0
    l2: float = 0.0
    optimizer: str = "adam"
    learning_rate: float | None = None
    clipnorm: float | None = None
    epochs: int = 20
    batch_size: int = 32
    early_stopping: int | None = None
    validation_split: float = 0.2
    seed: int = 0

    @property
    def lr(self) -> float:
        """The learning rate in effect."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LR[self.optimizer]

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    def describe(self, input_dim: int | None = None, num_classes: int | None = None) -> str:
        """``784-128-64-10, adam lr=0.001, L2 1e-3, Dropout 0.3, 20 epochs x 32``."""
        widths = ([input_dim] if input_dim else []) + list(self.hidden)
        widths += [num_classes] if num_classes else []
        parts = ["-".join(map(str, widths)) or "linear", f"{self.optimizer} lr={self.lr:g}"]
        if self.l2:
            parts.append(f"L2 {self.l2:g}")
        if self.dropout:
            parts.append(f"Dropout {self.dropout:g}")
        if self.clipnorm:
            parts.append(f"clipnorm {self.clipnorm:g}")
        parts.append(f"{self.epochs} epochs x batch {self.batch_size}")
        if self.early_stopping is not None:
            parts.append(f"EarlyStopping(patience={self.early_stopping})")
        return ", ".join(parts)


def check_config(cfg: RunConfig) -> RunConfig:
    """Raise a KerasnpError naming the first invalid setting."""
    if cfg.optimizer not in OPTIMIZERS:
        raise KerasnpError(
            f"unknown optimizer {cfg.optimizer!r}: expected one of {', '.join(OPTIMIZERS)}"
        )
    if any(w < 1 for w in cfg.hidden):
        raise KerasnpError(f"hidden layer widths must be >= 1; received {list(cfg.hidden)}")
    if not 0 <= cfg.dropout < 1:
        raise KerasnpError(f"dropout must be in [0, 1); received {cfg.dropout}")
    if cfg.l2 < 0:
        raise KerasnpError(f"l2 must be >= 0; received {cfg.l2}")
    if cfg.learning_rate is not None and not cfg.learning_rate > 0:
        raise KerasnpError(f"learning rate must be > 0; received {cfg.learning_rate}")
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise KerasnpError("epochs and batch size must be >= 1")
    if not 0 <= cfg.validation_split < 1:
        raise KerasnpError(f"validation split must be in [0, 1); received {cfg.validation_split}")
    return cfg


# -- changes (suggestions and compare variants) -------------------------------------

#: Keys a variant or a suggestion may change, with how to read a value from text.
CHANGE_KEYS = {
    "l2": float,
    "dropout": float,
    "hidden": "hidden",
    "learning_rate": float,
    "lr": float,
    "optimizer": str,
    "clipnorm": float,
    "epochs": int,
    "batch_size": int,
    "early_stopping": "patience",
    "validation_split": float,
    "learning_rate_factor": float,
    "batch_size_factor": float,
    "hidden_factor": float,
    "seed": int,
}


def apply_changes(cfg: RunConfig, changes: dict[str, Any]) -> RunConfig:
    """The config with a suggestion's ``.changes`` (or a variant's) applied.

    Keys: the fields of `RunConfig` (``lr`` for ``learning_rate``), and the
    factors ``learning_rate_factor``, ``batch_size_factor``, ``hidden_factor``.
    ``early_stopping: 0`` or None removes EarlyStopping.
    """
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in CHANGE_KEYS:
            raise KerasnpError(
                f"unknown change {key!r}: expected one of {', '.join(sorted(CHANGE_KEYS))}"
            )
        if key == "learning_rate_factor":
            out["learning_rate"] = cfg.lr * float(value)
        elif key == "batch_size_factor":
            out["batch_size"] = max(1, int(round(cfg.batch_size * float(value))))
        elif key == "hidden_factor":
            out["hidden"] = tuple(max(1, int(round(w * float(value)))) for w in cfg.hidden)
        elif key == "lr":
            out["learning_rate"] = float(value)
        elif key == "early_stopping":
            out["early_stopping"] = int(value) if value else None
        elif key == "hidden":
            out["hidden"] = tuple(int(w) for w in value)
        elif key == "optimizer":
            out["optimizer"] = str(value).lower()
        else:
            out[key] = value
    return check_config(cfg.replace(**out))


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"128,64"`` (or ``128+64``, ``128/64``) -> ``(128, 64)``; ``""``/``"none"`` -> ``()``."""
    text = str(text).strip().lower()
    if text in ("", "none", "0", "linear"):
        return ()
    parts = text.replace("+", ",").replace("/", ",").split(",")
    try:
        widths = tuple(int(p) for p in parts if p.strip())
    except ValueError:
        raise KerasnpError(
            f"hidden layers must be positive integers separated by commas, e.g. 128,64; "
            f"received {text!r}"
        ) from None
    if any(w < 1 for w in widths):
        raise KerasnpError(f"hidden layer widths must be >= 1; received {text!r}")
    return widths


def parse_variants(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``"base;l2=1e-3;dropout=0.3;l2=1e-3,dropout=0.3"`` -> ``[(name, changes), ...]``.

    Variants are separated by ``;``, settings within one by ``,``. ``base``
    (or an empty variant) changes nothing. A variant may be named:
    ``wide:hidden=512``. Hidden widths inside a variant use ``+``:
    ``hidden=256+128``.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    for raw in str(text).split(";"):
        item = raw.strip()
        if not item and len(out) > 0:
            continue
        name, _, body = item.rpartition(":") if ":" in item else ("", "", item)
        changes: dict[str, Any] = {}
        if body.strip().lower() not in ("", "base", "baseline"):
            for setting in body.split(","):
                key, eq, value = setting.partition("=")
                key = key.strip().lower().replace("-", "_")
                if not eq or not value.strip():
                    raise KerasnpError(
                        f"variant {item!r}: expected settings like l2=1e-3, got {setting!r}"
                    )
                if key not in CHANGE_KEYS:
                    raise KerasnpError(
                        f"variant {item!r}: unknown setting {key!r}; expected one of "
                        f"{', '.join(sorted(CHANGE_KEYS))}"
                    )
                changes[key] = _parse_value(key, value.strip(), item)
        out.append((name.strip() or (body.strip() or "base"), changes))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise KerasnpError(f"variant names must differ; got {names}")
    return out


def _parse_value(key: str, value: str, item: str) -> Any:
    kind = CHANGE_KEYS[key]
    try:
        if kind == "hidden":
            return parse_hidden(value)
        if kind == "patience":
            return None if value.lower() in ("none", "off", "0") else int(value)
        return kind(value)
    except ValueError:
        raise KerasnpError(f"variant {item!r}: cannot read {key}={value!r}") from None


def first_applicable(diagnosis: Diagnosis, cfg: RunConfig) -> tuple[Any, RunConfig] | None:
    """The first suggestion whose ``.changes`` give a different, valid config."""
    for s in diagnosis.suggestions:
        if not s.changes:
            continue
        try:
            new = apply_changes(cfg, s.changes)
        except KerasnpError:
            continue
        if new != cfg:
            return s, new
    return None
