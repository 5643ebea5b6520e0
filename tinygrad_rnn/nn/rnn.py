"""Sequence layers: a cell run over time, stacked and optionally bidirectional, as ``torch.nn.LSTM``.

For each layer and direction the input's share of every gate is computed for up to 64 time
steps in one matmul (``cell.project``), split into steps by one ``unbind`` node, and each
step then adds one recurrent matmul (``cell.step``). The graph is stamped with scopes
``layer{k}`` / ``forward`` or ``reverse`` / ``t{t}``, so a drawing can group it.
"""

import textwrap

import numpy as np

from .. import backend, ops
from ..autograd import long_graph, scope
from ..tensor import Tensor
from . import functional as F
from ._docstrings import PLACEMENT, sections, shared_docstring
from .cells import CIFGLSTMCell, GreffLSTMCell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell
from .module import Module


def _inputs_outputs(cell_state, width):
    """The Inputs and Outputs sections of a layer whose state is h alone, or (h, c); ``width``
    names h_t's width (H, or LSTM's H_out)."""
    if cell_state:
        initial = f"hx = (h_0, c_0): h_0 (D·num_layers, B, {width}) and c_0 (D·num_layers, B, H)"
        final = f"(h_n, c_n): h_n (D·num_layers, B, {width}) and c_n (D·num_layers, B, H)"
    else:
        initial = f"hx = h_0: (D·num_layers, B, {width})"
        final = f"h_n: (D·num_layers, B, {width})"
    return f"""\
Inputs:
    - input: (T, B, I), (B, T, I) with ``batch_first``, or (T, I) for one unbatched sequence.
    - {initial} (without B unbatched):
      the initial states of every layer and direction (layer k's forward direction at
      D·k, its reverse at D·k + 1). Default: zeros.
    - lengths: (B,) integers in [1, T], the length of each sequence of a batch padded to
      T steps (a list, array or tensor). Default: None, every sequence T steps long.

Outputs:
    - output: (T, B, D·{width}), (B, T, D·{width}) with ``batch_first``, or (T, D·{width})
      unbatched: the last layer's h_t at every step, both directions side by side; zeros
      past a sequence's length.
    - {final} (without B unbatched):
      the final states of every layer and direction, taken after each sequence's last
      step (in the reverse direction, after step 0)."""


def _weights(width):
    """The Attributes section: the parameters of every layer (``width``: h_t's, H or H_out)."""
    return f"""\
weight_ih_l{{k}}: (G·H, I) for k = 0, else (G·H, D·{width}): layer k's input weights, the
    gate blocks stacked in the cell's order.
weight_hh_l{{k}}: (G·H, {width}), layer k's recurrent weights.
bias_ih_l{{k}}: (G·H,), layer k's input biases (absent with ``bias=False``).
bias_hh_l{{k}}: (G·H,), layer k's recurrent biases.
weight_ih_l{{k}}_reverse: and every other name with ``_reverse``: the reverse direction's, when
    bidirectional."""


# What the sequence layers' docstrings share (see _docstrings.py). D is 2 when bidirectional, else
# 1; G is the cell's number of gate blocks; H_out is the width of LSTM's h_t, proj_size if set, else H.
_LAYER_ARGUMENTS = """\
input_size: the number of features of the input x_t (I).
hidden_size: the number of features of the state h_t (H).
num_layers: how many layers are stacked, each reading the outputs of the one below. Default: 1.
bias: False leaves out the biases ``bias_ih_l{k}`` and ``bias_hh_l{k}``. Default: True.
batch_first: True takes the input and gives the output as (B, T, ·) instead of (T, B, ·);
    the states stay (D·num_layers, B, ·). Default: False.
dropout: the probability of dropout on the outputs of each layer but the last, while
    training. Default: 0.
bidirectional: True adds a reverse direction to each layer, run from the last step back to
    the first, whose outputs are joined to the forward direction's (D = 2). Default: False."""
