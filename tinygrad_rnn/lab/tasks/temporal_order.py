"""The temporal order problem (Hochreiter & Schmidhuber 1997, experiment 6a)."""

import math

import numpy as np

from ...nn import functional as F
from .base import Task, check_positive, one_hot


class TemporalOrder(Task):
    """The temporal order problem, Hochreiter & Schmidhuber (1997), experiment 6a.

    Eight symbols, one-hot inputs in the order ``SYMBOLS = "EBabcdXY"``: each sequence
    starts with E, ends with the trigger B, and is otherwise made of distractors drawn
    uniformly from {a, b, c, d}, except for two steps t1 and t2 holding X or Y (each with
    probability 1/2). For length 100 (0-based positions) t1 is uniform in [10, 20] and t2
    in [50, 60]; other lengths scale the windows: t1 in [round(0.1 T), round(0.2 T)], t2 in
    [round(0.5 T), round(0.6 T)] (``t1_range``, ``t2_range``, inclusive). The class to
    output after the trigger is XX → 0, XY → 1, YX → 2, YY → 3 (the paper's Q, R, S, U).
    Cross-entropy on the (B, 4) logits; ``metrics`` reports ``accuracy``.
    ``baseline = ln 4``: the classes are equally likely, so a uniform prediction is best
    without memory.

    ``variable_length=True``: the paper's lengths, uniform in [T, T + T//10] (100 to 110),
    zero-padded, ``lengths`` set; the windows stay those of T and the trigger B is at each
    sequence's own last step.
    """

    SYMBOLS = "EBabcdXY"
    name = "temporal-order"
    input_size = 8
    output_size = 4
    target = "last"
    loss_name = "cross_entropy"
    goals = {"loss": "min", "accuracy": "max"}
    baseline = math.log(4)

    def __init__(self, length=100, seed=0, variable_length=False):
        super().__init__(seed)
        self.length = check_positive("TemporalOrder", "length", length, 10)
        self.variable_length = bool(variable_length)
        t = self.length
        self.t1_range = (max(1, round(0.1 * t)), round(0.2 * t))
        self.t2_range = (max(self.t1_range[1] + 1, round(0.5 * t)), round(0.6 * t))
        if self.t2_range[1] >= t - 1 or self.t2_range[0] > self.t2_range[1]:
            raise ValueError(f"TemporalOrder: length {t} is too short for the t1 and t2 windows")

    def _options(self):
        return f"length={self.length}, seed={self.seed!r}, variable_length={self.variable_length}"

    def _generate(self, batch_size, rng):
        t = self.length
        lengths = (
            rng.integers(t, t + t // 10 + 1, size=batch_size)
            if self.variable_length
            else np.full(batch_size, t, dtype=np.int64)
        )
        steps = int(lengths.max())
        cols = np.arange(batch_size)
        symbols = rng.integers(2, 6, size=(steps, batch_size))  # a, b, c, d
        t1 = rng.integers(self.t1_range[0], self.t1_range[1] + 1, size=batch_size)
        t2 = rng.integers(self.t2_range[0], self.t2_range[1] + 1, size=batch_size)
        first = rng.integers(0, 2, size=batch_size)  # 0: X, 1: Y
        second = rng.integers(0, 2, size=batch_size)
        symbols[0] = 0  # E
        symbols[t1, cols] = 6 + first
        symbols[t2, cols] = 6 + second
        symbols[lengths - 1, cols] = 1  # B, the trigger
        x = one_hot(symbols, 8)
        x[np.arange(steps)[:, None] >= lengths[None, :]] = 0
        y = (2 * first + second).astype(np.int64)
        return x, y, (lengths if self.variable_length else None), None

    def loss(self, output, batch):
        """Cross-entropy of the (B, 4) logits against the classes (B,)."""
        self._check_output(output, batch)
        return F.cross_entropy(output, batch.y)

    def metrics(self, output, batch):
        """``loss`` and ``accuracy`` (argmax of the logits equals the class)."""
        self._check_output(output, batch)
        loss = self._loss_value(output, batch)
        accuracy = float(np.mean(output.numpy().argmax(axis=1) == batch.y.numpy()))
        return {"loss": loss, "accuracy": accuracy}
