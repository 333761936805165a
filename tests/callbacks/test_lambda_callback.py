"""LambdaCallback: plain functions as hooks."""

import pytest

from kerasnp import KerasnpError
from kerasnp.callbacks import Callback, CallbackList, LambdaCallback


def test_every_hook_is_called_with_its_arguments(make_model, fit):
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, "loss" in logs)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: calls.append("train_end"),
    )
    fit(make_model(), [cb], epochs=1, validation_split=0.0)
    assert calls == [
        "train_begin",
        ("epoch_begin", 0),
        ("batch_begin", 0),
        ("batch_end", 0, True),
        ("batch_begin", 1),
        ("batch_end", 1, True),
        ("batch_begin", 2),
        ("batch_end", 2, True),
        ("epoch_end", 0, ["accuracy", "loss"]),
        "train_end",
    ]


def test_other_hooks_by_keyword(make_model, data):
    x, y = data
    seen = []
    cb = LambdaCallback(
        on_predict_end=lambda logs: seen.append("predict_end"),
        on_batch_end=lambda batch, logs: seen.append(batch),
    )
    model = make_model()
    model.predict(x, verbose=0, callbacks=[cb])
    model.fit(x, y, batch_size=12, epochs=1, verbose=0, callbacks=[cb])
    assert seen == ["predict_end", 0, 1]


def test_is_a_callback_and_is_seen_by_callback_list():
    cb = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    assert isinstance(cb, (Callback, LambdaCallback))
    cbs = CallbackList([cb])
    assert cbs.wants("on_epoch_end") and not cbs.wants("on_train_batch_end")
    assert "on_epoch_end" in repr(cb)


def test_instances_do_not_share_hooks():
    a = LambdaCallback(on_epoch_end=lambda epoch, logs: "a")
    b = LambdaCallback(on_epoch_end=lambda epoch, logs: "b")
    assert a.on_epoch_end(0, {}) == "a" and b.on_epoch_end(0, {}) == "b"
    assert LambdaCallback().on_epoch_end(0, {}) is None


def test_unknown_hook_name_suggests():
    with pytest.raises(KerasnpError, match="Did you mean `on_epoch_end`"):
        LambdaCallback(on_epoch_ends=lambda epoch, logs: None)


def test_hooks_must_be_callable():
    with pytest.raises(KerasnpError, match="on_epoch_end"):
        LambdaCallback(on_epoch_end=3)
