"""Docstring text several classes share, written once (the arguments, shapes and parameters of
the recurrent cells and layers): a docstring line holding only ``{name}`` is replaced, when the
module is imported, by the text given for ``name``, indented as that line. ``help()``, doctest
and the API reference (docs/griffe_extensions.py) all read the filled docstring."""

import re
import textwrap

_SLOT = re.compile(r"^([ \t]*)\{(\w+)\}[ \t]*$", re.M)

# The arguments that place a module's parameters, as every module with parameters takes them.
PLACEMENT = """\
device: where the parameters live, "cpu" or "cuda". Default: the default device.
dtype: the parameters' dtype. Default: float32."""


def sections(arguments, keywords, *more):
    """An "Args:" and a "Keyword Args:" section holding ``arguments`` and ``keywords``, then ``more``.

    >>> print(sections("n: how many.", "k: how few.", "Shape: any."))
    Args:
        n: how many.
    <BLANKLINE>
    Keyword Args:
        k: how few.
    <BLANKLINE>
    Shape: any.
    """
    args = [f"Args:\n{textwrap.indent(arguments, '    ')}", f"Keyword Args:\n{textwrap.indent(keywords, '    ')}"]
    return "\n\n".join([*args, *more])


def shared_docstring(**texts):
    """A class decorator: each ``{name}`` line of the class's docstring becomes ``texts[name]``.

    >>> @shared_docstring(sizes="n: how many.\\nk: how few.")
    ... class Example:
    ...     '''Args:
    ...         {sizes}
    ...     '''
    >>> print(Example.__doc__)
    Args:
            n: how many.
            k: how few.
    <BLANKLINE>
    """

    def indented(match):
        indent, name = match.groups()
        return "\n".join(indent + line if line else "" for line in texts[name].splitlines())

    def fill(cls):
        cls.__doc__ = _SLOT.sub(indented, cls.__doc__)
        return cls

    return fill
