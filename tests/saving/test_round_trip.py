"""save -> load_model gives back the same model, for every layer, optimizer,
loss, metric, regularizer, initializer, activation and schedule."""

import inspect
import json

import numpy as np
import pytest

import kerasnp
from kerasnp import initializers, layers, losses, metrics, optimizers, regularizers
from kerasnp.optimizers import schedules


def _json(obj):
    return json.loads(json.dumps(obj, default=lambda v: list(v) if isinstance(v, tuple) else v))


def roundtrip(model, tmp_path, **kwargs):
    path = tmp_path / "m.keras"
    model.save(path)
    return kerasnp.models.load_model(path, **kwargs)


# ------------------------------------------------------------------- layers
LAYERS = {
    "Dense": lambda: layers.Dense(
        5,
        activation="tanh",
        use_bias=False,
        kernel_initializer="he_normal",
        kernel_regularizer=regularizers.L1L2(0.01, 0.02),
        activity_regularizer=regularizers.L1(0.001),
        name="dense_x",
    ),
    "Dropout": lambda: layers.Dropout(0.3, noise_shape=(None, 1), seed=7),
    "Flatten": lambda: layers.Flatten(),
    "Reshape": lambda: layers.Reshape((2, 3)),
    "Activation": lambda: layers.Activation("softplus", trainable=False),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer(name, tmp_path, same):
    kerasnp.utils.set_random_seed(0)
    model = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(6,)),
            layers.Dense(6),
            LAYERS[name](),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    loaded = roundtrip(model, tmp_path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert _json(loaded.get_config()) == _json(model.get_config())
    assert same(loaded.get_weights(), model.get_weights())
    x = np.random.default_rng(1).normal(size=(5, 6)).astype("float32")
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_every_layer_class_is_covered():
    classes = {
        n
        for n in layers.__all__
        if inspect.isclass(getattr(layers, n)) and issubclass(getattr(layers, n), layers.Layer)
    }
    assert classes - {"Layer", "InputLayer"} <= set(LAYERS)


def test_input_shape_given_to_the_first_layer(tmp_path, same):
    with pytest.warns(UserWarning):
        model = kerasnp.Sequential([layers.Dense(3, input_shape=(4,))])
    loaded = roundtrip(model, tmp_path)
    assert loaded.input_shape == (None, 4) and same(loaded.get_weights(), model.get_weights())


def test_unbuilt_model(tmp_path):
    model = kerasnp.Sequential([layers.Dense(3), layers.Dense(2)], name="later")
    loaded = roundtrip(model, tmp_path)
    assert not loaded.built and loaded.name == "later" and len(loaded.layers) == 2
    loaded.build((None, 5))
    assert loaded.count_params() == 5 * 3 + 3 + 3 * 2 + 2


# --------------------------------------------------------------- optimizers
OPTIMIZERS = [
    optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    optimizers.SGD(),
    optimizers.Adam(learning_rate=0.01, amsgrad=True, clipnorm=1.0),
    optimizers.AdamW(weight_decay=0.01, global_clipnorm=2.0),
    optimizers.RMSprop(momentum=0.5, centered=True, clipvalue=0.5),
    optimizers.Adagrad(initial_accumulator_value=0.2),
    optimizers.Adadelta(rho=0.9),
    optimizers.Nadam(beta_1=0.8),
    optimizers.Adamax(use_ema=True, ema_momentum=0.9),
    optimizers.Adam(gradient_accumulation_steps=2, loss_scale_factor=4.0),
    optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 3, 0.5)),
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: repr(o)[:40])
def test_every_optimizer_with_its_state(optimizer, mlp, xy, tmp_path, same):
    model = mlp(optimizer=optimizer)
    x, y = xy
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded = roundtrip(model, tmp_path)
    assert type(loaded.optimizer) is type(optimizer)
    assert _json(loaded.optimizer.get_config()) == _json(optimizer.get_config())
    assert loaded.optimizer.iterations == optimizer.iterations > 0
    assert same(loaded.optimizer.get_weights(), optimizer.get_weights())
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert same(loaded.get_weights(), model.get_weights())


