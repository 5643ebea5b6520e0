"""Every public function and class, and every public method of Tensor and Module, shows a runnable
example (``>>>``) in its docstring, and the suite runs it (``--doctest-modules`` on tinygrad_rnn/).

The public names are found, not listed: what a package's ``__init__`` imports from the package,
followed into the modules it imports by name (``nn``, ``nn.functional``, ``optim.lr_scheduler``,
``cuda``, ...), where every name a module defines without a leading underscore is public.
"""

import ast
import doctest
import importlib
import importlib.util
import inspect
import pathlib
import pydoc
import re
import types

import pytest

import tinygrad_rnn as tg

# The packages users import: tinygrad_rnn, and viz, which it does not import (drawing is optional).
ROOTS = ("tinygrad_rnn", "tinygrad_rnn.viz")
CLASSES = (tg.Tensor, tg.nn.Module)  # classes whose public methods each show an example


def _defined_names(module):
    """The names a module's source binds at its top level: imported from the package itself
    (a package's ``__init__``), or defined (any other module)."""
    tree = ast.parse(pathlib.Path(module.__file__).read_text())
    if module.__file__.endswith("__init__.py"):
        imports = [node for node in tree.body if isinstance(node, ast.ImportFrom) and node.level]
        return [alias.asname or alias.name for node in imports for alias in node.names]
    names = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assigned = [node.targets for node in tree.body if isinstance(node, ast.Assign)]
    return names + [target.id for targets in assigned for target in targets if isinstance(target, ast.Name)]


def _public_names(module_name, seen):
    """(dotted name, object) for the public functions and classes of a module and of the
    modules it re-exports."""
    if module_name in seen:
        return []
    seen.add(module_name)
    module = importlib.import_module(module_name)
    found = []
    for name in _defined_names(module):
        value = getattr(module, name)
        if isinstance(value, types.ModuleType):
            found += _public_names(value.__name__, seen)
        elif not name.startswith("_") and callable(value):
            found.append((f"{module_name}.{name}", value))
    return found


def _methods(cls):
    """(dotted name, function) for the public methods and properties a class defines."""
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, property):
            yield f"{cls.__module__}.{cls.__qualname__}.{name}", value.fget
        elif callable(value):
            yield f"{cls.__module__}.{cls.__qualname__}.{name}", value


def _everything():
    seen = set()
    items = [item for root in ROOTS for item in _public_names(root, seen)]
    return items + [item for cls in CLASSES for item in _methods(cls)]


PUBLIC = _everything()


def test_every_public_name_shows_an_example():
    missing = [name for name, obj in PUBLIC if ">>>" not in (obj.__doc__ or "")]
    assert not missing, f"{len(missing)} public names lack a >>> example in their docstring: {missing}"


def test_the_walk_finds_the_public_names():
    """A guard on the walk itself: it reaches every package and re-exported module."""
    names = {name for name, _ in PUBLIC}
    expected = [
        "tinygrad_rnn.Tensor",
        "tinygrad_rnn.no_grad",
        "tinygrad_rnn.nn.LSTM",
        "tinygrad_rnn.nn.functional.cross_entropy",
        "tinygrad_rnn.nn.init.orthogonal_",
        "tinygrad_rnn.nn.utils.clip_grad_norm_",
        "tinygrad_rnn.optim.Adam",
        "tinygrad_rnn.optim.lr_scheduler.StepLR",
        "tinygrad_rnn.cuda.is_available",
        "tinygrad_rnn.viz.draw_graph",
        "tinygrad_rnn.tensor.Tensor.backward",
        "tinygrad_rnn.tensor.Tensor.shape",
        "tinygrad_rnn.nn.module.Module.state_dict",
    ]
    assert not [name for name in expected if name not in names]
    assert len(PUBLIC) > 250


def test_every_example_is_one_the_suite_runs():
    """doctest finds each example in the module that defines its object (an example it cannot
    reach there, such as one on an object made elsewhere, would never run)."""
    finder, found = doctest.DocTestFinder(), {}
    for _, obj in PUBLIC:
        name = obj.__module__
        if name not in found:
            found[name] = {test.docstring for test in finder.find(importlib.import_module(name), name)}
    unreached = [name for name, obj in PUBLIC if obj.__doc__ not in found[obj.__module__]]
    assert not unreached, f"examples doctest does not find: {unreached}"


def test_the_suite_runs_the_examples(pytestconfig):
    """``python -m pytest``, as the README says, runs the docstrings' examples."""
    assert pytestconfig.getoption("doctestmodules")
    assert "tinygrad_rnn" in pytestconfig.getini("testpaths")


def test_no_docstring_keeps_a_slot_of_shared_text():
    """Every ``{name}`` line of a docstring (nn/_docstrings.py) is filled in at import."""
    slot = re.compile(r"^\s*\{\w+\}\s*$", re.M)
    assert not [name for name, obj in PUBLIC if slot.search(obj.__doc__ or "")]


LAYERS = [tg.nn.RNN, tg.nn.LSTM, tg.nn.GRU, tg.nn.PeepholeLSTM, tg.nn.CIFGLSTM, tg.nn.GreffLSTM]
THROUGH_TO_THE_CELL = {  # keyword arguments a layer hands to its cells (**cell_options)
    tg.nn.PeepholeLSTM: ["forget_bias"],
    tg.nn.CIFGLSTM: ["forget_bias"],
    tg.nn.GreffLSTM: ["variant", "forget_bias"],
}


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.__name__)
def test_help_explains_every_argument_of_a_sequence_layer(layer):
    """``help(nn.LSTM)`` explains each argument of the layer, ``forget_bias`` included, and
    ``forward``, which every layer inherits, has its own docstring."""
    text = pydoc.render_doc(layer, renderer=pydoc.plaintext)
    arguments = [a for a in inspect.signature(layer).parameters if a != "cell_options"]
    if layer.__init__ is tg.nn.RecurrentLayer.__init__:
        arguments.remove("proj_size")  # inherited, but only LSTM's cells take it
    arguments += THROUGH_TO_THE_CELL.get(layer, [])
    assert not [a for a in arguments if f"{a}:" not in text], f"help({layer.__name__}) leaves out arguments"
    assert "lengths" in inspect.getdoc(layer.forward) and ">>>" in inspect.getdoc(layer.forward)


def test_the_reference_shows_the_filled_docstrings():
    """The API reference reads the source (griffe); its FilledDocstrings extension fills the shared text in."""
    griffe = pytest.importorskip("griffe", reason="the docs extra is not installed (griffe)")
    root = pathlib.Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("griffe_extensions", root / "docs" / "griffe_extensions.py")
    extensions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extensions)
    loaded = griffe.load(
        "tinygrad_rnn", extensions=griffe.load_extensions(extensions.FilledDocstrings()), search_paths=[str(root)]
    )
    for module, name in [("nn.rnn", "LSTM"), ("nn.cells", "GRUCell"), ("nn.layers", "Linear"), ("nn.loss", "NLLLoss")]:
        live = getattr(importlib.import_module(f"tinygrad_rnn.{module}"), name)
        assert loaded[f"{module}.{name}"].docstring.value == inspect.cleandoc(live.__doc__)
