"""The interactive page: one self-contained HTML file (SVG inline, its own small script,
nothing fetched), readable offline from file://.

It opens on the collapsed view (one box per cell per step); a click on a step opens its
primitives (a "lens", made here and kept gzipped in the page until first opened); a click
on a box lights the paths its gradient takes to the loss; hovering shows op, shapes, dtype,
scope, the gradient along an edge and the tensor's total, and the bytes a node keeps for
backward. Below the graph, a strip of ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ per step, linked to it.
"""

import base64
import gzip
import html
import json
import math
import pathlib

from ..serialization import atomic_file
from .graph import step_number
from .layout import arrange
from .svg import to_svg
from .view import BELT, H_PATH, NONE, GradientScale, Views, number, subscript

HERE = pathlib.Path(__file__).parent


class Page:
    """The interactive page of a drawing: ``html()`` the text, ``save(path)`` writes it; in
    Jupyter it shows itself (in an iframe, so its script runs apart from the notebook's)."""

    def __init__(self, indexes, options):
        self.indexes, self.options = indexes, options

    def html(self):
        return page_html(self.indexes, self.options)

    def save(self, path):
        path = pathlib.Path(path)
        with atomic_file(path, "w", encoding="utf-8") as f:
            f.write(self.html())
        return path

    def _repr_html_(self):
        return (
            f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
            'style="width:100%;height:680px;border:1px solid #ddd" sandbox="allow-scripts"></iframe>'
        )


def page_html(indexes, options, title="tinygrad_rnn graph"):
    """The page for ``indexes`` ({panel title: GraphIndex}) drawn with ``options``."""
    views = [
        Views(index, panel=k, weights=options["weights"], highlight=options["highlight"])
        for k, index in enumerate(indexes.values())
    ]
    overview = [v.collapsed(t, None) if _has_steps(v) else v.expanded(t, None) for v, t in zip(views, indexes)]
    lenses = {}
    for v, plan in zip(views, overview):
        for step in plan.steps:
            lens = v.expanded(f"step {step_number(step)} · {'/'.join(step[:-1])}", None, only=step)
            lenses[v.cell_key(step)] = lens
    with_grads = any(ix.has_flows for ix in indexes.values()) if options["grads"] == "auto" else options["grads"]
    flows = [link.flow for plan in [*overview, *lenses.values()] for link in plan.links]
    scale = GradientScale(flows) if with_grads else None
    picture = arrange(overview, scale, limit=options["width"], legend=False)
    data = {}
    for key, plan in lenses.items():
        placed = arrange([plan], scale, limit=100000, legend=False)
        names = " ".join(sorted({b.name.lower() for b in placed.boxes}))
        data[key] = {"svg": to_svg(placed, interactive=True), "names": names}
    parts = {
        "title": html.escape(title),
        "css": (HERE / "page.css").read_text(encoding="utf-8"),
        "js": (HERE / "page.js").read_text(encoding="utf-8"),
        "legend": _legend(scale),
        "graph": to_svg(picture, interactive=True, ident="view"),
        "strip": _strip(views, overview),
        "lenses": base64.b64encode(gzip.compress(json.dumps(data).encode("utf-8"), 6)).decode("ascii"),
    }
    return TEMPLATE.format(**parts)


def _has_steps(views):
    return any(s is not None for s in views.step.values())


def _legend(scale):
    items = []
    if scale is not None:
        items.append("<span>gradient along each edge:</span>")
        for e, color, width in scale.ticks():
            swatch = f'<span class="sw" style="border-top:{max(1.0, width):.1f}px solid {color}"></span>'
            items.append(f"{swatch}<small>1e{e}</small>")
        items.append(f'<span class="sw" style="border-top:1px dashed {NONE}"></span><small>none</small>')
    items.append(
        f'<span class="sw belt" style="border-top:4px solid {BELT}"></span><small>cell-state belt</small>'
        f'<span class="sw" style="border-top:2px solid {H_PATH}"></span><small>h path</small>'
    )
    return "".join(items)


