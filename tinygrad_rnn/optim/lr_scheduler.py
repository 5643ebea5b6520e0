"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: each sets every group's ``"lr"``
from a closed form of the epoch count.

    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    sched = tg.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train(...)          # opt.step() for each batch
        sched.step()        # once per epoch

``state_dict()`` / ``load_state_dict()`` save and restore where a schedule is (its epoch
count, base learning rates and options), for resuming training together with the
optimizer's own state dict.
"""

import copy
import math
import numbers

from .optimizer import Optimizer


class LRScheduler:
    """Base class of the schedules: ``lr`` of each group as a function of the epoch count.

    On creation each group keeps its starting lr as ``"initial_lr"`` (unless a group has one
    already) and the schedule takes epoch ``last_epoch + 1`` (0 by default). Each ``step()``
    moves one epoch on and writes ``lr_at(initial_lr, epoch)`` into the group's ``"lr"``.
    Being closed forms, two schedules on one optimizer do not compound: the last one stepped
    decides the lr. ``last_epoch`` other than -1 resumes a schedule, and needs the groups'
    ``"initial_lr"`` (as torch).

    >>> import tinygrad_rnn as tg
    >>> class Halving(tg.optim.LRScheduler):        # lr = base_lr / 2^epoch
    ...     def lr_at(self, base_lr, epoch):
    ...         return base_lr * 0.5**epoch
    >>> opt = tg.optim.SGD([tg.nn.Parameter([0.0])], lr=1.0)
    >>> sched = Halving(opt)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr(), opt.param_groups[0]["initial_lr"]
    ([0.25], 1.0)
    """

    _not_saved = ("optimizer",)

    def __init__(self, optimizer, last_epoch=-1):
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        if not isinstance(last_epoch, numbers.Integral) or isinstance(last_epoch, bool) or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an integer >= -1, got {last_epoch!r}")
        self._check_options()
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch != -1 and "initial_lr" not in group:
                raise ValueError(
                    f"{name}: resuming at last_epoch={last_epoch} needs 'initial_lr' in param group {i} "
                    "(load the optimizer's state dict first)"
                )
        self.optimizer = optimizer
        self.base_lrs = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self.step()
        for group, base_lr in zip(optimizer.param_groups, self.base_lrs):
            group.setdefault("initial_lr", base_lr)

    def _check_options(self):
        """Raise ValueError for an option out of range (subclasses extend this)."""

    def lr_at(self, base_lr, epoch):
        """The learning rate at ``epoch`` of a group that started at ``base_lr``."""
        raise NotImplementedError

    def _lrs(self, epoch):
        return [self.lr_at(base_lr, epoch) for base_lr in self.base_lrs]

    def step(self):
        """Move to the next epoch and set every group's lr (each checked to be a number >= 0 first)."""
        epoch = self.last_epoch + 1
        lrs = self._lrs(epoch)
        for i, lr in enumerate(lrs):
            if not (isinstance(lr, numbers.Real) and lr >= 0):
                raise ValueError(
                    f"{type(self).__name__}: the schedule gives group {i} the learning rate {lr!r} at epoch {epoch} "
                    "(it must be a number >= 0); nothing was changed"
                )
        self.last_epoch = epoch
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self):
        """The lr of each group, as the last ``step()`` (or the creation) set it."""
        return list(self._last_lr)

    def state_dict(self):
        """Where the schedule is, as plain data: every attribute but the optimizer (as torch).

        >>> import tinygrad_rnn as tg
        >>> opt = tg.optim.SGD([tg.nn.Parameter([0.0])], lr=0.1)
        >>> sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2)
        >>> sched.step()
        >>> sched.state_dict()
        {'step_size': 2, 'gamma': 0.1, 'base_lrs': [0.1], 'last_epoch': 1, '_last_lr': [0.1]}
        """
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k not in self._not_saved}

    def load_state_dict(self, state_dict):
        """Take the state saved by ``state_dict()`` of the same kind of schedule; everything is
        checked (the keys, one base lr per group, the options) before anything changes."""
        name = f"{type(self).__name__}.load_state_dict"
        own = self.state_dict()
        keys = set(state_dict) if hasattr(state_dict, "keys") else set()
        if keys != set(own):
            raise ValueError(
                f"{name}: the state dict's keys differ: missing {sorted(set(own) - keys)}, "
                f"unexpected {sorted(map(str, keys - set(own)))}"
            )
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            if len(state_dict[key]) != groups:
                raise ValueError(f"{name}: {key!r} has {len(state_dict[key])} entries for {groups} param groups")
        epoch = state_dict["last_epoch"]
        if not isinstance(epoch, numbers.Integral) or isinstance(epoch, bool) or epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an integer >= -1, got {epoch!r}")
        candidate = copy.copy(self)
        candidate.__dict__.update(copy.deepcopy(dict(state_dict)))
        try:
            candidate._check_options()
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}: {e}") from None
        self.__dict__.update(candidate.__dict__)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: lr = base_lr · γ^⌊epoch / step_size⌋.

    >>> import tinygrad_rnn as tg
    >>> opt = tg.optim.SGD([tg.nn.Parameter([0.0])], lr=1.0)
    >>> sched = tg.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _check_options(self):
        step_size = self.step_size
        if not (isinstance(step_size, numbers.Integral) and not isinstance(step_size, bool) and step_size > 0):
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: lr = base_lr · γ^epoch.

    >>> import tinygrad_rnn as tg
    >>> opt = tg.optim.SGD([tg.nn.Parameter([0.0])], lr=1.0)
    >>> sched = tg.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _check_options(self):
        if not (isinstance(self.gamma, numbers.Real) and self.gamma >= 0):
            raise ValueError(f"ExponentialLR: gamma must be a number >= 0, got {self.gamma!r}")

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from base_lr down to ``eta_min`` over ``T_max`` epochs (SGDR without restarts):

        lr = η_min + (base_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2

    Past ``T_max`` the cosine goes on, so the lr climbs back toward base_lr, as in torch.

    >>> import tinygrad_rnn as tg
    >>> opt = tg.optim.SGD([tg.nn.Parameter([0.0])], lr=1.0)
    >>> sched = tg.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
    >>> sched.step()
    >>> round(sched.get_last_lr()[0], 12)
    0.5
    """

    def __init__(self, optimizer, T_max, eta_min=0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def _check_options(self):
        if not (isinstance(self.T_max, numbers.Real) and self.T_max > 0):
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {self.T_max!r}")

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LambdaLR(LRScheduler):
    """lr = base_lr · λ(epoch), with one function λ for every group or one per group.

    The functions are not part of ``state_dict()`` (they are code): make the schedule with
    the same functions, then load its state.

    >>> import tinygrad_rnn as tg
    >>> opt = tg.optim.SGD([tg.nn.Parameter([0.0])], lr=0.5)
    >>> sched = tg.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + epoch))
    >>> sched.step(); sched.step()
    >>> opt.param_groups[0]["lr"]
    0.16666666666666666
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(getattr(optimizer, "param_groups", ()))
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per param group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def _lrs(self, epoch):
        return [base_lr * f(epoch) for base_lr, f in zip(self.base_lrs, self.lr_lambdas)]
