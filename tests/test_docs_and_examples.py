"""The code in the README and docs runs, and so does every example; a benchmark's yardsticks compute our gradients."""

import os
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


# Blocks that still lean on an earlier block of their page, with the reason; strict, so that
# each entry fails the suite once its block runs alone and must then be removed.
LEANING = {}  # (page, block number): why that block cannot run alone (none today)
NEEDS = {"sweeps.md": ("distributed", "scipy")}  # pages whose code needs an extra: pip install -e ".[sweep]"


def _blocks():
    """One case per block fenced as ```python (```python illustration is prose), named page-number."""
    for page in PAGES:
        found = re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)
        for number, code in enumerate(found, 1):
            reason = LEANING.get((page.name, number))
            marks = [pytest.mark.xfail(reason=reason, raises=NameError, strict=True)] if reason else []
            yield pytest.param(page, code, id=f"{page.name}-{number}", marks=marks)


@pytest.mark.parametrize(("page", "code"), list(_blocks()))
def test_python_block_runs_on_its_own(page, code, tmp_path, monkeypatch):
    """Every block runs alone, in a fresh namespace, as a reader who copies just that block would."""
    for module in NEEDS.get(page.name, ()):
        pytest.importorskip(module, reason=f"{page.name} needs the sweep extra: pip install -e '.[sweep]'")
    monkeypatch.chdir(tmp_path)  # whatever a block writes lands in a temporary folder
    exec(compile(code, str(page), "exec"), {"__name__": "__main__"})


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


def test_overhead_benchmark_yardsticks_give_our_gradients():
    """bench_overhead.py checks that its bare engine and its NumPy-alone step compute the
    LSTM's gradients as ours does before it times them: a yardstick that computed less
    would flatter itself."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_overhead.py"), "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "bare engine" in out.stdout and "NumPy alone" in out.stdout


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


def test_decay_table_is_what_the_script_prints(tmp_path):
    """docs/gradient-flow.md's table of decay factors is the one make_pictures.py prints today
    (on the CPU, as the page says: another device draws other random weights for the seed)."""
    printed = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_pictures.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "TINYGRAD_RNN_DEVICE": "cpu"},
    ).stdout
    rows = re.findall(r"^  \| (.+?) \| ([\d.]+) \| ([\d.]+|-) \| (\S+) \|$", printed, flags=re.M)
    assert len(rows) == 7, printed
    page = (ROOT / "docs" / "gradient-flow.md").read_text()
    for label, h, c, h0 in rows:
        c = "–" if c == "-" else f"×{c}"
        assert f"| {label} | ×{h} | {c} | {h0} |" in page, (label, h, c, h0)