STRIP_H, STRIP_W = 86.0, 1000.0


def _strip(views, plans):
    """An SVG of ‖∂L/∂h_t‖ (blue) and ‖∂L/∂c_t‖ (orange) per step, one row per lane, on a log
    scale shared by all rows; each step's bars carry the key of its box in the graph."""
    rows = []
    for v, plan in zip(views, plans):
        lanes = {}
        for step in sorted(plan.steps, key=step_number):
            lanes.setdefault(step[:-1], []).append(step)
        norms = {
            (v.step[value.maker], value.name): value.grad
            for value in v.ix.values.values()
            if value.maker is not None and value.name in ("h", "c") and v.step[value.maker] in plan.steps
        }
        for lane, steps in lanes.items():
            rows.append((" · ".join(filter(None, (plan.title, "/".join(lane)))), v, steps, norms))
    values = [n for *_, norms in rows for n in norms.values() if n and n > 0]
    if not values:
        return '<p class="none">no per-step gradients recorded (run backward() inside tg.keep_grads())</p>'
    hi = math.log10(max(values))
    lo = min(math.log10(min(values)), hi - 1)
    height = STRIP_H * len(rows)
    box = f'viewBox="0 0 {STRIP_W} {height}" preserveAspectRatio="none" width="100%" height="{height}"'
    out = [f'<svg id="stripsvg" {box}>']
    for r, (label, v, steps, norms) in enumerate(rows):
        top = r * STRIP_H
        scale = f"log scale, 1e{math.floor(lo)} to 1e{math.ceil(hi)}"
        out.append(
            f'<text x="4" y="{top + 11}" class="lbl">{html.escape(label)}: ‖∂L/∂h_t‖ (blue), '
            f"‖∂L/∂c_t‖ (orange), {scale}</text>"
        )
        width = (STRIP_W - 8) / len(steps)
        for n, step in enumerate(steps):
            out.append(_strip_step(v, step, norms, 4 + n * width, top, width, lo, hi))
    out.append("</svg>")
    return "".join(out)


def _strip_step(v, step, norms, x, top, width, lo, hi):
    """One step's column of the strip: its h and c bars, and a hit area with a tooltip."""
    t = step_number(step)
    tip, bars = [f"step {t} ({'/'.join(step)})"], []
    for k, (name, color) in enumerate((("h", H_PATH), ("c", BELT))):
        if (step, name) not in norms:
            continue
        g = norms[step, name]
        tip.append(f"‖∂L/∂{name}{subscript(t)}‖ = {number(g)}")
        h = 0.0 if not g or g <= 0 else max(0.02, (math.log10(g) - lo) / (hi - lo)) * (STRIP_H - 22)
        bars.append(
            f'<rect x="{x + k * width / 2:.2f}" y="{top + STRIP_H - 4 - h:.2f}" width="{max(1.0, width / 2 - 0.5):.2f}"'
            f' height="{h:.2f}" fill="{color}"/>'
        )
    hit = f'<rect x="{x:.2f}" y="{top + 14}" width="{width:.2f}" height="{STRIP_H - 14}" class="hit"/>'
    cell, text = html.escape(v.cell_key(step)), html.escape("\n".join(tip))
    return f'<g class="bar" data-cell="{cell}" data-tip="{text}">{hit}{"".join(bars)}</g>'


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style></head>
<body>
<header>
<b>{title}</b>
<input id="search" type="search" placeholder="find a name: h, c, f, weight_hh, t12 …" autocomplete="off">
<button id="fit" type="button">fit</button>
<button id="clear" type="button">clear</button>
<span id="legend">{legend}</span>
</header>
<main id="graph">{graph}</main>
<section id="strip">{strip}</section>
<footer>Click a step to see its primitives, a box to light the paths its gradient takes to the loss.
Wheel: zoom; drag: pan; Esc: clear.</footer>
<div id="tip" hidden></div>
<script type="application/octet-stream" id="lenses">{lenses}</script>
<script>{js}</script>
</body></html>
"""
