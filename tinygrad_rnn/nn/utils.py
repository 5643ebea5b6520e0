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


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    The gradients are seen as one long vector g (Pascanu, Mikolov & Bengio, 2013, "On the
    difficulty of training recurrent neural networks"): its norm is

        total = (Σ_params ‖g_p‖ₚᵖ)^(1/p)        or, for p = inf,   total = max |g|,

    and every gradient is multiplied by c = min(1, max_norm / (total + 1e-6)), which keeps
    the direction of the update and bounds its length (the 1e-6 keeps the division finite
    for zero gradients). All of it runs on the gradients' device, with no wait for the GPU.
    Returns ``total`` (before clipping) as a 0-d tensor, as PyTorch does (``float(total)``
    reads it).

    A non-finite total (a gradient holding inf or nan) raises RuntimeError when
    ``error_if_nonfinite`` (which reads the total, so it waits for the GPU); otherwise the
    gradients are scaled by it anyway (to zeros and NaNs), as torch does, so the failure
    shows rather than hides.

    >>> import tinygrad_rnn as tg
    >>> a, b = tg.nn.Parameter([0.0]), tg.nn.Parameter([0.0, 0.0])
    >>> a.grad, b.grad = tg.Tensor([3.0]), tg.Tensor([4.0, 0.0])
    >>> total = tg.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    >>> total.item(), [round(g, 4) for g in a.grad.tolist() + b.grad.tolist()]
    (5.0, [0.6, 0.8, 0.0])
    """
    norm_type = float(norm_type)
    if not (norm_type > 0):
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    if not (max_norm >= 0):
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    devices = {p.grad.device for p in params}
    if len(devices) > 1:
        raise RuntimeError(f"clip_grad_norm_: the gradients are on several devices {sorted(map(str, devices))}")
    device = params[0].grad.device
    xp = device.xp
    norms = xp.stack([_norm(p.grad.data, norm_type, xp) for p in params])
    total = _norm(norms, norm_type, xp)  # the norm of the norms is the norm of everything
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}, so it "
            "cannot be clipped; pass error_if_nonfinite=False to scale the gradients by it anyway"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for p in params:
        p.grad.data *= coef.astype(p.grad.data.dtype)
    return Tensor._wrap(total, device)


def _norm(array, norm_type, xp):
    """The ``norm_type``-norm of ``array`` seen as one vector, in float64, as a 0-d device array."""
    flat = array.ravel().astype(np.float64, copy=False)
    if flat.size == 0:
        return xp.zeros((), dtype=np.float64)
    if norm_type == math.inf:
        return xp.abs(flat).max()
    return (xp.abs(flat) ** norm_type).sum() ** (1 / norm_type)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry into [−clip_value, clip_value], in place.

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter([0.0, 0.0, 0.0])
    >>> w.grad = tg.Tensor([-3.0, 0.5, 2.0])
    >>> tg.nn.utils.clip_grad_value_(w, 1.0)
    >>> w.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    clip_value = float(clip_value)
    if not (clip_value >= 0):
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for p in _with_grads(parameters):
        p.device.xp.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)
