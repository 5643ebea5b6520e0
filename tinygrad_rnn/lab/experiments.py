"""Experiments that show LSTM training where a plain RNN cannot: the adding problem over
several cells and seeds, and a small study of the Greff et al. (2017) variants."""

import pathlib

import numpy as np

from . import models, tasks
from .train import evaluate, train

# The cells with a forget gate, which get the forget bias (the Greff CIFG's is 1 - i).
WITH_FORGET_GATE = {"lstm", "peephole", "cifg"} | {
    c for c in models.CELLS if c.startswith("greff-") and c not in ("greff-nfg", "greff-cifg")
}


def build(cell, task, hidden, seed, forget_bias=1.0):
    """A SequenceModel for ``task`` (LSTM-family cells get ``forget_bias``)."""
    return models.SequenceModel(
        cell,
        task.input_size,
        hidden,
        task.output_size,
        target=task.target,
        forget_bias=forget_bias if cell in WITH_FORGET_GATE else None,
        seed=seed,
    )


def run(cells, make_task, seeds, target, hidden, out=None, after=None, device=None, **train_options):
    """Train every cell on every seed of ``make_task(seed)`` towards ``target``; one row per
    run (a dict), a CSV log per run in ``out`` when given. ``train_options`` go to ``train``
    (steps, batch_size, lr, eval_every, test_size, stop_at_target, progress); a run stops at
    the target unless ``stop_at_target=False``. ``after(model, seed)`` may add columns
    measured on the trained model."""
    rows = []
    metric, threshold = target
    for cell in cells:
        for seed in seeds:
            task = make_task(seed)
            model = build(cell, task, hidden, seed)
            if device is not None:
                model.to(device)
            log = None if out is None else pathlib.Path(out) / f"{task.name}_{cell}_seed{seed}.csv"
            result = train(
                model,
                task,
                target=target,
                log=log,
                device=device,
                label=f"{models.label(cell)} seed {seed}",
                **train_options,
            )
            rows.append(
                {
                    "cell": models.label(cell),
                    "seed": seed,
                    f"final test {metric}": result.final[f"test_{metric}"],
                    f"steps to {metric} {'≥' if _higher(metric) else '<'} {threshold}": result.reached_at,
                    "seconds": round(result.seconds, 1),
                    **(after(model, seed) if after is not None else {}),
                    "history": result.history,
                }
            )
    return rows


def _higher(metric):
    return metric.endswith("accuracy") or metric.endswith("correct")


def adding(
    cells=("rnn", "lstm", "gru"),
    length=100,
    seeds=(0, 1, 2),
    steps=4000,
    hidden=64,
    batch_size=32,
    lr=1e-2,
    eval_every=100,
    test_size=1000,
    out=None,
    progress=True,
    device=None,
):
    """The adding problem (modern form): the step at which the test MSE fell below 0.01 (the
    run stops there) and the test MSE at the end, per cell and seed. Predicting 1 always
    gives MSE 1/6 ≈ 0.167."""
    return run(
        cells,
        lambda seed: tasks.AddingProblem(length, seed=seed),
        seeds,
        ("loss", 0.01),
        hidden,
        out=out,
        device=device,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        eval_every=eval_every,
        test_size=test_size,
        progress=progress,
    )


VARIANTS = (
    "greff-vanilla",
    "greff-nig",
    "greff-nfg",
    "greff-nog",
    "greff-niaf",
    "greff-noaf",
    "greff-np",
    "greff-cifg",
    "greff-fgr",
    "gru",
)


def variants(
    cells=VARIANTS,
    seeds=(0,),
    steps=600,
    hidden=32,
    batch_size=32,
    lr=1e-2,
    reber_length=100,
    long_stream=2000,
    adding_length=50,
    out=None,
    progress=True,
    device=None,
):
    """The Greff et al. variants (and the GRU) on one shared configuration each.

    - The continual embedded Reber grammar (Gers et al. 2000): next-symbol prediction on
      streams of ``reber_length`` symbols with no reset between strings, ``steps`` steps for
      every cell; then the trained model reads 16 streams of ``long_stream`` symbols (far
      longer than any it was trained on) and we count the symbols and the whole strings it
      predicts right: a cell that cannot forget lets its state drift on long streams.
    - The adding problem of length ``adding_length``: steps until the test MSE is below 0.01.

    Returns {task name: rows}.
    """

    def on_long_streams(model, seed):
        task = tasks.ContinualReber(long_stream, seed=seed)
        metrics = evaluate(model, task, task.test_set(16, device=device))
        return {
            f"symbols correct, {long_stream}-step streams": metrics["symbols_correct"],
            f"strings correct, {long_stream}-step streams": metrics["strings_correct"],
        }

    common = {"out": out, "device": device, "batch_size": batch_size, "lr": lr, "progress": progress}
    reber = run(
        cells,
        lambda seed: tasks.ContinualReber(reber_length, seed=seed),
        seeds,
        ("symbols_correct", 0.99),
        hidden,
        after=on_long_streams,
        steps=steps,
        test_size=200,
        stop_at_target=False,
        **common,
    )
    adding_rows = run(
        cells,
        lambda seed: tasks.AddingProblem(adding_length, seed=seed),
        seeds,
        ("loss", 0.01),
        hidden,
        steps=2 * steps,
        **common,
    )
    return {"continual-reber": reber, "adding": adding_rows}


def table(rows):
    """A Markdown table of the rows (their history left out), with a mean line per cell."""
    keys = [k for k in rows[0] if k != "history"]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row[k]) for k in keys) + " |")
    return "\n".join(lines)


def summary(rows):
    """Per cell: the mean final metric over seeds, and how many seeds reached the target."""
    metric_key, reach_key = (
        [k for k in rows[0] if k.startswith("final")][0],
        [k for k in rows[0] if k.startswith("steps")][0],
    )
    lines = [f"| cell | mean {metric_key} | seeds reaching the target | median steps to it |", "|---|---|---|---|"]
    for cell in dict.fromkeys(r["cell"] for r in rows):
        own = [r for r in rows if r["cell"] == cell]
        reached = [r[reach_key] for r in own if r[reach_key] is not None]
        median = f"{np.median(reached):.0f}" if reached else "–"
        lines.append(f"| {cell} | {np.mean([r[metric_key] for r in own]):.4f} | {len(reached)}/{len(own)} | {median} |")
    return "\n".join(lines)


def _cell(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def plot_histories(rows, metric, path, title, baseline=None, log=True):
    """Test ``metric`` against training step for every run, one colour per cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colors = {}
    for row in rows:
        color = colors.setdefault(row["cell"], f"C{len(colors)}")
        steps = [h["step"] for h in row["history"]]
        values = [h[f"test_{metric}"] for h in row["history"]]
        ax.plot(steps, values, color=color, alpha=0.85, label=row["cell"] if row["seed"] == rows[0]["seed"] else None)
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls="--", lw=1, label=f"trivial predictor ({baseline:.3g})")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"test {metric}")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
