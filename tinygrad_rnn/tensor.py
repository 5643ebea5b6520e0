"""The Tensor: an array, the device it lives on, and its place in the graph; every operator
on it is defined here, each a one-line call of the op in ``ops``."""

import numpy as np

from . import backend
from .autograd import Function, Version, backward, is_grad_enabled
from .ops import composites, elementwise, products, reductions, shapes

_FLOAT_OF_PYTHON = np.dtype(np.float32)


def _reflected(fn):
    return lambda self, other: fn(other, self)


class Tensor:
    """An array with a gradient: ``Tensor(data, requires_grad=False, dtype=None, device=None)``.

    Python floats become float32 (ints int64, bools bool); NumPy and CuPy arrays keep their
    dtype. ``device`` is "cpu" or "cuda" (default: ``set_default_device``).

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.shape, x.dtype, tg.Tensor([1, 2]).dtype
    ((2, 2), dtype('float32'), dtype('int64'))
    >>> (x * x).sum().backward()
    >>> x.grad.tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = ("data", "device", "requires_grad", "grad", "_name", "_ctx", "_oi", "_version", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        if isinstance(data, Tensor):
            dev = data.device if device is None else backend.get_device(device)
            data = data.data
        elif device is not None:
            dev = backend.get_device(device)
        else:  # a CuPy array stays on the GPU; anything else goes to the default device
            dev = backend.device_of(data) if hasattr(data, "__cuda_array_interface__") else backend.default_device()
        if dtype is None and not hasattr(data, "dtype"):
            array = backend.to_host(data)
            if array.dtype.kind == "f":
                dtype = _FLOAT_OF_PYTHON
            elif array.dtype.kind not in "biu":
                raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} ({array.dtype})")
            data = array
        self.data = dev.asarray(data, dtype=dtype, copy=True)  # the tensor owns its array (from_numpy shares)
        self.device = dev
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._name = name
        self._ctx = self._version = None
        self._oi = 0

    @staticmethod
    def _wrap(array, device, requires_grad=False):
        """A leaf around an existing array, with no checks (internal, fast)."""
        t = Tensor.__new__(Tensor)
        t.data = array
        t.device = device
        t.requires_grad = requires_grad
        t.grad = t._name = t._ctx = t._version = None
        t._oi = 0
        return t

    @staticmethod
    def _from_op(y, device, recorded, node, index):
        """Output ``index`` of ``node`` (a leaf when the node is not recorded)."""
        if type(y) is not device.array_type:
            y = device.xp.asarray(y)  # NumPy returns scalars from 0-d operations
        t = Tensor.__new__(Tensor)
        t.data = y
        t.device = device
        t.requires_grad = recorded
        t.grad = t._name = t._version = None
        t._ctx = node if recorded else None
        t._oi = index
        return t

    # -- what it is ---------------------------------------------------------------------
    @property
    def shape(self):
        """The length of each axis, a tuple.

        >>> import tinygrad_rnn as tg
        >>> tg.zeros(2, 3).shape
        (2, 3)
        """
        return self.data.shape

    @property
    def dtype(self):
        """The NumPy dtype of the elements.

        >>> import tinygrad_rnn as tg
        >>> tg.zeros(2).dtype, tg.zeros(2, dtype="float64").dtype
        (dtype('float32'), dtype('float64'))
        """
        return self.data.dtype

    @property
    def ndim(self):
        """The number of axes.

        >>> import tinygrad_rnn as tg
        >>> tg.zeros(2, 3).ndim, tg.Tensor(1.0).ndim
        (2, 0)
        """
        return self.data.ndim

    def size(self, axis=None):
        """The shape, or the length of one axis (as ``torch.Tensor.size``).

        >>> import tinygrad_rnn as tg
        >>> x = tg.zeros(2, 3)
        >>> x.size(), x.size(1), x.size(-2)
        ((2, 3), 3, 2)
        """
        return self.data.shape if axis is None else self.data.shape[axis]

    def numel(self):
        """The number of elements.

        >>> import tinygrad_rnn as tg
        >>> tg.zeros(2, 3).numel()
        6
        """
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self):
        """True for a tensor no recorded op made: created by the user, or made with no gradient recorded.

        >>> import tinygrad_rnn as tg
        >>> x = tg.ones(2, requires_grad=True)
        >>> x.is_leaf, (x * 2).is_leaf, (tg.ones(2) * 2).is_leaf
        (True, False, True)
        """
        return self._ctx is None

    @property
    def creator(self):
        """The Function node that made this tensor (None for a leaf).

        >>> import tinygrad_rnn as tg
        >>> x = tg.ones(2, requires_grad=True)
        >>> (x * 2).creator.op, x.creator is None
        ('mul', True)
        """
        return self._ctx

    @property
    def name(self):
        """A name for drawings ("c", "h", "f", ...); the node that made the tensor keeps it too.

        >>> import tinygrad_rnn as tg
        >>> x = tg.ones(2, requires_grad=True)
        >>> y = x * 2
        >>> y.name = "h"
        >>> y.name, y.creator.output_name()
        ('h', 'h')
        """
        return self._name

    @name.setter
    def name(self, name):
        self.named(name)

    def named(self, name):
        """Give the tensor a name (drawings show it) and return it: the cells write ``c = (...).named("c")``.

        >>> import tinygrad_rnn as tg
        >>> tg.zeros(2).named("c").name
        'c'
        """
        self._name = name
        ctx = self._ctx
        if ctx is not None:
            if ctx.names is None:
                ctx.names = {self._oi: name}
            else:
                ctx.names[self._oi] = name
        return self

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = []
        if self.device.name != "cpu":
            extras.append(f"device='{self.device}'")
        if self.data.dtype != np.float32:
            extras.append(f"dtype={self.data.dtype}")
        if self._name:
            extras.append(f"name={self._name!r}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.op}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([body] + extras)})"

    # -- leaving the graph -----------------------------------------------------------------
    def numpy(self):
        """The data as a NumPy array (copied from the GPU when on "cuda"; on the CPU, the tensor's own array).

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([1.0, 2.0]).numpy()
        array([1., 2.], dtype=float32)
        """
        return self.data if self.device is backend.CPU else self.device.xp.asnumpy(self.data)

    def __array__(self, dtype=None, copy=None):
        if self.device is not backend.CPU:
            raise TypeError(
                f"can't convert a tensor on '{self.device}' to a NumPy array implicitly; "
                "use .numpy() or .cpu() to copy it to the host first"
            )
        if copy is False and dtype is not None and np.dtype(dtype) != self.data.dtype:
            raise ValueError(f"__array__: a {self.data.dtype} tensor is not {np.dtype(dtype)} without a copy")
        a = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return a.copy() if copy and a is self.data else a

    def __format__(self, spec):
        """``f"{loss:.3f}"`` formats a one-element tensor as its number."""
        if spec and self.data.size == 1:
            return format(self.item(), spec)
        return format(str(self), spec)

    def item(self):
        """The one element of the tensor as a Python number.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([2.5]).item(), tg.Tensor(3).item()
        (2.5, 3)
        """
        if self.data.size != 1:
            raise ValueError(f"item: tensor of shape {tuple(self.shape)} has {self.data.size} elements, expected 1")
        return self.data.item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {tuple(self.shape)} is ambiguous")
        return bool(self.data.item())

    def tolist(self):
        """The elements as (nested) Python lists of numbers; a 0-d tensor gives its number.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([[1, 2], [3, 4]]).tolist(), tg.Tensor(0.5).tolist()
        ([[1, 2], [3, 4]], 0.5)
        """
        return self.numpy().tolist()

    def detach(self):
        """The same data (a change in place shows in both), cut off from the graph.

        >>> import tinygrad_rnn as tg
        >>> x = tg.ones(2, requires_grad=True)
        >>> y = (x * 2).detach()
        >>> y.requires_grad, y.is_leaf, y.tolist()
        (False, True, [2.0, 2.0])
        """
        out = Tensor._wrap(self.data, self.device)
        if self._version is None:  # shared with the copy; frozen for the data of a tensor an op made
            self._version = Version(frozen=self._ctx is not None)
        out._version = self._version
        return out

    def requires_grad_(self, requires_grad=True):
        """Start (or stop) recording the ops on this leaf, so that ``backward()`` gives it a ``.grad``.

        >>> import tinygrad_rnn as tg
        >>> w = tg.zeros(3).requires_grad_()
        >>> w.requires_grad, (w * 2).requires_grad
        (True, True)
        """
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require gradients, got {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn gradients off for a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()``; returns the tensor.

        >>> import tinygrad_rnn as tg
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> y = (x * 3).retain_grad()
        >>> (y * y).sum().backward()
        >>> y.grad.tolist(), x.grad.tolist()
        ([6.0, 12.0], [18.0, 36.0])
        """
        if self._ctx is not None:
            self._ctx.keep_output(self._oi, self)
        elif not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        return self

    def backward(self, gradient=None, retain_graph=False):
        """Compute the gradients of this tensor with respect to the graph's leaves and add them
        to their ``.grad``. A tensor of more than one element needs ``gradient`` (∂L/∂self, its
        shape): the leaves then get Σ gradient · ∂self/∂leaf. ``retain_graph=True`` keeps what
        the nodes saved, for a second backward pass through the same graph.

        >>> import tinygrad_rnn as tg
        >>> x = tg.Tensor(3.0, requires_grad=True)
        >>> (x * x).backward()
        >>> x.grad.item()
        6.0
        >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> (w * w).backward(tg.Tensor([1.0, 0.5]))
        >>> w.grad.tolist()
        [2.0, 2.0]
        """
        backward([self], [gradient], retain_graph=retain_graph)

    __hash__ = object.__hash__

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(shapes.unbind(self, 0))

    # -- changes in place -----------------------------------------------------------------
    def _check_in_place(self, op, other=None):
        """Refuse a change in place a gradient could depend on, before anything changes;
        ``other`` (a tensor, array or number) as an array that fits this tensor."""
        if self._ctx is not None:
            raise RuntimeError(
                f"{op}: this tensor was made by {self._ctx.op}, and the graph may need its value for a "
                "gradient; it cannot be changed in place (write x = x + y, which makes a new tensor)"
            )
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place while gradients are "
                "recorded; do it inside tg.no_grad(), as optimizers do"
            )
        if self._version is not None and self._version.frozen:
            raise RuntimeError(
                f"{op}: this tensor shares its data with one an op made (through detach() or a view), which "
                "the graph may need for a gradient; change a copy instead"
            )
        if other is None:
            return None
        other = self._value(op, other)
        if hasattr(other, "shape"):
            try:
                fits = np.broadcast_shapes(other.shape, self.data.shape) == self.data.shape
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{op}: a value of shape {tuple(other.shape)} does not fit shape {tuple(self.shape)}")
            if not np.can_cast(other.dtype, self.data.dtype, "same_kind"):
                raise TypeError(f"{op}: cannot store {other.dtype} values in a {self.data.dtype} tensor")
        elif isinstance(other, float) and self.data.dtype.kind != "f":
            raise TypeError(f"{op}: cannot store a float in a {self.data.dtype} tensor")
        return other

    def _value(self, op, value):
        """A value to store in this tensor: a number, or an array on its device."""
        if isinstance(value, Tensor):
            if value.device is not self.device:
                raise RuntimeError(f"{op}: the tensor is on '{self.device}' but the value on '{value.device}'")
            return value.data
        return value if isinstance(value, (int, float, bool)) else self.device.asarray(value)

    def _changed(self):
        """Count a change of the data in place: nodes that saved it will refuse to backward."""
        if self._version is not None:
            self._version.count += 1
        return self

    def add_(self, other, alpha=1):
        """self += alpha · other, in place; returns self. Refused where a gradient could need the
        old values (see ``copy_``).

        >>> import tinygrad_rnn as tg
        >>> x = tg.zeros(2)
        >>> x.add_(tg.ones(2), alpha=2).tolist()
        [2.0, 2.0]
        """
        other = self._check_in_place("add_", other)
        xp = self.device.xp
        xp.add(self.data, other if alpha == 1 else xp.multiply(other, alpha), out=self.data, casting="same_kind")
        return self._changed()

    def sub_(self, other, alpha=1):
        """self -= alpha · other, in place (what an SGD step does, inside ``no_grad``); returns self.

        >>> import tinygrad_rnn as tg
        >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> with tg.no_grad():
        ...     w.sub_(tg.Tensor([10.0, 10.0]), alpha=0.1).tolist()
        [0.0, 1.0]
        """
        other = self._check_in_place("sub_", other)
        xp = self.device.xp
        xp.subtract(self.data, other if alpha == 1 else xp.multiply(other, alpha), out=self.data, casting="same_kind")
        return self._changed()

    def mul_(self, other):
        """self *= other, in place; returns self.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([1.0, 2.0]).mul_(3).tolist()
        [3.0, 6.0]
        """
        other = self._check_in_place("mul_", other)
        self.device.xp.multiply(self.data, other, out=self.data, casting="same_kind")
        return self._changed()

    def div_(self, other):
        """self /= other, in place; returns self.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([1.0, 2.0]).div_(tg.Tensor([2.0, 4.0])).tolist()
        [0.5, 0.5]
        """
        other = self._check_in_place("div_", other)
        self.device.xp.divide(self.data, other, out=self.data, casting="same_kind")
        return self._changed()

    def copy_(self, src):
        """Write ``src`` (a tensor, array or number that broadcasts to this shape) into this tensor.

        Like every change in place, it is refused for a tensor an op made, and for a leaf
        that requires grad while gradients are recorded (do it inside ``tg.no_grad()``).

        >>> import tinygrad_rnn as tg
        >>> x = tg.zeros(2, 2)
        >>> x.copy_(tg.Tensor([1.0, 2.0])).tolist()
        [[1.0, 2.0], [1.0, 2.0]]
        """
        src = self._check_in_place("copy_", src)
        self.data[...] = src
        return self._changed()

    def fill_(self, value):
        """Set every element to ``value``, in place; returns self.

        >>> import tinygrad_rnn as tg
        >>> tg.zeros(3).fill_(0.5).tolist()
        [0.5, 0.5, 0.5]
        """
        value = self._check_in_place("fill_", value)
        self.data[...] = value
        return self._changed()

    def zero_(self):
        """Set every element to 0, in place; returns self.

        >>> import tinygrad_rnn as tg
        >>> tg.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        return self.fill_(0)

    def clamp_(self, min=None, max=None):
        """Clamp every element into [min, max] (either may be None), in place; returns self.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([-2.0, 0.5, 3.0]).clamp_(-1, 1).tolist()
        [-1.0, 0.5, 1.0]
        """
        self._check_in_place("clamp_")
        self.device.xp.clip(self.data, min, max, out=self.data)
        return self._changed()

    def __setitem__(self, key, value):
        self._check_in_place("__setitem__")
        value = self._value("__setitem__", value)
        try:
            self.data[shapes._index_key(self, key)] = value
        except (ValueError, IndexError, TypeError) as e:
            shape = tuple(getattr(value, "shape", ()))
            raise type(e)(
                f"__setitem__: cannot store a value of shape {shape} at {key!r} of shape {self.shape}: {e}"
            ) from None
        self._changed()

    # -- arithmetic (ops.elementwise, ops.products) -----------------------------------------
    __add__ = add = elementwise.add
    __sub__ = sub = elementwise.sub
    __mul__ = mul = elementwise.mul
    __truediv__ = div = elementwise.div
    __matmul__ = matmul = products.matmul
    __pow__ = pow = elementwise.pow
    __radd__, __rsub__, __rmul__ = _reflected(add), _reflected(sub), _reflected(mul)
    __rtruediv__, __rmatmul__, __rpow__ = _reflected(div), _reflected(matmul), _reflected(pow)
    __neg__ = neg = elementwise.neg
    __abs__ = abs = elementwise.abs_
    exp = elementwise.exp
    log = elementwise.log
    sqrt = elementwise.sqrt
    tanh = elementwise.tanh
    sigmoid = elementwise.sigmoid
    log_sigmoid = elementwise.log_sigmoid
    maximum = elementwise.maximum
    minimum = elementwise.minimum
    relu = elementwise.relu
    clip = clamp = elementwise.clip
    __eq__, __ne__ = elementwise.eq, elementwise.ne
    __lt__, __le__, __gt__, __ge__ = elementwise.lt, elementwise.le, elementwise.gt, elementwise.ge

    # -- reductions and composites (ops.reductions, ops.composites) ---------------------------
    sum = reductions.sum
    max = reductions.max
    min = reductions.min
    mean = composites.mean
    softmax = composites.softmax
    log_softmax = composites.log_softmax
    logsumexp = composites.logsumexp

    # -- shapes and indexing (ops.shapes) ------------------------------------------------------
    __getitem__ = shapes.index
    reshape = view = shapes.reshape
    permute = shapes.permute
    transpose = shapes.transpose
    flatten = shapes.flatten
    unsqueeze = shapes.unsqueeze
    squeeze = shapes.squeeze
    split = shapes.split
    chunk = shapes.chunk
    unbind = shapes.unbind
    T = property(shapes.T)

    # -- dtypes and devices (ops.elementwise) ------------------------------------------------
    astype = elementwise.cast

    def float(self):
        """The tensor as float32 (itself when it is already), differentiably.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([1, 2]).float().dtype
        dtype('float32')
        """
        return elementwise.cast(self, np.float32)

    def double(self):
        """The tensor as float64 (itself when it is already), differentiably: for ``gradcheck``.

        >>> import tinygrad_rnn as tg
        >>> tg.Tensor([1.0, 2.0]).double().dtype
        dtype('float64')
        """
        return elementwise.cast(self, np.float64)

    def to(self, *args, dtype=None, device=None):
        """``x.to("cuda")``, ``x.to(np.float64)`` or ``x.to("cuda", np.float64)``; differentiable.

        >>> import tinygrad_rnn as tg
        >>> y = tg.Tensor([1.0, 2.0]).to("cpu", "float64")
        >>> y.device, y.dtype
        (device('cpu'), dtype('float64'))
        """
        device, dtype = backend.device_and_dtype(args, device, dtype)
        out = self if device is None else elementwise.to_device(self, device)
        return out if dtype is None else elementwise.cast(out, dtype)

    def cpu(self):
        """The tensor on the CPU (itself when it is there), differentiably.

        >>> import tinygrad_rnn as tg
        >>> tg.ones(2).cpu().device
        device('cpu')
        """
        return elementwise.to_device(self, "cpu")

    def cuda(self):
        """The tensor on the GPU (itself when it is there), differentiably; needs CuPy and a GPU.

        >>> import tinygrad_rnn as tg
        >>> x = tg.Tensor([1.0, 2.0])
        >>> y = x.cuda() if tg.cuda.is_available() else x
        >>> y.cpu().tolist()
        [1.0, 2.0]
        """
        return elementwise.to_device(self, "cuda")


Function.tensor_class = Tensor
