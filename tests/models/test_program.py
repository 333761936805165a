"""Step programs (models/program.py): `fit` with them gives the numbers of
`fit` without them, bit for bit, and falls back where it must."""

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import callbacks, layers, optimizers, regularizers
from kerasnp.models import program
from kerasnp.saving.rng_state import rng_states


def _data(n=150, d=20, k=4, onehot=False):
    rng = np.random.default_rng(0)
    x = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, k, n)
    return x, (keras.utils.to_categorical(y, k) if onehot else y)


def _model(hidden, optimizer, loss, d=20, k=4, seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(d,)), *hidden(),
                              layers.Dense(k, activation="softmax")])
    model.compile(optimizer=optimizer(), loss=loss, metrics=["accuracy"])
    return model


def _fit(monkeypatch, enabled, hidden, optimizer, fit_args, onehot=False, extra=None):
    """(history, weights, optimizer state, generator states, program steps run)."""
    monkeypatch.setattr(program, "ENABLED", enabled)
    runs = []
    real = program.StepProgram.run

    def counted(self):
        runs.append(1)
        return real(self)

    monkeypatch.setattr(program.StepProgram, "run", counted)
    x, y = _data(n=fit_args.pop("n", 150), d=fit_args.pop("d", 20), onehot=onehot)
    loss = "categorical_crossentropy" if onehot else "sparse_categorical_crossentropy"
    model = _model(hidden, optimizer, loss, d=x.shape[1])
    history = model.fit(x, y, verbose=0, callbacks=extra() if extra else None,
                        **fit_args).history
    return (history, model.get_weights(), model.optimizer.get_weights(), rng_states(model),
            len(runs))


