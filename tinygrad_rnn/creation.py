"""Making tensors: filled, random and ranged, on any device (``device=None``: the default)."""

import numpy as np

from . import backend
from .tensor import Tensor


def _shape(shape, op):
    """``shape`` given as ints or as one tuple, checked: every size a non-negative int."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {shape!r}")
        if n < 0:
            raise ValueError(f"{op}: negative size {n} in shape {tuple(shape)}")
    return tuple(int(n) for n in shape)


def _made(array, device, requires_grad):
    if requires_grad and array.dtype.kind != "f":
        raise TypeError(f"only floating-point tensors can require gradients, got dtype {array.dtype}")
    return Tensor._wrap(array, device, requires_grad)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """``Tensor(data, ...)`` spelled as ``torch.tensor``: a copy of ``data``.

    >>> import tinygrad_rnn as tg
    >>> x = tg.tensor([[1.0, 2.0]], dtype="float64", requires_grad=True)
    >>> x.shape, x.dtype, x.requires_grad
    ((1, 2), dtype('float64'), True)
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array):
    """A CPU tensor that shares ``array``'s memory (a change to one shows in the other), as
    ``torch.from_numpy``; ``tensor(array)`` copies.

    >>> import numpy as np
    >>> import tinygrad_rnn as tg
    >>> a = np.zeros(3)
    >>> x = tg.from_numpy(a)
    >>> a[0] = 7
    >>> x.tolist(), x.device, x.dtype
    ([7.0, 0.0, 0.0], device('cpu'), dtype('float64'))
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: cannot make a tensor from dtype {array.dtype}")
    return Tensor._wrap(array, backend.CPU)


def full(shape, value, dtype=np.float32, device=None, requires_grad=False):
    """A tensor of ``shape`` (an int or a tuple) with every element ``value``.

    >>> import tinygrad_rnn as tg
    >>> tg.full((2, 2), 0.5).tolist(), tg.full(3, 7, dtype="int64").tolist()
    ([[0.5, 0.5], [0.5, 0.5]], [7, 7, 7])
    """
    dev = backend.get_device(device)
    return _made(dev.xp.full(_shape((shape,), "full"), value, dtype=dtype), dev, requires_grad)


def zeros(*shape, dtype=np.float32, device=None, requires_grad=False):
    """A tensor of zeros; the shape as ints or one tuple, as ``torch.zeros``.

    >>> import tinygrad_rnn as tg
    >>> tg.zeros(2, 3).shape, tg.zeros((2,)).tolist(), tg.zeros(1, dtype="float64").dtype
    ((2, 3), [0.0, 0.0], dtype('float64'))
    """
    return full(_shape(shape, "zeros"), 0, dtype, device, requires_grad)


def ones(*shape, dtype=np.float32, device=None, requires_grad=False):
    """A tensor of ones; the shape as ints or one tuple, as ``torch.ones``.

    >>> import tinygrad_rnn as tg
    >>> tg.ones(2, 2).tolist(), tg.ones(3, requires_grad=True).requires_grad
    ([[1.0, 1.0], [1.0, 1.0]], True)
    """
    return full(_shape(shape, "ones"), 1, dtype, device, requires_grad)


def randn(*shape, dtype=np.float32, device=None, requires_grad=False):
    """Standard normal samples from the device's generator (see ``manual_seed``).

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> x = tg.randn(1000, 10)
    >>> x.shape, abs(x.mean().item()) < 0.05, abs((x * x).mean().item() - 1) < 0.05   # mean 0, variance 1
    ((1000, 10), True, True)
    """
    dev = backend.get_device(device)
    return _made(dev.rng.standard_normal(_shape(shape, "randn"), dtype=np.dtype(dtype)), dev, requires_grad)


def rand(*shape, dtype=np.float32, device=None, requires_grad=False):
    """Uniform samples in [0, 1) from the device's generator (see ``manual_seed``).

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> x = tg.rand(1000)
    >>> x.shape, x.min().item() >= 0, x.max().item() < 1
    ((1000,), True, True)
    """
    dev = backend.get_device(device)
    return _made(dev.rng.random(_shape(shape, "rand"), dtype=np.dtype(dtype)), dev, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None, requires_grad=False):
    """Evenly spaced values in [start, stop); integers give int64, floats float32.

    >>> import tinygrad_rnn as tg
    >>> tg.arange(4).tolist(), tg.arange(1, 2, 0.25).tolist(), tg.arange(3).dtype
    ([0, 1, 2, 3], [1.0, 1.25, 1.5, 1.75], dtype('int64'))
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = np.int64 if is_int else np.float32
    dev = backend.get_device(device)
    return _made(dev.xp.arange(start, stop, step, dtype=dtype), dev, requires_grad)


def _like(maker):
    def like(x, dtype=None, device=None, requires_grad=False):
        return maker(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)

    name = maker.__name__ + "_like"
    like.__name__ = name
    like.__doc__ = f"""``{maker.__name__}`` with the shape, dtype and device of ``x``.

    >>> import tinygrad_rnn as tg
    >>> y = tg.{name}(tg.zeros(2, 3, dtype="float64"))
    >>> y.shape, y.dtype
    ((2, 3), dtype('float64'))
    """
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
randn_like = _like(randn)
rand_like = _like(rand)


def full_like(x, value, dtype=None, device=None, requires_grad=False):
    """``full`` with the shape, dtype and device of ``x``.

    >>> import tinygrad_rnn as tg
    >>> tg.full_like(tg.zeros(2, dtype="float64"), 0.5).tolist()
    [0.5, 0.5]
    """
    return full(x.shape, value, dtype or x.dtype, device or x.device, requires_grad)
