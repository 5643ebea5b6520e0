"""Drawing the graph the engine recorded: one box per scope (layer, direction, time step), the
cell-state belt c_{t-1} → ×f → + → c_t, the h path, and, after a backward pass made inside
``tg.keep_grads()``, the size of the gradient on every edge.

The drawing only reads the graph: Function nodes (op, inputs, weak outputs, scope) and the
tensors' names. Cells and layers know nothing about it.
"""

import math
import re
from collections import defaultdict

import graphviz
import numpy as np

from ..tensor import Tensor

GATES = {  # name: (fill colour, meaning in the seed)
    "f": ("#f4c7c3", "forget gate"),
    "i": ("#c8e6c9", "input gate"),
    "g": ("#e1d5e7", "candidate C̃"),
    "o": ("#c6dbef", "output gate"),
    "r": ("#ffe0b2", "reset gate"),
    "z": ("#f4c7c3", "update gate"),
    "n": ("#e1d5e7", "candidate"),
}
BELT = "#f28e2b"  # the cell-state path
H_PATH = "#4e79a7"  # the hidden-state path
FADED = "#d9d9d9"
RAMP = ["#f7f4f9", "#d4b9da", "#df65b0", "#ce1256", "#67001f"]  # small gradient -> large
STEP = re.compile(r"t(\d+)$")

# The seed's four questions: which named tensors each picture lights up.
HIGHLIGHTS = {
    "forget": ("f",),  # what do I forget?
    "write": ("i", "g"),  # what do I write?
    "update": ("c",),  # forget and write together
    "output": ("o", "h"),  # what do I read out?
}


class Value:
    """What flows along an edge of the recorded graph, as drawings see it: a leaf tensor, or
    output ``slot`` of node ``creator`` (whose tensor may be gone: the node keeps its shape,
    dtype and name). ``tensor`` is the live tensor, when there is one; ``key`` names it."""

    def __init__(self, creator=None, slot=0, leaf=None):
        self.creator, self.slot = creator, slot
        self.tensor = leaf if creator is None else creator.output(slot)
        if creator is None:
            self.key, self.name, self.shape = id(leaf), leaf.name, leaf.shape
            self.dtype, self.requires_grad = leaf.dtype, leaf.requires_grad
        else:
            self.key, self.name, self.shape = (creator.seq, slot), creator.output_name(slot), creator.shapes[slot]
            self.dtype, self.requires_grad = creator.dtype, True

    @property
    def grad_norm(self):
        """‖∂L/∂ this value‖ from the last backward pass made inside ``keep_grads()`` (None: none)."""
        if self.creator is not None and self.creator.totals is not None:
            return self.creator.totals[self.slot]
        grad = None if self.tensor is None else self.tensor.grad
        return None if grad is None else float(np.linalg.norm(grad.numpy().astype(np.float64).ravel()))

    @property
    def size(self):
        return int(np.prod(self.shape))

    def item(self):
        return self.tensor.item()


