"""Sequence layers: a cell run over time, stacked and optionally bidirectional, as ``torch.nn.LSTM``.

For each layer and direction the input's share of every gate is computed for up to 64 time
steps in one matmul (``cell.project``), split into steps by one ``unbind`` node, and each
step then adds one recurrent matmul (``cell.step``). The graph is stamped with scopes
``layer{k}`` / ``forward`` or ``reverse`` / ``t{t}``, so a drawing can group it.
"""

import numpy as np

from .. import ops
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
    Parameters are named as PyTorch's: ``weight_ih_l{k}``, ``bias_hh_l{k}_reverse``, ...
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
        dtype=np.float32,
        device=None,
        **cell_options,
    ):
        super().__init__()
        name = type(self).__name__
        if num_layers < 1 or hidden_size < 1:
            raise ValueError(f"{name}: num_layers and hidden_size must be positive")
        if not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        cells = []
        for layer in range(num_layers):
            for reverse in range(self.num_directions):
                size = input_size if layer == 0 else hidden_size * self.num_directions
                cell = self.cell_class(size, hidden_size, bias=bias, dtype=dtype, device=device, **cell_options)
                suffix = f"_l{layer}" + ("_reverse" if reverse else "")
                for param_name, p in cell.named_parameters():
                    setattr(self, param_name + suffix, p)
                cells.append(cell)
        # The cells share their parameters with this layer, which registers them under
        # PyTorch's flat names; the cells themselves are not submodules.
        object.__setattr__(self, "cells", cells)

    @property
    def num_directions(self):
        return 2 if self.bidirectional else 1

    def forward(self, input, hx=None, lengths=None):
        with long_graph():
            return self._forward(input, hx, lengths)

    def _forward(self, input, hx, lengths):
        name = type(self).__name__
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input of shape (T, B, {self.input_size}), (B, T, {self.input_size}) with "
                f"batch_first, or (T, {self.input_size}) unbatched; got {tuple(input.shape)}"
            )
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
        want = (count, batch, self.hidden_size)
        unpacked = []
        for p, name in zip(parts, ("h", "c")):
            p = p.unsqueeze(1) if unbatched else p
            if p.shape != want:
                raise ValueError(f"{type(self).__name__}: initial state of shape {tuple(p.shape)}, expected {want}")
            unpacked.append([s.named(name) for s in p.unbind(0)])  # fresh tensors: naming them is safe
        states = []
        for k in range(count):
            own = tuple(u[k] for u in unpacked)
            extra = tuple(self.cells[k].zero_state(batch)[len(own) :]) if cell.state_size > len(own) else ()
            states.append(own[0] if cell.state_size == 1 else own + extra)
        return states

    def _masks(self, lengths, steps, batch, x):
        """Per step, a (B, 1) boolean array: which sequences are still running (None: all are)."""
        if lengths is None:
            return None
        lengths = np.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths)
        if lengths.shape != (batch,) or lengths.dtype.kind not in "iu":
            raise ValueError(f"{type(self).__name__}: lengths must be {batch} integers, got {lengths!r}")
        if lengths.min() < 1 or lengths.max() > steps:
            raise ValueError(f"{type(self).__name__}: lengths must lie in [1, {steps}], got {lengths.tolist()}")
        running = np.arange(steps)[:, None, None] < lengths[None, :, None]
        return list(x.device.asarray(running))

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for option, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, option) != default:
                s += f", {option}={getattr(self, option)}"
        return s


class RNN(RecurrentLayer):
    """Elman RNN over a sequence (``nonlinearity="tanh"`` or ``"relu"``), as ``torch.nn.RNN``."""

    cell_class = RNNCell


class LSTM(RecurrentLayer):
    """LSTM over a sequence, as ``torch.nn.LSTM`` (plus ``forget_bias``); see LSTMCell."""

    cell_class = LSTMCell


class GRU(RecurrentLayer):
    """GRU over a sequence, as ``torch.nn.GRU``; see GRUCell."""

    cell_class = GRUCell


class PeepholeLSTM(RecurrentLayer):
    """Peephole LSTM over a sequence; adds ``weight_c{i,f,o}_l{k}`` to LSTM's parameters."""

    cell_class = PeepholeLSTMCell


class CIFGLSTM(RecurrentLayer):
    """Coupled input-forget gate LSTM over a sequence; gate blocks f, g, o."""

    cell_class = CIFGLSTMCell


class GreffLSTM(RecurrentLayer):
    """The Greff et al. 2017 variants over a sequence: ``GreffLSTM(I, H, variant="NFG")``."""

    cell_class = GreffLSTMCell


def last_steps(output, lengths=None):
    """``output`` (T, B, C) read at each sequence's own last step: (B, C), differentiably.
    With ``lengths`` None that is ``output[-1]``; else ``output[lengths[b] - 1, b]``."""
    if lengths is None:
        return output[-1]
    rows = np.asarray(lengths, dtype=np.int64) - 1
    return output[rows, np.arange(len(rows), dtype=np.int64)]
