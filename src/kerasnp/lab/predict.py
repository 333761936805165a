"""`kerasnp predict`: classes and probabilities for images and arrays, preprocessed as in training.

Inputs:

- ``.npy`` files (always): one sample of the training sample shape (e.g.
  ``28x28``), a stack of them ``(n, 28, 28)``, or flat ``(784,)`` / ``(n, 784)``
  rows. Values are raw, as the training data was (0-255 pixels for MNIST);
  ``prescaled=True`` skips the scaling for arrays that are already scaled.
- ``.png`` (and other formats Pillow reads) images, read with Pillow (which
  matplotlib, the ``kerasnp[lab]`` extra, brings along). Colour is turned into grey for
  models trained on grey images (transparent pixels count as white), and an
  image whose background is the opposite of the training images' (a dark
  digit on white paper, for MNIST's white digits on black) is inverted
  (``invert="auto"``). The size must match: there is no resizing, and a
  wrong size is an error that says which size is needed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import KerasnpError
from .data import Preprocessing

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
INVERT = ("auto", "always", "never")


@dataclasses.dataclass
class Sample:
    """One input ready for the model, with where it came from."""

    label: str
    x: np.ndarray  # the raw sample (before scaling), flattened
    note: str = ""


def read_image(path: Path) -> np.ndarray:
    """An image as float values in 0..255, shape ``(h, w)`` or ``(h, w, c)``.

    Needs Pillow, which matplotlib (the ``kerasnp[lab]`` extra) installs too;
    matplotlib's own ``imread`` reads through Pillow as well.
    """
    try:
        from PIL import Image
    except ImportError:
        raise KerasnpError(
            f"reading {path.suffix or 'image'} files needs Pillow: pip install pillow (or "
            "'kerasnp[lab]', whose matplotlib brings it); without it, save the pixels with "
            "numpy.save and pass the .npy file."
        ) from None
    try:
        with Image.open(path) as img:
            if img.mode in ("P", "LA", "PA", "RGBA"):
                img = img.convert("RGBA")
            elif img.mode not in ("L", "RGB"):
                img = img.convert("RGB")
            return np.asarray(img, dtype=np.float32)
    except OSError as exc:
        raise KerasnpError(f"cannot read image {str(path)!r}: {exc}") from None


def image_to_sample(img: np.ndarray, pre: Preprocessing, name: str, invert: str) -> Sample:
    """Grey/colour conversion, size check and inversion for one image."""
    if not pre.image_shape:
        raise KerasnpError(
            f"{name}: this model was trained on {pre.input_dim} features, not images; pass "
            ".npy arrays instead (retrain with --image-shape HxW for flat image data)."
        )
    want = tuple(pre.image_shape)
    want_channels = want[2] if len(want) == 3 else None
    if img.ndim == 3 and img.shape[2] == 4:  # transparent pixels count as white paper
        alpha = img[..., 3:4] / 255.0
        img = img[..., :3] * alpha + 255.0 * (1.0 - alpha)
    if img.ndim == 3 and want_channels != 3:  # colour to grey (ITU-R 601 luma)
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if want_channels == 3 and img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    elif want_channels == 1:
        img = img[..., None]
    if tuple(img.shape[:2]) != want[:2]:
        h, w = img.shape[:2]
        raise KerasnpError(
            f"{name} is {w}x{h} pixels, but the model was trained on {want[1]}x{want[0]} "
            f"images: resize it to {want[1]}x{want[0]} first (e.g. with Pillow: "
            f"Image.open(path).resize(({want[1]}, {want[0]})))."
        )
    note = ""
    if invert == "always" or (invert == "auto" and _needs_invert(img, pre)):
        img = 255.0 - img
        note = "inverted (light background; the training images have a dark one)"
        if invert == "always":
            note = "inverted (--invert always)"
    return Sample(name, img.reshape(-1).astype(np.float32), note)


def _needs_invert(img: np.ndarray, pre: Preprocessing) -> bool:
    if pre.background not in ("dark", "light") or pre.scale != "255":
        return False
    border = np.concatenate([img[0].reshape(-1), img[-1].reshape(-1)])
    light = float(np.median(border)) > 127.5
    return light != (pre.background == "light")


def npy_to_samples(arr: np.ndarray, pre: Preprocessing, name: str) -> list[Sample]:
    """One or many samples from an array (see the module doc for the shapes)."""
    shape = tuple(pre.sample_shape)
    if arr.dtype.kind not in "biuf":
        raise KerasnpError(f"{name}: expected numbers, got an array of dtype {arr.dtype}.")
    if arr.shape == shape or arr.shape == (pre.input_dim,):
        rows = arr.reshape(1, -1)
    elif arr.ndim >= 2 and (arr.shape[1:] == shape or arr.shape[1:] == (pre.input_dim,)):
        rows = arr.reshape(len(arr), -1)
    else:
        want = " or ".join(
            dict.fromkeys(
                [
                    _shape(shape),
                    f"(n, {', '.join(map(str, shape))})",
                    f"({pre.input_dim},)",
                    f"(n, {pre.input_dim})",
                ]
            )
        )
        raise KerasnpError(
            f"{name} has shape {_shape(arr.shape)}, but the model was trained on samples of "
            f"shape {_shape(shape)}: expected {want}."
        )
    rows = rows.astype(np.float32)
    if len(rows) == 1:
        return [Sample(name, rows[0])]
    return [Sample(f"{name}[{i}]", row) for i, row in enumerate(rows)]


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def load_inputs(paths: list[str], pre: Preprocessing, *, invert: str = "auto") -> list[Sample]:
    """Every sample in the given files, in order."""
    if invert not in INVERT:
        raise KerasnpError(f"invert must be one of {', '.join(INVERT)}; received {invert!r}")
    out: list[Sample] = []
    for spec in paths:
        path = Path(spec)
        if not path.is_file():
            raise KerasnpError(f"input not found: {spec!r}")
        suffix = path.suffix.lower()
        if suffix == ".npy":
            try:
                arr = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise KerasnpError(f"cannot read {spec!r} as a .npy array: {exc}") from None
            out += npy_to_samples(arr, pre, path.name)
        elif suffix in IMAGE_SUFFIXES:
            out.append(image_to_sample(read_image(path), pre, path.name, invert))
        else:
            raise KerasnpError(
                f"{spec!r}: unsupported input; expected .npy arrays or images "
                f"({', '.join(IMAGE_SUFFIXES)})."
            )
    return out


def predict_samples(
    model: Any, pre: Preprocessing, samples: list[Sample], *, prescaled: bool = False, top: int = 3
) -> list[dict[str, Any]]:
    """The top classes and probabilities of each sample."""
    raw = np.stack([s.x for s in samples])
    looks_scaled = pre.scale == "255" and raw.size and float(raw.max()) <= 1.0
    x = raw if prescaled else pre.apply(raw)
    probs = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float64)
    if probs.ndim == 2 and probs.shape[1] == 1:  # one sigmoid unit: P(class 1)
        probs = np.concatenate([1 - probs, probs], axis=1)
    names = pre.class_names
    results = []
    for s, p in zip(samples, probs, strict=True):
        order = np.argsort(-p)[: max(1, top)]
        best = int(order[0])
        notes = [s.note] if s.note else []
        if looks_scaled and not prescaled:
            notes.append(
                "values are all <= 1: if already scaled to [0, 1], pass --prescaled "
                "(the model expects raw 0-255 pixels, divided by 255 as in training)"
            )
        results.append(
            {
                "input": s.label,
                "class": best,
                "name": names[best] if names and best < len(names) else str(best),
                "probability": float(p[best]),
                "top": [
                    {
                        "class": int(c),
                        "name": names[c] if names and c < len(names) else str(int(c)),
                        "probability": float(p[c]),
                    }
                    for c in order
                ],
                "notes": notes,
            }
        )
    return results


def format_predictions(results: list[dict[str, Any]]) -> str:
    """One line per input: ``digit.png  ->  7  (98.2%)   top: 7 98.2%, 2 1.1%, 3 0.4%``."""
    width = max([len(r["input"]) for r in results] + [5])
    lines = []
    for r in results:
        label = r["name"] if r["name"] == str(r["class"]) else f"{r['class']} {r['name']}"
        top = ", ".join(f"{t['name']} {t['probability']:.1%}" for t in r["top"])
        lines.append(f"{r['input']:<{width}}  ->  {label}  ({r['probability']:.1%})   top: {top}")
        lines += [f"{'':<{width}}      note: {n}" for n in r["notes"]]
    return "\n".join(lines)
