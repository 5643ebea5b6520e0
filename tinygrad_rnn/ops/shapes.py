"""Shapes and indexing: reshape, permute, indexing, and joining and cutting tensors.

None of these needs a value of its input in backward, only shapes: their gradients put
``gy`` back where the forward pass took it from.
"""

import builtins

import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import array_module as _xp
from .operands import _UNSET, as_tensor, either, is_tensor
from .operands import axes as _axes

# -- reshaping --------------------------------------------------------------------------


class Reshape(Function):
    op = "reshape"
    view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)


def reshape(x, *shape):
    """The same values in another shape, given as ints or one tuple; one size may be -1 (also
    ``x.reshape``, ``x.view``). The gradient is reshaped back.

    >>> import tinygrad_rnn as tg
    >>> x = tg.arange(6)
    >>> tg.reshape(x, 2, 3).tolist(), x.reshape((3, -1)).shape
    ([[0, 1, 2], [3, 4, 5]], (3, 2))
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if tuple(shape) == x.shape:
        return x
    return Reshape(tuple(shape))(x)


def flatten(x, start=_UNSET, end=_UNSET, *, start_dim=_UNSET, end_dim=_UNSET):
    """Merge the axes ``start`` to ``end`` (inclusive) into one (``torch.flatten``); also ``x.flatten()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.zeros(2, 3, 4)
    >>> tg.flatten(x).shape, x.flatten(1).shape, x.flatten(0, 1).shape
    ((24,), (2, 12), (6, 4))
    """
    start = either("flatten", start, start_dim, "start", "start_dim", 0)
    end = either("flatten", end, end_dim, "end", "end_dim", -1)
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = (_axes(a, x.ndim, "flatten")[0] for a in (start, end))
    if start > end:
        raise ValueError(f"flatten: start axis {start} comes after end axis {end} (shape {tuple(x.shape)})")
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1 :])


def unsqueeze(x, axis=_UNSET, *, dim=_UNSET):
    """Insert an axis of length 1 at ``axis`` (-ndim-1 <= axis <= ndim); also ``x.unsqueeze(axis)``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.zeros(2, 3)
    >>> tg.unsqueeze(x, 0).shape, x.unsqueeze(-1).shape
    ((1, 2, 3), (2, 3, 1))
    """
    axis = either("unsqueeze", axis, dim, "axis", "dim")
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"unsqueeze: axis must be an int, got {axis!r}")
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for a tensor with {x.ndim} dimensions")
    axis = axis if axis >= 0 else axis + x.ndim + 1
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=_UNSET, *, dim=_UNSET):
    """Remove axes of length 1 (all, or ``axis`` when it has length 1); also ``x.squeeze()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.zeros(1, 3, 1)
    >>> tg.squeeze(x).shape, x.squeeze(0).shape, x.squeeze(1).shape
    ((3,), (3, 1), (1, 3, 1))
    """
    axis = either("squeeze", axis, dim, "axis", "dim")
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    if x.ndim == 0:
        return x
    axis = _axes(axis, x.ndim, "squeeze")[0]
    if x.shape[axis] != 1:
        return x
    return reshape(x, x.shape[:axis] + x.shape[axis + 1 :])


class Permute(Function):
    """Reorder the axes; the gradient is put back with the inverse order."""

    op = "permute"
    view = True

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        axes = self.axes
        return gy.transpose(tuple(sorted(range(len(axes)), key=axes.__getitem__)))


def permute(x, *axes):
    """The axes in the order given (as ints or one tuple), ``torch.permute``; also ``x.permute``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.zeros(2, 3, 4)
    >>> tg.permute(x, 2, 0, 1).shape, x.permute((1, 0, 2)).shape
    ((4, 2, 3), (3, 2, 4))
    """
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if len(axes) != x.ndim or sorted(a % builtins.max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not an order of the {x.ndim} axes of shape {tuple(x.shape)}")
    return Permute(tuple(a % x.ndim for a in axes))(x)


def transpose(x, axis0=_UNSET, axis1=_UNSET, *, dim0=_UNSET, dim1=_UNSET):
    """Swap two axes (``torch.transpose``); with no arguments, the last two. Also ``x.transpose``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.zeros(2, 3, 4)
    >>> tg.transpose(x, 0, 2).shape, x.transpose().shape
    ((4, 3, 2), (2, 4, 3))
    """
    axis0 = either("transpose", axis0, dim0, "axis0", "dim0", -2)
    axis1 = either("transpose", axis1, dim1, "axis1", "dim1", -1)
    if x.ndim < 2:
        raise ValueError(f"transpose: needs at least 2 dimensions, got shape {tuple(x.shape)}")
    a, b = (_axes(k, x.ndim, "transpose")[0] for k in (axis0, axis1))
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    return Permute(tuple(order))(x)


def T(x):
    """``x.T``: all axes reversed (a matrix transposed); a 0-d or 1-d tensor as it is.

    >>> import tinygrad_rnn as tg
    >>> tg.Tensor([[1, 2, 3], [4, 5, 6]]).T.tolist()
    [[1, 4], [2, 5], [3, 6]]
    """
    return Permute(tuple(range(x.ndim - 1, -1, -1)))(x) if x.ndim > 1 else x


# -- indexing ---------------------------------------------------------------------------


def _is_basic(key):
    """True when ``key`` uses only ints, slices, None and Ellipsis (no repeats possible)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, slice, type(None), type(Ellipsis))) and not isinstance(k, bool) for k in parts)


