"""An LSTM cell written by hand from primitive ops, checked against nn.LSTMCell.

    python examples/lstm_by_hand.py

The four gates come from one matrix product, cut in four; each line below is one of the
seed's equations. With the same weights, the hand-written cell and nn.LSTMCell agree to
rounding, in the forward pass and in every gradient.
"""

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn


def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # W·[h_{t-1}, x_t] + b, for all four gates
    i, f, g, o = gates.chunk(4, 1)
    i = i.sigmoid()  # what do I write?   (input gate)
    f = f.sigmoid()  # what do I forget?  (forget gate)
    g = g.tanh()  # what could I write  (the candidate C~_t)
    o = o.sigmoid()  # what do I read out? (output gate)
    c = f * c + i * g  # forget and write together: the cell state
    h = o * c.tanh()
    return h, c


tg.manual_seed(0)
cell = nn.LSTMCell(3, 5).double()
rng = np.random.default_rng(0)
x = tg.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
h0 = tg.Tensor(rng.standard_normal((2, 5)), requires_grad=True)
c0 = tg.Tensor(rng.standard_normal((2, 5)), requires_grad=True)

h_ours, c_ours = lstm_step(x, h0, c0, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
(h_ours.sum() + c_ours.sum()).backward()
by_hand = [t.grad.numpy().copy() for t in (x, h0, c0, cell.weight_ih)]

for t in (x, h0, c0, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh):
    t.grad = None
h_ref, c_ref = cell(x, (h0, c0))
(h_ref.sum() + c_ref.sum()).backward()
reference = [t.grad.numpy() for t in (x, h0, c0, cell.weight_ih)]

print("largest difference in h:", np.abs(h_ours.numpy() - h_ref.numpy()).max())
print("largest difference in c:", np.abs(c_ours.numpy() - c_ref.numpy()).max())
for name, a, b in zip(("x", "h0", "c0", "weight_ih"), by_hand, reference):
    print(f"largest difference in d/d{name}: {np.abs(a - b).max():.1e}")
    assert np.allclose(a, b, atol=1e-12)
print("the hand-written cell and nn.LSTMCell agree")
