"""Recurrent cells, built from primitive ops so that every gate is a node of the graph.

Notation (the seed's): σ is the logistic sigmoid, ``*`` the elementwise product, x_t the
input, h_{t-1} and c_{t-1} the previous hidden and cell states. Weights follow PyTorch:
``weight_ih`` (G·H, I) and ``weight_hh`` (G·H, H) stack the G gate blocks in the order each
cell names, ``bias_ih`` and ``bias_hh`` (G·H) likewise, all initialised U(-1/√H, 1/√H).

Each cell splits its work in two, so that a sequence layer can hoist the first half out of
the time loop: ``project(x)`` is the input's share of every gate, x Wᵢₕᵀ + b (one matmul
for all steps), and ``step(xw, state, w_hh_t)`` is the rest of one step, given the
transposed recurrent weight. ``forward(input, hx)`` does both, as ``torch.nn.*Cell``.
``addmm(xw, h, w)`` is ``xw + h @ w`` as one node (the sum is written into the product).
"""

import math
import textwrap

import numpy as np

from .. import creation, ops
from . import init
from ._docstrings import PLACEMENT, sections, shared_docstring
from .fused import LSTMPointwise
from .module import Module, Parameter


def _parameter(shape, bound, dtype, device):
    dtype = np.float32 if dtype is None else dtype
    return init.uniform_(Parameter(creation.zeros(*shape, dtype=dtype, device=device)), -bound, bound)


# What the cells' docstrings share (see _docstrings.py): G is a cell's number of gate blocks.
_CELL_ARGUMENTS = """\
input_size: the number of features of the input x_t (I).
hidden_size: the number of features of the state h_t (H).
bias: False leaves out ``bias_ih`` and ``bias_hh``. Default: True."""
_CELL_H_STEP = """\
Inputs:
    - input: x_t, of shape (B, I), or (I,) for one unbatched sequence.
    - hx: h_{t-1}, (B, H) or (H,). Default: zeros.

Outputs:
    - h_t: (B, H) or (H,)."""
_CELL_WEIGHTS = """\
weight_ih: (G·H, I), the input weights of the G gate blocks, stacked in gate order.
weight_hh: (G·H, H), the recurrent weights, stacked likewise.
bias_ih: (G·H,), the input biases (None with ``bias=False``).
bias_hh: (G·H,), the recurrent biases (None with ``bias=False``)."""
_CELL_HC_STEP = """\
Inputs:
    - input: x_t, of shape (B, I), or (I,) for one unbatched sequence.
    - hx: (h_{t-1}, c_{t-1}), (B, H) each, or (H,). Default: zeros.

Outputs:
    - (h_t, c_t): (B, H) each, or (H,)."""
_CELL = shared_docstring(
    arguments=_CELL_ARGUMENTS,
    keywords=PLACEMENT,
    h_step=_CELL_H_STEP,
    hc_step=_CELL_HC_STEP,
    # everything from Args to Attributes, for a cell with no options of its own
    plain=sections(_CELL_ARGUMENTS, PLACEMENT, _CELL_H_STEP, "Attributes:\n" + textwrap.indent(_CELL_WEIGHTS, "    ")),
    # the Args, Keyword Args, Inputs and Outputs of an LSTM cell whose only option is forget_bias
    forget_gated=sections(
        _CELL_ARGUMENTS,
        PLACEMENT + "\nforget_bias: the forget gate's bias at start, as LSTMCell's. Default: None.",
        _CELL_HC_STEP,
    ),
    weights=_CELL_WEIGHTS,
)


