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
    """``Tensor(data, ...)`` spelled as ``torch.tensor``: a copy of ``data``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def from_numpy(array):
    """A CPU tensor that shares ``array``'s memory (a change to one shows in the other), as
    ``torch.from_numpy``; ``tensor(array)`` copies."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: cannot make a tensor from dtype {array.dtype}")
    return Tensor._wrap(array, backend.CPU)


def full(shape, value, dtype=np.float32, device=None, requires_grad=False):
    dev = backend.get_device(device)
    return _made(dev.xp.full(_shape((shape,), "full"), value, dtype=dtype), dev, requires_grad)


def zeros(*shape, dtype=np.float32, device=None, requires_grad=False):
    return full(_shape(shape, "zeros"), 0, dtype, device, requires_grad)


def ones(*shape, dtype=np.float32, device=None, requires_grad=False):
    return full(_shape(shape, "ones"), 1, dtype, device, requires_grad)


def randn(*shape, dtype=np.float32, device=None, requires_grad=False):
    """Standard normal samples from the device's generator (see ``manual_seed``)."""
    dev = backend.get_device(device)
    return _made(dev.rng.standard_normal(_shape(shape, "randn"), dtype=np.dtype(dtype)), dev, requires_grad)


def rand(*shape, dtype=np.float32, device=None, requires_grad=False):
    """Uniform samples in [0, 1) from the device's generator."""
    dev = backend.get_device(device)
    return _made(dev.rng.random(_shape(shape, "rand"), dtype=np.dtype(dtype)), dev, requires_grad)


def arange(start, stop=None, step=1, dtype=None, device=None, requires_grad=False):
    """Evenly spaced values in [start, stop); integers give int64, floats float32."""
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

    like.__name__ = maker.__name__ + "_like"
    like.__doc__ = f"``{maker.__name__}`` with the shape, dtype and device of ``x``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
randn_like = _like(randn)
rand_like = _like(rand)


def full_like(x, value, dtype=None, device=None, requires_grad=False):
    return full(x.shape, value, dtype or x.dtype, device or x.device, requires_grad)