_LAYER = shared_docstring(
    arguments=_LAYER_ARGUMENTS,
    keywords=PLACEMENT,
    h_sequence=_inputs_outputs(cell_state=False, width="H"),
    hc_sequence=_inputs_outputs(cell_state=True, width="H"),
    # everything from Args to Attributes, for a layer with no options of its own
    plain=sections(
        _LAYER_ARGUMENTS,
        PLACEMENT,
        _inputs_outputs(cell_state=False, width="H"),
        "Attributes:\n" + textwrap.indent(_weights("H"), "    "),
    ),
    # the Args, Keyword Args, Inputs and Outputs of an LSTM layer whose only option is forget_bias
    forget_gated=sections(
        _LAYER_ARGUMENTS,
        PLACEMENT + "\nforget_bias: the forget gate's bias at start, as LSTM's. Default: None.",
        _inputs_outputs(cell_state=True, width="H"),
    ),
    projected_sequence=_inputs_outputs(cell_state=True, width="H_out"),
    weights=_weights("H"),
    projected_weights=_weights("H_out"),
)


@_LAYER
class RecurrentLayer(Module):
    """Base of the sequence layers: ``num_layers`` layers of cells of ``cell_class``, stacked
    and run over a sequence, optionally in both directions (``torch.nn.RNNBase``'s role).

    Each layer's cell reads the input (layer 0) or the outputs of the layer below at every
    step; the input's share of every gate is computed for many steps in one matrix product,
    and each step adds the recurrent one. The graph is stamped with the scopes ``layer{k}`` /
    ``forward`` or ``reverse`` / ``t{t}``, so drawings can group it. Parameters are named as
    PyTorch's, ``weight_ih_l{k}``, ``bias_hh_l{k}_reverse``, ...; assigning one
    (``layer.weight_hh_l0 = other``, to tie weights) is what forward uses. Every parameter
    starts U(-1/√H, 1/√H). Below, D is 2 when bidirectional, else 1; G is the cell's number
    of gate blocks; H_out is the width of h_t: H, or LSTM's proj_size.

    Args:
        {arguments}

    Keyword Args:
        {keywords}
        proj_size: passed on to each cell: LSTMCell's projection of h_t (nn.LSTM). Default: 0.
        cell_options: passed on to each cell (``forget_bias``, ``variant``, ...).

    Attributes:
        {projected_weights}

    Any cell makes a layer:

    >>> import tinygrad_rnn as tg
    >>> class LeakyCell(tg.nn.RecurrentCell):
    ...     gate_names = "h"
    ...     def step(self, xw, h, w_hh_t):
    ...         return ((h + tg.addmm(xw, h, w_hh_t).tanh()) * 0.5).named("h")
    >>> class Leaky(tg.nn.RecurrentLayer):
    ...     cell_class = LeakyCell
    >>> out, h_n = Leaky(3, 4, num_layers=2)(tg.zeros(5, 2, 3))
    >>> out.shape, h_n.shape
    ((5, 2, 4), (2, 2, 4))
    """

    cell_class = None

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        *,
        device=None,
        dtype=None,
        proj_size=0,
        **cell_options,
    ):
        super().__init__()
        name = type(self).__name__
        for what, value, least in (("input_size", input_size, 1), ("hidden_size", hidden_size, 1)):
            _check_int(name, what, value, least)
        _check_int(name, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        self.proj_size = proj_size
        if proj_size:
            if self.cell_class is not LSTMCell:
                raise ValueError(f"{name}: proj_size is for LSTM only (as in PyTorch), got {proj_size!r}")
            cell_options["proj_size"] = proj_size
        cells, owners = [], {}
        for layer in range(num_layers):
            for reverse in range(self.num_directions):
                size = input_size if layer == 0 else self.output_size
                cell = self.cell_class(size, hidden_size, bias=bias, device=device, dtype=dtype, **cell_options)
                suffix = f"_l{layer}" + ("_reverse" if reverse else "")
                for param_name, p in cell.named_parameters():
                    setattr(self, param_name + suffix, p)
                    owners[param_name + suffix] = (cell, param_name)
                cells.append(cell)
        # The cells share their parameters with this layer, which registers them under
        # PyTorch's flat names; the cells themselves are not submodules.
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "_owners", owners)

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        owner = self.__dict__.get("_owners", {}).get(name)
        if owner is not None:  # a parameter replaced on the layer is replaced in the cell that uses it
            setattr(owner[0], owner[1], value)

    @property
    def output_size(self):
        """The width of a step's output: h_t's size (hidden_size, or LSTM's proj_size) times directions.

        >>> import tinygrad_rnn as tg
        >>> tg.nn.LSTM(3, 8, proj_size=4, bidirectional=True).output_size
        8
        """
        return (self.proj_size or self.hidden_size) * self.num_directions

    @property
    def num_directions(self):
        """D: 2 when bidirectional, else 1.

        >>> import tinygrad_rnn as tg
        >>> tg.nn.GRU(3, 4, bidirectional=True).num_directions
        2
        """
        return 2 if self.bidirectional else 1

    def forward(self, input, hx=None, lengths=None):
        """Run the layers over the sequence ``input``: returns ``output, h_n``, or
        ``output, (h_n, c_n)`` for the LSTM family (the layer's Inputs and Outputs give the shapes).

        Args:
            input: the sequence, (T, B, I) ((B, T, I) with ``batch_first``), or (T, I).
            hx: the initial states, h_0 or (h_0, c_0); None (default) is zeros.
            lengths: each sequence's length in a padded batch; None (default): T for all.

        A padded batch: past its length a sequence outputs zeros and keeps its state.

        >>> import tinygrad_rnn as tg
        >>> lstm = tg.nn.LSTM(3, 4, batch_first=True)
        >>> out, (h_n, c_n) = lstm(tg.ones(2, 5, 3), lengths=[5, 2])
        >>> out.shape, h_n.shape, out[1, 2:].abs().max().item()
        ((2, 5, 4), (1, 2, 4), 0.0)
        >>> h_n[0, 1].tolist() == out[1, 1].tolist()
        True
        """
        with long_graph():
            return self._forward(input, hx, lengths)

    def _forward(self, input, hx, lengths):
        self._check_input(input)
        unbatched = input.ndim == 2
        time_axis = 1 if self.batch_first and not unbatched else 0
        x = input.unsqueeze(1) if unbatched else input
        steps, batch = x.shape[time_axis], x.shape[1 - time_axis]
        states = self._initial_states(hx, batch, unbatched)
        masks = self._masks(lengths, steps, batch, x)
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout and self.training:
                x = F.dropout(x, self.dropout)
            per_direction = []
            for reverse in range(self.num_directions):
                k = layer * self.num_directions + reverse
                with scope(f"layer{layer}"), scope("reverse" if reverse else "forward"):
                    hs, final = self._run(self.cells[k], x, time_axis, states[k], masks, reverse)
                per_direction.append(ops.stack(hs, time_axis))
                finals.append(final)
            x = per_direction[0] if len(per_direction) == 1 else ops.cat(per_direction, -1)
        output = x.squeeze(1) if unbatched else x
        parts = [ops.stack([f[j] for f in finals], 0) for j in range(2 if self._has_cell_state else 1)]
        if unbatched:
            parts = [p.squeeze(1) for p in parts]
        return (output, tuple(parts)) if self._has_cell_state else (output, parts[0])

    def _check_input(self, input):
        name, weight = type(self).__name__, self.cells[0].weight_ih
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (T, B, {self.input_size}), (B, T, {self.input_size}) with "
                f"batch_first, or (T, {self.input_size}) unbatched; got {tuple(input.shape)}"
            )
        if input.dtype != weight.dtype:
            fix = "x.float()" if weight.dtype == np.float32 else "x.double()"
            raise TypeError(
                f"{name}: the input is {input.dtype} but the parameters are {weight.dtype}; "
                f"convert the input ({fix}) or the layer (.to(dtype))"
            )
        if input.device is not weight.device:
            raise RuntimeError(f"{name}: the input is on '{input.device}' but the parameters on '{weight.device}'")
        if input.shape[1 if self.batch_first and input.ndim == 3 else 0] == 0:
            raise ValueError(f"{name}: the input has no time steps (shape {tuple(input.shape)})")

    @property
    def _has_cell_state(self):
        return self.cells[0].state_size >= 2

    def _run(self, cell, x, time_axis, state, masks, reverse):
        """One direction of one layer: the list of h_t (in time order) and the final state."""
        w_hh_t = cell.weight_hh.T
        outputs = [None] * x.shape[time_axis]
        for t, xw in self._projected_steps(cell, x, time_axis, reverse):
            with scope(f"t{t}"):
                new = cell.step(xw, state, w_hh_t)
                parts = (new,) if cell.state_size == 1 else new
                if masks is None:
                    outputs[t] = parts[0]
                else:  # past its length, a sequence keeps its state and outputs zeros
                    old = (state,) if cell.state_size == 1 else state
                    outputs[t] = ops.where(masks[t], parts[0], 0.0)
                    parts = tuple(ops.where(masks[t], n, o) for n, o in zip(parts, old))
            state = parts[0] if cell.state_size == 1 else parts
        final = (state,) if cell.state_size == 1 else state
        return outputs, final

    PROJECTION_STEPS = 64

    def _projected_steps(self, cell, x, time_axis, reverse):
        """(t, the input's share of the gates at step t), in the order the steps run. The
        shares are computed ``PROJECTION_STEPS`` steps at a time, each block in one matrix
        product: large enough to be fast, small enough that a long sequence never holds
        all T steps' shares (4H per step for an LSTM) at once."""
        steps = x.shape[time_axis]
        blocks = x.split(self.PROJECTION_STEPS, time_axis) if steps > self.PROJECTION_STEPS else (x,)
        starts = range(0, steps, self.PROJECTION_STEPS)
        for start, block in reversed(list(zip(starts, blocks))) if reverse else zip(starts, blocks):
            shares = cell.project(block).unbind(time_axis)
            for k in reversed(range(len(shares))) if reverse else range(len(shares)):
                yield start + k, shares[k]

    def _initial_states(self, hx, batch, unbatched):
        """One state (a tuple of (B, H) tensors, or None parts) per layer and direction."""
        count = self.num_layers * self.num_directions
        cell = self.cells[0]
        if hx is None:
            return [c.zero_state(batch) for c in self.cells]
        parts = tuple(hx) if self._has_cell_state else (hx,)
        if len(parts) != (2 if self._has_cell_state else 1):
            raise ValueError(f"{type(self).__name__}: hx must be (h_0, c_0)")
        unpacked, layer = [], type(self).__name__
        for p, name, size in zip(parts, ("h", "c"), (self.proj_size or self.hidden_size, self.hidden_size)):
            want = (count, batch, size)
            if not isinstance(p, Tensor):
                raise TypeError(f"{layer}: initial state {name}_0 must be a Tensor, got {type(p).__name__}")
            p = p.unsqueeze(1) if unbatched else p
            if p.shape != want:
                raise ValueError(f"{layer}: initial state {name}_0 of shape {tuple(p.shape)}, expected {want}")
            unpacked.append([s.named(name) for s in p.unbind(0)])  # fresh tensors: naming them is safe
        states = []
        for k in range(count):
            own = tuple(u[k] for u in unpacked)
            extra = tuple(self.cells[k].zero_state(batch)[len(own) :]) if cell.state_size > len(own) else ()
            states.append(own[0] if cell.state_size == 1 else own + extra)
        return states

    def _masks(self, lengths, steps, batch, x):
        """Per step, a (B, 1) boolean array on the input's device: which sequences are still
        running (None: all are). ``lengths`` is read where it lives, with one check."""
        if lengths is None:
            return None
        name = type(self).__name__
        lengths = x.device.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
        if lengths.shape != (batch,) or lengths.dtype.kind not in "iu":
            raise ValueError(f"{name}: lengths must be {batch} integers, got {lengths.dtype} of shape {lengths.shape}")
        if bool(((lengths < 1) | (lengths > steps)).any()):
            bad = backend.to_host(lengths).tolist()
            raise ValueError(f"{name}: lengths must lie in [1, {steps}], got {bad}")
        return list(x.device.xp.arange(steps)[:, None, None] < lengths[None, :, None])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        options = (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False), ("proj_size", 0))
        for option, default in options:
            if getattr(self, option) != default:
                s += f", {option}={getattr(self, option)}"
        return s


