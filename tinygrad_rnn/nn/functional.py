"""Losses and activations as functions, written with primitive ops (their gradients come free).

Every loss checks its arguments (shapes, dtypes, class indices, ``reduction``) before it
computes anything, and names itself in the error.
"""

import numpy as np

from .. import ops
from ..creation import arange, zeros_like
from ..tensor import Tensor

tanh = ops.tanh
sigmoid = ops.sigmoid
relu = ops.relu

_REDUCTIONS = ("mean", "sum", "none")


def softmax(input, dim=-1):
    """softmax(x)ᵢ = exp(xᵢ - m) / Σⱼ exp(xⱼ - m) along ``dim``, with m = max x (no overflow)."""
    return ops.softmax(input, dim)


def log_softmax(input, dim=-1):
    """log softmax(x)ᵢ = xᵢ - logsumexp(x) along ``dim``: finite for any logits."""
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


def _target_like(op, input, target):
    """``target`` as a tensor with ``input``'s shape and dtype (Python data and integer arrays
    take the input's dtype; a float array of another dtype is an error, as for every op)."""
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=None if hasattr(target, "dtype") else input.dtype, device=input.device)
    if target.shape != input.shape:
        raise ValueError(f"{op}: input shape {tuple(input.shape)} and target shape {tuple(target.shape)} differ")
    if target.dtype.kind == "f" and target.dtype != input.dtype:
        raise TypeError(f"{op}: input dtype {input.dtype} and target dtype {target.dtype} differ")
    return target if target.dtype == input.dtype else ops.cast(target, input.dtype)


def mse_loss(input, target, reduction="mean"):
    """ℓᵢ = (xᵢ - yᵢ)², then averaged ("mean"), added ("sum") or kept ("none")."""
    _check_reduction("mse_loss", reduction)
    _float_input("mse_loss", input)
    target = _target_like("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def cross_entropy(input, target, reduction="mean"):
    """ℓₙ = -log softmax(xₙ)[tₙ] = logsumexp(xₙ) - xₙ[tₙ], finite for any logits.

    ``input``: logits (N, C) with ``target`` (N,), or (C,) with a 0-d target; targets are
    integer class indices in [0, C). The gradient is softmax(xₙ) - onehot(tₙ).
    """
    _check_reduction("cross_entropy", reduction)
    _float_input("cross_entropy", input)
    if not isinstance(target, Tensor):
        target = Tensor(target, device=input.device)
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: target must hold integer class indices, got dtype {target.dtype} "
            f"(shape {tuple(target.shape)})"
        )
    batched = input.ndim == 2
    if not ((batched and target.shape == input.shape[:1]) or (input.ndim == 1 and target.ndim == 0)):
        raise ValueError(
            "cross_entropy: expected input (N, C) with target (N,), or input (C,) with a 0-d target, "
            f"got input {tuple(input.shape)} and target {tuple(target.shape)}"
        )
    logits, labels = (input, target) if batched else (input.reshape(1, -1), target.reshape(1))
    n, classes = logits.shape
    host = labels.numpy()
    bad = host[(host < 0) | (host >= classes)]
    if bad.size:
        raise IndexError(f"cross_entropy: target class {int(bad[0])} is outside [0, {classes}) (input {input.shape})")
    loss = ops.logsumexp(logits, 1) - logits[arange(n, device=input.device), labels]
    return _reduce(loss if batched else loss.reshape(()), reduction)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """ℓ = -[y log σ(x) + (1 - y) log(1 - σ(x))] = (1 - y) x + softplus(-x).

    softplus(z) = log(1 + eᶻ) is computed as logsumexp([0, z]): finite for any x, and its
    gradient σ(z) is exact everywhere, so dℓ/dx = σ(x) - y (a ``relu(x) + log(1 + e^-|x|)``
    form has kinks whose autodiff slope at x = 0 is wrong).
    """
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction)
    _float_input(op, input)
    target = _target_like(op, input, target)
    neg = -input
    softplus = ops.logsumexp(ops.stack([zeros_like(neg), neg], 0), 0)
    return _reduce((1 - target) * input + softplus, reduction)


def dropout(input, p=0.5, training=True):
    """Inverted dropout: out = x · m / (1 - p), with m ~ Bernoulli(1 - p) drawn per element.

    The expectation is unchanged, and the gradient is the same mask m / (1 - p). With
    ``training=False`` (or p = 0) it is the identity.
    """
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    _float_input("dropout", input)
    if not training or p == 0:
        return input
    mask = (input.device.rng.random(input.shape, dtype=np.float32) >= p).astype(input.dtype)
    mask *= 1 / (1 - p)
    return input * Tensor._wrap(mask, input.device)
