"""Per-op cost (forward + backward) of tinygrad_rnn against PyTorch eager mode and raw NumPy.

Each op is applied CHAIN times in a row to a tensor that requires grad, then one backward()
runs through the chain; the time per op is the whole divided by CHAIN. The "single" column
times one op plus its backward() call, where the cost of starting a backward pass counts too.
NumPy's column is the bare forward and backward arrays of the same op, with no framework.
Ratios below 1 mean tinygrad_rnn is faster. Every number comes from this one run.

    python benchmarks/bench_core.py [--quick]
"""

import argparse
import time

import numpy as np

import tinygrad_rnn as tg

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # the table then has no PyTorch column
    torch = None

CHAIN = 32
PERM = PERM_T = None  # the index op's permutation, set per shape


def best_of(fn, repeats, number):
    """The least, over ``repeats``, time per call of ``number`` calls (seconds): the run
    least disturbed by the rest of the machine, as ``timeit`` advises."""
    for _ in range(number):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


# name: (our op, torch op, numpy forward+backward); each maps (x, w) to a tensor shaped as x.
OPS = {
    "add": (lambda x, w: x + w, lambda x, w: x + w, lambda x, w, g: (x + w, g, g)),
    "mul": (lambda x, w: x * w, lambda x, w: x * w, lambda x, w, g: (x * w, g * w, g * x)),
    "div": (lambda x, w: x / w, lambda x, w: x / w, lambda x, w, g: (x / w, g / w, -g * x / (w * w))),
    "tanh": (
        lambda x, w: x.tanh(),
        lambda x, w: x.tanh(),
        lambda x, w, g: (lambda y: (y, g * (1 - y * y)))(np.tanh(x)),
    ),
    "sigmoid": (
        lambda x, w: x.sigmoid(),
        lambda x, w: x.sigmoid(),
        lambda x, w, g: (lambda y: (y, g * y * (1 - y)))(1 / (1 + np.exp(-x))),
    ),
    "exp": (
        lambda x, w: (x * 0.01).exp(),
        lambda x, w: (x * 0.01).exp(),
        lambda x, w, g: (lambda y: (y, g * y))(np.exp(x)),
    ),
    "relu": (lambda x, w: x.relu(), lambda x, w: x.relu(), lambda x, w, g: (np.maximum(x, 0), g * (x > 0))),
    "matmul": (lambda x, w: x @ w, lambda x, w: x @ w, lambda x, w, g: (x @ w, g @ w.T, x.T @ g)),
    "sum+reshape": (
        lambda x, w: x.sum(0, keepdims=True).reshape(1, -1) + w,
        lambda x, w: x.sum(0, keepdim=True).reshape(1, -1) + w,
        lambda x, w, g: (x.sum(0, keepdims=True), np.broadcast_to(g.sum(0, keepdims=True), x.shape)),
    ),
    "index": (
        lambda x, w: x[PERM],
        lambda x, w: x[PERM_T],
        lambda x, w, g: (x[PERM], np.add.at(np.zeros_like(x), PERM, g)),
    ),
}


def chain(op, x, w, grad, backward):
    def run():
        y = x
        for _ in range(CHAIN):
            y = op(y, w)
        backward(y, grad)

    return run


def measure(shape, repeats, number):
    rng = np.random.default_rng(0)
    x0 = (rng.standard_normal(shape) * 0.1 + 1).astype(np.float32)
    w0 = (rng.standard_normal(shape) * 0.1 + 1).astype(np.float32)
    g0 = np.ones(shape, np.float32)
    global PERM, PERM_T
    PERM = np.arange(shape[0])[::-1].copy()
    if torch is not None:
        PERM_T = torch.from_numpy(PERM)
    rows = []
    for name, (ours, theirs, raw) in OPS.items():
        x1, w1, g1 = x0, w0, g0
        if name in ("matmul", "sum+reshape") and len(shape) == 1:
            x1, w1, g1 = x0.reshape(1, 1), w0.reshape(1, 1), g0.reshape(1, 1)
        if name == "matmul":  # near the identity, so a chain of products stays bounded
            w1 = (np.eye(len(w1), dtype=np.float32) + 0.01 * w1).astype(np.float32)
        x = tg.Tensor(x1, requires_grad=True)
        w = tg.Tensor(w1, requires_grad=True)
        g = tg.Tensor(g1)
        row = {"op": name}
        row["ours"] = best_of(chain(ours, x, w, g, lambda y, g: y.backward(g)), repeats, number) / CHAIN
        row["ours1"] = best_of(lambda: ours(x, w).backward(g), repeats, number * 8)
        if torch is not None:
            tx = torch.tensor(x1, requires_grad=True)
            tw = torch.tensor(w1, requires_grad=True)
            tg_ = torch.tensor(g1)
            row["torch"] = best_of(chain(theirs, tx, tw, tg_, lambda y, g: y.backward(g)), repeats, number) / CHAIN
            row["torch1"] = best_of(lambda: theirs(tx, tw).backward(tg_), repeats, number * 8)
        row["numpy"] = best_of(lambda: raw(x1, w1, g1), repeats, number * 8)
        rows.append(row)
    return rows


def report(shape, rows):
    print(f"\nshape {shape}: microseconds per op, forward + backward (chain of {CHAIN}; single op + backward call)")
    names = ("ours", "torch", "ratio", "ours 1", "torch 1", "ratio 1", "numpy", "x numpy")
    print(f"{'op':<12}" + "".join(f"{n:>9}" for n in names))
    ratios = []
    for r in rows:
        us = {k: v * 1e6 for k, v in r.items() if k != "op"}
        if torch is not None:
            ratio, ratio1 = r["ours"] / r["torch"], r["ours1"] / r["torch1"]
            ratios.append(ratio)
            cols = f"{us['ours']:8.2f}{us['torch']:8.2f}{ratio:8.2f}{us['ours1']:9.2f}{us['torch1']:9.2f}{ratio1:9.2f}"
        else:
            cols = f"{us['ours']:8.2f}{'-':>8}{'-':>8}{us['ours1']:9.2f}{'-':>9}{'-':>9}"
        print(f"{r['op']:<12}{cols}{us['numpy']:8.2f}{r['ours'] / r['numpy']:9.1f}")
    if ratios:
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(f"geometric mean of ours/torch (chain): {geo:.2f}; worst {max(ratios):.2f}")
    return ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    repeats, number = (3, 5) if args.quick else (7, 60)
    print(
        f"numpy {np.__version__}"
        + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", no torch")
    )
    targets = {(1,): 0.6, (64, 64): 1.0}
    for shape, target in targets.items():
        ratios = report(shape, measure(shape, repeats, number))
        if ratios:
            verdict = "meets" if max(ratios) <= target else "misses"
            print(f"target: every op <= {target}x PyTorch at shape {shape}: {verdict}")


if __name__ == "__main__":
    main()
