"""Composite ops, written with the primitives: their gradients follow from the chain rule,
with no backward of their own."""

from .elementwise import exp, log
from .operands import _UNSET, either
from .operands import axes as _axes
from .reductions import max, sum
from .shapes import reshape


def mean(x, axis=_UNSET, keepdims=_UNSET, *, dim=_UNSET, keepdim=_UNSET):
    """Σ x / n over ``axis`` (None: all); also ``x.mean()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> tg.mean(x).item(), x.mean(0).tolist(), x.mean(1, keepdims=True).tolist()
    (3.0, [2.0, 4.0], [[1.5], [4.5]])
    """
    axis, keepdims = (
        either("mean", axis, dim, "axis", "dim"),
        either("mean", keepdims, keepdim, "keepdims", "keepdim", False),
    )
    axes = _axes(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    if count == 0:
        raise ValueError(f"mean: no elements to average over axis {axis!r} of shape {tuple(x.shape)}")
    return sum(x, axes, keepdims) * (1.0 / count)


def _finite_max(x, axes):
    """The maximum over ``axes`` as a constant, 0 where it is not finite (all -inf: the shift
    must not make -inf - -inf = nan)."""
    m = max(x, axes, keepdims=True).detach()
    xp = m.device.xp
    return m._wrap(xp.where(xp.isfinite(m.data), m.data, 0), m.device)


def logsumexp(x, axis=_UNSET, keepdims=_UNSET, *, dim=_UNSET, keepdim=_UNSET):
    """log Σ exp(x) over ``axis`` (default: the last), shifted by the (constant) maximum so it
    never overflows; -inf when every term is -inf. Also ``x.logsumexp()``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1000.0, 1000.0], [0.0, float("-inf")]], dtype="float64")
    >>> tg.logsumexp(x).numpy().round(4).tolist()
    [1000.6931, 0.0]
    """
    axis = either("logsumexp", axis, dim, "axis", "dim", -1)
    keepdims = either("logsumexp", keepdims, keepdim, "keepdims", "keepdim", False)
    axes = _axes(axis, x.ndim, "logsumexp")
    shift = _finite_max(x, axes)
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def log_softmax(x, axis=_UNSET, *, dim=_UNSET):
    """x - logsumexp(x) over ``axis`` (default: the last): log-probabilities, stable for any logits.
    Also ``x.log_softmax()``.

    >>> import tinygrad_rnn as tg
    >>> tg.log_softmax(tg.Tensor([0.0, 0.0, 1000.0])).tolist()
    [-1000.0, -1000.0, 0.0]
    """
    return x - logsumexp(x, either("log_softmax", axis, dim, "axis", "dim", -1), keepdims=True)


def softmax(x, axis=_UNSET, *, dim=_UNSET):
    """exp(x - max) / Σ exp(x - max) over ``axis`` (default: the last); also ``x.softmax()``.

    >>> import tinygrad_rnn as tg
    >>> tg.softmax(tg.Tensor([[0.0, 0.0], [1000.0, 0.0]]), 1).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    axes = _axes(either("softmax", axis, dim, "axis", "dim", -1), x.ndim, "softmax")
    e = exp(x - _finite_max(x, axes))
    return e / sum(e, axes, keepdims=True)
