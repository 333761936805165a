"""The spinning helper (`_spinning`): NumPy's numbers, a caller that never
waits on a helper without a core, and a helper that sleeps when idle."""

import os
import threading
import time

import numpy as np
import pytest

from kerasnp import _blas, _parallel, _spinning


@pytest.fixture(autouse=True)
def one_blas_thread():
    """The BLAS on one thread, as in `fit`."""
    with _blas.limited(1):
        yield


@pytest.fixture
def spinner(monkeypatch, compiled):
    """The helper, not backing off (tiny products in other tests may have
    finished before it could take them, which counts against it)."""
    found = compiled(_spinning.spinner(), "the spinning helper")
    for name in ("_seen", "_missed", "_skip"):
        monkeypatch.setattr(found, name, 0)
    return found


@pytest.fixture
def fresh(monkeypatch):
    """`spinner()` starts over within the test (and is restored after it)."""
    monkeypatch.setattr(_spinning, "_spinner", _spinning._UNSET)


def by_rows(spinner, a, b, out, h):
    """`out = a @ b` as rows `[:h]` here and `[h:]` offered to the helper."""
    return spinner.products(a[:h], b, out[:h], a[h:], b, out[h:])


def _operands(rng, m, k, n, dtype, ta, tb):
    a = rng.normal(size=(k, m)).astype(dtype).T if ta else rng.normal(size=(m, k)).astype(dtype)
    b = rng.normal(size=(n, k)).astype(dtype).T if tb else rng.normal(size=(k, n)).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_products_through_the_helper_equal_numpys_parts(spinner, dtype, ta, tb):
    rng = np.random.default_rng(0)
    for m, k, n, h in [(128, 784, 512, 64), (32, 784, 128, 16), (784, 32, 128, 392),
                       (9, 7, 5, 4), (4, 2, 3, 2), (300, 20, 2, 150)]:
        a, b = _operands(rng, m, k, n, dtype, ta, tb)
        expected = np.concatenate([a[:h] @ b, a[h:] @ b])
        for _ in range(3):
            out = np.full((m, n), np.nan, dtype=dtype)
            assert by_rows(spinner, a, b, out, h)
            np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_sums_terms_and_a_results_columns_through_the_helper_equal_numpys(spinner, dtype):
    rng = np.random.default_rng(5)
    for m, k, n in [(32, 784, 128), (128, 512, 512), (9, 7, 5)]:
        x, w = _operands(rng, m, k, n, dtype, False, False)
        j = k // 2
        for _ in range(3):  # x @ w's terms over the rows of w (kernel_product)
            first, second = np.full((m, n), np.nan, dtype), np.full((m, n), np.nan, dtype)
            assert spinner.products(x[:, :j], w[:j], first, x[:, j:], w[j:], second)
            np.testing.assert_array_equal(first, x[:, :j] @ w[:j])
            np.testing.assert_array_equal(second, x[:, j:] @ w[j:])
        g = rng.normal(size=(m, n)).astype(dtype)
        for _ in range(3):  # g @ w.T by columns (transposed_kernel_product)
            out = np.full((m, k), np.nan, dtype)
            assert spinner.products(g, w[:j].T, out[:, :j], g, w[j:].T, out[:, j:])
            np.testing.assert_array_equal(out, np.concatenate([g @ w[:j].T, g @ w[j:].T], 1))


def test_views_with_a_leading_dimension_are_multiplied_in_place(spinner):
    rng = np.random.default_rng(1)
    big = rng.normal(size=(64, 300)).astype("float32")
    a = big[:, 10:210]  # rows 300 apart
    b = rng.normal(size=(400, 200)).astype("float32")[::2]  # every other row
    out = np.zeros((64, 250), "float32")
    target = out[:, 20:120]
    b = b[:, :100]
    assert by_rows(spinner, a, b, target, 30)
    np.testing.assert_array_equal(target, np.concatenate([a[:30] @ b, a[30:] @ b]))
    assert not out[:, :20].any() and not out[:, 120:].any()  # nothing beside the view


