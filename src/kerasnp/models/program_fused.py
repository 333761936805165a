"""An L2 penalty's gradient added to the loss's in one compiled pass (numba).

A step program (`models/program.py`) runs a `fit` step as calls made ready
once. For a kernel with an L2 penalty, `StepPlan.gradients` makes two NumPy
calls that cost more in call overhead than in arithmetic on `seed`'s 128x64
kernel:

    buf = w * (2 * l2)           # regularizers.L2._gradient_into
    buf += grad                  # the loss's gradient added

`scaled_add_call` makes them one compiled pass, with the same operations in
the same order and dtype (the factor rounded to the weights' dtype as NumPy
rounds a Python float; no fused multiply-add). `check` compares it with the
NumPy lines at first use, also where NaNs of both signs meet in the
addition (which one comes out depends on the order the compiler gives the
operands). Imported only with numba installed and `KERASNP_FUSED` not `0`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import _compiled, _jit
from .._jit import njit

#: whether the pass for arrays of a dtype passed `check` (at its first use)
ready = _compiled.Checked(__name__)


@njit(nogil=True, cache=True, error_model="numpy")
def _scaled_add(w, factor, grad, out):  # pragma: no cover - compiled
    """out = w * factor; out += grad (1-D arrays)"""
    for i in range(w.size):
        out[i] = w[i] * factor + grad[i]


def _flat(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """1-D views of C-contiguous arrays of one float dtype and size, or None."""
    dtype, size = arrays[0].dtype, arrays[0].size
    if not ready(dtype):
        return None
    if any(a.dtype != dtype or a.size != size or not a.flags.c_contiguous for a in arrays):
        return None
    return [a.reshape(-1) for a in arrays]


def scaled_add_call(w: np.ndarray, factor: float, grad: np.ndarray,
                    out: np.ndarray) -> Callable[[], None] | None:
    """`np.multiply(w, factor, out=out); out += grad` as a call made ready once
    (`factor` a Python float or int, rounded to the arrays' dtype as NumPy
    rounds it); None for another factor (a NumPy scalar keeps its own dtype
    in NumPy's product) and for arrays it does not take (or `out`
    overlapping the others)."""
    flat = _flat(w, grad, out)
    if (type(factor) not in (float, int) or flat is None or np.may_share_memory(out, w)
            or np.may_share_memory(out, grad)):
        return None
    return _jit.partial(_scaled_add, flat[0], w.dtype.type(factor), flat[1], flat[2])


def check(dtype: np.dtype) -> bool:
    """Whether the pass for arrays of `dtype` gives the NumPy lines' bits here."""
    rng = np.random.default_rng(0)
    specials = [np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45]
    for shape in ((1, 2), (7, 5), (32, 10), (128, 64), (1000, 17)):
        w, grad = (rng.normal(size=shape).astype(dtype) for _ in range(2))
        w.flat[:8] = specials
        grad.flat[:8] = specials[::-1]
        grad.flat[8:10] = [-np.nan, np.nan][:grad.size - 8]  # with w's NaNs...
        w.flat[8:10] = [np.nan, -np.nan][:w.size - 8]  # ...of the other sign
        ours, expected = np.empty_like(w), np.empty_like(w)
        factor = 2.0 * 1e-3
        with np.errstate(invalid="ignore", over="ignore"):
            scaled_add_call(w, factor, grad, ours)()
            np.multiply(w, factor, out=expected)
            expected += grad
            if ours.tobytes() != expected.tobytes():
                return False
    return True
