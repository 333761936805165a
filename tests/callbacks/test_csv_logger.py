"""CSVLogger: the exact bytes Keras writes (columns, NA, separator, append)."""

import pytest

from kerasnp import KerasnpError
from kerasnp.callbacks import Callback, CSVLogger


class FixedLogs(Callback):
    """Replace the epoch logs by fixed values, so the file's bytes are known."""

    def __init__(self, rows):
        super().__init__()
        self.rows = rows

    def on_epoch_end(self, epoch, logs=None):
        logs.clear()
        logs.update(self.rows[epoch])


ROWS = [
    {"accuracy": 0.453125, "loss": 1.3464610576629639},
    {"accuracy": 0.5, "loss": 1.3442645072937012},
]


def test_without_validation_val_columns_hold_na(make_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(make_model(), [FixedLogs(ROWS), CSVLogger(path)], epochs=2, validation_split=0.0)
    assert path.read_bytes() == (
        b"epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        b"0,0.453125,1.3464610576629639,NA,NA\r\n"
        b"1,0.5,1.3442645072937012,NA,NA\r\n"
    )


def test_with_validation_and_separator(make_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    rows = [{"loss": 1.25, "val_loss": 1.5, "accuracy": 0.25, "val_accuracy": 0.375}]
    fit(make_model(), [FixedLogs(rows), CSVLogger(str(path), separator=";")], epochs=1)
    assert path.read_bytes().decode() == (
        "epoch;accuracy;loss;val_accuracy;val_loss\r\n0;0.25;1.25;0.375;1.5\r\n"
    )


def test_real_training_values_are_written_in_full(make_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    history = fit(make_model(), [CSVLogger(path)], epochs=2)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss,val_accuracy,val_loss"
    assert lines[2] == "1," + ",".join(
        repr(history.history[k][1]) for k in ("accuracy", "loss", "val_accuracy", "val_loss")
    )


def test_append_writes_the_header_once(make_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    model = make_model()
    fit(model, [FixedLogs(ROWS), CSVLogger(path, append=True)], epochs=2, validation_split=0.0)
    fit(model, [FixedLogs(ROWS), CSVLogger(path, append=True)], epochs=2, validation_split=0.0)
    lines = path.read_text().splitlines()
    assert len(lines) == 5 and lines.count(lines[0]) == 1


def test_append_to_an_empty_file_writes_the_header(make_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    fit(
        make_model(),
        [FixedLogs(ROWS), CSVLogger(path, append=True)],
        epochs=1,
        validation_split=0.0,
    )
    assert path.read_text().startswith("epoch,accuracy")


def test_without_append_the_file_is_overwritten(make_model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    fit(make_model(), [FixedLogs(ROWS), CSVLogger(path)], epochs=1, validation_split=0.0)
    assert "old content" not in path.read_text()


def test_extra_keys_from_later_callbacks_and_sequences(tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "learning_rate": 0.5, "per_class": [1, 2]})
    logger.on_epoch_end(1, {"loss": 0.5, "learning_rate": 0.25})
    logger.on_train_end()
    assert (tmp_path / "log.csv").read_bytes().decode() == (
        "epoch,learning_rate,loss,per_class,val_learning_rate,val_loss,val_per_class\r\n"
        '0,0.5,1.0,"""[1, 2]""",NA,NA,NA\r\n'
        "1,0.25,0.5,NA,NA,NA,NA\r\n"
    )


def test_rows_are_flushed_each_epoch(tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0})
    assert (tmp_path / "log.csv").read_text().count("\n") == 2
    logger.on_train_end()
    assert logger.csv_file.closed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filename": 3},
        {"filename": "a.csv", "separator": ""},
        {"filename": "a.csv", "separator": ";;"},
        {"filename": "a.csv", "append": "yes"},
    ],
)
def test_invalid_arguments(kwargs):
    with pytest.raises(KerasnpError):
        CSVLogger(**kwargs)
