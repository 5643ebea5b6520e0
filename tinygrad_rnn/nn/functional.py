"""Losses and activations as functions, written with primitive ops (their gradients come free).

Every loss checks its arguments (shapes, dtypes, class indices, value ranges, ``reduction``)
before it computes anything, and names itself in the error. Checks of values run on the
device and cost at most one transfer of a flag to the host.
"""

import numbers

import numpy as np

from .. import ops
from ..backend import to_host
from ..creation import zeros_like
from ..tensor import Tensor

tanh = ops.tanh
sigmoid = ops.sigmoid
relu = ops.relu

_REDUCTIONS = ("mean", "sum", "none")


def softmax(input, dim=-1):
    """softmax(x)ᵢ = exp(xᵢ - m) / Σⱼ exp(xⱼ - m) along ``dim``, with m = max x (no overflow).

    >>> import tinygrad_rnn as tg
    >>> tg.nn.functional.softmax(tg.Tensor([[1000.0, 1000.0], [0.0, -1000.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    return ops.softmax(input, dim)


def log_softmax(input, dim=-1):
    """log softmax(x)ᵢ = xᵢ - logsumexp(x) along ``dim``: finite for any logits.

    >>> import tinygrad_rnn as tg
    >>> tg.nn.functional.log_softmax(tg.Tensor([0.0, -1000.0])).tolist()
    [0.0, -1000.0]
    """
    return ops.log_softmax(input, dim)


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _float_input(op, input):
    if not isinstance(input, Tensor) or input.dtype.kind != "f":
        what = f"dtype {input.dtype}" if isinstance(input, Tensor) else type(input).__name__
        raise TypeError(f"{op}: input must be a floating-point Tensor, got {what}")


def _same_device(op, input, other, what="target"):
    if other.device is not input.device:
        raise RuntimeError(f"{op}: input is on '{input.device}' but {what} on '{other.device}'")


def _target_like(op, input, target):
    """``target`` as a tensor with ``input``'s shape and dtype (Python data and integer arrays
    take the input's dtype; a float array of another dtype is an error, as for every op)."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=None if hasattr(target, "dtype") else input.dtype, device=input.device)
    _same_device(op, input, target)
    if target.shape != input.shape:
        raise ValueError(f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} differ")
    if target.dtype.kind == "f" and target.dtype != input.dtype:
        raise TypeError(f"{op}: input dtype {input.dtype} and target dtype {target.dtype} differ")
    return target if target.dtype == input.dtype else ops.cast(target, input.dtype)


def _constant_like(op, input, value, what):
    """``value`` (a tensor, array or numbers; None stays None) as a constant tensor of
    ``input``'s dtype, on its device, of a shape that broadcasts to the input's. Python
    numbers take the input's dtype; a float tensor or array of another dtype is an error."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        _same_device(op, input, value, what)
        array = value.data
    else:
        try:
            array = input.device.asarray(value, dtype=None if hasattr(value, "dtype") else input.dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{op}: {what} must be numbers, got {value!r:.60}") from None
    if array.dtype.kind not in "fiu" or (array.dtype.kind == "f" and array.dtype != input.dtype):
        raise TypeError(f"{op}: {what} must be numbers of the input's dtype {input.dtype}, got {array.dtype}")
    try:
        fits = np.broadcast_shapes(array.shape, input.shape) == tuple(input.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {what} of shape {tuple(array.shape)} does not broadcast to the input's {tuple(input.shape)}"
        )
    return Tensor._wrap(array.astype(input.dtype, copy=False), input.device)


def _pointwise(op, input, target, reduction, loss, weight=None):
    """``loss(input, target)`` elementwise, each element times its ``weight`` if one is
    given, reduced; the target as ``_target_like`` makes it."""
    _check_reduction(op, reduction)
    _float_input(op, input)
    weight = _constant_like(op, input, weight, "weight")
    loss = loss(input, _target_like(op, input, target))
    return _reduce(loss if weight is None else loss * weight, reduction)


def _squared_error(x, y):
    d = x - y
    return d * d


def mse_loss(input, target, reduction="mean"):
    """ℓᵢ = (xᵢ - yᵢ)², then averaged ("mean"), added ("sum") or kept ("none").

    >>> import tinygrad_rnn as tg
    >>> tg.nn.functional.mse_loss(tg.Tensor([1.0, 2.0]), tg.Tensor([0.0, 4.0])).item()
    2.5
    """
    return _pointwise("mse_loss", input, target, reduction, _squared_error)


def l1_loss(input, target, reduction="mean"):
    """ℓᵢ = |xᵢ - yᵢ|; the gradient is sign(xᵢ - yᵢ), 0 where they are equal (as torch).

    >>> import tinygrad_rnn as tg
    >>> tg.nn.functional.l1_loss(tg.Tensor([1.0, 2.0]), tg.Tensor([0.0, 4.0]), reduction="sum").item()
    3.0
    """
    return _pointwise("l1_loss", input, target, reduction, lambda x, y: ops.abs_(x - y))


# -- classification: integer class indices --------------------------------------------------


def _class_target(op, input, target):
    """``target`` as an integer tensor on ``input``'s device."""
    if not isinstance(target, Tensor):
        target = Tensor(target, device=input.device)
    _same_device(op, input, target)
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: target must hold integer class indices, got dtype {target.dtype} (shape {tuple(target.shape)}); "
            "class probabilities as targets are not supported"
        )
    return target


