"""Devices: ``"cpu"`` computes with NumPy, ``"cuda"`` with CuPy.

CuPy is imported only when ``"cuda"`` is first asked for, so the package imports and
every CPU feature works with CuPy absent, or installed on a machine with no GPU.
"""

import os
import time

import numpy as np


class Device:
    """A place where arrays live. ``xp`` is its array module (numpy or cupy); a device equals its name.

    >>> import tinygrad_rnn as tg
    >>> cpu = tg.get_device("cpu")
    >>> cpu, cpu.xp is np, cpu == "cpu", tg.ones(2, device="cpu").device is cpu
    (device('cpu'), True, True, True)
    """

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

    def asarray(self, data, dtype=None, copy=False):
        """``data`` (a NumPy or CuPy array, a number, or lists of them) as an array on this
        device; a fresh copy with ``copy=True``, else shared where it already lives here."""
        if self.xp is np:
            data = to_host(data)
            return np.array(data, dtype=dtype) if copy else np.asarray(data, dtype=dtype)
        try:
            return self.xp.array(data, dtype=dtype, copy=copy)
        except (TypeError, ValueError):  # lists that mix host and device values
            return self.xp.array(to_host(data), dtype=dtype)


def to_host(data):
    """The one place user data crosses to the host: NumPy arrays pass as they are; CuPy
    arrays and scalars, and (nested) lists holding them, are copied back; numbers and
    lists of numbers become a NumPy array."""
    if isinstance(data, np.ndarray):
        return data
    if _on_gpu(data):
        return data.get()
    try:
        return np.asarray(data)
    except TypeError:  # CuPy refuses to be converted implicitly: a list holding CuPy values
        if isinstance(data, (list, tuple)):
            return np.asarray([to_host(d) for d in data])
        raise


def _on_gpu(data):
    return hasattr(data, "__cuda_array_interface__") and hasattr(data, "get")


CPU = Device("cpu", np)
_cuda = None
_default = None
_seed = None


def manual_seed(seed):
    """Seed the random generator of every device (CUDA's too, when it is first used): the same
    seed gives the same samples, initial weights and dropout masks on a device.

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> a = tg.randn(3)
    >>> tg.manual_seed(0)
    >>> bool((tg.randn(3) == a).numpy().all())
    True
    """
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
    try:  # one tiny kernel: CuPy can say yes above and still lack the CUDA libraries it compiles with
        ran = (cupy.arange(4, dtype=cupy.float32) * 2).sum().item() == 12
    except Exception as e:
        ran, reason = False, f"{type(e).__name__}: {e}"
    else:
        reason = "a test kernel computed a wrong sum"
    if not ran:
        raise RuntimeError(
            f"device 'cuda': CuPy {cupy.__version__} sees a GPU but cannot run a kernel on it ({reason}). "
            "Install the CuPy build that matches your CUDA (cupy-cuda12x or cupy-cuda13x), or use device 'cpu'."
        )
    _cuda = Device("cuda", cupy)
    return _cuda


def cuda_available():
    """True when CuPy is installed and a GPU is visible (``tg.cuda.is_available()`` asks the same).

    >>> import tinygrad_rnn as tg
    >>> device = "cuda" if tg.cuda_available() else "cpu"
    >>> tg.ones(2, device=device).device == device
    True
    """
    try:
        _load_cuda()
    except RuntimeError:
        return False
    return True


def get_device(device=None):
    """The Device for ``device``: a Device, ``"cpu"``, ``"cuda"`` (``"cuda:0"``), or None for the default.

    >>> import tinygrad_rnn as tg
    >>> tg.get_device("cpu"), tg.get_device() is tg.default_device()
    (device('cpu'), True)
    """
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
            continue
        try:
            np.dtype(a)
        except TypeError:
            raise ValueError(f"to: {a!r} is neither a device ('cpu', 'cuda') nor a dtype ('float64')") from None
        dtype = a
    return device, dtype


def default_device():
    """The device new tensors go to: set by ``set_default_device`` or ``TINYGRAD_RNN_DEVICE``
    (default "cpu").

    >>> import tinygrad_rnn as tg
    >>> tg.zeros(2).device is tg.default_device()
    True
    """
    global _default
    if _default is None:
        name = os.environ.get("TINYGRAD_RNN_DEVICE", "cpu").strip() or "cpu"
        try:
            _default = get_device(name)
        except (RuntimeError, ValueError) as e:
            raise RuntimeError(f"TINYGRAD_RNN_DEVICE={name!r}: {e}") from None
    return _default


def set_default_device(device):
    """Make ``device`` the place where new tensors are created (like ``torch.set_default_device``).

    >>> import tinygrad_rnn as tg
    >>> before = tg.default_device()
    >>> tg.set_default_device("cpu")
    >>> tg.zeros(2).device
    device('cpu')
    >>> tg.set_default_device(before)
    """
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


# -- floating-point errors -----------------------------------------------------------