def _check_int(layer, what, value, least):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        rule = "a positive int" if least == 1 else f"an int >= {least}"
        raise ValueError(f"{layer}: {what} must be {rule}, got {value!r}")


@_LAYER
class RNN(RecurrentLayer):
    """A multi-layer Elman RNN over a sequence, as ``torch.nn.RNN`` (the same arguments, in the
    same order). Each layer runs RNNCell at every step (G = 1):

        h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)     (nonlinearity="relu": relu)

    Args:
        {arguments}
        nonlinearity: "tanh" or "relu"; the fourth positional argument. Default: "tanh".

    Keyword Args:
        {keywords}

    {h_sequence}

    Attributes:
        {weights}

    >>> import tinygrad_rnn as tg
    >>> rnn = tg.nn.RNN(3, 5, 2, "relu")
    >>> out, h_n = rnn(tg.randn(7, 4, 3))
    >>> out.shape, h_n.shape, rnn.weight_ih_l1.shape
    ((7, 4, 5), (2, 4, 5), (5, 5))
    """

    cell_class = RNNCell

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        *,
        device=None,
        dtype=None,
    ):
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            device=device, dtype=dtype, nonlinearity=nonlinearity,
        )  # fmt: skip
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}")


@_LAYER
class LSTM(RecurrentLayer):
    """A multi-layer LSTM over a sequence, as ``torch.nn.LSTM`` (the same arguments, in the same
    order, ``proj_size`` included). Each layer runs LSTMCell at every step (G = 4, blocks i, f, g, o):

        i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)       f_t, o_t likewise
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)                                  (times W_hr with proj_size)

    Beyond PyTorch: ``forget_bias`` and ``fused``.

    Args:
        {arguments}
        proj_size: P > 0 projects each h_t to P features, h_t = W_hr (o_t * tanh(c_t)), with
            ``weight_hr_l{k}`` (P, H); then H_out = P. Must be smaller than hidden_size.
            Default: 0 (no projection, H_out = H).

    Keyword Args:
        {keywords}
        forget_bias: the forget gate's bias at start: in every layer and direction the f block
            of ``bias_ih_l{k}`` is set to it and that of ``bias_hh_l{k}`` to 0, so f_t starts
            near σ(forget_bias). 1 is a common choice (σ(1) ≈ 0.73): the cell state, and the
            gradient along it, lasts longer at the start of training. Needs ``bias=True``.
            Default: None (the random initialisation, as PyTorch).
        fused: True computes everything after a step's matrix products in one node,
            ``lstm_step`` (faster on small layers, the same numbers; drawings then show one
            box per step). Default: False.

    {projected_sequence}

    Attributes:
        {projected_weights}
        weight_hr_l{k}: (P, H), layer k's projection, with ``proj_size``.

    >>> import tinygrad_rnn as tg
    >>> lstm = tg.nn.LSTM(3, 8, num_layers=2, proj_size=4, forget_bias=1.0)
    >>> out, (h_n, c_n) = lstm(tg.randn(5, 2, 3))
    >>> out.shape, h_n.shape, c_n.shape
    ((5, 2, 4), (2, 2, 4), (2, 2, 8))
    >>> lstm.bias_ih_l0[8:16].tolist() == [1.0] * 8            # the f block: rows H to 2H
    True
    >>> lstm.weight_hh_l0.shape, lstm.weight_hr_l0.shape          # (4H, P), (P, H)
    ((32, 4), (4, 8))
    """

    cell_class = LSTMCell

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        *,
        device=None,
        dtype=None,
        forget_bias=None,
        fused=False,
    ):
        _check_int("LSTM", "proj_size", proj_size, 0)
        if proj_size and isinstance(hidden_size, int) and proj_size >= hidden_size:
            raise ValueError(f"LSTM: proj_size must be smaller than hidden_size, got {proj_size} and {hidden_size}")
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            device=device, dtype=dtype, proj_size=proj_size, forget_bias=forget_bias, fused=fused,
        )  # fmt: skip


