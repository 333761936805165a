"""The training loop's cross-entropy step in few compiled passes (numba).

`fit` asks the loss of a softmax output for the batch's mean loss and the
gradient of the logits together (`categorical._scce_fused_step` and
`_cce_fused_step`). Their NumPy lines are a dozen calls on a batch-by-
classes array (32x10 in the study group's model: about 7 us, nearly all of
it NumPy's per-call cost). Here the same lines run as one compiled pass
before NumPy's `log` (kept, so the logarithms are NumPy's own) and one
after it, with the same operations in the same order: each row's and the
batch's sums in NumPy's pairwise order (`_pairwise`), NumPy's `clip`
(NaN kept). `check` compares the results with the NumPy lines' when the
module is first used. Imported only with numba installed and
`KERASNP_FUSED` not `0`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _compiled, _jit, config
from .._jit import njit
from .._pairwise import pairwise_sum
from .numerics import clip_bounds

#: whether the steps for probabilities of a dtype passed `check` (at its first use)
ready = _compiled.Checked(__name__)


@njit(nogil=True, cache=True, error_model="numpy")
def _clipped(value, lo, hi):  # pragma: no cover - compiled
    """`np.clip(value, lo, hi)` (NaN stays NaN)."""
    if value < lo:
        value = lo
    if value > hi:
        value = hi
    return value


@njit(nogil=True, cache=True, error_model="numpy")
def _picked_ratios(probs, labels, lo, hi, ratio):  # pragma: no cover - compiled
    """ratio = clip(probs[i, labels[i]] / probs[i].sum(), lo, hi); False
    (nothing written) if a label is out of range."""
    for i in range(labels.size):
        if labels[i] < 0 or labels[i] >= probs.shape[1]:
            return False
    for i in range(probs.shape[0]):
        ratio[i] = _clipped(probs[i, labels[i]] / pairwise_sum(probs[i]), lo, hi)
    return True


@njit(nogil=True, cache=True, error_model="numpy")
def _sparse_finish(log_ratio, probs, labels, scale, out):  # pragma: no cover - compiled
    """The sum of `log_ratio`; with `out`: out = probs; out[i, labels[i]] =
    probs[i, labels[i]] - 1; out *= scale"""
    if out is not None:
        one = probs.dtype.type(1.0)
        for i in range(probs.shape[0]):
            for j in range(probs.shape[1]):
                out[i, j] = probs[i, j] * scale
            out[i, labels[i]] = (probs[i, labels[i]] - one) * scale
    return pairwise_sum(log_ratio)


@njit(nogil=True, cache=True, error_model="numpy")
def _normalized(probs, lo, hi, log_p):  # pragma: no cover - compiled
    """log_p = clip(probs / probs.sum(axis=-1, keepdims=True), lo, hi)"""
    for i in range(probs.shape[0]):
        total = pairwise_sum(probs[i])
        for j in range(probs.shape[1]):
            log_p[i, j] = _clipped(probs[i, j] / total, lo, hi)


@njit(nogil=True, cache=True, error_model="numpy")
def _onehot_finish(log_p, probs, y, scale, out, sums):  # pragma: no cover - compiled
    """log_p *= y; sums = log_p.sum(axis=-1); the sum of `sums`; with `out`:
    out = probs * y.sum(axis=-1, keepdims=True); out -= y; out *= scale"""
    for i in range(log_p.shape[0]):
        row = log_p[i]
        for j in range(row.size):
            row[j] = row[j] * y[i, j]
        sums[i] = pairwise_sum(row)
        if out is not None:
            total = pairwise_sum(y[i])
            for j in range(probs.shape[1]):
                out[i, j] = (probs[i, j] * total - y[i, j]) * scale
    return pairwise_sum(sums)


def _takes(probs: np.ndarray, out: np.ndarray | None) -> bool:
    return (ready(probs.dtype) and probs.ndim == 2 and probs.shape[0] > 0
            and probs.shape[1] > 0 and probs.flags.c_contiguous
            and (out is None or (out.dtype == probs.dtype and out.shape == probs.shape
                                 and out.flags.c_contiguous)))


def _bounds(dtype: np.dtype) -> tuple[Any, Any, Any]:
    """`clip_bounds` as scalars of `dtype` (kept while `config.epsilon()` stays)."""
    key = (dtype, config.epsilon())
    found = _BOUNDS.get(key)
    if found is None:
        if len(_BOUNDS) > 16:
            _BOUNDS.clear()
        lo, hi = clip_bounds(dtype)
        found = _BOUNDS[key] = (dtype.type(lo), dtype.type(hi), dtype.type)
    return found


_BOUNDS: dict[tuple, tuple] = {}


def sparse_step(labels: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float | None:
    """`categorical._scce_fused_step` for integer `labels` (one per row) and
    2-D C-contiguous `probs` (and `out`); None (nothing written) for arrays
    it does not take, or a label outside `[0, classes)` (which the NumPy
    lines then index as NumPy does: a negative one from the end, one too
    large raising)."""
    call = sparse_step_call(labels, probs, out)
    return None if call is None else call()


def sparse_step_call(labels: np.ndarray, probs: np.ndarray,
                     out: np.ndarray | None) -> Callable[[], float | None] | None:
    """`sparse_step(labels, probs, out)` as a call made ready once, for a loop
    that passes the same arrays again (`models.program`); None where
    `sparse_step` takes none of them."""
    if (not _takes(probs, out) or labels.dtype.kind not in "iu" or not labels.dtype.isnative
            or labels.ndim != 1 or labels.size != probs.shape[0]):
        return None
    ratio = np.empty(len(probs), probs.dtype)
    lo, hi, real = _bounds(probs.dtype)
    picked = _jit.resolved(_picked_ratios, probs, labels, lo, hi, ratio)
    finish = _jit.resolved(_sparse_finish, ratio, probs, labels, real(1.0), out)
    return functools.partial(_sparse, picked, finish, labels, probs, out, ratio)


def _sparse(picked: Callable[..., bool], finish: Callable[..., Any], labels: np.ndarray,
            probs: np.ndarray, out: np.ndarray | None, ratio: np.ndarray) -> float | None:
    lo, hi, real = _bounds(probs.dtype)
    n = len(probs)
    if not picked(probs, labels, lo, hi, ratio):
        return None
    np.log(ratio, out=ratio)
    total = finish(ratio, probs, labels, real(1.0 / n), out)
    return -float(real(total) / real(n))  # `categorical._batch_mean`


def onehot_step(y: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float | None:
    """`categorical._cce_fused_step` for `y` of `probs`' shape and dtype; None
    (nothing written) for arrays it does not take."""
    if (not _takes(probs, out) or y.dtype != probs.dtype or y.shape != probs.shape
            or not y.flags.c_contiguous):
        return None
    lo, hi, real = _bounds(probs.dtype)
    n = len(probs)
    log_p = np.empty_like(probs)
    _normalized(probs, lo, hi, log_p)
    np.log(log_p, out=log_p)
    total = _onehot_finish(log_p, probs, y, real(1.0 / n), out, np.empty(n, probs.dtype))
    return -float(real(total) / real(n))  # `categorical._batch_mean`


def check(dtype: np.dtype) -> bool:
    """Whether the steps for probabilities of `dtype` give the NumPy lines'
    numbers here."""
    for n in (3, 10, 130):  # NumPy's sums start from 0.0, as `pairwise_sum`
        zeros = np.full(n, -0.0, np.float32)
        if np.asarray(pairwise_sum(zeros), np.float32).tobytes() != zeros.sum().tobytes():
            return False
    rng = np.random.default_rng(0)
    for rows, classes in ((1, 1), (3, 2), (32, 10), (128, 10), (9, 130), (4, 1000)):
        logits = rng.normal(size=(rows, classes)) * 20
        probs = np.exp(logits - logits.max(axis=-1, keepdims=True)).astype(dtype)
        probs /= probs.sum(axis=-1, keepdims=True)
        probs[0, 0] = 0.0  # clipped: log(eps)
        labels = rng.integers(0, classes, rows)
        labels[0] = 0
        onehot = np.eye(classes, dtype=dtype)[labels]
        if rows > 2:
            onehot[1] = 0.0  # a row of zeros: its products are -0.0
            probs[2, -1] = np.nan
        for with_out in (True, False):
            ours, theirs = np.empty_like(probs), np.empty_like(probs)
            with np.errstate(all="ignore"):  # (the NaN row)
                if not _both_agree(labels, onehot, probs, ours if with_out else None,
                                   theirs if with_out else None):
                    return False
    return True


def _both_agree(labels: np.ndarray, onehot: np.ndarray, probs: np.ndarray,
                ours: np.ndarray | None, theirs: np.ndarray | None) -> bool:
    """Whether both steps give the NumPy lines' loss and gradient."""
    from . import categorical

    for step, numpy_step, y in ((sparse_step, categorical._scce_numpy_step, labels),
                                (onehot_step, categorical._cce_numpy_step, onehot)):
        expected = numpy_step(y, probs, theirs)
        loss = step(y, probs, ours)
        if not _same(loss, expected) or (ours is not None and ours.tobytes() != theirs.tobytes()):
            return False
    return True


def _same(a: float | None, b: float) -> bool:
    return a is not None and (a == b or (a != a and b != b))
