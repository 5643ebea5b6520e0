"""Filling tensors in place (``torch.nn.init``), from the device's seeded generator.

Every function runs under ``no_grad``, writes the tensor's array in place through the
tensor's own ``copy_`` (so the tensor keeps its identity, its array and its dtype, and a
graph that saved the old values refuses to backward), and returns the tensor. Samples are
drawn in float64 on the tensor's device and rounded to its dtype, so a float32 and a
float64 module built after the same ``tg.manual_seed`` hold the same values up to rounding.

Fans follow torch: for a weight of shape (out, in, k₁, k₂, ...), fan_in = in·k₁·k₂·...
and fan_out = out·k₁·k₂·..., so a Linear or recurrent weight (out, in) has fan_in = in.
"""

import math
import numbers
import warnings

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


def _fill(op, tensor, values):
    """Write ``values`` (an array on the tensor's device, or a number) into ``tensor`` in place."""
    try:
        with no_grad():
            tensor.copy_(values)
    except (RuntimeError, TypeError, ValueError) as e:
        raise type(e)(f"{op}: {str(e).removeprefix('copy_: ')}") from None
    return tensor


def _float_tensor(op, tensor):
    """Refuse what cannot be filled with random values, before a sample is drawn."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{op}: can only fill a floating-point tensor with random values, got dtype {tensor.dtype}")
    with no_grad():
        tensor._check_in_place(op)  # a tensor made by an op: refused as copy_ would refuse it


def _uniform(op, tensor, a, b):
    _float_tensor(op, tensor)
    if not a <= b:
        raise ValueError(f"{op}: expected a <= b, got a={a}, b={b}")
    return _fill(op, tensor, tensor.device.rng.random(tensor.shape, dtype=np.float64) * (b - a) + a)


def _normal(op, tensor, mean, std):
    _float_tensor(op, tensor)
    if not std >= 0:
        raise ValueError(f"{op}: std must be >= 0, got {std}")
    return _fill(op, tensor, tensor.device.rng.standard_normal(tensor.shape, dtype=np.float64) * std + mean)


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples of U(a, b): density 1/(b - a) on [a, b), mean (a + b)/2, variance (b - a)²/12.

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> w = tg.nn.init.uniform_(tg.zeros(1000), -0.1, 0.1)
    >>> w.min().item() >= -0.1, w.max().item() < 0.1, abs(w.mean().item()) < 0.01
    (True, True, True)
    """
    return _uniform("uniform_", tensor, a, b)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples of N(mean, std²).

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> w = tg.nn.init.normal_(tg.zeros(1000), mean=2.0, std=0.1)
    >>> abs(w.mean().item() - 2) < 0.01, abs((w - 2).abs().max().item()) < 0.5
    (True, True)
    """
    return _normal("normal_", tensor, mean, std)


def constant_(tensor, value):
    """Fill with ``value``.

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.Parameter(tg.zeros(2))
    >>> tg.nn.init.constant_(w, 0.5) is w, w.tolist()
    (True, [0.5, 0.5])
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"constant_: expected a Tensor, got {type(tensor).__name__}")
    return _fill("constant_", tensor, value)


def zeros_(tensor):
    """Fill with 0.

    >>> import tinygrad_rnn as tg
    >>> tg.nn.init.zeros_(tg.ones(2, 2)).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill with 1: LayerNorm's weight at start.

    >>> import tinygrad_rnn as tg
    >>> tg.nn.init.ones_(tg.zeros(3)).tolist()
    [1.0, 1.0, 1.0]
    """
    return constant_(tensor, 1)


