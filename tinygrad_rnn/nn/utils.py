"""Gradient clipping, as ``torch.nn.utils``: call between ``backward()`` and the optimizer's ``step()``.

Both functions take a single tensor or an iterable of tensors (``model.parameters()``),
skip the tensors whose ``.grad`` is None, and change the gradients in place.
"""

import math

import numpy as np

from ..tensor import Tensor


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def _norm(p, norm_type):
    """The ``norm_type``-norm of ``p``'s gradient seen as one vector, computed in float64."""
    g = p.grad.data
    if g.size == 0:
        return 0.0
    flat = g.ravel().astype(np.float64, copy=False)
    return float(p.device.xp.linalg.norm(flat, ord=norm_type))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    The gradients are seen as one long vector g (Pascanu, Mikolov & Bengio, 2013, "On the
    difficulty of training recurrent neural networks"): its norm is

        total = (Σ_params ‖g_p‖ₚᵖ)^(1/p)        or, for p = inf,   total = max |g|,

    and when c = max_norm / (total + 1e-6) is below 1, every gradient is multiplied by c,
    which keeps the direction of the update and bounds its length (the 1e-6 keeps the
    division finite for zero gradients). Returns ``total`` (before clipping) as a float.

    A non-finite total (a gradient holding inf or nan) raises RuntimeError when
    ``error_if_nonfinite``; otherwise the gradients are scaled by it anyway (to zeros and
    NaNs), as torch does, so the failure shows rather than hides.
    """
    norm_type = float(norm_type)
    if not (norm_type > 0):
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    if not (max_norm >= 0):
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    params = _with_grads(parameters)
    if not params:
        return 0.0
    norms = np.array([_norm(p, norm_type) for p in params])
    total = float(np.linalg.norm(norms, ord=norm_type))  # the norm of the norms is the norm of everything
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, so it cannot "
            "be clipped; pass error_if_nonfinite=False to scale the gradients by it anyway"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1 or math.isnan(coef):
        for p in params:
            p.grad.data *= coef
    return total


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry into [−clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    if not (clip_value >= 0):
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for p in _with_grads(parameters):
        p.device.xp.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
