"""Drawing the graph the engine recorded: one frame per time step, steps wrapped into rows,
the cell-state belt c_{t-1} → ×f → + → c_t, and, after a backward pass made inside
``tg.keep_grads()``, the gradient that flowed along every edge.

A ``Drawing`` renders itself (svg, png, pdf, html, dot) with no external program, and
answers the calls graphviz users know: ``render``, ``pipe``, ``view``, ``save``, ``source``.
"""

import pathlib
import tempfile
import webbrowser

from ..serialization import atomic_file
from .graph import GraphIndex, step_of
from .layout import arrange
from .view import HIGHLIGHTS, GradientScale, Views

FORMATS = ("svg", "png", "pdf", "html", "dot", "gv")
DISPLAY_LIMIT = 4000  # boxes: past this, a notebook shows the collapsed drawing instead


class Drawing:
    """A laid-out picture of one or more graphs (``draw_graph``, ``draw_panels``).

    ``picture`` holds what is drawn and where (boxes, links with their gradient flows,
    frames), in pixels; ``width`` and ``height`` its size. In Jupyter it shows inline
    (static SVG); ``interactive()`` gives the explorable page.

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> x = tg.ones(3, 1, 2)
    >>> drawing = viz.draw_graph(tg.nn.RNN(2, 3)(x)[0])
    >>> drawing.svg()[:4], drawing.pipe(format="dot", encoding="utf-8")[:7], drawing.width > 0
    ('<svg', 'digraph', True)
    """

    format = "svg"  # what render() writes when no format is given
    filename = "graph.gv"
    directory = ""

    def __init__(self, picture, indexes, options, collapsed):
        self.picture, self.indexes, self.options, self.collapsed = picture, indexes, options, collapsed

    @property
    def width(self):
        return self.picture.width

    @property
    def height(self):
        return self.picture.height

    # -- output -------------------------------------------------------------------------
    def svg(self):
        from .svg import to_svg

        return to_svg(self.picture)

    def pipe(self, format=None, encoding=None, **_):
        """The picture as bytes (or text with ``encoding``), as ``graphviz.Digraph.pipe``."""
        data = render_bytes(self, format or self.format)
        return data.decode(encoding) if encoding else data

    @property
    def source(self):
        """The picture in DOT, every node pinned where the layout put it (``neato -n2``)."""
        from .dot import to_dot

        return to_dot(self.picture)

    def save(self, filename=None, directory=None):
        """Write the DOT source (as ``graphviz.Digraph.save``); returns its path."""
        path = pathlib.Path(directory or self.directory or ".") / (filename or self.filename)
        with atomic_file(path, "w", encoding="utf-8") as f:
            f.write(self.source)
        return str(path)

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, outfile=None, **_):
        """Write the picture (as ``graphviz.Digraph.render``): the DOT source to ``filename``
        and the picture to ``filename.<format>`` (or to ``outfile``, its format from its
        suffix). Formats: svg, png, pdf, html (the interactive page). Returns the path."""
        if outfile is not None:
            target = pathlib.Path(outfile)
            fmt = format or target.suffix.lstrip(".")
        else:
            fmt = format or self.format
            source = pathlib.Path(directory or self.directory or ".") / (filename or self.filename)
            if not cleanup:
                self.save(source.name, source.parent)
            target = source.with_name(f"{source.name}.{fmt}")
        render(self, target, fmt=fmt)
        if view:
            _open(target)
        return str(target)

    def view(self, filename=None, directory=None, cleanup=False, **_):
        """Render to a temporary folder (default) and open it (as ``graphviz.Digraph.view``)."""
        directory = directory or self.directory or tempfile.mkdtemp(prefix="tinygrad_rnn_")
        return self.render(filename, directory, view=True, cleanup=cleanup)

    def interactive(self):
        """The explorable page (pan, zoom, tooltips, steps that expand, paths to the loss);
        shows itself in Jupyter, ``.save(path)`` writes it."""
        from .page import Page

        return Page(self.indexes, self.options)

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        if len(self.picture.boxes) <= DISPLAY_LIMIT or self.collapsed:
            return {"image/svg+xml": self.svg()}
        small = _draw(self.indexes, dict(self.options, collapse=True), note=_too_big(len(self.picture.boxes)))
        return {"image/svg+xml": small.svg()}


def _too_big(count):
    return (
        f"Collapsed for display: the expanded drawing has {count:,} boxes. "
        "Its .render(...) writes all of it; .interactive() expands one step at a time."
    )


def _open(path):
    webbrowser.open(pathlib.Path(path).resolve().as_uri())


def render_bytes(drawing, fmt="svg"):
    """The drawing as bytes in ``fmt``: svg, png, pdf, html or dot.

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> drawing = viz.draw_graph(tg.nn.GRU(2, 3)(tg.ones(3, 1, 2))[0])
    >>> viz.render_bytes(drawing, "png")[:4]
    b'\\x89PNG'
    """
    if fmt not in FORMATS:
        raise ValueError(f"render: unknown format {fmt!r}; expected one of {FORMATS}")
    if not isinstance(drawing, Drawing):
        raise TypeError(f"render: expected a Drawing (from draw_graph or draw_panels), got {type(drawing).__name__}")
    if fmt == "svg":
        return drawing.svg().encode("utf-8")
    if fmt in ("png", "pdf"):
        from .raster import to_image

        return to_image(drawing.picture, fmt)
    if fmt == "html":
        return drawing.interactive().html().encode("utf-8")
    return drawing.source.encode("utf-8")


