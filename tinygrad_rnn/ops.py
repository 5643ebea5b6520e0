"""The primitive operations: each a Function with its chain rule beside its forward pass.

Notation: ``x, y`` are input arrays, ``out`` the output, ``gy`` the gradient arriving at the
output and ``gx`` the one returned for an input. ``xp`` is the array module (numpy or cupy).
Composite ops (softmax, log_softmax, mean, ...) are written with primitives at the end,
so they need no backward of their own.
"""

import builtins

import numpy as np

from . import backend
from .autograd import Function, SumOfProducts, Tensor, describe_shapes, sum_to
from .backend import array_module as _xp

_CONSTANTS = {}


def _const(value, like):
    """``value`` as a cached 0-d array of ``like``'s dtype (NumPy computes with it about
    twice as fast as with a Python number); on CuPy the number itself."""
    if type(like) is not np.ndarray:
        return value
    key = (value, like.dtype)
    c = _CONSTANTS.get(key)
    if c is None:
        c = _CONSTANTS[key] = np.array(value, like.dtype)
    return c


# -- operands ---------------------------------------------------------------------


def as_tensor(value, like=None):
    """``value`` as a Tensor; Python numbers take ``like``'s dtype and device (never upcasting)."""
    if isinstance(value, Tensor):
        return value
    if like is None:
        return Tensor(value)
    if isinstance(value, (int, float, bool)) and like.data.dtype.kind == "f":
        return Tensor._wrap(like.device.xp.asarray(value, dtype=like.data.dtype), like.device)
    return Tensor(value, device=like.device)


def _operands(op, a, b):
    """Two tensors of one dtype for a binary op: scalars and arrays adapt to the tensor."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor(b, a)
    da, db = a.data.dtype, b.data.dtype
    if da is not db and da != db:
        fa, fb = da.kind == "f", db.kind == "f"
        if fa and fb:
            raise TypeError(
                f"{op}: dtypes {da} and {db} differ; convert one first (x.float(), x.double() or x.to(dtype))"
            )
        if fa:
            b = Tensor._wrap(b.data.astype(da), b.device)
        elif fb:
            a = Tensor._wrap(a.data.astype(db), a.device)
    return a, b


# -- elementwise, two inputs --------------------------------------------------------


class Add(Function):
    op = "add"

    def forward(self, x, y):
        return x + y

    def backward(self, gy):
        x, y = self.inputs
        return sum_to(gy, x.data.shape), sum_to(gy, y.data.shape)


class Sub(Function):
    op = "sub"

    def forward(self, x, y):
        return x - y

    def backward(self, gy):
        x, y = self.inputs
        return sum_to(gy, x.data.shape), (sum_to(-gy, y.data.shape) if y.requires_grad else None)


class Mul(Function):
    op = "mul"

    def forward(self, x, y):
        return x * y

    def backward(self, gy):
        x, y = self.inputs
        gx = sum_to(gy * y.data, x.data.shape) if x.requires_grad else None
        gw = sum_to(gy * x.data, y.data.shape) if y.requires_grad else None
        return gx, gw


class Div(Function):
    op = "div"

    def forward(self, x, y):
        return x / y

    def backward(self, gy):
        x, y = self.inputs
        gx = gy / y.data
        gw = sum_to(-gx * x.data / y.data, y.data.shape) if y.requires_grad else None
        return sum_to(gx, x.data.shape), gw


def add(x, y):
    if type(x) is not Tensor or type(y) is not Tensor or x.data.dtype is not y.data.dtype:
        x, y = _operands("add", x, y)
    return Add()(x, y)


def sub(x, y):
    if type(x) is not Tensor or type(y) is not Tensor or x.data.dtype is not y.data.dtype:
        x, y = _operands("sub", x, y)
    return Sub()(x, y)


def mul(x, y):
    if type(x) is not Tensor or type(y) is not Tensor or x.data.dtype is not y.data.dtype:
        x, y = _operands("mul", x, y)
    return Mul()(x, y)


def div(x, y):
    if type(x) is not Tensor or type(y) is not Tensor or x.data.dtype is not y.data.dtype:
        x, y = _operands("div", x, y)
    return Div()(x, y)


# -- elementwise, one input -------------------------------------------------------


class Neg(Function):
    op = "neg"

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Pow(Function):
    """out = x ** p for a constant exponent p."""

    op = "pow"

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        return x**self.p

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * (self.p * x ** (self.p - 1))


class Exp(Function):
    op = "exp"

    def forward(self, x):
        self.saved = out = _xp(x).exp(x)
        return out

    def backward(self, gy):
        return gy * self.saved


class Log(Function):
    op = "log"

    def forward(self, x):
        return _xp(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0].data


class Sqrt(Function):
    op = "sqrt"

    def forward(self, x):
        return _xp(x).sqrt(x)

    def backward(self, gy):
        return gy / (2 * _xp(gy).sqrt(self.inputs[0].data))


class Abs(Function):
    op = "abs"

    def forward(self, x):
        return abs(x)

    def backward(self, gy):
        return gy * _xp(gy).sign(self.inputs[0].data)


class Tanh(Function):
    """out = tanh(x);  gx = gy * (1 - out²)."""

    op = "tanh"

    def forward(self, x):
        self.saved = out = _xp(x).tanh(x)
        return out

    def backward(self, gy):
        out = self.saved
        return gy * (_const(1, out) - out * out)


class Sigmoid(Function):
    """out = σ(x) = (1 + tanh(x/2)) / 2 (no overflow for any x);  gx = gy * out * (1 - out)."""

    op = "sigmoid"

    def forward(self, x):
        half = _const(0.5, x)
        self.saved = out = half + half * _xp(x).tanh(x * half)
        return out

    def backward(self, gy):
        out = self.saved
        return gy * out * (_const(1, out) - out)


class Relu(Function):
    op = "relu"

    def forward(self, x):
        return _xp(x).maximum(x, 0)

    def backward(self, gy):
        return gy * (self.inputs[0].data > 0)


class Clip(Function):
    """out = min(max(x, low), high); the gradient flows where low <= x <= high."""

    op = "clip"

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        xp = _xp(x)
        if self.low is not None:
            x = xp.maximum(x, self.low)
        return x if self.high is None else xp.minimum(x, self.high)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = True
        if self.low is not None:
            inside = x >= self.low
        if self.high is not None:
            inside = inside & (x <= self.high)
        return gy * inside


class Cast(Function):
    """A change of dtype; the gradient goes back in the input's dtype."""

    op = "cast"

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.inputs[0].data.dtype)