try:  # NumPy 2 keeps its error state in a context variable
    from numpy._core._ufunc_config import _extobj_contextvar as _np_errors
    from numpy._core._ufunc_config import _make_extobj

    _IGNORE_ALL = _make_extobj(all="ignore")
except (ImportError, AttributeError, TypeError):  # pragma: no cover - another NumPy's internals
    _np_errors = None


def quietly(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` under ``numpy.errstate(all="ignore")``: IEEE results (1/0 = inf,
    e^1000 = inf, log 0 = -inf) without warnings, as in PyTorch. Setting NumPy's error-state
    variable directly costs 0.3 µs where ``errstate`` costs 0.8, which counts in a sigmoid,
    four ufunc calls on a few numbers; inside, NumPy's other settings (buffer size, error
    callback) are its defaults, which change no result. Reference path: the ``errstate``
    branch, taken where NumPy's internals differ. CuPy does not warn, so it needs neither."""
    if _np_errors is None:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    token = _np_errors.set(_IGNORE_ALL)
    try:
        return fn(*args, **kwargs)
    finally:
        _np_errors.reset(token)


# -- BLAS threads on the CPU ----------------------------------------------------------


class _BlasThreads:
    """NumPy's BLAS (OpenBLAS, MKL, ...) splits every matrix product over all its threads.
    For the small products of a recurrent step (32×64 @ 64×256) that gains little and, when
    another program keeps a core busy, costs much: waking a BLAS thread then waits for the
    busy core, and a step runs several times slower. So:

    - a product under ``LARGE`` multiply-adds runs on one thread;
    - a larger one runs on ``get_num_threads()`` threads, and is timed: when ``STRIKES``
      such products in a row took ``SLOWER`` times longer than one thread would have
      (measured once, at first use), the cores are contended, and large products run on
      one thread for ``BACKOFF`` seconds (then one slow product is enough to back off again).

    The count is switched through threadpoolctl (about half a microsecond), only when a
    product needs the other one. Without threadpoolctl, BLAS keeps its own setting."""

    LARGE = 1 << 23  # m·k·n; where two threads start to pay on 2 cores: benchmarks/bench_threads.py
    SLOWER = 1.5  # several threads on free cores take about 1/threads of one thread's time
    STRIKES = 2  # one slow product is a hiccup (a page fault, a timer); two in a row are contention
    BACKOFF = 1.0

    def __init__(self):
        self.controllers = None  # found on first use: the BLAS libraries loaded by NumPy
        self.many = 1  # threads for large products (BLAS's own count until set)
        self.now = 1  # the count BLAS is set to
        self.seconds_per_madd = 0.0  # one thread's time per multiply-add, measured at first use
        self.contended_until = 0.0
        self.strikes = 0  # slow products in a row

    def _find(self):
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            self.controllers = []
        else:
            self.controllers = ThreadpoolController().select(user_api="blas").lib_controllers
        self.now = self.many = max([c.num_threads for c in self.controllers], default=1)
        a = np.ones((256, 256), np.float32)
        self.set(1)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - start)
        self.seconds_per_madd = best / a.size / 256

    def set(self, count):
        if self.controllers is None:
            self._find()
        if count != self.now:
            for c in self.controllers:
                c.set_num_threads(count)
            self.now = count

    def matmul(self, a, b):
        """``a @ b`` for NumPy arrays, on the thread count its size (and the machine) calls for."""
        madds = a.size * (b.shape[-1] if b.ndim > 1 else 1)
        if madds < self.LARGE or self.many == 1:
            if self.now != 1:
                self.set(1)
            return a @ b
        start = time.perf_counter()
        if start < self.contended_until:
            self.set(1)
            return a @ b
        self.set(self.many)
        out = a @ b
        if time.perf_counter() - start <= self.SLOWER * madds * self.seconds_per_madd:
            self.strikes = 0
        else:
            self.strikes += 1
            if self.strikes >= self.STRIKES:
                self.contended_until = time.perf_counter() + self.BACKOFF
                self.strikes = self.STRIKES - 1
        return out


blas = _BlasThreads()


def set_num_threads(count):
    """Use up to ``count`` threads for large matrix products on the CPU (``torch.set_num_threads``);
    small ones always run on one. The default is the BLAS library's own count (its
    environment variables, e.g. ``OMP_NUM_THREADS``, or the number of cores).

    >>> import tinygrad_rnn as tg
    >>> before = tg.get_num_threads()
    >>> tg.set_num_threads(1)
    >>> tg.get_num_threads()
    1
    >>> tg.set_num_threads(before)
    """
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {count!r}")
    if blas.controllers is None:
        blas._find()
    blas.many = count


def get_num_threads():
    """The number of threads large matrix products on the CPU may use.

    >>> import tinygrad_rnn as tg
    >>> tg.get_num_threads() >= 1
    True
    """
    if blas.controllers is None:
        blas._find()
    return blas.many


def matmul(a, b):
    """``a @ b``; on the CPU with the BLAS thread count the product's size calls for."""
    if type(a) is np.ndarray:
        if blas.controllers is None:
            blas._find()
        return blas.matmul(a, b)
    return a @ b


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
