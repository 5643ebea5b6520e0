"""The documentation site's API reference covers every public package (mkdocs.yml, docs/reference/), and its
docstring examples are shown as code."""

import ast
import importlib.util
import pathlib
import pkgutil

import pytest

import tinygrad_rnn

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
# Documented elsewhere: ops' functions are tinygrad_rnn's (tg.add, tg.cat), on the top-level page.
ELSEWHERE = {"ops"}


def _public_modules():
    """The subpackages of tinygrad_rnn and the modules its __init__ imports by name (nn, optim, cuda)."""
    packages = {name for _, name, is_package in pkgutil.iter_modules(tinygrad_rnn.__path__) if is_package}
    tree = ast.parse(pathlib.Path(tinygrad_rnn.__file__).read_text())
    relative = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module is None]
    imported = {alias.name for node in relative for alias in node.names}
    return (packages | imported) - ELSEWHERE


def test_every_public_package_has_a_reference_page():
    """Each public module is rendered by a ``::: tinygrad_rnn.<name>`` line of a page in the nav."""
    pages = {page.name: page.read_text() for page in REFERENCE.glob("*.md")}
    nav = (ROOT / "mkdocs.yml").read_text()
    for name in sorted(_public_modules()):
        found = [page for page, text in pages.items() if f"::: tinygrad_rnn.{name}\n" in text]
        assert found, f"no page of docs/reference/ renders tinygrad_rnn.{name} (add ::: tinygrad_rnn.{name})"
        assert all(f"reference/{page}" in nav for page in found), f"{found} not in mkdocs.yml's nav"


def test_the_top_level_page_documents_the_package():
    assert "::: tinygrad_rnn\n" in (REFERENCE / "tinygrad_rnn.md").read_text()


def test_doctest_examples_become_code_blocks():
    pytest.importorskip("griffe", reason="the docs extra is not installed (griffe)")
    spec = importlib.util.spec_from_file_location("griffe_extensions", ROOT / "docs" / "griffe_extensions.py")
    extensions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extensions)
    text = 'The rate:\n    >>> opt.param_groups[0]["lr"]\n    0.1\n\nThen more.\n>>> 1 + 1\n2'
    assert extensions.fence_doctests(text) == (
        'The rate:\n\n    ```pycon\n    >>> opt.param_groups[0]["lr"]\n    0.1\n    ```\n\nThen more.\n\n'
        "```pycon\n>>> 1 + 1\n2\n```"
    )
