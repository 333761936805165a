"""Damaged, foreign and hostile files give a clear KerasnpError; interrupted
saves leave the previous file intact; nothing in a file is ever executed."""

import contextlib
import io
import json
import os
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasnp
from kerasnp import KerasnpError
from kerasnp.saving import file_format, load_model


def rewrite(path, **members):
    """Copy the .keras zip at `path` with some members replaced (bytes or JSON data)."""
    with zipfile.ZipFile(path) as zf:
        contents = {name: zf.read(name) for name in zf.namelist()}
    for name, value in members.items():
        name = name.replace("__", ".")
        if value is None:
            contents.pop(name, None)
        else:
            contents[name] = value if isinstance(value, bytes) else json.dumps(value).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in contents.items():
            zf.writestr(name, data)


def config_of(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


# --------------------------------------------------------------- damaged files
@pytest.mark.parametrize("keep", [0, 1, 30, 0.5, -22, -1])
def test_truncated_file(trained, tmp_path, keep):
    _, path = trained
    data = path.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: int(len(data) * keep)] if isinstance(keep, float) else data[:keep])
    with pytest.raises(KerasnpError, match="truncated or corrupted"):
        load_model(cut)


def test_every_bit_flip_is_caught_or_harmless(trained, tmp_path, same):
    """Flip one bit at many positions: a clear error, or (in bytes no checksum
    covers, such as timestamps) the very same model."""
    model, path = trained
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        directory_start = min(i.header_offset for i in zf.infolist()) + sum(
            i.compress_size for i in zf.infolist()
        )
    positions = sorted(set(range(0, len(data), 13)) | set(range(directory_start, len(data))))
    bad = tmp_path / "flipped.keras"
    outcomes = {"error": 0, "same": 0}
    for pos in positions:
        flipped = bytearray(data)
        flipped[pos] ^= 1 << (pos % 8)
        bad.write_bytes(bytes(flipped))
        try:
            loaded = load_model(bad)
        except KerasnpError:
            outcomes["error"] += 1
            continue
        assert same(loaded.get_weights(), model.get_weights()), pos
        assert same(loaded.optimizer.get_weights(), model.optimizer.get_weights()), pos
        outcomes["same"] += 1
    assert outcomes["error"] > len(positions) // 2


def test_flipped_weight_byte_is_a_checksum_error(trained, tmp_path):
    _, path = trained
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:  # model.weights.h5 (or .npz without h5py)
        (info,) = [i for i in zf.infolist() if i.filename.startswith("model.weights.")]
    data[info.header_offset + 30 + len(info.filename) + info.compress_size // 2] ^= 0x10
    bad = tmp_path / "bad.keras"
    bad.write_bytes(bytes(data))
    with pytest.raises(KerasnpError, match=rf"{info.filename} fails its integrity check"):
        load_model(bad)


# --------------------------------------------------------------- foreign files
def test_text_file(tmp_path):
    path = tmp_path / "notes.keras"
    path.write_text("this is not a model\n")
    with pytest.raises(KerasnpError, match="not a zip archive"):
        load_model(path)


def test_random_zip(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(KerasnpError, match="has no config.json"):
        load_model(path)


@pytest.mark.parametrize(
    "config",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2, 3]",
        b'{"a": 1}',
        b'{"class_name": "Sequential", "config": 3}',
    ],
)
def test_config_that_is_not_a_model(trained, config):
    _, path = trained
    rewrite(path, config__json=config)
    with pytest.raises(KerasnpError, match="config.json"):
        load_model(path)


def test_missing_weights(trained):
    _, path = trained
    rewrite(path, model__weights__npz=None, model__weights__h5=None)
    with pytest.raises(KerasnpError, match="has no weights"):
        load_model(path)


