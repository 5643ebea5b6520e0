"""What a drawing shows, decided from the records of a ``GraphIndex``: boxes (ops, named
tensors, leaves, copies) and links (edges, each with the gradient that flowed along it),
each box assigned to a block: a time step, or "pre"/"post" (outside the steps, before or
after them). Positions are the layout's business (layout.py).

Three views of one graph: ``expanded`` (every primitive), ``collapsed`` (one box per cell per
step) and ``lens`` (the primitives of one step, with copies for what crosses its border).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from .graph import step_number, step_of

GATES = {  # name: (fill colour, meaning in the seed)
    "f": ("#f4c7c3", "forget gate"),
    "i": ("#c8e6c9", "input gate"),
    "g": ("#e1d5e7", "candidate C̃"),
    "o": ("#c6dbef", "output gate"),
    "r": ("#ffe0b2", "reset gate"),
    "z": ("#f4c7c3", "update gate"),
    "n": ("#e1d5e7", "candidate"),
}
STATES = {"c": ("#fde0c5", "cell state"), "h": ("#dbe6f3", "hidden state")}
BELT = "#f28e2b"  # the cell-state path
H_PATH = "#4e79a7"  # the hidden-state path
PLAIN = "#666666"  # an edge when no gradients are drawn
NONE = "#b0b0b0"  # an edge along which no gradient flowed
FADED = "#dddddd"
RAMP = ["#fbe3ef", "#e7a0c8", "#d6549b", "#b0125f", "#5c0031"]  # small gradient -> large
SYMBOLS = {"mul": "×", "add": "+", "sub": "−", "div": "÷", "sigmoid": "σ"}
PARAMETER, INPUT = "#fff2b3", "#d9f0d3"

# The seed's four questions: which named tensors each picture lights up.
HIGHLIGHTS = {
    "forget": ("f",),  # what do I forget?
    "write": ("i", "g"),  # what do I write?
    "update": ("c",),  # forget and write together
    "output": ("o", "h"),  # what do I read out?
}


@dataclass
class Box:
    """A node of the picture. ``role``: op, gate, state, parameter, input, constant, output,
    copy (a value drawn again where it is used), consumer (an op outside the step, drawn as
    a stub where a step's value goes to it) or cell (a whole step, collapsed)."""

    key: str
    label: str
    role: str
    block: object  # a step (tuple of scope names), "pre" or "post"
    tip: str = ""
    fill: str = "white"
    stroke: str = "#555555"
    color: str = "black"  # of the text
    shape: str = "round"  # round (rounded box), box, circle
    dashed: bool = False
    lit: bool = True
    name: str = ""  # what search finds
    op: int = None  # the Op it stands for
    value: int = None  # the Value it stands for
    target: str = None  # a copy or stub: the key of the box it stands for, in the collapsed view
    pin: bool = False  # on the belt: the layout keeps it on one straight line
    w: float = 0.0
    h: float = 0.0
    x: float = 0.0  # centre, set by the layout
    y: float = 0.0


@dataclass
class Link:
    """An edge from box ``src`` to box ``dst``. ``flow``: ‖gradient‖ sent back along it (None:
    not recorded); ``grad``: the total ‖∂L/∂tensor‖ of the tensor it carries."""

    src: str
    dst: str
    kind: str = "data"  # belt, h or data
    flow: float = None
    grad: float = None
    tip: str = ""
    lit: bool = True
    label: str = ""
    color: str = PLAIN
    width: float = 1.0
    dashed: bool = False
    rail: str = None  # the belt's colour, drawn on both sides of the gradient's
    arrow: bool = True
    points: list = field(default_factory=list)  # the route, set by the layout


@dataclass
class Plan:
    """One panel's boxes (by key, in drawing order) and links."""

    title: str
    boxes: dict
    links: list
    steps: dict = field(default_factory=dict)  # step -> its cell's kind ("LSTM", ...)
    collapsed: bool = False


class GradientScale:
    """Maps ‖gradient‖ to an edge colour and width on a log scale (one scale per picture)."""

    def __init__(self, norms, decades=8):
        logs = [math.log10(n) for n in norms if n and n > 0 and math.isfinite(n)]
        self.hi = math.ceil(max(logs)) if logs else 0
        self.lo = max(math.floor(min(logs)), self.hi - decades) if logs else -1
        if self.lo >= self.hi:
            self.lo = self.hi - 1

    def fraction(self, norm):
        if not norm or norm <= 0:
            return 0.0
        return min(1.0, max(0.0, (math.log10(norm) - self.lo) / (self.hi - self.lo)))

    def color(self, norm):
        x = self.fraction(norm) * (len(RAMP) - 1)
        k = min(int(x), len(RAMP) - 2)
        a, b = _rgb(RAMP[k]), _rgb(RAMP[k + 1])
        return "#" + "".join(f"{round(u + (v - u) * (x - k)):02x}" for u, v in zip(a, b))

    def width(self, norm):
        return 0.8 + 4.7 * self.fraction(norm)

    def ticks(self):
        """[(exponent, colour, width)] for the legend, one per decade."""
        return [(e, self.color(10.0**e), self.width(10.0**e)) for e in range(self.lo, self.hi + 1)]


def _rgb(hex_color):
    return [int(hex_color[k : k + 2], 16) for k in (1, 3, 5)]


def subscript(digits):
    return str(digits).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def shape_text(shape):
    return "×".join(str(n) for n in shape) or "scalar"


def number(x):
    return "not recorded" if x is None else f"{x:.3g}"


def kind_of_cell(names):
    """The cell a step holds, told from the names of its tensors."""
    return "LSTM" if "c" in names else ("GRU" if "z" in names else "RNN")


def style_link(link, scale, belt_rail=True):
    """Colour, width and dash of a link: the gradient along it (when ``scale``), the belt's
    rails around it; an edge that carried nothing is thin, grey and dashed."""
    base = {"belt": 4.0, "h": 2.0}.get(link.kind, 1.0)
    if scale is None:
        link.color, link.width = {"belt": BELT, "h": H_PATH}.get(link.kind, PLAIN), base
    elif not link.flow:
        link.color, link.width, link.dashed = NONE, 0.9, True
    else:
        link.color, link.width = scale.color(link.flow), scale.width(link.flow)
    if scale is not None and link.kind == "belt" and belt_rail:
        link.rail = BELT
    if not link.lit:
        link.color, link.width, link.rail, link.dashed = FADED, 1.0, None, False


def link_tip(name, shape, consumer, flow, grad):
    """The tooltip of an edge: what it carries, where to, the gradient along it and the total."""
    lines = [f"{name} {shape} → {consumer}"]
    if flow is not None:
        lines.append(f"gradient along this edge: {number(flow)}" + (" (none flowed)" if not flow else ""))
    if grad is not None:
        lines.append(f"‖∂L/∂{name}‖ in total: {number(grad)}")
    return "\n".join(lines)


class Views:
    """Builds the plans of one graph (a ``GraphIndex``) for panel number ``panel``."""

    def __init__(self, index, panel=0, weights=True, highlight=None):
        self.ix, self.p = index, f"p{panel}:"
        self.belt = index.belt_edges()
        self.step = {k: step_of(op.scope) for k, op in index.ops.items()}
        self.made_by = {v.id: v.maker for v in index.values.values()}
        self.dropped = set() if weights else self._weight_values()
        self.hidden = self._hidden_ops()
        self.after = self._after_steps()
        self.lit_ops, self.lit_names = self._lit(highlight)
        self.merged = self._merged_gates()

    # -- which values and ops are drawn -------------------------------------------------
    def _weight_values(self):
        """The parameters and what is made from them alone (transposes, summed biases)."""
        ix = self.ix
        weights = {v.id for v in ix.values.values() if v.kind == "parameter"}
        for op in ix.ops.values():  # oldest first: an op's inputs are decided before it
            if all(v in weights for v in op.inputs):
                weights.update(v for v in op.outputs if v is not None)
        return weights

    def _hidden_ops(self):
        """Ops not drawn: those of dropped weights, and transposes of a leaf read only inside
        the steps (their output is drawn as a copy, ``weight_hh_l0ᵀ``, in each step)."""
        ix, hidden = self.ix, set()
        for k, op in ix.ops.items():
            if all(v in self.dropped for v in op.inputs):
                hidden.add(k)
            elif op.op == "permute" and self.step[k] is None and ix.values[op.inputs[0]].maker is None:
                readers = [e.consumer for v in op.outputs if v is not None for e in ix.consumers[v]]
                if readers and all(self.step[c] is not None for c in readers):
                    hidden.add(k)
        return hidden

    def _after_steps(self):
        """The ops outside the steps drawn after them: those that read what a step made (outputs,
        losses, the next layer's projection), and those that only feed such ops."""
        ix, after = self.ix, set()
        for k, op in ix.ops.items():
            makers = [self.made_by[v] for v in op.inputs if self.made_by[v] is not None]
            if self.step[k] is None and any(self.step[m] or m in after for m in makers):
                after.add(k)
        for k in reversed(list(ix.ops)):  # newest first: an op's readers are decided before it
            readers = [e.consumer for v in ix.ops[k].outputs if v is not None for e in ix.consumers[v]]
            if self.step[k] is None and readers and all(r in after for r in readers):
                after.add(k)
        return after

    def _merged_gates(self):
        """{value id: op id} for gates drawn inside the op that makes them (``f = σ``)."""
        merged = {}
        for v in self.ix.values.values():
            op = self.ix.ops.get(v.maker)
            if v.name in GATES and op is not None and op.outputs == (v.id,) and v.id not in self.ix.roots:
                merged[v.id] = op.id
        return merged

    def _lit(self, highlight):
        """The ops and tensor names of the highlighted part: for each tensor with a highlighted
        name, the ops that compute it (back through its activation, split and matmul) and
        those that use it. (None, None): everything is lit."""
        if highlight is None:
            return None, None
        names = HIGHLIGHTS.get(highlight, highlight) if isinstance(highlight, str) else tuple(highlight)
        ix, lit = self.ix, set()
        for v in ix.values.values():
            if v.name not in names:
                continue
            lit.update(e.consumer for e in ix.consumers[v.id])
            if v.maker is None:
                continue
            for x in ix.ops[v.maker].inputs:  # c = f * c + i * g: the products that make it belong to it
                maker = ix.values[x].maker
                if maker is not None and ix.ops[maker].op == "mul":
                    lit.add(maker)
            k, depth = v.maker, 0
            while k is not None and depth < 4 and (depth == 0 or ix.ops[k].op in ("sigmoid", "tanh", "split", "addmm")):
                lit.add(k)
                makers = [ix.values[x].maker for x in ix.ops[k].inputs]
                main = [m for m in makers if m is not None and ix.ops[m].op in ("split", "addmm")]
                k, depth = (main or makers or [None])[0], depth + 1
        return lit, set(names)

    def _value_lit(self, v):
        if self.lit_ops is None or v.name in self.lit_names or v.maker in self.lit_ops:
            return True
        return any(e.consumer in self.lit_ops for e in self.ix.consumers[v.id])

    def _op_lit(self, k):
        return self.lit_ops is None or k in self.lit_ops

    # -- labels and tooltips ------------------------------------------------------------
    def value_label(self, v):
        ix = self.ix
        if v.param:
            return v.param
        if v.name in STATES:
            step = step_of(ix.ops[v.maker].scope) if v.maker is not None else None
            return f"{v.name} (initial)" if step is None else v.name + subscript(step_number(step))
        if v.name:
            return v.name
        if v.maker is not None and ix.ops[v.maker].op == "permute":
            inner = ix.values[ix.ops[v.maker].inputs[0]]
            return f"{inner.param or inner.name or inner.kind}ᵀ"
        if v.kind == "constant":
            return f"{v.constant:g}"
        if v.maker is None:
            return v.kind
        return "output" if v.id in ix.roots else "tensor"

    def value_tip(self, v, label):
        meaning = STATES.get(v.name, GATES.get(v.name, (None, v.kind)))[1]
        lines = [f"{meaning} {label}: {shape_text(v.shape)}, {v.dtype}"]
        if v.maker is not None:
            op = self.ix.ops[v.maker]
            lines.append(f"made by {op.op} in {'/'.join(op.scope) or 'top level'}")
        if v.grad is not None:
            lines.append(f"‖∂L/∂{v.name or label}‖ = {number(v.grad)}")
        return "\n".join(lines)

    def op_tip(self, op):
        ix = self.ix
        ins = ", ".join(shape_text(ix.values[v].shape) for v in op.inputs)
        outs = ", ".join(shape_text(ix.values[v].shape) for v in op.outputs if v is not None)
        dtype = ix.values[op.inputs[0]].dtype if op.inputs else ""
        lines = [
            f"{op.op} in {'/'.join(op.scope) or 'top level'}",
            f"reads {ins} → {outs or 'nothing kept'} ({dtype})",
            f"keeps {op.kept_bytes:,} bytes for backward",
        ]
        for v in op.outputs:
            if v in self.merged:
                lines.insert(1, self.value_tip(ix.values[v], ix.values[v].name))
        return "\n".join(lines)

    def op_label(self, op):
        gate = next((self.ix.values[v] for v in op.outputs if v in self.merged), None)
        symbol = SYMBOLS.get(op.op, op.op)
        return f"{gate.name} = {symbol}" if gate is not None else symbol

    # -- boxes --------------------------------------------------------------------------
    def op_box(self, k, block):
        op, lit = self.ix.ops[k], self._op_lit(k)
        gate = next((self.ix.values[v] for v in op.outputs if v in self.merged), None)
        box = Box(
            key=f"{self.p}o{k}",
            label=self.op_label(op),
            role="gate" if gate else "op",
            block=block,
            tip=self.op_tip(op),
            shape="circle" if op.op in SYMBOLS and op.op != "sigmoid" and not gate else "round",
            op=k,
            name=f"{op.op} {gate.name if gate else ''}",
            lit=lit,
            pin=any((v, k) in self.belt for v in op.inputs),
        )
        if gate is not None:
            box.fill, box.value = GATES[gate.name][0], gate.id
        return _fade(box)

    def value_box(self, v, block, key=None, copy=False):
        label = self.value_label(v)
        if copy and v.maker is not None and self.ix.ops[v.maker].op in ("unbind", "split") and isinstance(block, tuple):
            label = "input" + subscript(step_number(block))  # a step's share of an input cut into steps
        if v.name in STATES:
            fill = STATES[v.name][0]
        elif v.name in GATES:
            fill = GATES[v.name][0]
        elif v.kind == "parameter" or (v.maker is not None and self.ix.ops[v.maker].op == "permute"):
            fill = PARAMETER
        elif v.maker is None or copy:
            fill = INPUT if v.kind != "constant" else "#eeeeee"
        else:
            fill = "#ffffff"
        box = Box(
            key=key or f"{self.p}v{v.id}",
            label=label,
            role="copy" if copy else self._value_role(v),
            block=block,
            tip=self.value_tip(v, label) + ("\n(a copy: drawn where it is used)" if copy else ""),
            fill=fill,
            shape="box" if v.maker is None or copy else "round",
            dashed=copy,
            value=v.id,
            name=" ".join(filter(None, (label, v.name, v.param))),
            lit=self._value_lit(v),
            pin=(v.id, None) in self.belt,
        )
        if box.role == "output":
            box.stroke, box.shape = "#333333", "box"
        return _fade(box)

    def _value_role(self, v):
        if v.id in self.ix.roots:
            return "output"
        if v.name in STATES:
            return "state"
        if v.maker is None:
            return v.kind
        return "gate" if v.name in GATES else "tensor"

    def consumer_box(self, k, block, label=None):
        op = self.ix.ops[k]
        return Box(
            key=f"{self.p}o{k}@{'/'.join(block)}",
            label=f"→ {op.op}" if label is None else label,
            role="consumer",
            block=block,
            tip=f"read by {op.op} in {'/'.join(op.scope) or 'top level'}",
            fill="#f7f7f7",
            stroke="#999999",
            color="#555555",
            dashed=True,
            op=k,
            name=op.op,
            target=f"{self.p}o{k}",
        )

    # -- the views ----------------------------------------------------------------------
    def expanded(self, title, scale, only=None):
        """Every primitive (``only``: the ops of one step, with copies for what crosses its
        border: the lens of the interactive page)."""
        ix, boxes, links = self.ix, {}, []
        drawn = [k for k in ix.ops if k not in self.hidden and (only is None or self.step[k] == only)]
        where = {k: self.step[k] or ("post" if k in self.after else "pre") for k in drawn}
        for k in drawn:
            box = self.op_box(k, where[k])
            boxes[box.key] = box
        src_of = {}  # value id -> key of the box its edges start from, and that box's block
        for v in ix.values.values():
            if v.id in self.dropped:
                continue
            if v.id in self.merged and self.merged[v.id] in where:
                src_of[v.id] = (f"{self.p}o{self.merged[v.id]}", where[self.merged[v.id]])
                continue
            shown = v.maker is None or v.name or v.id in ix.roots
            if v.maker is not None and v.maker not in where:
                continue  # made where this view does not look: drawn as copies
            if not shown:
                src_of[v.id] = (f"{self.p}o{v.maker}", where[v.maker])
                continue
            readers = [e.consumer for e in ix.consumers[v.id] if e.consumer in where]
            block = where.get(v.maker) or self._leaf_block(readers, where)
            if block is None:
                continue  # a leaf read only inside steps: drawn as a copy in each
            box = self.value_box(v, block)
            boxes[box.key] = box
            src_of[v.id] = (box.key, block)
            if v.maker is not None:
                links.append(self._link(boxes[f"{self.p}o{v.maker}"], box, v, None, v.grad, (v.id, None)))
        for e in ix.edges:
            if e.consumer not in where or e.value in self.dropped:
                continue
            v, dst_block = ix.values[e.value], where[e.consumer]
            dst = boxes[f"{self.p}o{e.consumer}"]
            src, src_block = src_of.get(e.value, (None, None))
            if src is None or (isinstance(dst_block, tuple) and not isinstance(src_block, tuple)):
                src = self._copy(boxes, v, dst_block)  # drawn again inside the step that reads it
            elif isinstance(src_block, tuple) and not isinstance(dst_block, tuple):
                src, dst = boxes[src], self._stub(boxes, e.consumer, src_block)  # a stub where it leaves the step
            else:
                src = boxes[src]
            links.append(self._link(src, dst, v, e.consumer, e.flow, (e.value, e.consumer)))
        if only is not None:
            self._lens_exits(only, boxes, links, src_of)
        return Plan(title, boxes, links)

    def _leaf_block(self, readers, where):
        """Where a leaf is drawn: outside the steps when something there reads it, else nowhere
        (copies stand for it in each step)."""
        outside = [where[k] for k in readers if not isinstance(where[k], tuple)]
        return ("pre" if "pre" in outside else "post") if outside else None

    def _copy(self, boxes, v, block):
        key = f"{self.p}v{v.id}@{'/'.join(block)}"
        if key not in boxes:
            box = self.value_box(v, block, key=key, copy=True)
            if v.maker is not None and not (v.name or v.param):
                box.target = f"{self.p}o{v.maker}"
            else:
                box.target = f"{self.p}v{v.id}"
            step = step_of(self.ix.ops[v.maker].scope) if v.maker is not None else None
            if step is not None:
                box.target = self.cell_key(step)
            boxes[key] = box
        return boxes[key]

    def _stub(self, boxes, k, block, label=None):
        key = f"{self.p}o{k}@{'/'.join(block)}"
        if key not in boxes:
            box = self.consumer_box(k, block, label)
            box.lit = self._op_lit(k)
            boxes[key] = _fade(box)
            if self.step[k] is not None:
                boxes[key].target = self.cell_key(self.step[k])
        return boxes[key]

    def _lens_exits(self, only, boxes, links, src_of):
        """In a lens: stubs for the ops of other steps that read this step's values."""
        ix = self.ix
        for e in ix.edges:
            maker = self.made_by[e.value]
            if maker is None or self.step[maker] != only or self.step[e.consumer] in (only, None):
                continue
            if e.value not in src_of:
                continue
            label = f"→ step {step_number(self.step[e.consumer])}"
            dst = self._stub(boxes, e.consumer, only, label)
            src = boxes[src_of[e.value][0]]
            links.append(self._link(src, dst, ix.values[e.value], e.consumer, e.flow, (e.value, e.consumer)))

    def _link(self, src, dst, v, consumer, flow, belt_key):
        name = self.value_label(v)
        target = self.ix.ops[consumer].op if consumer is not None else name
        kind = "belt" if belt_key in self.belt else ("h" if v.name == "h" else "data")
        lit = src.lit and dst.lit
        return Link(
            src.key,
            dst.key,
            kind=kind,
            flow=flow,
            grad=v.grad,
            tip=link_tip(name, shape_text(v.shape), target, flow, v.grad),
            lit=lit,
        )

    # -- the collapsed view -------------------------------------------------------------
    def cell_key(self, step):
        return f"{self.p}s:{'/'.join(step)}"

    def collapsed(self, title, scale):
        """One box per cell per time step, joined by the c edge (the belt) and the h edge;
        the ops after the steps follow, each step's value reaching them through a stub."""
        ix, boxes, links = self.ix, {}, []
        names, ops_in, kept = defaultdict(set), defaultdict(list), defaultdict(int)
        for k, op in ix.ops.items():
            step = self.step[k]
            if step is not None:
                ops_in[step].append(op.op)
                kept[step] += op.kept_bytes
                names[step].update(ix.values[v].name for v in op.outputs if v is not None)
        states = defaultdict(dict)
        for v in ix.values.values():
            if v.maker is not None and self.step[v.maker] and v.name in STATES:
                states[self.step[v.maker]][v.name] = v.grad
        steps = sorted(ops_in, key=lambda s: (s[:-1], step_number(s)))
        for step in steps:
            kind = kind_of_cell(names[step])
            t = step_number(step)
            counts = ", ".join(f"{n}×{op}" if n > 1 else op for op, n in _counted(ops_in[step]))
            norms = "".join(
                f"\n‖∂L/∂{name}{subscript(t)}‖ = {number(g)}" for name, g in sorted(states[step].items(), reverse=True)
            )
            box = Box(
                key=self.cell_key(step),
                label=f"t{t}",
                role="cell",
                block=step,
                tip=f"{kind} step {t} ({'/'.join(step)}): {counts}{norms}\nkeeps {kept[step]:,} bytes for backward"
                "\nclick to see its primitives",
                fill="#fff7ec",
                stroke="#a0a0a0",
                name=f"t{t} {'/'.join(step)}",
            )
            boxes[box.key] = box
        for k in (k for k in ix.ops if k in self.after):
            box = self.op_box(k, "post")
            boxes[box.key] = box
        for v in ix.values.values():
            if v.id in ix.roots and v.maker in self.after:
                box = self.value_box(v, "post")
                boxes[box.key] = box
                links.append(self._link(boxes[f"{self.p}o{v.maker}"], box, v, None, v.grad, (v.id, None)))
        bundles = defaultdict(list)  # (src key, dst key, kind) -> edges
        for e in ix.edges:
            maker = self.made_by[e.value]
            if maker is None or e.consumer in self.hidden:
                continue
            a, b = self.step[maker], self.step[e.consumer]
            if a is not None and b is not None and a != b:
                src, dst = boxes[self.cell_key(a)], boxes[self.cell_key(b)]
            elif a is not None and e.consumer in self.after:
                src, dst = boxes[self.cell_key(a)], self._stub(boxes, e.consumer, a, label="")
            elif maker in self.after and e.consumer in self.after:
                src, dst = boxes[f"{self.p}o{maker}"], boxes[f"{self.p}o{e.consumer}"]
            else:
                continue
            name = ix.values[e.value].name
            kind = "belt" if name == "c" else ("h" if name == "h" else "data")
            bundles[src.key, dst.key, kind].append(e)
        for (a, b, kind), edges in bundles.items():
            links.append(self._bundle(a, b, kind, edges))
        return Plan(title, boxes, links, steps={s: kind_of_cell(names[s]) for s in steps}, collapsed=True)

    def _bundle(self, a, b, kind, edges):
        """One link standing for ``edges``: its flow is the edge's own when there is one, the
        tensor's total when the bundle holds every edge that reads it, else the sum of the
        edges' norms (a bound on the norm of their sum)."""
        ix = self.ix
        values = {e.value for e in edges}
        first = ix.values[edges[0].value]
        flows = [e.flow for e in edges]
        if len(edges) == 1 or any(f is None for f in flows):
            flow, how = flows[0], ""
        elif len(values) == 1 and len(ix.consumers[first.id]) == len(edges):
            flow, how = first.grad, f" (all {len(edges)} edges that read it)"
        else:
            flow, how = sum(flows), f" (sum over {len(edges)} edges)"
        names = sorted({self.value_label(ix.values[v]) for v in values})
        target = ix.ops[edges[0].consumer]
        step = step_of(target.scope)
        where = f"step {step_number(step)}" if step else target.op
        tip = link_tip(", ".join(names), shape_text(first.shape), where, flow, first.grad if len(values) == 1 else None)
        if how:
            tip = tip.replace("gradient along this edge", "gradient along these edges" + how, 1)
        link = Link(a, b, kind=kind, flow=flow, grad=first.grad if len(values) == 1 else None, tip=tip)
        return link


def _counted(items):
    counts = defaultdict(int)
    for item in items:
        counts[item] += 1
    return list(counts.items())


def _fade(box):
    if not box.lit:
        box.fill, box.stroke, box.color = "#f7f7f7", FADED, "#bbbbbb"
    return box
