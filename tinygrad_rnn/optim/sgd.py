"""Stochastic gradient descent, as ``torch.optim.SGD``."""

from .optimizer import Optimizer, _check


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, dampening, Nesterov momentum and L2 weight decay.

    With g the gradient, μ the momentum, τ the dampening, λ the weight decay, each step::

        g ← g + λ·p
        b ← g                          on the first step (no dampening yet)
        b ← μ·b + (1 − τ)·g            afterwards
        g ← g + μ·b  (Nesterov)   or   g ← b
        p ← p − lr·g

    which is ``torch.optim.SGD``'s rule (momentum 0: plain ``p ← p − lr·g``).

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter([1.0, -2.0])
    >>> opt = tg.optim.SGD([w], lr=0.5)
    >>> w.grad = tg.Tensor([1.0, 1.0])
    >>> opt.step()
    >>> w.tolist()
    [0.5, -2.5]
    """

    state_keys = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        _check(self, "momentum", group["momentum"], group["momentum"] >= 0, ">= 0")
        _check(self, "weight_decay", group["weight_decay"], group["weight_decay"] >= 0, ">= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires momentum > 0 and dampening == 0, "
                f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _needs(self, group):
        return set()  # the buffer is made on the first step that uses momentum

    def _update(self, p, grad, state, group):
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if weight_decay != 0:
            grad = grad + weight_decay * p.data
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # a copy (zero_grad may zero the gradient in place), and an array even where NumPy
                # made the 0-d sum above a scalar, so that the in-place updates below stick
                buf = state["momentum_buffer"] = p.device.xp.array(grad)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        p.data -= lr * grad
