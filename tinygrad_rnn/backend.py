"""Devices: ``"cpu"`` computes with NumPy, ``"cuda"`` with CuPy.

CuPy is imported only when ``"cuda"`` is first asked for, so the package imports and
every CPU feature works with CuPy absent, or installed on a machine with no GPU.
"""

import os

import numpy as np


class Device:
    """A place where arrays live. ``xp`` is its array module (numpy or cupy)."""

    __slots__ = ("name", "xp", "array_type", "_rng")

    def __reduce__(self):  # copies and pickles of tensors refer to the same device
        return get_device, (self.name,)

    def __init__(self, name, xp):
        self.name = name
        self.xp = xp
        self.array_type = xp.ndarray
        self._rng = None

    def __repr__(self):
        return f"device({self.name!r})"

    def __str__(self):
        return self.name

    def __eq__(self, other):
        if isinstance(other, Device):
            return self is other
        return isinstance(other, str) and other == self.name

    def __hash__(self):
        return hash(self.name)

    @property
    def rng(self):
        """This device's random generator (seeded by ``manual_seed``)."""
        if self._rng is None:
            self._rng = self.xp.random.default_rng(_seed)
        return self._rng

    def asarray(self, data, dtype=None):
        """``data`` (a NumPy or CuPy array, or Python data) as an array on this device."""
        if self.xp is np:
            if not isinstance(data, np.ndarray) and hasattr(data, "get"):
                data = data.get()  # a CuPy array coming back to the host
            return np.asarray(data, dtype=dtype)
        return self.xp.asarray(data, dtype=dtype)


CPU = Device("cpu", np)
_cuda = None
_default = None
_seed = None


def manual_seed(seed):
    """Seed the random generator of every device (CUDA's too, when it is first used)."""
    global _seed
    _seed = int(seed)
    for device in (CPU, _cuda):
        if device is not None:
            device._rng = device.xp.random.default_rng(_seed)


def _load_cuda():
    """The CUDA device, or a RuntimeError saying why it cannot be had and what to do."""
    global _cuda
    if _cuda is not None:
        return _cuda
    try:
        import cupy
    except ImportError as e:
        raise RuntimeError(
            "device 'cuda' needs CuPy, which is not installed "
            f"({e}). Install the build for your CUDA version, for example "
            "`pip install 'tinygrad-rnn[gpu]'` (cupy-cuda12x) or `pip install cupy-cuda13x`."
        ) from None
    try:
        available = cupy.cuda.is_available()
    except Exception as e:  # a broken driver raises instead of answering False
        available, reason = False, f"{type(e).__name__}: {e}"
    else:
        reason = "cupy.cuda.is_available() is False"
    if not available:
        raise RuntimeError(
            f"device 'cuda': CuPy {cupy.__version__} is installed but no GPU is visible ({reason}). "
            "Check the NVIDIA driver and CUDA_VISIBLE_DEVICES, or use device 'cpu'."
        )
    _cuda = Device("cuda", cupy)
    return _cuda


def cuda_available():
    """True when CuPy is installed and a GPU is visible."""
    try:
        _load_cuda()
    except RuntimeError:
        return False
    return True


def get_device(device=None):
    """The Device for ``device``: a Device, ``"cpu"``, ``"cuda"`` (``"cuda:0"``), or None for the default."""
    if device is None:
        return default_device()
    if isinstance(device, Device):
        return device
    if device == "cpu":
        return CPU
    if device in ("cuda", "cuda:0", "gpu"):
        return _load_cuda()
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


_DEVICE_NAMES = ("cpu", "cuda", "cuda:0", "gpu")


def device_and_dtype(args, device=None, dtype=None):
    """Sort the positional arguments of ``.to(...)``: devices ("cpu", "cuda" or a Device)
    from dtypes (anything NumPy reads as one: np.float64, "float64", "double")."""
    for a in args:
        if isinstance(a, Device) or (isinstance(a, str) and a in _DEVICE_NAMES):
            device = a
        else:
            dtype = a
    return device, dtype


def default_device():
    """The device new tensors go to: set by ``set_default_device`` or ``TINYGRAD_RNN_DEVICE``."""
    global _default
    if _default is None:
        name = os.environ.get("TINYGRAD_RNN_DEVICE", "cpu").strip() or "cpu"
        try:
            _default = get_device(name)
        except (RuntimeError, ValueError) as e:
            raise RuntimeError(f"TINYGRAD_RNN_DEVICE={name!r}: {e}") from None
    return _default


def set_default_device(device):
    """Make ``device`` the place where new tensors are created (like ``torch.set_default_device``)."""
    global _default
    _default = get_device(device)


def device_of(array):
    """The Device an array lives on."""
    if isinstance(array, np.ndarray):
        return CPU
    if type(array).__module__.startswith("cupy"):
        return _load_cuda()
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def array_module(array):
    """numpy or cupy, whichever ``array`` (or NumPy scalar) belongs to."""
    if hasattr(array, "__cuda_array_interface__"):
        return _load_cuda().xp
    return np


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices summed, on either backend."""
    if not isinstance(target, np.ndarray):
        import cupyx

        cupyx.scatter_add(target, index, values)
    elif _is_unique_rows(index, target.shape[0]):
        target[index] += values  # no repeats: plain fancy indexing is exact, and 10x faster
    else:
        np.add.at(target, index, values)


def _is_unique_rows(index, n):
    """True for a 1-D integer index that names no row of an axis of length ``n`` twice."""
    if not (isinstance(index, np.ndarray) and index.ndim == 1 and index.dtype.kind in "iu"):
        return False
    rows = np.sort(index % n)
    return bool((rows[1:] != rows[:-1]).all())
