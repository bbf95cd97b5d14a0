"""The README's examples run as written, so they never drift from the code.

Every ```python block runs (in order, sharing one namespace) in a fresh folder; every line of a
```console block that starts with ``$ clientele`` runs as a command there and must exit 0.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
CLIENTELE = Path(sys.executable).with_name("clientele")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert _blocks("python"), "README lost its Python example"
    assert _blocks("console"), "README lost its CLI example"


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    for block in _blocks("python"):
        exec(compile(block, str(README), "exec"), namespace)


@pytest.mark.parametrize("block", _blocks("console"))
def test_console_examples_run(block, tmp_path):
    env = {**os.environ, "CLIENTELE_STORE": str(tmp_path / "readme.duckdb")}
    for line in block.splitlines():
        if not line.startswith("$ clientele "):
            continue
        argv = [str(CLIENTELE), *shlex.split(line[len("$ clientele "):])]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}"
