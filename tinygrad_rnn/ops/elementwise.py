"""Elementwise ops: each a Function with its chain rule under its forward pass, and the
function users call under it.

Notation: ``x, y`` are input arrays, ``out`` the output, ``gy`` the gradient arriving at
the output, ``gx`` the one returned for an input; ``xp`` is the array module (numpy or
cupy). ``self.needs[k]`` says whether input k wants a gradient: a forward pass keeps only
what the wanted gradients read.
"""

import operator

import numpy as np

from .. import backend
from ..autograd import Function, describe_shapes, sum_to
from ..backend import array_module as _xp
from ..backend import quietly
from .operands import is_tensor, operands

_CONSTANTS = {}


def _const(value, like):
    """``value`` as a 0-d array of ``like``'s dtype: NumPy computes with one about twice as
    fast as with a Python number (on CuPy, the number itself). Reference path: ``value``."""
    if type(like) is not np.ndarray:
        return value
    key = (value, like.dtype)
    c = _CONSTANTS.get(key)
    if c is None:
        c = _CONSTANTS[key] = np.array(value, like.dtype)
    return c


def _binary(cls, x, y):
    """Apply the two-input op ``cls`` to tensors or numbers (numbers take the tensor's dtype)."""
    tensor = Function.tensor_class
    if type(x) is not tensor or type(y) is not tensor or x.data.dtype is not y.data.dtype:
        x, y = operands(cls.op, x, y)  # the fast path above skips this for two tensors of one dtype
    return cls()(x, y)


# -- two inputs -------------------------------------------------------------------------


class Add(Function):
    """out = x + y;  gx = gy, gy_y = gy, each summed back to its input's shape."""

    op = "add"

    def forward(self, x, y):
        self.in_shapes = x.shape, y.shape
        return x + y

    def backward(self, gy):
        sx, sy = self.in_shapes
        return sum_to(gy, sx), sum_to(gy, sy)


def add(x, y):
    """x + y (also ``x.add(y)``), broadcast as NumPy does; a Python number takes the tensor's dtype.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([1.0, 2.0])
    >>> tg.add(x, 1).tolist(), (x + x).tolist()
    ([2.0, 3.0], [2.0, 4.0])
    """
    return _binary(Add, x, y)


class Sub(Function):
    """out = x - y;  gx = gy, g_y = -gy."""

    op = "sub"

    def forward(self, x, y):
        self.in_shapes = x.shape, y.shape
        return x - y

    def backward(self, gy):
        sx, sy = self.in_shapes
        return sum_to(gy, sx), (sum_to(-gy, sy) if self.needs[1] else None)


def sub(x, y):
    """x - y (also ``x.sub(y)``), broadcast.

    >>> import tinygrad_rnn as tg
    >>> tg.sub(tg.Tensor([1.0, 2.0]), 0.5).tolist(), (1 - tg.Tensor([3.0])).tolist()
    ([0.5, 1.5], [-2.0])
    """
    return _binary(Sub, x, y)


class Mul(Function):
    """out = x * y;  gx = gy * y, g_y = gy * x."""

    op = "mul"

    def forward(self, x, y):
        self.in_shapes = x.shape, y.shape
        self.saved = (y if self.needs[0] else None), (x if self.needs[1] else None)
        return x * y

    def backward(self, gy):
        y, x = self.saved
        sx, sy = self.in_shapes
        gx = sum_to(gy * y, sx) if y is not None else None
        g_y = sum_to(gy * x, sy) if x is not None else None
        return gx, g_y


def mul(x, y):
    """x * y elementwise (also ``x.mul(y)``), broadcast: a (B, H) tensor times an (H,) one scales each column.

    >>> import tinygrad_rnn as tg
    >>> tg.mul(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), tg.Tensor([10.0, 0.5])).tolist()
    [[10.0, 1.0], [30.0, 2.0]]
    """
    return _binary(Mul, x, y)


