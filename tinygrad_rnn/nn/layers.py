"""Linear, Embedding, LayerNorm, Dropout and the activation modules."""

import math
import numbers

import numpy as np

from .. import backend, creation, ops
from ..tensor import Tensor
from . import functional as F
from . import init
from ._docstrings import PLACEMENT, shared_docstring
from .module import Module, Parameter

_PLACED = shared_docstring(placement=PLACEMENT)  # the last two arguments (see _docstrings.py)


def _parameter(*shape, dtype=np.float32, device=None):
    return Parameter(creation.zeros(*shape, dtype=dtype, device=device))


@_PLACED
class Linear(Module):
    """y = x Wᵀ + b over the last axis of x, as ``torch.nn.Linear``.

    Args:
        in_features: the size of each input's last axis.
        out_features: the size of each output's last axis.
        bias: False leaves out b (``bias`` is then None). Default: True.
        {placement}

    Shape:
        - input: (*, in_features), any number of leading axes.
        - output: (*, out_features).

    Attributes:
        weight: W, (out_features, in_features), initialised U(-1/√in_features, 1/√in_features).
        bias: b, (out_features,), initialised likewise.

    >>> import tinygrad_rnn as tg
    >>> layer = tg.nn.Linear(3, 2)
    >>> y = layer(tg.ones(4, 5, 3))
    >>> y.shape, layer.weight.shape, layer.bias.shape
    ((4, 5, 2), (2, 3), (2,))
    >>> tg.nn.Linear(3, 2, bias=False).bias is None
    True
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, device=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features else 0
        self.weight = init.uniform_(_parameter(out_features, in_features, dtype=dtype, device=device), -bound, bound)
        self.register_parameter(
            "bias", init.uniform_(_parameter(out_features, dtype=dtype, device=device), -bound, bound) if bias else None
        )

    def forward(self, x):
        shape, dtype = tuple(getattr(x, "shape", ())), getattr(x, "dtype", None)
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear: expected input of shape (..., {self.in_features}), got {shape}")
        if dtype != self.weight.dtype:
            raise TypeError(
                f"Linear: input dtype {dtype} differs from the weight's {self.weight.dtype}; "
                "convert the input (x.float(), x.double()) or the module (.float(), .double())"
            )
        return x @ self.weight.T if self.bias is None else ops.addmm(self.bias, x, self.weight.T)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


@_PLACED
class Embedding(Module):
    """Rows of a (num_embeddings, embedding_dim) table, picked by integer indices, as
    ``torch.nn.Embedding``: a token's index becomes a vector the model learns.

    Args:
        num_embeddings: the number of rows, e.g. the size of a vocabulary.
        embedding_dim: the size of each row.
        {placement}

    Shape:
        - input: (*), integers in [0, num_embeddings): a tensor, array or list.
        - output: (*, embedding_dim).

    Attributes:
        weight: (num_embeddings, embedding_dim), initialised N(0, 1).

    >>> import tinygrad_rnn as tg
    >>> emb = tg.nn.Embedding(10, 3)
    >>> emb(tg.Tensor([[1, 2], [1, 9]])).shape
    (2, 2, 3)
    >>> emb([4]).tolist() == emb.weight[4:5].tolist()
    True
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=np.float32, device=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = init.normal_(_parameter(num_embeddings, embedding_dim, dtype=dtype, device=device))

    def forward(self, indices):
        """out[..., :] = weight[indices[...], :]; a row picked k times gets k gradients added up."""
        device, n = self.weight.device, self.num_embeddings
        if isinstance(indices, Tensor) and indices.device is not device:
            raise RuntimeError(f"Embedding: the indices are on '{indices.device}' but the weight on '{device}'")
        idx = device.asarray(indices.data if isinstance(indices, Tensor) else indices)  # read where it lives
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {idx.dtype} (shape {idx.shape})")
        if idx.size and bool(((idx < 0) | (idx >= n)).any()):  # one look at the device
            host = backend.to_host(idx)
            first = int(host[(host < 0) | (host >= n)].flat[0])
            raise IndexError(f"Embedding: index {first} is outside [0, {n}) (indices of shape {idx.shape})")
        return self.weight[Tensor._wrap(idx, device)]

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