class ToDevice(Function):
    """A move between devices; the gradient moves back."""

    op = "to_device"

    def __init__(self, target):
        self.moves_to = target

    def forward(self, x):
        return self.moves_to.asarray(x)

    def backward(self, gy):
        return self.inputs[0].device.asarray(gy)


def neg(x):
    return Neg()(x)


def pow(x, p):
    if isinstance(p, Tensor):
        raise TypeError("pow: the exponent must be a Python number; for a tensor exponent use exp(p * log(x))")
    return Pow(p)(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sqrt(x):
    return Sqrt()(x)


def abs_(x):
    return Abs()(x)


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def relu(x):
    return Relu()(x)


def clip(x, low=None, high=None):
    """Clamp to [low, high] (either may be None), as ``torch.clamp``."""
    if low is None and high is None:
        raise ValueError("clip: give low, high or both")
    return Clip(low, high)(x)


def cast(x, dtype):
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    if x.requires_grad and dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype), x.device)
    return Cast(dtype)(x)


def to_device(x, device):
    device = backend.get_device(device)
    return x if x.device is device else ToDevice(device)(x)


# -- matrix product ---------------------------------------------------------------


class MatMul(Function):
    """out = x @ w, 2-D or batched (batch axes broadcast), as ``numpy.matmul``.

    gx = gy @ wᵀ,  gw = xᵀ @ gy, each summed over the batch axes it was broadcast along.
    """

    op = "matmul"

    def forward(self, x, w):
        return backend.matmul(x, w)

    def explain(self, arrays, error):
        x, w = arrays[-2:]
        if x.ndim == 0 or w.ndim == 0:
            return f"shapes {tuple(x.shape)} and {tuple(w.shape)}: both operands need at least 1 dimension"
        k_w = w.shape[0] if w.ndim == 1 else w.shape[-2]
        if x.shape[-1] != k_w:
            return f"shapes {tuple(x.shape)} and {tuple(w.shape)} are not aligned ({x.shape[-1]} != {k_w})"
        if len(arrays) == 2:
            return f"shapes {tuple(x.shape)} and {tuple(w.shape)}: batch dimensions do not broadcast ({error})"
        return f"cannot apply to {describe_shapes(arrays)}: {error}"

    def backward(self, gy):
        return _matmul_grads(*self.inputs, gy)


