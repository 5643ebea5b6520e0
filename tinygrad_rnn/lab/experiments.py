"""Experiments that show LSTM training where a plain RNN cannot: the adding problem over
several cells and seeds, and a small study of the Greff et al. (2017) variants."""

import pathlib
from dataclasses import dataclass, field

import numpy as np

from . import models, tasks
from .train import evaluate, train


@dataclass
class Run:
    """One training run of an experiment: which cell, seed and task, the target it aimed at
    (``metric`` reaching ``threshold``), the test metrics at the end (``final``, keyed by the
    task's metric names), the step where the target was reached (None: never), the seconds
    it took, every evaluation (``history``, as ``TrainResult.history``), and ``extra``: what
    was measured on the trained model afterwards (a label for each value)."""

    cell: str
    seed: int
    task: str
    metric: str
    threshold: float
    higher_is_better: bool
    final: dict
    reached_at: int | None
    seconds: float
    history: list
    extra: dict = field(default_factory=dict)

    @classmethod
    def of(cls, cell, seed, task, target, result, extra=None):
        """The Run of ``cell`` trained on ``task`` towards ``target`` (metric, threshold), from
        the TrainResult ``result``."""
        metric, threshold = target
        return cls(
            cell=cell,
            seed=seed,
            task=task.name,
            metric=metric,
            threshold=threshold,
            higher_is_better=task.higher_is_better(metric),
            final={k[len("test_") :]: v for k, v in result.final.items() if k.startswith("test_")},
            reached_at=result.reached_at,
            seconds=result.seconds,
            history=result.history,
            extra=extra or {},
        )

    @property
    def label(self):
        return models.label(self.cell)

    @property
    def target(self):
        """The target in words, e.g. "loss < 0.01"."""
        return f"{self.metric} {'≥' if self.higher_is_better else '<'} {self.threshold}"


def run(cells, make_task, seeds, target, hidden, out=None, after=None, device=None, **train_options):
    """Train every cell on every seed of ``make_task(seed)`` towards ``target``; one Run per
    training, a CSV log per run in ``out`` when given. ``train_options`` go to ``train``
    (steps, batch_size, lr, eval_every, test_size, stop_at_target, progress); a run stops at
    the target unless ``stop_at_target=False``. ``after(model, seed)`` may return a dict of
    labelled values measured on the trained model (``Run.extra``)."""
    runs = []
    for cell in cells:
        for seed in seeds:
            task = make_task(seed)
            model = models.build(cell, task, hidden, seed)
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
            extra = after(model, seed) if after is not None else None
            runs.append(Run.of(cell, seed, task, target, result, extra))
    return runs


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
    run stops there) and the test MSE at the end, per cell and seed (the trivial loss is
    ``AddingProblem.baseline``)."""
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

    Returns {task name: runs}.
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
    return {"continual-reber": reber, "adding": adding(cells, adding_length, seeds, 2 * steps, hidden, **common)}


def table(runs):
    """A Markdown table of the runs: cell, seed, the final test metric, the step reaching the
    target, seconds, and the extra columns."""
    first = runs[0]
    keys = ["cell", "seed", f"final test {first.metric}", f"steps to {first.target}", "seconds", *first.extra]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in runs:
        values = [r.label, r.seed, r.final[r.metric], r.reached_at, round(r.seconds, 1), *r.extra.values()]
        lines.append("| " + " | ".join(_cell(v) for v in values) + " |")
    return "\n".join(lines)


def summary(runs):
    """Per cell: the mean final metric over seeds, and how many seeds reached the target."""
    first = runs[0]
    lines = [
        f"| cell | mean final test {first.metric} | seeds reaching the target | median steps to it |",
        "|---|---|---|---|",
    ]
    for cell in dict.fromkeys(r.cell for r in runs):
        own = [r for r in runs if r.cell == cell]
        reached = [r.reached_at for r in own if r.reached_at is not None]
        median = f"{np.median(reached):.0f}" if reached else "–"
        mean = np.mean([r.final[r.metric] for r in own])
        lines.append(f"| {own[0].label} | {mean:.4f} | {len(reached)}/{len(own)} | {median} |")
    return "\n".join(lines)


def _cell(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def plot_histories(runs, path, title, baseline=None, log=True):
    """The test metric each run aimed at, against training step, one colour per cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colors = {}
    for r in runs:
        color = colors.setdefault(r.cell, f"C{len(colors)}")
        steps = [h["step"] for h in r.history]
        values = [h[f"test_{r.metric}"] for h in r.history]
        ax.plot(steps, values, color=color, alpha=0.85, label=r.label if r.seed == runs[0].seed else None)
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls="--", lw=1, label=f"trivial predictor ({baseline:.3g})")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"test {runs[0].metric}")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
