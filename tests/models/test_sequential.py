"""Sequential: building, weights, summary, config; fit/evaluate/predict behaviour."""

import io

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import KerasnpError, layers


def mlp(d=4, k=3, **compile_args):
    model = keras.Sequential([keras.Input(shape=(d,)), layers.Dense(8, "relu"),
                              layers.Dense(k, "softmax")])
    if compile_args is not None:
        model.compile(**({"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
                          "metrics": ["accuracy"]} | compile_args))
    return model


def data(n=50, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.integers(0, k, n)


def test_add_pop_layers_and_counts():
    model = keras.Sequential()
    model.add(keras.Input(shape=(10,)))
    model.add(layers.Dense(20, activation="relu"))
    model.add(layers.Dense(4, activation="softmax"))
    assert model.count_params() == 304
    assert len(model.layers) == 2
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and model.count_params() == 220
    with pytest.raises(KerasnpError, match="Only layers"):
        model.add("dense")


def test_lazy_build_on_first_data():
    model = keras.Sequential([layers.Dense(5, "relu"), layers.Dense(2)])
    assert not model.built
    with pytest.raises(KerasnpError, match="isn't built"):
        model.count_params()
    out = model.predict(np.zeros((3, 7)), verbose=0)
    assert out.shape == (3, 2) and model.count_params() == 7 * 5 + 5 + 12
    assert model.input_shape == (None, 7)


def test_summary_table():
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(20, "relu", name="h"),
                              layers.Dropout(0.2, name="d"), layers.Dense(10, name="o")],
                             name="mlp")
    out = []
    model.summary(print_fn=out.append, line_length=76)
    text = out[0]
    assert text.startswith('Model: "mlp"')
    assert "│ h (Dense)" in text and "(None, 20)" in text and "15,700" in text
    assert " Total params: 15,910 (62.15 KB)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text
    assert all(len(line) == 76 for line in text.splitlines()[1:-3])


def test_weights_round_trip_and_config():
    model = mlp()
    clone = keras.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x, _ = data()
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]


def test_fit_history_keys_params_and_types():
    model = mlp()
    x, y = data(n=100)
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 3}
    assert history.epoch == [0, 1, 2]
    assert all(isinstance(v, float) for vs in history.history.values() for v in vs)
    assert model.history is history


def test_acc_metric_name_is_kept():
    model = mlp(metrics=["acc"])
    x, y = data()
    assert list(model.fit(x, y, verbose=0).history) == ["acc", "loss"]


def test_predict_does_not_depend_on_batch_size():
    model = mlp()
    x, _ = data(n=70)
    a = model.predict(x, batch_size=7, verbose=0)
    b = model.predict(x, batch_size=64, verbose=0)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert a.dtype == np.float32 and a.shape == (70, 3)


def test_training_after_predict_with_other_batch_sizes_and_partial_batches():
    model = mlp()
    x, y = data(n=53)
    model.predict(x, batch_size=5, verbose=0)
    h1 = model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    model.predict(x[:3], verbose=0)
    h2 = model.fit(x, y, batch_size=13, epochs=1, verbose=0)
    assert np.isfinite(h1.history["loss"]).all() and np.isfinite(h2.history["loss"]).all()


def test_same_seed_gives_bit_identical_runs():
    def run():
        keras.utils.set_random_seed(42)
        model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, "relu"),
                                  layers.Dropout(0.3), layers.Dense(3, "softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        x, y = data(n=64)
        h = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        return h.history, model.get_weights()

    h1, w1 = run()
    h2, w2 = run()
    assert h1 == h2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)


def test_evaluate_returns_float_list_or_dict():
    x, y = data()
    plain = mlp(metrics=None)
    assert isinstance(plain.evaluate(x, y, verbose=0), float)
    model = mlp(metrics=["mse", "accuracy"], loss="categorical_crossentropy")
    y = np.eye(3)[y]
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["accuracy", "loss", "mse"]


def test_validation_split_takes_the_last_fraction_before_shuffling():
    model = mlp(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    x, y = data(n=10)
    h = model.fit(x, y, validation_split=0.25, epochs=1, verbose=0)
    expected = model.evaluate(x[7:], y[7:], verbose=0)
    np.testing.assert_allclose(h.history["val_loss"][0], expected[0], rtol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size"),
    ({"validation_split": 1.0}, "validation_split"),
    ({"epochs": -1}, "epochs"),
    ({"verbose": 3}, "verbose"),
    ({"shuffle": "yes"}, "shuffle"),
])
def test_fit_rejects_bad_arguments(kwargs, match):
    x, y = data()
    with pytest.raises(KerasnpError, match=match):
        mlp().fit(x, y, **kwargs)


def test_fit_before_compile_and_data_errors():
    x, y = data()
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3)])
    with pytest.raises(KerasnpError, match="compile"):
        model.fit(x, y)
    with pytest.raises(KerasnpError, match="cardinality"):
        mlp().fit(x, y[:-1], verbose=0)
    with pytest.raises(KerasnpError, match=r"expects samples of shape \(4,\)"):
        mlp().fit(np.zeros((5, 6)), y[:5], verbose=0)
    with pytest.raises(KerasnpError, match="not sufficient"):
        mlp().fit(x[:3], y[:3], validation_split=0.7, verbose=0)


def test_unflattened_images_get_a_flatten_hint():
    model = mlp(d=784, k=10)
    with pytest.raises(KerasnpError, match=r"reshape\(len\(x\), -1\)"):
        model.predict(np.zeros((2, 28, 28)), verbose=0)


