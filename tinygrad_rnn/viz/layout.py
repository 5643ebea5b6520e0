"""Positions from the graph's structure, with no general graph-layout program.

A recurrent graph already knows its layout: time steps (scopes ``.../t3``) in lanes (layer,
direction), each step the same cell. So one step is laid out once, by a small layered layout
(columns by longest path, order by barycentres, heights by isotonic regression, the belt
pinned to one straight line), and the template is repeated: steps go left to right and wrap
into rows (a snake), lanes stack inside each row, and a step's state enters the next step at
the same height. What lies outside the steps (before: the input's projection; after: the
outputs and the loss) and graphs without scopes get the same layered layout, wrapped into
rows when wider than the page.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from .graph import step_number
from .view import BELT, NONE, Link, style_link

FONT = 11  # px, the text of a box
SMALL = 10  # px, copies, stubs, frame labels
GAP_X, GAP_Y = 14, 9  # between columns, between boxes in a column
PAD = 22  # around a panel; wrap edges run in it
FRAME_TOP, FRAME_PAD = 16, 6  # a step's frame: room for its label, and around its boxes
SLOT_GAP = 20  # between two steps' frames
LANE_GAP = 8
GUTTER, GUTTER_STEP = 10, 4  # the space under a row where wrapped edges run back


@dataclass
class Rect:
    """A frame (panel, step) or a legend swatch. ``key``: the step it frames, if any."""

    x: float
    y: float
    w: float
    h: float
    fill: str = "none"
    stroke: str = "#bbbbbb"
    rx: float = 6.0
    role: str = "frame"
    key: str = None


@dataclass
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = SMALL
    color: str = "#777777"
    bold: bool = False
    anchor: str = "start"


@dataclass
class Picture:
    """Everything placed: boxes (``view.Box`` with x, y), links (``view.Link`` with their
    route as path commands), rects and texts, in pixels."""

    width: float
    height: float
    boxes: list
    links: list
    rects: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    rows: list = field(default_factory=list)  # per panel, per row: the steps in it

    def box(self, key):
        return next(b for b in self.boxes if b.key == key)


# -- sizes ----------------------------------------------------------------------------
_NARROW, _WIDE = set("ijlft.,:;|!'()[] ·"), set("mwMW→")


def text_width(text, size=FONT):
    """An estimate of the width of ``text`` in a sans-serif font (DejaVu Sans is the widest
    it will meet), so that boxes fit their labels in browsers and in matplotlib."""
    units = 0.0
    for ch in text:
        if ch in _NARROW:
            units += 0.34
        elif ch in _WIDE:
            units += 0.9
        elif "₀" <= ch <= "₉" or ch == "ᵀ":
            units += 0.42
        elif ch.isupper():
            units += 0.7
        else:
            units += 0.6
    return units * size


def size_box(box):
    """Set ``box.w`` and ``box.h`` from its role and label."""
    small = box.role in ("copy", "consumer")
    if box.role == "consumer" and not box.label:
        box.w = box.h = 7.0
    elif box.shape == "circle":
        box.w = box.h = 20.0
    elif box.role == "cell":
        box.w, box.h = max(30.0, text_width(box.label) + 8), 34.0
    else:
        box.w = text_width(box.label, SMALL if small else FONT) + (10 if small else 14)
        box.h = 18.0 if small else 22.0


# -- path commands --------------------------------------------------------------------
def smooth(points):
    """Path commands through ``points`` (left to right), with horizontal tangents at each."""
    commands = [("M", *points[0])]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if abs(y1 - y0) < 0.5 or abs(x1 - x0) < 0.5:
            commands.append(("L", x1, y1))
        else:
            dx = (x1 - x0) / 2
            commands.append(("C", x0 + dx, y0, x1 - dx, y1, x1, y1))
    return commands


def polyline(points, radius=0.0):
    """Straight segments through ``points``, their corners rounded with ``radius``."""
    commands = [("M", *points[0])]
    for (x0, y0), (x1, y1), (x2, y2) in zip(points, points[1:], points[2:]):
        a, b = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
        r = min(radius, a / 2, b / 2)
        if r <= 0:
            commands.append(("L", x1, y1))
            continue
        commands.append(("L", x1 - (x1 - x0) * r / a, y1 - (y1 - y0) * r / a))
        commands.append(("Q", x1, y1, x1 + (x2 - x1) * r / b, y1 + (y2 - y1) * r / b))
    commands.append(("L", *points[-1]))
    return commands


def wrapped(start, end, out_x, in_x, gutter_y):
    """From the end of one row to the start of another: out to the margin at ``out_x``, along
    the gutter under the row, back in from the margin at ``in_x``."""
    return polyline([start, (out_x, start[1]), (out_x, gutter_y), (in_x, gutter_y), (in_x, end[1]), end], radius=6)


def shifted(commands, dx, dy, mirror_width=None):
    """``commands`` moved by (dx, dy), first mirrored left-right in a box of that width."""
    out = []
    for name, *xy in commands:
        if mirror_width is not None:
            xy = [mirror_width - v if k % 2 == 0 else v for k, v in enumerate(xy)]
        out.append((name, *[v + (dx if k % 2 == 0 else dy) for k, v in enumerate(xy)]))
    return out


def joined(*parts):
    """One route from several, each starting where the last ended."""
    out = list(parts[0])
    for part in parts[1:]:
        out.extend(part[1:])
    return out


# -- the layered layout ---------------------------------------------------------------
def _pava(targets, weights):
    """The nondecreasing sequence nearest to ``targets`` in weighted least squares."""
    blocks = []
    for t, w in zip(targets, weights):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return [m for m, _, n in blocks for _ in range(n)]


def _topological(keys, preds):
    """``keys`` in an order where each follows its predecessors (stable; cycles broken)."""
    inside = set(keys)
    indegree = {k: sum(1 for p in preds[k] if p in inside) for k in keys}
    succ = defaultdict(list)
    for k in keys:
        for p in preds[k]:
            if p in inside:
                succ[p].append(k)
    ready = [k for k in keys if indegree[k] == 0]
    order, seen = [], set()
    while len(order) < len(keys):
        if not ready:  # a cycle: take the oldest node left
            ready = [next(k for k in keys if k not in seen)]
        k = ready.pop(0)
        if k in seen:
            continue
        seen.add(k)
        order.append(k)
        for s in succ[k]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    return order


@dataclass
class Layered:
    """The result of ``layered``: centres, each edge's chain of points (through the dummy
    points of the columns it crosses), the column of every node, and the size."""

    pos: dict
    chains: list
    cols: dict
    width: float
    height: float
    pinned_y: float = None


def layered(
    sizes, edges, pins=(), first=(), last=(), under=None, ports=None, gap_x=GAP_X, sides=(False, False), sweeps=6
):
    """Lay out a small directed graph left to right.

    ``sizes``: {key: (w, h)}, in a stable order; ``edges``: [(a, b)]. ``pins``: keys kept on
    one straight line at the top (the belt); ``first``/``last``: keys put in a column of
    their own at the left/right edge (where states enter and leave a step); ``under``:
    {key: parent} for small stubs drawn right below their parent; ``ports``: {edge index:
    (dy at a, dy at b)} to attach an edge above or below a box's middle.
    """
    under, ports = under or {}, ports or {}
    keys = [k for k in sizes if k not in under]
    first, last, pins = set(first), set(last), set(pins)
    body = [k for k in keys if k not in first and k not in last]
    body_set = set(body)
    preds, succs = defaultdict(list), defaultdict(list)
    for a, b in edges:
        if a != b and a not in under and b not in under:
            preds[b].append(a)
            succs[a].append(b)
    col = {}
    order = _topological(body, {k: [p for p in preds[k] if p in body_set] for k in body})
    for k in order:
        ps = [col[p] for p in preds[k] if p in col]
        col[k] = max(ps) + 1 if ps else 0
    for k in reversed(order):  # a source sits just before its first reader
        if not any(p in body_set for p in preds[k]):
            readers = [col[s] for s in succs[k] if s in col and s in body_set]
            if readers:
                col[k] = max(col[k], min(readers) - 1)
    shift = 1 if first or sides[0] else 0
    for k in body:
        col[k] += shift
    for k in first:
        col[k] = 0
    top = max([col[k] for k in body], default=shift - 1)
    for k in last:
        col[k] = top + 1
    ncols = max(max(col.values(), default=0), top + 1 if sides[1] else 0) + 1

    # chains through dummy points, one per column crossed
    chains, down, up = [], defaultdict(list), defaultdict(list)  # neighbours, with the offset between ports
    pinned = {k for k in keys if k in pins}
    for i, (a, b) in enumerate(edges):
        if a in under or b in under or a == b:
            chains.append([a, b])
            continue
        chain = [a] + [("dummy", i, c) for c in range(col[a] + 1, col[b])] + [b]
        for d in chain[1:-1]:
            col[d] = d[2]
            if a in pinned and b in pinned:
                pinned.add(d)
        da, db = ports.get(i, (0.0, 0.0))
        for u, v in zip(chain, chain[1:]):
            pu, pv = (da if u == a else 0.0), (db if v == b else 0.0)
            down[u].append((v, pv - pu))
            up[v].append((u, pu - pv))
        chains.append(chain)
    height = {k: sizes[k][1] for k in keys}
    width = {k: sizes[k][0] for k in keys}
    extra = defaultdict(float)  # stubs hanging below a box
    for stub, parent in under.items():
        extra[parent] += GAP_Y / 2 + sizes[stub][1]
    columns = [[] for _ in range(ncols)]
    for k in col:
        columns[col[k]].append(k)
        height.setdefault(k, 0.0)
        width.setdefault(k, 0.0)

    # order in each column: pinned first, then by the barycentre of the neighbours
    for it in range(sweeps):
        forward = it % 2 == 0
        for c in range(1, ncols) if forward else range(ncols - 2, -1, -1):
            ref = {k: i for i, k in enumerate(columns[c - 1 if forward else c + 1])}
            now = {k: i for i, k in enumerate(columns[c])}
            near = up if forward else down

            def rank(k, ref=ref, now=now, near=near):
                ns = [ref[n] + d * 1e-3 for n, d in near[k] if n in ref]  # ports: above or below the middle
                return (k not in pinned, sum(ns) / len(ns) if ns else now[k])

            columns[c].sort(key=rank)

    # heights: each column as near as it can be to its neighbours, keeping its order
    y = {}
    for column in columns:
        cursor = 0.0
        for k in column:
            y[k] = cursor + height[k] / 2
            cursor += height[k] + extra[k] + GAP_Y
    for it in range(10):
        for column in columns if it % 2 == 0 else columns[::-1]:
            targets, weights, offsets, offset = [], [], [], 0.0
            for i, k in enumerate(column):
                if i:
                    prev = column[i - 1]
                    offset += height[prev] / 2 + extra[prev] + (GAP_Y if height[prev] and height[k] else GAP_Y / 2)
                    offset += height[k] / 2
                ns = up[k] + down[k]
                if k in pinned:
                    target, weight = 0.0, 1e6
                elif ns:
                    target, weight = sum(y[n] + d for n, d in ns) / len(ns), (2.0 if isinstance(k, tuple) else 1.0)
                else:
                    target, weight = y[k], 0.05
                targets.append(target - offset)
                weights.append(weight)
                offsets.append(offset)
            for k, z, off in zip(column, _pava(targets, weights), offsets):
                y[k] = z + off

    lo = min((y[k] - height[k] / 2 for k in col), default=0.0)
    hi = max((y[k] + height[k] / 2 + extra[k] for k in col), default=0.0)
    colw = [max((width[k] for k in column), default=0.0) for column in columns]
    x0, cursor = [], 0.0
    for w in colw:
        x0.append(cursor)
        cursor += w + gap_x
    total_width = max(cursor - gap_x, 0.0)
    pos = {k: (x0[col[k]] + colw[col[k]] / 2, y[k] - lo) for k in col}
    for parent in {p for p in under.values()}:
        px, py = pos[parent]
        bottom = py + height[parent] / 2
        for stub in (s for s, p in under.items() if p == parent):
            bottom += GAP_Y / 2
            pos[stub] = (px, bottom + sizes[stub][1] / 2)
            bottom += sizes[stub][1]
    points = []
    for i, chain in enumerate(chains):
        a, b = chain[0], chain[-1]
        (ax, ay), (bx, by) = pos[a], pos[b]
        da, db = ports.get(i, (0.0, 0.0))
        if b in under:
            points.append([(ax, ay + sizes[a][1] / 2), (bx, by - sizes[b][1] / 2)])
            continue
        middle = [pos[d] for d in chain[1:-1]]
        points.append([(ax + sizes[a][0] / 2, ay + da), *middle, (bx - sizes[b][0] / 2, by + db)])
    pinned_y = next((pos[k][1] for k in keys if k in pins), None)
    return Layered(pos, points, col, total_width, hi - lo, pinned_y)


# -- one panel ------------------------------------------------------------------------
_TEMPLATES = {}  # a step's layout by the step's shape: the steps of a graph, and its page's lenses, share them


def _template(sizes, graph, gap, sides):
    """``layered`` for one step's local graph, remembered by everything that decides it."""
    _, edges, ports, pins, first, last, under, _ = graph
    index = {k: n for n, k in enumerate(sizes)}
    key = (
        tuple(sizes.values()),
        tuple((index[a], index[b]) for a, b in edges),
        tuple(sorted(ports.items())),
        frozenset(index[k] for k in pins),
        tuple(index[k] for k in first),
        tuple(index[k] for k in last),
        tuple(sorted((index[a], index[b]) for a, b in under.items())),
        gap,
        sides,
    )
    if key not in _TEMPLATES:
        if len(_TEMPLATES) > 512:
            _TEMPLATES.clear()
        numbered = {n: size for n, size in enumerate(sizes.values())}
        result = layered(
            numbered,
            [(index[a], index[b]) for a, b in edges],
            pins={index[k] for k in pins},
            first=[index[k] for k in first],
            last=[index[k] for k in last],
            under={index[a]: index[b] for a, b in under.items()},
            ports=ports,
            gap_x=gap,
            sides=sides,
        )
        _TEMPLATES[key] = result
    result = _TEMPLATES[key]
    keys = list(sizes)
    pos = {(keys[k] if isinstance(k, int) else k): p for k, p in result.pos.items()}
    return Layered(pos, result.chains, result.cols, result.width, result.height, result.pinned_y)


