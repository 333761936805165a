"""The optimizer loops of `fused.py` compiled for the spinning helper (numba).

The helper (`_spinning`) runs compiled code without Python, called by
address with one C signature (`_spin_loops.PART_SIGNATURE`: a count, an
int64 array of parameters, the address of the scalars). Here Adam's and
RMSprop's loops get that signature two ways:

- `native(name, dtype)`: the second half of one variable's update (the
  parameters: its arrays' addresses from the element where that half
  begins; `_spinning.Spinner.elementwise`);
- `rows_part(dtype)` and `run_rows`: all of an optimizer's variables, from
  a table with one row per variable (`fused.Together`): the first half of
  each here, the second by the helper (`fused.run_together`).

The loops themselves are `fused.py`'s, the same float operations in the
same order, so every part gives the NumPy lines' numbers. Imported only
with numba installed.
"""

from __future__ import annotations

import numpy as np
from numba import carray, njit

from .._spin_loops import array_at, compiled_part, pointer
from . import fused as _fused

_adam = njit(nogil=True, cache=True, error_model="numpy")(_fused._adam)
_rmsprop = njit(nogil=True, cache=True, error_model="numpy")(_fused._rmsprop)


@njit(nogil=True, cache=True, error_model="numpy")
def _adam_at(n, g, m, v, w, v_hat, s, like):  # pragma: no cover - compiled
    """`_adam` on the `n` elements at the addresses (v_hat 0: None), its scalars at `s`."""
    sc = carray(pointer(s, like), 4)
    g, m = array_at(g, n, like), array_at(m, n, like)
    v, w = array_at(v, n, like), array_at(w, n, like)
    if v_hat == 0:
        _adam(g, m, v, w, None, sc[0], sc[1], sc[2], sc[3])
    else:
        _adam(g, m, v, w, array_at(v_hat, n, like), sc[0], sc[1], sc[2], sc[3])


@njit(nogil=True, cache=True, error_model="numpy")
def _rmsprop_at(n, g, v, w, mean, velocity, s, like):  # pragma: no cover - compiled
    """`_rmsprop` on the `n` elements at the addresses (0: None), its scalars at `s`."""
    sc = carray(pointer(s, like), 5)
    g, v, w = array_at(g, n, like), array_at(v, n, like), array_at(w, n, like)
    if mean == 0 and velocity == 0:
        _rmsprop(g, v, w, None, None, sc[0], sc[1], sc[2], sc[3], sc[4])
    elif mean == 0:
        _rmsprop(g, v, w, None, array_at(velocity, n, like), sc[0], sc[1], sc[2], sc[3], sc[4])
    elif velocity == 0:
        _rmsprop(g, v, w, array_at(mean, n, like), None, sc[0], sc[1], sc[2], sc[3], sc[4])
    else:
        _rmsprop(g, v, w, array_at(mean, n, like), array_at(velocity, n, like),
                 sc[0], sc[1], sc[2], sc[3], sc[4])


@njit(nogil=True, cache=True)
def _adam_part(n, p, s, like):  # pragma: no cover - compiled
    _adam_at(n, p[0], p[1], p[2], p[3], p[4], s, like)


@njit(nogil=True, cache=True)
def _rmsprop_part(n, p, s, like):  # pragma: no cover - compiled
    _rmsprop_at(n, p[0], p[1], p[2], p[3], p[4], s, like)


def _adam_float32(n, p, s):  # pragma: no cover - compiled
    _adam_part(n, p, s, np.float32(0.0))


def _adam_float64(n, p, s):  # pragma: no cover - compiled
    _adam_part(n, p, s, 0.0)


def _rmsprop_float32(n, p, s):  # pragma: no cover - compiled
    _rmsprop_part(n, p, s, np.float32(0.0))


def _rmsprop_float64(n, p, s):  # pragma: no cover - compiled
    _rmsprop_part(n, p, s, 0.0)


_PARTS = {("adam", np.dtype("float32")): _adam_float32,
          ("adam", np.dtype("float64")): _adam_float64,
          ("rmsprop", np.dtype("float32")): _rmsprop_float32,
          ("rmsprop", np.dtype("float64")): _rmsprop_float64}


def native(name: str, dtype: np.dtype) -> int | None:
    """The address of optimizer loop `name`'s part in `dtype`; None if there is none."""
    part = _PARTS.get((name, dtype))
    return None if part is None else compiled_part(part)


# ------------------------------------ all the variables' updates in one call
ROW_LOOPS, ROW = _fused.ROW_LOOPS, _fused.ROW
#: which elements of each variable `run_rows` updates
WHOLE, FIRST_HALVES, SECOND_HALVES = 0, 1, 2


@njit(cache=True)
def _shifted(address, skip):  # pragma: no cover - compiled
    return 0 if address == 0 else address + skip


@njit(nogil=True, cache=True)
def run_rows(loop, table, part, s, like, itemsize):  # pragma: no cover - compiled
    """An update of several variables (`table`, one row each) by loop number
    `loop` of `ROW_LOOPS`, its scalars at address `s`: all their elements,
    or the first or second half of each (`part`: the kernel's rows each core
    owns in `_parallel.kernel_product`, so each core updates what it reads)."""
    for j in range(table.shape[0]):
        count = table[j, 0]
        lo, hi = 0, count
        if part == FIRST_HALVES:
            hi = count // 2
        elif part == SECOND_HALVES:
            lo = count // 2
        if lo < hi:
            skip = lo * itemsize
            a = (_shifted(table[j, 1], skip), _shifted(table[j, 2], skip),
                 _shifted(table[j, 3], skip), _shifted(table[j, 4], skip),
                 _shifted(table[j, 5], skip))
            if loop == 0:
                _adam_at(hi - lo, a[0], a[1], a[2], a[3], a[4], s, like)
            elif loop == 1:
                _rmsprop_at(hi - lo, a[0], a[1], a[2], a[3], a[4], s, like)


def _rows_float32(n, p, s):  # pragma: no cover - compiled
    # p: the table's address, its rows, the loop's number, the part (n: unused)
    run_rows(p[2], carray(pointer(p[0], np.int64(0)), (p[1], ROW)), p[3], s, np.float32(0.0), 4)


def _rows_float64(n, p, s):  # pragma: no cover - compiled
    run_rows(p[2], carray(pointer(p[0], np.int64(0)), (p[1], ROW)), p[3], s, 0.0, 8)


_ROW_PARTS = {np.dtype("float32"): _rows_float32, np.dtype("float64"): _rows_float64}


def rows_part(dtype: np.dtype) -> int:
    """The address of the part that runs `run_rows` for the helper, in `dtype`."""
    return compiled_part(_ROW_PARTS[dtype])
