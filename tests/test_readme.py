"""The README's example runs as written and learns MNIST."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section_code(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    body = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
    assert blocks, f"no python block under '## {heading}'"
    return "\n".join(blocks)


def test_readme_example_runs(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    code = section_code("Example").replace("epochs=5", "epochs=1")
    namespace: dict = {}
    exec(compile(code, "README.md#Example", "exec"), namespace)
    assert namespace["accuracy"] > 0.9
    assert namespace["probabilities"].shape == (5, 10)
    assert "val_accuracy" in namespace["history"].history
    assert "━" in capsys.readouterr().out


def test_readme_data_section_runs():
    namespace: dict = {}
    exec(compile(section_code("Data and holdout validation"), "README.md#Data", "exec"),
         namespace)
    assert len(namespace["x_tr"]) == 48000 and len(namespace["x_val"]) == 12000
