"""BLAS threads: where several threads start to pay for a matrix product, and what the
library's policy (one thread below ``backend.blas.LARGE`` multiply-adds, all above unless
the cores are found contended) gives
for an LSTM training step, on an idle machine and beside a busy process.

Three ways to run every product, compared in the same run, interleaved:
- ``one``: every product on one thread (``tg.set_num_threads(1)``);
- ``all``: every product on all threads (NumPy's default, and this library's before the policy);
- ``policy``: the library's default.

    python benchmarks/bench_threads.py [--quick] [--busy 0,1]
"""

import argparse
import contextlib
import os
import subprocess
import sys
import time

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import backend, nn

PRODUCTS = [  # (m, k, n): the recurrent and input products of small and large LSTMs, and beyond
    (32, 64, 256),
    (64, 128, 512),
    (32, 128, 512),
    (64, 256, 1024),
    (128, 256, 1024),
    (256, 256, 1024),
    (3200, 64, 256),
    (6400, 128, 1024),
    (1024, 1024, 1024),
]
STEPS = {"small": (32, 100, 64, 64), "large": (64, 100, 128, 256)}  # name: (B, T, I, H)


@contextlib.contextmanager
def busy(processes):
    """``processes`` other programs keeping a core busy each, for the time of the block."""
    spin = [sys.executable, "-c", "while True: pass"]
    others = [subprocess.Popen(spin) for _ in range(processes)]
    try:
        time.sleep(0.3 if others else 0)
        yield
    finally:
        for p in others:
            p.kill()
            p.wait()


@contextlib.contextmanager
def mode(name, many):
    """Run the block's products as ``name`` says: one, all or policy (whose state, what it
    learnt of the machine, carries on from one policy block to the next)."""
    blas = backend.blas
    old = blas.LARGE, blas.BACKOFF, blas.contended_until, blas.strikes
    tg.set_num_threads(1 if name == "one" else many)
    if name == "all":
        blas.LARGE, blas.BACKOFF, blas.contended_until = 0, 0.0, 0.0
    try:
        yield
    finally:
        if name != "policy":
            blas.contended_until, blas.strikes = old[2:]
        blas.LARGE, blas.BACKOFF = old[:2]
        tg.set_num_threads(many)


def interleaved_median(fns, rounds):
    """The median seconds per call of each function over ``rounds`` rounds taking them in turn
    (the median, not the least: beside a busy process the slow calls are the point)."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, (fn, ctx) in fns.items():
            with ctx():
                fn()
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def product_table(many, rounds):
    rng = np.random.default_rng(0)
    print(f"{'m×k×n':>16} {'m·k·n':>9} {'1 thread':>10} {f'{many} threads':>11} {'ratio':>6}  policy")
    for m, k, n in PRODUCTS:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        reps = max(1, int(3e7 / (m * k * n)))

        def product():
            for _ in range(reps):
                backend.matmul(a, b)

        best = interleaved_median(
            {"one": (product, lambda: mode("one", many)), "all": (product, lambda: mode("all", many))}, rounds
        )
        one, all_ = best["one"] / reps, best["all"] / reps
        chosen = 1 if m * k * n < backend.blas.LARGE else f"{many} (1 when contended)"
        print(f"{m}×{k}×{n:<6} {m * k * n:9.1e} {one * 1e6:8.0f}µs {all_ * 1e6:9.0f}µs {all_ / one:6.2f}  {chosen}")


def lstm_step(B, T, I, H):
    rng = np.random.default_rng(0)
    layer = nn.LSTM(I, H)
    x = tg.Tensor(rng.standard_normal((T, B, I)).astype(np.float32))
    r = tg.Tensor(rng.standard_normal((T, B, H)).astype(np.float32))

    def step():
        layer.zero_grad()
        out, _ = layer(x)
        (out * r).sum().backward()

    return step


def step_table(many, rounds, sizes):
    for size in sizes:
        step = lstm_step(*STEPS[size])
        best = interleaved_median(
            {name: (step, lambda n=name: mode(n, many)) for name in ("one", "all", "policy")}, rounds
        )
        B, T, I, H = STEPS[size]
        cells = "  ".join(f"{name} {best[name] * 1e3:7.1f} ms ({best[name] / best['one']:.2f}×)" for name in best)
        print(f"LSTM step {size} (B={B}, T={T}, I={I}, H={H}):  {cells}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, small step only")
    parser.add_argument("--busy", default="0,1", help="comma-separated numbers of busy processes to run beside")
    args = parser.parse_args()
    many = tg.get_num_threads()
    rounds = 5 if args.quick else 15
    print(
        f"{os.cpu_count()} cores; BLAS: {many} threads by default; policy: one thread below "
        f"{backend.blas.LARGE:.1e} multiply-adds"
    )
    for processes in (int(p) for p in args.busy.split(",")):
        print(f"\n== {processes} busy process(es) beside")
        with busy(processes):
            product_table(many, rounds)
            step_table(many, rounds, ["small"] if args.quick else ["small", "large"])


if __name__ == "__main__":
    main()
