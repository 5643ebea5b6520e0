"""Continual embedded Reber prediction (Gers, Schmidhuber & Cummins 2000)."""

import numpy as np

from .base import check_positive
from .reber import ReberTask, multi_hot
from .reber_grammar import SYMBOL_INDEX, allowed_next, embedded_reber_string


class ContinualReber(ReberTask):
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
    goals = {**ReberTask.goals, "strings_correct": "max"}

    def __init__(self, length=1000, seed=0):
        super().__init__(seed)
        self.length = check_positive("ContinualReber", "length", length)

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
                symbols.extend(SYMBOL_INDEX[c] for c in s)
                rows.extend(multi_hot(a) for a in allowed_next(s, continual=True))
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
        b_index, e_index = SYMBOL_INDEX["B"], SYMBOL_INDEX["E"]
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