@_CELL
class RecurrentCell(Module):
    """Base of the cells: the parameters, bias handling, batching and state shapes. A subclass
    names its gate blocks in ``gate_names`` (G = their number), says in ``state_size`` whether
    its state is h alone (1) or (h, c) (2), and writes ``step(xw, state, w_hh_t)``: one time
    step, from the input's share of the gates ``xw`` = x_t W_ihᵀ + b (``project``). Every
    parameter starts U(-1/√H, 1/√H).

    Args:
        {arguments}

    Keyword Args:
        {keywords}

    Attributes:
        {weights}

    A leaky cell, h_t = (h_{t-1} + tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)) / 2:

    >>> import tinygrad_rnn as tg
    >>> class LeakyCell(tg.nn.RecurrentCell):
    ...     gate_names = "h"
    ...     def step(self, xw, h, w_hh_t):
    ...         return ((h + tg.addmm(xw, h, w_hh_t).tanh()) * 0.5).named("h")
    >>> cell = LeakyCell(3, 4)
    >>> cell(tg.zeros(2, 3)).shape, cell.weight_ih.shape, cell.weight_hh.shape
    ((2, 4), (4, 3), (4, 4))
    """

    gate_names = ""  # one letter per gate block of weight_ih, in order
    state_size = 1  # number of state tensors: 1 (h) or 2 (h, c)
    peepholes = ()  # names of per-unit peephole weight vectors (hidden,)

    def __init__(self, input_size, hidden_size, bias=True, *, device=None, dtype=None, proj_size=0):
        super().__init__()
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{type(self).__name__}: {what} must be a positive int, got {value!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        if proj_size and not isinstance(self, LSTMCell):
            raise ValueError(f"{type(self).__name__}: proj_size is for LSTMCell only, got {proj_size!r}")
        self.h_size = proj_size or hidden_size  # the width of h_t (LSTM's projection makes it smaller)
        blocks, bound = len(self.gate_names) * hidden_size, 1 / math.sqrt(hidden_size)
        self.weight_ih = _parameter((blocks, input_size), bound, dtype, device)
        self.weight_hh = _parameter((blocks, self.h_size), bound, dtype, device)
        self.register_parameter("bias_ih", _parameter((blocks,), bound, dtype, device) if bias else None)
        self.register_parameter("bias_hh", _parameter((blocks,), bound, dtype, device) if bias else None)
        for name in self.peepholes:
            setattr(self, name, _parameter((hidden_size,), bound, dtype, device))

    def gate_slice(self, gate):
        """The rows of ``weight_ih``/``bias_ih`` that belong to ``gate`` (a letter of gate_names).

        >>> import tinygrad_rnn as tg
        >>> tg.nn.LSTMCell(3, 5).gate_slice("f")
        slice(5, 10, None)
        """
        k = self.gate_names.index(gate)
        return slice(k * self.hidden_size, (k + 1) * self.hidden_size)

    def set_forget_bias(self, forget_bias):
        """b_ih of the forget gate := forget_bias, b_hh of it := 0 (so the sum is forget_bias)."""
        if forget_bias is None:
            return
        if "f" not in self.gate_names:
            raise ValueError(f"{type(self).__name__}: forget_bias given, but this cell has no forget gate")
        if not self.bias:
            raise ValueError(f"{type(self).__name__}: forget_bias needs bias=True")
        self.bias_ih.data[self.gate_slice("f")] = forget_bias
        self.bias_hh.data[self.gate_slice("f")] = 0

    def project(self, x):
        """The input's share of the gates: x Wᵢₕᵀ + (bᵢₕ + bₕₕ)."""
        if not self.bias:
            return x @ self.weight_ih.T
        return ops.addmm(self.bias_ih + self.bias_hh, x, self.weight_ih.T)

    def step(self, xw, state, w_hh_t):
        raise NotImplementedError

    def zero_state(self, batch):
        """Zeros for each part of the state, named "h" and "c" as the states the steps make."""

        def zeros(name, size):
            like = self.weight_ih
            return creation.zeros(batch, size, dtype=like.dtype, device=like.device).named(name)

        h = zeros("h", self.h_size)
        return h if self.state_size == 1 else (h, zeros("c", self.hidden_size))

    def forward(self, input, hx=None):
        """One step: ``input`` (B, I) or (I,), ``hx`` the state (None: zeros) -> the new state."""
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: expected input of shape (batch, {self.input_size}) or "
                f"({self.input_size},), got {tuple(input.shape)}"
            )
        unbatched = input.ndim == 1
        x = input.reshape(1, -1) if unbatched else input
        zero = self.zero_state(x.shape[0])
        if hx is None:
            state = zero
        else:
            zero = (zero,) if self.state_size == 1 else zero
            parts = (hx,) if self.state_size == 1 else tuple(hx)
            if len(parts) != self.state_size:
                raise ValueError(f"{type(self).__name__}: expected a state of {self.state_size} tensors")
            parts = tuple(p.reshape(1, -1) if unbatched else p for p in parts)
            for p, z in zip(parts, zero):
                if p.shape != z.shape:
                    raise ValueError(
                        f"{type(self).__name__}: state of shape {tuple(p.shape)} does not match {z.shape} "
                        f"(batch {x.shape[0]}, hidden {self.hidden_size})"
                    )
            state = parts[0] if self.state_size == 1 else parts
        new = self.step(self.project(x), state, self.weight_hh.T)
        if unbatched:
            new = new.reshape(-1) if self.state_size == 1 else tuple(s.reshape(-1) for s in new)
        return new

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


