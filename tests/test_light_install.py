"""The package works with NumPy alone: a fresh virtual environment holding only NumPy and the
project's wheel imports tinygrad_rnn, trains an LSTM and draws its graph to DOT, SVG and the
interactive page (matplotlib, tqdm and threadpoolctl are imported only where they are used)."""

import importlib.metadata
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parent.parent
ABSENT = ("torch", "matplotlib", "tqdm", "threadpoolctl", "scipy", "graphviz", "cupy")

CHECK = textwrap.dedent(
    f"""
    import importlib.util, pathlib, sys
    import numpy as np
    import tinygrad_rnn as tg
    from tinygrad_rnn import nn, optim, viz

    present = [m for m in {ABSENT!r} if importlib.util.find_spec(m) is not None]
    assert not present, f"not a bare environment: {{present}}"

    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    lstm, head = nn.LSTM(2, 8, forget_bias=1.0), nn.Linear(8, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=0.02)
    x = tg.Tensor(rng.standard_normal((6, 16, 2)).astype(np.float32))
    y = x.sum(0)[:, :1]  # the sum over time of the first feature
    losses = []
    for _ in range(40):
        out, _ = lstm(x)
        loss = nn.functional.mse_loss(head(out[-1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses

    out, _ = lstm(x[:3, :1])
    loss = out[-1].sum()
    with tg.keep_grads():
        loss.backward()
    drawing = viz.draw_graph(loss, params=lstm)
    assert drawing.source.startswith("digraph"), drawing.source[:40]
    folder = pathlib.Path(sys.argv[1])
    for name in ("lstm.dot", "lstm.svg", "lstm.html"):
        assert viz.render(drawing, folder / name).stat().st_size > 1000, name
    print("trained", losses[0], "->", losses[-1], "and drew", sorted(p.name for p in folder.iterdir()))
    heavy = sorted(m for m in {ABSENT!r} if m in sys.modules)
    assert not heavy, heavy
    """
)


def _link_numpy(site_packages):
    """Make this environment's NumPy visible in ``site_packages`` (links, no download)."""
    dist = importlib.metadata.distribution("numpy")
    tops = {pathlib.Path(f).parts[0] for f in dist.files} - {".."}
    for top in tops:
        (site_packages / top).symlink_to(dist.locate_file(top))


def test_numpy_alone_is_enough(tmp_path):
    source = tmp_path / "source"  # a copy, so that building the wheel leaves the checkout clean
    shutil.copytree(ROOT / "tinygrad_rnn", source / "tinygrad_rnn", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", tmp_path / "wheels", source], check=True, timeout=300)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    python = venv / "bin" / "python"
    site_packages = pathlib.Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    _link_numpy(site_packages)
    wheel = next((tmp_path / "wheels").glob("tinygrad_rnn-*.whl"))
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], check=True, timeout=120)

    pictures = tmp_path / "pictures"
    pictures.mkdir()
    # nothing from this environment: no PYTHONPATH (a CuPy stand-in), no default device
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TINYGRAD_RNN"))}
    run = subprocess.run(
        [python, "-I", "-c", CHECK, pictures], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "trained" in run.stdout
