"""The optimised training loop (models/step.py and the layers' reusing methods).

`fit` runs each step in buffers the layers reuse; these tests hold it to
the plain path (`compute_gradients` then `optimizer.apply`, fresh arrays
everywhere) bit for bit, and check that no buffer leaks out to the user.
"""

import io

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import _blas, activations, layers, losses, metrics, regularizers
from kerasnp.callbacks.callback import Callback, LazyLogs


def make_model(seed=0, loss="sparse_categorical_crossentropy", optimizer="adam",
               activation="relu", last="softmax", k=4, dtype=None, extra=()):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(16, activation=activation, dtype=dtype),
        layers.Dropout(0.3, seed=seed),
        *extra,
        layers.Dense(8, activation="tanh", kernel_regularizer=regularizers.l2(1e-2),
                     bias_regularizer=regularizers.l1(1e-3), dtype=dtype),
        layers.Dense(k, activation=last, dtype=dtype),
    ])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def data(n=37, k=4, seed=1, one_hot=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = rng.integers(0, k, n)
    return x, (np.eye(k, dtype="float32")[y] if one_hot else y)


def plain_fit(model, x, y, batch_size, epochs=1):
    """What `fit(shuffle=False)` computes, through the public allocating path."""
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            _, _, grads, variables = model.compute_gradients(xb, yb)
            model.optimizer.apply(grads, variables)


def assert_same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


CASES = [
    {},
    {"optimizer": "rmsprop"},
    {"optimizer": "sgd", "activation": "sigmoid"},
    {"activation": "tanh", "last": "sigmoid", "k": 1, "loss": "binary_crossentropy"},
    {"activation": "linear", "last": None, "loss": "mse"},
    {"activation": "elu"},  # an activation without an in-place form
    {"loss": "categorical_crossentropy"},
    {"dtype": "float64"},
]


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_fit_equals_the_plain_path_bit_for_bit(case):
    one_hot = case.get("loss") == "categorical_crossentropy"
    x, y = data(k=case.get("k", 4), one_hot=one_hot)
    if case.get("k") == 1:
        y = (y % 2).astype("float32")
    if case.get("loss") == "mse":
        y = np.random.default_rng(2).normal(size=(len(x), 4)).astype("float32")
    fast, plain = make_model(**case), make_model(**case)
    # batch 8 over 37 samples: four full batches and a last one of 5
    fast.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    plain_fit(plain, x, y, batch_size=8, epochs=2)
    assert_same_weights(fast, plain)


def test_the_loss_and_metrics_of_fit_equal_evaluate_on_the_same_weights():
    x, y = data()
    model = make_model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=37, verbose=0, return_dict=True)
    ref_loss = model.loss(y, model.predict(x, verbose=0)) + sum(model.losses)
    assert logs["loss"] == pytest.approx(ref_loss, rel=1e-6)
    assert logs["accuracy"] == pytest.approx(np.mean(np.argmax(model.predict(x, verbose=0), 1)
                                                     == y), rel=1e-6)


def test_buffers_are_reused_across_batch_sizes_and_the_last_partial_batch():
    x, y = data(n=53)
    fast, plain = make_model(), make_model()
    for batch_size in (16, 7, 53, 16):  # last batches of 5, 4, none, 5
        fast.fit(x, y, batch_size=batch_size, shuffle=False, verbose=0)
        plain_fit(plain, x, y, batch_size)
    assert_same_weights(fast, plain)
    dense = fast.layers[0]
    shapes = {shape for name, shape in dense._buffers if name == "z"}
    assert {(16, 16), (5, 16), (7, 16), (4, 16), (53, 16)} <= shapes


def test_training_after_predict_with_another_batch_size():
    x, y = data()
    a, b = make_model(), make_model()
    before = a.predict(x[:11], batch_size=3, verbose=0)
    kept = before.copy()
    a.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    b.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert_same_weights(a, b)
    np.testing.assert_array_equal(before, kept)  # fit did not write into predict's result
    after = a.predict(x, batch_size=5, verbose=0)
    np.testing.assert_allclose(after, a.predict(x, batch_size=37, verbose=0), rtol=1e-6)


