"""`Orthogonal`: a random orthogonal matrix, the Q of a QR decomposition."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import check_float, invalid
from ..utils.random import make_rng
from .random_initializers import _normal, _RandomInitializer


class Orthogonal(_RandomInitializer):
    """A random orthogonal matrix times `gain` (Saxe et al., 2014).

    The shape is seen as a matrix `(prod(shape[:-1]), shape[-1])`; its rows
    (if fewer) or columns (otherwise) are orthonormal. Drawn as the Q of the
    QR decomposition of a normal matrix, with signs fixed so that R has a
    positive diagonal (which makes Q uniformly distributed).

    Args:
        gain: the factor applied to the orthogonal matrix. Defaults to `1.0`.
        seed: an int for the same values at every call, or None. Defaults to `None`.

    Example:
    >>> q = Orthogonal(seed=0)((4, 4))
    >>> np.allclose(q.T @ q, np.eye(4), atol=1e-6)
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = check_float("Orthogonal", "gain", gain)
        super().__init__(seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = self._prepare(shape, dtype)
        if len(shape) < 2:
            raise invalid("Orthogonal", "shape", "a shape with at least 2 dimensions", shape)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        if rows == 0 or cols == 0:
            return np.zeros(shape, dtype)
        tall = _normal(make_rng(self._seed), (max(rows, cols), min(rows, cols)), dtype)
        q, r = np.linalg.qr(tall)
        q *= np.sign(np.diagonal(r))
        if rows < cols:
            q = q.T
        q = q * self.gain
        return q.reshape(shape).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}
