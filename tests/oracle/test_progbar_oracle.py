"""The progress output against Keras's own, with the timings masked."""

import re

import numpy as np
import pytest

import kerasnp

pytestmark = pytest.mark.oracle

TIMES = re.compile(r"\d+(ms|us|s)/step|\b\d+s\b|\d+:\d\d")


def _strip(text):
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    lines = []
    for raw in text.split("\n"):
        line = raw.split("\r")[-1].replace("\b", "")  # what a terminal ends up showing
        if line.strip():
            lines.append(TIMES.sub("T", line.rstrip()))
    return lines


def _models(keras):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 6)).astype("float32")
    y = rng.integers(0, 3, 100)
    out = []
    for lib in (keras, kerasnp):
        model = lib.Sequential([lib.Input(shape=(6,)), lib.layers.Dense(3, "softmax")])
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
        out.append(model)
    out[1].set_weights(out[0].get_weights())
    return out, x, y


@pytest.mark.parametrize("verbose", [1, 2])
def test_fit_and_evaluate_lines_match_keras(keras, capsys, verbose):
    (kmodel, nmodel), x, y = _models(keras)
    kmodel.fit(x, y, epochs=2, batch_size=25, shuffle=False, validation_split=0.2,
               verbose=verbose)
    kmodel.evaluate(x, y, verbose=verbose)
    theirs = _strip(capsys.readouterr().out)
    nmodel.fit(x, y, epochs=2, batch_size=25, shuffle=False, validation_split=0.2,
               verbose=verbose)
    nmodel.evaluate(x, y, verbose=verbose)
    ours = _strip(capsys.readouterr().out)
    # What a terminal ends up showing, line by line, is the same text.
    assert ours == theirs
    assert len(ours) == 5 and ours[0] == "Epoch 1/2"
