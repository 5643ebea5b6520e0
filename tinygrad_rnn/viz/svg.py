"""A placed picture (layout.Picture) as SVG text: frames, then edges, then boxes, then text.

Static SVG carries each tooltip in a <title>; the interactive page's SVG carries it, and
what the page's script needs (keys, the boxes an edge joins, flows), in data- attributes.
"""

import math
from html import escape

FONTS = "Helvetica, Arial, 'DejaVu Sans', sans-serif"


def arrowhead(commands, width):
    """The triangle at the end of a route, pointing along its last segment."""
    *_, last = commands
    x, y = last[-2:]
    if last[0] == "C":
        px, py = last[3], last[4]
    else:
        prev = commands[-2] if len(commands) > 1 else last
        px, py = prev[-2:]
    dx, dy = x - px, y - py
    n = math.hypot(dx, dy) or 1.0
    dx, dy = dx / n, dy / n
    length, half = 5.0 + 0.9 * width, 2.6 + 0.6 * width
    bx, by = x - dx * length, y - dy * length
    return [(x, y), (bx - dy * half, by + dx * half), (bx + dy * half, by - dx * half)]


def path_data(commands):
    return " ".join(f"{name}{' '.join(f'{v:.1f}' for v in xy)}" for name, *xy in commands)


def _attrs(pairs):
    """Attributes, escaped; newlines as character references, which XML parsers keep."""
    return "".join(f' {k}="{escape(str(v)).replace(chr(10), "&#10;")}"' for k, v in pairs if v is not None and v != "")


def _tip(text, interactive):
    return "" if interactive or not text else f"<title>{escape(text)}</title>"


def link_svg(link, interactive=False):
    if not link.points:
        return ""
    d = path_data(link.points)
    data = (
        [("data-src", link.src), ("data-dst", link.dst), ("data-flow", _flow(link.flow)), ("data-tip", link.tip)]
        if interactive
        else []
    )
    parts = [f'<g class="e"{_attrs(data)}>{_tip(link.tip, interactive)}']
    dash = ' stroke-dasharray="4 3"' if link.dashed else ""
    if link.rail:
        parts.append(f'<path d="{d}" fill="none" stroke="{link.rail}" stroke-width="{link.width + 4:.1f}"/>')
    parts.append(f'<path d="{d}" fill="none" stroke="{link.color}" stroke-width="{link.width:.2f}"{dash}/>')
    if link.arrow:
        head = " ".join(f"{x:.1f},{y:.1f}" for x, y in arrowhead(link.points, link.width))
        parts.append(f'<polygon points="{head}" fill="{link.rail or link.color}"/>')
    parts.append("</g>")
    return "".join(parts)


def _flow(flow):
    return "" if flow is None else repr(float(flow))


def box_svg(box, interactive=False, font_small=10, font=11):
    data = (
        [
            ("data-key", box.key),
            ("data-tip", box.tip),
            ("data-name", box.name.lower()),
            ("data-target", box.target),
            ("data-role", box.role),
        ]
        if interactive
        else []
    )
    dash = ' stroke-dasharray="3 2"' if box.dashed else ""
    x, y, w, h = box.x - box.w / 2, box.y - box.h / 2, box.w, box.h
    if box.shape == "circle" or (box.role == "consumer" and not box.label):
        shape = f'<circle cx="{box.x:.1f}" cy="{box.y:.1f}" r="{w / 2:.1f}"'
    else:
        rx = 0 if box.shape == "box" else min(6.0, h / 2)
        shape = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}"'
    shape += f' fill="{box.fill}" stroke="{box.stroke}"{dash}/>'
    size = font_small if box.role in ("copy", "consumer") else font
    text = ""
    if box.label:
        weight = ' font-weight="bold"' if box.role == "cell" else ""
        text = (
            f'<text x="{box.x:.1f}" y="{box.y + size * 0.36:.1f}" font-size="{size}" text-anchor="middle"'
            f' fill="{box.color}"{weight}>{escape(box.label)}</text>'
        )
    return f'<g class="n"{_attrs(data)}>{_tip(box.tip, interactive)}{shape}{text}</g>'


def rect_svg(r):
    key = f' data-frame="{escape(r.key)}"' if r.key else ""
    return (
        f'<rect x="{r.x:.1f}" y="{r.y:.1f}" width="{r.w:.1f}" height="{r.h:.1f}" rx="{r.rx}" fill="{r.fill}"'
        f' stroke="{r.stroke}"{key}/>'
    )


def text_svg(t):
    weight = ' font-weight="bold"' if t.bold else ""
    return (
        f'<text x="{t.x:.1f}" y="{t.y:.1f}" font-size="{t.size}" fill="{t.color}" text-anchor="{t.anchor}"{weight}>'
        f"{escape(t.text)}</text>"
    )


def to_svg(picture, interactive=False, ident=None):
    """The picture as one SVG document (``interactive``: with data- attributes, no titles)."""
    w, h = math.ceil(picture.width), math.ceil(picture.height)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"'
        f'{_attrs([("id", ident)])} font-family="{FONTS}">'
    )
    body = [head, f'<rect width="{w}" height="{h}" fill="white"/>']
    body += [rect_svg(r) for r in picture.rects]
    body += [text_svg(t) for t in picture.texts]
    body.append('<g class="edges">')
    body += [link_svg(link, interactive) for link in picture.links]
    body.append('</g><g class="nodes">')
    body += [box_svg(box, interactive) for box in picture.boxes]
    body.append("</g></svg>")
    return "\n".join(body)
