"""Module and Parameter, with the names, habits and state-dict format of ``torch.nn``."""

from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A tensor that is a module's weight: a leaf that requires grad, listed by ``parameters()``.

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter(tg.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf, w.shape
    (True, True, (2, 3))
    """

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

    >>> import tinygrad_rnn as tg
    >>> class TwoLayers(tg.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = tg.nn.Linear(3, 4)
    ...         self.out = tg.nn.Linear(4, 1)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).tanh())
    >>> model = TwoLayers()
    >>> model(tg.zeros(2, 3)).shape
    (2, 1)
    >>> [name for name, _ in model.named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
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
        """Register ``value`` (a Parameter, or None for an absent one, like a disabled bias).

        >>> import tinygrad_rnn as tg
        >>> m = tg.nn.Module()
        >>> m.register_parameter("scale", tg.nn.Parameter(tg.ones(2)))
        >>> m.register_parameter("shift", None)
        >>> [name for name, _ in m.named_parameters()], m.shift is None
        (['scale'], True)
        """
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(value).__name__}")
        self._modules.pop(name, None)
        self._parameters[name] = value
        object.__setattr__(self, name, value)

    def add_module(self, name, module):
        """Register ``module`` (or None) as the child ``name`` (what ``self.name = module`` does).

        >>> import tinygrad_rnn as tg
        >>> m = tg.nn.Module()
        >>> m.add_module("encoder", tg.nn.Linear(2, 2))
        >>> [name for name, _ in m.named_children()], [name for name, _ in m.named_parameters()]
        (['encoder'], ['encoder.weight', 'encoder.bias'])
        """
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        self._parameters.pop(name, None)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def forward(self, *args, **kwargs):
        """What the module computes: subclasses write it, and ``module(x)`` calls it.

        >>> import tinygrad_rnn as tg
        >>> class Double(tg.nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> Double()(tg.ones(2)).tolist()
        [2.0, 2.0]
        """
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # -- walking the tree ---------------------------------------------------------
    def named_children(self):
        """(name, module) for each direct child, in registration order.

        >>> import tinygrad_rnn as tg
        >>> model = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Tanh())
        >>> [(name, type(m).__name__) for name, m in model.named_children()]
        [('0', 'Linear'), ('1', 'Tanh')]
        """
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        """The direct children, in registration order.

        >>> import tinygrad_rnn as tg
        >>> [type(m).__name__ for m in tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Tanh()).children()]
        ['Linear', 'Tanh']
        """
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix="", remove_duplicate=True, _seen=None):
        """(dotted name, module) for this module ("") and its descendants, depth first; a module
        reached twice is listed once.

        >>> import tinygrad_rnn as tg
        >>> inner = tg.nn.Sequential(tg.nn.Linear(2, 2))
        >>> [name for name, _ in tg.nn.Sequential(inner, tg.nn.Tanh()).named_modules()]
        ['', '0', '0.0', '1']
        """
        seen = set() if _seen is None else _seen
        if remove_duplicate:
            if id(self) in seen:
                return
            seen.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name, remove_duplicate, seen)

    def modules(self):
        """This module and its descendants, depth first.

        >>> import tinygrad_rnn as tg
        >>> [type(m).__name__ for m in tg.nn.Sequential(tg.nn.Linear(2, 2), tg.nn.Tanh()).modules()]
        ['Sequential', 'Linear', 'Tanh']
        """
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs in registration order; a shared Parameter is listed once.

        >>> import tinygrad_rnn as tg
        >>> model = tg.nn.Sequential(tg.nn.Linear(3, 2), tg.nn.Tanh(), tg.nn.Linear(2, 1))
        >>> [(name, p.shape) for name, p in model.named_parameters()]
        [('0.weight', (2, 3)), ('0.bias', (2,)), ('2.weight', (1, 2)), ('2.bias', (1,))]
        """
        seen = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self, recurse=True):
        """The Parameters, as ``named_parameters()`` lists them: what an optimizer is given.

        >>> import tinygrad_rnn as tg
        >>> sum(p.numel() for p in tg.nn.LSTM(3, 4).parameters())    # 4·4·(3 + 4) weights, 2·4·4 biases
        144
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    # -- state --------------------------------------------------------------------
    def state_dict(self):
        """An ordered dict from parameter names to NumPy arrays (copies, on the host).

        As in torch, a parameter shared by two modules appears under both names.

        >>> import tinygrad_rnn as tg
        >>> {name: array.shape for name, array in tg.nn.Linear(3, 2).state_dict().items()}
        {'weight': (2, 3), 'bias': (2,)}
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

        >>> import tinygrad_rnn as tg
        >>> a, b = tg.nn.Linear(3, 2), tg.nn.Linear(3, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> b.weight.tolist() == a.weight.tolist()
        True
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

        >>> import tinygrad_rnn as tg
        >>> layer = tg.nn.Linear(3, 2)
        >>> weight = layer.weight
        >>> layer.to("cpu", "float64") is layer, weight.dtype, weight.device, layer.weight is weight
        (True, dtype('float64'), device('cpu'), True)
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
        """Make every parameter float32, in place; returns the module.

        >>> import tinygrad_rnn as tg
        >>> tg.nn.Linear(3, 2, dtype="float64").float().weight.dtype
        dtype('float32')
        """
        return self.to(np.float32)

    def double(self):
        """Make every parameter float64, in place (for ``gradcheck``); returns the module.

        >>> import tinygrad_rnn as tg
        >>> tg.nn.Linear(3, 2).double().weight.dtype
        dtype('float64')
        """
        return self.to(np.float64)

    def cpu(self):
        """Move every parameter to the CPU, in place; returns the module.

        >>> import tinygrad_rnn as tg
        >>> tg.nn.Linear(3, 2).cpu().weight.device
        device('cpu')
        """
        return self.to("cpu")

    def cuda(self):
        """Move every parameter to the GPU, in place; returns the module. Needs CuPy and a GPU.

        >>> import tinygrad_rnn as tg
        >>> layer = tg.nn.Linear(3, 2, device="cpu")
        >>> if tg.cuda.is_available():
        ...     layer = layer.cuda()
        >>> layer(tg.zeros(1, 3, device=layer.weight.device)).shape
        (1, 2)
        """
        return self.to("cuda")

    def zero_grad(self, set_to_none=True):
        """Drop every parameter's gradient (or, with ``set_to_none=False``, fill it with zeros).

        >>> import tinygrad_rnn as tg
        >>> layer = tg.nn.Linear(3, 1)
        >>> layer(tg.ones(1, 3)).sum().backward()
        >>> layer.weight.grad.tolist()
        [[1.0, 1.0, 1.0]]
        >>> layer.zero_grad()
        >>> layer.weight.grad is None
        True
        """
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def train(self, mode=True):
        """Set ``training`` on this module and all its descendants (Dropout reads it); returns the module.

        >>> import tinygrad_rnn as tg
        >>> model = tg.nn.Sequential(tg.nn.Linear(2, 2), tg.nn.Dropout(0.5))
        >>> model.train(False)[1].training, model.train()[1].training
        (False, True)
        """
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """``train(False)``: dropout off, for evaluation; returns the module.

        >>> import tinygrad_rnn as tg
        >>> model = tg.nn.Sequential(tg.nn.Linear(2, 2), tg.nn.Dropout(0.5)).eval()
        >>> model.training, model[1].training
        (False, False)
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Switch gradients on or off for every parameter (``False`` freezes the module); returns it.

        >>> import tinygrad_rnn as tg
        >>> frozen = tg.nn.Linear(3, 2).requires_grad_(False)
        >>> [p.requires_grad for p in frozen.parameters()]
        [False, False]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- printing -----------------------------------------------------------------
    def extra_repr(self):
        """What ``repr(module)`` shows inside its parentheses; subclasses write it.

        >>> import tinygrad_rnn as tg
        >>> tg.nn.Linear(3, 2).extra_repr()
        'in_features=3, out_features=2, bias=True'
        """
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

    >>> import tinygrad_rnn as tg
    >>> model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Linear(8, 1))
    >>> model(tg.zeros(5, 4)).shape, len(model), type(model[1]).__name__
    ((5, 1), 3, 'Tanh')
    >>> model
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): Tanh()
      (2): Linear(in_features=8, out_features=1, bias=True)
    )
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
