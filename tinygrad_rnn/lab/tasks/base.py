"""What every task shares: the Batch it hands out and the Task interface."""

from dataclasses import dataclass

import numpy as np

from ...autograd import no_grad
from ...backend import get_device
from ...nn.rnn import last_steps
from ...tensor import Tensor

_TEST_SPAWN_KEY = (0x7E57,)  # test sets: a SeedSequence branch that training generators never use


@dataclass
class Batch:
    """One batch of a task, time-major.

    ``x``: float32 (T, B, input_size). ``y``: float32 (B, output_size) for regression after
    the last step; int64 (B,) class indices for classification after the last step; float32
    (T, B, output_size) multi-hot targets at every step; int64 (T, B) class indices at every
    step. ``lengths``: None, or the B sequence lengths of a variable-length batch (the steps
    past a sequence's length are padding, with zero inputs). ``mask``: None, or float32
    (T, B), 1 on the steps whose targets count for the loss.
    """

    x: Tensor
    y: Tensor
    lengths: list | None = None
    mask: Tensor | None = None

    @property
    def steps(self):
        """T, the number of time steps (padding included)."""
        return self.x.shape[0]

    @property
    def batch_size(self):
        return self.x.shape[1]

    def last_step(self, output):
        """``output`` (T, B, C) at each sequence's last real step: (B, C), differentiably.

        With ``lengths`` None that is ``output[-1]``; otherwise ``output[lengths[b] - 1, b]``.
        (A recurrent layer given ``lengths`` also returns the state after each sequence's own
        last step as its final state.)
        """
        if output.ndim != 3 or output.shape[:2] != self.x.shape[:2]:
            raise ValueError(
                f"last_step: expected output (T, B, C) = {tuple(self.x.shape[:2])} + (C,), got {tuple(output.shape)}"
            )
        return last_steps(output, self.lengths)


def one_hot(indices, size):
    """float32 one-hot rows for an integer array of any shape."""
    return np.eye(size, dtype=np.float32)[indices]


def check_positive(owner, name, value, least=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{owner}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


class Task:
    """The common interface of the tasks (see the module docstring).

    Subclasses set the class or instance attributes ``name``, ``input_size``, ``output_size``,
    ``target``, ``baseline``, ``loss_name`` and ``goals`` (each metric that ``metrics``
    reports, and whether a lower, "min", or a higher, "max", value is better), and write
    ``_generate(batch_size, rng)``, which returns ``(x, y, lengths, mask)`` as NumPy arrays
    (``lengths``/``mask`` may be None), plus ``loss`` and ``metrics``.
    """

    name = "task"
    input_size = None
    output_size = None
    target = None
    baseline = None
    loss_name = None
    goals = {"loss": "min"}

    @classmethod
    def higher_is_better(cls, metric):
        """True when a larger value of ``metric`` is better (as ``goals`` says); KeyError for a
        metric the task does not report."""
        if metric not in cls.goals:
            raise KeyError(f"{cls.__name__} reports no metric {metric!r}; it has {sorted(cls.goals)}")
        return cls.goals[metric] == "max"

    def __init__(self, seed=0):
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def __repr__(self):
        return f"{type(self).__name__}({self._options()})"

    def _options(self):
        return f"seed={self.seed!r}"

    # -- drawing batches -------------------------------------------------------------
    def batch(self, batch_size, rng=None, device=None):
        """A new batch of ``batch_size`` sequences drawn from ``rng`` (a numpy Generator;
        None: the task's own generator, seeded at construction), on ``device``."""
        batch_size = check_positive(type(self).__name__ + ".batch", "batch_size", batch_size)
        if rng is None:
            rng = self.rng
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"{type(self).__name__}.batch: rng must be a numpy Generator, got {type(rng).__name__}")
        x, y, lengths, mask = self._generate(batch_size, rng)
        dev = get_device(device)
        return Batch(
            x=Tensor(x.astype(np.float32, copy=False), device=dev),
            y=Tensor(y, device=dev),
            lengths=None if lengths is None else [int(n) for n in lengths],
            mask=None if mask is None else Tensor(mask.astype(np.float32, copy=False), device=dev),
        )

    def test_set(self, size, seed=12345, device=None):
        """A fixed held-out batch of ``size`` sequences: the same for the same ``seed``, and
        drawn from a generator of its own (``SeedSequence(seed, spawn_key=(0x7E57,))``), so it
        neither consumes nor repeats the task's training batches."""
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=_TEST_SPAWN_KEY))
        return self.batch(size, rng=rng, device=device)

    def _generate(self, batch_size, rng):
        raise NotImplementedError

    # -- scoring ---------------------------------------------------------------------
    def _expected_output_shape(self, batch):
        if self.target == "last":
            return (batch.batch_size, self.output_size)
        return (batch.steps, batch.batch_size, self.output_size)

    def _check_output(self, output, batch):
        if not isinstance(output, Tensor):
            raise TypeError(f"{type(self).__name__}: output must be a Tensor, got {type(output).__name__}")
        want = self._expected_output_shape(batch)
        if tuple(output.shape) != want:
            what = "(B, output_size)" if self.target == "last" else "(T, B, output_size)"
            raise ValueError(
                f"{type(self).__name__}: output shape {tuple(output.shape)} does not match the batch: "
                f"target={self.target!r} expects {what} = {want}"
            )

    def loss(self, output, batch):
        """The training loss: a scalar Tensor built with tinygrad_rnn ops (it backpropagates)."""
        raise NotImplementedError

    def metrics(self, output, batch):
        """A dict of plain floats, computed without gradient: ``loss`` and a success measure."""
        raise NotImplementedError

    def _loss_value(self, output, batch):
        with no_grad():
            return float(self.loss(output.detach(), batch).item())