def test_verbose_output(capsys):
    model = mlp()
    x, y = data(n=40)
    model.fit(x, y, epochs=2, batch_size=10, verbose=2, validation_split=0.25)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2"
    assert out[1].startswith("3/3 - ") and "- accuracy: " in out[1]
    assert out[1].index("loss:") < out[1].index("val_accuracy:")
    model.fit(x, y, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out and out.count("\n") == 1 and "━" * 20 in out


def test_stop_training_from_a_callback():
    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = data()
    h = mlp().fit(x, y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert h.epoch == [0, 1]


def test_callbacks_see_every_hook_in_order():
    calls = []

    def spy(hook):
        return lambda self, *args: calls.append(hook)

    hooks = [h for h in vars(keras.callbacks.Callback) if h.startswith("on_")]
    Spy = type("Spy", (keras.callbacks.Callback,), {h: spy(h) for h in hooks})

    x, y = data(n=20)
    mlp().fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[Spy()],
              validation_data=(x, y))
    assert calls[0] == "on_train_begin" and calls[-1] == "on_train_end"
    assert "on_train_batch_end" in calls and "on_epoch_end" in calls


def test_logs_stream_gets_one_line_per_epoch():
    from kerasnp.utils.progbar import Progbar

    stream = io.StringIO()
    bar = Progbar(100, stream=stream)
    for i in range(1, 101):
        bar.update(i, {"loss": 0.5})
    text = stream.getvalue()
    assert text.count("\n") == 1 and "\r" not in text and "\x1b" not in text
    assert text.startswith("100/100 ━━━━━━━━━━━━━━━━━━━━ ") and text.endswith("- loss: 0.5000\n")


def test_sorted_validation_split_warns_and_random_split_does_not():
    x = np.random.default_rng(0).normal(size=(1000, 4)).astype("float32")
    y_sorted = np.repeat(np.arange(3), [400, 400, 200])
    with pytest.warns(UserWarning, match="stratify=y"):
        mlp().fit(x, y_sorted, validation_split=0.2, verbose=0)
    import warnings

    y_random = np.random.default_rng(1).integers(0, 3, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlp().fit(x, y_random, validation_split=0.2, verbose=0)


@pytest.mark.parametrize("labels,expected", [("int", "SparseCategoricalCrossentropy"),
                                             ("onehot", "CategoricalCrossentropy")])
def test_crossentropy_string_resolves_from_shapes(labels, expected):
    x, y = data()
    y = np.eye(3)[y] if labels == "onehot" else y
    model = mlp(loss="crossentropy")
    model.fit(x, y, verbose=0)
    assert type(model.loss).__name__ == expected


def test_metrics_passed_positionally_get_a_hint():
    model = keras.Sequential([layers.Dense(2)])
    with pytest.raises(KerasnpError, match=r"metrics=\['accuracy'\]"):
        model.compile("adam", "mse", ["accuracy"])
    with pytest.raises(KerasnpError, match="loss_weights"):
        model.compile("adam", "mse", loss_weights=[0.5])
    model.compile("adam", "mse", loss_weights=[1.0])


def test_progbar_unit_name():
    from kerasnp.utils.progbar import Progbar

    stream = io.StringIO()
    bar = Progbar(3, stream=stream, unit_name="epoch", verbose=2)
    for i in range(1, 4):
        bar.update(i)
    assert stream.getvalue().rstrip().endswith("/epoch")


def test_ctrl_c_stops_after_the_current_batch_and_returns_the_history(capsys):
    import os
    import signal

    class CtrlC(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == 7:  # epoch 2, batch 2 (5 batches an epoch)
                os.kill(os.getpid(), signal.SIGINT)

    x, y = data(n=50)
    model = mlp()
    history = model.fit(x, y, epochs=4, batch_size=10, verbose=0, callbacks=[CtrlC()])
    assert history.epoch == [0]  # only complete epochs are recorded
    assert model.optimizer.iterations == 7  # the batch under way finished, no later one ran
    assert "Training interrupted during epoch 2, after batch 2/5" in capsys.readouterr().out
    assert model.predict(x, verbose=0).shape == (50, 3)  # the model stays usable
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored

    class TwiceCtrlC(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[TwiceCtrlC()])


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_a_copied_model_trains_on_as_the_original_would(how, optimizer):
    import copy
    import pickle

    x, y = data(n=80)
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(300, "relu"),
                              layers.Dropout(0.3), layers.Dense(3, "softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    twin = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
    before = [w.copy() for w in model.get_weights()]
    history = twin.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert model.fit(x, y, batch_size=16, epochs=2, verbose=0).history == history
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert twin.optimizer.iterations == model.optimizer.iterations == 15


def test_a_copied_optimizer_keeps_its_exclusions_for_the_copied_variables():
    import copy

    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, "relu"),
                              layers.Dense(3, "softmax")])
    optimizer = keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[model.layers[0].kernel])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    twin = copy.deepcopy(model)
    twin.optimizer.build(twin.trainable_weights)
    assert twin.optimizer._decays == [False, True, True, True]


def test_an_optimizer_pickled_by_an_older_kerasnp_unpickles_and_trains():
    import pickle

    x, y = data()
    model = mlp()
    model.fit(x, y, verbose=0)
    older = model.optimizer
    older.__dict__.pop("_together")  # what it did not have yet
    older.__dict__.pop("_excluded")
    older._exclude_ids = set()
    model = pickle.loads(pickle.dumps(model))
    assert not hasattr(model.optimizer, "_exclude_ids")
    model.fit(x, y, verbose=0)
    assert model.optimizer.iterations == 4
