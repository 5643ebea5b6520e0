"""Module and Parameter, with the names, habits and state-dict format of ``torch.nn``."""

from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A tensor that is a module's weight: a leaf that requires grad, listed by ``parameters()``."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True, dtype=None, device=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, device=device)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers. Assigning a Parameter or a Module to an attribute registers it.

    Registration keeps assignment order (a re-assigned name keeps its place), so
    ``named_parameters()`` and ``state_dict()`` are deterministic. As in torch, a name that
    holds a Parameter (or a Module) accepts only another Parameter (Module) or None.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        params, modules = self.__dict__.get("_parameters"), self.__dict__.get("_modules")
        if params is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning {name!r}")
        elif isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
        elif name in params or name in modules:
            kind, expected = ("parameter", "Parameter") if name in params else ("submodule", "Module")
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}: cannot assign a {type(value).__name__} to {kind} {name!r} "
                    f"({expected} or None expected; delete the attribute first to store something else)"
                )
            (params if name in params else modules)[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, value):
        """Register ``value`` (a Parameter, or None for an absent one, like a disabled bias)."""
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(value).__name__}")
        self._modules.pop(name, None)
        self._parameters[name] = value
        object.__setattr__(self, name, value)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the child ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._parameters.pop(name, None)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- walking the tree ---------------------------------------------------------
    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix="", remove_duplicate=True, _seen=None):
        """This module and its descendants, depth first; a module reached twice is listed once."""
        seen = set() if _seen is None else _seen
        if remove_duplicate:
            if id(self) in seen:
                return
            seen.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, remove_duplicate, seen)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs in registration order; a shared Parameter is listed once."""
        seen = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    # -- state --------------------------------------------------------------------
    def state_dict(self):
        """An ordered dict from parameter names to NumPy arrays (copies, on the host).

        As in torch, a parameter shared by two modules appears under both names.
        """
        return OrderedDict(
            (name, np.array(p.numpy(), copy=True)) for name, p in self.named_parameters(remove_duplicate=False)
        )

    def load_state_dict(self, state_dict, strict=True):
        """Load arrays (NumPy, CuPy, Tensors, or a torch state dict's tensors) by name.

        Each parameter takes the array's dtype (float64 arrays make a float64 module) and
        keeps its identity and device. Every problem (wrong shapes or dtypes, and with
        ``strict`` missing and unexpected keys) is reported in one error, raised before any
        parameter changes. Returns ``(missing_keys, unexpected_keys)``.
        """
        own = OrderedDict(self.named_parameters(remove_duplicate=False))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays, problems = {}, []
        for name, p in own.items():
            if name in state_dict:
                value = state_dict[name]
                array = backend.to_host(value.data if isinstance(value, Tensor) else value)
                if tuple(array.shape) != tuple(p.shape):
                    problems.append(f"wrong shape for {name}: expected {tuple(p.shape)}, got {tuple(array.shape)}")
                elif array.dtype.kind != "f":
                    problems.append(f"wrong dtype for {name}: expected a floating-point array, got {array.dtype}")
                else:
                    arrays[name] = array
        if strict:
            problems += [f"missing keys: {missing}"] if missing else []
            problems += [f"unexpected keys: {unexpected}"] if unexpected else []
        if problems:
            raise RuntimeError(
                f"load_state_dict: {type(self).__name__} cannot load this state dict:\n  " + "\n  ".join(problems)
            )
        for name, array in arrays.items():
            p = own[name]
            p.data = p.device.asarray(array, copy=True)
            p._changed()
            if p.grad is not None:
                p.grad.data = p.grad.data.astype(p.data.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # -- dtype, device, mode --------------------------------------------------------
    def to(self, *args, dtype=None, device=None):
        """``m.to("cuda")``, ``m.to(np.float64)``, ``m.to("cuda", np.float64)``.

        Parameters (and their gradients) are converted in place, so they keep their
        identity and optimizers holding them stay valid.
        """
        device, dtype = backend.device_and_dtype(args, device, dtype)
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"{type(self).__name__}.to: parameters must stay floating-point, got dtype {dtype}")
        dev = None if device is None else backend.get_device(device)  # raises before anything moves
        for p in self.parameters():
            for t in (p,) if p.grad is None else (p, p.grad):
                if dev is not None:
                    t.data, t.device = dev.asarray(t.data), dev
                if dtype is not None:
                    t.data = t.data.astype(dtype, copy=False)
            p._changed()
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def zero_grad(self, set_to_none=True):
        """Drop every parameter's gradient (or, with ``set_to_none=False``, fill it with zeros)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def train(self, mode=True):
        """Set ``training`` on this module and all its descendants (Dropout reads it)."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- printing -----------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        """As torch: ``Name(extra)`` for a leaf, else one indented line per child."""
        extra = self.extra_repr()
        extra = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        if len(extra) == 1 and not children:
            return f"{type(self).__name__}({extra[0]})"
        body = "".join("\n  " + line for line in extra + children)
        return f"{type(self).__name__}({body}\n)" if body else f"{type(self).__name__}()"


class Sequential(Module):
    """Modules applied in order: ``Sequential(Linear(4, 8), Tanh(), Linear(8, 1))``, named "0", "1", ...

    An ``OrderedDict`` of named modules works too, as in torch.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: entry {name} is a {type(m).__name__}, not a Module")
        for name, m in items:
            setattr(self, name, m)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(OrderedDict(list(self.named_children())[i]))
        return list(self.children())[i]

    def __len__(self):
        return len(list(self.children()))

    def __iter__(self):
        return self.children()

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x