def test_every_optimizer_class_is_covered():
    assert set(optimizers._TABLE) <= {type(o).__name__ for o in OPTIMIZERS}


def test_unbuilt_optimizer_state(mlp, tmp_path):
    model = mlp(optimizer=optimizers.Adam(learning_rate=0.02))
    loaded = roundtrip(model, tmp_path)
    assert not loaded.optimizer.built and loaded.optimizer.learning_rate == pytest.approx(0.02)


def test_changed_learning_rate_is_kept(mlp, xy, tmp_path):
    model = mlp(optimizer=optimizers.Adam(learning_rate=0.01))
    x, y = xy
    model.fit(x, y, epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.00123
    assert roundtrip(model, tmp_path).optimizer.learning_rate == 0.00123


# ------------------------------------------------------------------- schedules
SCHEDULES = [
    schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
    schedules.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5),
    schedules.PiecewiseConstantDecay([2, 4], [0.1, 0.05, 0.01]),
    schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0),
    schedules.CosineDecay(0.1, decay_steps=10, alpha=0.1, warmup_target=0.2, warmup_steps=2),
    schedules.CosineDecayRestarts(0.1, first_decay_steps=3, t_mul=2.0, m_mul=0.5),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_every_schedule(schedule, mlp, xy, tmp_path):
    model = mlp(optimizer=optimizers.SGD(learning_rate=schedule))
    x, y = xy
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    loaded = roundtrip(model, tmp_path)
    assert _json(schedules.serialize(loaded.optimizer._lr_function)) == _json(
        schedules.serialize(schedule)
    )
    assert loaded.optimizer.learning_rate == model.optimizer.learning_rate


def test_every_schedule_class_is_covered():
    names = {n for n in schedules.__all__ if inspect.isclass(getattr(schedules, n))}
    assert names - {"LearningRateSchedule"} <= {type(s).__name__ for s in SCHEDULES}


# ------------------------------------------------------------------- losses
def _loss_instances():
    out = []
    for cls in losses._CLASSES:
        if cls in (losses.Loss, losses.LossFunctionWrapper):
            continue
        params = inspect.signature(cls).parameters
        kwargs = {"name": f"my_{cls.__name__.lower()}"}
        if "from_logits" in params:
            kwargs["label_smoothing" if "label_smoothing" in params else "from_logits"] = (
                0.1 if "label_smoothing" in params else False
            )
        if "delta" in params:
            kwargs["delta"] = 2.0
        if "reduction" in params:
            kwargs["reduction"] = "sum"
        out.append(cls(**kwargs))
    out.append(
        losses.LossFunctionWrapper(
            losses.categorical_crossentropy, name="wrapped", label_smoothing=0.2
        )
    )
    return out


def _targets(loss, x):
    labels = np.arange(len(x)) % 3
    if "Sparse" in type(loss).__name__ or "sparse" in str(loss):
        return labels
    return np.eye(3, dtype="float32")[labels]


@pytest.mark.parametrize(
    "loss",
    _loss_instances()
    + ["categorical_crossentropy", "mse", "kl_divergence", "categorical_hinge", "poisson"],
    ids=lambda o: o if isinstance(o, str) else type(o).__name__,
)
def test_every_loss(loss, mlp, xy, tmp_path):
    model = mlp(compile=False, dropout=0.0)
    model.compile(optimizer="sgd", loss=loss)
    x, _ = xy
    y = _targets(loss, x)
    loaded = roundtrip(model, tmp_path)
    if isinstance(loss, str):
        assert loaded.get_compile_config()["loss"] == loss
    else:
        assert type(loaded.loss) is type(loss)
        assert _json(loaded.loss.get_config()) == _json(loss.get_config())
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


# ------------------------------------------------------------------ metrics
def _metric_instances():
    out = []
    for cls in metrics._CLASSES:
        if cls in (metrics.Mean, metrics.Sum, metrics.MeanMetricWrapper):
            continue
        params = inspect.signature(cls).parameters
        kwargs = {"name": f"m_{cls.__name__.lower()}"}
        if "k" in params:
            kwargs["k"] = 2
        if "thresholds" in params and cls is not metrics.AUC:
            kwargs["thresholds"] = 0.4
        if "num_thresholds" in params:
            kwargs["num_thresholds"] = 50
        out.append(cls(**kwargs))
    return out


