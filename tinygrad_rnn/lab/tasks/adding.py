"""The adding problem, in its modern form and in the form of Hochreiter & Schmidhuber (1997)."""

import numpy as np

from ...nn import functional as F
from .base import Task, check_positive


class AddingProblem(Task):
    """The adding problem: two input channels, a value and a marker; after the last step
    the network must output (a function of) the sum of the two marked values. MSE loss,
    output_size 1, ``target="last"``.

    ``form="modern"`` (Le, Jaitly & Hinton 2015; Arjovsky, Shah & Bengio 2016): values
    U[0, 1]; the marker channel is 0 except for exactly one 1 in the first half of the
    sequence (a position uniform in [0, T//2)) and one in the second half (uniform in
    [T//2, T)); the target is the sum X1 + X2 of the two marked values.
    ``baseline = 1/6``: always predicting 1 = E[X1 + X2] gives MSE Var(X1 + X2) = 2 · 1/12.

    ``form="hochreiter"`` (Hochreiter & Schmidhuber 1997, experiment 4): values U[-1, 1];
    the first marked position is uniform among the first 10 steps, the second uniform among
    the first T/2 - 1 steps (positions [0, T//2 - 1), 0-based) other than the first; marker
    1.0 at both, -1.0 at the first and the last step when they are not marked, 0 elsewhere.
    Following the paper, when the first step is marked its value is set to 0. The target is
    0.5 + (X1 + X2) / 4 (the sum scaled into [0, 1]). ``success_threshold = 0.04``: a
    sequence counts as processed correctly when the absolute error is below it (the paper's
    criterion); ``metrics`` reports the fraction as ``"fraction_within_0.04"`` (for both
    forms, although the criterion belongs to the 1997 paper).
    ``baseline``: the MSE of always predicting the mean 0.5, i.e. the target's variance,
    (Var X1 + Var X2) / 16 with Var U[-1, 1] = 1/3. Without the zeroing this is 1/24; with
    it, a value is 0 with probability P0 = 1/10 + (9/10) / (T//2 - 2) (the first or the
    second marked position is step 0), so ``baseline = (2 - P0) / 48`` exactly (0.03919 for
    T = 100 rather than 1/24 = 0.04167).

    ``variable_length=True``: as in the 1997 paper, each sequence's length is uniform in
    [T, T + T//10], the batch is zero-padded to the longest and ``lengths`` is set (the
    output must then be taken at each sequence's own last step, see ``Batch.last_step``).
    In the modern form the halves are those of each sequence's own length; in the 1997
    form the marker windows are those of the minimal length T, as in the paper.
    """

    input_size = 2
    output_size = 1
    target = "last"
    loss_name = "mse"
    success_threshold = 0.04
    goals = {"loss": "min", "loss_over_baseline": "min", f"fraction_within_{success_threshold}": "max"}
    FORMS = ("modern", "hochreiter")

    def __init__(self, length=100, form="modern", seed=0, variable_length=False):
        super().__init__(seed)
        if form not in self.FORMS:
            raise ValueError(f"AddingProblem: form must be 'modern' or 'hochreiter', got {form!r}")
        least = 24 if form == "hochreiter" else 2
        self.length = check_positive("AddingProblem", "length", length, least)
        self.form = form
        self.variable_length = bool(variable_length)
        if form == "modern":
            self.name = "adding"
            self.baseline = 1 / 6
        else:
            self.name = "adding-1997"
            p_zero = 1 / 10 + (9 / 10) / (self.length // 2 - 2)
            self.baseline = (2 - p_zero) / 48

    def _options(self):
        return f"length={self.length}, form={self.form!r}, seed={self.seed!r}, variable_length={self.variable_length}"

    def _lengths(self, batch_size, rng):
        if not self.variable_length:
            return np.full(batch_size, self.length, dtype=np.int64)
        return rng.integers(self.length, self.length + self.length // 10 + 1, size=batch_size)

    def _generate(self, batch_size, rng):
        lengths = self._lengths(batch_size, rng)
        steps = int(lengths.max())
        cols = np.arange(batch_size)
        valid = np.arange(steps)[:, None] < lengths[None, :]
        x = np.zeros((steps, batch_size, 2), dtype=np.float32)
        if self.form == "modern":
            values = rng.random((steps, batch_size), dtype=np.float32)
            half = lengths // 2
            first = rng.integers(0, half)
            second = rng.integers(half, lengths)
            x[:, :, 0] = np.where(valid, values, 0)
            x[first, cols, 1] = 1
            x[second, cols, 1] = 1
            y = x[first, cols, 0] + x[second, cols, 0]
        else:
            values = rng.uniform(-1, 1, (steps, batch_size)).astype(np.float32)
            first = rng.integers(0, 10, size=batch_size)
            r = rng.integers(0, self.length // 2 - 2, size=batch_size)  # among T//2 - 1 positions, less the first
            second = r + (r >= first)
            x[:, :, 0] = np.where(valid, values, 0)
            x[0, :, 1] = -1
            x[lengths - 1, cols, 1] = -1
            x[first, cols, 1] = 1
            x[second, cols, 1] = 1
            x[0, (first == 0) | (second == 0), 0] = 0  # "the first pair marked: X1 set to zero"
            y = 0.5 + (x[first, cols, 0] + x[second, cols, 0]) / 4.0
        lengths_out = lengths if self.variable_length else None
        return x, y.astype(np.float32).reshape(batch_size, 1), lengths_out, None

    def loss(self, output, batch):
        """MSE between ``output`` (B, 1) and the targets (B, 1)."""
        self._check_output(output, batch)
        return F.mse_loss(output, batch.y)

    def metrics(self, output, batch):
        """``loss`` (MSE), ``loss_over_baseline`` and ``fraction_within_0.04`` (|error| < 0.04)."""
        self._check_output(output, batch)
        loss = self._loss_value(output, batch)
        error = np.abs(output.numpy().astype(np.float64) - batch.y.numpy())[:, 0]
        return {
            "loss": loss,
            "loss_over_baseline": loss / self.baseline,
            f"fraction_within_{self.success_threshold}": float(np.mean(error < self.success_threshold)),
        }
