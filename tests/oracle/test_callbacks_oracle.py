"""Callbacks and weight files against Keras 3 (JAX): the same injected metric values
give the same stop epochs, learning rates, messages and CSV bytes; the same
weights and data (shuffle=False) give the same early stop."""

import os

import numpy as np
import pytest

import kerasnp

pytestmark = pytest.mark.oracle

SEQUENCE = [1.0, 0.9, 0.95, 0.96, 0.85, 0.9, 0.91, 0.92, 0.93, 0.94]


def _data(n=24, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.integers(0, 2, size=n)


def _helpers(lib):
    """Inject / RecordWeights / FixedLogs callbacks for `lib` (keras or kerasnp)."""

    class Inject(lib.callbacks.Callback):
        def __init__(self, key, values):
            super().__init__()
            self.key, self.values = key, values

        def on_epoch_end(self, epoch, logs=None):
            logs[self.key] = self.values[epoch]

    class RecordWeights(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.weights = []

        def on_epoch_end(self, epoch, logs=None):
            self.weights.append([np.asarray(w) for w in self.model.get_weights()])

    class FixedLogs(lib.callbacks.Callback):
        def __init__(self, rows):
            super().__init__()
            self.rows = rows

        def on_epoch_end(self, epoch, logs=None):
            logs.clear()
            logs.update(self.rows[epoch])

    return Inject, RecordWeights, FixedLogs


def _model(lib, lr=0.001):
    model = lib.Sequential(
        [
            lib.Input(shape=(3,)),
            lib.layers.Dense(4, activation="relu"),
            lib.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=lib.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@pytest.fixture(scope="module")
def kmodel(keras):
    """One Keras model reused by every injected-sequence run (its training is irrelevant)."""
    return _model(keras)


def _run(lib, model, callbacks, epochs, **kwargs):
    x, y = _data()
    kwargs.setdefault("validation_split", 0.25)
    return model.fit(
        x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0, callbacks=callbacks, **kwargs
    )


def _index(weights, recorded):
    for i, rec in enumerate(recorded):
        if all(np.array_equal(np.asarray(a), b) for a, b in zip(weights, rec, strict=True)):
            return i
    return None


ES_CASES = [
    {"patience": 2},
    {"patience": 0},
    {"patience": 2, "min_delta": 0.06},
    {"patience": 2, "restore_best_weights": True, "verbose": 1},
    {"patience": 20, "restore_best_weights": True, "verbose": 1},
    {"patience": 2, "start_from_epoch": 3},
    {"patience": 2, "baseline": 0.8},
    {"patience": 3, "baseline": 0.95, "restore_best_weights": True},
    {"patience": 1, "monitor": "val_accuracy", "values": [0.5, 0.6, 0.55, 0.54, 0.7] + [0.6] * 5},
    {"patience": 1, "monitor": "val_accuracy", "mode": "min"},
    {"patience": 1, "restore_best_weights": True, "start_from_epoch": 2, "values": [5.0] * 10},
]


@pytest.mark.parametrize("case", ES_CASES, ids=[str(c) for c in ES_CASES])
def test_early_stopping_matches_keras(keras, kmodel, case, capsys):
    case = dict(case)
    values = case.pop("values", SEQUENCE)
    monitor = case.get("monitor", "val_loss")
    results = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        inject, record, _ = _helpers(lib)
        rec = record()
        stop = lib.callbacks.EarlyStopping(**case)
        capsys.readouterr()
        history = _run(lib, model, [inject(monitor, values), stop, rec], epochs=10)
        out = capsys.readouterr().out
        restored = _index(model.get_weights(), rec.weights)
        results.append(
            (
                len(history.epoch),
                stop.stopped_epoch,
                stop.best,
                stop.best_epoch,
                stop.wait,
                restored,
                out,
                model.stop_training,
            )
        )
    assert results[1] == results[0]


RLR_CASES = [
    {"patience": 1, "factor": 0.5, "verbose": 1},
    {"patience": 1, "factor": 0.5, "cooldown": 2, "values": [1.0] * 10},
    {"patience": 1, "factor": 0.1, "min_lr": 1e-4, "values": [1.0] * 10, "verbose": 1},
    {"patience": 2, "factor": 0.2, "min_delta": 0.05, "verbose": 1},
    {
        "patience": 0,
        "factor": 0.5,
        "monitor": "val_accuracy",
        "values": [0.5, 0.6, 0.55, 0.54, 0.7] + [0.6] * 5,
        "verbose": 1,
    },
]


@pytest.mark.parametrize("case", RLR_CASES, ids=[str(c) for c in RLR_CASES])
def test_reduce_lr_on_plateau_matches_keras(keras, kmodel, case, capsys):
    case = dict(case)
    values = case.pop("values", SEQUENCE)
    monitor = case.get("monitor", "val_loss")
    results = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        model.optimizer.learning_rate = 0.001
        inject, _, _ = _helpers(lib)
        cb = lib.callbacks.ReduceLROnPlateau(**case)
        capsys.readouterr()
        history = _run(lib, model, [inject(monitor, values), cb], epochs=10)
        results.append(
            (
                history.history["learning_rate"],
                list(history.history),
                capsys.readouterr().out,
                float(np.float32(np.asarray(model.optimizer.learning_rate))),
            )
        )
    assert results[1] == results[0]


def test_learning_rate_scheduler_matches_keras(keras, kmodel, capsys):
    def schedule(epoch, lr):
        return lr if epoch < 2 else lr * 0.5

    results = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        model.optimizer.learning_rate = 0.01
        capsys.readouterr()
        history = _run(
            lib, model, [lib.callbacks.LearningRateScheduler(schedule, verbose=1)], epochs=4
        )
        results.append((history.history["learning_rate"], capsys.readouterr().out))
    assert results[1] == results[0]


@pytest.mark.parametrize(
    "rows, kwargs",
    [
        (
            [
                {"accuracy": 0.453125, "loss": 1.3464610576629639},
                {"accuracy": 0.5, "loss": 1.3442645072937012},
            ],
            {},
        ),
        (
            [
                {
                    "accuracy": 0.25,
                    "loss": 1.25,
                    "val_accuracy": 0.375,
                    "val_loss": 1.483901023864746,
                },
                {"accuracy": 0.5, "loss": 1.0, "val_accuracy": 0.5, "val_loss": 1.5},
            ],
            {"separator": ";"},
        ),
    ],
)
def test_csv_logger_bytes_match_keras(keras, kmodel, tmp_path, rows, kwargs):
    written = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        _, _, fixed = _helpers(lib)
        path = tmp_path / f"{lib.__name__}.csv"
        for _ in range(2):  # the second run appends without a second header
            _run(
                lib,
                model,
                [fixed(rows), lib.callbacks.CSVLogger(str(path), append=True, **kwargs)],
                epochs=2,
            )
        written.append(path.read_bytes())
    assert written[1] == written[0]


def test_csv_logger_real_training_columns_match_keras(keras, kmodel, tmp_path):
    headers = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        path = tmp_path / f"{lib.__name__}.csv"
        _run(lib, model, [lib.callbacks.CSVLogger(str(path))], epochs=1, validation_split=0.0)
        headers.append(path.read_bytes().split(b"\r\n")[0])
    assert headers[1] == headers[0] == b"epoch,accuracy,loss,val_accuracy,val_loss"


def test_model_checkpoint_names_and_messages_match_keras(keras, kmodel, tmp_path, capsys):
    outputs = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        inject, _, _ = _helpers(lib)
        directory = tmp_path / lib.__name__
        directory.mkdir()
        best = str(directory / "best.keras")
        every = str(directory / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
        capsys.readouterr()
        _run(
            lib,
            model,
            [
                inject("val_loss", SEQUENCE),
                lib.callbacks.ModelCheckpoint(best, save_best_only=True, verbose=1),
                lib.callbacks.ModelCheckpoint(every),
            ],
            epochs=5,
        )
        out = capsys.readouterr().out.replace(str(directory), "DIR")
        outputs.append((sorted(os.listdir(directory)), out))
    assert outputs[1] == outputs[0]


def test_model_checkpoint_batch_frequency_matches_keras(keras, kmodel, tmp_path):
    listings = []
    for lib, model in ((keras, kmodel), (kerasnp, _model(kerasnp))):
        directory = tmp_path / lib.__name__
        directory.mkdir()
        pattern = str(directory / "e{epoch}-b{batch}.keras")
        _run(lib, model, [lib.callbacks.ModelCheckpoint(pattern, save_freq=2)], epochs=2)
        listings.append(sorted(os.listdir(directory)))
    assert listings[1] == listings[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_matches_keras(keras, capsys):
    results = []
    for lib in (keras, kerasnp):
        model = lib.Sequential([lib.Input(shape=(3,)), lib.layers.Dense(1)])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=1e3), loss="mse")
        x, y = _data()
        capsys.readouterr()
        history = model.fit(
            x * 1e3,
            y,
            epochs=30,
            batch_size=4,
            verbose=0,
            shuffle=False,
            callbacks=[lib.callbacks.TerminateOnNaN()],
        )
        lines = capsys.readouterr().out.splitlines()
        results.append(
            (
                len(history.epoch) < 30,
                len(lines),
                lines[0].split(":")[1],
                bool(np.isfinite(history.history["loss"][-1])),
            )
        )
    assert results[1] == results[0] == (True, 1, " Invalid loss, terminating training", False)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_early_stop_with_the_same_weights(keras):
    """No injection: the same weights and data give the same val_loss curve, the
    same stop epoch and the same restored weights."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    runs = []
    for lib in (keras, kerasnp):
        model = lib.Sequential(
            [
                lib.Input(shape=(6,)),
                lib.layers.Dense(32, activation="relu"),
                lib.layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=lib.optimizers.SGD(learning_rate=0.5), loss="sparse_categorical_crossentropy"
        )
        if lib is keras:
            weights = [np.asarray(w) for w in model.get_weights()]
        else:
            model.set_weights(weights)
        stop = lib.callbacks.EarlyStopping(patience=3, min_delta=1e-3, restore_best_weights=True)
        history = model.fit(
            x,
            y,
            epochs=60,
            batch_size=10,
            validation_split=0.3,
            shuffle=False,
            verbose=0,
            callbacks=[stop],
        )
        runs.append((history, stop, [np.asarray(w) for w in model.get_weights()]))
    (kh, ks, kw), (nh, ns, nw) = runs
    assert ks.stopped_epoch > 0
    assert (ns.stopped_epoch, ns.best_epoch) == (ks.stopped_epoch, ks.best_epoch)
    np.testing.assert_allclose(nh.history["val_loss"], kh.history["val_loss"], rtol=1e-4)
    for a, b in zip(nw, kw, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Skipping variable loading:UserWarning")
def test_keras_reads_our_weights_h5_and_we_read_keras_files(keras, tmp_path):
    pytest.importorskip("h5py")
    x, y = _data()
    ours = _model(kerasnp)
    ours.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / "ours.weights.h5")
    ours.save_weights(path)
    theirs = _model(keras)
    theirs.load_weights(path)  # Keras skips the optimizer state (its optimizer is unbuilt)
    for a, b in zip(theirs.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)
    np.testing.assert_allclose(
        theirs.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6, atol=1e-7
    )

    theirs.fit(x, y, epochs=1, verbose=0)
    for name in ("theirs.weights.h5", "theirs.keras"):
        path = str(tmp_path / name)
        theirs.save_weights(path) if name.endswith(".h5") else theirs.save(path)
        fresh = _model(kerasnp)
        fresh.load_weights(path)
        for a, b in zip(fresh.get_weights(), theirs.get_weights(), strict=True):
            np.testing.assert_array_equal(a, np.asarray(b))
        assert fresh.optimizer.iterations == int(np.asarray(theirs.optimizer.iterations))


@pytest.mark.parametrize("save_freq", ["epoch", 2])
def test_backup_and_restore_resumes_as_keras(keras, tmp_path, save_freq):
    """A fit that crashes at epoch 4, then a new fit with the same backup folder:
    the same resumed epochs, losses, weights and training metadata as Keras."""
    import json

    x, y = _data(n=24)
    runs = []
    weights = None
    for lib in (keras, kerasnp):
        class CrashAt4(lib.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 4:
                    raise RuntimeError("crash")

        backup = str(tmp_path / lib.__name__)
        model = _model(lib, lr=0.01)
        if weights is None:
            weights = [np.asarray(w) for w in model.get_weights()]
        else:
            model.set_weights(weights)
        with pytest.raises(RuntimeError):
            model.fit(x, y, epochs=10, batch_size=8, shuffle=False, verbose=0,
                      callbacks=[lib.callbacks.BackupAndRestore(backup, save_freq=save_freq),
                                 CrashAt4()])
        with open(os.path.join(backup, "training_metadata.json"), encoding="utf-8") as f:
            metadata = json.load(f)
        fresh = _model(lib, lr=0.01)
        history = fresh.fit(x, y, epochs=10, batch_size=8, shuffle=False, verbose=0,
                            callbacks=[lib.callbacks.BackupAndRestore(backup,
                                                                      save_freq=save_freq)])
        runs.append((metadata, history, [np.asarray(w) for w in fresh.get_weights()],
                     os.path.exists(backup)))
    (km, kh, kw, kleft), (nm, nh, nw, nleft) = runs
    assert nm == km
    # by epoch: the 4 epochs done; every 2 batches: the last backup was inside epoch 3
    assert nh.epoch == kh.epoch == list(range(4 if save_freq == "epoch" else 3, 10))
    np.testing.assert_allclose(nh.history["loss"], kh.history["loss"], rtol=1e-4)
    for a, b in zip(nw, kw, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert nleft == kleft is False