class GraphIndex:
    """The recorded graph behind ``outputs``: its nodes in creation order, the Value on each
    of their inputs, and, for every Value, the nodes that consume it. Drawings read the
    engine's graph only through this class."""

    def __init__(self, outputs):
        self.outputs = [Value(t.creator, t._oi) if t.creator is not None else Value(leaf=t) for t in outputs]
        self.tensors = {v.key: v for v in self.outputs}
        self.consumers = defaultdict(list)
        self.inputs = {}
        nodes, stack = set(), [v.creator for v in self.outputs if v.creator is not None]
        while stack:
            f = stack.pop()
            if f in nodes:
                continue
            nodes.add(f)
            values = []
            for k in range(len(f.parents)):
                parent, where = f.source(k)
                v = Value(parent, where) if parent is not None else Value(leaf=where)
                v = self.tensors.setdefault(v.key, v)
                values.append(v)
                self.consumers[v.key].append(f)
                if parent is not None:
                    stack.append(parent)
            self.inputs[f] = values
        self.nodes = sorted(nodes, key=lambda f: f.seq)

    def step_of(self, scope):
        """The scope up to its time step (``("layer0", "forward", "t3")``), or None."""
        for k, name in enumerate(scope):
            if STEP.match(name):
                return scope[: k + 1]
        return None

    def belt_edges(self):
        """The edges (tensor id, consumer node) on the paths c_{t-1} → ×f → + → c_t: from a
        tensor named "c" through mul/add/sub nodes to the next one; (id(c_t), "out") marks
        the edge from c_t's maker to c_t itself."""
        belt = set()
        for t in self.tensors.values():
            if t.name == "c" and t.creator is not None and self._reaches_c(t.creator, belt, depth=0):
                belt.add((t.key, "out"))
        return belt

    def _reaches_c(self, f, belt, depth):
        """Does a path back from node ``f``, through at most 3 mul/add/sub nodes, reach a c?"""
        if f.op not in ("add", "mul", "sub") or depth > 3:
            return False
        found = False
        for x in self.inputs[f]:
            if x.name == "c" or (x.creator is not None and self._reaches_c(x.creator, belt, depth + 1)):
                belt.add((x.key, f))
                found = True
        return found


def _norm(t):
    return t.grad_norm


class GradientScale:
    """Maps ‖grad‖ to an edge colour and width on a log scale (one scale for a whole picture)."""

    def __init__(self, norms, decades=8):
        logs = [math.log10(n) for n in norms if n and n > 0]
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
        mix = [round(u + (v - u) * (x - k)) for u, v in zip(a, b)]
        return "#" + "".join(f"{v:02x}" for v in mix)

    def width(self, norm):
        return 0.4 + 5.6 * self.fraction(norm)

    def legend(self):
        """An HTML-like label: the colour ramp with its decades."""
        cells = []
        for e in range(self.lo, self.hi + 1):
            norm = 10.0**e
            cells.append(
                f'<TD BGCOLOR="{self.color(norm)}" WIDTH="34" HEIGHT="{2 + round(self.width(norm) * 2)}"></TD>'
            )
        ticks = "".join(f'<TD><FONT POINT-SIZE="9">1e{e}</FONT></TD>' for e in range(self.lo, self.hi + 1))
        return (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1">'
            f'<TR><TD COLSPAN="{self.hi - self.lo + 1}"><B>‖gradient‖ on each edge (log scale)</B></TD></TR>'
            f"<TR>{''.join(cells)}</TR><TR>{ticks}</TR></TABLE>>"
        )


