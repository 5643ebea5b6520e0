"""Sequence layers: a cell run over time, stacked and optionally bidirectional, as ``torch.nn.LSTM``.

For each layer and direction the input's share of every gate is computed for up to 64 time
steps in one matmul (``cell.project``), split into steps by one ``unbind`` node, and each
step then adds one recurrent matmul (``cell.step``). The graph is stamped with scopes
``layer{k}`` / ``forward`` or ``reverse`` / ``t{t}``, so a drawing can group it.
"""

import numpy as np

from .. import backend, ops
from ..autograd import long_graph, scope
from ..tensor import Tensor
from . import functional as F
from .cells import CIFGLSTMCell, GreffLSTMCell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell
from .module import Module


class RecurrentLayer(Module):
    """A stack of ``num_layers`` recurrent cells run over a sequence.

    ``forward(input, hx=None, lengths=None)``: input (T, B, I), or (B, T, I) with
    ``batch_first``, or unbatched (T, I). Returns ``output, h_n`` (``output, (h_n, c_n)`` for
    the LSTM family): output (T, B, D·H) holds the last layer's h_t of every step (both
    directions concatenated), h_n and c_n (num_layers·D, B, H) the final states.
    ``lengths`` (B,) gives each sequence's length: outputs past it are zero and the final
    state is the one after its last valid step (in reverse, the one after step 0).
    Parameters are named as PyTorch's: ``weight_ih_l{k}``, ``bias_hh_l{k}_reverse``, ...;
    assigning one (``layer.weight_hh_l0 = other``, to tie weights) is what forward uses.
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
        """The width of a step's output: h_t's size (hidden_size, or LSTM's proj_size) times directions."""
        return (self.proj_size or self.hidden_size) * self.num_directions

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def forward(self, input, hx=None, lengths=None):
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


class RNN(RecurrentLayer):
    """Elman RNN over a sequence, as ``torch.nn.RNN`` (same positional arguments): each step
    h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) (``nonlinearity="relu"``: relu).
    See RecurrentLayer for the shapes of ``forward``'s input and outputs.

    >>> import tinygrad_rnn as tg
    >>> out, h_n = tg.nn.RNN(3, 5, 2, "relu")(tg.randn(7, 4, 3))
    >>> out.shape, h_n.shape
    ((7, 4, 5), (2, 4, 5))
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


class LSTM(RecurrentLayer):
    """LSTM over a sequence, as ``torch.nn.LSTM`` (same positional arguments, ``proj_size``
    too); the gate equations are LSTMCell's. Beyond PyTorch: ``forget_bias`` (the forget
    gate's bias at start) and ``fused=True`` (one node per step for the elementwise part:
    faster, same numbers; see nn/fused.py).

    ``forward(input, hx=None, lengths=None)`` returns ``output, (h_n, c_n)``: output
    (T, B, D·H_out), h_n (num_layers·D, B, H_out), c_n (num_layers·D, B, H), where D is 2
    when bidirectional and H_out is proj_size when set, else hidden_size.

    >>> import tinygrad_rnn as tg
    >>> lstm = tg.nn.LSTM(3, 8, num_layers=2, proj_size=4, forget_bias=1.0)
    >>> out, (h_n, c_n) = lstm(tg.randn(5, 2, 3))
    >>> out.shape, h_n.shape, c_n.shape
    ((5, 2, 4), (2, 2, 4), (2, 2, 8))
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


class GRU(RecurrentLayer):
    """GRU over a sequence, as ``torch.nn.GRU`` (same positional arguments); see GRUCell."""

    cell_class = GRUCell


class PeepholeLSTM(RecurrentLayer):
    """Peephole LSTM over a sequence; adds ``weight_c{i,f,o}_l{k}`` to LSTM's parameters.
    ``forget_bias`` as LSTM's."""

    cell_class = PeepholeLSTMCell


class CIFGLSTM(RecurrentLayer):
    """Coupled input-forget gate LSTM over a sequence; gate blocks f, g, o. ``forget_bias`` as LSTM's."""

    cell_class = CIFGLSTMCell


class GreffLSTM(RecurrentLayer):
    """The Greff et al. 2017 variants over a sequence: ``GreffLSTM(I, H, variant="NFG")``."""

    cell_class = GreffLSTMCell


def last_steps(output, lengths=None):
    """``output`` (T, B, C) read at each sequence's own last step: (B, C), differentiably.
    With ``lengths`` None that is ``output[-1]``; else ``output[lengths[b] - 1, b]``."""
    if lengths is None:
        return output[-1]
    xp = output.device.xp
    rows = output.device.asarray(lengths.data if isinstance(lengths, Tensor) else lengths).astype(np.int64) - 1
    return output[rows, xp.arange(rows.shape[0], dtype=np.int64)]