class Div(Function):
    """out = x / y;  gx = gy / y, g_y = -gx * x / y."""

    op = "div"

    def forward(self, x, y):
        self.in_shapes = x.shape, y.shape
        self.saved = (x if self.needs[1] else None), y
        return quietly(operator.truediv, x, y)

    def backward(self, gy):
        x, y = self.saved
        gx = gy / y
        g_y = sum_to(-gx * x / y, self.in_shapes[1]) if self.needs[1] else None
        return sum_to(gx, self.in_shapes[0]), g_y


def div(x, y):
    """x / y elementwise (also ``x.div(y)``), broadcast; 1/0 is inf, as IEEE says, with no warning.

    >>> import tinygrad_rnn as tg
    >>> tg.div(tg.Tensor([1.0, 3.0]), 2).tolist(), (1 / tg.Tensor([0.0])).tolist()
    ([0.5, 1.5], [inf])
    """
    return _binary(Div, x, y)


# -- one input --------------------------------------------------------------------------


class Neg(Function):
    op = "neg"

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x):
    """-x (also ``x.neg()``).

    >>> import tinygrad_rnn as tg
    >>> tg.neg(tg.Tensor([1.0, -2.0])).tolist()
    [-1.0, 2.0]
    """
    return Neg()(x)


class Pow(Function):
    """out = x ** p for a constant exponent p;  gx = gy * p * x ** (p - 1) (0 for p = 0)."""

    op = "pow"

    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.saved = x
        return quietly(operator.pow, x, self.p)

    def backward(self, gy):
        if self.p == 0:
            return _xp(gy).zeros_like(gy)
        return gy * (self.p * self.saved ** (self.p - 1))


class PowTensor(Function):
    """out = x ** p, both tensors;  gx = gy * p * x ** (p - 1),  gp = gy * out * ln x (0 where
    x = 0 and p >= 0, as PyTorch)."""

    op = "pow"

    def forward(self, x, p):
        self.in_shapes = x.shape, p.shape
        out = quietly(operator.pow, x, p)
        self.saved = x, p, out
        return out

    def backward(self, gy):
        x, p, out = self.saved
        xp = _xp(gy)
        gx = gp = None
        if self.needs[0]:
            gx = sum_to(xp.where(p == 0, 0, gy * p * x ** (p - 1)), self.in_shapes[0])
        if self.needs[1]:
            gp = sum_to(xp.where((x == 0) & (p >= 0), 0, gy * out * xp.log(x)), self.in_shapes[1])
        return gx, gp


def pow(x, p):
    """x ** p (also ``x.pow(p)``): a number exponent, or a tensor (then either may be a number).

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([2.0, 3.0], requires_grad=True)
    >>> y = tg.pow(x, 2)
    >>> y.sum().backward()
    >>> y.tolist(), x.grad.tolist()
    ([4.0, 9.0], [4.0, 6.0])
    >>> (2 ** tg.Tensor([3.0])).tolist()
    [8.0]
    """
    if is_tensor(p) or not is_tensor(x):
        return _binary(PowTensor, x, p)
    if not isinstance(p, (int, float)) or isinstance(p, bool):
        raise TypeError(f"pow: the exponent must be a number or a tensor, got {type(p).__name__}")
    return Pow(p)(x)


class Exp(Function):
    """out = eˣ;  gx = gy * out."""

    op = "exp"

    def forward(self, x):
        self.saved = out = quietly(_xp(x).exp, x)
        return out

    def backward(self, gy):
        return gy * self.saved


def exp(x):
    """eˣ elementwise (also ``x.exp()``); its gradient is eˣ itself.

    >>> import tinygrad_rnn as tg
    >>> tg.exp(tg.Tensor([0.0, 1.0], dtype="float64")).numpy().round(4).tolist()
    [1.0, 2.7183]
    """
    return Exp()(x)


class Log(Function):
    """out = ln x;  gx = gy / x."""

    op = "log"

    def forward(self, x):
        self.saved = x
        return quietly(_xp(x).log, x)

    def backward(self, gy):
        return gy / self.saved


def log(x):
    """ln x elementwise (also ``x.log()``); log 0 = -inf and log(-1) = nan, without warnings.

    >>> import tinygrad_rnn as tg
    >>> tg.log(tg.Tensor([1.0, 0.0])).tolist()
    [0.0, -inf]
    """
    return Log()(x)


