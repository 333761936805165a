"""Real (short) kerasnp runs through the lab: the callback, the baseline, the verdicts."""

import math

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError, layers
from kerasnp.callbacks import CSVLogger
from kerasnp.lab import TrainingEval, diagnose, load_history
from kerasnp.lab.data import choose_scale, load_dataset, prepare
from kerasnp.lab.run_config import RunConfig, apply_changes, first_applicable, parse_variants
from kerasnp.lab.runs import baseline_numbers, linear_baseline, train_run


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def small(mnist):
    """300 training and 1000 validation images: overfits within a few seconds."""
    return prepare(mnist, subset=300, validation_size=1000, test_size=500, seed=0)


@pytest.fixture(scope="module")
def baseline(small):
    return linear_baseline(small, progress=False)


def _model(dropout=0.3, l2=1e-3):
    kerasnp.utils.set_random_seed(1)
    reg = kerasnp.regularizers.L2(l2) if l2 else None
    stack = [
        kerasnp.Input(shape=(784,)),
        layers.Dense(32, activation="relu", kernel_regularizer=reg),
    ]
    stack += [layers.Dropout(dropout)] if dropout else []
    stack += [layers.Dense(10, activation="softmax")]
    model = kerasnp.Sequential(stack)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# -- TrainingEval ------------------------------------------------------------------------------


