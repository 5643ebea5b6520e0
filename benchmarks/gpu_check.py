"""A ready check for a machine with an NVIDIA GPU, in under 8 minutes, each part with its own
time limit:

1. versions: Python, NumPy, CuPy (and its CUDA), PyTorch (and cuDNN), this package;
2. the test suite's CUDA cases (``-m cuda``) and the raw-CuPy-input tests;
3. ours against ``torch.nn.LSTM`` (cuDNN) with copied weights, B=256, T=100, I=H=1024,
   float32: output, final states and every gradient, both for the primitive path and for
   ``fused=True``, to 1e-3 (largest difference over largest magnitude);
4. one training step of each (primitive, fused, cuDNN), timed, with ratios to cuDNN.

    python benchmarks/gpu_check.py [--quick] [--out DIR]

``--quick`` uses B=8, T=10, I=H=32 (for a check of the script itself, e.g. on the CuPy
stand-in: ``PYTHONPATH=tests/standin python benchmarks/gpu_check.py --quick``; then the
reference runs on PyTorch's CPU).
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIZES = {"gpu": dict(B=256, T=100, I=1024, H=1024), "quick": dict(B=8, T=10, I=32, H=32)}
LIMITS = {"versions": 30, "tests": 180, "parity": 120, "timing": 120}  # seconds each: 7.5 minutes at most


def versions():
    import numpy

    lines = [f"python {platform.python_version()}", f"numpy {numpy.__version__}"]
    try:
        import cupy

        lines.append(f"cupy {cupy.__version__}")
        try:
            lines.append(f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}")
            props = cupy.cuda.runtime.getDeviceProperties(0)
            lines.append(f"GPU {props['name'].decode() if isinstance(props['name'], bytes) else props['name']}")
        except Exception as e:  # the stand-in has no runtime details
            lines.append(f"CUDA runtime: not reported ({type(e).__name__})")
    except ImportError as e:
        lines.append(f"cupy: not importable ({e})")
    try:
        import torch

        cudnn = torch.backends.cudnn.version() if torch.cuda.is_available() else None
        lines.append(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}, cuDNN {cudnn}")
    except ImportError:
        lines.append("torch: not installed")
    import tinygrad_rnn as tg

    lines.append(f"tinygrad_rnn {tg.__version__}, cuda available: {tg.cuda_available()}")
    print("\n".join(lines))


def _layers(size, fused):
    import numpy as np
    import torch

    import tinygrad_rnn as tg

    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(size["I"], size["H"]).to(dev)
    ours = tg.nn.LSTM(size["I"], size["H"], fused=fused, device="cuda")
    ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((size["T"], size["B"], size["I"])).astype(np.float32)
    r = rng.standard_normal((size["T"], size["B"], size["H"])).astype(np.float32)
    return ours, theirs, x, r, dev


def parity(size):
    import numpy as np
    import torch

    import tinygrad_rnn as tg

    worst = {}
    for fused in (False, True):
        ours, theirs, x, r, dev = _layers(size, fused)
        tx = torch.tensor(x, device=dev, requires_grad=True)
        t_out, (th, tc) = theirs(tx)
        ((t_out * torch.tensor(r, device=dev)).sum() + tc.sum()).backward()
        ox = tg.Tensor(x, device="cuda", requires_grad=True)
        o_out, (oh, oc) = ours(ox)
        ((o_out * tg.Tensor(r, device="cuda")).sum() + oc.sum()).backward()
        pairs = [("output", o_out, t_out), ("h_n", oh, th), ("c_n", oc, tc), ("input grad", ox.grad, tx.grad)]
        named = zip(ours.named_parameters(), theirs.named_parameters())
        pairs += [(f"grad {n}", p.grad, tp.grad) for (n, p), (_, tp) in named]
        errors = {}
        for name, a, b in pairs:
            a, b = a.numpy().astype(np.float64), b.detach().cpu().numpy().astype(np.float64)
            errors[name] = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
        path = "fused" if fused else "primitive"
        worst[path] = max(errors.values())
        for name, e in errors.items():
            print(f"  {path:9} {name:22} {e:.2e}")
    for path, e in worst.items():
        print(f"{path}: largest relative difference {e:.2e}: {'agrees' if e <= 1e-3 else 'DISAGREES'} to 1e-3")
    return all(e <= 1e-3 for e in worst.values())


def timing(size, repeats=5):
    import torch

    import tinygrad_rnn as tg

    def sync():
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        try:
            import cupy

            cupy.cuda.Device().synchronize()
        except Exception:  # no CuPy device to wait for
            pass

    steps = {}
    for fused in (False, True):
        ours, theirs, x, r, dev = _layers(size, fused)
        ox, orr = tg.Tensor(x, device="cuda"), tg.Tensor(r, device="cuda")
        steps["fused" if fused else "primitive"] = lambda ours=ours, ox=ox, orr=orr: (
            ours.zero_grad(),
            (ours(ox)[0] * orr).sum().backward(),
        )
    tx, tr = torch.tensor(x, device=dev), torch.tensor(r, device=dev)
    steps["cuDNN" if dev == "cuda" else "torch (CPU)"] = lambda: (
        theirs.zero_grad(),
        (theirs(tx)[0] * tr).sum().backward(),
    )
    best = {}
    for name, step in steps.items():
        step()
        sync()
        best[name] = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            sync()
            best[name] = min(best[name], time.perf_counter() - start)
    reference = best.get("cuDNN", best.get("torch (CPU)"))
    for name, seconds in best.items():
        print(f"  {name:12} {seconds * 1e3:9.1f} ms per training step  ({seconds / reference:.2f}× the reference)")
    goals = {"primitive": 3.0, "fused": 1.5}
    for name, goal in goals.items():
        ratio = best[name] / reference
        print(f"goal {name} ≤ {goal}× cuDNN: {ratio:.2f}, {'met' if ratio <= goal else 'missed'}")


def run_part(name, args, out):
    """Run one part in its own process, with its own time limit; returns its exit status."""
    command = [sys.executable, __file__, "--part", name, *args]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=LIMITS[name], cwd=ROOT)
        status, text = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as e:
        status, text = 124, (e.stdout or b"").decode() + f"\n(stopped after {LIMITS[name]} s)"
    print(f"\n== {name} ({time.perf_counter() - start:.0f} s, exit {status})\n{text.rstrip()}")
    if out:
        (out / f"{name}.txt").write_text(text)
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (checking the script, e.g. on the stand-in)")
    parser.add_argument("--out", type=pathlib.Path, default=None, help="also write each part's output here")
    parser.add_argument("--part", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = SIZES["quick" if args.quick else "gpu"]
    if args.part == "versions":
        versions()
    elif args.part == "tests":
        tests = ["-m", "cuda", "tests", "tests/test_cupy_inputs.py", "-q", "-p", "no:cacheprovider", "-x"]
        sys.exit(subprocess.run([sys.executable, "-m", "pytest", *tests], cwd=ROOT).returncode)
    elif args.part == "parity":
        sys.exit(0 if parity(size) else 1)
    elif args.part == "timing":
        timing(size)
    else:
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
        print(f"sizes: {json.dumps(size)}")
        extra = ["--quick"] if args.quick else []
        statuses = {name: run_part(name, extra, args.out) for name in LIMITS}
        print("\n" + ", ".join(f"{name}: {'ok' if s == 0 else f'exit {s}'}" for name, s in statuses.items()))
        sys.exit(max(statuses.values()) != 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
