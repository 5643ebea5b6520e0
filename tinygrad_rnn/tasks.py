"""Synthetic sequence tasks for recurrent networks: seeded, deterministic, time-major.

Every task draws its sequences with NumPy on the host, from a ``numpy.random.Generator``,
and hands them over as a :class:`Batch` of tensors on the device asked for:

    task = AddingProblem(length=100, seed=0)
    batch = task.batch(32, device="cuda")       # x (T, B, input_size), y (B, output_size)
    loss = task.loss(model_output, batch)        # a scalar Tensor: loss.backward() works
    task.metrics(model_output, batch)            # {"loss": ..., "fraction_within_0.04": ...}

Tasks (``TASKS`` maps names to constructors, ``make_task(name, **options)`` builds one):

``"adding"``, ``"adding-1997"``  :class:`AddingProblem`
    Le, Jaitly & Hinton (2015) and Arjovsky, Shah & Bengio (2016) (the "modern" form), or
    Hochreiter & Schmidhuber (1997), experiment 4.
``"temporal-order"``  :class:`TemporalOrder`
    Hochreiter & Schmidhuber (1997), experiment 6a.
``"reber"``  :class:`EmbeddedReber`
    The embedded Reber grammar (Reber 1967; Cleeremans, Servan-Schreiber & McClelland 1989;
    Fahlman 1991; Hochreiter & Schmidhuber 1997, experiment 1): next-symbol prediction.
``"continual-reber"``  :class:`ContinualReber`
    Embedded Reber strings in one unsegmented stream (Gers, Schmidhuber & Cummins 2000).
``"copy"``  :class:`CopyTask`
    The copy memory problem of Arjovsky, Shah & Bengio (2016).

Every task has ``name``, ``input_size``, ``output_size``, ``target`` ("last": one target per
sequence, after its last step; "every": a target at every step), ``loss_name`` and
``baseline``: the loss of the trivial predictor named in the task's docstring, so that a
model's loss can be read against it.

A task's training batches come from its own generator, seeded by ``seed=`` at construction:
two tasks built with the same seed hand out the same sequence of batches. ``test_set(size,
seed=12345)`` draws from a generator of its own, seeded from ``seed`` through a different
``SeedSequence`` spawn key, so it never repeats the training stream, even for equal seeds.
"""

import math
import re
from dataclasses import dataclass

import numpy as np

from .autograd import no_grad
from .backend import get_device
from .nn import functional as F
from .nn.rnn import last_steps
from .tensor import Tensor

__all__ = [
    "Batch",
    "Task",
    "AddingProblem",
    "TemporalOrder",
    "EmbeddedReber",
    "ContinualReber",
    "CopyTask",
    "TASKS",
    "make_task",
    "reber_string",
    "embedded_reber_string",
    "allowed_next",
    "is_reber",
    "is_embedded_reber",
    "REBER_SYMBOLS",
]

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


def _one_hot(indices, size):
    """float32 one-hot rows for an integer array of any shape."""
    return np.eye(size, dtype=np.float32)[indices]