@_CELL
class RNNCell(RecurrentCell):
    """The vanilla recurrent cell (Elman), as ``torch.nn.RNNCell``:

        h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (nonlinearity="relu": relu)

    Its gradient through time is multiplied, at every step, by W_hhᵀ diag(tanh'(·)):
    a product that shrinks (or explodes) geometrically with the number of steps.
    One gate block, "h" (G = 1).

    Args:
        {arguments}
        nonlinearity: "tanh" or "relu". Default: "tanh".

    Keyword Args:
        {keywords}

    {h_step}

    Attributes:
        {weights}

    >>> import tinygrad_rnn as tg
    >>> cell = tg.nn.RNNCell(3, 5)
    >>> h = None
    >>> for x_t in tg.zeros(4, 2, 3):         # 4 steps of a batch of 2
    ...     h = cell(x_t, h)
    >>> h.shape, cell.weight_hh.shape
    ((2, 5), (5, 5))
    """

    gate_names = "h"

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", *, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def step(self, xw, h, w_hh_t):
        pre = ops.addmm(xw, h, w_hh_t)
        return (pre.tanh() if self.nonlinearity == "tanh" else pre.relu()).named("h")


@_CELL
class LSTMCell(RecurrentCell):
    """Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000),
    as ``torch.nn.LSTMCell``.

        i_t = σ(W_i·[h_{t-1}, x_t] + b_i)        what to write        (input gate)
        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)        what to forget       (forget gate)
        g_t = tanh(W_g·[h_{t-1}, x_t] + b_g)     what could be written (candidate C̃_t)
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)        what to read out     (output gate)
        c_t = f_t * c_{t-1} + i_t * g_t          forget and write together
        h_t = o_t * tanh(c_t)

    Gate blocks i, f, g, o (G = 4) in ``weight_ih`` (4H, I) and ``weight_hh`` (4H, H), as PyTorch.

    Args:
        {arguments}

    Keyword Args:
        {keywords}
        forget_bias: the forget gate's bias at start: the f block of ``bias_ih`` is set to it
            and that of ``bias_hh`` to 0. 1 is a common choice: f_t starts near σ(1) ≈ 0.73,
            so the cell state, and its gradient, lasts. Default: None (random, as PyTorch).
        fused: True computes everything after the matrix product of a step in one node,
            ``lstm_step`` (faster on small layers, the same numbers; drawings then show one box
            per step): see ``nn/fused.py``. Default: False.
        proj_size: P > 0 projects h_t to P features, h_t = W_hr (o_t * tanh(c_t)), with
            ``weight_hr`` (P, H), as ``torch.nn.LSTM``'s; ``weight_hh`` and h_t are then
            (4H, P) and (B, P). Must be smaller than hidden_size. Default: 0.

    {hc_step}

    Attributes:
        {weights}

    >>> import tinygrad_rnn as tg
    >>> cell = tg.nn.LSTMCell(3, 5, forget_bias=1.0)
    >>> h, c = cell(tg.zeros(2, 3))
    >>> h, c = cell(tg.zeros(2, 3), (h, c))
    >>> h.shape, c.shape, cell.bias_ih[cell.gate_slice("f")].tolist()
    ((2, 5), (2, 5), [1.0, 1.0, 1.0, 1.0, 1.0])
    """

    gate_names = "ifgo"
    state_size = 2

    def __init__(
        self, input_size, hidden_size, bias=True, *, device=None, dtype=None, forget_bias=None, fused=False, proj_size=0
    ):
        plain = type(self).step is LSTMCell.step
        for option, value in (("fused=True", fused), ("proj_size", proj_size)):
            if value and not plain:
                raise ValueError(f"{type(self).__name__}: {option} is for the plain LSTM only")
        if isinstance(proj_size, bool) or not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(f"{type(self).__name__}: proj_size must be an int >= 0, got {proj_size!r}")
        if proj_size and isinstance(hidden_size, int) and proj_size >= hidden_size:
            raise ValueError(f"{type(self).__name__}: proj_size must be smaller than hidden_size, got {proj_size}")
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype, proj_size=proj_size)
        self.fused, self.proj_size = bool(fused), proj_size
        if proj_size:
            self.weight_hr = _parameter((proj_size, hidden_size), 1 / math.sqrt(hidden_size), dtype, device)
        self.set_forget_bias(forget_bias)

    def step(self, xw, state, w_hh_t):
        h, c = state
        if self.fused:
            h, c = LSTMPointwise()(ops.addmm(xw, h, w_hh_t), c)
            return self._projected(h), c.named("c")
        i, f, g, o = ops.addmm(xw, h, w_hh_t).chunk(4, 1)
        i, f, g, o = i.sigmoid().named("i"), f.sigmoid().named("f"), g.tanh().named("g"), o.sigmoid().named("o")
        c = (f * c + i * g).named("c")
        h = self._projected(o * c.tanh())
        return h, c

    def _projected(self, h):
        """h_t, projected to proj_size numbers when the cell has a projection."""
        return (h @ self.weight_hr.T if self.proj_size else h).named("h")


