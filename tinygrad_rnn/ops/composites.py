"""Composite ops, written with the primitives: their gradients follow from the chain rule,
with no backward of their own."""

from .elementwise import exp, gt, log, lt, where
from .operands import axes as _axes
from .operands import operands
from .reductions import max, sum
from .shapes import reshape


def mean(x, axis=None, keepdims=False):
    """Σ x / n over ``axis`` (None: all)."""
    axes = _axes(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count == 0:
        raise ValueError(f"mean: no elements to average over axis {axis!r} of shape {tuple(x.shape)}")
    return sum(x, axes, keepdims) * (1.0 / count)


def logsumexp(x, axis=-1, keepdims=False):
    """log Σ exp(x) over ``axis``, shifted by the (constant) maximum so it never overflows."""
    axes = _axes(axis, x.ndim, "logsumexp")
    shift = max(x, axes, keepdims=True).detach()
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def log_softmax(x, axis=-1):
    """x - logsumexp(x): log-probabilities, stable for any logits."""
    return x - logsumexp(x, axis, keepdims=True)


def softmax(x, axis=-1):
    """exp(x - max) / Σ exp(x - max)."""
    e = exp(x - max(x, axis, keepdims=True).detach())
    return e / sum(e, axis, keepdims=True)


def minimum(x, y):
    x, y = operands("minimum", x, y)
    return where(lt(y, x), y, x)


def maximum(x, y):
    x, y = operands("maximum", x, y)
    return where(gt(y, x), y, x)
