"""Reverse-mode automatic differentiation: the graph a forward pass records, and the pass back.

Applying a ``Function`` to tensors computes its output arrays and, when some input wants a
gradient, records the function object itself as a node of the graph:

    x ──┐                                              y._ctx = node
        ├──> node (op, scope, seq) ─────────> y         y._oi = 0 (which output of node)
    w ──┘    parents: the nodes that made x and w, or the leaves x and w themselves
             needs:   which inputs want a gradient (decided here, once)
             saved:   the arrays its own backward reads, and nothing else

A node never holds the tensors it read, nor (except inside ``keep_grads()``, for drawings)
the tensors it made, so the arrays of the forward pass live only as long as some backward
needs them, the graph has no cycles (dropping its last output frees it at once), and the
cycle collector has little to look at.

``backward()`` orders the nodes reachable from the output so that each comes before the
nodes that made its inputs (creation numbers, ``seq``, are such an order), then calls each
node's ``backward`` once, on raw arrays, handing the gradients it returns to the parents:
summed into the pending gradients of a parent node, or, for a leaf, kept until the whole
pass has succeeded and then added to its ``.grad``. A node that saved a leaf's data (or a
view of it) notes the leaf's ``Version``; if the data was changed in place since, backward
refuses instead of computing a wrong gradient.

This module knows tensors only through their fields (``data``, ``device``, ``requires_grad``,
``grad``, ``_ctx``, ``_oi``); ``tensor.py``, above it, defines the class and sets
``Function.tensor_class``.
"""

import functools
import gc
import itertools
import operator
import threading
import weakref
from contextlib import contextmanager

import numpy as np

from . import backend

# -- modes: thread-local switches every op reads ---------------------------------------


class _Mode(threading.local):
    """Per-thread switches every op reads, kept in one tuple so that an op reads them at once:
    (gradients recorded, the scope names, the drawing mode, anomaly detection)."""

    def __init__(self):
        self.now = (True, (), False, False)


_mode = _Mode()
_GRAD, _SCOPE, _KEEP, _ANOMALY = range(4)


class _Switch:
    """Set field ``field`` of the mode to ``value`` inside a ``with`` block, and back after
    it; used as a decorator, around every call of the function."""

    def __init__(self, field, value):
        self.field, self.value, self.old = field, value, []

    def __enter__(self):
        now = _mode.now
        self.old.append(now[self.field])
        _mode.now = now[: self.field] + (self.value,) + now[self.field + 1 :]
        return self

    def __exit__(self, *exc):
        now = _mode.now
        _mode.now = now[: self.field] + (self.old.pop(),) + now[self.field + 1 :]

    def __call__(self, fn):
        @functools.wraps(fn)
        def switched(*args, **kwargs):
            with _Switch(self.field, self.value):
                return fn(*args, **kwargs)

        return switched


def no_grad():
    """Ops inside record no graph: for evaluation and parameter updates (also a decorator).

    >>> import tinygrad_rnn as tg
    >>> w = tg.ones(2, requires_grad=True)
    >>> with tg.no_grad():
    ...     y = w * 2
    >>> y.requires_grad, tg.is_grad_enabled()
    (False, True)
    >>> @tg.no_grad()
    ... def evaluate(x):
    ...     return (w * x).sum()
    >>> evaluate(tg.ones(2)).requires_grad
    False
    """
    return _Switch(_GRAD, False)


def enable_grad():
    """Undo an enclosing ``no_grad`` (also a decorator).

    >>> import tinygrad_rnn as tg
    >>> w = tg.ones(2, requires_grad=True)
    >>> with tg.no_grad():
    ...     with tg.enable_grad():
    ...         y = w * 2
    >>> y.requires_grad
    True
    """
    return _Switch(_GRAD, True)


def is_grad_enabled():
    """Whether ops record the graph here (False inside ``no_grad``).

    >>> import tinygrad_rnn as tg
    >>> with tg.no_grad():
    ...     tg.is_grad_enabled()
    False
    """
    return _mode.now[_GRAD]


