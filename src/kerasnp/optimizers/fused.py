"""Fused optimizer updates: one pass over the arrays instead of one per operation.

Each optimizer's NumPy lines (`_update_arrays` or `update_step`) are the
reference: one operation per line, easy to check against the paper. NumPy reads and writes
whole arrays for every one of those lines, so Adam's update of a 784x128
kernel walks over the kernel-sized arrays twelve times, and on a small model
that costs more than all the matrix products of the step.

The cost: about 60 MB of the process's resident memory (llvmlite, which
loads the native library of kerasnp's compiled code, `_jit`; numba's JIT
itself adds about 110 MB) and 0.15 s at the first `fit` of a process (the
first `fit` on a machine builds that library once: about 40 s).

When numba is installed (the `fast` extra), `run` does the same update as a
loop compiled by numba that visits each element once. The loop does the
same floating-point operations, in the same order and the same dtype, as the
NumPy lines beside it, so the weights come out bit for bit the same (the
tests compare the two after many steps); only the memory traffic differs.
Without numba, or with `KERASNP_FUSED=0` in the environment, `run` returns
False and the optimizer runs its NumPy lines. Adam and RMSprop go one step
further when they are given the same arrays step after step, as in `fit`:
`run_together` updates all their variables in one compiled call (a call per
variable costs more than the loops over a small model's biases).

numba is imported, and a loop compiled (or loaded from numba's cache), only
when an optimizer first updates weights, so `import kerasnp` stays quick.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from operator import is_ as _is
from typing import Any

import numpy as np

from .. import _blas, _parallel, _spinning
from .._compiled import turned_off

_FLOAT32, _FLOAT64 = np.dtype("float32"), np.dtype("float64")


# The loops. Each mirrors the NumPy lines of its optimizer's `_update_arrays`;
# a comment on the right names the line each statement matches.
def _adam(g, m, v, w, v_hat, c1, c2, eps, alpha):  # pragma: no cover - compiled
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * c1  # m += (g - m) * (1 - beta_1)
        vi = v[i] + (gi * gi - v[i]) * c2  # v += (g * g - v) * (1 - beta_2)
        m[i] = mi
        v[i] = vi
        if v_hat is not None:  # amsgrad: v_hat = maximum(v_hat, v), NaN winning as in NumPy
            if v_hat[i] > vi or v_hat[i] != v_hat[i]:
                vi = v_hat[i]
            v_hat[i] = vi
        w[i] = w[i] - mi / (math.sqrt(vi) + eps) * alpha  # w -= m / (sqrt(v) + eps) * alpha


def _rmsprop(g, v, w, mean, velocity, rho, c_rho, eps, lr, momentum):  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        vi = v[i] * rho + gi * gi * c_rho  # v = v * rho + g * g * (1 - rho)
        v[i] = vi
        if mean is not None:  # centered: subtract the squared mean gradient
            mi = mean[i] * rho + gi * c_rho
            mean[i] = mi
            denominator = math.sqrt(vi - mi * mi + eps)
        else:
            denominator = math.sqrt(vi + eps)
        step = gi / denominator * lr
        if velocity is not None:  # momentum
            vel = velocity[i] * momentum + step
            velocity[i] = vel
            w[i] = w[i] - vel
        else:
            w[i] = w[i] - step


def _sgd(g, w, velocity, lr, momentum, nesterov):  # pragma: no cover - compiled
    for i in range(w.size):
        step = g[i] * lr
        if velocity is None:
            w[i] = w[i] - step
        else:
            vel = velocity[i] * momentum - step
            velocity[i] = vel
            if nesterov:
                w[i] = w[i] - step + vel * momentum
            else:
                w[i] = w[i] + vel


def _adagrad(g, acc, w, eps, lr):  # pragma: no cover - compiled
    for i in range(w.size):
        gi = g[i]
        a = acc[i] + gi * gi  # acc += g * g
        acc[i] = a
        w[i] = w[i] - gi / math.sqrt(a + eps) * lr  # w -= g / sqrt(acc + eps) * lr


def _adadelta(g, grads_sq, deltas_sq, w, rho, c_rho, eps, lr):  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        big_g = grads_sq[i] * rho + gi * gi * c_rho  # G = G * rho + g * g * (1 - rho)
        grads_sq[i] = big_g
        step = math.sqrt(deltas_sq[i] + eps) * gi / math.sqrt(big_g + eps)  # -delta
        deltas_sq[i] = deltas_sq[i] * rho + step * step * c_rho  # D = D * rho + ...
        w[i] = w[i] - step * lr


def _nadam(g, m, v, w, rate_m, rate_v, coef_m, coef_g, v_correction, eps, lr):  # pragma: no cover
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * rate_m
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * rate_v
        v[i] = vi
        m_hat = mi * coef_m + gi * coef_g
        w[i] = w[i] - m_hat / (math.sqrt(vi / v_correction) + eps) * lr


def _adamax(g, m, u, w, rate, beta_2, eps, scale):  # pragma: no cover - compiled
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * rate  # m += (g - m) * (1 - beta_1)
        m[i] = mi
        ui = u[i] * beta_2
        a = abs(gi)
        if not ui >= a and ui == ui:  # u = maximum(u * beta_2, |g|), NaN winning
            ui = a
        u[i] = ui
        w[i] = w[i] - mi / (ui + eps) * scale  # w -= m / (u + eps) * (lr / correction)


_LOOPS: dict[str, Callable[..., None]] = {
    "adam": _adam, "rmsprop": _rmsprop, "sgd": _sgd, "adagrad": _adagrad,
    "adadelta": _adadelta, "nadam": _nadam, "adamax": _adamax,
}
_compiled: dict[str, Any] | None = None


def _load() -> dict[str, Any]:
    if turned_off():
        return {}
    try:
        from .. import _jit

        if _jit.mode() == "numba":
            import numba  # noqa: F401
    except Exception:  # numba not installed, or not for this NumPy
        return {}
    njit = _jit.njit
    loops = {}
    for name, loop in _LOOPS.items():
        # error_model="numpy": a division by zero gives inf or nan, as in NumPy
        try:  # compiled once, then loaded from numba's cache (or the native library)
            loops[name] = njit(cache=True, nogil=True, error_model="numpy")(loop)
        except Exception:  # no writable cache folder: compile in every process
            loops[name] = njit(nogil=True, error_model="numpy")(loop)
    return loops


def _loaded() -> dict[str, Any]:
    global _compiled
    if _compiled is None:
        _compiled = _load()
    return _compiled


def available() -> bool:
    """Whether the fused loops are in use (numba installed, not turned off)."""
    return bool(_loaded())


def run(name: str, arrays: tuple[np.ndarray | None, ...], scalars: tuple[Any, ...],
        views: dict[int, tuple] | None = None) -> bool:
    """Run loop `name` over `arrays` (the gradient first; None for a slot not
    in use) with `scalars` (converted to the arrays' dtype, as NumPy converts
    a Python float in `array *= 0.9`; a flag becomes 0.0 or 1.0). Returns False, having changed
    nothing, when the loop cannot run: numba missing or turned off, a dtype
    other than float32/float64, arrays of different dtypes, sizes or layouts.

    A large update in kerasnp's loops runs in two parts on two threads
    (`_parallel.flat_elementwise`; the loops release the GIL). `views` (an
    optimizer's own dict) remembers the checked 1-D views of recent calls'
    arrays, so a step that passes the same arrays again skips the checks;
    the same tuple of scalars passed again (Adam's, for all the variables of
    a step) is converted once.
    """
    loop = (_compiled if _compiled is not None else _loaded()).get(name)
    if loop is None:
        return False
    found = _flat(arrays, {} if views is None else views)
    if found is None:
        return False
    flat, resolved = found
    dtype = flat[0].dtype
    global _last
    last = _last  # one read: another thread may replace it meanwhile
    if last[0] is scalars and last[1] is dtype:
        values = last[2]
    else:
        values = tuple(map(dtype.type, scalars))
        _last = (scalars, dtype, values)
    call = resolved.get(name)
    if call is None:  # (natively, the loop's entry for these arrays, found once)
        from .._jit import resolved as resolve

        call = resolved[name] = resolve(loop, *flat, *values)
    try:
        _parallel.flat_elementwise(call, flat, values, fused=name)
    except Exception as exc:  # a failed compilation: NumPy from now on
        if not isinstance(exc, _compile_errors()):
            raise
        _compiled.pop(name, None)
        warnings.warn(f"kerasnp: the fused {name} update is unavailable ({exc}); "
                      "using the NumPy update instead", RuntimeWarning, stacklevel=2)
        return False
    return True


#: (scalars, dtype, converted) of the last call, replaced whole
_last: tuple[Any, Any, tuple] = (None, None, ())


def _flat(arrays: tuple[np.ndarray | None, ...],
          views: dict[int, tuple]) -> tuple[list[np.ndarray | None], dict] | None:
    """1-D views of `arrays` (None stays None) and a dict for the loops'
    calls found for them, or None if a loop cannot take them: a dtype other
    than float32/float64, different dtypes, sizes or layouts. `views`:
    id(gradient) -> (arrays, views, calls) of recent calls (the training
    loop passes the same buffers every step)."""
    known = views.get(id(arrays[0]))
    if known is not None and len(known[0]) == len(arrays):
        for a, b in zip(known[0], arrays, strict=True):
            if a is not b:
                break
        else:
            return known[1], known[2]
    first = arrays[0]
    dtype = first.dtype
    if dtype is not _FLOAT32 and dtype is not _FLOAT64:  # (built-in dtypes are singletons)
        return None
    size = first.size
    flat: list[np.ndarray | None] = []
    for a in arrays:
        if a is not None:
            if a.dtype is not dtype or a.size != size or not a.flags.c_contiguous:
                return None
            if a.ndim != 1:
                a = a.reshape(-1)
        flat.append(a)
    if len(views) >= 64:
        views.clear()
    calls: dict[str, Any] = {}
    views[id(first)] = (arrays, flat, calls)
    return flat, calls


def _compile_errors() -> tuple[type[BaseException], ...]:
    import numba.core.errors

    return (numba.core.errors.NumbaError,)


class Together:
    """What `run_together` keeps of an optimizer's last update: its arrays
    and, once the same arrays come again, the table of their addresses (or
    False where they cannot be updated together). A copy or a pickle starts
    empty: its table would point at the original's arrays."""

    __slots__ = ("arrays", "table", "size", "scalars", "helper", "here", "whole")

    def __init__(self) -> None:
        self.arrays: list[np.ndarray | None] | None = None
        self.table: np.ndarray | bool | None = None  # None: not tried yet

    def __copy__(self) -> Together:
        return Together()

    def __deepcopy__(self, memo: dict) -> Together:
        return Together()

    def __reduce__(self) -> tuple:
        return (Together, ())

    def prepare(self, name: str, rows: list[tuple[np.ndarray | None, ...]]) -> bool:
        """The table of `rows` (each variable's arrays, the gradient first) laid
        end to end; False where one loop cannot take them all: numba or a loop
        missing, dtypes other than one of float32/float64, arrays not
        C-contiguous or of different sizes within a row, arrays that overlap
        (updated in two parts at once, one could change what another reads),
        read-only ones (all but the gradient)."""
        if name not in ROW_LOOPS or name not in _loaded() or len(rows[0]) > ROW - 1:
            return False
        try:
            from . import fused_parts
        except Exception:  # numba not for this NumPy
            return False
        dtype = rows[0][0].dtype
        if dtype is not _FLOAT32 and dtype is not _FLOAT64:
            return False
        spans = []
        table = np.zeros((len(rows), ROW), np.int64)
        size = 0
        for j, row in enumerate(rows):
            count = table[j, 0] = row[0].size
            for k, a in enumerate(row):
                if a is None:
                    continue
                if (not isinstance(a, np.ndarray) or a.dtype is not dtype or a.size != count
                        or not a.flags.c_contiguous or (k and not a.flags.writeable)):
                    return False
                address = a.__array_interface__["data"][0]
                table[j, 1 + k] = address
                spans.append((address, address + a.nbytes))
            size += count
        spans.sort()
        if any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False)):
            return False
        scalars = np.zeros(8, dtype)
        loop, at = ROW_LOOPS.index(name), scalars.__array_interface__["data"][0]
        run = fused_parts.run_rows
        try:  # compiled (or loaded from numba's cache) now, not halfway through an update
            part = fused_parts.rows_part(dtype)
            run(loop, table[:0], fused_parts.WHOLE, at, dtype.type(0.0), dtype.itemsize)
        except _compile_errors():
            return False
        self.table, self.size, self.scalars = table, size, scalars
        # the calls of each update, made once: the helper's part (its address,
        # count, parameters, whether float32) and the caller's half or whole
        self.helper = (part, size - size // 2, (table.__array_interface__["data"][0], len(table),
                                                loop, fused_parts.SECOND_HALVES),
                       dtype is _FLOAT32)
        from .. import _jit

        self.here = _jit.partial(run, loop, table, fused_parts.FIRST_HALVES, at,
                                 dtype.type(0.0), dtype.itemsize)
        self.whole = _jit.partial(run, loop, table, fused_parts.WHOLE, at, dtype.type(0.0),
                                  dtype.itemsize)
        return True


