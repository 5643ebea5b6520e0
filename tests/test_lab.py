"""The lab layer: it sits above the library, and each fact it reads is stated once."""

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.lab import experiments, models, tasks

PACKAGE = pathlib.Path(tg.__file__).parent


def _imports(path):
    """The modules a source file imports, as absolute dotted names (relative ones resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            prefix = ".".join(base + ([node.module] if node.module else []))
            names += [prefix] + [f"{prefix}.{a.name}" for a in node.names]
    return names


def test_no_library_module_imports_the_lab():
    library = [p for p in PACKAGE.rglob("*.py") if "lab" not in p.relative_to(PACKAGE).parts]
    assert len(library) > 10
    for path in library:
        offending = [n for n in _imports(path) if n == "tinygrad_rnn.lab" or n.startswith("tinygrad_rnn.lab.")]
        assert not offending, f"{path.relative_to(PACKAGE.parent)} imports {offending}"


def test_importing_the_library_loads_no_lab_module():
    code = "import sys, tinygrad_rnn, tinygrad_rnn.viz, tinygrad_rnn.nn, tinygrad_rnn.optim; "
    code += "print(sorted(m for m in sys.modules if m.startswith('tinygrad_rnn.lab')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("cell", list(models.CELLS))
def test_cell_spec_says_which_cells_have_a_forget_gate(cell):
    layer = models.make_layer(cell, 3, 4)
    assert models.CELLS[cell].forget_gate == ("f" in layer.cells[0].gate_names)
    with_bias = models.make_layer(cell, 3, 4, forget_bias=2.5)
    if models.CELLS[cell].forget_gate:
        assert np.all(with_bias.cells[0].bias_ih.numpy()[with_bias.cells[0].gate_slice("f")] == 2.5)
    else:  # ignored by cells without a forget gate
        assert type(with_bias) is type(layer)


def test_unknown_cell_names_the_choices():
    with pytest.raises(ValueError, match="unknown cell 'lstn'.*greff-vanilla"):
        models.make_layer("lstn", 3, 4)


SMALL = {"adding": {"length": 8}, "adding-1997": {"length": 30}, "temporal-order": {"length": 20}}


@pytest.mark.parametrize("name", list(tasks.TASKS))
def test_goals_name_exactly_the_metrics_a_task_reports(name):
    task = tasks.make_task(name, **SMALL.get(name, {}))
    model = models.build("lstm", task, 4, seed=0)
    batch = task.test_set(3)
    with tg.no_grad():
        reported = task.metrics(model(batch.x, batch.lengths), batch)
    assert set(reported) == set(task.goals)
    assert not task.higher_is_better("loss")
    assert all(g in ("min", "max") for g in task.goals.values())
    with pytest.raises(KeyError, match="reports no metric 'nope'"):
        task.higher_is_better("nope")


def test_runs_are_typed_records_read_by_the_tables():
    runs = experiments.run(
        ["gru", "greff-nfg"],
        lambda seed: tasks.TemporalOrder(12, seed=seed),
        [0],
        ("accuracy", 0.3),
        4,
        steps=4,
        eval_every=2,
        test_size=8,
        progress=False,
        after=lambda model, seed: {"parameters": sum(p.numel() for p in model.parameters())},
    )
    assert [(r.cell, r.seed, r.task) for r in runs] == [
        ("gru", 0, "temporal-order"),
        ("greff-nfg", 0, "temporal-order"),
    ]
    assert (
        runs[0].higher_is_better and runs[0].target == "accuracy ≥ 0.3" and set(runs[0].final) == {"loss", "accuracy"}
    )
    table = experiments.table(runs)
    assert (
        table.splitlines()[0]
        == "| cell | seed | final test accuracy | steps to accuracy ≥ 0.3 | seconds | parameters |"
    )
    assert "| NFG | 0 |" in table and [line[:8] for line in experiments.summary(runs).splitlines()[2:]] == [
        "| GRU | ",
        "| NFG | ",
    ]