def scope(name):
    """Stamp the graph nodes created inside with ``name`` (nestable: layer0 / forward / t3).

    >>> import tinygrad_rnn as tg
    >>> x = tg.ones(2, requires_grad=True)
    >>> with tg.scope("layer0"), tg.scope("t3"):
    ...     y = x * 2
    >>> y.creator.scope
    ('layer0', 't3')
    """
    return _Switch(_SCOPE, _mode.now[_SCOPE] + (str(name),))


def current_scope():
    """The names of the scopes entered, outermost first.

    >>> import tinygrad_rnn as tg
    >>> with tg.scope("layer0"), tg.scope("t3"):
    ...     tg.current_scope()
    ('layer0', 't3')
    """
    return _mode.now[_SCOPE]


def detect_anomaly():
    """Raise at the first op whose forward or backward produces NaN or inf, naming it and its scope.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([0.0, 1.0], requires_grad=True)
    >>> with tg.detect_anomaly():
    ...     tg.log(x)
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: log in scope (top level) produced inf ...
    """
    return _Switch(_ANOMALY, True)


def keep_grads():
    """The drawing mode. A graph recorded inside keeps, on each node, the tensors it read
    (``node.inputs``) and, weakly, those it made, which then keep their ``.grad`` after a
    backward pass. A backward pass run inside records on every node it goes through
    ``node.flows``, the norm of the gradient it sent to each input, and ``node.totals``, the
    norm of the whole gradient that reached each of its outputs, wherever the graph was made.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([3.0, 4.0], requires_grad=True)
    >>> with tg.keep_grads():
    ...     h = (x * 2).named("h")
    ...     h.sum().backward()
    >>> h.grad.tolist(), [round(flow, 4) for flow in h.creator.flows]   # to x, and to the constant 2
    ([1.0, 1.0], [2.8284, 0.0])
    """
    return _Switch(_KEEP, True)


_OLDEST_PAUSED = 2**31 - 1
_pause = {"depth": 0, "threshold": None}
_pause_lock = threading.Lock()


@contextmanager
def long_graph():
    """While a long graph is built or walked (a sequence layer's forward pass, a backward
    pass), the cycle collector skips its full collections.

    Why: each full collection walks every object alive, and a graph of T steps is tens of
    objects per step, none of them in a cycle. Python starts a full collection each time the
    objects that outlived the young collections grow by a quarter, so building a graph of
    T = 100,000 steps would walk it about twenty times, and the cost per step would grow
    with T. Inside this block the oldest generation's threshold is set out of reach (young
    collections go on as usual); leaving the outermost block restores it, so the one full
    collection left to do happens once, later. Nestable, thread-safe, exception-safe; on a
    Python whose collector ignores that threshold it changes nothing. Reference path:
    ``gc.set_threshold`` untouched (measure with ``benchmarks/bench_memory.py``).

    >>> import tinygrad_rnn as tg
    >>> import gc
    >>> threshold = gc.get_threshold()
    >>> with tg.long_graph():
    ...     h = tg.zeros(1, 4, requires_grad=True)
    ...     for t in range(1000):
    ...         h = (h * 0.5 + 1).tanh()
    >>> gc.get_threshold() == threshold
    True
    """
    with _pause_lock:
        if _pause["depth"] == 0:
            t0, t1, t2 = _pause["threshold"] = gc.get_threshold()
            gc.set_threshold(t0, t1, _OLDEST_PAUSED)
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            if _pause["depth"] == 0:
                t0, t1, t2 = gc.get_threshold()
                if t2 == _OLDEST_PAUSED:  # unless someone set thresholds meanwhile: then theirs stand
                    gc.set_threshold(t0, t1, _pause["threshold"][2])


class ShapeError(RuntimeError, ValueError):
    """Inputs an op cannot take (shapes that do not fit): a RuntimeError, as PyTorch raises for
    them, and a ValueError, as NumPy does, so either habit catches it.

    >>> import tinygrad_rnn as tg
    >>> try:
    ...     tg.ones(2, 3) @ tg.ones(2, 3)
    ... except RuntimeError as e:
    ...     print(type(e).__name__, isinstance(e, ValueError))
    ShapeError True
    """


