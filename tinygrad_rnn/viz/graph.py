"""The one place where viz reads the engine's graph: ``GraphIndex`` turns the Function nodes
behind some outputs into plain records (``Value``, ``Op``, ``Edge``); everything else in viz
(layout, pictures, the page) works on those records only.

An edge is a value read by an op. After ``backward()`` inside ``tg.keep_grads()`` each edge
knows the gradient that op's backward sent along it (``Edge.flow``, a Frobenius norm) and
each value the total that reached it (``Value.grad``).
"""

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

STEP = re.compile(r"t(\d+)$")


@dataclass(frozen=True)
class Value:
    """A tensor on an edge. ``kind``: "parameter", "input", "constant" (one number, drawn as
    its value) or "intermediate". ``grad``: ‖∂L/∂value‖ when kept, else None."""

    id: int
    name: str
    shape: tuple
    dtype: str
    kind: str
    maker: int = None  # the Op that made it
    slot: int = 0  # which of the maker's outputs
    grad: float = None
    constant: float = None
    param: str = None  # its name in the ``params`` given (e.g. "weight_hh_l0")


@dataclass(frozen=True)
class Op:
    """A Function node: ``inputs`` and ``outputs`` are Value ids (None for an output that
    nothing reads); ``kept_bytes`` what it holds for its backward pass."""

    id: int
    op: str
    scope: tuple
    inputs: tuple
    outputs: tuple
    kept_bytes: int


@dataclass(frozen=True)
class Edge:
    """Value ``value`` read by Op ``consumer`` as its input number ``slot``; ``flow`` is the
    norm of the gradient the consumer's backward sent to it (0.0: none), None when the
    backward pass did not record it."""

    value: int
    consumer: int
    slot: int
    flow: float = None


@dataclass(frozen=True)
class EdgeFlow:
    """The gradient sent along one edge: ``tensor`` read by ``consumer`` (a Function node) as
    its input number ``slot``, and the Frobenius norm of what flowed back along it.
    ``tensor`` is None for a tensor the graph no longer holds: made outside
    ``tg.keep_grads()`` and dropped since (the norm is there all the same).

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> x = tg.Tensor([3.0, 4.0], requires_grad=True)
    >>> with tg.keep_grads():
    ...     y = (x * 2).sum()
    ...     y.backward()
    >>> edge = viz.edge_flows(y)[0]
    >>> edge.tensor is x, edge.consumer.op, edge.slot, round(edge.norm, 4)
    (True, 'mul', 0, 2.8284)
    """

    tensor: Tensor
    consumer: object
    slot: int
    norm: float


def step_of(scope):
    """The scope up to its time step (``("layer0", "forward", "t3")``), or None."""
    for k, name in enumerate(scope):
        if STEP.match(name):
            return tuple(scope[: k + 1])
    return None


def step_number(step):
    return int(STEP.match(step[-1]).group(1))


def _nodes_behind(outputs):
    nodes, stack = set(), [t.creator for t in outputs if t.creator is not None]
    while stack:
        f = stack.pop()
        if f not in nodes:
            nodes.add(f)
            stack.extend(p for p in f.parents if isinstance(p, Function))
    return sorted(nodes, key=lambda f: f.seq)


def _norm(array):
    return float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))


def kept_bytes(node):
    """The bytes of the arrays a node keeps for its backward pass (as counted when the graph
    was made, in the drawing mode; else what it holds now, nothing after a backward pass)."""
    return node.kept if node.kept is not None else node.saved_bytes()