def test_arrays_a_blas_cannot_take_are_declined_untouched(spinner):
    rng = np.random.default_rng(2)
    b = rng.normal(size=(50, 40)).astype("float32")
    out = np.zeros((60, 40), "float32")
    read_only = np.zeros((60, 40), "float32")
    read_only.flags.writeable = False
    declined = [
        (rng.normal(size=(60, 100)).astype("float32")[:, ::2], b, out),   # no unit stride
        (rng.normal(size=(60, 50)).astype("float32")[::-1], b, out),      # negative stride
        (rng.normal(size=(60, 50)), b, out),                              # float64 with float32
        (rng.integers(0, 9, (60, 50)).astype("int32"), b.astype("int32"),
         out.astype("int32")),                                            # not floats
        (rng.normal(size=(60, 50)).astype("float16"), b.astype("float16"),
         out.astype("float16")),
        (rng.normal(size=(60, 50)).astype("float32"), b, np.zeros((40, 60), "float32").T),
        (rng.normal(size=(60, 50)).astype("float32"), b[:, :1], out[:, :1]),  # NumPy: gemv
        (rng.normal(size=(60, 1)).astype("float32"), b[:1], out),  # a column times a row
        (rng.normal(size=(60, 50)).astype("float32"), b, read_only),  # NumPy: an error
    ]
    for a, b_, out_ in declined:
        assert not by_rows(spinner, a, b_, out_, 30)
        assert not out_.any()
    a = rng.normal(size=(60, 50)).astype("float32")
    assert not by_rows(spinner, a, b, out, 1)  # a one-row part: NumPy calls gemv
    assert not by_rows(spinner, a, b, out, 59)
    square = rng.normal(size=(60, 60)).astype("float32")
    assert not by_rows(spinner, square, square.T, np.zeros((60, 60), "float32"), 30)  # syrk
    assert not out.any()
    # _parallel still multiplies them, the NumPy way
    a = rng.normal(size=(60, 100)).astype("float32")[:, ::2]
    np.testing.assert_allclose(_parallel.matmul(a, b, out), a @ b, rtol=1e-6)


def test_python_jobs_run_once_by_the_helper_or_the_caller(spinner, monkeypatch):
    monkeypatch.setattr(_blas, "single_threaded", True)
    ran = []

    def part(w, tag):
        if tag == "first":
            time.sleep(0.002)  # lets the helper take Python's lock
        ran.append((tag, threading.current_thread().name))
        w += 1.0

    for _ in range(20):
        w = np.zeros(10, "float32")
        _parallel.in_halves(part, (w[:5], "first"), (w[5:], "second"))
        assert (w == 1.0).all()
    assert sorted(tag for tag, _ in ran) == ["first"] * 20 + ["second"] * 20
    assert {name for tag, name in ran if tag == "first"} == {threading.current_thread().name}
    assert "kerasnp-spin" in {name for tag, name in ran if tag == "second"}


class _NeverServes(_spinning.Spinner):
    """A helper that never gets a core: its thread is never started."""

    def __init__(self, model):
        super().__init__(model._loops, model._gemms, model.idle_spins)
        self._pid = os.getpid()  # "already running"


def test_a_helper_without_a_core_costs_the_caller_only_its_half(spinner):
    idle = _NeverServes(spinner)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(64, 300)).astype("float32"), rng.normal(size=(300, 80)).astype(
        "float32")
    expected = np.concatenate([a[:32] @ b, a[32:] @ b])
    for _ in range(_spinning.WINDOW):  # offered every time, taken never: the caller runs both
        out = np.empty((64, 80), "float32")
        assert by_rows(idle, a, b, out, 32)
        np.testing.assert_array_equal(out, expected)
        assert idle.ctl[0] == 0  # the offer was taken back
    # then it stops offering for a while, doubling the pause while it lasts
    assert idle._skip == _spinning.BACKOFF_FIRST
    assert not idle.offer(object())
    for _ in range(_spinning.BACKOFF_FIRST):
        assert not idle._offering()
    assert idle._offering()
    for _ in range(_spinning.WINDOW):
        idle._note(True)
    assert idle._skip == 2 * _spinning.BACKOFF_FIRST
    idle._skip = 0
    for _ in range(_spinning.WINDOW):  # a good window: back to the first pause
        idle._note(False)
    assert idle._skip == 0 and idle._backoff == _spinning.BACKOFF_FIRST


def test_the_helper_sleeps_when_no_work_comes_and_wakes_for_more(spinner):
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(64, 300)).astype("float32"), rng.normal(size=(300, 80)).astype(
        "float32")
    out = np.empty((64, 80), "float32")
    by_rows(spinner, a, b, out, 32)
    deadline = time.monotonic() + 5
    while not spinner.ctl[_spinning._ASLEEP] and time.monotonic() < deadline:
        time.sleep(_spinning.IDLE_SECONDS)
    assert spinner.ctl[_spinning._ASLEEP] == 1
    assert by_rows(spinner, a, b, out, 32)  # wakes it
    np.testing.assert_array_equal(out, np.concatenate([a[:32] @ b, a[32:] @ b]))
    deadline = time.monotonic() + 5
    helper_took_one = False
    while not helper_took_one and time.monotonic() < deadline:
        before = spinner._seen, spinner._missed
        by_rows(spinner, a, b, out, 32)
        helper_took_one = spinner._seen == before[0] + 1 and spinner._missed == before[1]
    assert helper_took_one


