"""The optimizer loops of `fused.py` compiled for the spinning helper (numba).

The helper (`_spinning`) runs compiled code without Python, called by
address with one C signature (`_spin_loops.PART_SIGNATURE`: a count, an
int64 array of parameters, the address of the scalars). Here Adam's and
RMSprop's loops get that signature once:

`rows_part(dtype)`, which runs `run_rows` over a table with one row per
variable: all of an optimizer's variables (`fused.Together`: the first half
of each here, the second by the helper, `fused.run_together`), or one
variable's second half (`offer_second_half`, a one-row table written in the
job: `_spinning.Spinner.elementwise`).

The loops themselves are `fused.py`'s, the same float operations in the
same order, so every part gives the NumPy lines' numbers. Imported only
with numba installed.
"""

from __future__ import annotations

import numpy as np

from .._jit import carray, njit
from .._spin_loops import address_after, array_at, compiled_part, offer_call, pointer
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


# ---------------------------------------------- updates from a table of rows
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


def rows_part(dtype: np.dtype) -> int | None:
    """The address of the part that runs `run_rows` for the helper, in
    `dtype`; None for a dtype it does not take."""
    part = _ROW_PARTS.get(dtype)
    return None if part is None else compiled_part(part)


#: where `offer_second_half` writes its one-row table: job[_ROW_AT:], after
#: the four parameters of `_rows_float32` (the job's parameters start at job[2])
_ROW_AT = 2 + 4


@njit(cache=True)
def offer_second_half(ctl, job, scalars, function, loop, g, a1, a2, a3, a4,
                      values):  # pragma: no cover - compiled
    """Offer the helper the second half of one variable's update by loop
    number `loop` (`function`: `rows_part`), its arrays `g, a1..a4` (None for
    one not in use) as a one-row table written in the job itself, which
    nobody rewrites while the part runs (`_spin_loops.finish_part`); 0
    (nothing written) if the job is busy."""
    params = (job.ctypes.data + _ROW_AT * 8, 1, loop, SECOND_HALVES, g.size,
              address_after(g, 0), address_after(a1, 0), address_after(a2, 0),
              address_after(a3, 0), address_after(a4, 0))
    return offer_call(ctl, job, scalars, function, g.size - g.size // 2, params,
                      g.itemsize == 4, values)
