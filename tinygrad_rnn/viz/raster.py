"""A placed picture (layout.Picture) as PNG or PDF, painted with matplotlib (a dependency
already), so that no external program is needed. One pixel of the layout is one pixel of
the PNG, and 0.75 pt of the PDF."""

import io

from .svg import arrowhead

PX = 72 / 96  # points per pixel


def to_image(picture, fmt="png"):
    """The picture as PNG or PDF bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyBboxPatch, PathPatch, Polygon
    from matplotlib.path import Path

    codes = {"M": Path.MOVETO, "L": Path.LINETO, "C": Path.CURVE4, "Q": Path.CURVE3}
    fig = Figure(figsize=(picture.width / 96, picture.height / 96), dpi=96)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, picture.width)
    ax.set_ylim(picture.height, 0)
    ax.axis("off")

    def rounded(x, y, w, h, rx, **style):
        box = f"round,pad=0,rounding_size={rx}" if rx else "square,pad=0"
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=box, **style))

    def path(commands):
        verts, kinds = [], []
        for name, *xy in commands:
            points = list(zip(xy[0::2], xy[1::2]))
            verts += points
            kinds += [codes[name]] * len(points)
        return Path(verts, kinds)

    for r in picture.rects:
        rounded(r.x, r.y, r.w, r.h, r.rx, facecolor=r.fill, edgecolor=r.stroke, lw=PX, zorder=1)
    for t in picture.texts:
        ha = {"start": "left", "middle": "center", "end": "right"}[t.anchor]
        weight = "bold" if t.bold else "normal"
        ax.text(t.x, t.y, t.text, fontsize=t.size * PX, color=t.color, ha=ha, va="baseline", weight=weight, zorder=2)
    for link in picture.links:
        if not link.points:
            continue
        route = path(link.points)
        if link.rail:
            ax.add_patch(PathPatch(route, fill=False, ec=link.rail, lw=(link.width + 4) * PX, zorder=3))
        style = (0, (4, 3)) if link.dashed else "solid"
        ax.add_patch(PathPatch(route, fill=False, ec=link.color, lw=link.width * PX, ls=style, zorder=3))
        if link.arrow:
            head = arrowhead(link.points, link.width)
            ax.add_patch(Polygon(head, closed=True, fc=link.rail or link.color, ec="none", zorder=3))
    for box in picture.boxes:
        style = {"facecolor": box.fill, "edgecolor": box.stroke, "lw": PX, "zorder": 4}
        if box.dashed:
            style["ls"] = (0, (3, 2))
        if box.shape == "circle" or (box.role == "consumer" and not box.label):
            ax.add_patch(Circle((box.x, box.y), box.w / 2, **style))
        else:
            rx = 0 if box.shape == "box" else min(6.0, box.h / 2)
            rounded(box.x - box.w / 2, box.y - box.h / 2, box.w, box.h, rx, **style)
        if box.label:
            size = 10 if box.role in ("copy", "consumer") else 11
            weight = "bold" if box.role == "cell" else "normal"
            ax.text(
                box.x,
                box.y,
                box.label,
                fontsize=size * PX,
                color=box.color,
                ha="center",
                va="center_baseline",
                weight=weight,
                zorder=5,
            )
    out = io.BytesIO()
    fig.savefig(out, format=fmt, dpi=96)
    return out.getvalue()
