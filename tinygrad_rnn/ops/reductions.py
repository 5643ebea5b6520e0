"""Reductions over axes: sum and max (mean, logsumexp and softmax are composites of these)."""

from ..autograd import Function
from ..backend import array_module as _xp
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


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all), as ``numpy.sum``."""
    return Sum(_axes(axis, x.ndim, "sum"), keepdims)(x)


class Max(Function):
    """out = max over ``axes``; the gradient is shared equally among the maxima."""

    op = "max"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        if any(x.shape[a] == 0 for a in self.axes):
            raise ValueError(f"max over an empty axis of shape {tuple(x.shape)}")
        out = x.max(axis=self.axes, keepdims=self.keepdims)
        self.saved = x, out
        return out

    def backward(self, gy):
        x, out = self.saved
        hit = x == _expand_reduced(out, x.shape, self.axes, self.keepdims)
        gy = _expand_reduced(gy, x.shape, self.axes, self.keepdims)
        return hit * (gy / hit.sum(axis=self.axes, keepdims=True))


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis`` (None: all); ties share the gradient."""
    return Max(_axes(axis, x.ndim, "max"), keepdims)(x)
