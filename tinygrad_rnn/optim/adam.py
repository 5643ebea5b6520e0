"""Adam and AdamW, as ``torch.optim.Adam`` and ``torch.optim.AdamW``."""

from .optimizer import Optimizer, _check


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with L2 weight decay added to the gradient as ``torch.optim.Adam``.

    With g the gradient, t the step count of this parameter (1, 2, ...), each step::

        g ← g + λ·p                                      (L2; AdamW instead decays p itself)
        m ← β₁·m + (1 − β₁)·g                            first moment
        v ← β₂·v + (1 − β₂)·g²                           second moment
        v̂ ← max(v̂, v)                                    with ``amsgrad``; else v̂ = v
        p ← p − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    The divisions by 1 − βᵗ undo the bias of m and v toward their zero start, so the first
    step moves each entry by about lr against the sign of its gradient. ``amsgrad=True``
    (Reddi et al., 2018) divides by the largest v seen so far, so no entry's step can grow
    when its recent gradients shrink:

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter([1.0, 1.0])
    >>> opt = tg.optim.Adam([w], lr=0.1)
    >>> w.grad = tg.Tensor([3.0, -0.5])
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, 1.1]
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False):
        options = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, options)

    def _needs(self, group):
        needs = {"step", "exp_avg", "exp_avg_sq"}
        if group["amsgrad"]:
            needs.add("max_exp_avg_sq")
        return needs

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            _check(self, f"beta parameter at index {i}", beta, 0 <= beta < 1, "in [0, 1)")
        _check(self, "epsilon value eps", group["eps"], group["eps"] >= 0, ">= 0")
        _check(self, "weight_decay", group["weight_decay"], group["weight_decay"] >= 0, ">= 0")
        if not isinstance(group["amsgrad"], bool):
            raise TypeError(f"{type(self).__name__}: amsgrad must be True or False, got {group['amsgrad']!r}")

    def _update(self, p, grad, state, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            xp = p.device.xp
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        if weight_decay != 0:
            if self.decoupled_weight_decay:
                p.data *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * p.data
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (grad - m)  # = β₁·m + (1 − β₁)·g, in the form torch's lerp_ uses
        v *= beta2
        v += (1 - beta2) * (grad * grad)
        if group["amsgrad"]:
            v = p.device.xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = lr / (1 - beta1**t)
        denom = p.device.xp.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Before the Adam step, the weights shrink by themselves, ``p ← p·(1 − lr·λ)``, instead of
    ``λ·p`` being added to the gradient (where Adam's scaling would weaken it for
    parameters with large gradients).

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter([1.0])
    >>> opt = tg.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = tg.Tensor([0.0])
    >>> opt.step()                  # a zero gradient: only the decay, w·(1 - 0.1·0.5)
    >>> round(w.item(), 4)
    0.95
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