def render(drawing, path, fmt=None):
    """Write ``drawing`` to ``path``, in the format its suffix names (.svg, .png, .pdf, .html
    for the interactive page, .dot/.gv for the DOT source). Returns the path.

    >>> import tinygrad_rnn as tg
    >>> import pathlib, tempfile
    >>> from tinygrad_rnn import viz
    >>> drawing = viz.draw_graph(tg.nn.LSTM(2, 3)(tg.ones(3, 1, 2))[0])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = viz.render(drawing, pathlib.Path(folder) / "lstm.svg")
    ...     path.name, path.read_text()[:4]
    ('lstm.svg', '<svg')
    """
    path = pathlib.Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"render: cannot tell the format from {path.name!r}; use .svg, .png, .pdf, .html or .dot")
    data = render_bytes(drawing, fmt)
    with atomic_file(path) as f:
        f.write(data)
    return path


def draw_graph(*outputs, title=None, **options):
    """Draw the graph behind ``outputs`` (tensors); returns a ``Drawing``.

    Options (those of ``draw_panels``):

    - ``params``: a Module or a {name: tensor} dict (or a list of them), to label parameters.
    - ``collapse``: True draws one box per cell per time step, joined by the c edge (the
      belt) and the h edge; False draws every primitive; "auto" (default) collapses graphs
      of more than ``max_expanded_steps`` (8) time steps.
    - ``grads``: True colours and sizes every edge by the gradient that flowed along it (the
      backward pass must have run inside ``tg.keep_grads()``), with a legend; "auto"
      (default) does so when the flows are there.
    - ``highlight``: "forget", "write", "update" or "output" (the seed's four questions),
      or a tuple of tensor names: that part of the graph is drawn strong, the rest faded.
    - ``weights``: False leaves out the parameters and what is made from them alone.
    - ``width``: the page width in pixels (default 1200); time steps wrap into rows to fit.

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> lstm = tg.nn.LSTM(2, 3)
    >>> with tg.keep_grads():
    ...     out, (h_n, c_n) = lstm(tg.ones(4, 1, 2))
    ...     out[-1].sum().backward()
    >>> drawing = viz.draw_graph(out, params=lstm, title="LSTM, 4 steps", highlight="forget")
    >>> drawing.collapsed, viz.draw_graph(out, collapse=True).collapsed
    (False, True)
    """
    return draw_panels({title or "": outputs}, **options)


def draw_panels(
    panels,
    params=None,
    collapse="auto",
    grads="auto",
    highlight=None,
    weights=True,
    rankdir="LR",
    max_expanded_steps=8,
    width=1200,
    legend=True,
    titled=True,
):
    """Several graphs in one picture, one below the other ({title: outputs}), sharing one
    gradient scale so that their edges compare: ``draw_panels({"RNN": loss1, "LSTM": loss2})``.
    The options are those of ``draw_graph``.

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> losses = {}
    >>> for name, layer in {"RNN": tg.nn.RNN(2, 3), "LSTM": tg.nn.LSTM(2, 3)}.items():
    ...     with tg.keep_grads():
    ...         losses[name] = layer(tg.ones(12, 1, 2))[0][-1].sum()
    ...         losses[name].backward()
    >>> drawing = viz.draw_panels(losses)       # more than 8 steps: one box per cell and step
    >>> drawing.collapsed, list(drawing.indexes)
    (True, ['RNN', 'LSTM'])
    """
    if rankdir != "LR":
        raise ValueError(
            f"draw_graph: rankdir={rankdir!r} is not supported: time runs left to right and the steps wrap "
            "into rows (choose the page width with width=...)"
        )
    if isinstance(highlight, str) and highlight not in HIGHLIGHTS:
        raise ValueError(f"draw_graph: unknown highlight {highlight!r}; use one of {list(HIGHLIGHTS)} or tensor names")
    indexes = {title: GraphIndex(outputs, params) for title, outputs in panels.items()}
    options = {
        "collapse": collapse,
        "grads": grads,
        "highlight": highlight,
        "weights": weights,
        "max_expanded_steps": max_expanded_steps,
        "width": width,
        "legend": legend,
        "titled": titled,
    }
    return _draw(indexes, options)


def _steps(index):
    return {s for s in (step_of(op.scope) for op in index.ops.values()) if s is not None}


def _draw(indexes, options, note=None):
    """Lay out ``indexes`` ({title: GraphIndex}) with ``options``; returns a Drawing."""
    plans, collapsed_all = [], True
    for k, (title, index) in enumerate(indexes.items()):
        views = Views(index, panel=k, weights=options["weights"], highlight=options["highlight"])
        collapse = options["collapse"]
        steps = _steps(index)
        per_lane = max([sum(1 for s in steps if s[:-1] == lane) for lane in {s[:-1] for s in steps}], default=0)
        collapsed = bool(steps) and (collapse if collapse != "auto" else per_lane > options["max_expanded_steps"])
        collapsed_all &= collapsed
        name = title if options["titled"] else ""
        plans.append(views.collapsed(name, None) if collapsed else views.expanded(name, None))
    scale = None
    with_grads = options["grads"]
    if with_grads == "auto":
        with_grads = any(ix.has_flows for ix in indexes.values())
    if with_grads:
        scale = GradientScale([link.flow for plan in plans for link in plan.links])
    picture = arrange(plans, scale, limit=options["width"], legend=options["legend"], note=note)
    return Drawing(picture, indexes, options, collapsed_all)