class Sqrt(Function):
    """out = √x;  gx = gy / (2 out)."""

    op = "sqrt"

    def forward(self, x):
        self.saved = out = quietly(_xp(x).sqrt, x)
        return out

    def backward(self, gy):
        return gy / (2 * self.saved)


def sqrt(x):
    """√x elementwise (also ``x.sqrt()``).

    >>> import tinygrad_rnn as tg
    >>> tg.sqrt(tg.Tensor([4.0, 0.25])).tolist()
    [2.0, 0.5]
    """
    return Sqrt()(x)


class Abs(Function):
    """out = |x|;  gx = gy * sign(x)."""

    op = "abs"

    def forward(self, x):
        self.saved = x
        return abs(x)

    def backward(self, gy):
        return gy * _xp(gy).sign(self.saved)


def abs_(x):
    """|x| elementwise: ``tg.abs(x)``, ``abs(x)`` or ``x.abs()``; the gradient is sign(x) (0 at 0).

    >>> import tinygrad_rnn as tg
    >>> tg.abs(tg.Tensor([-1.5, 0.0, 2.0])).tolist()
    [1.5, 0.0, 2.0]
    """
    return Abs()(x)


class Tanh(Function):
    """out = tanh(x);  gx = gy * (1 - out²)."""

    op = "tanh"

    def forward(self, x):
        self.saved = out = _xp(x).tanh(x)
        return out

    def backward(self, gy):
        out = self.saved
        gx = out * out
        _xp(gx).subtract(_const(1, out), gx, out=gx)
        gx *= gy
        return gx


def tanh(x):
    """tanh x = (eˣ - e⁻ˣ) / (eˣ + e⁻ˣ), in (-1, 1) (also ``x.tanh()``); d tanh x / dx = 1 - tanh² x.

    >>> import tinygrad_rnn as tg
    >>> tg.tanh(tg.Tensor([0.0, 1.0, 100.0], dtype="float64")).numpy().round(4).tolist()
    [0.0, 0.7616, 1.0]
    """
    return Tanh()(x)


