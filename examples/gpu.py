"""Moving a model to the GPU: the same code on NumPy or CuPy.

    python examples/gpu.py

On a machine where CuPy sees a GPU, the LSTM runs there and its result is compared with
the CPU's; elsewhere the example says why it cannot, and runs on the CPU.
"""

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn

device = "cuda" if tg.cuda_available() else "cpu"
if device == "cpu":
    try:
        tg.get_device("cuda")
    except RuntimeError as why:
        print(f"no GPU here, running on the CPU ({why})")

tg.manual_seed(0)
model = nn.LSTM(8, 16, num_layers=2)
x = np.random.default_rng(0).standard_normal((20, 4, 8)).astype(np.float32)

out_cpu, _ = model(tg.Tensor(x))
model.to(device)  # parameters move in place: an optimizer made before still holds them
out_dev, (h, c) = model(tg.Tensor(x, device=device))
out_dev.sum().backward()
print(f"ran on {out_dev.device}; output {out_dev.shape}, h_n {h.shape}")
print(f"weight_hh_l0.grad lives on {model.weight_hh_l0.grad.device}")
print(f"largest difference from the CPU result: {np.abs(out_dev.numpy() - out_cpu.numpy()).max():.2e}")
# Or set it once for everything: tg.set_default_device("cuda"), or TINYGRAD_RNN_DEVICE=cuda.
