"""`save_model` / `load_model` (`.keras` zips) and `save_weights` / `load_weights`.

A `.keras` file is a zip archive that Keras 3 opens too (see docs/file-format.md):

    metadata.json       {"kerasnp_version", "format_version", "date_saved"}
    config.json         the model, build and compile configs (Keras's dialect)
    model.weights.h5    the weights and optimizer state, in Keras's HDF5 layout
                        (model.weights.npz instead when h5py is not installed)
    kerasnp.json        training state Keras does not keep: random generators

Every write is atomic (`atomic.py`); every read (`archive.py`) checks the
zip's CRCs, never unpickles and never imports or runs anything named in the
file. The random-generator states are in `rng_state.py`.
"""

from __future__ import annotations

import datetime
import io
import os
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

from .._errors import KerasnpError, check_bool, unexpected_keywords
from .archive import STATE, WEIGHTS_H5, WEIGHTS_NPZ, open_archive
from .arrays import h5py_or_error, read_h5, read_npz, write_h5, write_npz
from .atomic import atomic_write
from .keras_format import portability_problems
from .model_config import model_config, model_from_config, to_json
from .rng_state import restore_rng_states, rng_states
from .weights import assign_store, model_store

# 2: config.json in Keras's dialect and model.weights.h5 (version 1 files still load)
FORMAT_VERSION = 2
CONFIG = "config.json"
METADATA = "metadata.json"


def _path(filepath: Any, owner: str) -> str:
    if not isinstance(filepath, (str, os.PathLike)):
        raise KerasnpError(
            f"Invalid value for argument `filepath` of {owner}: expected a path "
            f"(str or os.PathLike). Received: filepath={filepath!r}"
        )
    return os.fspath(filepath)


def _check_overwrite(path: str, overwrite: Any, owner: str) -> None:
    if not check_bool(owner, "overwrite", overwrite) and os.path.exists(path):
        raise KerasnpError(
            f"{path} already exists and overwrite=False; pass overwrite=True to "
            "replace it, or choose another path."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"Cannot save to {path}: it is an existing directory. Give a "
            "file path, e.g. 'model.keras'."
        )
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise KerasnpError(f"Cannot save to {path}: the directory {directory} does not exist.")


def check_model_path(path: str) -> None:
    """A full-model path must end in `.keras`."""
    if path.endswith(".keras"):
        return
    if path.endswith(".h5") or path.endswith(".hdf5"):
        raise KerasnpError(
            "kerasnp does not write Keras's legacy HDF5 model format (`.h5`). Use a `.keras` "
            f"path for the whole model, or save_weights('….weights.h5'). Received: filepath={path}"
        )
    raise KerasnpError(
        "Invalid filepath extension for saving. Please add a `.keras` extension "
        f"(the Keras 3 model format). Received: filepath={path}"
    )


def check_weights_path(path: str) -> str:
    """`"npz"` or `"h5"` for a weights path; an error for any other ending."""
    if path.endswith(".weights.npz"):
        return "npz"
    if path.endswith(".weights.h5"):
        return "h5"
    raise KerasnpError(
        "The filename must end in `.weights.npz` (kerasnp's format) or "
        "`.weights.h5` (Keras's format; needs the optional package h5py). "
        f"Received: filepath={path}"
    )


# ------------------------------------------------------------------- saving
def save_model(
    model: Any, filepath: Any, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any
) -> None:
    """Save the whole model to a `.keras` file: architecture, weights, compile
    settings, optimizer state and random-generator states.

    The file is in Keras 3's format: `keras.saving.load_model` opens it (with
    the same custom objects, if the model uses any). The weights are in
    `model.weights.h5` when h5py is installed; without it they go to
    `model.weights.npz`, which only kerasnp reads (a warning says so). Use
    `export_keras` to be sure Keras opens the file with no custom objects.

    Resuming from the file continues training exactly: `fit` for N epochs
    equals `fit` for k epochs, `save`, `load_model`, and `fit` for the
    remaining N - k epochs (with `initial_epoch=k`), bit for bit.

    Args:
        model: the model to save.
        filepath: a path ending in `.keras`.
        overwrite: replace an existing file. Defaults to `True`.
        zipped: accepted for Keras compatibility; only `True` (or `None`)
            is supported.

    Raises:
        KerasnpError: a wrong extension, `overwrite=False` with an existing
            file, or a config that cannot be written as JSON.
    """
    if kwargs:
        raise unexpected_keywords("save_model", kwargs, ["filepath", "overwrite", "zipped"])
    if zipped is not None and not check_bool("save_model", "zipped", zipped):
        raise KerasnpError("kerasnp saves models as zip files only: zipped=False is not supported.")
    _write_model(model, _path(filepath, "save_model"), overwrite, "save_model", strict=False)


