"""Sequence models by name: a recurrent layer of any cell, and a linear read-out."""

from .. import backend, nn

CELLS = {  # name: (layer class, its options, label)
    "rnn": (nn.RNN, {}, "RNN"),
    "lstm": (nn.LSTM, {}, "LSTM"),
    "gru": (nn.GRU, {}, "GRU"),
    "peephole": (nn.PeepholeLSTM, {}, "peephole LSTM"),
    "cifg": (nn.CIFGLSTM, {}, "CIFG LSTM"),
    **{f"greff-{v.lower()}": (nn.GreffLSTM, {"variant": v}, f"{v}") for v in nn.GREFF_VARIANTS},
}


def make_layer(cell, input_size, hidden_size, forget_bias=None, seed=None, **options):
    """A sequence layer of the named cell (see CELLS); ``forget_bias`` for LSTM-family cells."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
    cls, defaults, _ = CELLS[cell]
    options = {**defaults, **options}
    if forget_bias is not None and cls not in (nn.RNN, nn.GRU):
        options["forget_bias"] = forget_bias
    if seed is not None:
        backend.manual_seed(seed)
    return cls(input_size, hidden_size, **options)


def label(cell):
    return CELLS[cell][2] if cell in CELLS else cell


class SequenceModel(nn.Module):
    """A recurrent layer followed by a linear read-out of its hidden state, at the last step
    of each sequence (``target="last"``) or at every step (``target="every"``)."""

    def __init__(
        self, cell, input_size, hidden_size, output_size, target="last", forget_bias=None, seed=None, **options
    ):
        super().__init__()
        if target not in ("last", "every"):
            raise ValueError(f"SequenceModel: target must be 'last' or 'every', got {target!r}")
        self.cell, self.target = cell, target
        self.rnn = make_layer(cell, input_size, hidden_size, forget_bias, seed, **options)
        self.head = nn.Linear(hidden_size * (2 if self.rnn.bidirectional else 1), output_size)

    def forward(self, x, lengths=None):
        out, _ = self.rnn(x, lengths=lengths)
        return self.head(out if self.target == "every" else nn.last_steps(out, lengths))

    def extra_repr(self):
        return f"cell={self.cell!r}, target={self.target!r}"
