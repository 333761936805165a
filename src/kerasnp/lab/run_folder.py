"""What a lab run leaves on disk, and how `predict` finds the preprocessing again.

A run folder holds::

    model.keras          the trained model; its zip also carries kerasnp_lab.json
                         (the preprocessing), so the file alone is enough to predict
    preprocessing.json   the same preprocessing, readable without unzipping
    history.csv          every epoch (CSVLogger layout, with the eval_* columns)
    history.json         the same curves with History.params (num_classes, ...)
    diagnosis.json       verdict, findings, evidence, suggestions
    curves.png           the learning curves (when matplotlib is installed)
    config.json          the command, every setting, the data and the final scores
    report.html          one self-contained page (only at the top of a folder)
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import zipfile
from pathlib import Path
from typing import Any

from .._errors import KerasnpError
from .data import Preprocessing
from .history_io import save_history

#: The member of a `.keras` zip that holds the lab's preprocessing.
LAB_MEMBER = "kerasnp_lab.json"


def new_folder(out: str | os.PathLike | None, command: str) -> Path:
    """`out` (created), or ``kerasnp-runs/<command>-<date-time>`` made unique."""
    if out is not None:
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise KerasnpError(f"--out {str(path)!r} exists and is not a folder.")
        path.mkdir(parents=True, exist_ok=True)
        return path
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("kerasnp-runs") / f"{command}-{stamp}"
    path, i = base, 1
    while path.exists():
        i += 1
        path = base.with_name(f"{base.name}-{i}")
    path.mkdir(parents=True)
    return path


def save_model_with_preprocessing(model: Any, path: Path, pre: Preprocessing) -> Path:
    """``model.save(path)``, then add the preprocessing to the zip as `LAB_MEMBER`.

    `kerasnp.saving.load_model` reads the file as usual (it ignores members
    it does not know).
    """
    model.save(str(path))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(LAB_MEMBER, json.dumps({"preprocessing": pre.to_dict()}, indent=1))
    return path


def find_preprocessing(model_path: Path) -> tuple[Preprocessing | None, str]:
    """The preprocessing saved with a model: in its zip, else ``preprocessing.json`` beside it.

    Returns ``(preprocessing or None, where it was found)``.
    """
    try:
        with zipfile.ZipFile(model_path) as zf:
            if LAB_MEMBER in zf.namelist():
                data = json.loads(zf.read(LAB_MEMBER).decode("utf-8"))
                return Preprocessing.from_dict(data["preprocessing"]), f"{model_path.name}"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        pass
    side = model_path.parent / "preprocessing.json"
    if side.is_file():
        try:
            return Preprocessing.from_dict(json.loads(side.read_text(encoding="utf-8"))), str(side)
        except (ValueError, TypeError) as exc:
            raise KerasnpError(f"{side} is not a valid preprocessing file: {exc}") from None
    return None, ""


def resolve_model_path(spec: str | os.PathLike) -> Path:
    """A `.keras` file, or a run folder holding ``model.keras``."""
    path = Path(spec)
    if path.is_dir():
        inner = path / "model.keras"
        if inner.is_file():
            return inner
        raise KerasnpError(f"{str(path)!r} is a folder without a model.keras in it.")
    if not path.is_file():
        raise KerasnpError(f"model not found: {str(path)!r}")
    if path.suffix != ".keras":
        raise KerasnpError(
            f"{str(path)!r} is not a .keras model file (or a run folder holding model.keras)."
        )
    return path


def write_run(
    folder: Path,
    result: Any,
    pre: Preprocessing,
    *,
    meta: dict[str, Any],
    plots: bool = True,
    save_model: bool = True,
) -> dict[str, Path]:
    """Write everything a `RunResult` leaves (see the module doc), except the report.

    The history CSV is written by the run itself (`train_run(csv_path=...)`);
    it is rewritten here only if missing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if save_model:
        files["model"] = save_model_with_preprocessing(result.model, folder / "model.keras", pre)
    files["preprocessing"] = folder / "preprocessing.json"
    files["preprocessing"].write_text(pre.to_json(), encoding="utf-8")
    csv_path = folder / "history.csv"
    if not csv_path.is_file():
        save_history(result.history, csv_path)
    files["history_csv"] = csv_path
    files["history_json"] = save_history(result.history, folder / "history.json")
    files["diagnosis"] = folder / "diagnosis.json"
    files["diagnosis"].write_text(result.diagnosis.to_json(indent=1), encoding="utf-8")
    if plots:
        from .plots import has_matplotlib, plot_history

        if has_matplotlib():
            png = folder / "curves.png"
            plot_history(result.diagnosis, png, diagnosis=result.diagnosis, title=result.name)
            files["curves"] = png
    config = dict(meta)
    config.update(
        run=result.config.to_dict(),
        name=result.name,
        final=result.final,
        seconds=round(result.seconds, 2),
        epochs_run=result.epochs_run,
        verdict=result.diagnosis.verdict,
    )
    files["config"] = folder / "config.json"
    files["config"].write_text(json.dumps(config, indent=1, default=str), encoding="utf-8")
    return files


def environment() -> dict[str, str]:
    """Versions that matter for reproducing a run."""
    import numpy as np

    from .. import __version__

    return {
        "kerasnp": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
