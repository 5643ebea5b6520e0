"""Next-symbol prediction on the embedded Reber grammar, and what it shares with the continual task."""

import numpy as np

from ...nn import functional as F
from .base import Task, check_positive
from .reber_grammar import REBER_SYMBOLS, SYMBOL_INDEX, allowed_next, embedded_reber_string

_ROW_CACHE = {}


def multi_hot(allowed):
    row = _ROW_CACHE.get(allowed)
    if row is None:
        row = np.zeros(len(REBER_SYMBOLS), dtype=np.float32)
        row[[SYMBOL_INDEX[c] for c in allowed]] = 1
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


class ReberTask(Task):
    """What the two Reber tasks share: 7 symbols one-hot in, 7 logits out at every step,
    multi-hot targets (the allowed next symbols), binary cross-entropy with logits."""

    input_size = 7
    output_size = 7
    target = "every"
    loss_name = "binary_cross_entropy_with_logits"
    goals = {"loss": "min", "symbols_correct": "max", "sequences_correct": "max"}

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
            total = sum(n * multi_hot(allowed).astype(np.float64) for allowed, n in counts.items())
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


class EmbeddedReber(ReberTask):
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
            max_length = check_positive("EmbeddedReber", "max_length", max_length, 9)  # "BTBTXSETE"
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
            symbols = [SYMBOL_INDEX[c] for c in s[:-1]]
            rows = np.stack([multi_hot(a) for a in allowed_next(s)[:-1]])
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
