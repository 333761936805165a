"""NumPy's summation order in compiled code (`_pairwise`): the same sums, bit for bit."""

import numpy as np
import pytest


@pytest.fixture
def pairwise_sum(compiled):
    try:
        from kerasnp._pairwise import pairwise_sum
    except ImportError:  # numba missing
        pairwise_sum = None
    return compiled(pairwise_sum, "the compiled sums")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 127, 128, 129, 136, 255, 256,
                               257, 1000, 5003])
def test_sums_are_numpys(pairwise_sum, dtype, n):
    rng = np.random.default_rng(n)
    for trial in range(20):
        # magnitudes over many decades, so the order of the additions shows
        a = (rng.standard_normal(n) * np.exp(rng.standard_normal(n) * 8)).astype(dtype)
        if trial == 1:
            a[:] = -0.0  # NumPy's sum of negative zeros is 0.0
        elif trial in (2, 3, 4) and n:
            a[rng.integers(0, n)] = [np.inf, -np.inf, np.nan][trial - 2]
        ours = np.asarray(pairwise_sum(a), dtype)
        expected = a.sum()
        assert ours.tobytes() == expected.tobytes() or (np.isnan(ours) and np.isnan(expected))


def test_rows_of_a_matrix_sum_as_numpys_last_axis(pairwise_sum):
    rng = np.random.default_rng(0)
    for shape in [(32, 10), (128, 10), (5, 130), (3, 1000)]:
        a = (rng.standard_normal(shape) * np.exp(rng.standard_normal(shape) * 8)).astype("float32")
        expected = a.sum(axis=-1)
        assert all(np.float32(pairwise_sum(row)) == e for row, e in zip(a, expected, strict=True))