@_LAYER
class GRU(RecurrentLayer):
    """A multi-layer GRU over a sequence, as ``torch.nn.GRU`` (the same arguments, in the same
    order). Each layer runs GRUCell at every step (G = 3, blocks r, z, n):

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    {plain}

    >>> import tinygrad_rnn as tg
    >>> gru = tg.nn.GRU(3, 5, bidirectional=True)
    >>> out, h_n = gru(tg.randn(7, 4, 3))
    >>> out.shape, h_n.shape, gru.weight_hh_l0_reverse.shape
    ((7, 4, 10), (2, 4, 5), (15, 5))
    """

    cell_class = GRUCell


@_LAYER
class PeepholeLSTM(RecurrentLayer):
    """A multi-layer peephole LSTM over a sequence: each layer runs PeepholeLSTMCell at every
    step (G = 4), whose gates also read the cell state, one weight per unit:

        i_t = σ(W_i·[h_{t-1}, x_t] + w_ci * c_{t-1} + b_i)     f_t likewise, with w_cf
        o_t = σ(W_o·[h_{t-1}, x_t] + w_co * c_t + b_o)         (the new c_t)

    {forget_gated}

    Attributes:
        {weights}
        weight_ci_l{k}: (H,), layer k's input-gate peepholes; ``weight_cf_l{k}`` and
            ``weight_co_l{k}`` likewise.

    >>> import tinygrad_rnn as tg
    >>> lstm = tg.nn.PeepholeLSTM(3, 5, forget_bias=1.0)
    >>> out, (h_n, c_n) = lstm(tg.randn(7, 4, 3))
    >>> out.shape, c_n.shape, lstm.weight_co_l0.shape
    ((7, 4, 5), (1, 4, 5), (5,))
    """

    cell_class = PeepholeLSTMCell


