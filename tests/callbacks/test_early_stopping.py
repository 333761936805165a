"""EarlyStopping: Keras's algorithm, stop epochs and messages (keras-semantics.md §11)."""

import numpy as np
import pytest

from kerasnp import KerasnpError
from kerasnp.callbacks import EarlyStopping, LambdaCallback


def run(helpers, make_model, fit, values=None, epochs=10, **kwargs):
    stop = EarlyStopping(**kwargs)
    record = helpers.RecordWeights()
    model = make_model()
    inject = helpers.Inject(values=values or helpers.SEQUENCE)
    history = fit(model, [inject, stop, record], epochs=epochs)
    return model, stop, record, history


@pytest.mark.parametrize(
    "kwargs, epochs_run, stopped, best",
    [
        ({"patience": 2}, 4, 3, 0.9),
        ({"patience": 0}, 3, 2, 0.9),
        ({"patience": 2, "min_delta": 0.06}, 4, 3, 0.9),
        ({"patience": 20}, 10, 0, 0.85),
        ({"patience": 2, "start_from_epoch": 3}, 7, 6, 0.85),
        ({"patience": 2, "baseline": 0.8}, 3, 2, 0.9),
        ({"patience": 3, "baseline": 0.95}, 8, 7, 0.85),
    ],
)
def test_stop_epochs_match_the_keras_experiments(
    helpers, make_model, fit, kwargs, epochs_run, stopped, best
):
    model, stop, _, history = run(helpers, make_model, fit, **kwargs)
    assert len(history.epoch) == epochs_run
    assert stop.stopped_epoch == stopped
    assert stop.best == pytest.approx(best)
    assert model.stop_training == (stopped > 0)


def test_baseline_never_beaten_keeps_counting(helpers, make_model, fit):
    _, stop, _, _ = run(helpers, make_model, fit, patience=2, baseline=0.8)
    assert stop.wait == 3


def test_best_epoch_tracks_the_best_value(helpers, make_model, fit):
    _, stop, _, _ = run(helpers, make_model, fit, patience=2, start_from_epoch=3)
    assert stop.best_epoch == 4


