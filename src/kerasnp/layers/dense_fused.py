"""Dense's relu passes in one compiled pass each (numba): forward and backward;
and a softmax layer's forward in two passes around NumPy's `exp`.

Forward, `Dense._ready_forward` computes for a relu layer

    z = x @ W                    # or the two terms of a split product,
    z += part                    # `_parallel.kernel_terms`
    z += b
    y = maximum(z, 0)            # activations._relu_in_place

three passes over a batch-by-units array; `bias_relu` makes them one, with
the same additions in the same order and NumPy's `maximum` against zeros
(NaN kept, -0.0 and 0.0 give 0.0, as NumPy gives them on the machines
measured; `check` compares).

Backward, `Dense._ready_backward` computes

    grad = grad * mask           # a Dropout layer above's backward pass,
                                 # handed over by `Sequential._backward_to`
    dz = (y > 0) * grad          # activations._relu_backward_into
    d_bias = dz.sum(axis=0)      # NumPy adds the rows in order (a single
                                 # column: pairwise; not taken here)

two or three passes over a batch-by-units array (the last two about 18 us
at 128x512). Here one
loop does both, with the same operations in the same order (the 0/1 factor
as a float times the gradient, so NaN and -0.0 come out as NumPy's; each
column summed row after row, from zero), so the numbers are bit for
bit the NumPy lines'. (One exception: where NaNs of both signs meet in one
column, the sum may keep the other one than NumPy's, whose vectorised loop
keeps one operand in its vector body and the other in its remainder.)

Softmax, `activations._softmax_in_place` after the bias (five NumPy calls,
about 7 us on a 32x10 batch, nearly all of it per-call cost): `bias_softmax`
adds the bias and subtracts each row's maximum in one pass, calls NumPy's
`exp` (so the exponentials are NumPy's own), then divides each row by its
sum, added in NumPy's pairwise order (`_pairwise`).

`check` compares all of them with the NumPy lines when the module is first
used. Imported only with numba installed and `KERASNP_FUSED` not `0`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _compiled, _jit
from .._jit import njit
from .._pairwise import pairwise_sum

#: whether the passes for arrays of a dtype passed `check` (at its first use)
ready = _compiled.Checked(__name__)


@njit(nogil=True, cache=True)
def _relu_backward_and_sum(y, grad, mask, dz, d_bias):  # pragma: no cover - compiled
    rows, cols = y.shape
    one, zero = grad.dtype.type(1.0), grad.dtype.type(0.0)
    d_bias[:] = zero  # NumPy's sum starts from 0 (so a lone -0.0 sums to 0.0)
    for r in range(rows):
        for c in range(cols):
            above = grad[r, c] if mask is None else grad[r, c] * mask[r, c]
            value = (one if y[r, c] > 0 else zero) * above
            dz[r, c] = value
            d_bias[c] += value


@njit(nogil=True, cache=True)
def _bias_relu(z, part, bias):  # pragma: no cover - compiled
    """z = maximum((z + part) + bias, 0), without `part` when it is None."""
    rows, cols = z.shape
    zero = bias.dtype.type(0.0)
    for r in range(rows):
        for c in range(cols):
            value = z[r, c] if part is None else z[r, c] + part[r, c]
            value = value + bias[c]
            z[r, c] = value if value > zero or value != value else zero


def _ran(call: Callable[[], Any] | None) -> bool:
    """Run `call`, if there is one; whether there was."""
    if call is None:
        return False
    call()
    return True


def bias_relu(z: np.ndarray, part: np.ndarray | None, bias: np.ndarray) -> bool:
    """`z = maximum((z + part) + bias, 0)` in place (without `part` when it is
    None) for 2-D arrays of one float dtype; False (nothing written) for
    arrays it does not take."""
    return _ran(bias_relu_call(z, part, bias))


def bias_relu_call(z: np.ndarray, part: np.ndarray | None,
                   bias: np.ndarray) -> Callable[[], Any] | None:
    """`bias_relu(z, part, bias)` as a call made ready once, for a loop that
    passes the same arrays again (`models.program`); None where it is False."""
    dtype = z.dtype
    if (not ready(dtype) or bias.dtype != dtype or z.ndim != 2
            or bias.shape != z.shape[1:] or not z.flags.c_contiguous
            or not bias.flags.c_contiguous):
        return None
    if part is not None and (part.dtype != dtype or part.shape != z.shape
                             or not part.flags.c_contiguous):
        return None
    return _jit.partial(_bias_relu, z, part, bias)


@njit(nogil=True, cache=True)
def _shift_by_maxima(z, part, bias):  # pragma: no cover - compiled
    """`z = (z + part) + bias` (each when given), then `z -= z.max(axis=-1)`;
    False, with only the sums done, if a row's maximum is NaN (NumPy's `max`
    then picks which NaN, and its sign, by its own vectorised order)."""
    rows, cols = z.shape
    tops = np.empty(rows, z.dtype)
    clean = True
    for r in range(rows):
        top = z[r, 0]
        for c in range(cols):
            value = z[r, c]
            if part is not None:
                value = value + part[r, c]
            if bias is not None:
                value = value + bias[c]
            z[r, c] = value
            if value > top or value != value or c == 0:
                top = value
        tops[r] = top
        clean = clean and top == top
    if clean:
        for r in range(rows):
            for c in range(cols):
                z[r, c] = z[r, c] - tops[r]
    return clean


@njit(nogil=True, cache=True, error_model="numpy")
def _divide_by_sums(z):  # pragma: no cover - compiled
    """`z /= z.sum(axis=-1, keepdims=True)`, each row summed in NumPy's order."""
    for r in range(z.shape[0]):
        row = z[r]
        total = pairwise_sum(row)
        for c in range(row.size):
            row[c] = row[c] / total


