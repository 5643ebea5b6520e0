"""Memory and length: what one LSTM training step keeps alive, and how its cost per time step
grows with the sequence length, with Python's garbage collector on (as users run).

Each measurement runs in a fresh process, so that no earlier allocation hides in its numbers.

- memory: the peak resident memory a training step adds (T=1000, B=32, I=64, H=128, float32),
  divided by the activations an LSTM's backward must keep (per step: the four gates, c_t,
  tanh(c_t) and h_{t-1}); for ours, torch.nn.LSTM and an LSTM from torch primitives.
- scaling: microseconds per time step of a training step (B=4, I=8, H=16) at T=1,000,
  10,000 and 100,000, with the collector on, and at T=1,000 and 100,000 with it off.

    python benchmarks/bench_memory.py [--quick] [--part memory|scaling]
"""

import argparse
import json
import subprocess
import sys

MEMORY = dict(T=1000, B=32, I=64, H=128)
SCALING = dict(B=4, I=8, H=16)


def child(kind, T, B, I, H, gc_on=True):
    """Run in a fresh process: one training step of ``kind``; print its peak memory growth
    (bytes) and its seconds, as JSON."""
    import gc
    import time

    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    r = rng.standard_normal((T, B, H)).astype(np.float32)
    if kind == "ours":
        import tinygrad_rnn as tg
        from tinygrad_rnn import nn

        layer = nn.LSTM(I, H)
        x, r = tg.Tensor(x), tg.Tensor(r)

        def step(x, r):
            out, _ = layer(x)
            (out * r).sum().backward()
    else:
        import torch

        torch.set_num_threads(2)
        x, r = torch.from_numpy(x), torch.from_numpy(r)
        if kind == "torch.nn.LSTM":
            layer = torch.nn.LSTM(I, H)

            def step(x, r):
                out, _ = layer(x)
                (out * r).sum().backward()
        else:
            w_ih, w_hh = (torch.randn(4 * H, n).mul_(0.1).requires_grad_() for n in (I, H))
            b = torch.zeros(4 * H, requires_grad=True)

            def step(x, r):
                h = c = torch.zeros(x.shape[1], H)
                hs = []
                xw = x @ w_ih.T + b
                for t in range(x.shape[0]):
                    i, f, g, o = (xw[t] + h @ w_hh.T).chunk(4, 1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                    hs.append(h)
                (torch.stack(hs) * r).sum().backward()

    step(x[:2], r[:2])  # load the code paths and the BLAS buffers
    if not gc_on:
        gc.disable()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak resident size
    before = _status("VmRSS")
    start = time.perf_counter()
    step(x, r)
    seconds = time.perf_counter() - start
    print(json.dumps({"peak_growth": _status("VmHWM") - before, "seconds": seconds}))


def _status(field):
    """A /proc/self/status field, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def fresh(kind, gc_on=True, **size):
    args = [sys.executable, __file__, "--child", json.dumps({"kind": kind, "gc_on": gc_on, **size})]
    run = subprocess.run(args, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"{kind} {size}: {run.stderr.strip()[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def memory(repeats):
    T, B, H = MEMORY["T"], MEMORY["B"], MEMORY["H"]
    must_keep = T * B * H * 7 * 4
    print(f"== memory of one LSTM training step, {MEMORY}, float32, fresh process each")
    print(f"   must keep (4 gates, c_t, tanh c_t, h_t-1 per step): {must_keep / 2**20:.1f} MiB")
    for kind in ("ours", "torch.nn.LSTM", "torch primitive loop"):
        growth = min(fresh(kind, **MEMORY)["peak_growth"] for _ in range(repeats))
        print(f"   {kind:<22} peak growth {growth / 2**20:7.1f} MiB   ratio {growth / must_keep:5.2f}")


def scaling(lengths):
    print(f"== microseconds per time step of one training step, {SCALING}, fresh process each")
    per_step = {}
    for gc_on in (True, False):
        for T in lengths if gc_on else (lengths[0], lengths[-1]):
            seconds = fresh("ours", gc_on=gc_on, T=T, **SCALING)["seconds"]
            per_step[gc_on, T] = seconds / T * 1e6
            print(f"   GC {'on ' if gc_on else 'off'}  T={T:<7} {per_step[gc_on, T]:8.1f} µs per step")
    for gc_on in (True, False):
        ratio = per_step[gc_on, lengths[-1]] / per_step[gc_on, lengths[0]]
        print(f"   GC {'on ' if gc_on else 'off'}: T={lengths[-1]} ÷ T={lengths[0]}: {ratio:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one memory run each; T up to 10,000")
    parser.add_argument("--part", choices=["memory", "scaling"], default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(**json.loads(args.child))
        return
    if args.part in (None, "memory"):
        memory(1 if args.quick else 3)
    if args.part in (None, "scaling"):
        scaling([1000, 10000] if args.quick else [1000, 10000, 100000])


if __name__ == "__main__":
    main()
