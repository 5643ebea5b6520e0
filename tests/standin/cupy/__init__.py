"""A strict stand-in for CuPy, for tests on machines without a GPU (never shipped).

Arrays live in NumPy underneath but behave as CuPy's do where a program can go wrong:

- implicit conversion to NumPy raises (``np.asarray(a)``, ``np.exp(a)``), as CuPy's does;
  ``a.get()`` and ``cupy.asnumpy(a)`` copy to the host;
- NumPy arrays are refused as operands, indices and values (``a + np_array`` raises);
- reductions and ``a[i]`` give 0-d arrays, never NumPy scalars;
- the random generators draw a different stream from NumPy's for the same seed;
- there is no ``ElementwiseKernel``: code that needs CuPy's own kernels must check.

Put ``tests/standin`` first on ``PYTHONPATH`` and ``import cupy`` finds this package.
"""

import numpy as _np

__version__ = "0.0-standin"


def _unwrap(value, what="operand"):
    """The NumPy array inside a stand-in array; refuse NumPy arrays, as CuPy does."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, _np.ndarray):
        raise TypeError(f"Unsupported type <class 'numpy.ndarray'> as {what} (CuPy refuses NumPy arrays)")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, what) for v in value)
    return value


def _wrap(value):
    if isinstance(value, _np.ndarray):
        return ndarray(value)
    if isinstance(value, _np.generic):
        return ndarray(_np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _call(fn, *args, **kwargs):
    args = [_unwrap(a) for a in args]
    kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
    return _wrap(fn(*args, **kwargs))


class ndarray:
    """A device array: NumPy's array inside, CuPy's manners outside."""

    __array_ufunc__ = None  # numpy_array (op) ndarray defers to our operators, which refuse it
    __array_priority__ = 1000

    def __init__(self, array):
        self._a = _np.asarray(array)  # 0-d results stay arrays

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array "
            "explicitly."
        )

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "data": (0, False), "version": 3}

    def get(self):
        return self._a.copy()

    # attributes and methods: NumPy's, with results wrapped
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    T = property(lambda self: ndarray(self._a.T))
    base = property(lambda self: None if self._a.base is None else ndarray(self._a.base))

    def __getattr__(self, name):
        if name.startswith("__"):  # NumPy's array protocols (__array_interface__, ...) stay hidden
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, *args, **kwargs)
        return _wrap(attr)

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(_np.asarray(row)) for row in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return f"array({_np.array2string(self._a, separator=', ')})"

    def __getitem__(self, key):
        return _wrap(_np.asarray(self._a[_unwrap(key, "index")]))

    def __setitem__(self, key, value):
        self._a[_unwrap(key, "index")] = _unwrap(value, "value")


def _binary(name):
    op = getattr(_np.ndarray, name)

    def method(self, other):
        return _wrap(_np.asarray(op(self._a, _unwrap(other))))

    return method


def _in_place(name):
    op = getattr(_np.ndarray, name)

    def method(self, other):
        op(self._a, _unwrap(other))
        return self

    return method


for _name in (
    "add sub mul truediv floordiv mod pow matmul and or xor lshift rshift "
    "radd rsub rmul rtruediv rfloordiv rmod rpow rmatmul rand ror rxor lt le gt ge eq ne"
).split():
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in "iadd isub imul itruediv ifloordiv imod ipow iand ior ixor".split():
    setattr(ndarray, f"__{_name}__", _in_place(f"__{_name}__"))


def _unary(name):
    op = getattr(_np.ndarray, name)
    return lambda self: ndarray(op(self._a))


for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", _unary(f"__{_name}__"))
ndarray.__hash__ = None


def array(obj, dtype=None, copy=True, order="K", ndmin=0):
    """A device array from host data (an explicit transfer) or from another device array."""
    if isinstance(obj, ndarray):
        obj = obj._a
    elif isinstance(obj, (list, tuple)):
        obj = [o._a if isinstance(o, ndarray) else o for o in obj]
    return ndarray(_np.array(obj, dtype=dtype, copy=True if copy else None, order=order, ndmin=ndmin))


def asarray(obj, dtype=None, order=None):
    if isinstance(obj, ndarray) and (dtype is None or _np.dtype(dtype) == obj.dtype):
        return obj
    return array(obj, dtype=dtype, copy=False) if not isinstance(obj, ndarray) else ndarray(obj._a.astype(dtype))


def asnumpy(a, stream=None):
    return a.get() if isinstance(a, ndarray) else _np.asarray(a)


def ascontiguousarray(a, dtype=None):
    return ndarray(_np.ascontiguousarray(_unwrap(a), dtype=dtype))


def __getattr__(name):
    """Every other NumPy function, taking and giving stand-in arrays only."""
    value = getattr(_np, name)
    if callable(value) and not isinstance(value, type):
        return lambda *args, **kwargs: _call(value, *args, **kwargs)
    return value


class _Random:
    """``cupy.random``: generators whose stream differs from NumPy's for the same seed."""

    class Generator:
        def __init__(self, seed=None):
            self._g = _np.random.Generator(_np.random.Philox(seed))

        def __getattr__(self, name):
            method = getattr(self._g, name)
            return lambda *args, **kwargs: _call(method, *args, **kwargs)

    @staticmethod
    def default_rng(seed=None):
        return _Random.Generator(seed)


random = _Random()


class _Linalg:
    @staticmethod
    def norm(x, *args, **kwargs):
        return _call(_np.linalg.norm, x, *args, **kwargs)

    @staticmethod
    def qr(a, mode="reduced"):
        return _call(_np.linalg.qr, a, mode)


linalg = _Linalg()


class _Cuda:
    """``cupy.cuda``: one visible stand-in device."""

    class Device:
        def __init__(self, index=0):
            self.id = index

        def synchronize(self):
            pass

    class runtime:  # noqa: N801 (CuPy's name)
        @staticmethod
        def getDeviceCount():  # noqa: N802 (CuPy's name)
            return 1

    @staticmethod
    def is_available():
        return True


cuda = _Cuda()
