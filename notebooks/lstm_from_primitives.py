# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Building an LSTM and its variants from primitives
#
# An LSTM step is a handful of primitive operations: one matrix product, a cut into four
# blocks, three sigmoids, two tanhs, three products and a sum. Here we write that step
# ourselves with `tinygrad_rnn`'s primitives, check it against `nn.LSTMCell` in the
# forward pass and in every gradient, draw the graph it records, and change a few lines to
# get the peephole LSTM and the coupled-gate (CIFG) LSTM. Every gate is a node of the graph.
#
# The notebook runs on the default device: the CPU, or the GPU when `TINYGRAD_RNN_DEVICE=cuda`
# is set before it starts.

# %%
import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim, viz

tg.manual_seed(0)
rng = np.random.default_rng(0)
print("running on", tg.default_device())

# %% [markdown]
# ## Primitives and the graph they record
#
# Every operation on a tensor that requires a gradient records a node: the op's name, where
# its inputs came from, and what its backward pass will need. `backward()` walks those nodes
# from the result back to the leaves.

# %%
x = tg.Tensor([[1.0, -2.0, 0.5]], requires_grad=True)
w = tg.randn(3, 2, requires_grad=True)
loss = (x @ w).tanh().sum()
loss.backward()
print("the loss was made by", loss.creator.op, "from", loss.creator.source(0)[0].op)
print("d loss / d w =\n", w.grad.numpy())

# %% [markdown]
# ## One LSTM step, written out
#
# The seed's four questions, one line each. As in PyTorch, the weights of the four gates are
# stacked in one matrix in the order i, f, g, o, so one product gives every gate's input and
# `chunk` cuts it in four.


# %%
def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
    f = f.sigmoid()  # what do I forget?  0: forget, 1: keep
    i, g = i.sigmoid(), g.tanh()  # what do I write? whether (i) and what (g, the candidate)
    c = f * c + i * g  # forget and write together: the cell state, the "belt"
    h = o.sigmoid() * c.tanh()  # what do I read out?
    return h, c


# %% [markdown]
# With the weights of an `nn.LSTMCell`, our step and the library's agree. In float64 they agree
# to rounding in the forward pass and in the gradient of every input and weight.

# %%
cell = nn.LSTMCell(3, 5).double()
weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
x = tg.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
h0 = tg.Tensor(rng.standard_normal((2, 5)), requires_grad=True)
c0 = tg.Tensor(rng.standard_normal((2, 5)), requires_grad=True)


def gradients(step):
    """Run one step, backpropagate h.sum() + c.sum(), return the values and every gradient."""
    for t in (x, h0, c0, *weights):
        t.grad = None
    h, c = step()
    (h.sum() + c.sum()).backward()
    return [h.numpy(), c.numpy()] + [t.grad.numpy() for t in (x, h0, c0, *weights)]