def stable_sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ) on an array, as PyTorch computes it. No cancellation anywhere:
    e⁻ˣ, the sum and its reciprocal are each within an ulp, so both tails keep full
    relative precision wherever σ(x) is a normal float (x >= -87 in float32, -708 in
    float64); below x = -88.7 (float32; -709.8 in float64) e⁻ˣ overflows to inf, quietly,
    and σ(x) is 0. Four ufunc calls, in place after the first (an ``e^min(x, 0) / (1 +
    e^-|x|)`` form that never overflows takes seven, and twice the time at 64×256)."""
    xp = _xp(x)
    out = xp.negative(x)
    quietly(xp.exp, out, out=out)
    out += _const(1, out)
    return xp.reciprocal(out, out=out)


class Sigmoid(Function):
    """out = σ(x) = 1 / (1 + e⁻ˣ) (see ``stable_sigmoid``);  gx = gy * out * (1 - out)."""

    op = "sigmoid"

    def forward(self, x):
        self.saved = out = stable_sigmoid(x)
        return out

    def backward(self, gy):
        out = self.saved
        gx = _const(1, out) - out
        gx *= out
        gx *= gy
        return gx


def sigmoid(x):
    """σ(x) = 1 / (1 + e⁻ˣ), in (0, 1), to full relative precision in both tails (also ``x.sigmoid()``).

    >>> import tinygrad_rnn as tg
    >>> tg.sigmoid(tg.Tensor([0.0, -200.0, 200.0])).tolist()
    [0.5, 0.0, 1.0]
    """
    return Sigmoid()(x)


class LogSigmoid(Function):
    """out = log σ(x) = -softplus(-x) (finite for any finite x: log σ(-200) = -200, not -inf);
    gx = gy * σ(-x)."""

    op = "log_sigmoid"

    def forward(self, x):
        xp = _xp(x)
        self.saved = x
        out = xp.logaddexp(_const(0, x), -x)
        return xp.negative(out, out=out)

    def backward(self, gy):
        s = stable_sigmoid(-self.saved)  # 1 - σ(x), without cancelling
        s *= gy
        return s


def log_sigmoid(x):
    """log σ(x) = -log(1 + e⁻ˣ) (also ``x.log_sigmoid()``), finite where σ(x) itself rounds to 0.

    >>> import tinygrad_rnn as tg
    >>> tg.log_sigmoid(tg.Tensor([-200.0, 0.0], dtype="float64")).numpy().round(4).tolist()
    [-200.0, -0.6931]
    """
    return LogSigmoid()(x)


class Relu(Function):
    """out = max(x, 0);  gx = gy where x > 0."""

    op = "relu"

    def forward(self, x):
        self.saved = out = _xp(x).maximum(x, 0)
        return out

    def backward(self, gy):
        return gy * (self.saved > 0)


def relu(x):
    """max(x, 0) elementwise (also ``x.relu()``); the gradient is 1 where x > 0, else 0.

    >>> import tinygrad_rnn as tg
    >>> tg.relu(tg.Tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]
    """
    return Relu()(x)


class Clip(Function):
    """out = min(max(x, low), high); the gradient flows where low <= x <= high."""

    op = "clip"

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        xp = _xp(x)
        self.saved = x
        if self.low is not None:
            x = xp.maximum(x, self.low)
        return x if self.high is None else xp.minimum(x, self.high)

    def backward(self, gy):
        x = self.saved
        inside = True
        if self.low is not None:
            inside = x >= self.low
        if self.high is not None:
            inside = inside & (x <= self.high)
        return gy * inside


def clip(x, low=None, high=None):
    """Clamp to [low, high] (either may be None), as ``torch.clamp`` (also ``x.clip``, ``x.clamp``);
    the gradient flows where low <= x <= high.

    >>> import tinygrad_rnn as tg
    >>> tg.clip(tg.Tensor([-2.0, 0.5, 3.0]), -1, 1).tolist()
    [-1.0, 0.5, 1.0]
    """
    if low is None and high is None:
        raise ValueError("clip: give low, high or both")
    return Clip(low, high)(x)


class Cast(Function):
    """A change of dtype; the gradient goes back in the input's dtype."""

    op = "cast"

    def __init__(self, dtype):
        self.to = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.to)

    def backward(self, gy):
        return gy.astype(self.source)


def cast(x, dtype):
    """``x`` as ``dtype`` (also ``x.astype(dtype)``); a float result is differentiable, an integer
    or boolean one is a constant. Casting to the dtype ``x`` has returns ``x`` itself.

    >>> import tinygrad_rnn as tg
    >>> y = tg.cast(tg.Tensor([1.5, -2.5]), "float64")
    >>> y.dtype, tg.cast(y, "int64").tolist()
    (dtype('float64'), [1, -2])
    """
    dtype = np.dtype(dtype)
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f":  # integer and boolean results carry no gradient
        return Function.tensor_class._wrap(x.data.astype(dtype), x.device)
    return Cast(dtype)(x)


class ToDevice(Function):
    """A move between devices; the gradient moves back."""

    op = "to_device"

    def __init__(self, target):
        self.moves_to = target

    def forward(self, x):
        self.source = backend.device_of(x)
        return self.moves_to.asarray(x)

    def backward(self, gy):
        return self.source.asarray(gy)


def to_device(x, device):
    """``x`` on ``device`` ("cpu" or "cuda"), differentiable: the gradient moves back
    (``x.to(device)``, ``x.cpu()`` and ``x.cuda()`` call it). ``x`` itself when it is there already.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([1.0, 2.0], device="cpu")
    >>> tg.to_device(x, "cpu") is x
    True
    """
    device = backend.get_device(device)
    return x if x.device is device else ToDevice(device)(x)


class Where(Function):
    """out = x where cond else y (cond: a boolean input, not differentiated);
    gx = gy where cond, g_y = gy elsewhere."""

    op = "where"

    def forward(self, cond, x, y):
        self.in_shapes = x.shape, y.shape
        self.saved = cond
        return _xp(x).where(cond, x, y)

    def explain(self, arrays, error):
        return f"cannot apply to {describe_shapes(arrays[1:])}: {error}"

    def backward(self, gy):
        cond = self.saved
        gx = sum_to(gy * cond, self.in_shapes[0]) if self.needs[1] else None
        g_y = sum_to(gy * ~cond, self.in_shapes[1]) if self.needs[2] else None
        return None, gx, g_y