@_LAYER
class CIFGLSTM(RecurrentLayer):
    """A multi-layer LSTM with coupled input and forget gates over a sequence: each layer runs
    CIFGLSTMCell at every step (G = 3, blocks f, g, o), which writes exactly where it forgets:

        c_t = f_t * c_{t-1} + (1 - f_t) * g_t

    {forget_gated}

    Attributes:
        {weights}

    >>> import tinygrad_rnn as tg
    >>> lstm = tg.nn.CIFGLSTM(3, 5)
    >>> out, (h_n, c_n) = lstm(tg.randn(7, 4, 3))
    >>> out.shape, h_n.shape, lstm.weight_ih_l0.shape
    ((7, 4, 5), (1, 4, 5), (15, 3))
    """

    cell_class = CIFGLSTMCell


@_LAYER
class GreffLSTM(RecurrentLayer):
    """The LSTM variants of Greff et al. 2017 over a sequence: each layer runs GreffLSTMCell
    (``GREFF_VARIANTS`` lists the variants) at every step; G is 3 for the variants that remove
    a gate (NIG, NFG, NOG, CIFG), else 4.

    Args:
        {arguments}

    Keyword Args:
        {keywords}
        variant: one of ``GREFF_VARIANTS``. Default: "vanilla", the peephole LSTM.
        forget_bias: the forget gate's bias at start, as LSTM's (not for NFG and CIFG).
            Default: None.

    {hc_sequence}

    Attributes:
        {weights}
        weight_ci_l{k}: (H,), the peepholes of each gate the variant keeps (none for NP).
        weight_gg_l{k}: (3H, 3H), FGR's weights from the previous step's gates.

    >>> import tinygrad_rnn as tg
    >>> lstm = tg.nn.GreffLSTM(3, 5, variant="NFG")
    >>> out, (h_n, c_n) = lstm(tg.randn(7, 4, 3))
    >>> out.shape, c_n.shape, lstm.weight_ih_l0.shape
    ((7, 4, 5), (1, 4, 5), (15, 3))
    """

    cell_class = GreffLSTMCell


def last_steps(output, lengths=None):
    """``output`` (T, B, C) read at each sequence's own last step: (B, C), differentiably.
    With ``lengths`` None that is ``output[-1]``; else ``output[lengths[b] - 1, b]``.

    >>> import tinygrad_rnn as tg
    >>> output = tg.arange(6.0).reshape(3, 2, 1)       # T = 3 steps of B = 2 sequences
    >>> tg.nn.last_steps(output).tolist(), tg.nn.last_steps(output, [3, 1]).tolist()
    ([[4.0], [5.0]], [[4.0], [1.0]])
    """
    if lengths is None:
        return output[-1]
    xp = output.device.xp
    rows = output.device.asarray(lengths.data if isinstance(lengths, Tensor) else lengths).astype(np.int64) - 1
    return output[rows, xp.arange(rows.shape[0], dtype=np.int64)]