def _same(first, second):
    assert first[0] == second[0]
    for a, b in zip(first[1] + first[2], second[1] + second[2], strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert first[3] == second[3]


MODELS = {
    "relu-dropout-l2": lambda: [layers.Dense(16, "relu"), layers.Dropout(0.3),
                                layers.Dense(8, "relu",
                                             kernel_regularizer=regularizers.l2(1e-3))],
    "tanh-dropout-linear": lambda: [layers.Dense(16, "tanh"), layers.Dropout(0.2),
                                    layers.Dense(8), layers.Dropout(0.1)],
    "sigmoid-no-bias": lambda: [layers.Dense(12, "sigmoid", use_bias=False),
                                layers.Dense(6, "relu", bias_regularizer=regularizers.l2(0.01))],
    "frozen-first": lambda: [layers.Dense(16, "relu", trainable=False), layers.Dropout(0.5),
                             layers.Dense(8, "relu")],
}
OPTIMIZERS = {
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "rmsprop-schedule": lambda: optimizers.RMSprop(
        learning_rate=optimizers.schedules.ExponentialDecay(0.01, 3, 0.9)),
    "sgd-nesterov": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "adamw-clipnorm": lambda: optimizers.AdamW(learning_rate=0.01, clipnorm=0.5),
    "adagrad-accumulating": lambda: optimizers.Adagrad(0.05, gradient_accumulation_steps=2),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("hidden", sorted(MODELS))
def test_fit_with_programs_gives_the_numbers_of_fit_without(monkeypatch, hidden, optimizer):
    fit_args = dict(batch_size=16, epochs=3, validation_split=0.2)
    on = _fit(monkeypatch, True, MODELS[hidden], OPTIMIZERS[optimizer], dict(fit_args),
              onehot=True)
    off = _fit(monkeypatch, False, MODELS[hidden], OPTIMIZERS[optimizer], dict(fit_args),
               onehot=True)
    _same(on, off)
    # 7 full batches and one of 8 per epoch: the first two full ones run the
    # usual way (the program is made after the second, on the same buffers)
    assert (on[4], off[4]) == (3 * 7 - 2, 0)


@pytest.mark.parametrize("shuffle", [True, "batch", False])
def test_programs_run_on_shuffled_batches_only(monkeypatch, shuffle):
    fit_args = dict(batch_size=32, epochs=2, shuffle=shuffle)
    on = _fit(monkeypatch, True, MODELS["relu-dropout-l2"], OPTIMIZERS["adam"], dict(fit_args))
    off = _fit(monkeypatch, False, MODELS["relu-dropout-l2"], OPTIMIZERS["adam"], dict(fit_args))
    _same(on, off)
    # unshuffled batches are slices of the data, other arrays at every step
    assert on[4] == (0 if shuffle is False else 2 * 4 - 2)


def test_large_layers_split_over_two_cores_give_the_same_numbers(monkeypatch):
    """Products split between the caller and the helper, masks made ahead."""
    hidden = lambda: [layers.Dense(512, "relu"), layers.Dropout(0.2),  # noqa: E731
                      layers.Dense(256, "relu"), layers.Dropout(0.2)]
    fit_args = dict(batch_size=128, epochs=2, n=300, d=300)
    on = _fit(monkeypatch, True, hidden, lambda: optimizers.RMSprop(), dict(fit_args))
    off = _fit(monkeypatch, False, hidden, lambda: optimizers.RMSprop(), dict(fit_args))
    _same(on, off)
    assert on[4] == 2 * 2 - 2  # two full batches of 128 per epoch


class _Meddler(callbacks.Callback):
    """Between batches: weights assigned in place, a kernel replaced by a new
    array, the learning rate changed, `predict` on odd batch sizes (which
    makes the layers' buffers again), a Dropout layer's generator drawn from
    (leaving half a draw buffered) or replaced, its rate changed."""

    def on_train_batch_end(self, batch, logs=None):
        model = self.model
        first = model.layers[0]
        if batch == 1:
            model.layers[1]._rng.random(3, dtype=np.float32)
        if batch == 7:
            model.layers[1].rate = 0.6
        if batch == 2:
            first.kernel.assign(first.kernel.value * np.float32(0.5))
        if batch == 4:
            first.kernel.value = first.kernel.value.copy()
        if batch == 5:
            model.optimizer.learning_rate = 0.003
        if batch == 3:
            for rows in range(1, 70):
                model.predict(np.ones((rows, 20), np.float32), batch_size=rows, verbose=0)
        if batch == 6:
            model.layers[1]._rng = np.random.default_rng(batch)


def test_callbacks_that_change_the_model_between_steps_see_the_same(monkeypatch):
    fit_args = dict(batch_size=16, epochs=2)
    hidden = MODELS["relu-dropout-l2"]
    on = _fit(monkeypatch, True, hidden, OPTIMIZERS["adam"], dict(fit_args), extra=_Meddler)
    off = _fit(monkeypatch, False, hidden, OPTIMIZERS["adam"], dict(fit_args), extra=_Meddler)
    _same(on, off)
    assert on[4] > 10


@pytest.mark.parametrize("hidden, used", [
    # reshaping layers' outputs are views of the step's buffers, made once
    (lambda: [layers.Reshape((4, 5)), layers.Flatten(), layers.Dense(16, "relu"),
              layers.Reshape((2, 8)), layers.Flatten()], True),
    # channels moved: a copy at every step, made by the layer
    (lambda: [layers.Reshape((4, 5)), layers.Flatten(data_format="channels_first"),
              layers.Dense(16, "relu")], False),
    (lambda: [layers.Dense(16), layers.Activation("relu")], False),
    (lambda: [layers.Dense(16, "relu", activity_regularizer=regularizers.l2(0.01))], False),
    (lambda: [layers.Dense(16, "elu")], False),  # its gradient needs its input
])
def test_models_with_other_layers(monkeypatch, hidden, used):
    fit_args = dict(batch_size=16, epochs=2)
    on = _fit(monkeypatch, True, hidden, OPTIMIZERS["adam"], dict(fit_args))
    off = _fit(monkeypatch, False, hidden, OPTIMIZERS["adam"], dict(fit_args))
    _same(on, off)
    assert on[4] == (2 * 9 - 2 if used else 0)


def _at_batch(batch, change):
    class Change(callbacks.Callback):
        def on_train_batch_end(self, index, logs=None):
            if index == batch:
                change(self.model)

    return Change


def _copy_and_pickle(model):
    import copy
    import pickle

    copy.deepcopy(model)
    pickle.loads(pickle.dumps(model))


CHANGES = {
    # what the program was made from, replaced between two steps
    "dropout rate 0": lambda m: setattr(m.layers[1], "rate", 0.0),
    "noise_shape": lambda m: setattr(m.layers[1], "noise_shape", (None, 1)),
    "activation": lambda m: setattr(m.layers[0], "activation", keras.activations.sigmoid),
    "optimizer": lambda m: setattr(m, "optimizer", optimizers.SGD(0.1)),
    "compile": lambda m: m.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy"),
    "copied and pickled": _copy_and_pickle,
    "l2 factor": lambda m: setattr(m.layers[0].kernel_regularizer, "l2", 0.05),
    # NumPy multiplies float32 weights by a float64 scalar in float64
    "l2 factor, a NumPy scalar": lambda m: setattr(m.layers[0].kernel_regularizer, "l2",
                                                   np.float64(1 / 3)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("below", ["tanh", "relu"])
def test_a_callback_replacing_what_the_program_was_made_from(monkeypatch, change, below):
    hidden = lambda: [layers.Dense(16, below, kernel_regularizer=regularizers.l2(1e-3)),  # noqa: E731
                      layers.Dropout(0.3)]
    meddle = _at_batch(4, CHANGES[change])
    fit_args = dict(batch_size=16, epochs=2)
    on, off = (_fit(monkeypatch, enabled, hidden, OPTIMIZERS["adam"], dict(fit_args),
                    extra=lambda: [meddle()]) for enabled in (True, False))
    _same(on, off)
    assert on[4] >= 3  # steps 3 to 5 ran as a program before the change


def test_the_environment_can_turn_programs_off():
    import os
    import subprocess
    import sys

    code = "from kerasnp.models import program; print(program.ENABLED)"
    for value, expected in (("0", "False"), ("", "True"), ("1", "True")):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "KERASNP_PROGRAMS": value},
                              timeout=120)
        assert done.stdout.strip() == expected, done.stderr[-1000:]