def test_public_calls_return_new_arrays():
    x, _ = data()
    model = make_model()
    first = model(x[:4])
    kept = first.copy()
    model(x[4:8])
    model.predict(x[:4], batch_size=4, verbose=0)
    model.predict_on_batch(x[8:12])
    np.testing.assert_array_equal(first, kept)
    layer = model.layers[0]
    out = layer(x[:4])
    kept = out.copy()
    layer._forward_reusing(x[4:8], training=False)
    layer(x[8:12])
    np.testing.assert_array_equal(out, kept)


def test_a_layer_shared_with_another_model_does_not_leak_state_into_fit():
    """Another model predicting with the same layer inside fit's steps."""
    x, y = data()
    shared = layers.Dense(16, activation="relu")

    def with_shared(layer):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(6,)), layer, layers.Dense(4, "softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    model = with_shared(shared)
    probe = keras.Sequential([keras.Input(shape=(6,)), shared, layers.Dense(2)])
    reference = with_shared(layers.Dense(16, activation="relu"))
    reference.set_weights(model.get_weights())
    seen = []

    class Probe(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(probe.predict(x[:3], batch_size=2, verbose=0))

        def on_train_batch_end(self, batch, logs=None):
            seen.append(probe.predict(x[:5], batch_size=5, verbose=0))
            probe.evaluate(x[:5], np.zeros((5, 2), "float32"), batch_size=3, verbose=0)

    probe.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0, callbacks=[Probe()])
    reference.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert_same_weights(model, reference)
    assert len({id(s) for s in seen}) == len(seen)  # every result is its own array


def test_evaluate_in_a_callback_does_not_disturb_training():
    x, y = data()
    a, b = make_model(), make_model()

    class EvaluateEachBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.evaluate(x[:9], y[:9], batch_size=4, verbose=0)

    a.fit(x, y, batch_size=8, shuffle=False, verbose=0, callbacks=[EvaluateEachBatch()])
    b.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert_same_weights(a, b)


def test_a_callback_mutating_batch_logs_is_seen_by_the_next_one():
    x, y = data()
    model = make_model()
    got = []

    class Mutate(Callback):
        def on_train_batch_end(self, batch, logs=None):
            assert type(logs) is dict and set(logs) == {"accuracy", "loss"}
            logs["loss"] = -1.0
            logs["extra"] = batch

    class Read(Callback):
        def on_train_batch_end(self, batch, logs=None):
            got.append(dict(logs))

    model.fit(x, y, batch_size=8, verbose=0, callbacks=[Mutate(), Read()])
    assert [g["extra"] for g in got] == [0, 1, 2, 3, 4]
    assert all(g["loss"] == -1.0 for g in got)


def test_batch_logs_are_built_only_when_the_progress_bar_draws(monkeypatch, capsys):
    x, y = data(n=64)
    model = make_model()
    calls = []
    real = model._logs
    monkeypatch.setattr(model, "_logs", lambda: calls.append(1) or real())
    model.fit(x, y, batch_size=4, epochs=2, verbose=1)  # captured output: not a terminal
    assert len(calls) == 2  # once per epoch end, never per batch
    assert "16/16" in capsys.readouterr().out


def test_progress_bar_on_a_terminal_reads_lazy_logs_when_it_redraws():
    from kerasnp.utils.progbar import Progbar

    stream = io.StringIO()
    bar = Progbar(10, stream=stream, dynamic=True, interval=0.0)
    built = []
    logs = LazyLogs(lambda: built.append(1) or {"loss": 0.25})
    assert bar.will_draw()
    bar.update(1, logs if bar.will_draw() else None)
    assert built == [1] and "loss: 0.2500" in stream.getvalue()
    quiet = Progbar(10, stream=io.StringIO(), dynamic=False)
    assert not quiet.will_draw()


def test_lazy_logs_are_a_read_only_mapping_built_once():
    built = []
    logs = LazyLogs(lambda: built.append(1) or {"b": 2.0, "a": 1.0})
    assert built == []
    assert dict(logs) == {"b": 2.0, "a": 1.0} and logs["a"] == 1.0 and len(logs) == 2
    assert list(logs) == ["b", "a"] and "a" in logs and logs.get("c") is None
    assert built == [1]
    with pytest.raises(TypeError):
        logs["c"] = 3.0


def test_a_metric_that_keeps_predictions_gets_its_own_copies():
    x, y = data()

    class Keep(metrics.Metric):
        def __init__(self):
            super().__init__(name="keep")
            self.kept = []

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.kept.append(y_pred)

        def result(self):
            return 0.0

        def reset_state(self):
            pass

    keep = Keep()
    model = make_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=[keep])
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert len({id(a) for a in keep.kept}) == len(keep.kept) == 5
    assert not np.array_equal(keep.kept[0][:5], keep.kept[-1])  # not one shared buffer