@_CELL
class PeepholeLSTMCell(LSTMCell):
    """LSTM whose gates also look at the cell state (Gers & Schmidhuber 2000), one weight per unit:

        i_t = σ(W_i·[h_{t-1}, x_t] + w_ci * c_{t-1} + b_i)
        f_t = σ(W_f·[h_{t-1}, x_t] + w_cf * c_{t-1} + b_f)
        g_t = tanh(W_g·[h_{t-1}, x_t] + b_g)
        c_t = f_t * c_{t-1} + i_t * g_t
        o_t = σ(W_o·[h_{t-1}, x_t] + w_co * c_t + b_o)      the output gate peeks at the new c_t
        h_t = o_t * tanh(c_t)

    Gate blocks i, f, g, o (G = 4), as LSTMCell's, plus the diagonal peepholes.

    {forget_gated}

    Attributes:
        {weights}
        weight_ci: (H,), the input gate's peephole weights.
        weight_cf: (H,), the forget gate's.
        weight_co: (H,), the output gate's.

    >>> import tinygrad_rnn as tg
    >>> cell = tg.nn.PeepholeLSTMCell(3, 5)
    >>> h, c = cell(tg.zeros(2, 3))
    >>> h.shape, cell.weight_ih.shape, cell.weight_co.shape
    ((2, 5), (20, 3), (5,))
    """

    peepholes = ("weight_ci", "weight_cf", "weight_co")

    def step(self, xw, state, w_hh_t):
        h, c_prev = state
        i, f, g, o = ops.addmm(xw, h, w_hh_t).chunk(4, 1)
        i = (i + self.weight_ci * c_prev).sigmoid().named("i")
        f = (f + self.weight_cf * c_prev).sigmoid().named("f")
        g = g.tanh().named("g")
        c = (f * c_prev + i * g).named("c")
        o = (o + self.weight_co * c).sigmoid().named("o")
        h = (o * c.tanh()).named("h")
        return h, c