def bias_softmax(z: np.ndarray, part: np.ndarray | None, bias: np.ndarray | None) -> bool:
    """`z = softmax((z + part) + bias)` in place over the last axis (without
    `part` or `bias` when None) for 2-D arrays of one float dtype, as
    `activations._softmax_in_place` computes it: the maximum subtracted,
    NumPy's `exp`, the sum divided out; False (nothing written) for arrays it
    does not take."""
    return _ran(bias_softmax_call(z, part, bias))


def bias_softmax_call(z: np.ndarray, part: np.ndarray | None,
                      bias: np.ndarray | None) -> Callable[[], Any] | None:
    """`bias_softmax(z, part, bias)` as a call made ready once (see
    `bias_relu_call`); None where it is False."""
    dtype = z.dtype
    others = [a for a in (part, bias) if a is not None]
    if (not ready(dtype) or z.ndim != 2 or not z.shape[1] or not z.flags.c_contiguous
            or any(a.dtype != dtype or not a.flags.c_contiguous for a in others)
            or (part is not None and part.shape != z.shape)
            or (bias is not None and bias.shape != z.shape[1:])):
        return None
    return functools.partial(_softmax_pass, _jit.partial(_shift_by_maxima, z, part, bias),
                             _jit.partial(_divide_by_sums, z), z)


def _softmax_pass(shift: Callable[[], bool], divide: Callable[[], None], z: np.ndarray) -> None:
    if not shift():
        from ..activations import _softmax_in_place

        _softmax_in_place(z)  # the rest as NumPy's lines (a NaN in the batch)
        return
    np.exp(z, out=z)
    divide()


def relu_backward(y: np.ndarray, grad: np.ndarray, dz: np.ndarray, d_bias: np.ndarray,
                  mask: np.ndarray | None = None) -> bool:
    """`dz = (y > 0) * grad` and `d_bias = dz.sum(axis=0)` for 2-D arrays of
    one float dtype, with `grad * mask` for `grad` if a mask is given (the
    Dropout layer above's backward pass, `Sequential._backward_to`); False
    (nothing written) for arrays it does not take."""
    if not takes_relu_backward(y, grad, dz, d_bias, mask):
        return False
    _relu_backward_and_sum(y, grad, mask, dz, d_bias)
    return True


def takes_relu_backward(y: np.ndarray, grad: np.ndarray, dz: np.ndarray, d_bias: np.ndarray,
                        mask: np.ndarray | None = None) -> bool:
    """Whether `relu_backward` takes these arrays (then `relu_backward_pass`
    is what it runs). Not one column: NumPy sums a single column pairwise,
    not row after row as the pass does (and as NumPy sums several columns)."""
    dtype = grad.dtype
    if (not ready(dtype) or d_bias.dtype != dtype or d_bias.shape != grad.shape[1:]
            or grad.ndim != 2 or not grad.shape[0] or grad.shape[1] < 2
            or not d_bias.flags.c_contiguous):
        return False
    for a in (y, grad, dz) if mask is None else (y, grad, dz, mask):
        if a.dtype != dtype or a.shape != grad.shape or not a.flags.c_contiguous:
            return False
    return True


@njit(nogil=True, cache=True)
def _column_sums(grad, out):  # pragma: no cover - compiled
    """out = grad.sum(axis=0), each column summed row after row from zero"""
    zero = out.dtype.type(0.0)
    for c in range(grad.shape[1]):
        out[c] = zero
    for r in range(grad.shape[0]):
        for c in range(grad.shape[1]):
            out[c] += grad[r, c]


