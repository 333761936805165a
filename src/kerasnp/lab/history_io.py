"""Read learning curves from anything that holds them: History objects, dicts, CSV, JSON.

Every reader returns a `LearningCurves`: one float64 array per logged name,
all aligned on the epochs that ran, with NaN where a value was not recorded
and a mask telling "not recorded" (``NA`` in a CSVLogger file, a shorter
``val_*`` list with ``validation_freq > 1``) apart from a recorded NaN or inf
(a diverged run).

Accepted sources (`load_history`):

- a kerasnp or Keras ``History`` (duck-typed: a ``.history`` dict, and
  optionally ``.epoch`` and ``.params``), or a ``LearningCurves``;
- a ``history.history``-style dict ``{"loss": [...], "val_loss": [...]}``, or
  ``{"history": {...}, "epoch": [...], "params": {...}}`` (what
  `save_history` writes), or a list of per-epoch records;
- a CSV file as written by ``CSVLogger`` (Keras's or ours: column ``epoch``,
  then the sorted keys, ``NA`` for missing validation values), with any
  separator (``,`` ``;`` tab ``|`` or spaces); rows that repeat an epoch are
  merged, so per-step logs that put train and validation on separate rows work;
- a JSON file holding any of the dict forms above.

Names from other frameworks are mapped to Keras's: ``train_loss`` ->
``loss``, ``valid_*``/``validation_*`` -> ``val_*``. Columns ``step``,
``time``, ``wall_time`` and ``timestamp`` are not curves and are dropped.

Example:
    >>> curves = load_history({"loss": [1.0, 0.5, 0.4, 0.3], "val_loss": [0.8, 0.6]})
    >>> curves.n_epochs, curves.keys
    (4, ['loss', 'val_loss'])
    >>> curves["val_loss"]  # validation_freq=2: recorded at epochs 2 and 4
    array([nan, 0.8, nan, 0.6])
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_int
from .curves import (  # noqa: F401  (re-exported: the readers' result and helpers)
    ACCURACY_NAMES,
    LR_KEYS,
    LearningCurves,
    _jsonable,
    groups,
    higher_is_better,
    split_key,
)

MISSING_TOKENS = frozenset({"", "na", "n/a", "none", "null", "-"})
NON_CURVE_COLUMNS = frozenset({"epoch", "step", "time", "wall_time", "timestamp"})


def _normalize_name(name: str) -> str:
    name = str(name).strip()
    for prefix in ("validation_", "valid_"):
        if name.startswith(prefix):
            return "val_" + name[len(prefix) :]
    if name.startswith("train_") and len(name) > 6:
        return name[6:]
    return name


# -- readers -----------------------------------------------------------------


def load_history(source: Any, *, validation_freq: int | None = None) -> LearningCurves:
    """Learning curves from a History, dict, record list, CSV or JSON path (see module doc).

    Args:
        source: what to read.
        validation_freq: for dict inputs whose ``val_*`` lists are shorter than
            the training lists, the ``validation_freq`` of the ``fit`` call.
            Defaults to ``n_epochs // len(val_list)`` (exact whenever the
            frequency divides the number of epochs). CSV files need no hint:
            CSVLogger writes ``NA`` in the epochs without validation.

    Raises:
        KerasnpError: for an unreadable source, with what was expected.
    """
    validation_freq = check_int(
        "load_history", "validation_freq", validation_freq, minimum=1, allow_none=True
    )
    if isinstance(source, LearningCurves):
        return source
    if isinstance(source, str | os.PathLike):
        return read_file(source)
    if isinstance(source, Mapping):
        if isinstance(source.get("history"), Mapping):
            return from_dict(
                source["history"],
                epoch=source.get("epoch"),
                params=source.get("params"),
                validation_freq=validation_freq,
            )
        return from_dict(source, validation_freq=validation_freq)
    if isinstance(source, list | tuple) and all(isinstance(r, Mapping) for r in source):
        return from_records(source)
    history = getattr(source, "history", None)
    if isinstance(history, Mapping):
        return from_dict(
            history,
            epoch=getattr(source, "epoch", None),
            params=getattr(source, "params", None),
            validation_freq=validation_freq,
            source=type(source).__name__,
        )
    raise KerasnpError(
        "Invalid value for argument `history` of diagnose: expected a History object (with a "
        "`.history` dict), a dict of per-epoch lists, or the path of a CSV or JSON file. "
        f"Received: history={source!r:.80}"
    )


def curves_of(history: Any, diagnosis: Any = None) -> tuple[LearningCurves, Any]:
    """``(curves, diagnosis)`` of what the charts take: a `Diagnosis` brings both,
    anything else is read with `load_history` and goes with `diagnosis`."""
    if hasattr(history, "verdict") and hasattr(history, "curves"):
        return history.curves, history
    return load_history(history), diagnosis


def from_dict(
    history: Mapping[str, Any],
    *,
    epoch: Sequence[int] | None = None,
    params: Mapping[str, Any] | None = None,
    validation_freq: int | None = None,
    source: str = "dict",
) -> LearningCurves:
    """Curves from ``{name: [value per epoch]}``; None marks a value that was not recorded.

    A list shorter than the others is placed at epochs ``k, 2k, ...`` (1-based),
    as Keras records validation with ``validation_freq=k``.
    """
    lists: dict[str, list] = {}
    for key, seq in history.items():
        name = _normalize_name(key)
        if name in NON_CURVE_COLUMNS:
            continue
        if isinstance(seq, str) or not isinstance(seq, Sequence | np.ndarray):
            raise KerasnpError(
                f"history[{key!r}] must be a list with one value per epoch; "
                f"received {type(seq).__name__}: {seq!r:.60}"
            )
        lists[name] = list(np.asarray(seq, dtype=object).reshape(-1))
    n = max([len(v) for v in lists.values()] + [len(epoch) if epoch is not None else 0])
    values, recorded = {}, {}
    for name, seq in lists.items():
        vals, rec = np.full(n, np.nan), np.zeros(n, dtype=bool)
        if len(seq) == n:
            positions = range(n)
        else:
            k = validation_freq or max(1, n // max(1, len(seq)))
            positions = [(j + 1) * k - 1 for j in range(len(seq))]
            if positions and positions[-1] >= n:
                raise KerasnpError(
                    f"history[{name!r}] has {len(seq)} values, too many for "
                    f"validation_freq={k} over {n} epochs"
                )
        for pos, value in zip(positions, seq, strict=True):
            if value is None:
                continue
            try:
                vals[pos] = float(value)
            except (TypeError, ValueError):
                raise KerasnpError(
                    f"history[{name!r}] holds a non-number at position {pos}: {value!r}"
                ) from None
            rec[pos] = True
        values[name], recorded[name] = vals, rec
    epochs = list(epoch) if epoch is not None and len(epoch) == n else None
    return LearningCurves(
        values, epochs if epochs is not None else np.arange(n), params, recorded, source
    )


def from_records(
    records: Sequence[Mapping[str, Any]], *, source: str = "records"
) -> LearningCurves:
    """Curves from one mapping per row (``{"epoch": 0, "loss": ...}``), rows merged by epoch."""
    names: list[str] = []
    merged: dict[int, dict[str, Any]] = {}
    for i, row in enumerate(records):
        ep = row.get("epoch", i)
        try:
            ep = int(float(ep))
        except (TypeError, ValueError):
            raise KerasnpError(f"{source}: row {i} has a non-integer epoch {ep!r}") from None
        slot = merged.setdefault(ep, {})
        for key, value in row.items():
            name = _normalize_name(key)
            if name in NON_CURVE_COLUMNS:
                continue
            if name not in names:
                names.append(name)
            if value is not None:
                slot[name] = value
    epochs = sorted(merged)
    hist = {name: [merged[e].get(name) for e in epochs] for name in names}
    return from_dict(hist, epoch=epochs, source=source)


def read_file(path: str | os.PathLike) -> LearningCurves:
    """Read a CSV or JSON history file (chosen by suffix, else by content)."""
    path = Path(path)
    if not path.is_file():
        raise KerasnpError(f"no history file at {str(path)!r}")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
        return read_json_text(text, source=str(path))
    return read_csv_text(text, source=str(path))


def read_json_text(text: str, *, source: str = "json") -> LearningCurves:
    """Curves from JSON text holding a history dict, the saved layout, or records."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KerasnpError(f"{source} is not valid JSON: {exc}") from None
    if isinstance(data, list):
        return from_records(data, source=source)
    if isinstance(data, Mapping) and isinstance(data.get("history"), Mapping):
        return from_dict(
            data["history"], epoch=data.get("epoch"), params=data.get("params"), source=source
        )
    if isinstance(data, Mapping):
        return from_dict(data, source=source)
    raise KerasnpError(f"{source}: expected a JSON object or a list of records")


