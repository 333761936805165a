"""Custom layers, losses and metrics: by registration or by custom_objects."""

import numpy as np
import pytest

import kerasnp
from kerasnp import KerasnpError
from kerasnp.saving import (
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
)


class Scale(kerasnp.layers.Layer):
    """y = x * w, one weight per feature."""

    def __init__(self, init=2.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), kerasnp.initializers.Constant(self.init))

    def call(self, inputs, training=False):
        self._x = inputs
        return inputs * self.w.value

    def backward(self, grad):
        self.grads["w"] = (grad * self._x).sum(axis=0)
        return grad * self.w.value

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def my_loss(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2, axis=-1)


my_loss.backward = lambda y_true, y_pred, grad: (
    grad[..., None] * 2 * (y_pred - y_true) / y_pred.shape[-1]
)


def model_with(layer):
    kerasnp.utils.set_random_seed(0)
    return kerasnp.Sequential([kerasnp.Input(shape=(3,)), layer, kerasnp.layers.Dense(2)])


def test_registered_layer(tmp_path):
    Registered = register_serializable(package="tests")(type("RegScale", (Scale,), {}))
    model = model_with(Registered(init=3.0))
    model.save(tmp_path / "m.keras")
    loaded = kerasnp.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[0]) is Registered and loaded.layers[0].init == 3.0
    x = np.ones((2, 3), "float32")
    assert np.array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert get_registered_name(Registered) == "tests>RegScale"
    assert get_registered_object("tests>RegScale") is Registered
    assert get_custom_objects()["tests>RegScale"] is Registered
    assert register_keras_serializable is register_serializable


def test_custom_objects_argument_and_scope(tmp_path):
    model = model_with(Scale(name="scale"))
    model.compile(optimizer="adam", loss=my_loss)
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(KerasnpError, match=r"(?s)'Scale'.*custom_objects"):
        kerasnp.models.load_model(path)
    loaded = kerasnp.models.load_model(path, custom_objects={"Scale": Scale, "my_loss": my_loss})
    assert loaded.loss.fn is my_loss and loaded.optimizer.iterations == 1
    with custom_object_scope({"Scale": Scale, "my_loss": my_loss}):
        assert kerasnp.models.load_model(path).layers[0].get_weights()[0].shape == (3,)
    assert get_registered_object("Scale") is None
    assert get_registered_object("Scale", custom_objects={"Scale": Scale}) is Scale


def test_unregistered_config_that_cannot_be_json(tmp_path):
    class Odd(Scale):
        def get_config(self):
            return {**super().get_config(), "thing": object()}

    with pytest.raises(KerasnpError, match="cannot be written as JSON"):
        model_with(Odd()).save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