@_PLACED
class LayerNorm(Module):
    """y = (x - E[x]) / √(Var[x] + ε) · γ + β over the last ``len(normalized_shape)`` axes (Ba et al., 2016),
    as ``torch.nn.LayerNorm``.

    E and Var are the mean and the biased variance (divided by n, as torch) of each slice.
    Written with primitive ops, so the gradient comes from theirs.

    Args:
        normalized_shape: the shape of the trailing axes normalized together, an int or a tuple.
        eps: ε, added to the variance. Default: 1e-5.
        elementwise_affine: False leaves out γ and β. Default: True.
        bias: False leaves out β alone. Default: True.
        {placement}

    Shape:
        - input: (*, *normalized_shape).
        - output: the input's shape.

    Attributes:
        weight: γ, of ``normalized_shape``, starting at ones (None without ``elementwise_affine``).
        bias: β, of ``normalized_shape``, starting at zeros (None without it, or with ``bias=False``).

    >>> import tinygrad_rnn as tg
    >>> norm = tg.nn.LayerNorm(2)
    >>> norm(tg.Tensor([[1.0, 3.0], [5.0, 5.0]])).numpy().round(4).tolist()
    [[-1.0, 1.0], [0.0, 0.0]]
    >>> norm.weight.tolist(), norm.bias.tolist()
    ([1.0, 1.0], [0.0, 0.0])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float32, device=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        shape = tuple(normalized_shape)
        if not shape or not all(isinstance(n, numbers.Integral) and n > 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive integers, got {normalized_shape!r}")
        if not eps >= 0:
            raise ValueError(f"LayerNorm: eps must be >= 0, got {eps!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = tuple(int(n) for n in shape), eps, elementwise_affine
        affine = elementwise_affine
        self.register_parameter(
            "weight", init.ones_(_parameter(*shape, dtype=dtype, device=device)) if affine else None
        )
        self.register_parameter("bias", _parameter(*shape, dtype=dtype, device=device) if affine and bias else None)

    def forward(self, x):
        shape, k = self.normalized_shape, len(self.normalized_shape)
        if not isinstance(x, Tensor) or tuple(x.shape[-k:]) != shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm: expected input of shape (..., {', '.join(map(str, shape))}), got "
                f"{tuple(getattr(x, 'shape', ()))}"
            )
        if self.weight is not None and x.dtype != self.weight.dtype:
            raise TypeError(f"LayerNorm: input dtype {x.dtype} differs from the weight's {self.weight.dtype}")
        axes = tuple(range(x.ndim - k, x.ndim))
        centered = x - x.mean(axes, keepdims=True)
        var = (centered * centered).mean(axes, keepdims=True)
        y = centered / (var + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight
        return y if self.bias is None else y + self.bias

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class Dropout(Module):
    """Inverted dropout while training, as ``torch.nn.Dropout``: each element is zeroed with
    probability p and the others scaled by 1/(1 - p), so the expectation is unchanged (p = 1
    drops everything); the identity in eval mode (``model.eval()``). See ``F.dropout``.

    Args:
        p: the probability of zeroing an element, in [0, 1]. Default: 0.5.

    Shape:
        - input: any shape, floating point.
        - output: the input's shape.

    >>> import tinygrad_rnn as tg
    >>> tg.manual_seed(0)
    >>> drop = tg.nn.Dropout(0.5)
    >>> sorted(set(drop(tg.ones(1000)).tolist())), drop.eval()(tg.ones(3)).tolist()
    ([0.0, 2.0], [1.0, 1.0, 1.0])
    """

    def __init__(self, p=0.5):
        super().__init__()
        F._check_unit("Dropout", "p", p)
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Tanh(Module):
    """tanh, elementwise, as a module (``torch.nn.Tanh``): for ``Sequential``.

    >>> import tinygrad_rnn as tg
    >>> tg.nn.Tanh()(tg.Tensor([0.0, 100.0])).tolist()
    [0.0, 1.0]
    """

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ), elementwise, as a module (``torch.nn.Sigmoid``).

    >>> import tinygrad_rnn as tg
    >>> tg.nn.Sigmoid()(tg.Tensor([0.0, 100.0])).tolist()
    [0.5, 1.0]
    """

    def forward(self, x):
        return x.sigmoid()


class ReLU(Module):
    """max(x, 0), elementwise, as a module (``torch.nn.ReLU``).

    >>> import tinygrad_rnn as tg
    >>> tg.nn.ReLU()(tg.Tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def forward(self, x):
        return x.relu()
