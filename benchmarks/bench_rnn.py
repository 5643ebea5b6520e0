"""One float32 training step (forward over T steps, then backward) of our LSTM, GRU and RNN,
against PyTorch on the same machine in the same run, printed as ratios.

Peers, all computing the same loss, sum(output * R) for a fixed random R:
- torch.nn.LSTM / GRU / RNN (fused, oneDNN on the CPU; cuDNN on a GPU);
- a hand-written NumPy LSTM with its backward pass written out (what NumPy can do at best);
- a PyTorch LSTM written from primitive ops in a Python loop (our like-for-like peer);
- the bare matrix products of the LSTM step in NumPy (a floor, not a peer).

    python benchmarks/bench_rnn.py [--quick] [--sizes tiny,medium,large] [--device cuda]

Memory, and cost per step at long T: benchmarks/bench_memory.py.
"""

import argparse
import time

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn

try:
    import torch

    torch.set_num_threads(2)
except ImportError:
    torch = None

SIZES = {  # name: (B, T, I, H)
    "tiny": (1, 20, 8, 16),
    "medium": (32, 50, 64, 128),
    "large": (64, 100, 128, 256),
    "gpu": (256, 100, 1024, 1024),
}


def interleaved_min(fns, repeats):
    """The least seconds per call of each function, over ``repeats`` rounds taking them in turn."""
    for fn in fns.values():
        fn()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


# -- our layers -------------------------------------------------------------------


def ours_step(kind, B, T, I, H, device, rng, **options):
    layer = getattr(nn, kind)(I, H, device=device, **options)
    x = tg.Tensor(rng.standard_normal((T, B, I)).astype(np.float32), device=device)
    r = tg.Tensor(rng.standard_normal((T, B, H)).astype(np.float32), device=device)
    return _step(layer, x, r, _sync_for(device))


def _step(layer, x, r, sync):
    """One training step of a layer with torch.nn's interface (ours and PyTorch's alike)."""

    def step():
        layer.zero_grad()
        out, _ = layer(x)
        (out * r).sum().backward()
        sync()

    return step


def _sync_for(device):
    if device == "cuda":
        import cupy

        return cupy.cuda.Device().synchronize
    return lambda: None


# -- PyTorch peers ------------------------------------------------------------------


def torch_step(kind, B, T, I, H, device, rng):
    dev = "cuda" if device == "cuda" else "cpu"
    layer = getattr(torch.nn, kind)(I, H).to(dev)
    x = torch.tensor(rng.standard_normal((T, B, I)).astype(np.float32), device=dev)
    r = torch.tensor(rng.standard_normal((T, B, H)).astype(np.float32), device=dev)
    return _step(layer, x, r, torch.cuda.synchronize if dev == "cuda" else (lambda: None))


def torch_primitive_lstm_step(B, T, I, H, rng):
    """An LSTM written from PyTorch's primitive ops in a Python loop (per-op overhead peer)."""
    bound = 1 / np.sqrt(H)
    w_ih, w_hh = (torch.empty(4 * H, n).uniform_(-bound, bound).requires_grad_() for n in (I, H))
    b = torch.empty(4 * H).uniform_(-bound, bound).requires_grad_()
    x = torch.tensor(rng.standard_normal((T, B, I)).astype(np.float32))
    r = torch.tensor(rng.standard_normal((T, B, H)).astype(np.float32))

    def step():
        for p in (w_ih, w_hh, b):
            p.grad = None
        h = c = torch.zeros(B, H)
        loss = 0
        for t in range(T):
            i, f, g, o = (x[t] @ w_ih.T + h @ w_hh.T + b).chunk(4, 1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            loss = loss + (h * r[t]).sum()
        loss.backward()

    return step


# -- NumPy peers --------------------------------------------------------------------


def numpy_lstm_step(B, T, I, H, rng):
    """LSTM forward and backward written out in NumPy: the fastest NumPy can do it."""
    bound = 1 / np.sqrt(H)
    w_ih = rng.uniform(-bound, bound, (4 * H, I)).astype(np.float32)
    w_hh = rng.uniform(-bound, bound, (4 * H, H)).astype(np.float32)
    b = rng.uniform(-bound, bound, 4 * H).astype(np.float32)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    r = rng.standard_normal((T, B, H)).astype(np.float32)

    def step():
        xw = x.reshape(T * B, I) @ w_ih.T + b
        xw = xw.reshape(T, B, 4 * H)
        hs = np.zeros((T + 1, B, H), np.float32)
        cs = np.zeros((T + 1, B, H), np.float32)
        acts = np.empty((T, B, 4 * H), np.float32)
        tanh_c = np.empty((T, B, H), np.float32)
        for t in range(T):
            a = xw[t] + hs[t] @ w_hh.T
            a[:, : 2 * H] = 0.5 + 0.5 * np.tanh(0.5 * a[:, : 2 * H])  # i, f
            a[:, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])  # g
            a[:, 3 * H :] = 0.5 + 0.5 * np.tanh(0.5 * a[:, 3 * H :])  # o
            acts[t] = a
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            cs[t + 1] = f * cs[t] + i * g
            tanh_c[t] = np.tanh(cs[t + 1])
            hs[t + 1] = o * tanh_c[t]
        d_pre = np.empty((T, B, 4 * H), np.float32)
        dh_next = np.zeros((B, H), np.float32)
        dc_next = np.zeros((B, H), np.float32)
        for t in reversed(range(T)):
            a = acts[t]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            dh = r[t] + dh_next
            dc = dc_next + dh * o * (1 - tanh_c[t] ** 2)
            d = d_pre[t]
            d[:, :H] = dc * g * i * (1 - i)
            d[:, H : 2 * H] = dc * cs[t] * f * (1 - f)
            d[:, 2 * H : 3 * H] = dc * i * (1 - g * g)
            d[:, 3 * H :] = dh * tanh_c[t] * o * (1 - o)
            dh_next = d @ w_hh
            dc_next = dc * f
        flat = d_pre.reshape(T * B, 4 * H)
        grad_w_hh = flat.T @ hs[:-1].reshape(T * B, H)
        grad_w_ih = flat.T @ x.reshape(T * B, I)
        grad_b = flat.sum(0)
        grad_x = (flat @ w_ih).reshape(T, B, I)
        return grad_w_hh, grad_w_ih, grad_b, grad_x

    return step


