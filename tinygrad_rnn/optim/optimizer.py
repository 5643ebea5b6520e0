"""The optimizer base class: parameter groups, the atomic ``step()``, and state dicts.

An optimizer holds the parameters in ``param_groups``: a list of dicts, each with the key
``"params"`` (a list of tensors) and that group's hyper-parameters (``"lr"``, ...). Giving
a plain iterable of parameters makes one group; giving a list of dicts sets options per
group, every option not given taking the optimizer's default::

    opt = SGD([{"params": encoder.parameters()}, {"params": head.parameters(), "lr": 1e-3}], lr=1e-2)

``step()`` first checks everything it will read (each group's hyper-parameters, each
gradient's type, shape, dtype and device, each state array's shape, dtype and device and
that the state holds what the group's options need), and only then updates each parameter
that has a gradient, in place, on the raw arrays (``p.data`` and ``p.grad.data``) with the
array module of the parameter's device, so the same code runs on NumPy and CuPy and
records no graph. One bad gradient therefore changes nothing at all. What an optimizer
remembers between steps (momentum buffers, moments, step counts) is in ``self.state``, a
dict from each parameter to a dict of its own.

``state_dict()`` and ``load_state_dict()`` follow ``torch.optim``: parameters are named by
their index in the order of the groups, the arrays are NumPy copies, and ``tg.save`` /
``tg.load`` write and read the nested dict (see ``tinygrad_rnn.serialization``).
"""

import copy
import numbers

import numpy as np

from ..autograd import enable_grad, no_grad
from ..backend import to_host
from ..tensor import Tensor

COUNTS = ("step",)  # state entries that are counts; every other entry is an array shaped like its parameter