_GAINS = {
    "linear": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4,
}


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps the variance of activations steady through ``nonlinearity`` (as torch):

    linear, conv, sigmoid: 1;  tanh: 5/3;  relu: √2;  selu: 3/4;
    leaky_relu: √(2 / (1 + s²)) with the negative slope s = ``param`` (default 0.01).

    >>> import tinygrad_rnn as tg
    >>> tg.nn.init.calculate_gain("tanh"), tg.nn.init.calculate_gain("leaky_relu", 1)
    (1.6666666666666667, 1.0)
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
            f"{sorted([*_GAINS, 'leaky_relu'])}"
        )
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor, op="_calculate_fan_in_and_fan_out"):
    """(fan_in, fan_out) of a weight of shape (out, in, k₁, ...): (in·k₁·..., out·k₁·...).

    >>> import tinygrad_rnn as tg
    >>> tg.nn.init._calculate_fan_in_and_fan_out(tg.zeros(8, 3, 5))
    (15, 40)
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(
            f"{op}: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape {shape})"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(op, tensor, mode):
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, op)
    return fan_in if mode.lower() == "fan_in" else fan_out


def _xavier_std(op, tensor, gain):
    _float_tensor(op, tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor, op)
    return gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(-a, a) with a = gain · √(6 / (fan_in + fan_out)).

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.init.xavier_uniform_(tg.zeros(300, 200))
    >>> w.abs().max().item() <= (6 / 500) ** 0.5
    True
    """
    bound = math.sqrt(3.0) * _xavier_std("xavier_uniform_", tensor, gain)
    return _uniform("xavier_uniform_", tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio (2010): N(0, std²) with std = gain · √(2 / (fan_in + fan_out)).

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> w = tg.nn.init.xavier_normal_(tg.zeros(300, 200))
    >>> abs((w * w).mean().item() ** 0.5 - (2 / 500) ** 0.5) < 0.001     # the std of the samples
    True
    """
    return _normal("xavier_normal_", tensor, 0.0, _xavier_std("xavier_normal_", tensor, gain))


def _kaiming_std(op, tensor, a, mode, nonlinearity):
    """gain / √fan, or None (with torch's warning) for a tensor with no elements."""
    _float_tensor(op, tensor)
    if 0 in tensor.shape:
        warnings.warn(f"{op}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(op, tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): U(-b, b) with b = gain · √(3 / fan), gain = ``calculate_gain(nonlinearity, a)``.

    ``mode="fan_in"`` keeps the variance of the activations in the forward pass,
    ``"fan_out"`` that of the gradients in the backward pass. Linear's own initialisation,
    U(-1/√in, 1/√in), is ``kaiming_uniform_(w, a=√5)``.

    >>> import tinygrad_rnn as tg
    >>> w = tg.nn.init.kaiming_uniform_(tg.zeros(64, 100), nonlinearity="relu")
    >>> w.abs().max().item() <= 6 ** 0.5 / 10         # b = √2 · √(3 / 100)
    True
    """
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return _uniform("kaiming_uniform_", tensor, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): N(0, std²) with std = gain / √fan (see ``kaiming_uniform_``).

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> w = tg.nn.init.kaiming_normal_(tg.zeros(500, 200), mode="fan_out", nonlinearity="relu")
    >>> abs((w * w).mean().item() ** 0.5 - (2 / 500) ** 0.5) < 0.001     # the std of the samples
    True
    """
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return tensor if std is None else _normal("kaiming_normal_", tensor, 0.0, std)


def orthogonal_(tensor, gain=1.0):
    """Saxe et al. (2014): a (semi-)orthogonal matrix times ``gain``, as torch.

    The tensor is seen as a matrix (rows = shape[0], cols = the rest). A matrix of N(0, 1)
    samples (transposed when wide) is factored A = QR; Q's columns, with signs flipped so
    that R's diagonal is positive (which makes Q uniformly distributed), fill the tensor:
    its rows are orthonormal when rows <= cols, its columns when rows >= cols.

    >>> import numpy as np
    >>> import tinygrad_rnn as tg
    >>> q = tg.nn.init.orthogonal_(tg.zeros(3, 5, dtype="float64")).numpy()
    >>> bool(np.allclose(q @ q.T, np.eye(3)))
    True
    """
    op = "orthogonal_"
    _float_tensor(op, tensor)
    if tensor.ndim < 2:
        raise ValueError(f"{op}: only tensors with 2 or more dimensions are supported, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    xp = tensor.device.xp
    a = tensor.device.rng.standard_normal((rows, cols), dtype=np.float64)
    if rows < cols:
        a = a.T
    q, r = xp.linalg.qr(a)
    q *= xp.sign(xp.diagonal(r))
    if rows < cols:
        q = q.T
    return _fill(op, tensor, (gain * q).reshape(tensor.shape))