def _check_positive(owner, name, value, least=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{owner}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


class Task:
    """The common interface of the tasks (see the module docstring).

    Subclasses set the class or instance attributes ``name``, ``input_size``, ``output_size``,
    ``target``, ``baseline``, ``loss_name`` and write ``_generate(batch_size, rng)``, which
    returns ``(x, y, lengths, mask)`` as NumPy arrays (``lengths``/``mask`` may be None),
    plus ``loss`` and ``metrics``.
    """

    name = "task"
    input_size = None
    output_size = None
    target = None
    baseline = None
    loss_name = None

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
        batch_size = _check_positive(type(self).__name__ + ".batch", "batch_size", batch_size)
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


# ======================================================================================
# Adding problem
# ======================================================================================


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
    FORMS = ("modern", "hochreiter")

    def __init__(self, length=100, form="modern", seed=0, variable_length=False):
        super().__init__(seed)
        if form not in self.FORMS:
            raise ValueError(f"AddingProblem: form must be 'modern' or 'hochreiter', got {form!r}")
        least = 24 if form == "hochreiter" else 2
        self.length = _check_positive("AddingProblem", "length", length, least)
        self.form = form
        self.variable_length = bool(variable_length)
        self.success_threshold = 0.04
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


# ======================================================================================
# Temporal order
# ======================================================================================


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
    baseline = math.log(4)

    def __init__(self, length=100, seed=0, variable_length=False):
        super().__init__(seed)
        self.length = _check_positive("TemporalOrder", "length", length, 10)
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
        x = _one_hot(symbols, 8)
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


# ======================================================================================
# Reber grammar
# ======================================================================================

REBER_SYMBOLS = "BTPSXVE"
_SYMBOL_INDEX = {c: i for i, c in enumerate(REBER_SYMBOLS)}

# The Reber (1967) grammar as a transition table: state -> ((symbol, next state), ...).
# The string starts with B in state 0; each state's edges are taken with equal probability;
# E leads out of the graph (None). In words: 0 -T-> 1, 0 -P-> 2; state 1 loops on S and
# leaves with X to 3; state 2 loops on T and leaves with V to 4; 3 -X-> 2, 3 -S-> 5;
# 4 -P-> 3, 4 -V-> 5; 5 -E-> end.
_REBER_EDGES = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
    5: (("E", None),),
}


def reber_string(rng):
    """A string of the Reber grammar (e.g. "BTSSXXTVVE"), each branch taken with probability 1/2."""
    out = ["B"]
    state = 0
    while state is not None:
        edges = _REBER_EDGES[state]
        symbol, state = edges[0] if len(edges) == 1 or rng.random() < 0.5 else edges[1]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng):
    """A string of the embedded Reber grammar: B, T or P, a Reber string, the same T or P, E
    (e.g. "BTBTXSETE"). The symbol that closes it depends on the second one, across the
    whole inner string: the long time lag of the task."""
    branch = "T" if rng.random() < 0.5 else "P"
    return "B" + branch + reber_string(rng) + branch + "E"


def _reber_allowed(string):
    """The allowed-next sets after each symbol of a Reber string (empty after its E), by
    walking the transition table; ValueError at the first symbol the grammar forbids."""
    if not string.startswith("B"):
        raise ValueError(f"not a Reber string (it must start with B): {string!r}")
    state = 0
    sets = []
    for k, symbol in enumerate(string[1:], start=1):
        edges = dict(_REBER_EDGES[state]) if state is not None else {}
        sets.append(frozenset(edges))
        if symbol not in edges:
            raise ValueError(f"not a Reber string: {symbol!r} at position {k} of {string!r}")
        state = edges[symbol]
    if state is not None:
        raise ValueError(f"not a Reber string: {string!r} ends before E")
    sets.append(frozenset())
    return sets


def allowed_next(string, continual=False):
    """For each position i of a (plain or embedded) Reber string, the frozenset of symbols
    the grammar allows at position i + 1, i.e. the targets of next-symbol prediction.

    Embedded strings (B, T|P, Reber string, the same T|P, E) are recognised by the B at
    position 2. After the inner Reber string's E only the symbol matching the second one
    is allowed, after that only E. After the final E the set is empty, or {B} with
    ``continual=True`` (in a stream, the next string starts). Raises ValueError for a
    string that the grammar does not generate.
    """
    if len(string) >= 3 and string[2] == "B":  # embedded
        branch = string[1]
        if string[0] != "B" or branch not in "TP" or string[-2:] != branch + "E":
            raise ValueError(f"not an embedded Reber string: {string!r}")
        inner = _reber_allowed(string[2:-2])
        sets = [frozenset("TP"), frozenset("B")] + inner[:-1] + [frozenset(branch), frozenset("E"), frozenset()]
    else:
        sets = _reber_allowed(string)
    if continual:
        sets[-1] = frozenset("B")
    return sets


