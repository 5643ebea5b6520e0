"""Rendering a graphviz.Digraph to svg or png (pdf where the renderer has it).

The system ``dot`` is used when it is on PATH; otherwise the ``graphviz-pure`` program,
a dependency of this package, so that a plain ``pip install`` renders. Programs are run
with an argument list, never through a shell.
"""

import os
import pathlib
import shutil
import subprocess
import sys

FORMATS = ("svg", "png", "pdf")


def renderers():
    """The rendering programs found, best first: [(name, path), ...]."""
    found = [(name, _locate(name)) for name in ("dot", "graphviz-pure")]
    return [(name, path) for name, path in found if path]


def _locate(name):
    """The program on PATH, or in this Python environment's scripts folder (found even when
    the environment is not activated)."""
    candidate = pathlib.Path(sys.executable).parent / name
    local = str(candidate) if candidate.exists() and os.access(candidate, os.X_OK) else None
    return shutil.which(name) or local


def render_bytes(graph, fmt="svg", timeout=300):
    """The rendered picture as bytes, from the first renderer that can make ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"render: unknown format {fmt!r}; expected one of {FORMATS}")
    source = graph.source if hasattr(graph, "source") else str(graph)
    errors = []
    for name, path in renderers():
        if fmt == "pdf" and name == "graphviz-pure":
            errors.append("graphviz-pure cannot write pdf")
            continue
        try:
            run = subprocess.run([path, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"render: {name} took more than {timeout} s; the graph is too large to lay out in full "
                "(draw it with collapse=True, or fewer steps)"
            ) from None
        if run.returncode == 0 and run.stdout:
            return run.stdout
        errors.append(f"{name} failed: {run.stderr.decode('utf-8', 'replace').strip()[:500]}")
    if not errors:
        errors.append("neither the system `dot` nor `graphviz-pure` was found")
    raise RuntimeError(
        f"render: cannot make a {fmt} picture ({'; '.join(errors)}). Install Graphviz "
        "(for example `apt-get install graphviz`) or `pip install graphviz-pure`."
    )


def render(graph, path, timeout=300):
    """Write ``graph`` to ``path``, in the format its suffix names (.svg, .png, .pdf, .dot/.gv)."""
    path = pathlib.Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt in ("dot", "gv"):
        data = graph.source.encode("utf-8")
    elif fmt in FORMATS:
        data = render_bytes(graph, fmt, timeout)
    else:
        raise ValueError(f"render: cannot tell the format from {path.name!r}; use .svg, .png, .pdf or .dot")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