class GraphIndex:
    """The recorded graph behind ``outputs`` as records: ``values`` and ``ops`` (dicts by id,
    in creation order), ``edges``, ``consumers`` (value id -> its edges) and ``roots`` (the
    outputs' value ids). ``params``: a Module, a {name: tensor} dict or a list of them, to
    name parameters.

    A value is a leaf tensor or output ``slot`` of a node; the node keeps its shape, dtype,
    name and gradient norm, so a value is drawn whether or not its tensor is still alive.

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> index = viz.GraphIndex((x * 2).sigmoid().named("h"))
    >>> [op.op for op in index.ops.values()], len(index.edges)
    (['mul', 'sigmoid'], 3)
    >>> [(v.name, v.kind) for v in index.values.values()]
    [('h', 'intermediate'), (None, 'parameter'), (None, 'constant'), (None, 'intermediate')]
    """

    def __init__(self, outputs, params=None):
        outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
        names = _param_names(params)
        self._sources = {}  # value id -> (node, slot) or (None, leaf tensor)
        ids = {}

        def value_id(node, where):
            key = (node.seq, where) if node is not None else ("leaf", id(where))
            if key not in ids:
                ids[key] = len(ids)
                self._sources[ids[key]] = (node, where)
            return ids[key]

        nodes = _nodes_behind(outputs)
        self._nodes = {f.seq: f for f in nodes}
        self.roots = [value_id(t.creator, t._oi) if t.creator is not None else value_id(None, t) for t in outputs]
        self.ops, self.edges = {}, []
        self.consumers = defaultdict(list)
        self.has_flows = any(f.flows is not None for f in nodes)
        for f in nodes:
            inputs = tuple(value_id(*f.source(k)) for k in range(len(f.parents)))
            for slot, v in enumerate(inputs):
                flow = f.flows[slot] if f.flows is not None else (0.0 if self.has_flows else None)
                edge = Edge(v, f.seq, slot, flow)
                self.edges.append(edge)
                self.consumers[v].append(edge)
            self.ops[f.seq] = inputs
        for f in nodes:  # an output is a value once something reads it (or it is a root)
            outs = tuple(ids.get((f.seq, k)) for k in range(len(f.shapes)))
            self.ops[f.seq] = Op(f.seq, f.op, tuple(f.scope), self.ops[f.seq], outs, kept_bytes(f))
        self.values = {k: self._record(k, node, where, names) for k, (node, where) in self._sources.items()}

    @staticmethod
    def _record(k, node, where, names):
        if node is not None:
            live = node.output(where)
            grad = node.totals[where] if node.totals is not None else None
            if grad is None and live is not None and live.grad is not None:
                grad = _norm(live.grad.numpy())
            return Value(
                id=k,
                name=node.output_name(where),
                shape=tuple(node.shapes[where]),
                dtype=str(node.dtype),
                kind="intermediate",
                maker=node.seq,
                slot=where,
                grad=grad,
            )
        t = where
        kind = "parameter" if t.requires_grad else ("constant" if t.data.size == 1 else "input")
        return Value(
            id=k,
            name=t.name,
            shape=tuple(t.shape),
            dtype=str(t.dtype),
            kind=kind,
            grad=None if t.grad is None else _norm(t.grad.numpy()),
            constant=float(t.item()) if kind == "constant" else None,
            param=names.get(id(t)),
        )

    def _tensor(self, value_id):
        """The tensor of a value: a leaf, or a node's output while it is alive and kept."""
        node, where = self._sources[value_id]
        return where if node is None else node.output(where)

    def state_gradients(self, names=("h", "c")):
        """(value, gradient as a NumPy array) for every value named in ``names`` whose
        gradient was kept."""
        found = []
        for k, value in self.values.items():
            t = self._tensor(k) if value.name in names else None
            if t is not None and t.grad is not None:
                found.append((value, t.grad.numpy()))
        return found

    def edge_flows(self):
        """One EdgeFlow per edge (0.0 where no gradient flowed)."""
        if not self.has_flows:
            raise ValueError("edge_flows: no gradient flows were recorded; run backward() inside tg.keep_grads()")
        return [EdgeFlow(self._tensor(e.value), self._nodes[e.consumer], e.slot, e.flow or 0.0) for e in self.edges]

    def belt_edges(self):
        """The edges on the cell-state paths c_{t-1} → ×f → + → c_t: from a value named "c"
        through at most three mul/add/sub ops to the op that makes the next "c". Returns
        {(value id, op id)}, with (c id, None) for the edge from c's maker to c."""
        belt = set()
        for v in self.values.values():
            if v.name == "c" and v.maker is not None and self._reaches_c(v.maker, belt, 0):
                belt.add((v.id, None))
        return belt

    def _reaches_c(self, op_id, belt, depth):
        op = self.ops[op_id]
        if op.op not in ("add", "mul", "sub") or depth > 3:
            return False
        found = False
        for v in op.inputs:
            value = self.values[v]
            if value.name == "c" or (value.maker is not None and self._reaches_c(value.maker, belt, depth + 1)):
                belt.add((v, op_id))
                found = True
        return found


def _param_names(params):
    """{id(parameter): name} from a Module, a {name: tensor} dict, or a list of them."""
    if params is None:
        return {}
    if isinstance(params, (list, tuple)):
        return {k: v for item in params for k, v in _param_names(item).items()}
    items = params.named_parameters() if hasattr(params, "named_parameters") else params.items()
    return {id(p): name for name, p in items}


def edge_flows(*outputs):
    """The gradient that flowed along every edge of the graph behind ``outputs``, after a
    ``backward()`` run inside ``tg.keep_grads()``: one ``EdgeFlow(tensor, consumer, slot,
    norm)`` per edge (a tensor read by a Function node), ``norm`` being the Frobenius norm
    of the gradient that node's backward sent to that input (0.0 where none flowed).

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (x * 3).sum() + x.sum() * 0
    >>> with tg.keep_grads():
    ...     loss.backward()
    >>> sorted(round(e.norm, 3) for e in viz.edge_flows(loss) if e.tensor is x)
    [0.0, 4.243]
    """
    return GraphIndex(outputs).edge_flows()