@pytest.mark.parametrize(
    "where, old, new",
    [
        ("layer", "Dense", "FancyDense"),
        ("model", "Sequential", "Pipeline"),
        ("optimizer", "Adam", "Adamz"),
        ("activation", "relu", "rellu"),
    ],
)
def test_unknown_class_names(trained, where, old, new):
    _, path = trained
    config = config_of(path)
    if where == "layer":
        config["config"]["layers"][1]["class_name"] = new
    elif where == "model":
        config["class_name"] = new
    elif where == "optimizer":
        config["compile_config"]["optimizer"]["class_name"] = new
    else:
        config["config"]["layers"][1]["config"]["activation"] = new
    rewrite(path, config__json=config)
    with pytest.raises(KerasnpError, match=f"(?s){new}.*register_serializable"):
        load_model(path)


def test_unknown_loss_name(trained):
    _, path = trained
    config = config_of(path)
    config["compile_config"]["loss"] = "my_custom_loss"
    rewrite(path, config__json=config)
    with pytest.raises(KerasnpError, match="my_custom_loss.*custom_objects"):
        load_model(path)
    assert not load_model(path, compile=False).compiled


def test_module_field_is_never_imported(trained):
    _, path = trained
    config = config_of(path)
    config["module"] = "kerasnp_evil_module_xyz"
    config["config"]["layers"][1]["module"] = "os"
    config["config"]["layers"][1]["class_name"] = "system"
    rewrite(path, config__json=config)
    with pytest.raises(KerasnpError, match="system"):
        load_model(path)
    assert "kerasnp_evil_module_xyz" not in sys.modules


class _Boom:
    """Unpickling this would run code: it must never happen."""

    ran = False

    def __reduce__(self):
        return (_Boom._run, ())

    @staticmethod
    def _run():
        _Boom.ran = True
        return 0


def test_pickled_arrays_are_refused_and_never_run(trained):
    _, path = trained
    evil = io.BytesIO()
    np.savez(evil, **{"layers/dense/vars/0": np.array([_Boom()], dtype=object)})
    rewrite(path, model__weights__npz=evil.getvalue(), model__weights__h5=None)
    with pytest.raises(KerasnpError):
        load_model(path)
    assert not _Boom.ran


def test_array_header_claiming_huge_size_is_refused(trained):
    _, path = trained
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (10**11,)}
    )
    member = header.getvalue() + b"\0" * 16
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w") as zf:
        zf.writestr("layers/dense/vars/0.npy", member)
    rewrite(path, model__weights__npz=npz.getvalue(), model__weights__h5=None)
    with pytest.raises(KerasnpError, match="declares 400000000000 bytes"):
        load_model(path)


def test_zip_bomb_member_is_refused(trained):
    _, path = trained
    with zipfile.ZipFile(path) as zf:
        contents = {n: zf.read(n) for n in zf.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in contents.items():
            zf.writestr(name, data if name != "config.json" else b" " * (8 << 20))
    with pytest.raises(KerasnpError, match="claims to expand"):
        load_model(path)


def test_wrong_weight_shapes(trained):
    _, path = trained
    config = config_of(path)
    config["config"]["layers"][1]["config"]["units"] = 7
    rewrite(path, config__json=config)
    with pytest.raises(KerasnpError, match=r"\(4, 7\).*\(4, 6\)"):
        load_model(path)


def test_bad_random_state(trained):
    _, path = trained
    rewrite(path, kerasnp__json={"format_version": 1, "rng": {"model": {"bit_generator": "MT"}}})
    with pytest.raises(KerasnpError, match="random-generator state"):
        load_model(path)
    rewrite(path, kerasnp__json={"rng": {"model": {"bit_generator": "PCG64", "state": 5}}})
    with pytest.raises(KerasnpError, match="invalid"):
        load_model(path)
    rewrite(path, kerasnp__json={"rng": {"layers/nothing": {}}})
    with pytest.raises(KerasnpError, match="does not have"):
        load_model(path)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 10)
    | st.floats(-2, 2)
    | st.sampled_from(["Dense", "Sequential", "relu", "adam", "name"]),
    lambda kids: (
        st.lists(kids, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "class_name",
                    "config",
                    "layers",
                    "units",
                    "name",
                    "batch_shape",
                    "optimizer",
                    "loss",
                    "metrics",
                ]
            ),
            kids,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(layer=JSON, compile_config=JSON)
