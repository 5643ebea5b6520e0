"""Losses as modules (``torch.nn.MSELoss``, ...): each holds its options and calls ``nn.functional``.

    criterion = nn.CrossEntropyLoss(ignore_index=0)
    loss = criterion(logits, targets)

``reduction`` is checked when the module is made, so a typo fails at once, not at the
first batch.
"""

from . import functional as F
from ._docstrings import shared_docstring
from .module import Module

# What the losses' docstrings share (see _docstrings.py).
_LOSS = shared_docstring(
    reduction="""\
reduction: how the losses of the elements are combined: "mean" averages them, "sum" adds
    them up, "none" returns them. Default: "mean".""",
    ignore_index="""\
ignore_index: a target value that adds nothing to the loss and is not counted by "mean"
    (padding). Default: -100.""",
    class_weight="""\
weight: one number per class (a tensor of the input's dtype on its device, an array or a
    list), each class's loss scaled by it, "mean" dividing by the weights of the targets
    (for unbalanced classes); the first positional argument, as torch's. Default: None,
    all 1. A constant: ``.to()`` does not move it.""",
    element_weight="""\
weight: numbers that broadcast to the input's shape, each element's loss scaled by its
    own; the first positional argument, as torch's. Default: None, all 1. A constant:
    ``.to()`` does not move it.""",
    pointwise_shapes="""\
Shape:
    - input: any shape, floating point.
    - target: the input's shape (a tensor, or numbers and arrays, which take the input's dtype).
    - output: a 0-d tensor, or the input's shape with ``reduction="none"``.""",
    class_shapes="""\
Shape:
    - input: (N, C) scores of C classes; or (N, C, d₁, ...), e.g. (batch, classes, time); or (C,).
    - target: class indices in [0, C) or ``ignore_index``: (N,), (N, d₁, ...), or 0-d.
    - output: a 0-d tensor, or the target's shape with ``reduction="none"``.""",
)


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


@_LOSS
class MSELoss(_Loss):
    """Mean squared error, ℓᵢ = (xᵢ - yᵢ)², as ``torch.nn.MSELoss`` (``F.mse_loss``).

    Args:
        {reduction}

    {pointwise_shapes}

    >>> import tinygrad_rnn as tg
    >>> tg.nn.MSELoss(reduction="sum")(tg.Tensor([1.0, 2.0]), tg.Tensor([0.0, 4.0])).item()
    5.0
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


@_LOSS
class L1Loss(_Loss):
    """Mean absolute error, ℓᵢ = |xᵢ - yᵢ|, as ``torch.nn.L1Loss`` (``F.l1_loss``).

    Args:
        {reduction}

    {pointwise_shapes}

    >>> import tinygrad_rnn as tg
    >>> tg.nn.L1Loss()(tg.Tensor([1.0, 2.0]), [0.0, 4.0]).item()
    1.5
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class _WeightedLoss(_Loss):
    """A loss with torch's optional first argument ``weight``; the options after it are
    keyword-only (torch's next positional arguments, size_average and reduce, are gone)."""

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight


class _ClassLoss(_WeightedLoss):
    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction=reduction)
        self.ignore_index = ignore_index


@_LOSS
class NLLLoss(_ClassLoss):
    """Negative log-likelihood of class indices from log-probabilities, ℓₙ = -xₙ[tₙ], as
    ``torch.nn.NLLLoss`` (``F.nll_loss``): after ``log_softmax``, it is the cross entropy.

    Args:
        {class_weight}
        {ignore_index}
        {reduction}

    {class_shapes}

    >>> import tinygrad_rnn as tg
    >>> logp = tg.Tensor([[-0.5, -1.0], [-2.0, -0.25]])
    >>> tg.nn.NLLLoss()(logp, [1, 0]).item(), tg.nn.NLLLoss(ignore_index=0)(logp, [1, 0]).item()
    (1.5, 1.0)
    """

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


@_LOSS
class CrossEntropyLoss(_ClassLoss):
    """Cross entropy of class indices from logits, ℓₙ = logsumexp(xₙ) - xₙ[tₙ], as
    ``torch.nn.CrossEntropyLoss`` (``F.cross_entropy``: log-softmax, then NLL); finite for any logits.

    Args:
        {class_weight}
        {ignore_index}
        {reduction}
        label_smoothing: ε in [0, 1]: the target becomes (1 - ε)·onehot(tₙ) + ε/C. Default: 0.

    {class_shapes}

    >>> import tinygrad_rnn as tg
    >>> criterion = tg.nn.CrossEntropyLoss(ignore_index=-1)
    >>> round(criterion(tg.Tensor([[0.0, 0.0], [1.0, 2.0]]), [1, -1]).item(), 4)     # log 2
    0.6931
    >>> logits = tg.zeros(4, 10, 7)                              # (batch, classes, time)
    >>> criterion(logits, tg.zeros(4, 7, dtype="int64")).shape
    ()
    """

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, ignore_index=ignore_index, reduction=reduction)
        F._check_unit("CrossEntropyLoss", "label_smoothing", label_smoothing)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


@_LOSS
class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities x in [0, 1], ℓ = -[y log x + (1 - y) log(1 - x)]
    (each log clamped at -100), as ``torch.nn.BCELoss`` (``F.binary_cross_entropy``).

    Args:
        {element_weight}
        {reduction}

    {pointwise_shapes}

    >>> import tinygrad_rnn as tg
    >>> round(tg.nn.BCELoss()(tg.Tensor([0.5, 0.5]), [1.0, 0.0]).item(), 4)      # log 2
    0.6931
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


@_LOSS
class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of logits, ℓ = -[y log σ(x) + (1 - y) log(1 - σ(x))], the sigmoid
    inside and stable for any x, as ``torch.nn.BCEWithLogitsLoss``
    (``F.binary_cross_entropy_with_logits``).

    Args:
        {element_weight}
        {reduction}
        pos_weight: p, broadcast to the input (one number per class of (N, C), say): the loss
            becomes -[p·y log σ(x) + (1 - y) log(1 - σ(x))], p > 1 favouring recall. A
            constant, as ``weight``. Default: None (1).

    {pointwise_shapes}

    >>> import tinygrad_rnn as tg
    >>> tg.nn.BCEWithLogitsLoss(reduction="none")(tg.Tensor([100.0, -100.0]), [1.0, 0.0]).tolist()
    [0.0, 0.0]
    """

    def __init__(self, weight=None, *, reduction="mean", pos_weight=None):
        super().__init__(weight, reduction=reduction)
        self.pos_weight = pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )
