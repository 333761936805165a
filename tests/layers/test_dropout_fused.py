"""Dropout's compiled mask (layers/dropout_fused.py): NumPy's draws, masks,
outputs and generator states, bit for bit."""

import numpy as np
import pytest

from kerasnp import _blas, _compiled, _spinning, layers


@pytest.fixture
def fused(compiled):
    return compiled(_compiled.load("layers.dropout_fused"), "the compiled dropout")


@pytest.fixture(params=["struct", "state dict"])
def state_access(request, fused, monkeypatch):
    """The generator read and written in NumPy's struct (where that layout was
    checked, as here), or through `bit_generator.state` and `advance`."""
    if request.param == "struct":
        assert fused._struct_works()  # NumPy's wheels on x86-64 and arm64
    monkeypatch.setattr(fused, "_in_place", request.param == "struct")


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 1023, 4096, 32768, 32771])
def test_draws_and_the_state_after_them_are_numpys(fused, count, state_access):
    for seed, already in ((0, 0), (1, 1), (12345, 999)):
        ours, numpys = np.random.PCG64(seed), np.random.PCG64(seed)
        ours.random_raw(already)
        numpys.random_raw(already)
        np.testing.assert_array_equal(fused.random_raw(ours, count), numpys.random_raw(count))
        assert ours.state == numpys.state
        assert ours.random_raw(3).tolist() == numpys.random_raw(3).tolist()  # goes on alike


def _numpy_lines(rng, rate, x):
    """The NumPy lines of `Dropout._forward_reusing`, on a copy of the generator."""
    layer = layers.Dropout(rate)
    layer._rng = rng
    mask = layer._kept(x.shape, out=np.empty_like(x))
    mask *= x.dtype.type(1.0 / (1.0 - rate))
    return mask, x * mask


@pytest.mark.parametrize("halves", [False, True])  # True: two halves on two cores
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rate", [1e-9, 0.1, 0.2, 0.5, 0.9, 0.999])
def test_masks_and_outputs_are_the_numpy_lines(fused, dtype, rate, halves, monkeypatch,
                                              state_access):
    monkeypatch.setattr(_blas, "single_threaded", halves)
    data = np.random.default_rng(0)
    for shape in [(128, 512), (129, 257), (32, 128), (5, 3), (1, 1), (7, 9, 3)]:
        x = data.normal(size=shape).astype(dtype)
        x.flat[0] = np.finfo(dtype).max  # kept: inf, as x * mask
        ours, numpys = np.random.default_rng(42), np.random.default_rng(42)
        mask, out = np.empty_like(x), np.empty_like(x)
        with np.errstate(over="ignore"):
            assert fused.apply(ours.bit_generator, rate, x, mask, out)
            expected_mask, expected_out = _numpy_lines(numpys, rate, x)
        assert mask.tobytes() == expected_mask.tobytes()
        assert out.tobytes() == expected_out.tobytes()
        assert ours.bit_generator.state == numpys.bit_generator.state


def test_what_it_does_not_compute_is_left_to_numpy(fused, state_access, monkeypatch):
    monkeypatch.setattr(_blas, "single_threaded", True)  # a large mask: two halves
    x = np.ones((4, 6), "float32")
    mask, out = np.empty_like(x), np.empty_like(x)
    other = np.random.SFC64(0)  # another bit generator
    before = other.state["state"]["state"].tolist()
    assert not fused.apply(other, 0.5, x, mask, out)
    assert other.state["state"]["state"].tolist() == before
    half_drawn = np.random.default_rng(0)  # a buffered 32-bit half of a draw
    half_drawn.integers(0, 2**32, size=1, dtype=np.uint32)
    before = half_drawn.bit_generator.state
    assert before["has_uint32"]
    for big in (False, True):  # one piece, or two halves
        x_ = np.ones((128, 512) if big else (4, 6), "float32")
        assert not fused.apply(half_drawn.bit_generator, 0.5, x_, np.empty_like(x_),
                               np.empty_like(x_))
        assert half_drawn.bit_generator.state == before
    pcg = np.random.PCG64(0)
    before = pcg.state
    assert not fused.apply(pcg, 0.5, np.ones((6, 4), "float32").T, mask, out)  # not contiguous
    assert pcg.state == before


def test_a_layer_with_another_generator_still_trains_as_its_call(fused):
    loop, plain = layers.Dropout(0.3), layers.Dropout(0.3)
    loop._rng = np.random.Generator(np.random.SFC64(3))
    plain._rng = np.random.Generator(np.random.SFC64(3))
    x = np.random.default_rng(0).normal(size=(16, 8)).astype("float32")
    got = loop._forward_reusing(x, training=True)
    assert got.tobytes() == plain(x, training=True).tobytes()


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("KERASNP_FUSED", "0")
    monkeypatch.setattr(_compiled, "_loaded", {})
    assert _compiled.load("layers.dropout_fused") is None
    loop, plain = layers.Dropout(0.5, seed=1), layers.Dropout(0.5, seed=1)
    x = np.ones((8, 8), "float32")
    assert loop._forward_reusing(x, training=True).tobytes() == plain(x, training=True).tobytes()


def test_the_helper_makes_the_second_half_of_large_masks(fused, compiled, monkeypatch):
    spinner = compiled(_spinning.spinner(), "the spinning helper")
    monkeypatch.setattr(_blas, "single_threaded", True)
    offered = []
    original = spinner.call
    monkeypatch.setattr(spinner, "call", lambda *args: offered.append(args[1]) or original(*args))
    x = np.ones((128, 512), "float32")
    mask, out = np.empty_like(x), np.empty_like(x)
    assert fused.apply(np.random.PCG64(0), 0.2, x, mask, out)
    assert offered == [16_384]  # the second half of 32,768 draws
    small = np.ones((8, 8), "float32")
    assert fused.apply(np.random.PCG64(0), 0.2, small, np.empty_like(small), np.empty_like(small))
    assert offered == [16_384]  # below SPLIT_ENTRIES: one piece