@pytest.mark.parametrize("name", ["KERASNP_SPIN", "KERASNP_FUSED"])
def test_turned_off_by_the_environment(name, monkeypatch, fresh):
    monkeypatch.setenv(name, "0")
    assert _spinning.spinner() is None


def test_off_with_a_blas_it_does_not_know(monkeypatch, fresh):
    monkeypatch.setattr(_spinning, "_gemm_addresses", lambda: None)
    assert _spinning.spinner() is None


def test_off_when_the_self_test_fails(monkeypatch, fresh):
    monkeypatch.setattr(_spinning, "_self_test", lambda spinner: False)
    monkeypatch.setattr(_spinning.Spinner, "_ensure_running", lambda self: False)
    if _spinning._gemm_addresses() is None:
        pytest.skip("no BLAS this module knows")
    assert _spinning.spinner() is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_update_parts_run_by_the_helper_equal_the_whole_loop(spinner, dtype):
    from kerasnp.optimizers import fused

    loops = fused._loaded()
    rng = np.random.default_rng(5)
    n = 100_001  # odd: the halves differ by one element
    cases = {"adam": ((0.1, 0.001, 1e-7, 0.01), ([4], [])),  # v_hat or not
             "rmsprop": ((0.9, 0.1, 1e-7, 0.01, 0.5), ([4], [3], [3, 4], []))}
    for name, (scalars, missing_cases) in cases.items():
        values = tuple(np.dtype(dtype).type(s) for s in scalars)
        for missing in missing_cases:
            made = [rng.normal(size=n).astype(dtype) for _ in range(5)]
            split = [None if i in missing else np.abs(a) if i else a  # second moments > 0
                     for i, a in enumerate(made)]
            whole = [None if a is None else a.copy() for a in split]
            stolen = [None if a is None else a.copy() for a in split]
            never = _NeverServes(spinner)
            for _ in range(3):
                assert spinner.elementwise(name, loops[name], split, values)
                assert never.elementwise(name, loops[name], stolen, values)
                loops[name](*whole, *values)
            for a, b, c in zip(split, whole, stolen, strict=True):
                if a is not None:
                    assert a.tobytes() == b.tobytes() == c.tobytes()
    x = np.ones(10, "float32")
    assert not spinner.elementwise("nadam", loops["nadam"], [x] * 4, (0.1,) * 7)


def test_a_posted_part_runs_while_the_caller_goes_on_and_is_done_when_settled(spinner,
                                                                             compiled):
    from kerasnp import _compiled, layers
    from kerasnp.layers.dropout import keep_scale

    ahead = compiled(_compiled.load("models.ahead_fused"), "the compiled masks made ahead")
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(64, 300)).astype("float32"), rng.normal(size=(300, 80)).astype(
        "float32")

    def posted_mask(seed):
        """A mask posted to the helper, and the arrays it writes (kept alive)."""
        mask = np.full((128, 512), np.nan, "float32")
        table, words = np.zeros((1, ahead.SLOTS), np.int64), np.empty(128 * 256, np.uint64)
        assert ahead.mask_task(table[0], np.random.PCG64(seed), 0.25, mask, words,
                               np.empty(4, np.uint64))
        assert ahead.post(table, 1)
        assert spinner._posted
        return mask, (table, words)

    def expected(seed):
        layer = layers.Dropout(0.25)
        layer._rng = np.random.Generator(np.random.PCG64(seed))
        mask = layer._kept((128, 512), out=np.empty((128, 512), "float32"))
        return mask * keep_scale(0.25, mask.dtype)

    for then in ("settle", "a product", "a second post"):
        mask, arrays = posted_mask(5)
        if then == "settle":
            spinner.settle()
            spinner.settle()  # once is enough; again does nothing
        elif then == "a product":  # any later offer finishes the posted part first
            out = np.empty((64, 80), "float32")
            assert by_rows(spinner, a, b, out, 32)
            np.testing.assert_array_equal(out, np.concatenate([a[:32] @ b, a[32:] @ b]))
        else:
            second, _ = posted_mask(6)
            spinner.settle()
            assert second.tobytes() == expected(6).tobytes()
        assert not spinner._posted
        assert mask.tobytes() == expected(5).tobytes()