class AddMM(MatMul):
    """out = c + x @ w in one node, c added in place to the product (``torch.addmm``): a
    bias, or the input's share of a cell's gates, costs no extra array.  gc = gy summed to c."""

    op = "addmm"

    def forward(self, c, x, w):
        out = backend.matmul(x, w)
        out += c
        return out

    def backward(self, gy):
        c, x, w = self.inputs
        return (sum_to(gy, c.data.shape) if c.requires_grad else None, *_matmul_grads(x, w, gy))


def _matmul_grads(xt, wt, gy):
    """(gx, gw) for out = x @ w; a 2-D w's gradient is a SumOfProducts over all leading axes."""
    x, w = xt.data, wt.data
    if w.ndim == 2 and x.ndim >= 2:
        gx = backend.matmul(gy, w.T) if xt.requires_grad else None
        if not wt.requires_grad:
            return gx, None
        if x.ndim > 2:
            x, gy = x.reshape(-1, x.shape[-1]), gy.reshape(-1, gy.shape[-1])
        return gx, SumOfProducts(x, gy)
    xp = _xp(gy)
    x2 = x if x.ndim > 1 else x[None, :]  # vectors as 1-row / 1-column matrices
    w2 = w if w.ndim > 1 else w[:, None]
    if x.ndim == 1:
        gy = xp.expand_dims(gy, -2)
    if w.ndim == 1:
        gy = xp.expand_dims(gy, -1)
    gx = gw = None
    if xt.requires_grad:
        gx = sum_to(backend.matmul(gy, xp.swapaxes(w2, -1, -2)), x2.shape).reshape(x.shape)
    if wt.requires_grad:
        gw = sum_to(backend.matmul(xp.swapaxes(x2, -1, -2), gy), w2.shape).reshape(w.shape)
    return gx, gw


def matmul(x, w):
    x, w = _operands("matmul", x, w)
    return MatMul()(x, w)


def addmm(c, x, w):
    """c + x @ w as one node (c broadcasts to the product's shape, which it may not enlarge)."""
    x, w = _operands("addmm", x, w)
    c, _ = _operands("addmm", c, x)
    return AddMM()(c, x, w)


# -- reductions -------------------------------------------------------------------


def _axes(axis, ndim, op):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % builtins.max(ndim, 1))
    return tuple(sorted(out))


def _expand_reduced(gy, shape, axes, keepdims):
    """Reshape a reduction's gradient so it broadcasts against the input's ``shape``."""
    if not keepdims:
        gy = gy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return gy


class Sum(Function):
    op = "sum"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        shape = self.inputs[0].data.shape
        return _xp(gy).broadcast_to(_expand_reduced(gy, shape, self.axes, self.keepdims), shape)


class Max(Function):
    """out = max over axes; the gradient is shared equally among the maxima."""

    op = "max"

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        if any(x.shape[a] == 0 for a in self.axes):
            raise ValueError(f"max over an empty axis of shape {tuple(x.shape)}")
        self.saved = out = x.max(axis=self.axes, keepdims=self.keepdims)
        return out

    def backward(self, gy):
        x = self.inputs[0].data
        hit = x == _expand_reduced(self.saved, x.shape, self.axes, self.keepdims)
        gy = _expand_reduced(gy, x.shape, self.axes, self.keepdims)
        return hit * (gy / hit.sum(axis=self.axes, keepdims=True))


