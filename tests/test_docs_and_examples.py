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


NEEDS = {"sweeps.md": ("distributed", "scipy")}  # pages whose code needs an extra: pip install -e ".[sweep]"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_in_page_run(page):
    """Blocks fenced as ```python run in order, in one namespace (```python illustration do not)."""
    for module in NEEDS.get(page.name, ()):
        pytest.importorskip(module, reason=f"{page.name} needs the sweep extra: pip install -e '.[sweep]'")
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


def _width(path):
    """The natural width in pixels of an SVG or PNG file."""
    data = path.read_bytes()
    if path.suffix == ".png":
        return int.from_bytes(data[16:20], "big")
    return float(re.search(rb'<svg[^>]*\swidth="([0-9.]+)', data).group(1))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_embedded_pictures_fit_a_page(page):
    """Every picture a page embeds is at most 1,600 px wide at its natural size."""
    for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text()):
        picture = (page.parent / target).resolve()
        assert picture.exists(), target
        assert _width(picture) <= 1600, (target, _width(picture))
