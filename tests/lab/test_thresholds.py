"""The thresholds: one documented constant each, overridable, and all explained in the docs."""

import json
import re
from pathlib import Path

import pytest

from kerasnp import KerasnpError
from kerasnp.lab import PRIORITY, Thresholds, thresholds
from kerasnp.lab.rules import RULES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lab-rules.md"


def test_every_threshold_is_a_documented_constant():
    described = {name: (value, doc) for name, value, doc in thresholds.describe()}
    fields = {f.upper() for f in Thresholds().to_dict()}
    assert set(described) == fields
    for name, (value, doc) in described.items():
        assert getattr(Thresholds(), name.lower()) == value
        assert len(doc) > 30, f"{name} needs a docstring saying where its default comes from"


def test_replace_and_to_dict():
    t = Thresholds().replace(min_epochs=8, noise_z=3.0)
    assert (t.min_epochs, t.noise_z) == (8, 3.0)
    assert Thresholds().min_epochs == thresholds.MIN_EPOCHS  # the default is untouched
    json.dumps(t.to_dict(), allow_nan=False)
    with pytest.raises(KerasnpError, match="Did you mean `min_epochs`"):
        Thresholds().replace(min_epoch=8)


def test_the_docs_explain_every_rule_threshold_and_verdict():
    text = DOCS.read_text(encoding="utf-8")
    names = [name for name, _ in RULES] + ["good_fit.settled", "overfitting.stopped_in_time"]
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"docs/lab-rules.md does not explain {missing}"
    constants = [name for name, _, _ in thresholds.describe()]
    missing = [c for c in constants if not re.search(rf"\b{c}\b", text)]
    assert not missing, f"docs/lab-rules.md does not mention {missing}"
    for verdict in PRIORITY:
        assert f"`{verdict}`" in text
