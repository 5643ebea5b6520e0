"""Sequence models by name: a recurrent layer of any cell, and a linear read-out."""

from dataclasses import dataclass, field

from .. import backend, nn


@dataclass(frozen=True)
class CellSpec:
    """What the lab knows of a cell name: its sequence layer, the layer's options, a label for
    tables and plots, and whether it has a learned forget gate (the cells that take
    ``forget_bias``; a test checks this against the gate blocks of the cells themselves)."""

    layer: type
    label: str
    forget_gate: bool
    options: dict = field(default_factory=dict)


CELLS = {
    "rnn": CellSpec(nn.RNN, "RNN", forget_gate=False),
    "lstm": CellSpec(nn.LSTM, "LSTM", forget_gate=True),
    "gru": CellSpec(nn.GRU, "GRU", forget_gate=False),
    "peephole": CellSpec(nn.PeepholeLSTM, "peephole LSTM", forget_gate=True),
    "cifg": CellSpec(nn.CIFGLSTM, "CIFG LSTM", forget_gate=True),  # learned f, i = 1 - f
    **{
        f"greff-{v.lower()}": CellSpec(nn.GreffLSTM, v, forget_gate=v not in ("NFG", "CIFG"), options={"variant": v})
        for v in nn.GREFF_VARIANTS  # Greff's CIFG learns i and sets f = 1 - i
    },
}


def spec(cell):
    """The CellSpec of the named cell; ValueError naming the choices for an unknown name."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
    return CELLS[cell]


def make_layer(cell, input_size, hidden_size, forget_bias=None, seed=None, **options):
    """A sequence layer of the named cell (see CELLS). ``forget_bias`` goes to the cells with
    a forget gate and is ignored by the others; ``seed`` seeds the initial weights."""
    s = spec(cell)
    options = {**s.options, **options}
    if forget_bias is not None and s.forget_gate:
        options["forget_bias"] = forget_bias
    if seed is not None:
        backend.manual_seed(seed)
    return s.layer(input_size, hidden_size, **options)


def label(cell):
    """The cell's label for tables and plots (the name itself when it is not in CELLS)."""
    return CELLS[cell].label if cell in CELLS else cell


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


def build(cell, task, hidden, seed, forget_bias=1.0):
    """A SequenceModel sized for ``task``: its input and output sizes and its target; the
    cells with a forget gate get ``forget_bias``."""
    return SequenceModel(
        cell, task.input_size, hidden, task.output_size, target=task.target, forget_bias=forget_bias, seed=seed
    )
