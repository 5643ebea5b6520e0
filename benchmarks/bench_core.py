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


def per_call(fn, number):
    """Seconds per call of ``fn``, over ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def interleaved_min(fns, repeats, number):
    """For each of ``fns``, the least time per call over ``repeats`` rounds; the rounds take
    the functions in turn, so a slow spell of this (noisy) machine hits them all alike."""
    for fn in fns.values():
        per_call(fn, number)  # warm up
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            best[name] = min(best[name], per_call(fn, number))
    return best


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
    "max+add": (
        lambda x, w: x.max(0, keepdims=True) + w,
        lambda x, w: x.amax(0, keepdim=True) + w,
        lambda x, w, g: (lambda m: (m + w, (x == m) * g.sum(0, keepdims=True), g))(x.max(0, keepdims=True)),
    ),
    "transpose": (lambda x, w: x.T, lambda x, w: x.T, lambda x, w, g: (x.T, g.T)),
    "index": (
        lambda x, w: x[PERM],
        lambda x, w: x[PERM_T],
        lambda x, w, g: (x[PERM], np.add.at(np.zeros_like(x), PERM, g)),
    ),
}


def chain(op, x, w, grad, length=CHAIN):
    """Apply ``op`` ``length`` times, then backward; the leaves' grads start from None each
    time in both frameworks (PyTorch refuses to accumulate into a grad that aliases ``grad``)."""

    def run():
        x.grad = w.grad = None
        y = x
        for _ in range(length):
            y = op(y, w)
        y.backward(grad)

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
        if name in ("matmul", "max+add", "transpose") and len(shape) == 1:
            x1, w1, g1 = x0.reshape(1, 1), w0.reshape(1, 1), g0.reshape(1, 1)
        if name == "matmul":  # near the identity, so a chain of products stays bounded
            w1 = (np.eye(len(w1), dtype=np.float32) + 0.01 * w1).astype(np.float32)
        x = tg.Tensor(x1, requires_grad=True)
        w = tg.Tensor(w1, requires_grad=True)
        g = tg.Tensor(g1)
        fns = {
            "ours": chain(ours, x, w, g),
            "ours1": chain(ours, x, w, g, 1),
            "numpy": lambda: raw(x1, w1, g1),
        }
        if torch is not None:
            tx, tw, tgrad = (torch.tensor(a, requires_grad=r) for a, r in ((x1, True), (w1, True), (g1, False)))
            fns["torch"] = chain(theirs, tx, tw, tgrad)
            fns["torch1"] = chain(theirs, tx, tw, tgrad, 1)
        row = interleaved_min(fns, repeats, number)
        row["ours"] /= CHAIN
        row["torch"] = row.get("torch", float("nan")) / CHAIN
        row["op"] = name
        rows.append(row)
    return rows


def report(shape, rows, target):
    """Print the table for one shape and whether each measure meets ``target`` (ours/torch)."""
    print(f"\nshape {shape}: microseconds per op, forward + backward")
    print(f"  in a graph: a chain of {CHAIN} ops, one backward(); alone: one op, then its backward()")
    names = ("graph", "torch", "ratio", "alone", "torch", "ratio", "numpy", "/numpy")
    print(f"{'op':<12}" + "".join(f"{n:>8}" for n in names))
    for r in rows:
        cells = [r["ours"], r["torch"], r["ours"] / r["torch"], r["ours1"], r.get("torch1", np.nan)]
        cells += [r["ours1"] / r.get("torch1", np.nan), r["numpy"], r["ours"] / r["numpy"]]
        scale = (1e6, 1e6, 1, 1e6, 1e6, 1, 1e6, 1)
        print(f"{r['op']:<12}" + "".join(f"{c * k:8.2f}" for c, k in zip(cells, scale)))
    if torch is None:
        return
    for label, key, ref in (("in a graph", "ours", "torch"), ("alone", "ours1", "torch1")):
        ratios = np.array([r[key] / r[ref] for r in rows])
        missed = [r["op"] for r, q in zip(rows, ratios) if q > target]
        geo = float(np.exp(np.log(ratios).mean()))
        verdict = "all meet" if not missed else f"missed by {', '.join(missed)}"
        print(f"{label}: ours/torch geometric mean {geo:.2f}, worst {ratios.max():.2f}; target <= {target}: {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    repeats, number = (3, 20) if args.quick else (15, 100)
    versions = f"numpy {np.__version__}"
    versions += f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", no torch installed"
    print(versions)
    for shape, target in (((1,), 0.6), ((64, 64), 1.0)):
        report(shape, measure(shape, repeats, number), target)


if __name__ == "__main__":
    main()