def _separator(lines: list[str]) -> str | None:
    """The delimiter that splits the header and the first rows into equal field counts."""
    header = lines[0]
    sample = lines[: min(len(lines), 6)]
    best, best_fields = None, 1
    for sep in (",", ";", "\t", "|"):
        counts = {len(next(csv.reader([line], delimiter=sep))) for line in sample}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = sep, fields
    if best is None and len(header.split()) > 1:
        return None  # whitespace-separated
    return best or ","


def read_csv_text(text: str, *, source: str = "csv") -> LearningCurves:
    """Curves from CSV text (CSVLogger layout, any separator, NA for missing values).

    A column whose every value is text (a timestamp, a logged list) is not a
    curve and is dropped; a number column with a stray word is an error that
    names the line.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return LearningCurves({}, [], source=source)
    sep = _separator(lines)
    rows = (
        [line.split() for line in lines]
        if sep is None
        else list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
    )
    header = [h.strip() for h in rows[0]]
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise KerasnpError(
                f"{source}, line {lineno}: {len(row)} fields, but the header "
                f"has {len(header)} ({', '.join(header)})"
            )
    columns = {}
    for j, name in enumerate(header):
        if name == "" or name.lower().startswith("unnamed:"):
            continue  # an index column written by pandas
        parsed = [_cell(row[j].strip()) for row in rows[1:]]
        words = [(i, v) for i, v in enumerate(parsed) if isinstance(v, str)]
        if words and len(words) == sum(v is not None for v in parsed):
            continue  # text only: not a curve
        if words:
            i, word = words[0]
            raise KerasnpError(
                f"{source}, line {i + 2}: column {name!r} holds {word!r}, not a number or NA"
            )
        columns[name] = parsed
    if "epoch" in columns and None in columns["epoch"]:
        raise KerasnpError(
            f"{source}, line {columns['epoch'].index(None) + 2}: the epoch is missing"
        )
    if len(rows) == 1:  # header only: keep the names, zero epochs
        names = [_normalize_name(h) for h in columns]
        return LearningCurves(
            {n: [] for n in names if n not in NON_CURVE_COLUMNS}, [], source=source
        )
    records = [{name: vals[i] for name, vals in columns.items()} for i in range(len(rows) - 1)]
    return from_records(records, source=source)


def _cell(token: str) -> float | str | None:
    """A CSV token as a float, None (missing), or the text itself."""
    if token.lower() in MISSING_TOKENS:
        return None
    try:
        return float(token)
    except ValueError:
        return token


# -- writer ------------------------------------------------------------------


def save_history(history: Any, path: str | os.PathLike) -> Path:
    """Write curves to ``.json`` (the `LearningCurves.to_dict` layout) or ``.csv``.

    The CSV has CSVLogger's layout: ``epoch`` (0-based), the sorted names,
    ``NA`` for values not recorded, floats written with ``repr`` (full
    precision, ``nan``/``inf`` kept). Either file reads back with
    `load_history`.
    """
    curves = load_history(history)
    path = Path(path)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(curves.to_dict(), indent=1), encoding="utf-8")
        return path
    names = sorted(curves.keys)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["epoch", *names])
    columns = [(curves[k], curves.recorded(k)) for k in names]  # one copy per curve, not per cell
    for pos, epoch in enumerate(curves.epochs):
        writer.writerow(
            [int(epoch)] + [repr(float(y[pos])) if rec[pos] else "NA" for y, rec in columns]
        )
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