def column_sums_call(grad: np.ndarray, out: np.ndarray) -> Callable[[], Any] | None:
    """`grad.sum(axis=0, out=out)` (a layer's bias gradient where relu's pass
    does not compute it) as a call made ready once, for a 2-D `grad` of two
    columns or more (NumPy sums one column pairwise); None for arrays it does
    not take. As for relu's pass, a column holding NaNs of both signs may
    come out with the other NaN."""
    if (grad.ndim != 2 or grad.shape[1] < 2 or not ready(grad.dtype)
            or out.dtype != grad.dtype or out.shape != grad.shape[1:]
            or not grad.flags.c_contiguous or not out.flags.c_contiguous):
        return None
    return _jit.partial(_column_sums, grad, out)


def relu_backward_pass(y: np.ndarray, grad: np.ndarray, mask: np.ndarray | None, dz: np.ndarray,
                       d_bias: np.ndarray) -> Callable[..., None]:
    """`relu_backward`'s compiled pass for arrays like these, without its
    checks: `(y, grad, mask or None, dz, d_bias)`, for arrays
    `takes_relu_backward` took (a step program's, `models.program`)."""
    return _jit.resolved(_relu_backward_and_sum, y, grad, mask, dz, d_bias)


def check(dtype: np.dtype) -> bool:
    """Whether the passes for arrays of `dtype` give the NumPy lines' bits here."""
    from ..activations import _relu_backward_into, _relu_in_place, _softmax_in_place

    rng = np.random.default_rng(0)
    specials = [np.nan, -np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45]
    for shape in ((1, 3), (7, 5), (32, 128), (130, 17)):
        z, part = (rng.normal(size=shape).astype(dtype) for _ in range(2))
        bias = rng.normal(size=shape[1]).astype(dtype)
        z.flat[:8], part.flat[-8:] = specials[: z.size], specials[-part.size:]
        # (-0.0 + -0.0) + -0.0 and (0.0 + 0.0) + 0.0: relu of signed zeros
        part.flat[2:4] = z.flat[2:4]
        bias.flat[2:4] = z.flat[2:4]
        bias.flat[-1:] = -0.0
        for with_part in (True, False):
            ours = z.copy()
            if not bias_relu(ours, part if with_part else None, bias):
                return False
            expected = z.copy()
            with np.errstate(invalid="ignore", over="ignore"):
                if with_part:
                    np.add(expected, part, out=expected)
                expected += bias
            _relu_in_place(expected)
            if ours.tobytes() != expected.tobytes():
                return False
    # the softmax, with rows of every sum layout, and specials
    for shape in ((1, 1), (3, 7), (32, 10), (128, 10), (9, 130), (4, 1000)):
        z = (rng.normal(size=shape) * 30).astype(dtype)
        part = rng.normal(size=shape).astype(dtype)
        bias = rng.normal(size=shape[1]).astype(dtype)
        if shape[0] > 3:
            z[1, :2] = [np.inf, 1.0][: shape[1]]
            z[2, -1:] = np.nan
            z[3, :1] = -np.nan  # (x86's inf - inf)
        for with_part, with_bias in ((True, True), (False, True), (False, False)):
            ours, expected = z.copy(), z.copy()
            with np.errstate(invalid="ignore", over="ignore"):  # (NaN rows: NumPy's lines)
                if not bias_softmax(ours, part if with_part else None,
                                    bias if with_bias else None):
                    return False
                if with_part:
                    np.add(expected, part, out=expected)
                if with_bias:
                    expected += bias
                _softmax_in_place(expected)
            if ours.tobytes() != expected.tobytes():
                return False
    for shape in ((1, 3), (7, 5), (128, 64), (1000, 17)):
        y = np.maximum(rng.normal(size=shape), 0).astype(dtype)
        grad = rng.normal(size=shape).astype(dtype)
        grad.flat[:3] = [np.nan, -0.0, np.inf][: grad.size]
        y.flat[-1:] = np.nan
        mask = (rng.random(shape) < 0.8).astype(dtype) * dtype.type(1.25)
        mask.flat[-2:] = [np.inf, -0.0][-mask.size:]
        for masked in (False, True):
            dz, d_bias = np.empty_like(grad), np.empty(shape[1], dtype)
            if not relu_backward(y, grad, dz, d_bias, mask if masked else None):
                return False
            with np.errstate(invalid="ignore", over="ignore"):  # inf * 0
                above = grad * mask if masked else grad  # Dropout's backward
                expected = _relu_backward_into(y, above, np.empty_like(grad))
            if (dz.tobytes() != expected.tobytes()
                    or d_bias.tobytes() != expected.sum(axis=0).tobytes()):
                return False
            column_sums_call(expected, d_bias)()
            if d_bias.tobytes() != expected.sum(axis=0).tobytes():
                return False
    return True
