"""Griffe extensions for the API reference (mkdocs.yml loads them into mkdocstrings).

- ``PackageExports``: what a package's ``__init__`` imports from the package's own modules is
  that package's public API (tinygrad_rnn has no ``__all__`` lists), so ``::: tinygrad_rnn.nn``
  documents ``nn.LSTM`` where users find it, not in ``nn.rnn``.
- ``FilledDocstrings``: a class docstring with a line ``{name}`` has that line filled with text
  several classes share when its module is imported (``tinygrad_rnn/nn/_docstrings.py``): the
  reference shows the docstring ``help()`` shows, read from the imported class.
- ``DoctestBlocks``: the docstrings' doctest examples (``>>>`` lines and their output, up to
  a blank line) become code blocks, so that ``x[0]["lr"]`` is shown as code, not read as a
  Markdown link.
"""

import importlib
import inspect
import re

import griffe

SLOT = re.compile(r"^\s*\{\w+\}\s*$", re.M)  # as tinygrad_rnn/nn/_docstrings.py fills them


class PackageExports(griffe.Extension):
    def on_package(self, *, pkg, **kwargs):
        self._mark(pkg, pkg.path + ".")

    def _mark(self, module, inside):
        for name, member in module.members.items():
            if member.is_alias:
                if module.is_init_module and not name.startswith("_") and member.target_path.startswith(inside):
                    member.public = True
            elif member.is_module:
                self._mark(member, inside)


class FilledDocstrings(griffe.Extension):
    def on_class_instance(self, *, cls, **kwargs):
        if cls.docstring is not None and SLOT.search(cls.docstring.value):
            live = getattr(importlib.import_module(cls.module.path), cls.name)
            cls.docstring.value = inspect.cleandoc(live.__doc__)


def fence_doctests(text):
    """``text`` with each doctest example (``>>>`` up to a blank line) inside a ```pycon fence."""
    out, fence = [], None  # fence: the indentation of the open block
    for line in text.splitlines():
        stripped = line.lstrip()
        if fence is None and stripped.startswith(">>>"):
            fence = line[: len(line) - len(stripped)]
            if out and out[-1].strip():
                out.append("")  # Markdown wants a blank line before a fence
            out.append(fence + "```pycon")
        elif fence is not None and not stripped:
            out.append(fence + "```")
            fence = None
        out.append(line)
    if fence is not None:
        out.append(fence + "```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    def on_object(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
