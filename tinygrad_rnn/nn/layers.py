"""Linear, Embedding, LayerNorm, Dropout and the activation modules."""

import math
import numbers

import numpy as np

from .. import backend, creation, ops
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


def _parameter(*shape, dtype=np.float32, device=None):
    return Parameter(creation.zeros(*shape, dtype=dtype, device=device))


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features), initialised U(-1/√in, 1/√in)."""

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


class Embedding(Module):
    """Rows of a (num_embeddings, embedding_dim) table, picked by integer indices; initialised N(0, 1)."""

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


class LayerNorm(Module):
    """y = (x - E[x]) / √(Var[x] + ε) · γ + β over the last ``len(normalized_shape)`` axes (Ba et al., 2016).

    E and Var are the mean and the biased variance (divided by n, as torch) of each slice;
    γ (``weight``) starts at ones and β (``bias``) at zeros, both of ``normalized_shape``,
    and are left out with ``elementwise_affine=False`` (β alone with ``bias=False``).
    Written with primitive ops, so the gradient comes from theirs.

    >>> import tinygrad_rnn as tg
    >>> tg.nn.LayerNorm(2)(tg.Tensor([[1.0, 3.0], [5.0, 5.0]]))
    tensor([[-0.999995,  0.999995],
            [ 0.      ,  0.      ]], op=add)
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
    """Inverted dropout while training (p = 1 drops everything); the identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        F._check_unit("Dropout", "p", p)
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Tanh(Module):
    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    def forward(self, x):
        return x.sigmoid()


class ReLU(Module):
    def forward(self, x):
        return x.relu()