def _class_of(label):
    """A label without its step numbers: what makes two steps' boxes the same."""
    return re.sub(r"[0-9₀-₉]", "", label)


class _Panel:
    """Places one plan's boxes: its steps as a snake of lanes, the blocks outside around it."""

    def __init__(self, plan, limit):
        self.plan, self.limit, self.frames = plan, limit, not plan.collapsed
        self.boxes = plan.boxes
        for box in self.boxes.values():
            size_box(box)
        self.rects, self.texts, self.rows = [], [], []
        self.routes = {}  # link index -> commands
        self._anchor_routes = {}  # (step, "in", link index) or (step, "out", anchor) -> commands

    # the local graph of a block: its boxes, anchors for links that cross to other steps
    def _blocks(self):
        blocks = defaultdict(list)
        for key, box in self.boxes.items():
            blocks[box.block].append(key)
        local, inter, stray = defaultdict(list), [], []
        for i, link in enumerate(self.plan.links):
            a, b = self.boxes[link.src].block, self.boxes[link.dst].block
            if a == b:
                local[a].append(i)
            elif isinstance(a, tuple) and isinstance(b, tuple):
                inter.append(i)
            else:
                stray.append(i)
        return blocks, local, inter, stray

    def _ports(self, link, a, b):
        """Collapsed cells take the belt above their middle and the h path below it."""
        shift = {"belt": -0.25, "h": 0.25}.get(link.kind, 0.0)
        return (
            shift * a.h if a.role == "cell" else 0.0,
            shift * b.h if b.role == "cell" else 0.0,
        )

    def _local_graph(self, keys, local, ins, outs):
        """(sizes, edges, ports, pins, first, last, under, link of each edge) of one step."""
        sizes = {k: (self.boxes[k].w, self.boxes[k].h) for k in keys}
        edges, ports, owners = [], {}, []
        pins = {k for k in keys if self.boxes[k].pin}
        incoming = defaultdict(int)
        for i in local:
            incoming[self.plan.links[i].dst] += 1
        under = {}
        for i in local:
            link = self.plan.links[i]
            a, b = self.boxes[link.src], self.boxes[link.dst]
            if b.role == "consumer" and incoming[b.key] == 1 and link.src in sizes:
                under[b.key] = a.key
            ports[len(edges)] = self._ports(link, a, b)
            edges.append((link.src, link.dst))
            owners.append(("local", i))
        for i, anchor in ins:
            link = self.plan.links[i]
            sizes[anchor] = (0.0, 0.0)
            if self.boxes[link.src].pin:
                pins.add(anchor)
            ports[len(edges)] = (0.0, self._ports(link, self.boxes[link.src], self.boxes[link.dst])[1])
            edges.append((anchor, link.dst))
            owners.append(("in", i))
        for i, anchor in outs:
            link = self.plan.links[i]
            if anchor not in sizes:
                sizes[anchor] = (0.0, 0.0)
                if self.boxes[link.src].pin:
                    pins.add(anchor)
                ports[len(edges)] = (self._ports(link, self.boxes[link.src], self.boxes[link.dst])[0], 0.0)
                edges.append((link.src, anchor))
                owners.append(("out", anchor))
        first = [a for _, a in ins]
        last = list(dict.fromkeys(a for _, a in outs))
        return sizes, edges, ports, pins, first, last, under, owners

    def _signature(self, keys, graph):
        sizes, edges, ports, pins, first, last, under, _ = graph
        index = {k: n for n, k in enumerate(sizes)}
        nodes = tuple(
            (self.boxes[k].role, self.boxes[k].shape, _class_of(self.boxes[k].label), k in pins)
            if k in self.boxes
            else ("anchor", k in pins, k in first)
            for k in sizes
        )
        links = tuple((index[a], index[b], ports.get(n)) for n, (a, b) in enumerate(edges))
        hangs = tuple(sorted((index[s], index[p]) for s, p in under.items()))
        return nodes, links, hangs

    def place(self):
        blocks, local, inter, stray = self._blocks()
        steps = [b for b in blocks if isinstance(b, tuple)]
        if not steps:
            return self._place_general(blocks, local, stray)
        lanes = defaultdict(list)
        for step in steps:
            lanes[step[:-1]].append(step)
        for lane in lanes.values():
            lane.sort(key=step_number)
        ins, outs = defaultdict(list), defaultdict(list)
        reverse_votes = defaultdict(int)
        for i in inter:
            link = self.plan.links[i]
            a, b = self.boxes[link.src].block, self.boxes[link.dst].block
            ins[b].append((i, ("in", link.src, link.kind)))
            outs[a].append((i, ("out", link.src, link.kind)))
            if a[:-1] == b[:-1]:
                reverse_votes[a[:-1]] += 1 if step_number(a) > step_number(b) else -1
        mirrored = {lane for lane, votes in reverse_votes.items() if votes > 0}

        graphs = {s: self._local_graph(blocks[s], local[s], ins[s], outs[s]) for s in steps}
        groups = defaultdict(list)
        for s in steps:
            groups[self._signature(blocks[s], graphs[s])].append(s)
        placed, alias = {}, {}  # step -> its template; the template's keys -> the step's own
        for members in groups.values():
            size_sets = [list(graphs[s][0].values()) for s in members]
            merged = [tuple(max(v) for v in zip(*column)) for column in zip(*size_sets)]
            g = graphs[members[0]]
            sizes = dict(zip(g[0], merged))
            gap = GAP_X if self.frames else GAP_X / 2
            sides = (any(ins[s] for s in lanes[members[0][:-1]]), any(outs[s] for s in lanes[members[0][:-1]]))
            result = _template(sizes, g, gap, sides)
            for s in members:
                placed[s], alias[s] = result, dict(zip(g[0], graphs[s][0]))

        pad, top, slot_gap = (FRAME_PAD, FRAME_TOP, SLOT_GAP) if self.frames else (2.0, 0.0, 0.0)
        slot_w = max(r.width for r in placed.values()) + 2 * pad + slot_gap
        t0 = min(step_number(s) for s in steps)
        count = max(step_number(s) for s in steps) - t0 + 1
        per_row = max(1, min(count, int((self.limit - 2 * PAD + slot_gap) // slot_w)))
        nrows = math.ceil(count / per_row)
        belt = {lane: max((placed[s].pinned_y or 0.0) for s in members) for lane, members in lanes.items()}
        band = {
            lane: max(belt[lane] - (placed[s].pinned_y or 0.0) + placed[s].height for s in members) + 2 * pad + top
            for lane, members in lanes.items()
        }
        labelled = len(lanes) > 1

        # blocks outside the steps: before them on top, after them below or beside the last row
        pre = self._general_block(blocks.get("pre", []), local["pre"])
        post = self._general_block(blocks.get("post", []), local["post"])
        cursor = PAD
        if pre is not None:
            self._put_general(pre, PAD, cursor)
            cursor += pre.height + 2 * GAP_Y
        wraps = self._wraps(inter, per_row, t0)
        origin = {}  # step -> (x, y) of its template
        row_bottom = []
        for r in range(nrows):
            self.rows.append([])
            for lane, members in lanes.items():
                label_h = 14.0 if labelled and (r == 0 or len(lanes) > 1) else 0.0
                if label_h:
                    name = " · ".join(lane) or "steps"
                    kind = self.plan.steps.get(members[0])
                    self.texts.append(Text(PAD, cursor + 10, f"{name} ({kind})" if kind else name, SMALL))
                for s in members:
                    slot = step_number(s) - t0
                    if slot // per_row != r:
                        continue
                    x = PAD + (slot % per_row) * slot_w
                    fy = cursor + label_h
                    result = placed[s]
                    origin[s] = (x + pad, fy + top + pad + belt[lane] - (result.pinned_y or 0.0))
                    frame_w = result.width + 2 * pad
                    if self.frames:
                        self.rects.append(Rect(x, fy, frame_w, band[lane], fill="#fcfcfc", key="/".join(s)))
                        self.texts.append(Text(x + 6, fy + 12, f"step {step_number(s)}", SMALL))
                    self.rows[-1].append(s)
                cursor += label_h + band[lane] + LANE_GAP
            row_bottom.append(cursor - LANE_GAP)
            cursor += GUTTER + GUTTER_STEP * wraps.get(r, 0)
        grid_right = PAD + min(per_row, count) * slot_w - slot_gap
        for s in steps:
            self._put_step(s, placed[s], graphs[s], alias[s], origin[s], s[:-1] in mirrored)
        self._route_inter(inter, graphs, placed, origin, mirrored, per_row, t0, row_bottom, grid_right)
        width = grid_right + PAD
        if post is not None:
            last_x = max((origin[s][0] + placed[s].width for s in self.rows[-1]), default=PAD) + PAD
            if last_x + post.width + PAD <= self.limit and nrows == 1:
                self._put_general(post, last_x, row_bottom[-1] - post.height)
                width = max(width, last_x + post.width + PAD)
            else:
                self._put_general(post, PAD, cursor)
                cursor += post.height + GAP_Y
                width = max(width, PAD + post.width + PAD)
        if pre is not None:
            width = max(width, 2 * PAD + pre.width)
        self._route_stray(stray)
        return width, cursor + PAD - GUTTER

    def _wraps(self, inter, per_row, t0):
        """How many links run back under each row (from a row's end to the next row)."""
        count = defaultdict(int)
        for i in inter:
            link = self.plan.links[i]
            a, b = (step_number(self.boxes[k].block) - t0 for k in (link.src, link.dst))
            if a // per_row != b // per_row:
                count[min(a, b) // per_row] += 1
        return count

    def _put_step(self, step, result, graph, alias, origin, mirror):
        sizes, edges, _, _, _, _, _, owners = graph
        ox, oy = origin
        for k, (x, y) in result.pos.items():
            if alias.get(k) in self.boxes:
                box = self.boxes[alias[k]]
                box.x, box.y = ox + (result.width - x if mirror else x), oy + y
        for n, points in enumerate(result.chains):
            kind, ref = owners[n]
            commands = smooth(points) if points[0][0] <= points[-1][0] or len(points) > 2 else polyline(points)
            if edges[n][1] in graph[6]:  # a stub below its box
                commands = polyline(points)
            commands = shifted(commands, ox, oy, result.width if mirror else None)
            if kind == "local":
                self.routes[ref] = commands
            else:
                self._anchor_routes[(step, kind, ref)] = commands

    def _route_inter(self, inter, graphs, placed, origin, mirrored, per_row, t0, row_bottom, grid_right):
        gutter_used = defaultdict(int)
        for i in inter:
            link = self.plan.links[i]
            a, b = self.boxes[link.src].block, self.boxes[link.dst].block
            leave = self._anchor_routes[(a, "out", ("out", link.src, link.kind))]
            enter = self._anchor_routes[(b, "in", i)]
            (ex, ey), (nx, ny) = leave[-1][-2:], enter[0][1:3]
            ra, rb = (step_number(s) - t0 for s in (a, b))
            if ra // per_row == rb // per_row:
                middle = smooth([(ex, ey), (nx, ny)])
            else:
                gutter = min(ra, rb) // per_row
                k = gutter_used[gutter]
                gutter_used[gutter] += 1
                gy = row_bottom[gutter] + GUTTER / 2 + GUTTER_STEP * k
                right, left = grid_right + 6 + 3 * k, PAD / 2 - 3 * k
                out_x, in_x = (left, right) if a[:-1] in mirrored else (right, left)
                middle = wrapped((ex, ey), (nx, ny), out_x, in_x, gy)
            self.routes[i] = joined(leave, middle, enter)

    def _route_stray(self, stray):
        for i in stray:
            link = self.plan.links[i]
            a, b = self.boxes[link.src], self.boxes[link.dst]
            self.routes[i] = smooth([(a.x + a.w / 2, a.y), (b.x - b.w / 2, b.y)])

    # blocks laid out by the general layered layout
    def _general_block(self, keys, links):
        if not keys:
            return None
        sizes = {k: (self.boxes[k].w, self.boxes[k].h) for k in keys}
        edges = [(self.plan.links[i].src, self.plan.links[i].dst) for i in links]
        result = layered(sizes, edges)
        result.links = links
        return result

    def _put_general(self, result, x, y):
        for k, (px, py) in result.pos.items():
            self.boxes[k].x, self.boxes[k].y = x + px, y + py
        for i, points in zip(result.links, result.chains):
            self.routes[i] = shifted(smooth(points), x, y)

    def _place_general(self, blocks, local, stray):
        """A graph without steps: one layered layout, its columns wrapped into rows when it
        is wider than the page."""
        keys = [k for block in blocks.values() for k in block]
        links = [i for block in local.values() for i in block] + stray
        sizes = {k: (self.boxes[k].w, self.boxes[k].h) for k in keys}
        edges = [(self.plan.links[i].src, self.plan.links[i].dst) for i in links]
        result = layered(sizes, edges)
        ncols = max(result.cols.values(), default=0) + 1
        left = defaultdict(lambda: math.inf)
        right = defaultdict(float)
        for k, c in result.cols.items():
            w = sizes[k][0] if k in sizes else 0.0
            x = result.pos[k][0]
            left[c], right[c] = min(left[c], x - w / 2), max(right[c], x + w / 2)
        chunks, start, usable = [], 0, self.limit - 2 * PAD
        for c in range(ncols):
            if right[c] - left[start] > usable and c > start:
                chunks.append((start, c))
                start = c
        chunks.append((start, ncols))
        chunk_of = {c: n for n, (a, b) in enumerate(chunks) for c in range(a, b)}
        heights = [0.0] * len(chunks)
        for k, c in result.cols.items():
            h = sizes[k][1] if k in sizes else 0.0
            heights[chunk_of[c]] = max(heights[chunk_of[c]], result.pos[k][1] + h / 2)
        wraps = defaultdict(int)
        for a, b in edges:
            for n in range(chunk_of[result.cols[a]], chunk_of[result.cols[b]]):
                wraps[n] += 1
        offsets, cursor = [], PAD
        for n, (a, _) in enumerate(chunks):
            offsets.append((PAD - (left[a] if math.isfinite(left[a]) else 0.0), cursor))
            cursor += heights[n] + GUTTER + GUTTER_STEP * wraps[n] + GAP_Y
        for k, (px, py) in result.pos.items():
            if k in self.boxes:
                dx, dy = offsets[chunk_of[result.cols[k]]]
                self.boxes[k].x, self.boxes[k].y = px + dx, py + dy
        width = max(right[b - 1] - left[a] for a, b in chunks) + 2 * PAD
        used = defaultdict(int)
        for i, points, (a, b) in zip(links, result.chains, edges):
            cols = [result.cols[a]] + [c for c in range(result.cols[a] + 1, result.cols[b])] + [result.cols[b]]
            if len(cols) != len(points):
                cols = [result.cols[a]] * (len(points) - 1) + [result.cols[b]]
            placed = [(x + offsets[chunk_of[c]][0], y + offsets[chunk_of[c]][1]) for (x, y), c in zip(points, cols)]
            pieces, run = [], [placed[0]]
            for p, (c0, c1) in zip(placed[1:], zip(cols, cols[1:])):
                if chunk_of[c0] == chunk_of[c1]:
                    run.append(p)
                    continue
                n = chunk_of[c0]
                k = used[n]
                used[n] += 1
                gy = offsets[n][1] + heights[n] + GUTTER / 2 + GUTTER_STEP * k
                (ex, ey), (nx, ny) = run[-1], p
                pieces.append(smooth(run))
                pieces.append(wrapped((ex, ey), (nx, ny), width - PAD / 2 + 3 * k, PAD / 2 - 3 * k, gy))
                run = [p]
            pieces.append(smooth(run) if len(run) > 1 else [("M", *run[0])])
            self.routes[i] = joined(*pieces)
        return width, cursor - GUTTER + PAD - GAP_Y


def arrange(plans, scale=None, limit=1200, legend=True, note=None):
    """Place several plans (panels) one below the other, with their titles and the legend;
    links get their colours from ``scale`` (None: no gradients drawn)."""
    boxes, links, rects, texts, rows = [], [], [], [], []
    y = 8.0
    width = 0.0
    if note:
        texts.append(Text(PAD, y + 12, note, SMALL + 1, "#aa3300"))
        width, y = text_width(note, SMALL + 1) + 2 * PAD, y + 20
    if legend:
        items, w, h = legend_items(scale, PAD, y, belt=any(l.kind == "belt" for p in plans for l in p.links))
        links += items[0]
        rects += items[1]
        texts += items[2]
        width, y = max(width, w), y + h + 6
    for plan in plans:
        panel = _Panel(plan, limit)
        titled = bool(plan.title)
        top = y + (22 if titled else 0)
        pw, ph = panel.place()
        for box in panel.boxes.values():
            box.y += top
        for route_key, commands in panel.routes.items():
            panel.routes[route_key] = shifted(commands, 0, top)
        for r in panel.rects:
            r.y += top
        for t in panel.texts:
            t.y += top
        if titled:
            texts.append(Text(PAD - 8, y + 15, plan.title, 13, "#222222", bold=True))
            rects.append(Rect(PAD / 2 - 6, y, pw - PAD + 12, ph + 22, stroke="#999999", rx=10, role="panel"))
        for i, link in enumerate(plan.links):
            link.points = panel.routes.get(i, [])
            style_link(link, scale)
        boxes += list(panel.boxes.values())
        links += plan.links
        rects += panel.rects
        texts += panel.texts
        rows.append(panel.rows)
        width = max(width, pw)
        y = top + ph + 10
    return Picture(width, y, boxes, links, rects, texts, rows)


def legend_items(scale, x, y, belt=True):
    """The legend: what colour and width mean (the gradient's decades), a dashed sample for
    no gradient, and the belt. Returns ([links], [rects], [texts]), width, height."""
    links, rects, texts = [], [], []
    cursor = x
    if scale is not None:
        title = "gradient sent back along each edge, ‖·‖:"
        texts.append(Text(cursor, y + 14, title, SMALL + 1, "#333333"))
        cursor += text_width(title, SMALL + 1) + 10
        for e, color, width in scale.ticks():
            links.append(_sample(cursor, y + 10, 30, color, width))
            texts.append(Text(cursor + 15, y + 28, f"1e{e}", SMALL - 1, anchor="middle"))
            cursor += 36
        cursor += 12
        none = _sample(cursor, y + 10, 30, NONE, 0.9)
        none.dashed = True
        links.append(none)
        texts.append(Text(cursor + 36, y + 14, "none", SMALL + 1, "#333333"))
        cursor += 36 + text_width("none", SMALL + 1) + 16
    if belt:
        rail = _sample(cursor, y + 10, 30, "#bbbbbb" if scale is None else scale.color(10.0**scale.hi), 3.0)
        rail.rail = BELT
        if scale is None:
            rail.color, rail.rail = BELT, None
        links.append(rail)
        text = "the cell-state belt c_{t-1} → ×f → + → c_t"
        texts.append(Text(cursor + 36, y + 14, text, SMALL + 1, "#333333"))
        cursor += 36 + text_width(text, SMALL + 1)
    return (links, rects, texts), cursor + PAD, 30.0 if scale is not None else 18.0


def _sample(x, y, length, color, width):
    link = Link("", "", color=color, width=width)
    link.points = [("M", x, y), ("L", x + length, y)]
    link.arrow = False
    return link
