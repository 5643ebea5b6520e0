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
# # Seeing gradient flow
#
# Why does an LSTM learn long lags where a plain RNN does not? Backpropagating through time,
# the RNN multiplies its gradient at every step by `W_hhᵀ diag(1 - h_t²)`, and it fades. The
# LSTM's cell state moves along an additive path, `c_{t-1} → × f_t → + → c_t`, where the
# gradient is scaled only by the forget gate. This notebook draws that path in the graphs the
# engine records, with the size of the gradient on every edge, measures how fast the gradient
# fades in each cell, and opens the interactive view.
#
# One convention throughout: the decay of a gradient is the factor by which its norm changes
# per step back in time. **Below 1 it fades**; above 1 it grows.

# %%
import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz

print("running on", tg.default_device())


def inputs(steps, batch=1, size=3, seed=0):
    """Random inputs, (time, batch, features)."""
    return np.random.default_rng(seed).standard_normal((steps, batch, size)).astype(np.float32)


def run(model, x):
    """Run ``model`` over ``x`` and backpropagate the sum of the last step's output, inside
    ``tg.keep_grads()``: the graph keeps its tensors and the gradient along every edge, for
    drawing and reading back. Returns the loss."""
    with tg.keep_grads():
        out, _ = model(tg.Tensor(x))
        loss = out[-1].sum()
        loss.backward()
    return loss


# %% [markdown]
# ## A vanilla RNN and an LSTM, 18 steps
#
# One box per step, the steps left to right; the loss reads the last step. The darker and
# thicker an edge, the larger the gradient that came back along it (one log scale for both
# panels, the legend on top). The RNN's gradient fades towards the first step; the LSTM's
# cell-state belt (the orange rails) carries it back.

# %%
tg.manual_seed(0)
rnn = nn.RNN(3, 8)
tg.manual_seed(0)
lstm = nn.LSTM(3, 8, forget_bias=1.0)
panels_18 = {"vanilla RNN": run(rnn, inputs(18)), "LSTM, forget bias 1": run(lstm, inputs(18))}
viz.draw_panels(panels_18, collapse=True, width=800)

# %% [markdown]
# ## Every primitive
#
# Three steps of each, with every op the engine recorded. The belt is the
# straight line through each step: `c` → `×` (by `f`) → `+` → the next `c`.

# %%
tg.manual_seed(0)
rnn, lstm = nn.RNN(3, 4), nn.LSTM(3, 4, forget_bias=1.0)
panels = {"vanilla RNN": run(rnn, inputs(3)), "LSTM, forget bias 1": run(lstm, inputs(3))}
viz.draw_panels(panels, params=[rnn, lstm], collapse=False, weights=False, width=800)

# %% [markdown]
# ## The numbers behind the colours
#
# The colours are data: `viz.edge_flows(loss)` gives one record per edge, the tensor, the op
# that read it and the norm of the gradient that op sent back along it. Here is the gradient
# that reached each step along the state passed into it: the RNN's `h_{t-1}` (read by step t's
# matrix product, `addmm`) and the LSTM's belt, `c_{t-1}` (read by step t's `mul` by `f_t`).


# %%
def into_steps(loss, state, op):
    """{t: norm of the gradient along the edge that carries ``state`` into step t's ``op``}."""
    return {
        int(e.consumer.scope[-1][1:]): e.norm
        for e in viz.edge_flows(loss)
        if e.tensor is not None and e.tensor.name == state and e.consumer.op == op
    }


rnn_h = into_steps(panels_18["vanilla RNN"], "h", "addmm")
lstm_c = into_steps(panels_18["LSTM, forget bias 1"], "c", "mul")
print(" step   RNN, along h   LSTM, along c")
for t in range(17, 0, -2):
    print(f"{t:5d} {rnn_h[t]:14.2e} {lstm_c[t]:15.2e}")

# %% [markdown]
# ## How fast the gradient fades, measured
#
# `viz.gradient_norms(model, x)` runs a sequence model, backpropagates the sum of the last
# step's output, and returns for every step t the batch mean of ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for
# LSTM-family cells), with the factor per step back in time fitted to them.

# %%
x = inputs(100, batch=16, size=8)
models = {
    "RNN": lambda: nn.RNN(8, 32),
    "LSTM, forget bias 0": lambda: nn.LSTM(8, 32, forget_bias=0.0),
    "LSTM, forget bias 1": lambda: nn.LSTM(8, 32, forget_bias=1.0),
    "LSTM, forget bias 3": lambda: nn.LSTM(8, 32, forget_bias=3.0),
    "GRU": lambda: nn.GRU(8, 32),
}
flows = {}
print(f"{'':20s} ‖dL/dh_t‖ per step back   ‖dL/dh_0‖")
for label, make in models.items():
    tg.manual_seed(0)
    flows[label] = flow = viz.gradient_norms(make(), x)
    print(f"{label:20s} ×{flow.rates['h']:.3f}{flow.h[0]:22.1e}")
assert flows["RNN"].rates["h"] < flows["LSTM, forget bias 1"].rates["h"] < 1  # both fade; the RNN faster

# %% [markdown]
# The curves, on a log scale (dotted: ‖∂L/∂c_t‖):

# %%
figure = viz.plot_gradient_flow(flows)

# %% [markdown]
# Along the belt the gradient is multiplied by `f_t` at each step. With a forget bias of 0 the
# forget gate starts near σ(0) = 0.5 and the LSTM fades almost as fast as the RNN; with 1
# (σ(1) ≈ 0.73) much slower; with 3 (σ(3) ≈ 0.95) the gradient keeps its size over 100 steps.
# The mean forget gate of each model, read from the graph (the tensors named `f`):

# %%
for bias in (0.0, 1.0, 3.0):
    tg.manual_seed(0)
    loss = run(nn.LSTM(8, 32, forget_bias=bias), x)
    gates = {id(e.tensor): e.tensor for e in viz.edge_flows(loss) if e.tensor is not None and e.tensor.name == "f"}
    mean = np.mean([f.numpy().mean() for f in gates.values()])
    print(f"forget bias {bias:.0f}: mean f_t = {mean:.3f} over {len(gates)} steps")

# %% [markdown]
# ## Exploring a graph
#
# `drawing.interactive()` shows the explorable page: the collapsed view with a strip of
# ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ per step under it. Wheel and drag to zoom and pan, hover any box or
# edge for its op, shapes and gradients, click a step to open its primitives, click a box to
# light the paths its gradient takes to the loss, type a name (`c`, `t7`) to find it.
# `viz.render(drawing, "graph.html")` writes the same page to a file that works offline.

# %%
tg.manual_seed(0)
lstm = nn.LSTM(3, 8, forget_bias=1.0)
viz.draw_graph(run(lstm, inputs(12)), params=lstm).interactive()