def describe_shapes(arrays):
    if len(arrays) == 1:
        return f"shape {tuple(arrays[0].shape)}, dtype {arrays[0].dtype}"
    return "shapes " + " and ".join(str(tuple(a.shape)) for a in arrays)


def _check_finite(node, arrays, when):
    for k, a in enumerate(arrays):
        if a is not None and not isinstance(a, Deferred) and not bool(backend.array_module(a).isfinite(a).all()):
            bad = "nan" if bool(backend.array_module(a).isnan(a).any()) else "inf"
            where = "/".join(node.scope) or "(top level)"
            raise FloatingPointError(
                f"detect_anomaly: {node.op} in scope {where} produced {bad} in its {when} (array {k})"
            )


# -- the node -----------------------------------------------------------------------------


class Version:
    """How many times a tensor's data was changed in place through the API (``add_``, an
    optimizer's step, ``load_state_dict``, ...). A leaf gets one when a node first saves
    its data; views of it (``x.T``, ``x[1:]``, ``x.detach()``) share it. A node records the
    count of every such tensor whose data it saved, and backward checks it is unchanged.

    A ``frozen`` one marks data that a tensor made by an op owns (its graph may need it): a
    leaf that shares it (``y.detach()``, a view taken inside ``no_grad``) refuses changes in
    place, as ``y`` itself does."""

    __slots__ = ("count", "frozen")

    def __init__(self, frozen=False):
        self.count, self.frozen = 0, frozen


_sequence = itertools.count()


