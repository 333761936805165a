"""save_weights / load_weights: .weights.npz, .weights.h5 (Keras's layout), .keras."""

import sys
import warnings

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError


@pytest.mark.parametrize("suffix", [".weights.npz", ".weights.h5"])
def test_round_trip_with_optimizer_state(mlp, xy, tmp_path, same, suffix):
    if suffix.endswith(".h5"):
        pytest.importorskip("h5py")
    model = mlp()
    x, y = xy
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / f"w{suffix}"
    model.save_weights(path)
    other = mlp(seed=3)
    assert not same(other.get_weights(), model.get_weights())
    other.load_weights(path)
    assert same(other.get_weights(), model.get_weights())
    assert other.optimizer.built and same(
        other.optimizer.get_weights(), model.optimizer.get_weights()
    )


def test_npz_layout_is_keras_layout(mlp, tmp_path):
    path = tmp_path / "w.weights.npz"
    model = mlp()
    model.save_weights(path)
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == [
            "layers/dense/vars/0",
            "layers/dense/vars/1",
            "layers/dense_1/vars/0",
            "layers/dense_1/vars/1",
            "optimizer/vars/0",
            "optimizer/vars/1",
        ]
        assert np.array_equal(npz["layers/dense_1/vars/0"], model.layers[2].kernel.value)


def test_h5_layout_is_keras_layout(mlp, xy, tmp_path):
    h5py = pytest.importorskip("h5py")
    model = mlp()
    x, y = xy
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].name = "hidden"  # group names come from classes, not layer names
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        assert list(f["layers/dense/vars"]) == ["0", "1"]
        assert list(f["layers/dropout/vars"]) == []
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name
        assert len(f["optimizer/vars"]) == len(model.optimizer.variables) == 10
        assert "vars" in f


def test_load_weights_from_a_keras_file(trained, mlp, same):
    model, path = trained
    other = mlp(seed=9)
    other.load_weights(path)
    assert same(other.get_weights(), model.get_weights())


def test_uncompiled_model_takes_only_the_weights(trained, mlp, same):
    model, path = trained
    other = mlp(compile=False)
    other.load_weights(path)
    assert same(other.get_weights(), model.get_weights())


def test_a_failed_load_changes_nothing(mlp, tmp_path, same):
    path = tmp_path / "w.weights.npz"
    mlp().save_weights(path)
    kerasnp.utils.set_random_seed(1)
    other = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(4,)),
            kerasnp.layers.Dense(6),
            kerasnp.layers.Dropout(0.1),
            kerasnp.layers.Dense(2),
        ]
    )
    before = other.get_weights()
    with pytest.raises(KerasnpError, match=r"\(6, 2\).*\(6, 3\)"):
        other.load_weights(path)
    assert same(other.get_weights(), before)  # not even the first layer was loaded


def test_skip_mismatch_loads_the_rest(mlp, tmp_path, same):
    path = tmp_path / "w.weights.npz"
    source = mlp()
    source.save_weights(path)
    other = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(4,)),
            kerasnp.layers.Dense(6),
            kerasnp.layers.Dropout(0.1),
            kerasnp.layers.Dense(2),
        ]
    )
    with pytest.warns(UserWarning, match="Skipping loading weights for layer"):
        other.load_weights(path, skip_mismatch=True)
    assert same(other.layers[0].get_weights(), source.layers[0].get_weights())


def test_more_layers_in_the_file_is_an_error(mlp, tmp_path):
    path = tmp_path / "w.weights.npz"
    mlp().save_weights(path)
    small = kerasnp.Sequential([kerasnp.Input(shape=(4,)), kerasnp.layers.Dense(6)])
    with pytest.raises(KerasnpError, match="layers this model does not have"):
        small.load_weights(path)


def test_optimizer_count_mismatch_warns_like_keras(mlp, xy, tmp_path):
    model = mlp(optimizer="adam")
    x, y = xy
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    other = mlp(optimizer="sgd")
    with pytest.warns(
        UserWarning, match="optimizer 'sgd.*has 2 variables whereas the saved optimizer has 10"
    ):
        other.load_weights(path)


@pytest.mark.parametrize("name", ["w.h5", "w.npz", "w.keras", "weights"])
def test_save_weights_extensions(mlp, tmp_path, name):
    with pytest.raises(KerasnpError, match=r"must end in `.weights.npz`.*`.weights.h5`"):
        mlp().save_weights(tmp_path / name)


def test_h5_without_h5py(mlp, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(KerasnpError, match="needs the optional package h5py.*weights.npz"):
        mlp().save_weights(tmp_path / "w.weights.h5")
    assert not (tmp_path / "w.weights.h5").exists()


def test_unbuilt_models(tmp_path, mlp):
    mlp().save_weights(tmp_path / "w.weights.npz")
    unbuilt = kerasnp.Sequential([kerasnp.layers.Dense(3)])
    with pytest.raises(KerasnpError, match="not yet been built"):
        unbuilt.save_weights(tmp_path / "u.weights.npz")
    with pytest.raises(KerasnpError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "w.weights.npz")


def test_load_errors(mlp, tmp_path):
    model = mlp()
    with pytest.raises(KerasnpError, match="does not exist"):
        model.load_weights(tmp_path / "none.weights.npz")
    (tmp_path / "bad.weights.npz").write_bytes(b"garbage")
    with pytest.raises(KerasnpError, match="not a readable .npz"):
        model.load_weights(tmp_path / "bad.weights.npz")
    np.savez(tmp_path / "foreign.weights.npz", a=np.ones(3))
    with pytest.raises(KerasnpError, match="names like 'layers/dense/vars/0'"):
        model.load_weights(tmp_path / "foreign.weights.npz")
    with pytest.raises(KerasnpError, match="skip_mismatch"):
        model.load_weights(tmp_path / "foreign.weights.npz", skip_mismach=True)


def test_text_file_named_h5(mlp, tmp_path):
    pytest.importorskip("h5py")
    (tmp_path / "w.weights.h5").write_text("not hdf5")
    with pytest.raises(KerasnpError, match="not a readable .h5"):
        mlp().load_weights(tmp_path / "w.weights.h5")


def test_no_warning_on_a_matching_load(mlp, tmp_path):
    path = tmp_path / "w.weights.npz"
    mlp().save_weights(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlp().load_weights(path)
