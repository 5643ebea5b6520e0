"""Reductions over axes: sum and max (mean, logsumexp and softmax are composites of these)."""

from collections import namedtuple

from ..autograd import Function
from ..backend import array_module as _xp
from .operands import _UNSET, either
from .operands import axes as _axes


def _expand_reduced(gy, shape, axes, keepdims):
    """A reduction's gradient reshaped to broadcast against the input's ``shape``."""
    return gy if keepdims else gy.reshape([1 if i in axes else n for i, n in enumerate(shape)])


class Sum(Function):
    """out = Σ x over ``axes``;  gx = gy broadcast back over them."""

    op = "sum"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.in_shape
        return _xp(gy).broadcast_to(_expand_reduced(gy, shape, self.axes, self.keepdims), shape)


def sum(x, axis=_UNSET, keepdims=_UNSET, *, dim=_UNSET, keepdim=_UNSET):
    """Sum over ``axis`` (None: all), as ``numpy.sum`` (``dim``/``keepdim`` as PyTorch's); also ``x.sum()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> tg.sum(x).item(), x.sum(0).tolist(), x.sum(1, keepdims=True).tolist()
    (10.0, [4.0, 6.0], [[3.0], [7.0]])
    """
    axis, keepdims = (
        either("sum", axis, dim, "axis", "dim"),
        either("sum", keepdims, keepdim, "keepdims", "keepdim", False),
    )
    return Sum(_axes(axis, x.ndim, "sum"), keepdims)(x)


class Max(Function):
    """out = max over ``axes``; the gradient is shared equally among the maxima."""

    op = "max"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        if any(x.shape[a] == 0 for a in self.axes):
            raise ValueError(f"{self.op} over an empty axis of shape {tuple(x.shape)}")
        out = (x.max if self.op == "max" else x.min)(axis=self.axes, keepdims=self.keepdims)
        self.saved = x, out
        return out

    def backward(self, gy):
        x, out = self.saved
        hit = x == _expand_reduced(out, x.shape, self.axes, self.keepdims)
        gy = _expand_reduced(gy, x.shape, self.axes, self.keepdims)
        return hit * (gy / hit.sum(axis=self.axes, keepdims=True))


def max(x, axis=_UNSET, keepdims=_UNSET, *, dim=_UNSET, keepdim=_UNSET):
    """Maximum over ``axis`` (None: all); ties share the gradient. Given PyTorch's ``dim``, it
    answers as PyTorch does: ``(values, indices)``. Also ``x.max()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1.0, 5.0], [3.0, 2.0]])
    >>> tg.max(x).item(), x.max(0).tolist()
    (5.0, [3.0, 5.0])
    >>> values, indices = x.max(dim=1)
    >>> values.tolist(), indices.tolist()
    ([5.0, 3.0], [1, 0])
    """
    return _extreme("max", Max, x, axis, keepdims, dim, keepdim)


class Min(Max):
    """out = min over ``axes``; the gradient is shared equally among the minima."""

    op = "min"


def min(x, axis=_UNSET, keepdims=_UNSET, *, dim=_UNSET, keepdim=_UNSET):
    """Minimum over ``axis`` (None: all); ties share the gradient. Given PyTorch's ``dim``: ``(values, indices)``.
    Also ``x.min()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1.0, 5.0], [3.0, 2.0]])
    >>> tg.min(x).item(), x.min(1).tolist(), x.min(dim=0).indices.tolist()
    (1.0, [1.0, 2.0], [0, 1])
    """
    return _extreme("min", Min, x, axis, keepdims, dim, keepdim)


Extremes = namedtuple("Extremes", "values indices")


def _extreme(op, cls, x, axis, keepdims, dim, keepdim):
    keepdims = either(op, keepdims, keepdim, "keepdims", "keepdim", False)
    if dim is _UNSET:
        return cls(_axes(None if axis is _UNSET else axis, x.ndim, op), keepdims)(x)
    if axis is not _UNSET:
        raise TypeError(f"{op}: got both axis= and dim= (the same thing); give one")
    (a,) = _axes(dim, x.ndim, op)
    values = cls((a,), keepdims)(x)
    pick = x.device.xp.argmax if op == "max" else x.device.xp.argmin
    index = pick(x.data, axis=a)
    return Extremes(values, x._wrap(index[(slice(None),) * a + (None,)] if keepdims else index, x.device))