def sum(x, axis=None, keepdims=False):
    """Sum over ``axis`` (None: all), as ``numpy.sum``."""
    return Sum(_axes(axis, x.ndim, "sum"), keepdims)(x)


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis`` (None: all); ties share the gradient."""
    return Max(_axes(axis, x.ndim, "max"), keepdims)(x)


def mean(x, axis=None, keepdims=False):
    axes = _axes(axis, x.ndim, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a]
    return sum(x, axes, keepdims) * (1.0 / count)


# -- shapes -----------------------------------------------------------------------


class Reshape(Function):
    op = "reshape"

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.inputs[0].data.shape)


class Permute(Function):
    """Reorder the axes; the gradient is put back with the inverse order."""

    op = "permute"

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        axes = self.axes
        return gy.transpose(sorted(range(len(axes)), key=axes.__getitem__))


def reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if tuple(shape) == x.shape:
        return x
    return Reshape(tuple(shape))(x)


def permute(x, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if sorted(a % builtins.max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {axes} is not an order of the {x.ndim} axes of shape {tuple(x.shape)}")
    return Permute(tuple(a % x.ndim for a in axes))(x)


def transpose(x, axis0=-2, axis1=-1):
    """Swap two axes (``torch.transpose``); with no arguments, the last two."""
    if x.ndim < 2:
        raise ValueError(f"transpose: needs at least 2 dimensions, got shape {tuple(x.shape)}")
    axes = list(range(x.ndim))
    axes[axis0], axes[axis1] = axes[axis1], axes[axis0]
    return Permute(tuple(axes))(x)


def flatten(x, start=0, end=-1):
    end %= x.ndim
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]
    return reshape(x, shape)


def unsqueeze(x, axis):
    axis = axis if axis >= 0 else axis + x.ndim + 1
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None):
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axis %= x.ndim
    if x.shape[axis] != 1:
        return x
    return reshape(x, x.shape[:axis] + x.shape[axis + 1 :])


# -- indexing ---------------------------------------------------------------------


def _is_basic(key):
    """True when ``key`` uses only ints, slices, None and Ellipsis (no repeats possible)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, slice, type(None), type(Ellipsis))) and not isinstance(k, bool) for k in parts)


class Index(Function):
    """out = x[key]: slices, integers and integer arrays (repeats add up in the gradient)."""

    op = "index"

    def __init__(self, key):
        self.key = key

    def forward(self, x):
        return x[self.key]

    def explain(self, arrays, error):
        return f"index {self.key!r} does not fit shape {tuple(arrays[0].shape)}: {error}"

    def backward(self, gy):
        x = self.inputs[0].data
        gx = _xp(gy).zeros(x.shape, dtype=gy.dtype)
        if _is_basic(self.key):
            gx[self.key] = gy
        else:
            backend.scatter_add(gx, self.key, gy)
        return gx


def _index_key(x, key):
    """Tensors and lists inside ``key`` as arrays on ``x``'s device."""
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for k in parts:
        if isinstance(k, Tensor):
            if k.device is not x.device:
                raise RuntimeError(f"index: the index is on '{k.device}' but the tensor on '{x.device}'")
            k = k.data
        elif isinstance(k, list):
            k = x.device.asarray(k)
        elif isinstance(k, np.ndarray) and x.device is not backend.CPU:
            k = x.device.asarray(k)
        out.append(k)
    return tuple(out) if isinstance(key, tuple) else out[0]


def index(x, key):
    return Index(_index_key(x, key))(x)


# -- joining and splitting --------------------------------------------------------


def _pieces(array, sizes, axis):
    """Views of consecutive pieces of ``array`` along ``axis`` (``numpy.split`` is slower)."""
    index = [slice(None)] * array.ndim
    pieces, start = [], 0
    for n in sizes:
        index[axis] = slice(start, start + n)
        pieces.append(array[tuple(index)])
        start += n
    return tuple(pieces)


class Cat(Function):
    op = "cat"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return _xp(xs[0]).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        return _pieces(gy, [x.data.shape[self.axis] for x in self.inputs], self.axis)


class Stack(Function):
    op = "stack"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return _xp(xs[0]).stack(xs, axis=self.axis)

    def backward(self, gy):
        return tuple(_xp(gy).moveaxis(gy, self.axis, 0))


