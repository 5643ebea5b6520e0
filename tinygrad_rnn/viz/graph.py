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

from ..autograd import Tensor

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
    its input number ``slot``, and the Frobenius norm of what flowed back along it."""

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
            stack.extend(x.creator for x in f.inputs if x.creator is not None)
    return sorted(nodes, key=lambda f: f.seq)


def _norm(array):
    return float(np.linalg.norm(np.asarray(array, dtype=np.float64).ravel()))


def kept_bytes(node):
    """What a node holds for its backward pass: today its input arrays, and the arrays it
    saved while the graph is kept (``retain_graph``); each array counted once."""
    saved = node.saved if isinstance(node.saved, tuple) else (node.saved,)
    arrays = [x.data for x in node.inputs] + [a for a in saved if hasattr(a, "nbytes")]
    return sum({id(a): a.nbytes for a in arrays}.values())


class GraphIndex:
    """The recorded graph behind ``outputs`` as records: ``values`` and ``ops`` (dicts by id,
    in creation order), ``edges``, ``consumers`` (value id -> its edges) and ``roots`` (the
    outputs' value ids). ``params``: a Module, a {name: tensor} dict or a list of them, to
    name parameters."""

    def __init__(self, outputs, params=None):
        outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
        names = _param_names(params)
        self._tensors = {}  # value id -> Tensor (read only here)
        ids = {}

        def value_id(t):
            if id(t) not in ids:
                ids[id(t)] = len(ids)
                self._tensors[ids[id(t)]] = t
            return ids[id(t)]

        nodes = _nodes_behind(outputs)
        self._nodes = {f.seq: f for f in nodes}
        self.ops, self.edges = {}, []
        self.consumers = defaultdict(list)
        self.has_flows = any(f.flows is not None for f in nodes)
        for f in nodes:
            inputs = tuple(value_id(x) for x in f.inputs)
            outs = tuple(None if r() is None else value_id(r()) for r in f.outputs)
            self.ops[f.seq] = Op(f.seq, f.op, tuple(f.scope), inputs, outs, kept_bytes(f))
            for slot, v in enumerate(inputs):
                flow = f.flows[slot] if f.flows is not None else (0.0 if self.has_flows else None)
                edge = Edge(v, f.seq, slot, flow)
                self.edges.append(edge)
                self.consumers[v].append(edge)
        self.roots = [value_id(t) for t in outputs]
        self.values = {k: self._record(k, t, names.get(id(t))) for k, t in self._tensors.items()}

    @staticmethod
    def _record(k, t, param):
        if t.creator is not None:
            kind = "intermediate"
        elif t.requires_grad:
            kind = "parameter"
        else:
            kind = "constant" if t.data.size == 1 else "input"
        return Value(
            id=k,
            name=t.name,
            shape=tuple(t.shape),
            dtype=str(t.dtype),
            kind=kind,
            maker=None if t.creator is None else t.creator.seq,
            slot=t._oi,
            grad=None if t.grad is None else _norm(t.grad.numpy()),
            constant=float(t.item()) if kind == "constant" else None,
            param=param,
        )

    def state_gradients(self, names=("h", "c")):
        """(value, gradient as a NumPy array) for every value named in ``names`` whose
        gradient was kept."""
        return [
            (self.values[k], t.grad.numpy()) for k, t in self._tensors.items() if t.name in names and t.grad is not None
        ]

    def edge_flows(self):
        """One EdgeFlow per edge (0.0 where no gradient flowed)."""
        if not self.has_flows:
            raise ValueError("edge_flows: no gradient flows were recorded; run backward() inside tg.keep_grads()")
        return [EdgeFlow(self._tensors[e.value], self._nodes[e.consumer], e.slot, e.flow or 0.0) for e in self.edges]

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