def where(cond, x, y):
    """``x`` where ``cond`` holds, else ``y`` (``torch.where``); numbers take the tensors' dtype.
    ``cond`` is not differentiated; x gets the gradient where it holds, y elsewhere.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([-1.0, 2.0, -3.0])
    >>> tg.where(x > 0, x, 0.0).tolist()
    [0.0, 2.0, 0.0]
    """
    x, y = operands("where", x, y)
    tensor = Function.tensor_class
    if isinstance(cond, tensor):
        if cond.device is not x.device:
            raise RuntimeError(f"where: the condition is on '{cond.device}' but the values on '{x.device}'")
        if cond.data.dtype != np.bool_:
            cond = tensor._wrap(cond.data.astype(bool), cond.device)
    else:
        cond = tensor._wrap(x.device.asarray(cond).astype(bool), x.device)
    return Where()(cond, x, y)


class Maximum(Function):
    """out = max(x, y) elementwise; the gradient goes to the larger input, split evenly at ties
    (as PyTorch)."""

    op = "maximum"
    larger = True

    def forward(self, x, y):
        self.in_shapes = x.shape, y.shape
        self.saved = x, y
        return _xp(x).maximum(x, y) if self.larger else _xp(x).minimum(x, y)

    def backward(self, gy):
        x, y = self.saved
        wins = (x > y) if self.larger else (x < y)
        share = wins + _const(0.5, gy) * (x == y)  # x's share of the gradient: 1, 1/2 or 0
        gx = sum_to(gy * share, self.in_shapes[0]) if self.needs[0] else None
        g_y = sum_to(gy * (1 - share), self.in_shapes[1]) if self.needs[1] else None
        return gx, g_y


class Minimum(Maximum):
    """out = min(x, y) elementwise; the gradient goes to the smaller input, split at ties."""

    op = "minimum"
    larger = False


def maximum(x, y):
    """The larger of x and y, elementwise (also ``x.maximum(y)``); at a tie each gets half the gradient.

    >>> import tinygrad_rnn as tg
    >>> tg.maximum(tg.Tensor([1.0, 5.0]), tg.Tensor([3.0, 2.0])).tolist()
    [3.0, 5.0]
    """
    return _binary(Maximum, x, y)


def minimum(x, y):
    """The smaller of x and y, elementwise (also ``x.minimum(y)``); at a tie each gets half the gradient.

    >>> import tinygrad_rnn as tg
    >>> tg.minimum(tg.Tensor([1.0, 5.0]), 2).tolist()
    [1.0, 2.0]
    """
    return _binary(Minimum, x, y)


# -- comparisons: boolean results, outside the graph -----------------------------------------


def _compare(name, ufunc):
    def compare(x, y):
        x, y = operands(name, x, y)
        if x.device is not y.device:
            raise RuntimeError(f"{name}: inputs are on different devices, '{x.device}' and '{y.device}'")
        try:
            out = getattr(x.device.xp, ufunc)(x.data, y.data)
        except ValueError as e:
            raise ValueError(f"{name}: cannot compare shapes {tuple(x.shape)} and {tuple(y.shape)}: {e}") from None
        return Function.tensor_class._wrap(x.device.xp.asarray(out), x.device)

    compare.__name__ = name
    compare.__doc__ = f"""Elementwise {ufunc} (``{name}``): a boolean tensor, outside the graph.

    >>> import tinygrad_rnn as tg
    >>> tg.{name}(tg.Tensor([1.0, 2.0, 3.0]), 2).tolist()
    {getattr(np, ufunc)([1.0, 2.0, 3.0], 2).tolist()}
    """
    return compare


eq = _compare("eq", "equal")
ne = _compare("ne", "not_equal")
lt = _compare("lt", "less")
le = _compare("le", "less_equal")
gt = _compare("gt", "greater")
ge = _compare("ge", "greater_equal")
