"""Composite ops, written with the primitives: their gradients follow from the chain rule,
with no backward of their own."""

from .elementwise import exp, log
from .operands import _UNSET, either
from .operands import axes as _axes
from .reductions import max, sum
from .shapes import reshape


def mean(x, axis=_UNSET, keepdims=_UNSET, *, dim=_UNSET, keepdim=_UNSET):
    """Σ x / n over ``axis`` (None: all)."""
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
    never overflows; -inf when every term is -inf."""
    axis = either("logsumexp", axis, dim, "axis", "dim", -1)
    keepdims = either("logsumexp", keepdims, keepdim, "keepdims", "keepdim", False)
    axes = _axes(axis, x.ndim, "logsumexp")
    shift = _finite_max(x, axes)
    out = log(sum(exp(x - shift), axes, keepdims=True)) + shift
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def log_softmax(x, axis=_UNSET, *, dim=_UNSET):
    """x - logsumexp(x) over ``axis`` (default: the last): log-probabilities, stable for any logits."""
    return x - logsumexp(x, either("log_softmax", axis, dim, "axis", "dim", -1), keepdims=True)


def softmax(x, axis=_UNSET, *, dim=_UNSET):
    """exp(x - max) / Σ exp(x - max) over ``axis`` (default: the last)."""
    axes = _axes(either("softmax", axis, dim, "axis", "dim", -1), x.ndim, "softmax")
    e = exp(x - _finite_max(x, axes))
    return e / sum(e, axes, keepdims=True)