class Split(Function):
    """Cut x along ``axis`` into pieces of the given sizes (one node, many outputs)."""

    op = "split"

    def __init__(self, sizes, axis):
        self.sizes, self.axis = sizes, axis

    def forward(self, x):
        return _pieces(x, self.sizes, self.axis)

    def backward(self, *gys):
        xp = _xp(next(g for g in gys if g is not None))
        x = self.inputs[0].data
        parts = []
        for g, n in zip(gys, self.sizes):
            if g is None:
                shape = list(x.shape)
                shape[self.axis] = n
                g = xp.zeros(shape, dtype=x.dtype)
            parts.append(g)
        return xp.concatenate(parts, axis=self.axis)


class Unbind(Function):
    """The slices x[..., i, ...] along ``axis``, all at once (one node, one output per slice)."""

    op = "unbind"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return tuple(_xp(x).moveaxis(x, self.axis, 0))

    def backward(self, *gys):
        x = self.inputs[0].data
        xp = _xp(x)
        if all(g is not None for g in gys):
            return xp.stack(gys, axis=self.axis)
        gx = xp.zeros((x.shape[self.axis],) + tuple(n for i, n in enumerate(x.shape) if i != self.axis), dtype=x.dtype)
        for i, g in enumerate(gys):
            if g is not None:
                gx[i] = g
        return xp.moveaxis(gx, 0, self.axis)


def _same_kind(op, xs):
    if not xs:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    xs = [as_tensor(x, xs[0] if isinstance(xs[0], Tensor) else None) for x in xs]
    dtypes = {x.data.dtype for x in xs}
    if len(dtypes) > 1:
        raise TypeError(f"{op}: tensors have different dtypes {sorted(str(d) for d in dtypes)}")
    return xs


def cat(xs, axis=0):
    """Join tensors along an existing axis (``torch.cat``)."""
    xs = _same_kind("cat", list(xs))
    return Cat(_axes(axis, xs[0].ndim, "cat")[0])(*xs)


def stack(xs, axis=0):
    """Join tensors along a new axis (``torch.stack``)."""
    xs = _same_kind("stack", list(xs))
    return Stack(_axes(axis, xs[0].ndim + 1, "stack")[0])(*xs)


