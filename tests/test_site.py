"""The documentation site's API reference covers every public package (mkdocs.yml, docs/reference/)."""

import ast
import pathlib
import pkgutil

import tinygrad_rnn

ROOT = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
# Documented elsewhere: ops' functions are tinygrad_rnn's (tg.add, tg.cat), on the top-level page.
ELSEWHERE = {"ops"}


def _public_modules():
    """The subpackages of tinygrad_rnn and the modules its __init__ imports by name (nn, optim)."""
    packages = {name for _, name, is_package in pkgutil.iter_modules(tinygrad_rnn.__path__) if is_package}
    tree = ast.parse(pathlib.Path(tinygrad_rnn.__file__).read_text())
    relative = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module is None]
    imported = {alias.name for node in relative for alias in node.names}
    return (packages | imported) - ELSEWHERE


def test_every_public_package_has_a_reference_page():
    for name in sorted(_public_modules()):
        page = REFERENCE / f"{name}.md"
        assert page.exists(), f"docs/reference/{name}.md is missing (and its line in mkdocs.yml's nav)"
        assert f"::: tinygrad_rnn.{name}\n" in page.read_text(), page
        assert f"reference/{name}.md" in (ROOT / "mkdocs.yml").read_text(), f"{name} is not in the nav"


def test_the_top_level_page_documents_the_package():
    assert "::: tinygrad_rnn\n" in (REFERENCE / "tinygrad_rnn.md").read_text()
