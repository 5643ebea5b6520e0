"""The tutorials in notebooks/ run cell by cell in a Jupyter kernel, and each .ipynb is the
pair of its .py (jupytext's percent format, the text we edit and review).

Each notebook runs on every device of the suite's ``device`` fixture: the kernel is started
with ``TINYGRAD_RNN_DEVICE`` set to that device, and the notebooks make their tensors on the
default device. The "cuda" run happens where CuPy sees a GPU, and in CI on the strict CuPy
stand-in (``PYTHONPATH=tests/standin``, which the kernel inherits, its folders made absolute).

Needs the notebooks extra (``pip install -e ".[notebooks]"``); skipped, saying so, without it.
"""

import os
import pathlib

import pytest

nbclient = pytest.importorskip("nbclient", reason="the notebooks extra is not installed (nbclient)")
jupytext = pytest.importorskip("jupytext", reason="the notebooks extra is not installed (jupytext)")
pytest.importorskip("ipykernel", reason="the notebooks extra is not installed (ipykernel)")
import nbformat  # noqa: E402  (comes with nbclient)

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.py"))


def test_the_three_tutorials_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["lstm_from_primitives", "moving_to_a_gpu", "seeing_gradient_flow"]


@pytest.mark.parametrize("text", NOTEBOOKS, ids=lambda p: p.stem)
def test_ipynb_is_the_pair_of_its_text(text):
    """Same cells, same sources, no outputs kept (run ``jupytext --sync notebooks/*.py`` after an edit)."""
    paired = nbformat.read(text.with_suffix(".ipynb"), as_version=4)
    expected = jupytext.read(text)
    assert [(c.cell_type, c.source) for c in paired.cells] == [(c.cell_type, c.source) for c in expected.cells]
    assert not any(c.get("outputs") for c in paired.cells), "clear the outputs before committing"
    assert paired.metadata.kernelspec.name == "python3"


def _absolute(env, name):
    """A search path from ``env`` with its folders made absolute: the kernel starts in another folder."""
    return os.pathsep.join(os.path.abspath(p) for p in env.get(name, "").split(os.pathsep) if p)


@pytest.mark.parametrize("text", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(text, device, tmp_path):
    """Every cell runs without an error (a failing cell fails the test, naming the cell)."""
    notebook = nbformat.read(text.with_suffix(".ipynb"), as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env={**os.environ, "TINYGRAD_RNN_DEVICE": device, "PYTHONPATH": _absolute(os.environ, "PYTHONPATH")})
    printed = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    assert f"{device}" in printed  # each notebook says where it ran
