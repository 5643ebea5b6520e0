"""Tensor and reverse-mode automatic differentiation.

The graph is built while the forward pass runs (define-by-run). Applying a ``Function``
to tensors computes its output arrays and, when a gradient is wanted, records a node:

    x ──┐
        ├─> Function (op name, scope) ──> y          y._ctx = node
    w ──┘    holds inputs strongly,                   node.outputs = [weakref(y)]
             outputs weakly

``backward()`` sorts the nodes reachable from the output so that every node comes after
all nodes that consume its outputs (an iterative depth-first search: O(n), no recursion),
then calls each node's ``backward`` once, on raw arrays, accumulating the gradients it
returns into the nodes that made its inputs, and finally into ``.grad`` of the leaves.
"""

import itertools
import operator
import threading
import weakref
from contextlib import contextmanager

import numpy as np

from . import backend


class _Mode(threading.local):
    """Per-thread switches read by every op."""

    def __init__(self):
        self.grad_enabled = True
        self.scope = ()
        self.anomaly = False
        self.keep_grads = False  # keep every intermediate gradient (used for drawing)


_mode = _Mode()


@contextmanager
def _switched(name, value):
    """Set the mode ``name`` to ``value`` inside the block, and back after it."""
    old = getattr(_mode, name)
    setattr(_mode, name, value)
    try:
        yield
    finally:
        setattr(_mode, name, old)


def no_grad():
    """Ops inside record no graph: for evaluation and parameter updates (also a decorator)."""
    return _switched("grad_enabled", False)


def enable_grad():
    """Undo an enclosing ``no_grad``."""
    return _switched("grad_enabled", True)


def is_grad_enabled():
    return _mode.grad_enabled


def scope(name):
    """Stamp the graph nodes created inside with ``name`` (nestable: layer0 / forward / t3)."""
    return _switched("scope", _mode.scope + (str(name),))


def current_scope():
    """The names of the scopes entered, outermost first."""
    return _mode.scope


def detect_anomaly():
    """Raise at the first op whose forward or backward produces NaN or inf, naming it and its scope."""
    return _switched("anomaly", True)


def keep_grads():
    """During ``backward()`` inside this block, every tensor of the graph keeps its ``.grad``."""
    return _switched("keep_grads", True)


def describe_shapes(arrays):
    if len(arrays) == 1:
        return f"shape {tuple(arrays[0].shape)}, dtype {arrays[0].dtype}"
    shapes = " and ".join(str(tuple(a.shape)) for a in arrays)
    return f"shapes {shapes}"


def _check_finite(node, arrays, when):
    for k, a in enumerate(arrays):
        if a is not None and not bool(backend.array_module(a).isfinite(a).all()):
            bad = "nan" if bool(backend.array_module(a).isnan(a).any()) else "inf"
            where = "/".join(node.scope) or "(top level)"
            raise FloatingPointError(
                f"detect_anomaly: {node.op} in scope {where} produced {bad} in its {when} (array {k})"
            )


class Function:
    """One op applied to tensors: a node of the graph.

    Subclasses set ``op`` (the name drawings show) and write ``forward(*arrays)``, which
    returns an array (or a tuple of arrays), and ``backward(*grads)``, which receives one
    gradient per output (None for an output that got none) and returns one gradient per
    input: a bare array when the function has one input, else a tuple (None where no
    gradient flows). Whatever ``forward`` keeps for ``backward`` goes in ``self.saved``.

    A recorded node has ``inputs`` (tensors, held strongly), ``outputs`` (weak references),
    ``scope`` (the names of the scopes it was made in) and ``seq`` (its creation number:
    every node is made after the nodes that made its inputs, so sorting by ``seq`` is a
    topological order).
    """

    op = "function"
    inputs = ()
    outputs = ()
    scope = ()
    saved = None
    grads = None  # the gradients reaching the outputs, while backward() runs
    retain = False  # keep the outputs' gradients in their .grad
    freed = False  # backward() went through this node and dropped what it saved
    deferred = False  # a pending gradient is a SumOfProducts, to compute before use
    flows = None  # inside keep_grads(): ‖gradient‖ this node's backward sent to each input (0.0: none)
    moves_to = None  # the outputs' device, for the one op whose outputs leave the inputs' device

    def __call__(self, *inputs):
        x = inputs[0]
        device = x.device
        requires = x.requires_grad
        arrays = [x.data]
        for other in inputs[1:]:
            if other.device is not device:
                raise RuntimeError(
                    f"{self.op}: inputs are on different devices, '{device}' and '{other.device}'; "
                    "move them to one device with .to(...)"
                )
            requires = requires or other.requires_grad
            arrays.append(other.data)
        try:
            ys = self.forward(*arrays)
        except (ValueError, TypeError, IndexError) as e:
            raise type(e)(f"{self.op}: {self.explain(arrays, e)}") from None
        if self.moves_to is not None:
            device = self.moves_to
        mode = _mode
        if requires and mode.grad_enabled:
            self.inputs = inputs
            self.scope = mode.scope
            self.seq = next(_sequence)
            ctx = self
        else:
            ctx = None
        if type(ys) is tuple:
            outs = tuple(_result(y, device, ctx, i) for i, y in enumerate(ys))
            if ctx is not None:
                self.outputs = [weakref.ref(y) for y in outs]
        else:
            outs = _result(ys, device, ctx, 0)
            if ctx is not None:
                self.outputs = (weakref.ref(outs),)
            ys = (ys,)
        if mode.anomaly:
            self.scope = mode.scope
            _check_finite(self, ys, "forward output")
        return outs

    def explain(self, arrays, error):
        """The message for an input the forward pass rejected (shapes first, then why)."""
        return f"cannot apply to {describe_shapes(arrays)}: {error}"

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError


_seq_of = operator.attrgetter("seq")
_sequence = itertools.count()


def _result(y, device, ctx, index):
    """Wrap an output array of ``ctx`` (None: outside the graph) as a Tensor."""
    if type(y) is not device.array_type:
        y = device.xp.asarray(y)  # NumPy returns scalars from 0-d operations
    t = Tensor.__new__(Tensor)
    t.data = y
    t.device = device
    t.requires_grad = ctx is not None
    t.grad = None
    t.name = None
    t._ctx = ctx
    t._oi = index
    return t


def sum_to(grad, shape):
    """Sum ``grad`` over the axes broadcasting added or stretched, to give it ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _graph_order(roots):
    """The nodes behind ``roots``, newest first: each comes before the nodes that made its inputs."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for x in stack.pop().inputs:
            f = x._ctx
            if f is not None and f not in seen:
                seen.add(f)
                stack.append(f)
    return sorted(seen, key=_seq_of, reverse=True)


class SumOfProducts:
    """A gradient Σ_k a_kᵀ b_k kept as its factors, and computed as ONE matrix product of
    the stacked factors, [a_1; a_2; ...]ᵀ [b_1; b_2; ...], once BATCH terms have arrived
    (bounding the memory the factors hold) or when the gradient is used.

    A weight used at every step of a sequence (h_{t-1} W) gets one term per step; summing
    them as T small products and T additions costs far more than a few large products.
    """

    BATCH = 32
    __slots__ = ("lefts", "rights", "total")
    __array_ufunc__ = None  # ndarray + SumOfProducts defers to __radd__

    def __init__(self, left, right):
        self.lefts, self.rights, self.total = [left], [right], None

    def __add__(self, other):
        if type(other) is not SumOfProducts:
            return self.value() + other
        # both are fresh objects owned by the backward pass: merge in place
        if other.total is not None:
            self.total = other.total if self.total is None else self.total + other.total
        self.lefts += other.lefts
        self.rights += other.rights
        if len(self.lefts) >= self.BATCH:
            self.total = self.value()
            self.lefts, self.rights = [], []
        return self

    __radd__ = __add__

    def value(self):
        if not self.lefts:
            return self.total
        if len(self.lefts) == 1:
            product = backend.matmul(self.lefts[0].T, self.rights[0])
        else:
            xp = backend.array_module(self.lefts[0])
            product = backend.matmul(xp.concatenate(self.lefts).T, xp.concatenate(self.rights))
        return product if self.total is None else product + self.total


def _add_to_leaf(x, g):
    """Accumulate gradient ``g`` into the leaf's ``.grad`` (a copy first, then in place)."""
    if type(g) is SumOfProducts:
        g = g.value()
    if x.grad is None:
        x.grad = Tensor._wrap(x.device.xp.array(g, dtype=x.data.dtype), x.device)
    else:
        x.grad.data += g


def backward(tensors, grads=None, retain_graph=False):
    """Accumulate d(sum of tensors · grads)/d(leaf) into each leaf's ``.grad``."""
    tensors = list(tensors)
    grads = [None] * len(tensors) if grads is None else list(grads)
    if len(grads) != len(tensors):
        raise ValueError(f"backward: got {len(tensors)} tensors but {len(grads)} gradients")
    roots = []
    for t, g in zip(tensors, grads):
        if not t.requires_grad:
            raise RuntimeError(
                "backward: the tensor does not require grad and has no graph; "
                "set requires_grad=True on a leaf it depends on"
            )
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"backward: a gradient can be created implicitly only for a single-element "
                    f"output, but this tensor has shape {tuple(t.shape)}; pass gradient=... "
                    "of the same shape"
                )
            g = t.device.xp.ones_like(t.data)
        else:
            g = g.data if isinstance(g, Tensor) else t.device.asarray(g)
            if g.shape != t.data.shape:
                raise ValueError(
                    f"backward: gradient shape {tuple(g.shape)} does not match the tensor's shape {tuple(t.shape)}"
                )
            if g.dtype != t.data.dtype:
                g = g.astype(t.data.dtype)
        if t._ctx is not None:
            if t._ctx.freed:
                _raise_freed(t._ctx)
            roots.append(t._ctx)
        _pass_on(t, g)
    keep_all, anomaly = _mode.keep_grads, _mode.anomaly
    for f in _graph_order(roots):
        gys = f.grads
        if gys is None:
            continue  # no gradient reached this node's outputs
        if f.freed:
            _raise_freed(f)
        f.grads = None
        if f.deferred:
            gys = [g.value() if type(g) is SumOfProducts else g for g in gys]
        if keep_all or f.retain:
            _keep_output_grads(f, gys)
        gxs = f.backward(gys[0]) if len(gys) == 1 else f.backward(*gys)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        if anomaly:
            _check_finite(f, gxs, "backward gradient")
        if keep_all:
            f.flows = tuple(_norm(gx) if x.requires_grad else 0.0 for x, gx in zip(f.inputs, gxs))
        if not retain_graph:
            f.saved = None
            f.freed = True
        for x, gx in zip(f.inputs, gxs):
            if gx is not None and x.requires_grad:
                _pass_on(x, gx)