def _rows_of_classes(op, input, target, ignore_index):
    """Scores as (M, C) rows, with one label per row, checked on the device.

    ``input`` (N, C) with ``target`` (N,), (N, C, d₁, ...) with (N, d₁, ...), or (C,) with a
    0-d target. Returns the rows, the labels (an array, 0 where ignored), the mask of the
    labels kept (None when none is ignored) and the shape of the unreduced loss.
    """
    _float_input(op, input)
    target = _class_target(op, input, target)
    if input.ndim == 1 and target.ndim == 0:
        rows, shape = input.reshape(1, -1), ()
    elif input.ndim >= 2 and tuple(target.shape) == input.shape[:1] + input.shape[2:]:
        classes_last = input if input.ndim == 2 else input.permute(0, *range(2, input.ndim), 1)
        rows, shape = classes_last.reshape(-1, input.shape[1]), tuple(target.shape)
    else:
        raise ValueError(
            f"{op}: expected input (N, C) with target (N,), (N, C, d1, ...) with target (N, d1, ...), or (C,) with "
            f"a 0-d target; got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    xp, classes = input.device.xp, rows.shape[1]
    labels = target.data.reshape(-1)
    keep = labels != ignore_index
    bad = keep & ((labels < 0) | (labels >= classes))
    any_bad, any_ignored = to_host(xp.stack([bad.any(), ~keep.all()])).tolist()  # the one transfer
    if any_bad:
        first = int(to_host(labels[bad][:1])[0])
        raise IndexError(
            f"{op}: target class {first} is outside [0, {classes}) (input {tuple(input.shape)}, "
            f"ignore_index={ignore_index})"
        )
    if not any_ignored:
        return rows, labels, None, shape
    return rows, xp.where(keep, labels, 0), keep.astype(input.dtype), shape


def _class_weights(op, rows, weight):
    """``weight``, one number per class of the (M, C) ``rows``, as a constant tensor (None stays None)."""
    if weight is None:
        return None
    classes = rows.shape[1]
    shape = np.shape(weight.data if isinstance(weight, Tensor) else weight)
    if shape != (classes,):
        raise ValueError(f"{op}: weight must hold one number per class, shape ({classes},); got shape {shape}")
    return _constant_like(op, rows, weight, "weight")


def _row_weights(labels, keep, class_weights):
    """Each row's weight in the loss: its class's weight (1 without class weights), 0 where the
    row is ignored; None when every row weighs 1."""
    if class_weights is None:
        return keep
    per_row = class_weights.data[labels]
    return per_row if keep is None else per_row * keep


def _picked(rows, labels):
    """rows[m, labels[m]] for every row m: a differentiable gather."""
    return rows[rows.device.xp.arange(rows.shape[0]), labels]


def _masked(loss, weights):
    return loss if weights is None else loss * Tensor._wrap(weights, loss.device)


def _reduce_rows(loss, weights, shape, reduction):
    """Reduce a per-row loss already scaled by the rows' ``weights`` (0 on ignored rows; None:
    all 1): "mean" divides the sum by the sum of the weights, as torch.

    As torch, the mean over no rows at all is NaN, with a zero gradient. So is the mean over
    rows whose weights add up to 0, where torch's gradient is NaN.
    """
    if reduction == "none":
        return loss.reshape(shape)
    if reduction == "sum" or (weights is None and loss.shape[0]):
        return _reduce(loss, reduction)
    xp = loss.device.xp
    total = weights.sum() if weights is not None else xp.zeros((), loss.dtype)
    scale = Tensor._wrap(xp.asarray(1 / xp.where(total == 0, 1, total), dtype=loss.dtype), loss.device)
    empty = Tensor._wrap(xp.asarray(xp.where(total == 0, np.nan, 0), dtype=loss.dtype), loss.device)
    return loss.sum() * scale + empty


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    """ℓₙ = −w[tₙ]·input[n, tₙ], for log-probabilities ``input`` and class indices ``target``.

    Shapes as ``cross_entropy``; ``weight`` (C numbers, default all 1) scales each class, and
    "mean" divides by the sum of the weights of the targets. Targets equal to
    ``ignore_index`` add nothing and are not counted by "mean".

    >>> import tinygrad_rnn as tg
    >>> logp = tg.Tensor([[-0.5, -1.0], [-2.0, -0.25]])
    >>> tg.nn.functional.nll_loss(logp, [1, 1]).item()
    0.625
    >>> tg.nn.functional.nll_loss(logp, [0, 1], weight=[3.0, 1.0]).item()   # (3·0.5 + 1·0.25) / 4
    0.4375
    """
    _check_reduction("nll_loss", reduction)
    rows, labels, keep, shape = _rows_of_classes("nll_loss", input, target, ignore_index)
    weights = _row_weights(labels, keep, _class_weights("nll_loss", rows, weight))
    return _reduce_rows(_masked(-_picked(rows, labels), weights), weights, shape, reduction)


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """ℓₙ = -log softmax(xₙ)[tₙ] = logsumexp(xₙ) - xₙ[tₙ], finite for any logits.

    ``input``: logits (N, C) with ``target`` (N,), (N, C, d₁, ...) with (N, d₁, ...), or
    (C,) with a 0-d target; targets are integer class indices in [0, C) or ``ignore_index``
    (left out, and not counted by "mean"). With label smoothing ε the target is the mix
    (1 - ε)·onehot(tₙ) + ε/C, so ℓₙ = (1 - ε)(logsumexp(xₙ) - xₙ[tₙ]) + ε(logsumexp(xₙ) - mean(xₙ)).
    Without it the gradient is softmax(xₙ) - onehot(tₙ). Class weights w (``weight``, C
    numbers, as torch's) make it ℓₙ = (1 - ε)·w[tₙ]·(logsumexp(xₙ) - xₙ[tₙ]) +
    (ε/C)·Σ_c w_c(logsumexp(xₙ) - xₙ[c]), and "mean" divides by Σₙ w[tₙ].

    >>> import tinygrad_rnn as tg
    >>> logits = tg.Tensor([[0.0, 0.0], [5.0, -5.0]], requires_grad=True)
    >>> loss = tg.nn.functional.cross_entropy(logits, [0, -100])     # log 2, the second row ignored
    >>> round(loss.item(), 4)
    0.6931
    >>> loss.backward()
    >>> logits.grad.tolist()                                          # softmax - onehot, then the mean
    [[-0.5, 0.5], [0.0, 0.0]]
    """
    op = "cross_entropy"
    _check_reduction(op, reduction)
    _check_unit("cross_entropy", "label_smoothing", label_smoothing)
    rows, labels, keep, shape = _rows_of_classes(op, input, target, ignore_index)
    class_weights = _class_weights(op, rows, weight)
    weights = _row_weights(labels, keep, class_weights)
    lse = ops.logsumexp(rows, 1)
    loss = _masked(lse - _picked(rows, labels), weights)
    if label_smoothing:
        if class_weights is None:
            spread = lse - rows.mean(1)
        else:  # Σ_c w_c (lse - x_c) / C
            spread = ((lse.unsqueeze(1) - rows) * class_weights).mean(1)
        loss = loss * (1 - label_smoothing) + _masked(spread, keep) * label_smoothing
    return _reduce_rows(loss, weights, shape, reduction)


# -- binary targets -----------------------------------------------------------------------------


def _log_sigmoid_terms(x, y, pos_weight=None):
    neg = -x
    softplus = ops.logsumexp(ops.stack([zeros_like(neg), neg], 0), 0)
    if pos_weight is not None:
        softplus = softplus * ((pos_weight - 1) * y + 1)
    return (1 - y) * x + softplus


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean", pos_weight=None):
    """ℓ = -[y log σ(x) + (1 - y) log(1 - σ(x))] = (1 - y) x + softplus(-x).

    softplus(z) = log(1 + eᶻ) is computed as logsumexp([0, z]): finite for any x, and its
    gradient σ(z) is exact everywhere, so dℓ/dx = σ(x) - y (a ``relu(x) + log(1 + e^-|x|)``
    form has kinks whose autodiff slope at x = 0 is wrong).

    ``pos_weight`` p (broadcast to the input, e.g. one number per class of (N, C)) weighs the
    positive term, ℓ = -[p·y log σ(x) + (1 - y) log(1 - σ(x))] = (1 - y) x + (1 + (p - 1) y)
    softplus(-x): p > 1 raises recall, as torch's. ``weight`` (broadcast to the input)
    multiplies each element's loss; "mean" stays the mean over the elements.

    >>> import tinygrad_rnn as tg
    >>> x, y = tg.Tensor([0.0, 200.0]), tg.Tensor([1.0, 0.0])
    >>> [round(v, 4) for v in tg.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none").tolist()]
    [0.6931, 200.0]
    """
    op = "binary_cross_entropy_with_logits"

    def loss(x, y):
        return _log_sigmoid_terms(x, y, _constant_like(op, x, pos_weight, "pos_weight"))

    return _pointwise(op, input, target, reduction, loss, weight)


_BCE_BOUND = float(np.float32(1e-12))  # torch's bound on x(1 - x) in the gradient, a float32 constant


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """ℓ = -[y·max(log x, -100) + (1 - y)·max(log(1 - x), -100)] for probabilities x in [0, 1],
    each element's loss times ``weight`` when it is given (broadcast to the input).

    The clamps keep ℓ finite at x = 0 and 1, as torch's; so does the gradient, torch's

        dℓ/dx = (x - y) / max(x(1 - x), 10⁻¹²),    dℓ/dy = max(log(1 - x), -100) - max(log x, -100).

    Both closed forms are computed on the arrays and joined to the graph as the first-order
    expansion ℓ₀ + (x - x₀)·dℓ/dx + (y - y₀)·dℓ/dy at x₀ = x, y₀ = y, whose value is ℓ₀ exactly
    and whose gradients are those. Inputs and targets outside [0, 1] (or NaN) are refused,
    as torch does.

    >>> import tinygrad_rnn as tg
    >>> p, y = tg.Tensor([0.5, 0.9, 0.0]), tg.Tensor([1.0, 0.0, 1.0])
    >>> [round(v, 4) for v in tg.nn.functional.binary_cross_entropy(p, y, reduction="none").tolist()]
    [0.6931, 2.3026, 100.0]
    """
    op = "binary_cross_entropy"
    _check_reduction(op, reduction)
    _float_input(op, input)
    target = _target_like(op, input, target)
    weight = _constant_like(op, input, weight, "weight")
    xp, x, y = input.device.xp, input.data, target.data
    outside = [~((a >= 0) & (a <= 1)) for a in (x, y)]
    flags = to_host(xp.stack([o.any() for o in outside]))  # the one transfer
    for what, a, o, bad in zip(("input", "target"), (x, y), outside, flags):
        if bad:
            raise ValueError(
                f"{op}: every {what} value must be in [0, 1], got {to_host(a[o][:1])[0]} (shape {tuple(a.shape)})"
            )
    with np.errstate(divide="ignore"):  # log 0 = -inf, clamped at once
        log_x, log_1mx = xp.maximum(xp.log(x), -100), xp.maximum(xp.log1p(-x), -100)
    loss, dx, dy = (y - 1) * log_1mx - y * log_x, (x - y) / xp.maximum(x * (1 - x), _BCE_BOUND), log_1mx - log_x

    def const(a):
        return Tensor._wrap(xp.asarray(a, dtype=x.dtype), input.device)

    loss = const(loss) + (input - const(x)) * const(dx) + (target - const(y)) * const(dy)
    return _reduce(loss if weight is None else loss * weight, reduction)


def dropout(input, p=0.5, training=True):
    """Inverted dropout: out = x · m / (1 - p), with m ~ Bernoulli(1 - p) drawn per element.

    The expectation is unchanged, and the gradient is the same mask m / (1 - p). With
    ``training=False`` (or p = 0) it is the identity; p = 1 gives zeros (x · 0, as torch).

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> y = tg.nn.functional.dropout(tg.ones(1000), p=0.25)
    >>> sorted({round(v, 4) for v in y.tolist()}), abs(y.mean().item() - 1) < 0.1   # 0 or 1/(1 - p); mean ≈ 1
    ([0.0, 1.3333], True)
    >>> tg.nn.functional.dropout(tg.ones(3), p=0.25, training=False).tolist()
    [1.0, 1.0, 1.0]
    """
    _check_unit("dropout", "p", p)
    _float_input("dropout", input)
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    mask = (input.device.rng.random(input.shape, dtype=np.float32) >= p).astype(input.dtype)
    mask *= 1 / (1 - p)
    return input * Tensor._wrap(mask, input.device)


def _check_unit(op, name, value):
    """Refuse ``value`` unless it is a number in [0, 1] (NaN included): dropout's p, label smoothing."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number in [0, 1], got {type(value).__name__} {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"{op}: {name} must be in [0, 1], got {value}")
