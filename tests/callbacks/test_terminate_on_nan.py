"""TerminateOnNaN: stop after the batch whose loss is NaN/inf; or raise."""

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError
from kerasnp.callbacks import Callback, TerminateOnNaN


class PoisonLoss(Callback):
    """Make the batch-end loss NaN/inf from batch `at` of epoch 0 on (placed first)."""

    def __init__(self, at=1, value=float("nan")):
        super().__init__()
        self.at, self.value, self.batches = at, value, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if batch >= self.at:
            logs["loss"] = self.value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_stops_after_the_bad_batch_and_records_the_epoch(make_model, fit, capsys, value):
    poison = PoisonLoss(at=1, value=value)
    history = fit(make_model(), [poison, TerminateOnNaN()], epochs=5)
    assert poison.batches == 2  # fit stops right after the bad batch, as Keras does
    assert history.epoch == [0]
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_raise_error(make_model, fit):
    with pytest.raises(
        RuntimeError,
        match="NaN or Inf loss encountered at batch 1. "
        "Loss value: nan. Terminating training immediately.",
    ):
        fit(make_model(), [PoisonLoss(at=1), TerminateOnNaN(raise_error=True)], epochs=2)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_real_divergence_is_caught(data):
    x, y = data
    kerasnp.utils.set_random_seed(0)
    model = kerasnp.Sequential([kerasnp.Input(shape=(3,)), kerasnp.layers.Dense(1)])
    model.compile(optimizer=kerasnp.optimizers.SGD(learning_rate=1e3), loss="mse")
    history = model.fit(x * 1e3, y, epochs=20, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(history.epoch) < 20
    assert not np.isfinite(history.history["loss"][-1])


def test_finite_losses_change_nothing(make_model, fit):
    history = fit(make_model(), [TerminateOnNaN()], epochs=3)
    assert len(history.epoch) == 3


def test_invalid_argument():
    with pytest.raises(KerasnpError):
        TerminateOnNaN(raise_error="yes")