ours = gradients(lambda: lstm_step(x, h0, c0, *weights))
library = gradients(lambda: cell(x, (h0, c0)))
names = ["h", "c", "dx", "dh0", "dc0", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh"]
for name, a, b in zip(names, ours, library):
    print(f"{name:11s} largest difference {np.abs(a - b).max():.1e}")
    assert np.allclose(a, b, rtol=1e-12, atol=1e-12)

# %% [markdown]
# The gradients also agree with central differences (`tg.gradcheck` compares them element by
# element, in float64):

# %%
print(tg.gradcheck(lambda x, h, c: sum(t.sum() for t in lstm_step(x, h, c, *weights)), [x, h0, c0]))

# %% [markdown]
# ## The graph of one step
#
# Inside `tg.keep_grads()` every node keeps what a drawing needs, and the backward pass records
# the gradient sent along each edge. A drawing shows inline: the cell-state path
# `c_{t-1} → × f → + → c_t` runs straight through the step (orange rails), and each edge's
# colour is the size of the gradient that came back along it. `highlight="forget"` lights the
# first of the seed's questions.

# %%
lstm = nn.LSTM(3, 4, forget_bias=1.0)
out, _ = lstm(tg.randn(2, 1, 3))
with tg.keep_grads():
    out[-1].sum().backward()
viz.draw_graph(out[-1].sum(), params=lstm, highlight="forget", weights=False, width=800)

# %% [markdown]
# ## Over time
#
# A sequence is the step in a loop. `tg.scope("t3")` stamps the nodes made inside it, which is
# how a drawing finds the time steps: `nn.LSTM` does exactly this, and with its weights our loop
# gives its output.

# %%
layer = nn.LSTM(3, 5)
xs = tg.randn(6, 2, 3)  # (time, batch, features)
h, c = tg.zeros(2, 5), tg.zeros(2, 5)
weights = (layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0, layer.bias_hh_l0)
for t in range(6):
    with tg.scope(f"t{t}"):
        h, c = lstm_step(xs[t], h, c, *weights)
out, (h_n, c_n) = layer(xs)
print("largest difference from nn.LSTM:", np.abs(h.numpy() - h_n.numpy()[0]).max())
assert np.allclose(h.numpy(), h_n.numpy()[0], atol=1e-6)

# %% [markdown]
# ## Variants: a few lines each
#
# **Peephole LSTM** (Gers & Schmidhuber 2000): the gates also look at the cell state, one weight
# per unit; the output gate looks at the new one.


# %%
def peephole_step(x, h, c, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
    i, f = (i + w_ci * c).sigmoid(), (f + w_cf * c).sigmoid()
    c = f * c + i * g.tanh()
    o = (o + w_co * c).sigmoid()
    return o * c.tanh(), c


# %% [markdown]
# **CIFG** (coupled input and forget gates): no input gate; the cell writes exactly where it
# forgets, `1 - f`. A quarter fewer weights.


# %%
def cifg_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(3, 1)
    f = f.sigmoid()
    c = f * c + (1 - f) * g.tanh()
    return o.sigmoid() * c.tanh(), c


# %% [markdown]
# Both agree with the library's cells, which are written the same way:

# %%
x, h0, c0 = tg.randn(2, 3), tg.randn(2, 5), tg.randn(2, 5)
variants = {
    "peephole": (peephole_step, nn.PeepholeLSTMCell(3, 5), ["weight_ci", "weight_cf", "weight_co"]),
    "CIFG": (cifg_step, nn.CIFGLSTMCell(3, 5), []),
}
for name, (step, cell, extra) in variants.items():
    params = [getattr(cell, p) for p in ["weight_ih", "weight_hh", "bias_ih", "bias_hh", *extra]]
    h_ours, _ = step(x, h0, c0, *params)
    h_lib, _ = cell(x, (h0, c0))
    count = sum(p.numel() for p in cell.parameters())
    print(f"{name:9s} {count:3d} parameters, largest difference {np.abs(h_ours.numpy() - h_lib.numpy()).max():.1e}")
    assert np.allclose(h_ours.numpy(), h_lib.numpy(), atol=1e-6)

# %% [markdown]
# The eight one-change variants of Greff et al. (2017), "LSTM: A Search Space Odyssey", are all
# in `nn.GreffLSTMCell(variant=...)`. Their sizes for 3 inputs and 5 units:

# %%
for variant in nn.GREFF_VARIANTS:
    cell = nn.GreffLSTMCell(3, 5, variant=variant)
    print(f"{variant:8s} {sum(p.numel() for p in cell.parameters()):4d} parameters")

# %% [markdown]
# ## Our step learns
#
# Nothing about the hand-written step is special: give its weights to an optimizer and it
# trains. The task: read a sequence of 8 numbers and output the first one, which the cell
# must carry along its belt for 8 steps.

# %%
tg.manual_seed(0)
cell, head = nn.LSTMCell(1, 16, forget_bias=1.0), nn.Linear(16, 1)
weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
opt = optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=0.02)
for step in range(151):
    xs = tg.Tensor(rng.uniform(-1, 1, (8, 32, 1)).astype(np.float32))
    h, c = tg.zeros(32, 16), tg.zeros(32, 16)
    for t in range(8):
        h, c = lstm_step(xs[t], h, c, *weights)
    loss = nn.functional.mse_loss(head(h), xs[0])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 30 == 0:
        print(f"step {step:3d}  mse {loss.item():.4f}")
print("predicting 0 always gives an mse of about 0.33")
assert loss.item() < 0.1
