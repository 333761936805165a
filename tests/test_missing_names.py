"""Keras names kerasnp lacks get a message saying so; other names the usual error."""

import importlib

import pytest

import kerasnp
from kerasnp._errors import NotInKerasnp


@pytest.mark.parametrize("module, name, kind", [
    ("layers", "Conv2D", "layer"),
    ("layers", "BatchNormalization", "layer"),
    ("layers", "maxpooling2d", "layer"),  # any case: the message names Keras's spelling
    ("callbacks", "SwapEMAWeights", "callback"),
    ("callbacks", "TensorBoard", "callback"),
    ("optimizers", "Lion", "optimizer"),
])
def test_a_keras_name_kerasnp_lacks_says_so(module, name, kind):
    mod = getattr(kerasnp, module)
    with pytest.raises(NotInKerasnp) as info:
        getattr(mod, name)
    message = str(info.value)
    keras_name = {"maxpooling2d": "MaxPooling2D"}.get(name, name)
    assert f"`{keras_name}` is a Keras {kind} that kerasnp does not implement" in message
    assert "model.to_keras()" in message and "COMPAT.md" in message
    for available in mod.__all__:
        if available[0].isupper():
            assert available in message  # what kerasnp has instead
    assert isinstance(info.value, ImportError)


def test_the_message_survives_a_from_import():
    with pytest.raises(ImportError, match="`Conv2D` is a Keras layer"):
        exec("from kerasnp.layers import Conv2D", {})
    with pytest.raises(ImportError, match="`Lion` is a Keras optimizer"):
        exec("from kerasnp.optimizers import Lion", {})


@pytest.mark.parametrize("module, name, hint", [
    ("layers", "Dence", "Dense"),
    ("layers", "Dropuot", "Dropout"),
    ("callbacks", "EarlyStoping", "EarlyStopping"),
    ("optimizers", "RMSProp", "RMSprop"),
])
def test_a_misspelt_name_suggests_the_closest(module, name, hint):
    with pytest.raises(AttributeError, match=f"Did you mean `{hint}`"):
        getattr(getattr(kerasnp, module), name)


def test_other_names_stay_plain_attribute_errors():
    for module in ("layers", "callbacks", "optimizers"):
        mod = importlib.import_module(f"kerasnp.{module}")
        assert not hasattr(mod, "NoSuchThing")
        assert not hasattr(mod, "__wrapped__")
        assert not hasattr(mod, "_conv2d")  # private names are never Keras names
        with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'$"):
            _ = mod.NoSuchThing
    assert hasattr(kerasnp.layers, "Dense") and hasattr(kerasnp.optimizers, "get")


def test_what_kerasnp_has_is_never_listed_as_missing():
    from kerasnp import _keras_names

    for module, names in (("layers", _keras_names.LAYERS), ("callbacks", _keras_names.CALLBACKS),
                          ("optimizers", _keras_names.OPTIMIZERS)):
        exported = set(getattr(kerasnp, module).__all__)
        assert not exported & set(names)