class Function:
    """One op applied to tensors, and, once recorded, a node of the graph.

    A subclass sets ``op`` (the name drawings show) and writes, on raw arrays:

    - ``forward(*arrays)``: the output array (or a tuple of them). It may read
      ``self.needs`` (which inputs want a gradient) and keeps in ``self.saved`` exactly
      what ``backward`` will read;
    - ``backward(*grads)``: one gradient per output in (None for an output that got none),
      one per input out: a bare array for a one-input function, else a tuple, with None
      where no gradient flows. Gradients for inputs that do not need one are ignored.

    A recorded node has ``parents`` (per input: the node that made it, or the leaf tensor
    itself), ``slots`` (which output of that parent), ``needs``, ``scope``, ``seq`` (its
    creation number: a node is made after its parents, so sorting by ``seq`` orders the
    graph) and, for drawings, ``shapes``, ``dtype`` and ``names`` of its outputs.

    >>> import tinygrad_rnn as tg
    >>> class Square(tg.Function):
    ...     op = "square"
    ...     def forward(self, x):
    ...         self.saved = x
    ...         return x * x
    ...     def backward(self, gy):
    ...         return 2 * self.saved * gy
    >>> x = tg.Tensor([1.0, 3.0], requires_grad=True)
    >>> y = Square()(x)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist(), y.creator.op
    ([1.0, 9.0], [2.0, 6.0], 'square')
    """

    op = "function"
    view = False  # the outputs are views of input 0's array: they share its Version
    moves_to = None  # the outputs' device, for the one op whose outputs leave the inputs' device
    tensor_class = None  # what outputs are made of: set by tensor.py, which defines Tensor
    # what a node holds until something sets it (most nodes never do)
    saved = grads = names = flows = totals = inputs = outputs = kept = versions = None
    freed = deferred = False

    def __call__(self, *inputs):
        x = inputs[0]
        device = x.device
        grad_enabled, scope, keep, anomaly = _mode.now
        try:  # one and two inputs spelled out: this runs for every op of every step
            if len(inputs) == 1:
                needs = self.needs = (grad_enabled and x.requires_grad,)
                ys = self.forward(x.data)
            elif len(inputs) == 2:
                y = inputs[1]
                if y.device is not device:
                    self._refuse_devices(device, y.device)
                needs = self.needs = (grad_enabled and x.requires_grad, grad_enabled and y.requires_grad)
                ys = self.forward(x.data, y.data)
            else:
                for other in inputs:
                    if other.device is not device:
                        self._refuse_devices(device, other.device)
                needs = self.needs = tuple([grad_enabled and t.requires_grad for t in inputs])
                ys = self.forward(*[t.data for t in inputs])
        except (ValueError, TypeError, IndexError) as e:
            kind = ShapeError if isinstance(e, ValueError) else type(e)
            raise kind(f"{self.op}: {self.explain([t.data for t in inputs], e)}") from None
        record = True in needs
        if self.moves_to is not None:
            device = self.moves_to
        make = self.tensor_class._from_op
        if type(ys) is not tuple:
            outs = make(ys, device, record, self, 0)
        else:
            outs = tuple([make(y, device, record, self, k) for k, y in enumerate(ys)])
        if self.view and (x._ctx is None or x._version is not None or not record):
            if x._version is None:  # a leaf's data, or (seen through a view made off the graph) an op's
                x._version = Version(frozen=x._ctx is not None)
            for t in outs if type(outs) is tuple else (outs,):
                t._version = x._version
        if record:
            self._record(inputs, outs, ys, scope, keep)
        if anomaly:
            self.scope = scope
            _check_finite(self, ys if type(ys) is tuple else (ys,), "forward output")
        return outs

    def _record(self, inputs, outs, ys, scope, keep):
        """Make this function a node of the graph: where its inputs came from, its outputs."""
        if len(inputs) == 1:
            x = inputs[0]
            self.parents, self.slots = (x._ctx or x,), (x._oi,)
            watched = x._ctx is None or x._version is not None  # a leaf's data, or a view of it
        elif len(inputs) == 2:
            x, y = inputs
            self.parents, self.slots = (x._ctx or x, y._ctx or y), (x._oi, y._oi)
            watched = x._ctx is None or x._version is not None or y._ctx is None or y._version is not None
        else:
            self.parents, self.slots = tuple([t._ctx or t for t in inputs]), tuple([t._oi for t in inputs])
            watched = True
        if type(ys) is not tuple:
            self.shapes, self.dtype = (ys.shape,), ys.dtype
        else:
            self.shapes, self.dtype = tuple([y.shape for y in ys]), ys[0].dtype
        self.scope = scope
        self.seq = next(_sequence)
        if watched and self.saved is not None:
            self._note_versions(inputs)
        if keep:
            self.inputs, self.kept = inputs, self.saved_bytes()
            for k, t in enumerate(outs if type(outs) is tuple else (outs,)):
                self.keep_output(k, t)

    def _note_versions(self, inputs):
        """Record the Version count of each leaf (or view of one) whose array ``saved`` holds."""
        saved = self.saved if type(self.saved) is tuple else (self.saved,)
        for x in inputs:
            if x._ctx is None or x._version is not None:
                data = x.data
                if any(a is data for a in saved):
                    if x._version is None:
                        x._version = Version()
                    if self.versions is None:
                        self.versions = []
                    self.versions.append((x._version, x._version.count))

    def keep_output(self, k, tensor):
        """Hold output ``k`` weakly, so that backward can leave its gradient in its ``.grad``
        (what ``retain_grad()`` and the drawing mode ask for)."""
        if self.outputs is None:
            self.outputs = [None] * len(self.shapes)
        self.outputs[k] = weakref.ref(tensor)

    def _refuse_devices(self, a, b):
        raise RuntimeError(
            f"{self.op}: inputs are on different devices, '{a}' and '{b}'; move them to one device with .to(...)"
        )

    def explain(self, arrays, error):
        """The message for an input the forward pass rejected (shapes first, then why)."""
        return f"cannot apply to {describe_shapes(arrays)}: {error}"

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError

    # -- reading the graph (drawings) --------------------------------------------------
    def source(self, k):
        """Where input ``k`` came from: ``(node, slot)`` for a computed tensor, ``(None, leaf)``."""
        parent = self.parents[k]
        return (parent, self.slots[k]) if isinstance(parent, Function) else (None, parent)

    def output(self, k=0):
        """Output ``k`` as a tensor, when it is alive and was kept (in the drawing mode, or
        by ``retain_grad()``); else None."""
        ref = None if self.outputs is None else self.outputs[k]
        return None if ref is None else ref()

    def output_name(self, k=0):
        return None if self.names is None else self.names.get(k)

    def saved_bytes(self):
        """The bytes of the arrays this node keeps for its backward pass (each array once;
        ``kept`` has what it was when the node was made in the drawing mode)."""
        saved = self.saved if type(self.saved) is tuple else (self.saved,)
        return sum({id(a): a.nbytes for a in saved if hasattr(a, "nbytes")}.values())