def test_set_random_seed_gives_bit_identical_training():
    x, y = data(n=64)
    a, b = make_model(seed=3), make_model(seed=3)
    ha = a.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_split=0.25)
    hb = b.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_split=0.25)
    assert ha.history == hb.history
    assert_same_weights(a, b)


# ------------------------------------------------------------------ pieces
@pytest.mark.parametrize("fn", [activations.relu, activations.sigmoid, activations.tanh,
                                activations.softmax, activations.linear])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_activations_compute_exactly_the_functions(fn, dtype):
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(9, 5)) * 4).astype(dtype)
    grad = rng.normal(size=(9, 5)).astype(dtype)
    forward, backward = activations.in_place(fn)
    y = fn(z)
    out = forward(z.copy())
    np.testing.assert_array_equal(out, y)
    expected = fn.backward(z, y, grad)
    got = grad if backward is None else backward(y, grad, np.empty_like(grad))
    np.testing.assert_array_equal(got, expected)


def test_relu_in_place_equals_relu_on_special_values_and_any_shape():
    """The in-place relu takes the maximum against a shared array of zeros
    (NumPy's vectorised loop), not the scalar 0: the same bits, -0.0 and NaN
    included, whatever the shape, and the shared zeros stay zeros."""
    forward, _ = activations.in_place(activations.relu)
    rng = np.random.default_rng(0)
    specials = np.array([0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, -1e-45])
    for shape in [(32, 128), (5, 128), (1, 3), (7, 1), (32, 128), (2, 3, 4)]:
        for dtype in ["float16", "float32", "float64"]:
            z = rng.normal(size=shape).astype(dtype)
            z.flat[:len(specials)] = specials[:z.size]
            expected = np.maximum(z, 0.0)
            got = forward(z)
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
    for zeros in activations._ZEROS.values():
        assert not zeros.flags.writeable and not zeros.any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_in_the_loop_equals_its_plain_call(dtype):
    """Same mask (same random draws), same outputs and gradients as `call` and
    `backward`, across batch sizes (an odd number of entries included) and
    for inputs so large that `x * 1.25` would overflow."""
    loop, plain = layers.Dropout(0.2, seed=5), layers.Dropout(0.2, seed=5)
    rng = np.random.default_rng(1)
    for shape in [(8, 6), (5, 3), (8, 6), (1, 6)]:
        x = rng.normal(size=shape).astype(dtype)
        x[0] = np.finfo(dtype).max  # dropped: 0, kept: inf (not NaN)
        grad = rng.normal(size=shape).astype(dtype)
        with np.errstate(over="ignore"):
            got = loop._forward_reusing(x, training=True)
            expected = plain(x, training=True)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
        assert not np.isnan(got).any()
        got = loop._backward_reusing(grad)
        expected = plain.backward(grad)
        assert got.tobytes() == expected.tobytes()
    # inputs of another dtype get buffers of their own
    for other in ["float16", dtype]:
        x = rng.normal(size=(8, 6)).astype(other)
        got = loop._forward_reusing(x, training=True)
        expected = plain(x, training=True)
        assert got.dtype == x.dtype and got.tobytes() == expected.tobytes()
    # inference after training: the identity, and no mask left behind
    x = rng.normal(size=(4, 6)).astype(dtype)
    assert loop._forward_reusing(x, training=False) is x
    np.testing.assert_array_equal(loop._backward_reusing(x), x)


