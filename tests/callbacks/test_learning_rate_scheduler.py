"""LearningRateScheduler: schedule(epoch, lr), the older schedule(epoch), checks."""

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError
from kerasnp.callbacks import LearningRateScheduler


def test_schedule_of_epoch_and_lr(make_model, fit, capsys):
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr * 0.5

    model = make_model(optimizer=kerasnp.optimizers.SGD(learning_rate=0.1))
    history = fit(model, [LearningRateScheduler(schedule, verbose=1)], epochs=4)
    f32 = float(np.float32(0.1))
    assert [e for e, _ in seen] == [0, 1, 2, 3]
    assert seen[0][1] == f32
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.025], rel=1e-6)
    out = capsys.readouterr().out
    assert out.startswith(f"\nEpoch 1: LearningRateScheduler setting learning rate to {f32}.\n")
    assert out.count("LearningRateScheduler setting learning rate") == 4


def test_older_schedule_of_epoch_only(make_model, fit):
    model = make_model()
    history = fit(model, [LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.02, 0.03], rel=1e-6)


def test_a_type_error_inside_the_schedule_is_not_swallowed(make_model, fit):
    def schedule(epoch, lr):
        return lr + "x"

    with pytest.raises(TypeError):
        fit(make_model(), [LearningRateScheduler(schedule)], epochs=1)


@pytest.mark.parametrize("bad", [None, "0.1", float("nan"), -0.1, np.array([0.1]), True])
def test_schedule_output_is_checked(make_model, fit, bad):
    with pytest.raises(KerasnpError, match="output of the `schedule` function"):
        fit(make_model(), [LearningRateScheduler(lambda epoch, lr: bad)], epochs=1)


def test_integer_and_numpy_outputs_are_accepted(make_model, fit):
    model = make_model()
    fit(model, [LearningRateScheduler(lambda e, lr: np.float32(0.5) if e else 1)], epochs=2)
    assert model.optimizer.learning_rate == 0.5


def test_schedule_must_be_callable():
    with pytest.raises(KerasnpError, match="schedule"):
        LearningRateScheduler(0.1)