class Optimizer:
    """Base class: holds ``param_groups`` and ``state``; subclasses write ``_update`` for one parameter.

    ``defaults`` are the hyper-parameters of a group that does not set its own. A subclass
    lists in ``state_keys`` every entry its state may hold, and says in ``_needs(group)``
    which of them a started state must hold under that group's options.

    >>> import tinygrad_rnn as tg
    >>> class SignSGD(tg.optim.Optimizer):      # p ← p − lr·sign(g)
    ...     def __init__(self, params, lr=0.01):
    ...         super().__init__(params, dict(lr=lr))
    ...     def _update(self, p, grad, state, group):
    ...         p.data -= group["lr"] * p.device.xp.sign(grad)
    >>> w = tg.nn.Parameter([1.0, 1.0])
    >>> w.grad = tg.Tensor([3.0, -0.5])
    >>> SignSGD([w], lr=0.25).step()
    >>> w.tolist()
    [0.75, 1.25]
    """

    state_keys = ()

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

    def _needs(self, group):
        """The state entries a started state must hold under ``group``'s options."""
        return set(self.state_keys)

    def _indexed(self):
        """(index, group index, parameter, group) for every parameter, in the order of the groups."""
        i = 0
        for gi, group in enumerate(self.param_groups):
            for p in group["params"]:
                yield i, gi, p, group
                i += 1

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
        """Update every parameter that has a gradient; ``closure`` (optional) recomputes and returns the loss.

        Everything is checked before the first parameter changes: a bad gradient or state
        raises an error naming the parameter (its index and group) and leaves every
        parameter and every state as it was.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        updates, moves = self._checked_updates()
        for state, key, p in moves:  # the model moved or changed dtype: its state follows it
            state[key] = p.device.asarray(state[key], dtype=p.dtype, copy=True)
        with no_grad():
            for p, group in updates:
                self._update(p, p.grad.data, self.state.setdefault(p, {}), group)
                p._changed()
        return loss

    def _checked_updates(self):
        """(parameter, its group) for every parameter with a gradient, all checked, and the state
        arrays to bring to their parameter's device and dtype (after ``model.to(...)``); nothing
        changes here."""
        name = f"{type(self).__name__}.step"
        for gi, group in enumerate(self.param_groups):
            try:
                self._check_group(group)
            except (TypeError, ValueError) as e:
                raise type(e)(f"{name}: group {gi}: {e}; nothing was updated") from None
        updates, moves = [], []
        for i, gi, p, group in self._indexed():
            g = p.grad
            if g is None:
                continue
            where = f"{name}: parameter {i} (group {gi}, shape {tuple(p.shape)}, {p.dtype} on '{p.device}')"
            if not isinstance(g, Tensor):
                raise TypeError(f"{where} has a .grad of type {type(g).__name__}, not a Tensor; nothing was updated")
            if g.shape != p.shape:
                raise ValueError(f"{where} has a gradient of shape {tuple(g.shape)}; nothing was updated")
            if g.dtype != p.dtype:
                raise TypeError(f"{where} has a gradient of dtype {g.dtype}; nothing was updated")
            if g.device is not p.device:
                raise RuntimeError(f"{where} has a gradient on '{g.device}'; nothing was updated")
            state = self.state.get(p)
            if state:
                missing = sorted(self._needs(group) - set(state))
                if missing:
                    raise RuntimeError(
                        f"{where}: its state lacks {missing}, which the group's options now need (were they "
                        "changed after steps were taken?); nothing was updated"
                    )
                for key, value in state.items():
                    if key in COUNTS:
                        continue
                    if value.shape != p.shape:
                        raise RuntimeError(
                            f"{where} has the state {key!r} of shape {tuple(value.shape)}; nothing was updated"
                        )
                    if type(value) is not p.device.array_type or value.dtype != p.dtype:
                        moves.append((state, key, p))
            updates.append((p, group))
        return updates, moves

    def _update(self, p, grad, state, group):
        """Change ``p.data`` in place from the raw gradient array ``grad``; ``state`` is ``p``'s memory."""
        raise NotImplementedError

    # -- state dicts ----------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as plain data, as ``torch.optim.Optimizer.state_dict()``::

            {"state": {0: {"step": 3, "exp_avg": array, ...}, ...},    # by parameter index
             "param_groups": [{"lr": 0.001, ..., "params": [0, 1]}, ...]}

        Parameters are numbered 0, 1, ... in the order of the groups; a parameter never
        stepped has no entry in ``"state"``. Arrays are NumPy copies, counts Python ints.

        >>> import tinygrad_rnn as tg
        >>> w = tg.nn.Parameter([1.0, 2.0])
        >>> opt = tg.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> w.grad = tg.ones(2)
        >>> opt.step()
        >>> sd = opt.state_dict()
        >>> sd["state"][0]["momentum_buffer"], sd["param_groups"][0]["params"]
        (array([1., 1.], dtype=float32), [0])
        """
        index = {id(p): i for i, _, p, _ in self._indexed()}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for i, _, p, _ in self._indexed():
            if self.state.get(p):
                state[i] = {k: v if k in COUNTS else np.array(to_host(v)) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Take the hyper-parameters and the state saved by ``state_dict()`` (of this kind of optimizer).

        The groups must match in number, in size and in their option names; each state
        array must have its parameter's shape, and it is copied to the parameter's device
        and dtype (as torch does). Every check runs before anything is loaded: an error
        names what differs and leaves the optimizer as it was.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not hasattr(state_dict, "keys") or set(state_dict.keys()) != {"state", "param_groups"}:
            keys = sorted(map(str, state_dict.keys())) if hasattr(state_dict, "keys") else type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with the keys 'param_groups' and 'state', got {keys}")
        saved_groups, saved_state = list(state_dict["param_groups"]), state_dict["state"]
        if not hasattr(saved_state, "items"):
            raise ValueError(f"{name}: 'state' must map parameter indices to dicts, got {type(saved_state).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state dict has {len(saved_groups)} parameter groups, this optimizer "
                f"{len(self.param_groups)}"
            )
        owner, groups = {}, []  # saved index -> (parameter, new group); the new groups
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not hasattr(saved, "items"):
                raise ValueError(f"{name}: group {gi} of the state dict is a {type(saved).__name__}, not a dict")
            ids = list(saved.get("params", ()))
            if len(ids) != len(group["params"]):
                raise ValueError(
                    f"{name}: group {gi} holds {len(ids)} parameters in the state dict, "
                    f"{len(group['params'])} in this optimizer"
                )
            ours, theirs = set(group) - {"params", "initial_lr"}, set(saved) - {"params", "initial_lr"}
            if ours != theirs:
                raise ValueError(
                    f"{name}: group {gi} has other options in the state dict: missing {sorted(ours - theirs)}, "
                    f"unexpected {sorted(theirs - ours)}"
                )
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            if "initial_lr" in group:  # a schedule's record of the start, kept unless the state dict has one
                new.setdefault("initial_lr", group["initial_lr"])
            new["params"] = group["params"]
            try:
                self._check_group(new)
            except (TypeError, ValueError) as e:
                raise ValueError(f"{name}: group {gi} of the state dict: {e}") from None
            for i, p in zip(ids, group["params"]):
                if not isinstance(i, numbers.Integral) or isinstance(i, bool) or i in owner:
                    raise ValueError(f"{name}: group {gi} lists the parameter index {i!r}, which is not a new integer")
                owner[int(i)] = p, new
            groups.append(new)
        state = {}
        for i, entries in saved_state.items():
            if i not in owner:
                raise ValueError(f"{name}: the state dict has a state for parameter {i!r}, which no group lists")
            p, group = owner[i]
            state[p] = self._loaded_state(f"{name}: the state of parameter {i}", p, dict(entries), group)
        for group, new in zip(self.param_groups, groups):
            group.clear()
            group.update(new)
        self.state = {p: s for p, s in state.items() if s}

    def _loaded_state(self, where, p, entries, group):
        """``entries`` checked against parameter ``p`` and converted to its device and dtype."""
        if not entries:
            return {}
        keys = set(entries)
        missing, unexpected = sorted(self._needs(group) - keys), sorted(keys - set(self.state_keys))
        if missing or unexpected:
            raise ValueError(f"{where} lacks {missing} and has unexpected entries {unexpected}")
        out = {}
        for key, value in entries.items():
            if key in COUNTS:
                count = _plain_count(value)
                if not (isinstance(count, int) and count >= 0):
                    raise ValueError(f"{where}: {key!r} must be a count (an integer >= 0), got {value!r}")
                out[key] = count
                continue
            array = to_host(value)
            if array.shape != p.shape or array.dtype.kind != "f":
                raise ValueError(
                    f"{where}: {key!r} is a {array.dtype} array of shape {tuple(array.shape)}, but the parameter "
                    f"is {p.dtype} of shape {tuple(p.shape)}"
                )
            out[key] = p.device.asarray(array, dtype=p.dtype, copy=True)
        return out

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {options}")
        return "\n".join(lines) + "\n)"


def _plain_count(value):
    """A count as a Python int (from an int, a whole float, or a 0-d array such as torch's step tensor)."""
    try:
        number = np.asarray(value).item() if not isinstance(value, numbers.Number) else value
    except (TypeError, ValueError):
        return value
    return int(number) if isinstance(number, numbers.Real) and float(number).is_integer() else value


def _check(optimizer, what, value, ok, rule):
    # `ok` is a comparison, so NaN (which compares False to everything) is rejected too.
    if not ok:
        raise ValueError(f"{type(optimizer).__name__}: invalid {what}: {value!r} (must be {rule})")