def _pass_on(x, g):
    """Hand gradient ``g`` to tensor ``x``: into ``.grad`` for a leaf, else into the grads
    pending for the node that made it (summed with what other consumers of ``x`` gave)."""
    maker = x._ctx
    if maker is None:
        _add_to_leaf(x, g)
        return
    pending = maker.grads
    if pending is None:
        pending = maker.grads = [None] * len(maker.outputs)
    old = pending[x._oi]
    pending[x._oi] = g if old is None else old + g
    if type(g) is SumOfProducts:
        maker.deferred = True


def _norm(g):
    """The Frobenius norm of a gradient (0.0 for None), in float64."""
    if g is None:
        return 0.0
    if type(g) is SumOfProducts:
        g = g.value()
    return float(backend.array_module(g).linalg.norm(g.astype(np.float64, copy=False).ravel()))


def _keep_output_grads(f, gys):
    for ref, g in zip(f.outputs, gys):
        t = ref()
        if t is not None and g is not None:
            t.grad = Tensor._wrap(t.device.xp.array(g, dtype=t.data.dtype), t.device)


def _raise_freed(f):
    raise RuntimeError(
        f"backward: trying to go through the graph a second time (at {f.op}); its buffers were "
        "freed by the first backward(). Pass retain_graph=True to the first call if you need "
        "to backward twice, or rebuild the graph by running the forward pass again"
    )


_FLOAT_OF_PYTHON = np.dtype(np.float32)


class Tensor:
    """An array with a gradient: ``Tensor(data, requires_grad=False, dtype=None, device=None)``.

    Python floats become float32 (ints int64, bools bool); NumPy and CuPy arrays keep
    their dtype. ``device`` is "cpu" or "cuda" (default: ``set_default_device``).
    """

    __slots__ = ("data", "device", "requires_grad", "grad", "name", "_ctx", "_oi", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if device is not None:
            dev = backend.get_device(device)
        elif hasattr(data, "__cuda_array_interface__"):
            dev = backend.device_of(data)  # a CuPy array stays on the GPU
        else:
            dev = backend.default_device()
        if dtype is None and not hasattr(data, "dtype"):
            array = np.asarray(data)
            if array.dtype.kind == "f":
                array = array.astype(_FLOAT_OF_PYTHON)
            elif array.dtype.kind not in "biu":
                raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} ({array.dtype})")
            data = array
        self.data = dev.asarray(data, dtype=dtype)
        self.device = dev
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        self._ctx = None
        self._oi = 0

    @staticmethod
    def _wrap(array, device, requires_grad=False):
        """A leaf around an existing array, with no checks (internal, fast)."""
        t = _result(array, device, None, 0)
        t.requires_grad = requires_grad
        return t

    # -- what it is -----------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def size(self, axis=None):
        """The shape, or the length of one axis (as ``torch.Tensor.size``)."""
        return self.data.shape if axis is None else self.data.shape[axis]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def creator(self):
        """The Function node that made this tensor (None for a leaf)."""
        return self._ctx

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = []
        if self.device.name != "cpu":
            extras.append(f"device='{self.device}'")
        if self.data.dtype != np.float32:
            extras.append(f"dtype={self.data.dtype}")
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.op}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([body] + extras)})"

    # -- leaving the graph ----------------------------------------------------------
    def numpy(self):
        """The data as a NumPy array (copied from the GPU when on "cuda")."""
        return self.data if self.device is backend.CPU else self.device.xp.asnumpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {tuple(self.shape)} has {self.data.size} elements, expected 1")
        return self.data.item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {tuple(self.shape)} is ambiguous")
        return bool(self.data.item())

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut off from the graph."""
        return Tensor._wrap(self.data, self.device)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require gradients, got {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn gradients off for a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()``."""
        if self._ctx is not None:
            self._ctx.retain = True
        elif not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        return self

    def named(self, name):
        """Give the tensor a name (drawings show it) and return it."""
        self.name = name
        return self

    def backward(self, gradient=None, retain_graph=False):
        """Compute the gradients of this tensor with respect to the graph's leaves."""
        backward([self], [gradient], retain_graph=retain_graph)

    __hash__ = object.__hash__

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        from .ops import unbind

        return iter(unbind(self, 0))
