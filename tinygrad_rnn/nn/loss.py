"""Losses as modules (``torch.nn.MSELoss``, ...): each holds its options and calls ``nn.functional``.

    criterion = nn.CrossEntropyLoss(ignore_index=0)
    loss = criterion(logits, targets)

``reduction`` is checked when the module is made, so a typo fails at once, not at the
first batch.
"""

from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error: ``F.mse_loss``.

    >>> import tinygrad_rnn as tg
    >>> tg.nn.MSELoss(reduction="sum")(tg.Tensor([1.0, 2.0]), tg.Tensor([0.0, 4.0]))
    tensor(5.)
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``F.l1_loss``."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class _ClassLoss(_Loss):
    def __init__(self, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.ignore_index = ignore_index


class NLLLoss(_ClassLoss):
    """Negative log-likelihood of class indices, from log-probabilities: ``F.nll_loss``."""

    def forward(self, input, target):
        return F.nll_loss(input, target, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(_ClassLoss):
    """Cross entropy of class indices, from logits: ``F.cross_entropy`` (log-softmax then NLL).

    >>> import tinygrad_rnn as tg
    >>> criterion = tg.nn.CrossEntropyLoss(ignore_index=-1)
    >>> criterion(tg.Tensor([[0.0, 0.0], [1.0, 2.0]]), [1, -1])
    tensor(0.6931472)
    """

    def __init__(self, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(ignore_index, reduction)
        F._check_unit("CrossEntropyLoss", "label_smoothing", label_smoothing)
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class BCELoss(_Loss):
    """Binary cross entropy of probabilities in [0, 1]: ``F.binary_cross_entropy``."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits (sigmoid inside, stable for any x): ``F.binary_cross_entropy_with_logits``."""

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
