"""Optimizers (SGD, Adam, AdamW) and learning-rate schedules, with ``torch.optim``'s names and update rules.

An optimizer holds the parameters in ``param_groups``: a list of dicts, each with the key
``"params"`` (a list of tensors) and that group's hyper-parameters (``"lr"``, ...). Giving
a plain iterable of parameters makes one group; giving a list of dicts sets options per
group, every option not given taking the optimizer's default::

    opt = SGD([{"params": encoder.parameters()}, {"params": head.parameters(), "lr": 1e-3}], lr=1e-2)

``step()`` updates each parameter that has a gradient, in place, on the raw arrays
(``p.data`` and ``p.grad.data``) with the array module of the parameter's device, so
the same code runs on NumPy and CuPy and records no graph. What an optimizer remembers
between steps (momentum buffers, Adam's moments and step count) is in ``self.state``,
a dict from each parameter to a dict of its own.

The schedules (``StepLR``, ``CosineAnnealingLR``) set each group's ``"lr"`` from the
closed form of ``torch.optim.lr_scheduler``, as a function of the epoch count.
"""

import math
import numbers

from .autograd import enable_grad, no_grad
from .tensor import Tensor


class Optimizer:
    """Base class: holds ``param_groups`` and ``state``; subclasses write ``_update`` for one parameter.

    ``defaults`` are the hyper-parameters of a group that does not set its own.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        # Keyed by the parameter object itself: Tensor hashes by identity (its == is elementwise,
        # but a dict compares hashes first, and two live objects never share an identity hash).
        self.state = {}
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of tensors or of dicts, got a single Tensor")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: params must be an ordered iterable (a list), not a set: the order must not vary")
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add a group: a dict with ``"params"`` and, optionally, its own hyper-parameters."""
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{name}: param groups must be dicts, got {type(group).__name__}")
        if "params" not in group:
            raise ValueError(f"{name}: a param group needs the key 'params'")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be ordered (a list), not a set")
        params = list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (one made by an op); use a Parameter")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter appears more than once (in one group or in two groups)")
            seen.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self._check_group(full)
        self.param_groups.append(full)

    def _check_group(self, group):
        """Raise ValueError for a hyper-parameter out of range (subclasses extend this)."""
        _check(self, "learning rate lr", group["lr"], group["lr"] >= 0, ">= 0")

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set each ``.grad`` to None, or fill it with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (optional) recomputes and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    self._update(p, p.grad.data, self.state.setdefault(p, {}), group)
                    p._changed()
        return loss

    def _update(self, p, grad, state, group):
        """Change ``p.data`` in place from the raw gradient array ``grad``; ``state`` is ``p``'s memory."""
        raise NotImplementedError

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {options}")
        return "\n".join(lines) + "\n)"


def _check(optimizer, what, value, ok, rule):
    # `ok` is a comparison, so NaN (which compares False to everything) is rejected too.
    if not ok:
        raise ValueError(f"{type(optimizer).__name__}: invalid {what}: {value!r} (must be {rule})")


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum, dampening, Nesterov momentum and L2 weight decay.

    With g the gradient, μ the momentum, τ the dampening, λ the weight decay, each step::

        g ← g + λ·p
        b ← g                          on the first step (no dampening yet)
        b ← μ·b + (1 − τ)·g            afterwards
        g ← g + μ·b  (Nesterov)   or   g ← b
        p ← p − lr·g

    which is ``torch.optim.SGD``'s rule (momentum 0: plain ``p ← p − lr·g``).
    """

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


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with L2 weight decay added to the gradient as ``torch.optim.Adam``.

    With g the gradient, t the step count of this parameter (1, 2, ...), each step::

        g ← g + λ·p                                      (L2; AdamW instead decays p itself)
        m ← β₁·m + (1 − β₁)·g                            first moment
        v ← β₂·v + (1 − β₂)·g²                           second moment
        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    The divisions by 1 − βᵗ undo the bias of m and v toward their zero start.
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            _check(self, f"beta parameter at index {i}", beta, 0 <= beta < 1, "in [0, 1)")
        _check(self, "epsilon value eps", group["eps"], group["eps"] >= 0, ">= 0")
        _check(self, "weight_decay", group["weight_decay"], group["weight_decay"] >= 0, ">= 0")

    def _update(self, p, grad, state, group):
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            xp = p.device.xp
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
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
        step_size = lr / (1 - beta1**t)
        denom = p.device.xp.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Before the Adam step, the weights shrink by themselves, ``p ← p·(1 − lr·λ)``, instead of
    ``λ·p`` being added to the gradient (where Adam's scaling would weaken it for
    parameters with large gradients).
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class LRScheduler:
    """Base class of the schedules: ``lr`` of each group as a function of the epoch count.

    On creation each group keeps its starting lr as ``"initial_lr"`` (unless a group has one
    already) and the schedule takes epoch 0. Each ``step()`` moves one epoch on and writes
    ``lr_at(initial_lr, epoch)`` into the group's ``"lr"``. Being closed forms, two schedules
    on one optimizer do not compound: the last one stepped decides the lr.
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def lr_at(self, base_lr, epoch):
        """The learning rate at ``epoch`` of a group that started at ``base_lr``."""
        raise NotImplementedError

    def step(self):
        """Move to the next epoch and set every group's lr."""
        self.last_epoch += 1
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base_lr, self.last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lr of each group, as the last ``step()`` (or the creation) set it."""
        return list(self._last_lr)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: lr = base_lr · γ^⌊epoch / step_size⌋."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not (isinstance(step_size, numbers.Integral) and step_size > 0):
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from base_lr down to ``eta_min`` over ``T_max`` epochs (SGDR without restarts):

        lr = η_min + (base_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2

    Past ``T_max`` the cosine goes on, so the lr climbs back toward base_lr, as in torch.
    """

    def __init__(self, optimizer, T_max, eta_min=0):
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
