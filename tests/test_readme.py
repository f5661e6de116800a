"""The README's Python snippets run as written, in a fresh interpreter and an empty folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from child_processes import run_python

ROOT = Path(__file__).resolve().parents[1]


def python_snippets(markdown: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text."""
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)


SNIPPETS = python_snippets((ROOT / "README.md").read_text())


def test_the_readme_has_snippets():
    assert SNIPPETS and all("import superad_geo" in s for s in SNIPPETS)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs_as_written(snippet, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(snippet)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = run_python([str(script)], cwd=tmp_path, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in done.stderr, done.stderr[-3000:]
