"""What every op's wrapper does with its arguments before the op runs: Python numbers and
arrays become tensors beside the tensor they meet, dtypes are reconciled, and axes are
checked and made non-negative."""

import builtins

from ..autograd import Function


def is_tensor(value):
    return isinstance(value, Function.tensor_class)


def as_tensor(value, like=None):
    """``value`` as a Tensor (``value`` itself when it is one). Beside a float tensor ``like``, a
    Python number takes its dtype and device (a float32 tensor times 0.5 stays float32); other
    values keep their own dtype.

    >>> import tinygrad_rnn as tg
    >>> x = tg.zeros(2, dtype="float64")
    >>> tg.as_tensor(x) is x, tg.as_tensor(0.5, like=x).dtype, tg.as_tensor([1, 2]).dtype
    (True, dtype('float64'), dtype('int64'))
    """
    Tensor = Function.tensor_class
    if isinstance(value, Tensor):
        return value
    if like is None:
        return Tensor(value)
    if isinstance(value, (int, float, bool)) and like.data.dtype.kind == "f":
        return Tensor._wrap(like.device.xp.asarray(value, dtype=like.data.dtype), like.device)
    return Tensor(value, device=like.device)


def operands(op, a, b):
    """Two tensors of one dtype for a binary op: numbers and arrays adapt to the tensor, an
    integer tensor meeting a float one takes its dtype, two float dtypes are an error."""
    if not is_tensor(a):
        if not is_tensor(b):
            raise TypeError(f"{op}: expected at least one tensor, got {type(a).__name__} and {type(b).__name__}")
        a = as_tensor(a, b)
    elif not is_tensor(b):
        b = as_tensor(b, a)
    da, db = a.data.dtype, b.data.dtype
    if da is not db and da != db:
        fa, fb = da.kind == "f", db.kind == "f"
        if fa and fb:
            raise TypeError(
                f"{op}: dtypes {da} and {db} differ; convert one first (x.float(), x.double() or x.to(dtype))"
            )
        if fa:
            b = Function.tensor_class._wrap(b.data.astype(da), b.device)
        elif fb:
            a = Function.tensor_class._wrap(a.data.astype(db), a.device)
    return a, b


def axes(axis, ndim, op):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes of an ``ndim``-d tensor."""
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    if axis is None:
        return tuple(range(ndim))
    if ndim == 0 and axis in (0, -1, (0,), (-1,)):  # a number's one pseudo-axis, as PyTorch allows
        return ()
    many = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in many:
        if not isinstance(a, int) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis!r} names a dimension twice")
    return tuple(sorted(out))


_UNSET = object()


def either(op, ours, theirs, name, torch_name, default=None):
    """The value given by our keyword ``name`` or by PyTorch's ``torch_name`` (``dim`` for
    ``axis``, ``keepdim`` for ``keepdims``, ...), refusing both at once."""
    if theirs is _UNSET:
        return default if ours is _UNSET else ours
    if ours is not _UNSET:
        raise TypeError(f"{op}: got both {name}= and {torch_name}= (the same thing); give one")
    return theirs
