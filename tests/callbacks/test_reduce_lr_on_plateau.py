"""ReduceLROnPlateau: reductions, cooldown, min_lr and the logged learning rate."""

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError
from kerasnp.callbacks import ReduceLROnPlateau

F32 = lambda v: float(np.float32(v))  # noqa: E731 - Keras logs the float32 value


def run(helpers, make_model, fit, values=None, epochs=6, lr=0.001, **kwargs):
    model = make_model(optimizer=kerasnp.optimizers.Adam(learning_rate=lr))
    cb = ReduceLROnPlateau(**kwargs)
    history = fit(model, [helpers.Inject(values=values or helpers.SEQUENCE), cb], epochs=epochs)
    return model, cb, history


def test_keras_experiment_sequence(helpers, make_model, fit, capsys):
    model, _, history = run(helpers, make_model, fit, patience=1, factor=0.5, verbose=1)
    assert history.history["learning_rate"] == [
        F32(v) for v in (0.001, 0.001, 0.001, 0.0005, 0.00025, 0.00025)
    ]
    assert list(history.history)[-1] == "learning_rate"  # added after the sorted keys
    out = capsys.readouterr().out
    assert out == (
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to "
        "0.0005000000237487257.\n"
        "\nEpoch 4: ReduceLROnPlateau reducing learning rate to "
        "0.0002500000118743628.\n"
        "\nEpoch 6: ReduceLROnPlateau reducing learning rate to "
        "0.0001250000059371814.\n"
    )
    assert model.optimizer.learning_rate == pytest.approx(0.000125)


def test_default_patience_is_ten(helpers, make_model, fit):
    values = [1.0] + [1.0] * 11
    _, _, history = run(helpers, make_model, fit, values=values, epochs=12)
    lrs = history.history["learning_rate"]
    assert lrs[:11] == [F32(0.001)] * 11 and lrs[11] == F32(F32(0.001) * 0.1)


def test_min_delta_decides_what_counts(helpers, make_model, fit):
    values = [1.0, 0.99995, 0.9999, 0.99, 0.98, 0.97]
    _, _, history = run(helpers, make_model, fit, values=values, patience=1, factor=0.5)
    # 0.99995 is within the default min_delta=1e-4 of 1.0: a plateau epoch
    assert history.history["learning_rate"][2] == F32(0.0005)


def test_cooldown(helpers, make_model, fit):
    values = [1.0] * 8
    _, _, history = run(
        helpers, make_model, fit, values=values, epochs=8, patience=1, factor=0.5, cooldown=2
    )
    # the cooldown epoch that reaches 0 already counts again (Keras's order of checks)
    expected = [0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025, 0.000125, 0.000125]
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-6)


def test_min_lr_is_a_floor_compared_in_float32(helpers, make_model, fit, capsys):
    values = [1.0] * 6
    model, _, history = run(
        helpers, make_model, fit, values=values, patience=1, factor=0.1, min_lr=1e-4, verbose=1
    )
    # float32(0.001) * 0.1 is a hair above float32(1e-4), so a second reduction
    # clamps to min_lr exactly; after that float32(lr) > float32(min_lr) fails.
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.00010000000474974513.\n"
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.0001.\n"
    )
    assert model.optimizer.learning_rate == pytest.approx(1e-4)


def test_factor_one_or_more_is_refused_with_keras_message():
    with pytest.raises(
        KerasnpError,
        match=r"ReduceLROnPlateau does not support a factor >= "
        r"1\.0\. Received factor=1\.0",
    ):
        ReduceLROnPlateau(factor=1.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factor": -0.5},
        {"patience": -1},
        {"cooldown": 1.5},
        {"min_lr": -1.0},
        {"mode": "up"},
        {"min_delta": None},
        {"verbose": "yes"},
    ],
)
def test_invalid_arguments(kwargs):
    with pytest.raises(KerasnpError):
        ReduceLROnPlateau(**kwargs)


def test_unknown_keyword_suggests():
    with pytest.raises(KerasnpError, match="Did you mean `patience`"):
        ReduceLROnPlateau(patiense=3)


def test_missing_monitor_warns_but_logs_the_rate(make_model, fit):
    cb = ReduceLROnPlateau(monitor="val_loss", patience=0)
    with pytest.warns(
        UserWarning,
        match="Learning rate reduction is conditioned on metric `val_loss` which is not available",
    ):
        history = fit(make_model(), [cb], epochs=2, validation_split=0.0)
    assert history.history["learning_rate"] == [F32(0.001)] * 2


def test_a_schedule_cannot_be_reduced(helpers, make_model, fit):
    schedule = kerasnp.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    model = make_model(optimizer=kerasnp.optimizers.SGD(learning_rate=schedule))
    cb = ReduceLROnPlateau(patience=0)
    with pytest.raises(KerasnpError, match="schedule"):
        fit(model, [helpers.Inject(), cb])


def test_defaults_are_keras_defaults():
    cb = ReduceLROnPlateau()
    assert (
        cb.monitor,
        cb.factor,
        cb.patience,
        cb.verbose,
        cb.mode,
        cb.min_delta,
        cb.cooldown,
        cb.min_lr,
    ) == ("val_loss", 0.1, 10, 0, "auto", 1e-4, 0, 0.0)