def _distinct_rows(key, n):
    """True for a 1-D NumPy integer index that names no row of an axis of length ``n`` twice."""
    if not (type(key) is np.ndarray and key.ndim == 1 and key.dtype.kind in "iu"):
        return False
    rows = np.sort(key % n)
    return bool((rows[1:] != rows[:-1]).all())


class Index(Function):
    """out = x[key]: slices, integers and integer arrays; gx is gy put back at ``key``, where
    an index repeated adds up."""

    op = "index"

    def __init__(self, key):
        self.key = key
        self.view = _is_basic(key)  # slices and integers give views; integer arrays copy

    def forward(self, x):
        self.in_shape = x.shape
        return x[self.key]

    def explain(self, arrays, error):
        return f"index {self.key!r} does not fit shape {tuple(arrays[0].shape)}: {error}"

    def backward(self, gy):
        gx = _xp(gy).zeros(self.in_shape, dtype=gy.dtype)
        if _is_basic(self.key) or _distinct_rows(self.key, self.in_shape[0]):
            gx[self.key] = gy  # no element twice: plain assignment is exact, and 10x faster than a scatter-add
        else:
            backend.scatter_add(gx, self.key, gy)
        return gx


def _index_key(x, key):
    """Tensors and lists inside ``key`` as arrays on ``x``'s device."""
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for k in parts:
        if is_tensor(k):
            if k.device is not x.device:
                raise RuntimeError(f"index: the index is on '{k.device}' but the tensor on '{x.device}'")
            k = k.data
        elif isinstance(k, list):
            k = x.device.asarray(k)
        elif isinstance(k, np.ndarray) and x.device is not backend.CPU:
            k = x.device.asarray(k)
        out.append(k)
    return tuple(out) if isinstance(key, tuple) else out[0]


def index(x, key):
    return Index(_index_key(x, key))(x)


# -- joining and cutting -----------------------------------------------------------------------


def _pieces(array, sizes, axis):
    """Views of consecutive pieces of ``array`` along ``axis`` (``numpy.split`` is slower)."""
    lead = (slice(None),) * axis
    pieces, start = [], 0
    for n in sizes:
        pieces.append(array[lead + (slice(start, start + n),)])
        start += n
    return tuple(pieces)