# An independent recogniser: a regular expression derived by hand from the grammar
# (not from the table above). Write L4 for the strings that can follow the first X of
# the T branch, which is also where the P branch arrives after "P T* V P":
#   L4 = (X T* V P)* (X T* V V | S) E
# (X leads back into the T-loop, T* V, then P returns to L4 and V ends with E; S ends at
# once). The T branch is T S* X L4; the P branch is P T* V, then V E or P L4. Hence:
_REBER_RE = r"B(?:(?:TS*X|PT*VP)(?:XT*VP)*(?:XT*VV|S)|PT*VV)E"
_REBER = re.compile(_REBER_RE)
_EMBEDDED_REBER = re.compile(r"B([TP])" + _REBER_RE + r"\1E")


def is_reber(string):
    """True when ``string`` belongs to the Reber grammar (checked with a regular expression)."""
    return _REBER.fullmatch(string) is not None


def is_embedded_reber(string):
    """True when ``string`` belongs to the embedded Reber grammar: B, then T or P, then a
    Reber string, then the same letter, then E (a regular expression with a back-reference)."""
    return _EMBEDDED_REBER.fullmatch(string) is not None


_ROW_CACHE = {}


def _multi_hot(allowed):
    row = _ROW_CACHE.get(allowed)
    if row is None:
        row = np.zeros(len(REBER_SYMBOLS), dtype=np.float32)
        row[[_SYMBOL_INDEX[c] for c in allowed]] = 1
        _ROW_CACHE[allowed] = row
    return row