class Deferred:
    """A gradient kept as the terms of a sum and computed when it is used (``value()``); the
    terms merge under ``+``. Where it pays, an op returns one instead of an array (see
    ``ops.products.SumOfProducts``); the engine computes it before any backward reads it."""

    __slots__ = ()
    __array_ufunc__ = None  # ndarray + Deferred defers to __radd__

    def value(self):
        raise NotImplementedError


def sum_to(grad, shape):
    """Sum ``grad`` over the axes broadcasting added or stretched, to give it ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


# -- the backward pass -------------------------------------------------------------------


def _graph_order(roots):
    """The nodes behind ``roots``, newest first: each comes before the nodes that made its inputs."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for p in stack.pop().parents:
            if isinstance(p, Function) and p not in seen:
                seen.add(p)
                stack.append(p)
    return sorted(seen, key=_seq_of, reverse=True)


_seq_of = operator.attrgetter("seq")


def backward(tensors, grads=None, retain_graph=False):
    """Accumulate d(sum of tensors · grads)/d(leaf) into each leaf's ``.grad``: one backward
    pass for several outputs (``grads``: None for one-element tensors).

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> tg.backward([x * x, x * 10])
    >>> x.grad.item()
    14.0
    """
    tensors = list(tensors)
    grads = [None] * len(tensors) if grads is None else list(grads)
    if len(grads) != len(tensors):
        raise ValueError(f"backward: got {len(tensors)} tensors but {len(grads)} gradients")
    seeds = [_seed(t, g) for t, g in zip(tensors, grads)]
    roots = [t._ctx for t in tensors if t._ctx is not None]
    for f in roots:
        if f.freed:
            _raise_freed(f)
    order = _graph_order(roots)
    leaves = {}  # leaf -> its gradient, added to .grad only once the whole pass has succeeded
    try:
        for t, g in zip(tensors, seeds):
            _pass_on(t._ctx or t, t._oi, g, leaves)
        with long_graph(), np.errstate(all="ignore"):  # IEEE values (1/0 = inf) without warnings, as PyTorch
            _run(order, retain_graph, leaves)
    except BaseException:
        for f in order:  # nothing half-done stays behind for a later call to add to
            f.grads = None
        raise
    for leaf, g in leaves.items():
        _add_to_leaf(leaf, g)


def _seed(t, g):
    """The gradient to start from at output ``t``, checked."""
    if not t.requires_grad:
        raise RuntimeError(
            f"backward: the tensor does not require grad and has no graph (dtype {t.data.dtype}); "
            + (
                "set requires_grad=True on a leaf it depends on"
                if t.data.dtype.kind == "f"
                else "only floating-point tensors have gradients"
            )
        )
    if g is None:
        if t.data.size != 1:
            raise RuntimeError(
                f"backward: a gradient can be created implicitly only for a single-element output, but this "
                f"tensor has shape {tuple(t.data.shape)}; pass gradient=... of the same shape"
            )
        return t.device.xp.ones_like(t.data)
    g = g.data if isinstance(g, Function.tensor_class) else t.device.asarray(g)
    if g.shape != t.data.shape:
        raise ValueError(
            f"backward: gradient shape {tuple(g.shape)} does not match the tensor's shape {tuple(t.data.shape)}"
        )
    return g if g.dtype == t.data.dtype else g.astype(t.data.dtype)