def _rgb(hex_color):
    return [int(hex_color[k : k + 2], 16) for k in (1, 3, 5)]


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders itself in Jupyter with the renderer ``render`` picks
    (the system ``dot``, else the bundled graphviz-pure), so it shows after a plain pip install."""

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        from .renderer import render_bytes

        return {"image/svg+xml": render_bytes(self, "svg").decode("utf-8")}


def _subscript(digits):
    return digits.translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _shape(t):
    return "×".join(str(n) for n in t.shape) or "scalar"


def draw_graph(*outputs, title=None, **options):
    """Draw the graph behind ``outputs`` (tensors) as a ``graphviz.Digraph``.

    Options (those of ``draw_panels``):

    - ``params``: a Module or a {name: tensor} dict (or a list of them), to label parameters.
    - ``collapse``: True draws one node per cell per time step with the c and h edges
      between them; False draws every primitive; "auto" (default) collapses graphs of more
      than ``max_expanded_steps`` (8) time steps.
    - ``grads``: True colours and sizes every edge by ‖grad‖ of the tensor it carries (the
      backward pass must have run inside ``tg.keep_grads()``), with a legend; "auto"
      (default) does so when the gradients are there.
    - ``highlight``: "forget", "write", "update" or "output" (the seed's four questions),
      or a tuple of tensor names: that part of the graph is drawn strong, the rest faded.
    - ``weights``: False leaves out the parameters and what is made from them alone.
    - ``rankdir``: "LR" (time flows left to right, the default) or "TB".
    """
    return draw_panels({title or "": outputs}, titled=bool(title), **options)


def draw_panels(
    panels,
    params=None,
    collapse="auto",
    grads="auto",
    highlight=None,
    weights=True,
    rankdir="LR",
    max_expanded_steps=8,
    titled=True,
):
    """Several graphs in one picture, one box per panel ({title: outputs}), sharing one
    gradient scale so that their edges compare: ``draw_panels({"RNN": loss1, "LSTM": loss2})``.
    The options are those of ``draw_graph``."""
    indexes = {
        title: GraphIndex([outputs] if isinstance(outputs, Tensor) else outputs) for title, outputs in panels.items()
    }
    names = _param_names(params)
    norms = [_norm(t) for ix in indexes.values() for t in ix.tensors.values()]
    with_grads = any(n is not None for n in norms) if grads == "auto" else bool(grads)
    scale = GradientScale(norms) if with_grads else None
    if isinstance(highlight, str) and highlight not in HIGHLIGHTS:
        raise ValueError(f"draw_graph: unknown highlight {highlight!r}; use one of {list(HIGHLIGHTS)} or tensor names")
    lit = HIGHLIGHTS.get(highlight, highlight) if highlight else None
    dot = Drawing(
        graph_attr={
            "rankdir": rankdir,
            "fontname": "Helvetica",
            "nodesep": "0.15",
            "ranksep": "0.3",
            "newrank": "true",
            "compound": "true",
            "bgcolor": "white",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "10", "height": "0.3"},
        edge_attr={"arrowsize": "0.5", "color": "#555555"},
    )
    for k, (title, index) in enumerate(indexes.items()):
        steps = {index.step_of(f.scope) for f in index.nodes} - {None}
        collapsed = collapse if collapse != "auto" else len(steps) > max_expanded_steps
        painter = _Painter(index, names, scale, lit, prefix=f"p{k}_", weights=weights)
        if titled and title:
            with dot.subgraph(name=f"cluster_panel{k}") as box:
                box.attr(label=title, fontsize="14", fontname="Helvetica-Bold", style="rounded", color="#999999")
                (painter.collapsed if collapsed else painter.expanded)(box)
        else:
            (painter.collapsed if collapsed else painter.expanded)(dot)
    if scale is not None:
        dot.node("legend", label=scale.legend(), shape="plaintext")
    return dot


def _param_names(params):
    """{id(parameter): name} from a Module, a {name: tensor} dict, or a list of them."""
    if params is None:
        return {}
    if isinstance(params, (list, tuple)):
        return {k: v for item in params for k, v in _param_names(item).items()}
    items = params.named_parameters() if hasattr(params, "named_parameters") else params.items()
    return {id(p): name for name, p in items}


class _Painter:
    """Writes the nodes and edges of one GraphIndex into a digraph (or a cluster of one)."""

    def __init__(self, index, names, scale, lit, prefix, weights=True):
        self.ix, self.names, self.scale, self.lit, self.p = index, names, scale, lit, prefix
        self.weights = weights
        self.numbers = {tid: k for k, tid in enumerate(index.tensors)}  # stable node names, run after run
        self.belt = index.belt_edges()

    def _node(self, tid):
        return f"{self.p}t{self.numbers[tid]}"

    # -- what each thing looks like -----------------------------------------------
    def _tensor_label(self, t):
        name = self.names.get(t.key) or t.name
        if name is None and t.creator is not None and t.creator.op == "permute":
            inner = self.ix.inputs[t.creator][0]
            base = self.names.get(inner.key) or inner.name
            name = f"{base}ᵀ" if base else None
        if name is None and t.creator is None and not t.requires_grad and t.size == 1:
            return f"{t.item():g}"  # a constant, like the 1 of 1 - z
        if name is None:
            name = ("parameter" if t.requires_grad else "input") if t.creator is None else "output"
        return f"{name}\\n{_shape(t)}"

    def _tensor_style(self, t, step=None):
        if t.name in GATES:
            fill, meaning = GATES[t.name]
            return {
                "shape": "circle",
                "style": "filled",
                "fillcolor": fill,
                "label": t.name,
                "width": "0.3",
                "fixedsize": "true",
                "tooltip": f"{meaning} {t.name}, {_shape(t)}",
            }
        if t.name in ("c", "h"):
            fill, meaning = ("#fde0c5", "cell state") if t.name == "c" else ("#dbe6f3", "hidden state")
            label = self._state_label(t)
            return {
                "shape": "box",
                "style": "rounded,filled",
                "fillcolor": fill,
                "label": label,
                "tooltip": f"{meaning} {label}, {_shape(t)}",
            }
        if t.creator is not None and t.creator.op in ("unbind", "split") and step is not None:
            k = _subscript(STEP.match(step[-1]).group(1))
            return {
                "shape": "box",
                "style": "filled",
                "fillcolor": "#d9f0d3",
                "label": f"input{k}",
                "fontsize": "9",
                "tooltip": f"the input of step {k} (one slice of an input cut into steps), {_shape(t)}",
            }
        if t.creator is None or (t.creator.op == "permute" and self.ix.inputs[t.creator][0].creator is None):
            kind = "parameter" if t.requires_grad else "input"
            fill = "#fff2b3" if t.requires_grad else "#d9f0d3"
            return {
                "shape": "box",
                "style": "filled",
                "fillcolor": fill,
                "label": self._tensor_label(t),
                "fontsize": "9",
                "tooltip": f"{kind}, {_shape(t)}",
            }
        return {"shape": "doubleoctagon", "label": self._tensor_label(t), "tooltip": _shape(t)}

    def _state_label(self, t):
        """c₃ for the cell state made by step 3; "c (initial)" for the state the first step gets."""
        step = self.ix.step_of(t.creator.scope) if t.creator is not None else None
        if step is None:
            return f"{t.name} (initial)"
        return t.name + _subscript(STEP.match(step[-1]).group(1))

    def _is_fan(self, t, consumer):
        """An edge from outside the time steps into one (the inputs fanning out to the steps):
        it must not pull the steps out of their row (graphviz: constraint=false)."""
        made = self.ix.step_of(t.creator.scope) if t.creator is not None else None
        return made is None and self.ix.step_of(consumer.scope) is not None

    def _edge(self, graph, a, b, t, kind="data", lit=True, fan=False, label=None, norm=...):
        """One edge carrying tensor ``t``: the belt (kind "belt") and h path keep their colour
        as rails around the gradient's colour; width and colour show ‖grad‖ on a log scale
        (``norm``: the one to draw, when not ``t``'s own, as for an edge that stands for many)."""
        attrs = {"tooltip": f"{t.name or 'tensor'} {_shape(t)}", "weight": {"belt": "8", "h": "4"}.get(kind, "1")}
        if label:
            attrs.update(label=label, fontsize="8", fontcolor="#777777")
        if fan:
            attrs["constraint"] = "false"
        core, width = None, {"belt": 5.0, "h": 2.5}.get(kind, 1.0)
        if self.scale is not None:
            norm = _norm(t) if norm is ... else norm  # a collapsed edge brings the norm of all it carries
            if norm is None or norm == 0:  # no gradient reached this tensor
                core, width = "#bbbbbb", 1.0
                attrs["style"] = "dashed"
                attrs["tooltip"] += ", no gradient" if norm is None else ", zero gradient"
            else:
                core, width = self.scale.color(norm), self.scale.width(norm)
                attrs["tooltip"] += f", ‖grad‖ = {norm:.3g}"
        rail = {"belt": BELT, "h": None}.get(kind)
        if kind == "h" and core is None:
            core = H_PATH
        if rail and core:  # the belt's rails frame the gradient it carries
            attrs["color"], width = f"{rail}:{core}:{rail}", max(width, 1.5)
        else:
            attrs["color"] = rail or core or "#555555"
        attrs["penwidth"] = f"{width:.2f}"
        if not lit:
            attrs.update(color=FADED, penwidth="1", style="solid")
        graph.edge(a, b, **attrs)

    # -- the expanded view ----------------------------------------------------------
    def expanded(self, graph):
        ix, p = self.ix, self.p
        outputs = {v.key for v in ix.outputs}
        shown = {tid for tid, t in ix.tensors.items() if t.creator is None or t.name or tid in outputs}
        clusters = _ClusterTree(graph, p)
        shared = self._shared_tensors()
        lit_nodes = self._lit_nodes()
        hidden = self._hidden(shared)
        dropped = set() if self.weights else self._weight_tensors()
        hidden |= {f for f in ix.nodes if all(x.key in dropped for x in ix.inputs[f])}
        for f in ix.nodes:
            if f in hidden:
                continue
            lit = f in lit_nodes
            clusters.at(f.scope).node(
                f"{p}f{f.seq}",
                label=f.op,
                shape="box",
                style="rounded,filled",
                fillcolor="white" if lit else "#fafafa",
                color="#555555" if lit else FADED,
                fontcolor="black" if lit else "#bbbbbb",
                fontsize="9",
                height="0.25",
                tooltip=f"{f.op} in {'/'.join(f.scope) or 'top level'}",
            )
        for tid in (tid for tid in ix.tensors if tid in shown and tid not in shared and tid not in dropped):
            t = ix.tensors[tid]
            if all(c in hidden for c in ix.consumers[tid]) and ix.consumers[tid]:
                continue
            scope = t.creator.scope if t.creator is not None else self._leaf_scope(t)
            if t.name in ("c", "h") and ix.step_of(scope) is not None:
                scope = ix.step_of(scope)[:-1]  # states sit between the steps, on the belt
            style = self._tensor_style(t)
            if not self._tensor_lit(t, lit_nodes):
                style.update(fillcolor="#f5f5f5", fontcolor="#bbbbbb", color=FADED)
            clusters.at(scope).node(self._node(tid), **style)
            if t.creator is not None:
                kind = "belt" if (tid, "out") in self.belt else ("h" if t.name == "h" else "data")
                self._edge(graph, f"{p}f{t.creator.seq}", self._node(tid), t, kind, self._tensor_lit(t, lit_nodes))
        for tid, t in ix.tensors.items():
            for f in ix.consumers[tid]:
                if f in hidden or tid in dropped:
                    continue
                lit = f in lit_nodes and self._tensor_lit(t, lit_nodes)
                if tid in shared:  # a weight, or a step's input: a small copy in the step's box
                    ghost = f"{self._node(tid)}_{f.seq}"
                    style = self._tensor_style(t, step=ix.step_of(f.scope))
                    style.update(style="dashed,filled", fontsize="8")
                    clusters.at(f.scope).node(ghost, **style)
                    self._edge(graph, ghost, f"{p}f{f.seq}", t, "data", lit)
                    continue
                source = self._node(tid) if tid in shown else f"{p}f{t.creator.seq}"
                kind = "belt" if (tid, f) in self.belt else ("h" if t.name == "h" else "data")
                self._edge(graph, source, f"{p}f{f.seq}", t, kind, lit, fan=self._is_fan(t, f))
        clusters.close()

    def _weight_tensors(self):
        """The parameters and what is made from them alone (their transposes, summed biases)."""
        params = set(self.names) or {tid for tid, t in self.ix.tensors.items() if t.creator is None and t.requires_grad}
        weights = {tid for tid in self.ix.tensors if tid in params}
        for f in self.ix.nodes:  # oldest first: a node's inputs are decided before it
            if all(x.key in weights for x in self.ix.inputs[f]):
                weights.update((f.seq, k) for k in range(len(f.shapes)))
        return weights

    def _hidden(self, shared):
        """The transposes whose output is drawn as copies in every step (the copies say ``W``ᵀ)."""
        return {self.ix.tensors[tid].creator for tid in shared if self.ix.tensors[tid].creator is not None}

    def _leaf_scope(self, t):
        scopes = {f.scope for f in self.ix.consumers[t.key]}
        return scopes.pop() if len(scopes) == 1 else ()

    def _shared_tensors(self):
        """Tensors made outside the time steps and drawn as a copy inside each step that uses
        them, instead of long edges: weights (and their transposes) used by several steps,
        and each step's slice of an input cut into steps (an unbind or split output)."""
        shared = set()
        for tid, t in self.ix.tensors.items():
            steps = {self.ix.step_of(f.scope) for f in self.ix.consumers[tid]} - {None}
            if not steps or (t.creator is not None and self.ix.step_of(t.creator.scope) is not None):
                continue
            weight = t.creator is None or t.creator.op == "permute"
            step_input = t.creator is not None and t.creator.op in ("unbind", "split") and len(steps) == 1
            if (weight and len(steps) >= 2) or step_input:
                shared.add(tid)
        return shared

    def _lit_nodes(self):
        """The nodes of the highlighted part: for each tensor with a highlighted name, the
        nodes that compute it (back through the gate's activation, split and matmul) and
        the nodes that use it."""
        if self.lit is None:
            return set(self.ix.nodes)
        lit = set()
        for tid, t in self.ix.tensors.items():
            if t.name not in self.lit:
                continue
            lit.update(self.ix.consumers[tid])
            if t.creator is not None:  # c = f * c + i * g: the products that make it belong to it
                lit.update(
                    x.creator for x in self.ix.inputs[t.creator] if x.creator is not None and x.creator.op == "mul"
                )
            f, depth = t.creator, 0
            while f is not None and depth < 4 and (depth == 0 or f.op in ("sigmoid", "tanh", "split", "addmm")):
                lit.add(f)
                main = max(
                    self.ix.inputs[f], key=lambda x: x.creator is not None and x.creator.op in ("split", "addmm")
                )
                f, depth = main.creator, depth + 1
        return lit

    def _tensor_lit(self, t, lit_nodes):
        """A tensor is lit when it is highlighted by name, or a lit node makes or uses it."""
        if self.lit is None or t.name in self.lit or t.creator in lit_nodes:
            return True
        return any(f in lit_nodes for f in self.ix.consumers[t.key])

    # -- the collapsed view ---------------------------------------------------------
    def collapsed(self, graph):
        """One node per cell per time step, in a row per layer and direction, joined by the
        c edge (the belt) and the h edge; the nodes after the steps (the outputs) follow."""
        ix, p = self.ix, self.p
        step_of = {f: ix.step_of(f.scope) for f in ix.nodes}
        downstream = self._after_steps(step_of)
        gates = defaultdict(set)
        for t in ix.tensors.values():
            if t.creator is not None and t.name and step_of[t.creator]:
                gates[step_of[t.creator]].add(t.name)

        def node_id_of_step(step):
            return p + "s_" + "_".join(re.sub(r"\W", "_", s) for s in step)

        def node_id(f):
            return node_id_of_step(step_of[f]) if step_of[f] else f"{p}f{f.seq}"

        clusters = _ClusterTree(graph, p)
        for step in sorted({s for s in step_of.values() if s}, key=lambda s: (s[:-1], int(s[-1][1:]))):
            names = gates[step]
            kind = "LSTM" if "c" in names else ("GRU" if "z" in names else "RNN")
            clusters.at(step[:-1]).node(
                node_id_of_step(step),
                label=f"{kind}\\n{step[-1]}",
                shape="box",
                style="rounded,filled",
                fillcolor="#fff7ec",
                fontsize="9",
                tooltip="/".join(step),
            )
        for f in sorted(downstream, key=lambda f: f.seq):
            clusters.at(f.scope).node(node_id(f), label=f.op, shape="box", style="rounded", fontsize="9")
        edges = {}  # (from, to, kind) -> (a tensor it carries, combined ‖grad‖, how many)
        for tid, t in ix.tensors.items():
            if t.creator is None or not (step_of[t.creator] or t.creator in downstream):
                continue
            for f in ix.consumers[tid]:
                if not (step_of[f] or f in downstream) or node_id(f) == node_id(t.creator):
                    continue
                kind = "belt" if t.name == "c" else ("h" if t.name == "h" else "data")
                a = node_id(t.creator)
                if step_of[t.creator] and f in downstream:  # every step's output gathered: one edge
                    a = p + "row_" + "_".join(re.sub(r"\W", "_", s) for s in step_of[t.creator][:-1])
                key = (a, node_id(f), kind)
                norm = _norm(t) if self.scale is not None else None
                _, old, count = edges.get(key, (t, None, 0))
                if old is not None and norm is not None:
                    norm = math.hypot(old, norm)
                edges[key] = (t, norm if norm is not None else old, count + 1)
        rows = {}
        for step in (s for s in step_of.values() if s):
            row = p + "row_" + "_".join(re.sub(r"\W", "_", s) for s in step[:-1])
            if int(step[-1][1:]) >= rows.get(row, (-1, None))[0]:
                rows[row] = (int(step[-1][1:]), node_id_of_step(step))
        for (a, b, kind), (t, norm, count) in edges.items():
            if a in rows:  # drawn from the row's last step, labelled with how many it gathers
                label = f"{t.name or 'outputs'} of {count} steps" if count > 1 else None
                self._edge(graph, rows[a][1], b, t, kind, True, label=label, norm=norm)
            else:
                self._edge(graph, a, b, t, kind, True, norm=norm)
        clusters.close()

    def _after_steps(self, step_of):
        """The nodes outside the time steps that come after them (outputs, losses)."""
        after = set()
        for f in self.ix.nodes:  # oldest first, so a node's inputs are classified before it
            if step_of[f] is None and any(
                x.creator is not None and (step_of[x.creator] or x.creator in after) for x in self.ix.inputs[f]
            ):
                after.add(f)
        return after


class _ClusterTree:
    """Nested graphviz clusters, one per scope prefix, created on first use."""

    def __init__(self, graph, prefix):
        self.graph, self.p = graph, prefix
        self.open = {(): graph}
        self.contexts = []

    def at(self, scope):
        scope = tuple(scope)
        if scope in self.open:
            return self.open[scope]
        parent = self.at(scope[:-1])
        name = "cluster_" + self.p + "_".join(re.sub(r"\W", "_", s) for s in scope)
        context = parent.subgraph(name=name)
        box = context.__enter__()
        step = STEP.match(scope[-1])
        box.attr(
            label=f"step {step.group(1)}" if step else scope[-1],
            style="rounded,filled",
            fillcolor="#fcfcfc" if step else "#f3f3f3",
            color="#bbbbbb",
            fontsize="10",
            fontcolor="#777777",
        )
        self.contexts.append((len(scope), len(self.contexts), context))
        self.open[scope] = box
        return box

    def close(self):
        """Close the innermost boxes first, siblings in the order they were opened (a box's
        body joins its parent's when it closes, so the steps stay in time order)."""
        for _, _, context in sorted(self.contexts, key=lambda c: (-c[0], c[1])):
            context.__exit__(None, None, None)
        self.contexts.clear()
