"""Helpers shared by the interop tests."""

import numpy as np


def close(a, b, atol=2e-6, rtol=2e-5):
    """float32 agreement: the same math, summed in another order."""
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=atol, rtol=rtol)