def test_batches_take_the_rows_of_the_order_into_reused_buffers():
    from kerasnp.models.data import Batches

    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3)).astype("float32")
    y, w = np.arange(10), rng.random(10).astype("float32")
    order = rng.permutation(10)
    batches = Batches(x, y, w, 4)
    got = [tuple(a.copy() for a in batch) for batch in batches(order)]
    assert [len(b[0]) for b in got] == [4, 4, 2]  # the last batch is partial
    for i, (xb, yb, wb) in enumerate(got):
        idx = order[4 * i:4 * i + 4]
        np.testing.assert_array_equal(xb, x[idx])
        np.testing.assert_array_equal(yb, y[idx])
        np.testing.assert_array_equal(wb, w[idx])
    first, second = [b[0] for b in list(batches(order))[:2]]
    assert first is second  # one buffer per batch size
    in_order = [b[0] for b in batches(None)]
    np.testing.assert_array_equal(np.concatenate(in_order), x)


def test_activations_without_an_in_place_form():
    assert activations.in_place(activations.elu) is None
    assert activations.in_place(activations.get("gelu")) is None


@pytest.mark.parametrize("name, one_hot", [("SparseCategoricalCrossentropy", False),
                                           ("CategoricalCrossentropy", True)])
@pytest.mark.parametrize("n", [1, 7, 32])
def test_fused_softmax_step_equals_the_loss_and_its_fused_gradient(name, one_hot, n):
    rng = np.random.default_rng(n)
    p = activations.softmax(rng.normal(size=(n, 5)).astype("float32") * 5)
    p[0, 0] = 1e-12  # a clipped probability
    y = rng.integers(0, 5, n)
    if one_hot:
        y = np.eye(5, dtype="float32")[y]
    loss = getattr(losses, name)()
    step = loss.fused_softmax_step()
    out = np.empty_like(p)
    assert step(y, p, out) == loss(y, p)
    np.testing.assert_array_equal(out, loss.fused_softmax_gradient(y, p))
    assert step(y, p, None) == loss(y, p)


@pytest.mark.parametrize("loss", [
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.SparseCategoricalCrossentropy(ignore_class=0),
    losses.SparseCategoricalCrossentropy(reduction="sum"),
    losses.CategoricalCrossentropy(label_smoothing=0.1),
    losses.CategoricalCrossentropy(axis=0),
])
def test_no_fused_step_where_it_would_differ(loss):
    assert loss.fused_softmax_step() is None


def test_accuracy_and_mean_fast_paths_equal_the_general_path():
    rng = np.random.default_rng(0)
    p = rng.random((20, 4)).astype("float32")
    y = rng.integers(0, 4, 20)
    fast, general = metrics.SparseCategoricalAccuracy(), metrics.SparseCategoricalAccuracy()
    fast.update_state(y, p)
    general.update_state(y.tolist(), p.tolist())
    assert (fast.total, fast.count, fast.result()) == (general.total, general.count,
                                                        general.result())
    one_hot = np.eye(4, dtype="float32")[y]
    fast, general = metrics.CategoricalAccuracy(), metrics.CategoricalAccuracy()
    fast.update_state(one_hot, p)
    general.update_state(one_hot.tolist(), p.tolist())
    assert fast.result() == general.result() and fast.count == general.count
    fast, general = metrics.Mean(), metrics.Mean()
    for value, weight in [(0.1234567, 32), (2.5e-3, 5)]:
        fast.update_state(value, sample_weight=weight)
        general.update_state(np.float64(value), sample_weight=np.int64(weight))
    assert (fast.total, fast.count) == (general.total, general.count)


def test_l2_gradient_into_a_buffer():
    w = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    out = np.empty_like(w)
    reg = regularizers.L2(0.01)
    np.testing.assert_array_equal(reg._gradient_into(w, out), reg.gradient(w))

    class Doubled(regularizers.L2):
        def gradient(self, x):
            return 2 * super().gradient(x)

    assert Doubled(0.01)._gradient_into(w, out) is None


