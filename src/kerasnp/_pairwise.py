"""NumPy's sum of a contiguous run of floats, in compiled code (numba).

`np.sum` over a contiguous axis does not add the numbers one after the
other: it adds them pairwise, which loses fewer digits. A compiled pass that
must give NumPy's sum bit for bit (the softmax's denominators, a loss's
mean) has to add in that order, which `pairwise_sum` follows:

- fewer than 8 numbers: one after the other;
- up to 128: eight running sums over every eighth number, combined as
  ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the last
  `n % 8` numbers one by one;
- more: the two halves (the first a multiple of 8 long), each summed so.

The reduction starts from 0.0, so a sum of zeros is 0.0. The modules that
use it compare their results with NumPy's when first used (`check`), so a
NumPy that adds in another order turns them off rather than changing a
number. Imported only by compiled modules (numba installed).
"""

from __future__ import annotations

import numpy as np

from ._jit import njit


@njit(nogil=True, cache=True)
def _block(a, start, n):  # pragma: no cover - compiled
    """The pairwise sum of `a[start:start + n]`, `n` at most 128."""
    if n < 8:
        res = a.dtype.type(0.0)
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = start + 8
    end = start + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < start + n:
        res += a[i]
        i += 1
    return res


@njit(nogil=True, cache=True)
def pairwise_sum(a):  # pragma: no cover - compiled
    """`np.sum(a)` for a contiguous 1-D float array, bit for bit."""
    zero = a.dtype.type(0.0)
    if a.size <= 128:
        return zero + _block(a, 0, a.size)
    # NumPy recurses: sum(first half) + sum(second half), the first half
    # n // 2 rounded down to a multiple of 8. The same additions, with a
    # stack instead of recursion (each frame: start, count, stage, left sum)
    starts, counts = np.empty(64, np.int64), np.empty(64, np.int64)
    stages, lefts = np.zeros(64, np.int64), np.empty(64, a.dtype)
    starts[0], counts[0], top, value = 0, a.size, 0, zero
    while top >= 0:
        start, n = starts[top], counts[top]
        if n <= 128 or stages[top] == 2:
            value = _block(a, start, n) if n <= 128 else lefts[top] + value
            top -= 1  # `value` goes to the frame below
            if top >= 0 and stages[top] == 1:
                lefts[top] = value
            continue
        half = n // 2
        half -= half % 8
        stages[top] += 1
        top += 1
        stages[top] = 0
        if stages[top - 1] == 1:  # the first half
            starts[top], counts[top] = start, half
        else:  # the second
            starts[top], counts[top] = start + half, n - half
    return zero + value