def split(x, split_size_or_sections, axis=0):
    """Pieces of ``split_size`` along ``axis`` (the last may be smaller), or of the listed sizes."""
    axis = _axes(axis, x.ndim, "split")[0]
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: the size must be positive, got {step}")
        sizes = [min(step, n - start) for start in range(0, n, step)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise ValueError(
                f"split: sizes {sizes} add up to {builtins.sum(sizes)}, "
                f"not to the length {n} of axis {axis} (shape {tuple(x.shape)})"
            )
    return Split(tuple(sizes), axis)(x)


def chunk(x, chunks, axis=0):
    """``chunks`` nearly equal pieces along ``axis`` (``torch.chunk``)."""
    if chunks <= 0:
        raise ValueError(f"chunk: the number of chunks must be positive, got {chunks}")
    n = x.shape[_axes(axis, x.ndim, "chunk")[0]]
    return split(x, -(-n // chunks) if n else 1, axis)


def unbind(x, axis=0):
    """The tensor's slices along ``axis``, as a tuple (``torch.unbind``)."""
    return Unbind(_axes(axis, x.ndim, "unbind")[0])(x)


# -- selection --------------------------------------------------------------------


class Where(Function):
    """out = x where cond else y; cond is a constant boolean array."""

    op = "where"

    def __init__(self, cond):
        self.cond = cond

    def forward(self, x, y):
        return _xp(x).where(self.cond, x, y)

    def backward(self, gy):
        x, y = self.inputs
        gx = sum_to(gy * self.cond, x.data.shape) if x.requires_grad else None
        gw = sum_to(gy * ~self.cond, y.data.shape) if y.requires_grad else None
        return gx, gw


def where(cond, x, y):
    x, y = _operands("where", x, y)
    c = cond.data if isinstance(cond, Tensor) else x.device.asarray(cond)
    if isinstance(cond, Tensor) and cond.device is not x.device:
        raise RuntimeError(f"where: the condition is on '{cond.device}' but the values on '{x.device}'")
    return Where(c.astype(bool))(x, y)


# -- comparisons (not differentiable) -----------------------------------------------


def _compare(name, ufunc):
    def compare(x, y):
        x, y = _operands(name, x, y)
        if x.device is not y.device:
            raise RuntimeError(f"{name}: inputs are on different devices, '{x.device}' and '{y.device}'")
        try:
            out = getattr(x.device.xp, ufunc)(x.data, y.data)
        except ValueError as e:
            raise ValueError(f"{name}: cannot compare shapes {tuple(x.shape)} and {tuple(y.shape)}: {e}") from None
        return Tensor._wrap(x.device.xp.asarray(out), x.device)

    compare.__name__ = name
    compare.__doc__ = f"Elementwise {ufunc}, a boolean tensor outside the graph."
    return compare


eq = _compare("eq", "equal")
ne = _compare("ne", "not_equal")
lt = _compare("lt", "less")
le = _compare("le", "less_equal")
gt = _compare("gt", "greater")
ge = _compare("ge", "greater_equal")


# -- composites (primitives only: their gradients come from the chain rule) --------


def logsumexp(x, axis=-1, keepdims=False):
    """log Σ exp(x) over ``axis``, shifted by the (constant) maximum so it never overflows."""
    shift = max(x, axis, keepdims=True).detach()
    out = log(sum(exp(x - shift), axis, keepdims=True)) + shift
    if keepdims:
        return out
    axes = _axes(axis, x.ndim, "logsumexp")
    return reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def log_softmax(x, axis=-1):
    """x - logsumexp(x): log-probabilities, stable for any logits."""
    return x - logsumexp(x, axis, keepdims=True)


def softmax(x, axis=-1):
    """exp(x - max) / Σ exp(x - max)."""
    e = exp(x - max(x, axis, keepdims=True).detach())
    return e / sum(e, axis, keepdims=True)


def minimum(x, y):
    x, y = _operands("minimum", x, y)
    return where(lt(y, x), y, x)


def maximum(x, y):
    x, y = _operands("maximum", x, y)
    return where(gt(y, x), y, x)


# -- Tensor methods and operators ----------------------------------------------------


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _tensor_methods():
    T = Tensor
    T.__add__, T.__radd__ = add, _reflected(add)
    T.__sub__, T.__rsub__ = sub, _reflected(sub)
    T.__mul__, T.__rmul__ = mul, _reflected(mul)
    T.__truediv__, T.__rtruediv__ = div, _reflected(div)
    T.__matmul__, T.__rmatmul__ = matmul, _reflected(matmul)
    T.__pow__ = pow
    T.__neg__ = neg
    T.__abs__ = abs_
    T.__getitem__ = index
    T.__eq__, T.__ne__, T.__lt__, T.__le__, T.__gt__, T.__ge__ = eq, ne, lt, le, gt, ge
    for fn in (
        exp,
        log,
        sqrt,
        tanh,
        sigmoid,
        relu,
        clip,
        sum,
        mean,
        max,
        reshape,
        permute,
        transpose,
        flatten,
        unsqueeze,
        squeeze,
        split,
        chunk,
        unbind,
        softmax,
        log_softmax,
        logsumexp,
    ):
        setattr(T, fn.__name__, fn)
    T.abs = abs_
    T.pow = pow
    T.view = reshape
    T.clamp = clip
    T.T = property(lambda self: Permute(tuple(range(self.ndim - 1, -1, -1)))(self) if self.ndim > 1 else self)
    T.to = _to
    T.cpu = lambda self: to_device(self, "cpu")
    T.cuda = lambda self: to_device(self, "cuda")
    T.float = lambda self: cast(self, np.float32)
    T.double = lambda self: cast(self, np.float64)
    T.astype = cast


def _to(self, *args, dtype=None, device=None):
    """``x.to("cuda")``, ``x.to(np.float64)`` or ``x.to("cuda", np.float64)``; differentiable."""
    device, dtype = backend.device_and_dtype(args, device, dtype)
    out = self if device is None else to_device(self, device)
    return out if dtype is None else cast(out, dtype)


_tensor_methods()