def test_training_eval_measures_without_changing_training(small):
    x, y, xv, yv = small.x_train, small.y_train, small.x_val[:200], small.y_val[:200]
    with_cb, without = _model(), _model()
    cb = TrainingEval(x, y)
    h1 = with_cb.fit(x, y, epochs=3, verbose=0, validation_data=(xv, yv), callbacks=[cb])
    h2 = without.fit(x, y, epochs=3, verbose=0, validation_data=(xv, yv))
    for a, b in zip(with_cb.get_weights(), without.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert h1.history[key] == h2.history[key], key  # fit's own running metrics untouched
    # the logged values are model.evaluate's (Dropout off, the L2 penalty included)
    loss, acc = with_cb.evaluate(x, y, verbose=0, batch_size=256)
    assert h1.history["eval_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert h1.history["eval_accuracy"][-1] == pytest.approx(acc)
    # in inference mode, with Dropout off, the model fits better than the running mean says
    assert h1.history["eval_loss"][-1] < h1.history["loss"][-1]


def test_training_eval_records_what_the_rules_read(small):
    model = _model(dropout=0.25, l2=1e-3)
    h = model.fit(
        small.x_train,
        small.y_train,
        epochs=1,
        verbose=0,
        callbacks=[TrainingEval(small.x_train, small.y_train)],
    )
    p = h.params
    assert p["num_classes"] == 10 and p["dropout"] == 0.25 and p["l2"] == 1e-3
    assert p["learning_rate"] == pytest.approx(0.001)
    # the loss at initialisation is near ln 10, plus the L2 penalty
    assert math.log(10) - 0.3 < p["initial_loss"] < math.log(10) + 1.0
    assert p["epochs"] == 1  # fit's own params are kept


def test_training_eval_subsample_params_and_errors(small):
    cb = TrainingEval(small.x_train, small.y_train, max_samples=50, params={"dropout": 0.5})
    assert cb.n_samples == 50
    again = TrainingEval(small.x_train, small.y_train, max_samples=50)
    np.testing.assert_array_equal(cb.x, again.x)  # a fixed subsample (seeded)
    model = _model(dropout=0.0, l2=0.0)
    h = model.fit(small.x_train, small.y_train, epochs=1, verbose=0, callbacks=[cb])
    assert h.params["dropout"] == 0.5  # the explicit value wins over the model's
    with pytest.raises(KerasnpError, match="same non-zero number of samples"):
        TrainingEval(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(KerasnpError, match="max_samples"):
        TrainingEval(np.zeros((3, 2)), np.zeros(3), max_samples=0)
    with pytest.raises(KerasnpError, match="Did you mean `dropout`"):
        TrainingEval(np.zeros((3, 2)), np.zeros(3), params={"droput": 0.1})


def test_training_eval_values_reach_a_later_csv_logger(small, tmp_path):
    path = tmp_path / "log.csv"
    cbs = [TrainingEval(small.x_train, small.y_train), CSVLogger(str(path))]
    _model().fit(
        small.x_train,
        small.y_train,
        epochs=2,
        verbose=0,
        validation_data=(small.x_val[:100], small.y_val[:100]),
        callbacks=cbs,
    )
    curves = load_history(path)
    assert {"eval_loss", "eval_accuracy", "val_loss"} <= set(curves.keys)
    d = diagnose(path, num_classes=10)
    assert d.loss_source.startswith("eval_loss")


# -- data --------------------------------------------------------------------------------------


def test_prepare_is_repeatable_and_scales_pixels(mnist):
    a = prepare(mnist, subset=100, validation_split=0.2, seed=3, test_size=10)
    b = prepare(mnist, subset=100, validation_split=0.2, seed=3, test_size=10)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert a.x_train.shape == (80, 784) and a.x_val.shape == (20, 784)
    assert a.x_train.dtype == np.float32 and a.x_train.min() >= 0 and a.x_train.max() <= 1
    assert a.preprocessing.background == "dark"
    c = prepare(mnist, subset=100, validation_split=0.2, seed=4, test_size=10)
    assert not np.array_equal(a.y_train, c.y_train)


def test_choose_scale():
    assert choose_scale(np.array([[0, 255], [3, 7]], dtype=np.uint8)) == "255"
    assert choose_scale(np.array([[0.0, 0.5], [1.0, 0.2]])) == "none"
    assert choose_scale(np.array([[100.0, -3.5], [20.0, 7.25]])) == "standardize"


def test_dataset_files_say_what_is_missing(tmp_path):
    np.savez(tmp_path / "bad.npz", x=np.zeros((2, 2)), y=np.zeros(2))
    with pytest.raises(KerasnpError, match="needs the arrays x_train and y_train.*Found: x, y"):
        load_dataset(str(tmp_path / "bad.npz"))
    (tmp_path / "bad.csv").write_text("label,a\n1,2\n0,zz\n")
    with pytest.raises(KerasnpError, match="feature value 'zz' is not a number"):
        load_dataset(str(tmp_path / "bad.csv"))
    (tmp_path / "frac.csv").write_text("0.5,1\n1,2\n")
    with pytest.raises(KerasnpError, match="whole numbers"):
        load_dataset(str(tmp_path / "frac.csv"))


# -- configs, variants, fixes ------------------------------------------------------------------


def test_apply_changes_understands_every_suggestion_key():
    cfg = RunConfig(hidden=(128, 64), learning_rate=0.01, batch_size=32, epochs=10)
    new = apply_changes(
        cfg,
        {
            "learning_rate_factor": 0.1,
            "batch_size_factor": 2,
            "hidden_factor": 0.5,
            "clipnorm": 1.0,
            "epochs": 20,
            "early_stopping": 3,
            "l2": 1e-4,
            "dropout": 0.2,
            "validation_split": 0.25,
        },
    )
    assert new.learning_rate == pytest.approx(0.001) and new.batch_size == 64
    assert new.hidden == (64, 32) and new.clipnorm == 1.0 and new.epochs == 20
    assert (new.early_stopping, new.l2, new.dropout, new.validation_split) == (3, 1e-4, 0.2, 0.25)
    assert apply_changes(RunConfig(), {"learning_rate_factor": 10}).learning_rate == 0.01
    with pytest.raises(KerasnpError, match="unknown change 'wings'"):
        apply_changes(cfg, {"wings": 2})
    with pytest.raises(KerasnpError, match="dropout must be in"):
        apply_changes(cfg, {"dropout": 1.0})


def test_parse_variants():
    assert parse_variants("base;l2=1e-3;dropout=0.3;l2=1e-3,dropout=0.3") == [
        ("base", {}),
        ("l2=1e-3", {"l2": 1e-3}),
        ("dropout=0.3", {"dropout": 0.3}),
        ("l2=1e-3,dropout=0.3", {"l2": 1e-3, "dropout": 0.3}),
    ]
    assert parse_variants("wide:hidden=256+128, lr=3e-4;es:early-stopping=5") == [
        ("wide", {"hidden": (256, 128), "lr": 3e-4}),
        ("es", {"early_stopping": 5}),
    ]
    with pytest.raises(KerasnpError, match="variant names must differ"):
        parse_variants("base;base")
    with pytest.raises(KerasnpError, match="cannot read epochs='many'"):
        parse_variants("epochs=many")


def test_every_run_with_one_seed_starts_from_the_same_weights(small):
    from kerasnp.lab.runs import build_model

    a = build_model(RunConfig(hidden=(16,), seed=5), 784, 10)
    b = build_model(RunConfig(hidden=(16,), seed=5, dropout=0.3, l2=1e-3), 784, 10)
    np.testing.assert_array_equal(a.layers[0].kernel.value, b.layers[0].kernel.value)
    np.testing.assert_array_equal(a.layers[-1].kernel.value, b.layers[-1].kernel.value)


# -- real runs get the verdicts they should --------------------------------------------------


def test_the_linear_baseline_is_a_sensible_reference(baseline):
    numbers = baseline_numbers(baseline)
    assert 0.85 < numbers["accuracy"] <= 1.0  # softmax regression fits 300 digits well
    assert 0.6 < numbers["val_accuracy"] < numbers["accuracy"]
    assert numbers["loss"] < 0.6 and set(numbers) == {
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
    }


def test_a_real_overfitting_run_is_called_overfitting(small, baseline):
    cfg = RunConfig(hidden=(256,), epochs=25, validation_split=0.0)
    r = train_run("overfit", cfg, small, baseline=baseline_numbers(baseline), progress=False)
    d = r.diagnosis
    assert d.verdict == "overfitting", d
    assert {f.rule for f in d.findings} & {"overfitting.val_rise", "overfitting.high_variance"}
    assert d.loss_source.startswith("eval_loss")
    assert r.score("train") == 1.0 and r.gap > 0.1
    # its top suggestion is a regulariser, which the lab can apply
    s, fixed = first_applicable(d, cfg)
    assert s.remedy in ("l2", "dropout") and fixed != cfg


def test_a_real_underfitting_run_is_called_underfitting(small, baseline):
    cfg = RunConfig(hidden=(64,), l2=0.1, epochs=12, validation_split=0.0)
    r = train_run("underfit", cfg, small, baseline=baseline_numbers(baseline), progress=False)
    d = r.diagnosis
    assert d.verdict == "underfitting", d
    fired = {f.rule for f in d.findings}
    assert fired & {
        "underfitting.vs_baseline",
        "underfitting.vs_chance",
        "underfitting.not_learning",
    }
    assert r.score("train") < baseline_numbers(baseline)["accuracy"]
    assert d.suggestions[0].remedy == "regularization_down"
    assert d.suggestions[0].changes == {"l2": pytest.approx(0.01)}


def test_a_real_run_that_blew_up_is_called_diverged(small):
    cfg = RunConfig(
        hidden=(64,), optimizer="sgd", learning_rate=3.0, epochs=6, validation_split=0.0
    )
    r = train_run("blow-up", cfg, small, progress=False)
    assert r.diagnosis.verdict == "diverged", r.diagnosis
    assert r.diagnosis.suggestions[0].changes == {"learning_rate_factor": 0.1}


def test_a_run_without_validation_data_still_stops_early_and_says_what_it_could_not_check(mnist):
    data = prepare(mnist, subset=200, validation_split=0.0, test_size=50, seed=0)
    assert data.x_val is None
    cfg = RunConfig(hidden=(16,), epochs=6, early_stopping=1, validation_split=0.0)
    r = train_run("no validation", cfg, data, progress=False)
    assert set(r.final) == {"train", "test"}
    assert "flag.no_validation" in {f.rule for f in r.diagnosis.findings}
    assert "no validation data" in r.diagnosis.checks_skipped["overfitting.val_rise"]
