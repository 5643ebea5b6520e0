"""The Tensor: an array, the device it lives on, and its place in the graph; every operator
on it is defined here, each a one-line call of the op in ``ops``."""

import numpy as np

from . import backend
from .autograd import Function, backward
from .ops import composites, elementwise, products, reductions, shapes

_FLOAT_OF_PYTHON = np.dtype(np.float32)


def _reflected(fn):
    return lambda self, other: fn(other, self)


class Tensor:
    """An array with a gradient: ``Tensor(data, requires_grad=False, dtype=None, device=None)``.

    Python floats become float32 (ints int64, bools bool); NumPy and CuPy arrays keep their
    dtype. ``device`` is "cpu" or "cuda" (default: ``set_default_device``).
    """

    __slots__ = ("data", "device", "requires_grad", "grad", "_name", "_ctx", "_oi", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None, device=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if device is not None:
            dev = backend.get_device(device)
        elif hasattr(data, "__cuda_array_interface__"):
            dev = backend.device_of(data)  # a CuPy array stays on the GPU
        else:
            dev = backend.default_device()
        if dtype is None and not hasattr(data, "dtype"):
            array = np.asarray(data)
            if array.dtype.kind == "f":
                array = array.astype(_FLOAT_OF_PYTHON)
            elif array.dtype.kind not in "biu":
                raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} ({array.dtype})")
            data = array
        self.data = dev.asarray(data, dtype=dtype)
        self.device = dev
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._name = name
        self._ctx = None
        self._oi = 0

    @staticmethod
    def _wrap(array, device, requires_grad=False):
        """A leaf around an existing array, with no checks (internal, fast)."""
        t = Tensor.__new__(Tensor)
        t.data, t.device, t.requires_grad, t.grad, t._name, t._ctx, t._oi = (
            array,
            device,
            requires_grad,
            None,
            None,
            None,
            0,
        )
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
        t.grad = t._name = None
        t._ctx = node if recorded else None
        t._oi = index
        return t

    # -- what it is ---------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def size(self, axis=None):
        """The shape, or the length of one axis (as ``torch.Tensor.size``)."""
        return self.data.shape if axis is None else self.data.shape[axis]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def creator(self):
        """The Function node that made this tensor (None for a leaf)."""
        return self._ctx

    @property
    def name(self):
        """A name for drawings ("c", "h", "f", ...); the node that made the tensor keeps it too."""
        return self._name

    @name.setter
    def name(self, name):
        self.named(name)

    def named(self, name):
        """Give the tensor a name (drawings show it) and return it."""
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
        """The data as a NumPy array (copied from the GPU when on "cuda")."""
        return self.data if self.device is backend.CPU else self.device.xp.asnumpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
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
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut off from the graph."""
        return Tensor._wrap(self.data, self.device)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require gradients, got {self.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn gradients off for a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()``."""
        if self._ctx is not None:
            self._ctx.keep_output(self._oi, self)
        elif not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        return self

    def backward(self, gradient=None, retain_graph=False):
        """Compute the gradients of this tensor with respect to the graph's leaves."""
        backward([self], [gradient], retain_graph=retain_graph)

    __hash__ = object.__hash__

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(shapes.unbind(self, 0))

    # -- arithmetic (ops.elementwise, ops.products) -----------------------------------------
    __add__, __radd__ = elementwise.add, _reflected(elementwise.add)
    __sub__, __rsub__ = elementwise.sub, _reflected(elementwise.sub)
    __mul__, __rmul__ = elementwise.mul, _reflected(elementwise.mul)
    __truediv__, __rtruediv__ = elementwise.div, _reflected(elementwise.div)
    __matmul__, __rmatmul__ = products.matmul, _reflected(products.matmul)
    __pow__ = pow = elementwise.pow
    __neg__ = neg = elementwise.neg
    __abs__ = abs = elementwise.abs_
    exp = elementwise.exp
    log = elementwise.log
    sqrt = elementwise.sqrt
    tanh = elementwise.tanh
    sigmoid = elementwise.sigmoid
    relu = elementwise.relu
    clip = clamp = elementwise.clip
    __eq__, __ne__ = elementwise.eq, elementwise.ne
    __lt__, __le__, __gt__, __ge__ = elementwise.lt, elementwise.le, elementwise.gt, elementwise.ge

    # -- reductions and composites (ops.reductions, ops.composites) ---------------------------
    sum = reductions.sum
    max = reductions.max
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
        return elementwise.cast(self, np.float32)

    def double(self):
        return elementwise.cast(self, np.float64)

    def to(self, *args, dtype=None, device=None):
        """``x.to("cuda")``, ``x.to(np.float64)`` or ``x.to("cuda", np.float64)``; differentiable."""
        device, dtype = backend.device_and_dtype(args, device, dtype)
        out = self if device is None else elementwise.to_device(self, device)
        return out if dtype is None else elementwise.cast(out, dtype)

    def cpu(self):
        return elementwise.to_device(self, "cpu")

    def cuda(self):
        return elementwise.to_device(self, "cuda")


Function.tensor_class = Tensor