class Cat(Function):
    """Join along an existing axis; each input's gradient is its piece of gy."""

    op = "cat"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return _xp(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        return _pieces(gy, self.sizes, self.axis)


class Stack(Function):
    """Join along a new axis; each input's gradient is its slice of gy."""

    op = "stack"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return _xp(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        return tuple(_xp(gy).moveaxis(gy, self.axis, 0))


def _same_kind(op, xs):
    if not xs:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    like = next((x for x in xs if is_tensor(x)), None)
    xs = [as_tensor(x, like) for x in xs]
    dtypes = {x.data.dtype for x in xs}
    if len(dtypes) > 1:
        raise TypeError(f"{op}: tensors have different dtypes {sorted(str(d) for d in dtypes)}")
    return xs


def cat(xs, axis=_UNSET, *, dim=_UNSET):
    """Join tensors along an existing axis (``torch.cat``); each gets its piece of the gradient.

    >>> import tinygrad_rnn as tg
    >>> a, b = tg.zeros(2, 3), tg.ones(2, 1)
    >>> tg.cat([a, b], 1).shape, tg.cat([a, a]).shape
    ((2, 4), (4, 3))
    """
    axis = either("cat", axis, dim, "axis", "dim", 0)
    xs = _same_kind("cat", list(xs))
    return Cat(_axes(axis, xs[0].ndim, "cat")[0])(*xs)


def stack(xs, axis=_UNSET, *, dim=_UNSET):
    """Join tensors along a new axis (``torch.stack``): T tensors (B, H) make one (T, B, H).

    >>> import tinygrad_rnn as tg
    >>> steps = [tg.zeros(2, 3) for _ in range(5)]
    >>> tg.stack(steps).shape, tg.stack(steps, 1).shape
    ((5, 2, 3), (2, 5, 3))
    """
    axis = either("stack", axis, dim, "axis", "dim", 0)
    xs = _same_kind("stack", list(xs))
    return Stack(_axes(axis, xs[0].ndim + 1, "stack")[0])(*xs)


class Split(Function):
    """Cut x along ``axis`` into pieces of the given sizes (one node, many outputs); the
    gradient joins the pieces' gradients, zeros for pieces that got none."""

    op = "split"
    view = True

    def __init__(self, sizes, axis):
        self.sizes, self.axis = sizes, axis

    def forward(self, x):
        self.in_shape = x.shape
        return _pieces(x, self.sizes, self.axis)

    def backward(self, *gys):
        some = next(g for g in gys if g is not None)
        xp = _xp(some)
        parts = []
        for g, n in zip(gys, self.sizes):
            if g is None:
                shape = list(self.in_shape)
                shape[self.axis] = n
                g = xp.zeros(shape, dtype=some.dtype)
            parts.append(g)
        return xp.concatenate(parts, axis=self.axis)


def split(x, split_size_or_sections, axis=_UNSET, *, dim=_UNSET):
    """Pieces of ``split_size`` along ``axis`` (the last may be smaller), or of the listed sizes,
    as ``torch.split``; one node, however many pieces. Also ``x.split``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.arange(5)
    >>> [p.tolist() for p in tg.split(x, 2)], [p.shape for p in x.split([1, 4])]
    ([[0, 1], [2, 3], [4]], [(1,), (4,)])
    """
    axis = either("split", axis, dim, "axis", "dim", 0)
    axis = _axes(axis, x.ndim, "split")[0]
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: the size must be positive, got {step}")
        sizes = _runs(n, step)
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} add up to {builtins.sum(sizes)}, "
                f"not to the length {n} of axis {axis} (shape {tuple(x.shape)})"
            )
    return Split(tuple(sizes), axis)(x)


def chunk(x, chunks, axis=_UNSET, *, dim=_UNSET):
    """``chunks`` nearly equal pieces along ``axis`` (``torch.chunk``): an LSTM's gate
    pre-activations (B, 4H) cut into i, f, g, o. Also ``x.chunk``.

    >>> import tinygrad_rnn as tg
    >>> i, f, g, o = tg.chunk(tg.zeros(2, 12), 4, 1)
    >>> i.shape, o.shape
    ((2, 3), (2, 3))
    """
    axis = either("chunk", axis, dim, "axis", "dim", 0)
    if chunks <= 0:
        raise ValueError(f"chunk: the number of chunks must be positive, got {chunks}")
    axis = _axes(axis, x.ndim, "chunk")[0]
    n = x.shape[axis]
    return Split(_runs(n, -(-n // chunks)) if n else (0,) * chunks, axis)(x)  # empty pieces, as torch


def _runs(n, step):
    """The sizes of the pieces of ``step`` that cut a length ``n`` (the last may be shorter;
    one empty piece for n = 0, as ``torch.split``)."""
    if n % step == 0:
        return (step,) * (n // step) if n else (0,)
    return tuple(builtins.min(step, n - start) for start in range(0, n, step))


class Unbind(Function):
    """The slices x[..., i, ...] along ``axis``, all at once (one node, one output per
    slice); the gradient stacks the slices' gradients, zeros for slices that got none."""

    op = "unbind"
    view = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.in_shape = x.shape
        return tuple(_xp(x).moveaxis(x, self.axis, 0))

    def backward(self, *gys):
        some = next(g for g in gys if g is not None)
        xp = _xp(some)
        if all(g is not None for g in gys):
            return xp.stack(gys, axis=self.axis)
        shape = self.in_shape
        gx = xp.zeros((shape[self.axis],) + shape[: self.axis] + shape[self.axis + 1 :], dtype=some.dtype)
        for i, g in enumerate(gys):
            if g is not None:
                gx[i] = g
        return xp.moveaxis(gx, 0, self.axis)


def unbind(x, axis=_UNSET, *, dim=_UNSET):
    """The tensor's slices along ``axis``, as a tuple (``torch.unbind``): one node for all of
    them, as a sequence layer cuts its input into time steps. Also ``x.unbind``.

    >>> import tinygrad_rnn as tg
    >>> steps = tg.unbind(tg.zeros(5, 2, 3))
    >>> len(steps), steps[0].shape, tg.zeros(5, 2, 3).unbind(1)[0].shape
    (5, (2, 3), (5, 3))
    """
    axis = either("unbind", axis, dim, "axis", "dim", 0)
    return Unbind(_axes(axis, x.ndim, "unbind")[0])(x)
