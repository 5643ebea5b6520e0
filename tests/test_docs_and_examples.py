"""The code in the README and docs runs, and so does every example."""

import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLES = {  # each example with arguments that keep it short
    "autograd_basics.py": [],
    "gradient_flow.py": ["--steps", "20"],
    "lstm_by_hand.py": [],
    "drawing_graphs.py": ["--out", "{tmp}"],
    "adding_problem.py": ["--length", "10", "--steps", "100"],
    "char_lm.py": ["--steps", "20", "--hidden", "32", "--chunk", "16"],
    "gpu.py": [],
}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_in_page_run(page):
    """Blocks fenced as ```python run in order, in one namespace (```python illustration do not)."""
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)


def test_every_example_is_listed():
    assert {p.name for p in (ROOT / "examples").glob("*.py")} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(name, tmp_path):
    args = [a.format(tmp=tmp_path) for a in EXAMPLES[name]]
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()