def test_hostile_configs_only_raise_kerasnp_errors(trained, layer, compile_config):
    _, path = trained
    config = config_of(path)
    config["config"]["layers"].append(layer)
    config["compile_config"] = compile_config
    rewrite(path, config__json=config)
    with contextlib.suppress(KerasnpError):
        load_model(path)


# --------------------------------------------------------------- paths
def test_missing_file_directory_and_extensions(tmp_path):
    with pytest.raises(KerasnpError, match="does not exist"):
        load_model(tmp_path / "nothing.keras")
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(KerasnpError, match="directory"):
        load_model(tmp_path / "dir.keras")
    with pytest.raises(KerasnpError, match="load_weights"):
        load_model(tmp_path / "m.weights.npz")
    with pytest.raises(KerasnpError, match="`.keras`"):
        load_model(tmp_path / "m.h5")
    with pytest.raises(KerasnpError, match="custom_objects"):
        load_model(tmp_path / "m.keras", custom_objects=[1])


@pytest.mark.parametrize(
    "name, match", [("m.h5", "legacy HDF5"), ("m.tf", "extension"), ("m.weights.npz", "extension")]
)
def test_save_extensions(mlp, tmp_path, name, match):
    with pytest.raises(KerasnpError, match=match):
        mlp().save(tmp_path / name)


def test_save_arguments(mlp, tmp_path):
    model = mlp()
    with pytest.raises(KerasnpError, match="include_optimizer"):
        model.save(tmp_path / "m.keras", include_optimizer=False)
    with pytest.raises(KerasnpError, match="zipped=False"):
        model.save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(KerasnpError, match="does not exist"):
        model.save(tmp_path / "no" / "m.keras")


def test_overwrite_false_keeps_the_file(trained):
    model, path = trained
    before = path.read_bytes()
    with pytest.raises(KerasnpError, match="overwrite=False"):
        model.save(path, overwrite=False)
    assert path.read_bytes() == before


# --------------------------------------------------------------- interrupted saves
def _failing(original, exc):
    def write(f, store, *names):
        f.write(b"partial garbage" * 100)
        raise exc

    return write


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_exception_mid_write_leaves_the_old_file(trained, monkeypatch, exc, same):
    model, path = trained
    before = path.read_bytes()
    monkeypatch.setattr(file_format, "write_npz", _failing(file_format.write_npz, exc))
    monkeypatch.setattr(file_format, "write_h5", _failing(file_format.write_h5, exc))
    model.fit(np.ones((4, 4), "float32"), np.zeros(4, int), verbose=0)  # new weights
    with pytest.raises(type(exc)):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind
    monkeypatch.undo()
    load_model(path)


def test_exception_in_the_zip_writer_leaves_the_old_file(trained, monkeypatch):
    model, path = trained
    before = path.read_bytes()
    calls = []

    def writestr(self, name, data, *args, **kwargs):
        calls.append(name)
        if name == "kerasnp.json":  # the last member: the zip is almost complete
            raise MemoryError("simulated")
        return original(self, name, data, *args, **kwargs)

    original = zipfile.ZipFile.writestr
    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    with pytest.raises(MemoryError):
        model.save(path)
    assert calls[-1] == "kerasnp.json"
    assert path.read_bytes() == before and os.listdir(path.parent) == [path.name]


def test_exception_mid_weights_write(mlp, tmp_path, monkeypatch):
    model = mlp()
    path = tmp_path / "w.weights.npz"
    model.save_weights(path)
    before = path.read_bytes()
    from kerasnp.saving import file_format as ff

    monkeypatch.setattr(ff, "write_npz", _failing(ff.write_npz, RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        model.save_weights(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


def test_new_file_permissions_follow_the_umask(mlp, tmp_path):
    path = tmp_path / "m.keras"
    mlp().save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    mlp().save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_loading_is_deterministic(trained):
    _, path = trained
    a, b = load_model(path), load_model(path)
    x = np.ones((2, 4), "float32")
    assert np.array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    assert a._rng.bit_generator.state == b._rng.bit_generator.state
    assert isinstance(kerasnp.models.load_model(path), kerasnp.Sequential)
