"""RMSprop, as ``torch.optim.RMSprop``."""

from .optimizer import Optimizer, _check


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012): divide the gradient by a running root mean square of its past values.

    With g the gradient, α the smoothing constant, λ the weight decay, μ the momentum, each step::

        g ← g + λ·p
        v ← α·v + (1 − α)·g²                       running mean of g²
        ḡ ← α·ḡ + (1 − α)·g                        (centered only) running mean of g
        d ← √(v − ḡ²) + ε   (centered)   or   d ← √v + ε
        b ← μ·b + g / d,   p ← p − lr·b            (momentum > 0)
        p ← p − lr·g / d                           (otherwise)

    all from zeros, which is ``torch.optim.RMSprop``'s rule. Centering divides by an
    estimate of the gradient's standard deviation instead of its root mean square.

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter([1.0])
    >>> opt = tg.optim.RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
    >>> w.grad = tg.Tensor([4.0])
    >>> opt.step()      # v = 0.25·16 = 4, so w moves by 0.01·4/√4
    >>> round(w.item(), 4)
    0.98
    """

    state_keys = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        for key in ("eps", "momentum", "weight_decay", "alpha"):
            _check(self, f"{key} value", group[key], group[key] >= 0, ">= 0")

    def _needs(self, group):
        needs = {"step", "square_avg"}
        if group["momentum"] > 0:
            needs.add("momentum_buffer")
        if group["centered"]:
            needs.add("grad_avg")
        return needs

    def _update(self, p, grad, state, group):
        lr, alpha, eps, weight_decay, momentum = (group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
        xp = p.device.xp
        if not state:
            needs = self._needs(group)
            state["step"] = 0
            for key in self.state_keys[1:]:  # in torch's order
                if key in needs:
                    state[key] = xp.zeros_like(p.data)
        state["step"] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * p.data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * (grad * grad)
        if group["centered"]:
            mean = state["grad_avg"]
            mean += (1 - alpha) * (grad - mean)  # = α·ḡ + (1 − α)·g, in the form torch's lerp_ uses
            denom = xp.sqrt(v - mean * mean) + eps
        else:
            denom = xp.sqrt(v) + eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / denom
            p.data -= lr * buf
        else:
            p.data -= lr * (grad / denom)