def _run(order, retain_graph, leaves):
    keep_all, anomaly = _mode.now[_KEEP], _mode.now[_ANOMALY]
    for f in order:
        gys = f.grads
        if gys is None:
            continue  # no gradient reached this node's outputs
        if f.freed:
            _raise_freed(f)
        if f.versions is not None:
            _check_versions(f)
        f.grads = None
        if f.deferred:
            gys = [g.value() if isinstance(g, Deferred) else g for g in gys]
        if keep_all or anomaly or f.outputs is not None:
            gxs = _watched_backward(f, gys, keep_all, anomaly)
        else:
            gxs = f.backward(*gys)
            if type(gxs) is not tuple:
                gxs = (gxs,)
        if not retain_graph:
            f.saved = None
            f.freed = True
        for gx, need, parent, slot in zip(gxs, f.needs, f.parents, f.slots):
            if need and gx is not None:
                _pass_on(parent, slot, gx, leaves)


def _watched_backward(f, gys, keep_all, anomaly):
    """``f.backward`` with what the drawing mode, retained gradients and anomaly detection ask for."""
    if keep_all:
        f.totals = tuple(_norm(g) for g in gys)
    if f.outputs is not None:
        _keep_output_grads(f, gys)
    gxs = f.backward(*gys)
    if type(gxs) is not tuple:
        gxs = (gxs,)
    if anomaly:
        _check_finite(f, gxs, "backward gradient")
    if keep_all:
        f.flows = tuple(_norm(gx) if need else 0.0 for gx, need in zip(gxs, f.needs))
    return gxs


def _pass_on(target, slot, g, leaves):
    """Hand gradient ``g`` on: into the gradients pending at output ``slot`` of node
    ``target`` (summed with what other readers of that output sent), or, for a leaf, into
    ``leaves``."""
    if not isinstance(target, Function):
        old = leaves.get(target)
        leaves[target] = g if old is None else old + g
        return
    pending = target.grads
    if pending is None:
        pending = target.grads = [None] * len(target.shapes)
    old = pending[slot]
    pending[slot] = g if old is None else old + g
    if isinstance(g, Deferred):
        target.deferred = True


def _add_to_leaf(x, g):
    """Accumulate ``g`` into the leaf's ``.grad`` (a fresh copy first, then in place)."""
    if isinstance(g, Deferred):
        g = g.value()
    if x.grad is None:
        x.grad = Function.tensor_class._wrap(x.device.xp.array(g, dtype=x.data.dtype), x.device)
    else:
        x.grad.data += g


def _norm(g):
    """The Frobenius norm of a gradient (0.0 for None), in float64."""
    if g is None:
        return 0.0
    if isinstance(g, Deferred):
        g = g.value()
    return float(backend.array_module(g).linalg.norm(g.astype(np.float64, copy=False).ravel()))


def _keep_output_grads(f, gys):
    for ref, g in zip(f.outputs, gys):
        t = None if ref is None else ref()
        if t is not None and g is not None:
            t.grad = Function.tensor_class._wrap(t.device.xp.array(g, dtype=t.data.dtype), t.device)


def _check_versions(f):
    for version, count in f.versions:
        if version.count != count:
            raise RuntimeError(
                f"backward: a tensor {f.op} saved for its gradient was modified in place since "
                f"(its version is {version.count}, it was {count} when {f.op} used it), so the gradient "
                "would be wrong. Call backward() before changing it (an optimizer step, add_, "
                "load_state_dict, ...), or change a copy"
            )


def _raise_freed(f):
    raise RuntimeError(
        f"backward: trying to go through the graph a second time (at {f.op}); its buffers were "
        "freed by the first backward(). Pass retain_graph=True to the first call if you need "
        "to backward twice, or rebuild the graph by running the forward pass again"
    )