# -------------------------------------------------------------- BLAS threads
def test_blas_threads_are_restored_after_each_loop(monkeypatch):
    monkeypatch.delenv("KERASNP_BLAS_THREADS", raising=False)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = _blas.threads()
    if before is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS this machine exposes")
    inside = []
    x, y = data()
    model = make_model()

    class Watch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            inside.append(_blas.threads())

    model.fit(x, y, batch_size=8, verbose=0, callbacks=[Watch()])
    assert set(inside) == {1}
    assert _blas.threads() == before
    with _blas.limited(_blas.SMALL_PRODUCT + 1):  # a large product: the BLAS's choice
        assert _blas.threads() == before


@pytest.mark.parametrize("env, expected", [({"KERASNP_BLAS_THREADS": "0"}, None),
                                           ({"KERASNP_BLAS_THREADS": "3"}, 3),
                                           ({"OPENBLAS_NUM_THREADS": "2"}, None),
                                           ({}, 1)])
def test_blas_thread_choice_follows_the_environment(monkeypatch, env, expected):
    for key in ("KERASNP_BLAS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert _blas._wanted(1000) == expected


# ------------------------------------------------- evaluate/predict in chunks
def test_inference_computes_several_batches_at_once_unless_a_callback_watches():
    x, y = data(n=100)
    model = make_model()
    seen = []

    class Watch(Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append((batch, type(logs)))

    chunked = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    watched = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True,
                             callbacks=[Watch()])
    assert seen == [(i, dict) for i in range(13)]  # every batch, a real dict
    assert chunked.keys() == watched.keys()
    for key in chunked:  # the same numbers up to float32 rounding
        assert chunked[key] == pytest.approx(watched[key], rel=1e-6)
    assert model.evaluate(x, y, batch_size=8, steps=3, verbose=0, return_dict=True) == \
        pytest.approx(model.evaluate(x[:24], y[:24], batch_size=24, verbose=0,
                                     return_dict=True), rel=1e-6)


def test_predict_batch_hooks_see_each_batch_of_batch_size():
    x, _ = data(n=45)
    model = make_model()
    outputs = []

    class Watch(Callback):
        def on_predict_batch_end(self, batch, logs=None):
            outputs.append((batch, logs["outputs"].copy()))

    watched = model.predict(x, batch_size=10, verbose=0, callbacks=[Watch()])
    assert [b for b, _ in outputs] == [0, 1, 2, 3, 4]
    assert [len(o) for _, o in outputs] == [10, 10, 10, 10, 5]
    np.testing.assert_array_equal(np.concatenate([o for _, o in outputs]), watched)
    chunked = model.predict(x, batch_size=10, verbose=0)
    np.testing.assert_allclose(chunked, watched, rtol=1e-6, atol=1e-7)
    assert model.predict(x, batch_size=10, steps=2, verbose=0).shape == (20, 4)


def test_progress_bars_of_chunked_inference_count_batches(capsys):
    x, y = data(n=45)
    model = make_model()
    model.predict(x, batch_size=10, verbose=1)
    model.evaluate(x, y, batch_size=10, verbose=1)
    out = capsys.readouterr().out
    assert out.count("5/5") == 2


def test_inference_rows_are_whole_batches_within_the_product_limit():
    from kerasnp.models.step import INFERENCE_PRODUCT, inference_rows, largest_product

    model = make_model()
    assert inference_rows(model, 32) == 512  # tiny products: the row cap
    assert inference_rows(model, 1000) == 1000  # never below the batch size
    wide = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(2048)])
    rows = inference_rows(wide, 16)
    assert rows % 16 == 0 and largest_product(wide, rows) <= INFERENCE_PRODUCT


def test_overlapping_blas_blocks_restore_the_setting_once_all_are_done():
    if _blas.threads() is None or _blas._wanted(1) != 1:
        pytest.skip("no OpenBLAS this module can find, or its threads set by the environment")
    before = _blas.threads(), _blas.single_threaded
    assert not before[1]  # not inside a block already
    first, second = _blas.limited(1), _blas.limited(1)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first one in leaves first
    assert _blas.single_threaded and _blas.threads() == 1
    second.__exit__(None, None, None)
    assert (_blas.threads(), _blas.single_threaded) == before