def export_keras(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write a `.keras` file that stock Keras 3 opens with no custom objects.

    The same file as `save_model`, after checking that everything in it is
    built into Keras: `keras.saving.load_model(filepath)` then gives a
    `keras.Sequential` with the same predictions, compiled with the same
    optimizer (and its state), loss and metrics. Anything Keras could not
    rebuild is an error, raised before anything is written.

    Args:
        model: the model to export.
        filepath: a path ending in `.keras`.
        overwrite: replace an existing file. Defaults to `True`.

    Raises:
        KerasnpError: a custom layer, activation, initializer, regularizer,
            loss, metric or optimizer (the message lists them all); h5py not
            installed; or the reasons of `save_model`.

    Example:
    >>> import os, tempfile, kerasnp as keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> export_keras(model, os.path.join(tempfile.mkdtemp(), "for_keras.keras"))  # doctest: +SKIP
    """
    _write_model(model, _path(filepath, "export_keras"), overwrite, "export_keras", strict=True)


def _h5py_available() -> bool:
    try:
        h5py_or_error("")
    except KerasnpError:
        return False
    return True


_NPZ_WARNED = False


def _write_model(model: Any, path: str, overwrite: Any, owner: str, strict: bool) -> None:
    """Everything is checked and serialized in memory; only then is the file written."""
    global _NPZ_WARNED
    check_model_path(path)
    _check_overwrite(path, overwrite, owner)
    from .. import __version__

    config_data = model_config(model)
    config = to_json(config_data, "model config")
    use_h5 = _h5py_available()
    if strict:
        problems = portability_problems(config_data)
        hint = (
            " (model.save() writes such models for kerasnp, and for Keras when the "
            "same custom objects are registered there.)"
            if problems
            else ""
        )
        if not use_h5:
            problems.append(
                "Keras reads weights from model.weights.h5, which needs h5py: "
                "`pip install h5py` (or `pip install kerasnp[keras]`)"
            )
        if problems:
            raise KerasnpError(
                f"Cannot export the model to {path} for Keras: "
                + "; ".join(problems)
                + f". Nothing was written.{hint}"
            )
    metadata = to_json(
        {
            "kerasnp_version": __version__,
            "format_version": FORMAT_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        },
        "metadata",
    )
    state = to_json(
        {"format_version": FORMAT_VERSION, "rng": rng_states(model)}, "random-generator states"
    )
    store, names = model_store(model, built_optimizer=True)
    weights = io.BytesIO()
    if use_h5:
        member = WEIGHTS_H5
        write_h5(weights, store, names)
    else:
        member = WEIGHTS_NPZ
        if not _NPZ_WARNED:
            _NPZ_WARNED = True
            warnings.warn(
                f"h5py is not installed, so {path} holds its weights in "
                "model.weights.npz, which kerasnp reads but Keras does not. "
                "`pip install h5py` to write files Keras can open.",
                UserWarning,
                stacklevel=3,
            )
        write_npz(weights, store)
    with atomic_write(path) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA, metadata)
        zf.writestr(CONFIG, config)
        zf.writestr(member, weights.getvalue())
        zf.writestr(STATE, state)


def save_weights(
    model: Any, filepath: Any, overwrite: bool = True, max_shard_size: Any = None
) -> None:
    """Save the weights (and the optimizer state) to `.weights.npz` or `.weights.h5`.

    `.weights.npz` is kerasnp's own format and needs nothing beyond NumPy;
    `.weights.h5` is Keras's layout and needs the optional package `h5py`.

    Raises:
        KerasnpError: the model is not built, the extension is neither, or
            `.weights.h5` without h5py.
    """
    path = _path(filepath, "save_weights")
    kind = check_weights_path(path)
    if max_shard_size is not None:
        raise KerasnpError("kerasnp does not shard weight files: max_shard_size must be None.")
    if not model.built:
        raise KerasnpError(
            "You are saving a model that has not yet been built. Build it "
            "first: call it on some data, `model.build(input_shape)`, or start "
            "it with keras.Input(shape)."
        )
    _check_overwrite(path, overwrite, "save_weights")
    store, names = model_store(model)
    if kind == "h5":
        h5py_or_error("Writing a `.weights.h5` file")
    with atomic_write(path) as f:
        if kind == "npz":
            write_npz(f, store)
        else:
            write_h5(f, store, names)


# ------------------------------------------------------------------ loading
def load_model(
    filepath: Any,
    custom_objects: Mapping[str, Any] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Load a model saved with `model.save("….keras")`.

    The model comes back built, with its weights, compiled with the same
    settings (unless `compile=False`), with its optimizer state and random
    generators, so `fit` continues exactly where it stopped.

    Args:
        filepath: a path ending in `.keras`.
        custom_objects: `{"Name": class_or_function}` for custom layers,
            losses, metrics, ... not registered with `register_serializable`.
        compile: compile the model as it was. Defaults to `True`.
        safe_mode: accepted for Keras compatibility. kerasnp is always safe:
            it never unpickles, imports or runs anything from the file.

    Raises:
        KerasnpError: the file is missing, truncated, corrupted, not a model
            file, or names a class that is neither built in nor registered.

    Example:
    >>> import os, tempfile, numpy as np, kerasnp as keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
    >>> model.save(path)
    >>> loaded = load_model(path)
    >>> x = np.ones((1, 3), dtype="float32")
    >>> bool((loaded.predict(x, verbose=0) == model.predict(x, verbose=0)).all())
    True
    """
    path = _path(filepath, "load_model")
    check_bool("load_model", "compile", compile)
    check_bool("load_model", "safe_mode", safe_mode)
    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise KerasnpError(
            "Invalid value for argument `custom_objects` of load_model: "
            f"expected a dict. Received: custom_objects={custom_objects!r}"
        )
    if not path.endswith(".keras"):
        hint = (
            " It looks like a weights file: build the model and call "
            "model.load_weights(path) instead."
            if ".weights." in path
            else ""
        )
        raise KerasnpError(f"Cannot load {path}: load_model reads `.keras` files.{hint}")
    archive = open_archive(path)
    try:
        config = archive.json(CONFIG)
        store = archive.store()
        state = archive.json(STATE) if STATE in archive.names else {}
        # kerasnp always writes kerasnp.json; a file without it comes from Keras
        from_keras = STATE not in archive.names
        model = model_from_config(config, path, custom_objects, compile, from_keras)
        assign_store(model, store, path, load_optimizer=compile)
        restore_rng_states(model, state, path)
    finally:
        archive.close()
    return model


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Load weights (and optimizer state) from `.weights.npz`, `.weights.h5` or `.keras`.

    All counts and shapes are checked first: on any error the model is left
    unchanged. With `skip_mismatch=True` a layer that does not match is
    skipped with a warning instead.

    Raises:
        KerasnpError: the model is not built, the file is missing, corrupted
            or of another architecture.
    """
    path = _path(filepath, "load_weights")
    if kwargs:
        raise unexpected_keywords("load_weights", kwargs, ["filepath", "skip_mismatch"])
    skip_mismatch = check_bool("load_weights", "skip_mismatch", skip_mismatch)
    if not model.built:
        raise KerasnpError(
            "You are loading weights into a model that has not yet been built. "
            "Build it first: call it on some data, `model.build(input_shape)`, "
            "or start it with keras.Input(shape)."
        )
    if path.endswith(".keras"):
        archive = open_archive(path)
        try:
            store = archive.store()
        finally:
            archive.close()
    else:
        kind = check_weights_path(path)
        if not os.path.isfile(path):
            raise KerasnpError(f"Cannot load {path}: the file does not exist.")
        with open(path, "rb") as f:
            data = f.read()
        if kind == "npz":
            store = read_npz(data, path)
        else:
            store = read_h5(io.BytesIO(data), path, len(data))
    assign_store(model, store, path, skip_mismatch=skip_mismatch)