def test_every_metric(mlp, xy, tmp_path):
    x, _ = xy
    one_hot = np.eye(3, dtype="float32")[np.arange(len(x)) % 3]
    dense = [m for m in _metric_instances() if "Sparse" not in type(m).__name__]
    model = mlp(compile=False, dropout=0.0)
    model.compile(
        optimizer="adam",
        loss="categorical_crossentropy",
        metrics=dense + ["mse", "categorical_accuracy", "acc"],
        weighted_metrics=[metrics.CategoricalAccuracy(name="w_acc")],
    )
    loaded = roundtrip(model, tmp_path)
    before = model.evaluate(x, one_hot, verbose=0, return_dict=True)
    after = loaded.evaluate(x, one_hot, verbose=0, return_dict=True)
    assert after == before and len(after) == len(dense) + 5
    for a, b in zip(model.metrics[1:], loaded.metrics[1:], strict=True):
        assert type(a) is type(b) and _json(a.get_config()) == _json(b.get_config())


def test_sparse_metrics(mlp, xy, tmp_path):
    x, y = xy
    sparse = [m for m in _metric_instances() if "Sparse" in type(m).__name__]
    model = mlp(compile=False, dropout=0.0)
    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=sparse + ["accuracy"]
    )
    loaded = roundtrip(model, tmp_path)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


# ------------------------------------------- regularizers, initializers, activations
@pytest.mark.parametrize(
    "reg",
    [regularizers.L1(0.02), regularizers.L2(0.03), regularizers.L1L2(l1=0.01, l2=0.04), "l2", None],
    ids=repr,
)
def test_every_regularizer(reg, tmp_path, xy):
    kerasnp.utils.set_random_seed(0)
    model = kerasnp.Sequential(
        [
            kerasnp.Input(shape=(4,)),
            layers.Dense(3, kernel_regularizer=reg, bias_regularizer=reg, activity_regularizer=reg),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x, _ = xy
    y = np.ones((len(x), 3), "float32")
    loaded = roundtrip(model, tmp_path)
    assert _json(loaded.get_config()) == _json(model.get_config())
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


@pytest.mark.parametrize(
    "name", [n for n in initializers.__all__ if n[0].isupper() and n != "Initializer"]
)
def test_every_initializer(name, tmp_path, same):
    init = getattr(initializers, name)() if name != "Constant" else initializers.Constant(0.5)
    model = kerasnp.Sequential(
        [kerasnp.Input(shape=(4,)), layers.Dense(3, kernel_initializer=init)]
    )
    loaded = roundtrip(model, tmp_path)
    assert _json(loaded.get_config()) == _json(model.get_config())
    assert same(loaded.get_weights(), model.get_weights())


@pytest.mark.parametrize(
    "name", [n for n in kerasnp.activations.__all__ if n not in ("get", "serialize", "deserialize")]
)
def test_every_activation(name, tmp_path, xy):
    model = kerasnp.Sequential([kerasnp.Input(shape=(4,)), layers.Dense(3, activation=name)])
    loaded = roundtrip(model, tmp_path)
    x, _ = xy
    assert loaded.layers[0].get_config()["activation"] == model.layers[0].get_config()["activation"]
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------------ compile
def test_compile_false_gives_an_uncompiled_model(trained):
    model, path = trained
    loaded = kerasnp.models.load_model(path, compile=False)
    assert not loaded.compiled and loaded.optimizer is None


def test_uncompiled_model_round_trip(mlp, tmp_path, same):
    model = mlp(compile=False)
    loaded = roundtrip(model, tmp_path)
    assert not loaded.compiled and same(loaded.get_weights(), model.get_weights())


def test_pathlib_and_str_paths(trained, same):
    model, path = trained
    for p in (path, str(path)):
        assert same(kerasnp.models.load_model(p).get_weights(), model.get_weights())
    assert kerasnp.saving.load_model is kerasnp.models.load_model