def numpy_gemms_step(B, T, I, H, rng):
    """Only the matrix products of an LSTM training step (forward and backward): a floor."""
    w_ih = rng.standard_normal((4 * H, I)).astype(np.float32)
    w_hh = rng.standard_normal((4 * H, H)).astype(np.float32)
    x = rng.standard_normal((T * B, I)).astype(np.float32)
    h = rng.standard_normal((B, H)).astype(np.float32)
    d = rng.standard_normal((B, 4 * H)).astype(np.float32)
    d_all = rng.standard_normal((T * B, 4 * H)).astype(np.float32)
    h_all = rng.standard_normal((T * B, H)).astype(np.float32)

    def step():
        x @ w_ih.T
        for _ in range(T):
            h @ w_hh.T
            d @ w_hh
        d_all.T @ h_all
        d_all.T @ x
        d_all @ w_ih

    return step


# -- the runs -------------------------------------------------------------------------


def run_size(name, repeats, device):
    B, T, I, H = SIZES[name]
    rng = np.random.default_rng(0)
    fns = {f"ours {k}": ours_step(k, B, T, I, H, device, rng) for k in ("LSTM", "GRU", "RNN")}
    fns["ours LSTM fused"] = ours_step("LSTM", B, T, I, H, device, rng, fused=True)
    if torch is not None and (device == "cpu" or torch.cuda.is_available()):
        fns.update({f"torch {k}": torch_step(k, B, T, I, H, device, rng) for k in ("LSTM", "GRU", "RNN")})
        if device == "cpu":
            fns["torch primitive LSTM"] = torch_primitive_lstm_step(B, T, I, H, rng)
    if device == "cpu":
        fns["numpy LSTM"] = numpy_lstm_step(B, T, I, H, rng)
        fns["numpy GEMMs only"] = numpy_gemms_step(B, T, I, H, rng)
    best = interleaved_min(fns, repeats)
    print(f"\n{name}: B={B}, T={T}, I={I}, H={H} ({device}); milliseconds per training step (least of {repeats})")
    for k, v in best.items():
        print(f"  {k:<22}{v * 1e3:10.2f}")
    ratios = {}
    for kind in ("LSTM", "GRU", "RNN"):
        if f"torch {kind}" in best:
            ratios[f"ours {kind} / torch.nn.{kind}"] = best[f"ours {kind}"] / best[f"torch {kind}"]
    if "numpy LSTM" in best:
        ratios["ours LSTM / numpy LSTM"] = best["ours LSTM"] / best["numpy LSTM"]
    if "torch primitive LSTM" in best:
        ratios["ours LSTM / torch primitive LSTM"] = best["ours LSTM"] / best["torch primitive LSTM"]
        ratios["ours LSTM fused / torch primitive LSTM"] = best["ours LSTM fused"] / best["torch primitive LSTM"]
    if "torch LSTM" in best:
        ratios["ours LSTM fused / torch.nn.LSTM"] = best["ours LSTM fused"] / best["torch LSTM"]
    for k, v in ratios.items():
        print(f"  {k:<36}{v:8.2f}")
    return ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny and medium sizes, fewer repeats")
    parser.add_argument("--sizes", default=None, help="comma-separated: tiny, medium, large, gpu")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    sizes = args.sizes.split(",") if args.sizes else (["tiny", "medium"] if args.quick else ["tiny", "medium", "large"])
    repeats = args.repeats or (3 if args.quick else 7)
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", no torch"))
    targets = {"large": (1.10, 1.10), "medium": (1.5, 1.15)}
    for name in sizes:
        ratios = run_size(name, repeats, args.device)
        checks = []
        if name in targets and "ours LSTM / torch.nn.LSTM" in ratios:
            to_torch, to_numpy = targets[name]
            checks = [("ours LSTM / torch.nn.LSTM", to_torch), ("ours LSTM / numpy LSTM", to_numpy)]
        if name == "tiny" and "ours LSTM / torch primitive LSTM" in ratios:
            checks = [("ours LSTM / torch primitive LSTM", 0.5), ("ours LSTM fused / torch primitive LSTM", 0.5)]
        for key, target in checks:
            verdict = "meets" if ratios[key] <= target else "misses"
            print(f"  target {key} <= {target}: {ratios[key]:.2f}, {verdict}")


if __name__ == "__main__":
    main()
