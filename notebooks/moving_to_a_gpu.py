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
# # Moving to a GPU
#
# `tinygrad_rnn` computes with NumPy on the CPU and with CuPy on an NVIDIA GPU; every op asks its
# input for its array module, so the same code runs on both. This notebook moves tensors, a
# model and its training to the GPU, checks that the results match the CPU's, and saves the
# model so that a machine without a GPU can load it.
#
# It runs anywhere: without a GPU (no CuPy, or no device visible) every cell runs on the CPU
# and says so. To use a GPU, install the CuPy build for your CUDA version
# (`pip install -e ".[gpu]"` gives `cupy-cuda12x`).

# %%
import os
import tempfile
import time

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim

try:
    tg.get_device("cuda")  # says what is missing when it cannot: CuPy, or a GPU it can see
    device = "cuda"
except RuntimeError as why:
    print(f"no GPU here, so this notebook runs on the CPU: {why}")
    device = "cpu"
print("device:", device, "| default device for new tensors:", tg.default_device())

# %% [markdown]
# ## Tensors
#
# Devices are the strings `"cpu"` and `"cuda"`, as in PyTorch. A tensor is made on a device
# (`device=`) or moved there (`.to(device)`, `.cuda()`, `.cpu()`). Moving is itself an op of the
# graph, so gradients flow back to the tensor you started from, on its own device.

# %%
x = tg.Tensor([[1.0, -2.0, 0.5]], requires_grad=True)  # on the default device
y = x.to(device)
loss = (y * y).sum()
loss.backward()
print(f"x on {x.device}, y on {y.device}, loss on {loss.device}; x.grad on {x.grad.device}: {x.grad.numpy()}")

# %% [markdown]
# `.numpy()` and `.item()` always give host values (copied from the GPU when needed). An op whose
# inputs live on two devices is an error that names both:

# %%
if device != "cpu":
    try:
        tg.randn(2, device="cpu") + tg.randn(2, device=device)
    except Exception as mixed:
        print(type(mixed).__name__, ":", mixed)
else:
    print("(one device only here: nothing to mix)")

# %% [markdown]
# ## A model
#
# `Module.to(device)` moves every parameter in place, so an optimizer made before the move
# still holds them. Here an LSTM runs on the CPU, moves, and runs again on the same input.

# %%
tg.manual_seed(0)
model = nn.LSTM(8, 32, num_layers=2)
head = nn.Linear(32, 1)
x = np.random.default_rng(0).standard_normal((20, 16, 8)).astype(np.float32)

out_cpu, _ = model.to("cpu")(tg.Tensor(x, device="cpu"))
model.to(device)
head.to(device)
out_dev, (h_n, c_n) = model(tg.Tensor(x, device=device))
print(f"output {out_dev.shape} on {out_dev.device}, weight_hh_l0 on {model.weight_hh_l0.device}")
difference = np.abs(out_dev.numpy() - out_cpu.numpy()).max()
print(f"largest difference from the CPU: {difference:.1e}")
assert difference < 1e-4

# %% [markdown]
# ## Training on the device
#
# Nothing in a training loop names the device except the data: the inputs go where the model
# is. The task: the sum of each sequence's first feature.

# %%
params = list(model.parameters()) + list(head.parameters())
opt = optim.Adam(params, lr=1e-2)
rng = np.random.default_rng(1)


def batch(n=16, steps=20):
    values = rng.uniform(-1, 1, (steps, n, 8)).astype(np.float32)
    target = values[:, :, :1].sum(0) / steps**0.5  # a Python float keeps float32
    return tg.Tensor(values, device=device), tg.Tensor(target, device=device)


start = time.perf_counter()
for step in range(61):
    inputs, target = batch()
    out, _ = model(inputs)
    loss = nn.functional.mse_loss(head(out[-1]), target)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    if step % 20 == 0:
        print(f"step {step:3d}  mse {loss.item():.4f}")
print(f"{(time.perf_counter() - start) / 61 * 1e3:.0f} ms per training step on {device}")

# %% [markdown]
# ## The fused LSTM step
#
# `nn.LSTM(..., fused=True)` computes the elementwise part of each step (the gates, the cell
# state, the output) as one node with a written-out backward, instead of a dozen primitive
# nodes. It gives the same numbers; it is faster, most of all on a GPU where every primitive is
# a kernel launch. The drawings show the primitive path, so `fused=False` is the default.

# %%
fused = nn.LSTM(8, 32, num_layers=2, fused=True, device=device)
fused.load_state_dict(model.state_dict())
inputs, _ = batch()
for name, layer in (("primitive", model), ("fused", fused)):
    start = time.perf_counter()
    for _ in range(5):
        out, _ = layer(inputs)
        out[-1].sum().backward()
    print(f"{name:9s} {(time.perf_counter() - start) / 5 * 1e3:6.1f} ms per forward and backward")
assert np.allclose(model(inputs)[0].numpy(), fused(inputs)[0].numpy(), atol=1e-5)

# %% [markdown]
# ## Saving and loading across devices
#
# `tg.save` writes a state dict as a `.npz` file of plain host arrays (no pickle), whatever device
# the model is on; `load_state_dict` copies them to wherever the model's parameters live.

# %%
path = os.path.join(tempfile.mkdtemp(), "lstm.npz")
tg.save(model.state_dict(), path)
on_cpu = nn.LSTM(8, 32, num_layers=2, device="cpu")
on_cpu.load_state_dict(tg.load(path))
again, _ = on_cpu(tg.Tensor(inputs.numpy(), device="cpu"))
difference = np.abs(again.numpy() - model(inputs)[0].numpy()).max()
print(f"loaded on {on_cpu.weight_ih_l0.device}; largest difference from the model on {device}: {difference:.1e}")
assert difference < 1e-4

# %% [markdown]
# ## Everything on the GPU at once
#
# Instead of naming the device, set it once: `tg.set_default_device("cuda")` in code, or the
# environment variable `TINYGRAD_RNN_DEVICE=cuda` before Python starts. Every new tensor and
# every new module's parameters are then made there. (The project's notebook runner uses the
# variable to run these notebooks on each backend.)