#: the loops `run_together` runs, by their number in `fused_parts.run_rows`
ROW_LOOPS = ("adam", "rmsprop")
#: int64 values per variable in its table: the element count, then the
#: addresses of the (at most five) arrays, 0 for None
ROW = 6


def run_together(name: str, rows: list[tuple[np.ndarray | None, ...]],
                 scalars: tuple[Any, ...], memo: Together) -> bool:
    """The updates of several variables by loop `name` in one compiled call:
    `rows` holds each variable's arrays as `run` takes them, `scalars` are
    shared. Calling `run` per variable costs more than the loops of a small
    model's biases and small kernels; elementwise, the numbers are the same.

    `memo` (the optimizer's `Together`) remembers the arrays: the first time
    it sees them, and where they cannot go together, this returns False and
    changes nothing (then `run` per variable). A training loop passes the
    same buffers every step, so from the second step on, the table made for
    them is reused. A large update runs in two parts at once, the second
    halves of the variables by the spinning helper (`_spinning`).
    """
    arrays = [a for row in rows for a in row]
    known = memo.arrays
    if known is None or len(known) != len(arrays) or not all(map(_is, arrays, known)):
        memo.arrays, memo.table = arrays, None
        return False
    if memo.table is None and not memo.prepare(name, rows):
        memo.table = False
    if memo.table is False:
        return False
    values = tuple(map(float, scalars))
    memo.scalars[:len(values)] = values  # each rounded to the arrays' dtype, as `run` does
    spinner = (_spinning.spinner() if _blas.single_threaded
               and memo.size >= _parallel.SPIN_ELEMENTS else None)
    # the first half of each variable here, the second by the helper: the
    # kernel's rows each core owns in `_parallel.kernel_product`
    if spinner is not None and spinner.call(*memo.helper, values, memo.here):
        return True
    memo.whole()
    return True
