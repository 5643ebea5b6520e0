"""Matrix products: ``matmul`` and ``addmm`` (c + x @ w in one node), and the deferred sum
that gives a weight used at every time step its gradient in a few large products."""

from .. import backend
from ..autograd import Deferred, Function, describe_shapes, sum_to
from ..backend import array_module as _xp
from .operands import operands


class MatMul(Function):
    """out = x @ w, 2-D or batched (batch axes broadcast), as ``numpy.matmul``.

    gx = gy @ wᵀ,  gw = xᵀ @ gy, each summed over the batch axes it was broadcast along.
    """

    op = "matmul"
    defer_weight_grads = True  # a 2-D weight's gradient as a SumOfProducts (False: the plain product)

    def forward(self, x, w):
        self.keep(x, w, 0)
        return backend.matmul(x, w)

    def keep(self, x, w, first):
        """Keep what the gradients wanted read: w for x's, x for w's (inputs ``first``, ``first+1``)."""
        self.in_shapes = x.shape, w.shape
        self.saved = (x if self.needs[first + 1] else None), (w if self.needs[first] else None)

    def explain(self, arrays, error):
        x, w = arrays[-2:]
        if x.ndim == 0 or w.ndim == 0:
            return f"shapes {tuple(x.shape)} and {tuple(w.shape)}: both operands need at least 1 dimension"
        k_w = w.shape[0] if w.ndim == 1 else w.shape[-2]
        if x.shape[-1] != k_w:
            return f"shapes {tuple(x.shape)} and {tuple(w.shape)} are not aligned ({x.shape[-1]} != {k_w})"
        if len(arrays) == 2:
            return f"shapes {tuple(x.shape)} and {tuple(w.shape)}: batch dimensions do not broadcast ({error})"
        return f"cannot apply to {describe_shapes(arrays)}: {error}"  # addmm's addend does not fit

    def backward(self, gy):
        return self.grads_of_product(gy, 0)

    def grads_of_product(self, gy, first):
        """(gx, gw) for out = x @ w, x and w being inputs ``first`` and ``first + 1``."""
        x, w = self.saved
        sx, sw = self.in_shapes
        need_x, need_w = self.needs[first], self.needs[first + 1]
        if len(sw) == 2 and len(sx) >= 2:
            gx = backend.matmul(gy, w.T) if need_x else None
            if not need_w:
                return gx, None
            if len(sx) > 2:
                x, gy = x.reshape(-1, sx[-1]), gy.reshape(-1, gy.shape[-1])
            return gx, (SumOfProducts(x, gy) if self.defer_weight_grads else backend.matmul(x.T, gy))
        xp = _xp(gy)
        if len(sx) == len(sw) == 1:  # a dot product of two vectors: gy is a number
            return (gy * w if need_x else None), (gy * x if need_w else None)
        sx2 = sx if len(sx) > 1 else (1,) + sx  # vectors as 1-row / 1-column matrices
        sw2 = sw if len(sw) > 1 else sw + (1,)
        if len(sx) == 1:
            gy = xp.expand_dims(gy, -2)
        if len(sw) == 1:
            gy = xp.expand_dims(gy, -1)
        gx = gw = None
        if need_x:
            gx = sum_to(backend.matmul(gy, xp.swapaxes(w.reshape(sw2), -1, -2)), sx2).reshape(sx)
        if need_w:
            gw = sum_to(backend.matmul(xp.swapaxes(x.reshape(sx2), -1, -2), gy), sw2).reshape(sw)
        return gx, gw


def matmul(x, w):
    """x @ w (also ``x.matmul(w)``): matrix products, 1-D and batched operands as ``numpy.matmul``.
    For out = x @ w, gx = gy @ wᵀ and gw = xᵀ @ gy.

    >>> import tinygrad_rnn as tg
    >>> x = tg.Tensor([[1.0, 2.0]])
    >>> w = tg.Tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]])
    >>> tg.matmul(x, w).tolist(), (x @ w).shape
    ([[1.0, 2.0, 8.0]], (1, 3))
    """
    x, w = operands("matmul", x, w)
    return MatMul()(x, w)


class AddMM(MatMul):
    """out = c + x @ w in one node, c added in place to the product (``torch.addmm``): a
    bias, or the input's share of a cell's gates, costs no extra array.  gc = gy summed to c."""

    op = "addmm"

    def forward(self, c, x, w):
        self.c_shape = c.shape
        self.keep(x, w, 1)
        out = backend.matmul(x, w)
        out += c
        return out

    def backward(self, gy):
        return (sum_to(gy, self.c_shape) if self.needs[0] else None, *self.grads_of_product(gy, 1))


def addmm(c, x, w):
    """c + x @ w as one node (c broadcasts to the product's shape, which it may not enlarge):
    a layer's ``bias + x @ weight.T`` without an extra array.

    >>> import tinygrad_rnn as tg
    >>> x, w = tg.Tensor([[1.0, 2.0]]), tg.Tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> tg.addmm(tg.Tensor([10.0, 20.0]), x, w).tolist()
    [[11.0, 22.0]]
    """
    tensor = Function.tensor_class
    if not (type(c) is type(x) is type(w) is tensor and c.data.dtype is x.data.dtype is w.data.dtype):
        x, w = operands("addmm", x, w)  # the test above skips this for three tensors of one dtype
        c, _ = operands("addmm", c, x)
    return AddMM()(c, x, w)


class SumOfProducts(Deferred):
    """A gradient Σ_k a_kᵀ b_k kept as its factors, and computed as ONE matrix product of
    the stacked factors, [a_1; a_2; ...]ᵀ [b_1; b_2; ...], once BATCH terms have arrived
    (bounding the memory the factors hold) or when the gradient is used.

    Why: a weight used at every step of a sequence (h_{t-1} W) gets one term per step, and
    T small products and T additions cost far more than a few large products.
    """

    BATCH = 32
    __slots__ = ("lefts", "rights", "total")

    def __init__(self, left, right):
        self.lefts, self.rights, self.total = [left], [right], None

    def __add__(self, other):
        if not isinstance(other, SumOfProducts):
            return self.value() + other
        # both are fresh objects owned by the backward pass: merge in place
        if other.total is not None:
            self.total = other.total if self.total is None else self.total + other.total
        self.lefts += other.lefts
        self.rights += other.rights
        if len(self.lefts) >= self.BATCH:
            self.total = self.value()
            self.lefts, self.rights = [], []
        return self

    __radd__ = __add__

    def value(self):
        if not self.lefts:
            return self.total
        if len(self.lefts) == 1:
            product = backend.matmul(self.lefts[0].T, self.rights[0])
        else:
            xp = _xp(self.lefts[0])
            product = backend.matmul(xp.concatenate(self.lefts).T, xp.concatenate(self.rights))
        return product if self.total is None else product + self.total