def test_restore_best_weights_after_a_stop(helpers, make_model, fit, capsys):
    model, stop, record, history = run(
        helpers, make_model, fit, patience=2, restore_best_weights=True, verbose=1
    )
    assert len(history.epoch) == 4
    assert helpers.epoch_of(model.get_weights(), record.weights) == 1
    out = capsys.readouterr().out
    assert out == (
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_best_weights_even_without_a_stop(helpers, make_model, fit, capsys):
    model, stop, record, history = run(
        helpers, make_model, fit, patience=20, restore_best_weights=True, verbose=1
    )
    assert len(history.epoch) == 10 and stop.stopped_epoch == 0
    assert helpers.epoch_of(model.get_weights(), record.weights) == 4
    assert capsys.readouterr().out == (
        "Restoring model weights from the end of the best epoch: 5.\n"
    )


def test_without_restore_the_last_weights_stay(helpers, make_model, fit):
    model, _, record, _ = run(helpers, make_model, fit, patience=2)
    assert helpers.epoch_of(model.get_weights(), record.weights) == 3


def test_restore_before_any_improvement_uses_the_first_watched_epoch(helpers, make_model, fit):
    # with a baseline nothing resets wait; the first watched epoch is still "best"
    model, stop, record, _ = run(
        helpers,
        make_model,
        fit,
        values=[5.0] * 10,
        patience=1,
        restore_best_weights=True,
        start_from_epoch=2,
    )
    assert stop.stopped_epoch == 3
    assert helpers.epoch_of(model.get_weights(), record.weights) == 2


def test_silent_by_default(helpers, make_model, fit, capsys):
    run(helpers, make_model, fit, patience=0, restore_best_weights=True)
    assert capsys.readouterr().out == ""


def test_max_mode_and_auto_mode_for_accuracy(helpers, make_model, fit):
    up = [0.5, 0.6, 0.55, 0.54, 0.7, 0.6, 0.6, 0.6, 0.6, 0.6]
    for mode in ("max", "auto"):
        model = make_model()
        stop = EarlyStopping(monitor="val_accuracy", patience=1, mode=mode)
        history = fit(model, [helpers.Inject("val_accuracy", up), stop])
        assert len(history.epoch) == 3, mode
        assert stop.best == 0.6


def test_min_mode_on_a_metric(helpers, make_model, fit):
    model = make_model()
    stop = EarlyStopping(monitor="val_accuracy", patience=0, mode="min")
    history = fit(model, [helpers.Inject("val_accuracy", helpers.SEQUENCE), stop])
    assert len(history.epoch) == 3


def test_auto_mode_with_an_unknown_metric_raises_at_the_first_epoch_end(make_model, fit):
    stop = EarlyStopping(monitor="foo")
    with pytest.raises(KerasnpError, match="monitor=foo.*mode='max'"):
        fit(make_model(), [stop])


def test_missing_monitor_warns_and_never_stops(make_model, fit):
    stop = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(
        UserWarning,
        match="Early stopping conditioned on metric `val_loss` which "
        "is not available. Available metrics are: "
        "accuracy,loss",
    ):
        history = fit(make_model(), [stop], epochs=3, validation_split=0.0)
    assert len(history.epoch) == 3


def test_min_delta_sign_does_not_matter(helpers, make_model, fit):
    a = run(helpers, make_model, fit, patience=2, min_delta=0.06)[1]
    b = run(helpers, make_model, fit, patience=2, min_delta=-0.06)[1]
    assert (a.stopped_epoch, a.best) == (b.stopped_epoch, b.best)


def test_reused_across_fit_calls(helpers, make_model, fit):
    stop = EarlyStopping(patience=2)
    model = make_model()
    for _ in range(2):
        history = fit(model, [helpers.Inject(), stop])
        assert len(history.epoch) == 4 and stop.stopped_epoch == 3


def test_monitor_on_training_loss(make_model, data):
    # the training loss is watched in the same way (injected after it is computed)
    model = make_model()
    x, y = data
    stop = EarlyStopping(monitor="loss", patience=0)
    values = iter([1.0, 0.5, 0.7] + [0.1] * 10)
    inject = LambdaCallback(on_epoch_end=lambda e, logs: logs.__setitem__("loss", next(values)))
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[inject, stop])
    assert len(history.epoch) == 3
    assert history.history["loss"] == [1.0, 0.5, 0.7]


def test_stop_training_from_any_callback(make_model, fit):
    stopper = LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(stopper.model, "stop_training", epoch == 1)
    )
    history = fit(make_model(), [stopper])
    assert history.epoch == [0, 1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": -1},
        {"patience": 1.5},
        {"patience": True},
        {"min_delta": "x"},
        {"mode": "maximum"},
        {"baseline": "low"},
        {"restore_best_weights": 1},
        {"start_from_epoch": -2},
        {"monitor": ""},
        {"monitor": 3},
        {"verbose": -1},
    ],
)
def test_invalid_arguments(kwargs):
    with pytest.raises(KerasnpError, match="Invalid value for argument"):
        EarlyStopping(**kwargs)


def test_mode_typo_suggests_the_right_one():
    with pytest.raises(KerasnpError, match="Did you mean 'max'"):
        EarlyStopping(mode="mx")


def test_defaults_are_keras_defaults():
    stop = EarlyStopping()
    assert (
        stop.monitor,
        stop.min_delta,
        stop.patience,
        stop.verbose,
        stop.mode,
        stop.baseline,
        stop.restore_best_weights,
        stop.start_from_epoch,
    ) == ("val_loss", 0, 0, 0, "auto", None, False, 0)
    assert "EarlyStopping(" in repr(stop)


def test_numpy_values_in_logs(helpers, make_model, fit):
    values = [np.float32(v) for v in helpers.SEQUENCE]
    _, stop, _, history = run(helpers, make_model, fit, values=values, patience=2)
    assert len(history.epoch) == 4