@_CELL
class CIFGLSTMCell(LSTMCell):
    """Coupled input and forget gates: one decision for forgetting and writing (the seed's form).

        f_t = σ(W_f·[h_{t-1}, x_t] + b_f)
        g_t = tanh(W_g·[h_{t-1}, x_t] + b_g)
        o_t = σ(W_o·[h_{t-1}, x_t] + b_o)
        c_t = f_t * c_{t-1} + (1 - f_t) * g_t     write exactly where we forget
        h_t = o_t * tanh(c_t)

    Three gate blocks f, g, o (G = 3) in ``weight_ih`` (3H, I), ``weight_hh`` (3H, H) and the biases.

    {forget_gated}

    Attributes:
        {weights}

    >>> import tinygrad_rnn as tg
    >>> cell = tg.nn.CIFGLSTMCell(3, 5)
    >>> h, c = cell(tg.zeros(2, 3))
    >>> h.shape, c.shape, cell.weight_ih.shape
    ((2, 5), (2, 5), (15, 3))
    """

    gate_names = "fgo"

    def step(self, xw, state, w_hh_t):
        h, c = state
        f, g, o = ops.addmm(xw, h, w_hh_t).chunk(3, 1)
        f, g, o = f.sigmoid().named("f"), g.tanh().named("g"), o.sigmoid().named("o")
        c = (f * c + (1 - f) * g).named("c")
        h = (o * c.tanh()).named("h")
        return h, c


@_CELL
class GRUCell(RecurrentCell):
    """Gated recurrent unit (Cho et al. 2014), as ``torch.nn.GRUCell``:

        r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)              reset gate
        z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)              update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Gate blocks r, z, n (G = 3). The seed writes the same cell with z meaning the opposite,
    h_t = (1 - z_t) * h_{t-1} + z_t * h̃_t, and applies r to h_{t-1} before the matmul
    (h̃_t = tanh(W·[r_t * h_{t-1}, x_t])); PyTorch applies r after it, which is what
    ``b_hn`` inside the product expresses. GRU has no cell state: h_t is its memory.

    {plain}

    >>> import tinygrad_rnn as tg
    >>> cell = tg.nn.GRUCell(3, 5)
    >>> h = cell(tg.zeros(2, 3))
    >>> h = cell(tg.zeros(2, 3), h)
    >>> h.shape, cell.weight_ih.shape
    ((2, 5), (15, 3))
    """

    gate_names = "rzn"

    def project(self, x):
        """x Wᵢₕᵀ + bᵢₕ: b_hh stays in the step, since r multiplies b_hn."""
        return x @ self.weight_ih.T if not self.bias else ops.addmm(self.bias_ih, x, self.weight_ih.T)

    def step(self, xw, h, w_hh_t):
        hw = h @ w_hh_t if not self.bias else ops.addmm(self.bias_hh, h, w_hh_t)
        x_r, x_z, x_n = xw.chunk(3, 1)
        h_r, h_z, h_n = hw.chunk(3, 1)
        r = (x_r + h_r).sigmoid().named("r")
        z = (x_z + h_z).sigmoid().named("z")
        n = (x_n + r * h_n).tanh().named("n")
        return ((1 - z) * n + z * h).named("h")


GREFF_VARIANTS = {
    "vanilla": "peephole LSTM with forget gate: the reference of Greff et al. 2017",
    "NIG": "no input gate: i_t = 1",
    "NFG": "no forget gate: f_t = 1 (the cell state only adds up)",
    "NOG": "no output gate: o_t = 1",
    "NIAF": "no input activation function: g_t = W_g·[h_{t-1}, x_t] + b_g, no tanh",
    "NOAF": "no output activation function: h_t = o_t * c_t, no tanh",
    "NP": "no peepholes (LSTMCell)",
    "CIFG": "coupled input and forget gate: f_t = 1 - i_t",
    "FGR": "full gate recurrence: i, f, o also see the previous step's i, f, o through weight_gg (3H, 3H)",
}