def _mean_binary_entropy(p):
    """Mean over symbols of -(p log p + (1 - p) log(1 - p)), with 0 log 0 = 0."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log(p), 0) + np.where(p < 1, (1 - p) * np.log1p(-p), 0))
    return float(h.mean())


_BASELINE_SAMPLES = 20000
_BASELINE_SEED = 20000607
_MARGINALS = {}


class _ReberTask(Task):
    """What the two Reber tasks share: 7 symbols one-hot in, 7 logits out at every step,
    multi-hot targets (the allowed next symbols), binary cross-entropy with logits."""

    input_size = 7
    output_size = 7
    target = "every"
    loss_name = "binary_cross_entropy_with_logits"

    def _marginal_key(self):
        raise NotImplementedError

    def _sample_targets(self, rng):
        """The target sets of the steps of one random sample unit (for the baseline)."""
        raise NotImplementedError

    @property
    def marginal(self):
        """The frequency, over all real steps, with which each symbol is allowed next:
        estimated once per configuration on 20,000 strings from a fixed seed."""
        key = self._marginal_key()
        if key not in _MARGINALS:
            rng = np.random.default_rng(_BASELINE_SEED)
            counts = {}
            for _ in range(_BASELINE_SAMPLES):
                for allowed in self._sample_targets(rng):
                    counts[allowed] = counts.get(allowed, 0) + 1
            total = sum(n * _multi_hot(allowed).astype(np.float64) for allowed, n in counts.items())
            _MARGINALS[key] = total / sum(counts.values())
        return _MARGINALS[key].copy()

    @property
    def baseline(self):
        """The loss of predicting, at every step, each symbol's marginal frequency p_k of
        being allowed (constant logits log(p_k / (1 - p_k))): the per-element binary
        cross-entropy (1/7) Σ_k H(p_k), H the binary entropy, with p_k = ``marginal``
        estimated on 20,000 strings from a fixed seed (standard error about 1e-3)."""
        return _mean_binary_entropy(self.marginal)

    def _strings_to_arrays(self, pieces, steps):
        """Pieces (symbol-index lists and target rows per sequence) as padded (T, B, 7) arrays."""
        batch_size = len(pieces)
        x = np.zeros((steps, batch_size, 7), dtype=np.float32)
        y = np.zeros((steps, batch_size, 7), dtype=np.float32)
        for b, (symbols, rows) in enumerate(pieces):
            n = len(symbols)
            x[np.arange(n), b, symbols] = 1
            y[:n, b] = rows
        return x, y

    def loss(self, output, batch):
        """Binary cross-entropy with logits per symbol and step, averaged over the real steps
        (``mask``) and the 7 symbols: Σ mask·ℓ / (7 Σ mask)."""
        self._check_output(output, batch)
        if batch.mask is None:
            return F.binary_cross_entropy_with_logits(output, batch.y)
        per = F.binary_cross_entropy_with_logits(output, batch.y, reduction="none")
        steps = float(batch.mask.numpy().sum())
        weights = batch.mask.reshape(batch.steps, batch.batch_size, 1)
        return (per * weights).sum() / (steps * self.output_size)

    def _correct(self, output, batch):
        """(T, B) booleans: the thresholded prediction (logit > 0) equals the target set."""
        predicted = output.numpy() > 0
        return (predicted == (batch.y.numpy() > 0.5)).all(axis=2)


class EmbeddedReber(_ReberTask):
    """Next-symbol prediction on the embedded Reber grammar (Cleeremans, Servan-Schreiber
    & McClelland 1989; Fahlman 1991; Hochreiter & Schmidhuber 1997, experiment 1).

    Each sequence is one string from ``embedded_reber_string``; its symbols but the last
    are the inputs (one-hot over ``REBER_SYMBOLS = "BTPSXVE"``), and the target at step t
    is the multi-hot set of symbols the grammar allows at position t + 1 (``allowed_next``),
    so T = len(string) - 1 steps, the last target being {E}. Strings differ in length: the
    batch is padded with zero inputs and targets to its longest string (or, with
    ``max_length``, to max_length - 1 steps always, strings longer than ``max_length``
    symbols being redrawn), with ``lengths`` and ``mask`` set.

    Loss: binary cross-entropy with logits, masked to the real steps. Metrics: ``loss``,
    ``symbols_correct`` (fraction of real steps whose prediction, thresholded at logit > 0,
    equals the allowed set exactly) and ``sequences_correct`` (fraction of strings with every
    step correct: the paper's criterion). Baseline: see ``baseline``.
    """

    name = "reber"

    def __init__(self, seed=0, max_length=None):
        super().__init__(seed)
        if max_length is not None:
            max_length = _check_positive("EmbeddedReber", "max_length", max_length, 9)  # "BTBTXSETE"
        self.max_length = max_length

    def _options(self):
        return f"seed={self.seed!r}, max_length={self.max_length!r}"

    def _draw(self, rng):
        while True:
            s = embedded_reber_string(rng)
            if self.max_length is None or len(s) <= self.max_length:
                return s

    def _marginal_key(self):
        return ("embedded", self.max_length)

    def _sample_targets(self, rng):
        return allowed_next(self._draw(rng))[:-1]

    def _generate(self, batch_size, rng):
        strings = [self._draw(rng) for _ in range(batch_size)]
        lengths = [len(s) - 1 for s in strings]
        steps = self.max_length - 1 if self.max_length is not None else max(lengths)
        pieces = []
        for s in strings:
            symbols = [_SYMBOL_INDEX[c] for c in s[:-1]]
            rows = np.stack([_multi_hot(a) for a in allowed_next(s)[:-1]])
            pieces.append((symbols, rows))
        x, y = self._strings_to_arrays(pieces, steps)
        mask = (np.arange(steps)[:, None] < np.asarray(lengths)[None, :]).astype(np.float32)
        return x, y, lengths, mask

    def metrics(self, output, batch):
        """``loss``, ``symbols_correct`` (over real steps) and ``sequences_correct``."""
        self._check_output(output, batch)
        loss = self._loss_value(output, batch)
        correct = self._correct(output, batch)
        real = batch.mask.numpy() > 0.5
        return {
            "loss": loss,
            "symbols_correct": float(correct[real].mean()),
            "sequences_correct": float((correct | ~real).all(axis=0).mean()),
        }


class ContinualReber(_ReberTask):
    """Continual embedded Reber prediction (Gers, Schmidhuber & Cummins 2000): each batch
    element is one stream of embedded Reber strings concatenated without any reset or
    marker, cut to ``length`` steps. The target at step t is the set of symbols allowed
    next; after a string's final E the next string begins, so the set there is {B}. All
    steps count (no mask); loss, metrics and baseline as for ``EmbeddedReber`` (the
    baseline's marginal frequencies counting every step of the strings, the E → {B} one
    included). Metrics also report ``strings_correct``: the fraction of the strings that
    end inside the stream with every one of their steps (B to E) correct, a measure in the
    spirit of the paper's count of successive strings predicted without error.
    """

    name = "continual-reber"

    def __init__(self, length=1000, seed=0):
        super().__init__(seed)
        self.length = _check_positive("ContinualReber", "length", length)

    def _options(self):
        return f"length={self.length}, seed={self.seed!r}"

    def _marginal_key(self):
        return ("continual",)

    def _sample_targets(self, rng):
        return allowed_next(embedded_reber_string(rng), continual=True)

    def _generate(self, batch_size, rng):
        pieces = []
        for _ in range(batch_size):
            symbols, rows = [], []
            while len(symbols) < self.length:
                s = embedded_reber_string(rng)
                symbols.extend(_SYMBOL_INDEX[c] for c in s)
                rows.extend(_multi_hot(a) for a in allowed_next(s, continual=True))
            pieces.append((symbols[: self.length], np.stack(rows[: self.length])))
        x, y = self._strings_to_arrays(pieces, self.length)
        return x, y, None, None

    def metrics(self, output, batch):
        """``loss``, ``symbols_correct``, ``sequences_correct`` (whole streams) and
        ``strings_correct`` (complete strings within the streams)."""
        self._check_output(output, batch)
        loss = self._loss_value(output, batch)
        correct = self._correct(output, batch)
        symbols = batch.x.numpy().argmax(axis=2)
        b_index, e_index = _SYMBOL_INDEX["B"], _SYMBOL_INDEX["E"]
        good = total = 0
        for b in range(symbols.shape[1]):
            column = symbols[:, b]
            # a string starts at a B that begins the stream or follows an E (the inner
            # Reber string's B follows T or P)
            starts = [t for t in range(len(column)) if column[t] == b_index and (t == 0 or column[t - 1] == e_index)]
            ends = starts[1:] + [len(column)]
            for start, end in zip(starts, ends):
                if column[end - 1] != e_index:
                    continue  # cut off by the end of the stream
                total += 1
                good += bool(correct[start:end, b].all())
        return {
            "loss": loss,
            "symbols_correct": float(correct.mean()),
            "sequences_correct": float(correct.all(axis=0).mean()),
            "strings_correct": good / total if total else float("nan"),
        }


# ======================================================================================
# Copy memory
# ======================================================================================


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

    def __init__(self, length=100, n_symbols=8, n_copy=10, seed=0):
        super().__init__(seed)
        self.length = _check_positive("CopyTask", "length", length)
        self.n_symbols = _check_positive("CopyTask", "n_symbols", n_symbols)
        self.n_copy = _check_positive("CopyTask", "n_copy", n_copy)
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
        return _one_hot(inputs, self.input_size), targets, None, None

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


# ======================================================================================
# Registry
# ======================================================================================


def _adding_1997(**options):
    return AddingProblem(**{"form": "hochreiter", **options})


TASKS = {
    "adding": AddingProblem,
    "adding-1997": _adding_1997,
    "temporal-order": TemporalOrder,
    "reber": EmbeddedReber,
    "continual-reber": ContinualReber,
    "copy": CopyTask,
}


def make_task(name, **options):
    """The task called ``name`` (a key of ``TASKS``), built with ``options``."""
    try:
        maker = TASKS[name]
    except KeyError:
        raise ValueError(f"make_task: unknown task {name!r}; choose one of {', '.join(TASKS)}") from None
    return maker(**options)
