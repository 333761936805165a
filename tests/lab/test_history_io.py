"""Reading learning curves: dicts, History objects, CSVLogger files, JSON, and writing them back."""

import json
import math
import types

import numpy as np
import pytest

from kerasnp import KerasnpError
from kerasnp.lab import LearningCurves, load_history, save_history
from kerasnp.lab.curves import groups, higher_is_better, split_key

# Exactly what Keras 3's CSVLogger writes (keras-semantics.md, section 11).
KERAS_CSV_NO_VAL = """epoch,accuracy,loss,val_accuracy,val_loss
0,0.453125,1.3464610576629639,NA,NA
1,0.453125,1.3442645072937012,NA,NA
"""
KERAS_CSV_SEMICOLON = """epoch;accuracy;loss;val_accuracy;val_loss
0;0.4791666567325592;1.300191879272461;0.375;1.483901023864746
1;0.5;1.2;0.4;1.45
"""


def test_dict_with_equal_lengths():
    c = load_history({"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.4]})
    assert c.n_epochs == 3 and c.keys == ["loss", "val_loss"]
    np.testing.assert_array_equal(c["loss"], [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(c.epochs, [0, 1, 2])
    assert c.display_epoch(0) == 1
    assert c.source == "dict"


def test_shorter_validation_lists_follow_validation_freq():
    # Keras with validation_freq=2 over 5 epochs records val at epochs 2 and 4
    c = load_history({"loss": [5, 4, 3, 2, 1], "val_loss": [4.5, 2.5]})
    np.testing.assert_array_equal(c.recorded("val_loss"), [False, True, False, True, False])
    assert math.isnan(c["val_loss"][0]) and c["val_loss"][3] == 2.5
    c3 = load_history({"loss": [6, 5, 4, 3, 2, 1], "val_loss": [4.5]}, validation_freq=3)
    np.testing.assert_array_equal(c3.points("val_loss")[0], [2])
    with pytest.raises(KerasnpError, match="too many"):
        load_history({"loss": [1, 2, 3, 4], "val_loss": [1, 2, 3]}, validation_freq=2)
    with pytest.raises(KerasnpError, match="validation_freq"):
        load_history({"loss": [1.0]}, validation_freq=0)


def test_none_is_missing_but_nan_is_recorded():
    c = load_history({"loss": [1.0, float("nan"), None]})
    np.testing.assert_array_equal(c.recorded("loss"), [True, True, False])
    assert c.to_dict()["history"]["loss"][2] is None
    assert math.isnan(c.to_dict()["history"]["loss"][1])


def test_duck_typed_history_object():
    h = types.SimpleNamespace(
        history={"loss": [0.9, 0.8], "val_loss": [1.0, 0.95]},
        epoch=[3, 4],
        params={"verbose": 0, "epochs": 5, "steps": 4},
    )
    c = load_history(h)
    np.testing.assert_array_equal(c.epochs, [3, 4])
    assert c.display_epoch(0) == 4
    assert c.params["epochs"] == 5
    assert c.source == "SimpleNamespace"


def test_saved_layout_and_records():
    c = load_history({"history": {"loss": [1, 2]}, "epoch": [0, 1], "params": {"epochs": 2}})
    assert c.params == {"epochs": 2}
    r = load_history(
        [
            {"epoch": 0, "train_loss": 1.0},
            {"epoch": 0, "val_loss": 1.2},
            {"epoch": 1, "train_loss": 0.8, "step": 99},
            {"epoch": 1, "val_loss": 1.0},
        ]
    )
    assert r.keys == ["loss", "val_loss"]  # train_ prefix mapped, step dropped, rows merged
    np.testing.assert_array_equal(r["val_loss"], [1.2, 1.0])


def test_keras_csvlogger_with_na(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(KERAS_CSV_NO_VAL)
    c = load_history(path)
    assert c.keys == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert c["loss"][1] == pytest.approx(1.3442645072937012)
    assert not c.recorded("val_loss").any()
    assert c.source == str(path)


def test_keras_csvlogger_other_separators(tmp_path):
    for sep in (";", "\t", "|"):
        path = tmp_path / "log.csv"
        path.write_text(KERAS_CSV_SEMICOLON.replace(";", sep))
        c = load_history(str(path))
        assert c.keys == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert c["val_loss"][0] == pytest.approx(1.483901023864746)
    path.write_text("epoch  loss   val_loss\n0  1.0  1.1\n1  0.5  NA\n")
    c = load_history(path)
    assert c.keys == ["loss", "val_loss"] and c.recorded("val_loss").tolist() == [True, False]


def test_csv_with_nan_inf_initial_epoch_and_pandas_index(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(",epoch,loss,val_loss\n0,7,0.5,nan\n1,8,inf,NA\n2,9,0.4,0.3\n")
    c = load_history(path)
    np.testing.assert_array_equal(c.epochs, [7, 8, 9])
    assert c.recorded("val_loss").tolist() == [True, False, True]
    assert math.isnan(c["val_loss"][0]) and math.isinf(c["loss"][1])


def test_csv_without_epoch_column_and_header_only(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("loss,val_loss\n1.0,1.2\n0.5,0.7\n")
    np.testing.assert_array_equal(load_history(path).epochs, [0, 1])
    path.write_text("epoch,loss,val_loss\n")
    c = load_history(path)
    assert c.n_epochs == 0 and c.keys == ["loss", "val_loss"]


def test_csv_crlf_line_ends_and_text_columns(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b'epoch,loss,note,val_loss\r\n0,1.5,start,NA\r\n1,1.25,"[1, 2]",1.0\r\n')
    c = load_history(path)
    assert c.keys == ["loss", "val_loss"]  # the text-only column is not a curve
    np.testing.assert_array_equal(c["loss"], [1.5, 1.25])


def test_kerasnp_csvlogger_file_reads_back(tmp_path):
    callbacks = pytest.importorskip("kerasnp.callbacks")  # built concurrently with the lab
    if not hasattr(callbacks, "CSVLogger"):  # pragma: no cover
        pytest.skip("kerasnp.callbacks.CSVLogger is not available yet")
    path = tmp_path / "log.csv"
    logger = callbacks.CSVLogger(str(path), separator=";")
    logger.on_train_begin()
    for epoch in range(4):
        logs = {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch}
        if epoch % 2 == 1:  # validation_freq=2
            logs.update(val_loss=1.2 / (epoch + 1), val_accuracy=0.45 + 0.1 * epoch)
        logger.on_epoch_end(epoch, logs)
    logger.on_train_end()
    c = load_history(path)
    assert c.keys == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert c.recorded("val_loss").tolist() == [False, True, False, True]
    assert c["val_loss"][3] == pytest.approx(0.3)


def test_csv_errors_name_the_line(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("epoch,loss\n0,0.5\n1,abc\n")
    with pytest.raises(KerasnpError, match="line 3: column 'loss' holds 'abc'"):
        load_history(path)
    path.write_text("epoch,loss\n0,0.5,7\n")
    with pytest.raises(KerasnpError, match="line 2: 3 fields"):
        load_history(path)
    with pytest.raises(KerasnpError, match="no history file"):
        load_history(tmp_path / "missing.csv")


def test_json_files(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"loss": [1, 0.5], "val_acc": [0.3, None]}))
    c = load_history(path)
    assert c.recorded("val_acc").tolist() == [True, False]
    path.write_text(json.dumps([{"epoch": 0, "loss": 1}, {"epoch": 1, "loss": 0.5}]))
    assert load_history(path).n_epochs == 2
    path.write_text("{not json")
    with pytest.raises(KerasnpError, match="not valid JSON"):
        load_history(path)
    other = tmp_path / "history.txt"  # no suffix hint: recognised by content
    other.write_text('{"loss": [1, 2, 3]}')
    assert load_history(other).n_epochs == 3


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_save_history_round_trip(tmp_path, suffix):
    original = load_history(
        {
            "accuracy": [0.1, 0.2, 0.3],
            "loss": [1.0, float("nan"), float("inf")],
            "val_loss": [1.5, None, 1.25],
        }
    )
    path = save_history(original, tmp_path / f"h{suffix}")
    back = load_history(path)
    assert sorted(back.keys) == sorted(original.keys)
    for key in original.keys:
        np.testing.assert_array_equal(back.recorded(key), original.recorded(key))
        np.testing.assert_array_equal(back[key], original[key])
    if suffix == ".csv":
        assert path.read_text().splitlines()[0] == "epoch,accuracy,loss,val_loss"
        assert path.read_text().splitlines()[2].endswith(",NA")


def test_bad_sources():
    with pytest.raises(KerasnpError, match="one value per epoch"):
        load_history({"loss": 0.5})
    with pytest.raises(KerasnpError, match="non-number"):
        load_history({"loss": [0.5, "x"]})
    with pytest.raises(KerasnpError, match="did you mean 'val_loss'"):
        load_history({"val_loss": [1.0]})["val_los"]
    with pytest.raises(KerasnpError):
        LearningCurves({"loss": [1, 2], "val_loss": [1]})


def test_key_helpers():
    assert split_key("val_loss") == ("val", "loss")
    assert split_key("eval_accuracy") == ("eval", "accuracy")
    assert split_key("learning_rate") == ("schedule", "learning_rate")
    assert split_key("val_") == ("train", "val_")
    c = load_history(
        {
            "accuracy": [1],
            "eval_loss": [1],
            "learning_rate": [1],
            "loss": [1],
            "val_accuracy": [1],
            "val_loss": [1],
        }
    )
    assert list(groups(c)) == ["loss", "accuracy"]
    assert groups(c)["loss"] == {"eval": "eval_loss", "train": "loss", "val": "val_loss"}
    assert higher_is_better("accuracy") and higher_is_better("val_auc")
    assert not higher_is_better("loss") and not higher_is_better("mse")


def test_validation_names_from_other_frameworks():
    c = load_history({"train_loss": [1.0], "valid_loss": [1.1], "validation_acc": [0.4]})
    assert sorted(c.keys) == ["loss", "val_acc", "val_loss"]


@pytest.mark.oracle
def test_real_keras_history_and_csvlogger_agree(keras, tmp_path):
    """Keras's own History (short val lists) and CSVLogger file (NA) read the same."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 3, 64)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    path = tmp_path / "log.csv"
    h = model.fit(
        x,
        y,
        epochs=4,
        batch_size=16,
        validation_split=0.25,
        validation_freq=2,
        verbose=0,
        callbacks=[keras.callbacks.CSVLogger(str(path))],
    )
    assert len(h.history["val_loss"]) == 2  # the shape the lab must align
    from_history, from_csv = load_history(h), load_history(path)
    assert sorted(from_history.keys) == sorted(from_csv.keys)
    for key in from_history.keys:
        np.testing.assert_array_equal(from_history.recorded(key), from_csv.recorded(key))
        np.testing.assert_allclose(from_history[key], from_csv[key], rtol=1e-6)
    assert from_history.params["epochs"] == 4