@_CELL
class GreffLSTMCell(PeepholeLSTMCell):
    """The LSTM variants of Greff et al. 2017 ("LSTM: A Search Space Odyssey"), each one change
    to the peephole LSTM (``variant="vanilla"``, the equations of PeepholeLSTMCell):

        NIG   i_t = 1                         NOAF  h_t = o_t * c_t
        NFG   f_t = 1                         NP    no peepholes: w_ci = w_cf = w_co = 0
        NOG   o_t = 1                         CIFG  f_t = 1 - i_t
        NIAF  g_t = W_g·[h_{t-1}, x_t] + b_g  FGR   [i f o]_t pre-activations += W_gg [i f o]_{t-1}

    A removed gate has no weight block (NIG: blocks f, g, o; NFG: i, g, o; NOG: i, f, g;
    CIFG: i, g, o; G = 3, else 4) and no peephole. FGR's state is (h, c, [i f o]_{t-1}).

    Args:
        {arguments}
        variant: one of ``GREFF_VARIANTS``: "vanilla", "NIG", "NFG", "NOG", "NIAF", "NOAF",
            "NP", "CIFG" or "FGR". Default: "vanilla".

    Keyword Args:
        {keywords}
        forget_bias: the forget gate's bias at start, as LSTMCell's (not for NFG and CIFG,
            which have no forget block). Default: None.

    {hc_step}
        - FGR's state has a third part, [i f o]_{t-1} (B, 3H): it takes and returns (h, c, ifo).

    Attributes:
        {weights}
        weight_ci: (H,), the input gate's peephole weights (weight_cf, weight_co likewise),
            for each gate the variant keeps; none for NP.
        weight_gg: (3H, 3H), FGR's weights from [i f o]_{t-1} to the gates' pre-activations.

    >>> import tinygrad_rnn as tg
    >>> cell = tg.nn.GreffLSTMCell(3, 5, variant="NFG")
    >>> h, c = cell(tg.zeros(2, 3))
    >>> cell.gate_names, cell.weight_ih.shape, h.shape
    ('igo', (15, 3), (2, 5))
    """

    def __init__(
        self, input_size, hidden_size, variant="vanilla", bias=True, *, device=None, dtype=None, forget_bias=None
    ):
        if variant not in GREFF_VARIANTS:
            raise ValueError(f"GreffLSTMCell: unknown variant {variant!r}; choose from {list(GREFF_VARIANTS)}")
        Module.__init__(self)  # the layout below must exist before the parameters are made
        self.variant = variant
        removed = {"NIG": "i", "NFG": "f", "NOG": "o", "CIFG": "f"}.get(variant, "")
        self.gate_names = "".join(k for k in "ifgo" if k != removed)
        self.peepholes = () if variant == "NP" else tuple(f"weight_c{k}" for k in "ifo" if k in self.gate_names)
        self.state_size = 3 if variant == "FGR" else 2
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype, forget_bias=forget_bias)
        if variant == "FGR":
            self.weight_gg = _parameter((3 * hidden_size, 3 * hidden_size), 1 / math.sqrt(hidden_size), dtype, device)

    def step(self, xw, state, w_hh_t):
        h, c_prev = state[0], state[1]
        pre = dict(zip(self.gate_names, ops.addmm(xw, h, w_hh_t).chunk(len(self.gate_names), 1)))
        if self.variant == "FGR":
            for k, recurrent in zip("ifo", (state[2] @ self.weight_gg.T).chunk(3, 1)):
                pre[k] = pre[k] + recurrent
        peep = {k: getattr(self, f"weight_c{k}") for k in "ifo" if f"weight_c{k}" in self.peepholes}

        def gate(k, c):
            return (pre[k] + peep[k] * c if k in peep else pre[k]).sigmoid().named(k)

        i = gate("i", c_prev) if "i" in pre else None  # None: the gate is constantly 1
        f = gate("f", c_prev) if "f" in pre else ((1 - i).named("f") if self.variant == "CIFG" else None)
        g = (pre["g"] if self.variant == "NIAF" else pre["g"].tanh()).named("g")
        c = ((c_prev if f is None else f * c_prev) + (g if i is None else i * g)).named("c")
        o = gate("o", c) if "o" in pre else None
        out = c if self.variant == "NOAF" else c.tanh()
        h = (out if o is None else o * out).named("h")
        if self.variant == "FGR":
            return h, c, ops.cat([i, f, o], 1)
        return h, c

    def zero_state(self, batch):
        h, c = super().zero_state(batch)
        if self.variant != "FGR":
            return h, c
        return h, c, creation.zeros(batch, 3 * self.hidden_size, dtype=h.dtype, device=h.device)

    def extra_repr(self):
        return super().extra_repr() + f", variant={self.variant!r}"
