"""The copy memory problem (Arjovsky, Shah & Bengio 2016)."""

import math

import numpy as np

from ...nn import functional as F
from .base import Task, check_positive, one_hot


class CopyTask(Task):
    """The copy memory problem (Arjovsky, Shah & Bengio 2016).

    Symbols: 0 is the blank, 1..n_symbols the data, n_symbols + 1 the delimiter. Each input
    sequence is ``n_copy`` data symbols drawn uniformly with replacement, then
    ``length - 1`` blanks, then the delimiter, then ``n_copy`` blanks: ``length + 2 n_copy``
    steps in all, as the paper's T + 20 for n_copy = 10 (its T counts the blanks and the
    delimiter: "the next T - 1 entries are a_8 ... the next single entry is a_9"). Inputs are
    one-hot over n_symbols + 2 symbols. The target is the blank at every step except the
    last ``n_copy``, where it is the data symbols, in order: int64 (T, B) class indices over
    ``output_size = n_symbols + 1`` classes (the delimiter is never a target).

    Loss: cross-entropy averaged over all T·B steps. Metric: ``accuracy`` on the ``n_copy``
    output steps (argmax equals the symbol).
    ``baseline = n_copy · ln(n_symbols) / (length + 2 n_copy)``: the memoryless strategy
    predicts the blank with certainty until the delimiter has passed (loss 0) and a uniform
    distribution over the n_symbols data symbols on the n_copy output steps (loss
    ln n_symbols each), averaged over all steps.
    """

    name = "copy"
    target = "every"
    loss_name = "cross_entropy"
    goals = {"loss": "min", "accuracy": "max"}

    def __init__(self, length=100, n_symbols=8, n_copy=10, seed=0):
        super().__init__(seed)
        self.length = check_positive("CopyTask", "length", length)
        self.n_symbols = check_positive("CopyTask", "n_symbols", n_symbols)
        self.n_copy = check_positive("CopyTask", "n_copy", n_copy)
        self.blank, self.delimiter = 0, self.n_symbols + 1
        self.input_size = self.n_symbols + 2
        self.output_size = self.n_symbols + 1
        self.steps = self.length + 2 * self.n_copy
        self.baseline = self.n_copy * math.log(self.n_symbols) / self.steps

    def _options(self):
        return f"length={self.length}, n_symbols={self.n_symbols}, n_copy={self.n_copy}, seed={self.seed!r}"

    def _generate(self, batch_size, rng):
        n = self.n_copy
        data = rng.integers(1, self.n_symbols + 1, size=(n, batch_size))
        inputs = np.zeros((self.steps, batch_size), dtype=np.int64)
        inputs[:n] = data
        inputs[n + self.length - 1] = self.delimiter
        targets = np.zeros((self.steps, batch_size), dtype=np.int64)
        targets[-n:] = data
        return one_hot(inputs, self.input_size), targets, None, None

    def loss(self, output, batch):
        """Cross-entropy of the (T, B, n_symbols + 1) logits, averaged over all T·B steps."""
        self._check_output(output, batch)
        steps, batch_size, classes = output.shape
        return F.cross_entropy(output.reshape(steps * batch_size, classes), batch.y.reshape(steps * batch_size))

    def metrics(self, output, batch):
        """``loss`` and ``accuracy`` over the n_copy output steps."""
        self._check_output(output, batch)
        loss = self._loss_value(output, batch)
        n = self.n_copy
        predicted = output.numpy()[-n:].argmax(axis=2)
        return {"loss": loss, "accuracy": float(np.mean(predicted == batch.y.numpy()[-n:]))}
