"""The statistics of a sweep, per task: each cell's median and interquartile range of the
trials' scores, a two-sided test against the reference cell (Mann-Whitney U by default, or
Welch's t-test), Holm's correction over the cells of the task, and box plots in the manner
of Greff et al. (2017), Fig. 3."""

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import models, tasks

TESTS = ("mann-whitney", "welch")


@dataclass(frozen=True)
class CellSummary:
    """One cell on one task. ``scores``: the scores of its finished trials. ``p`` is the
    test's p-value against the reference cell and ``p_holm`` the same after Holm's
    correction (both None for the reference itself); ``significant`` means p_holm < alpha.
    ``better``: the probability that a trial of this cell scores better than one of the
    reference (ties count half; 0.5 means no difference), from the Mann-Whitney U statistic."""

    task: str
    metric: str
    higher_is_better: bool
    cell: str
    scores: tuple
    failed: int
    p: float | None = None
    p_holm: float | None = None
    significant: bool = False
    better: float | None = None

    @property
    def n(self):
        return len(self.scores)

    @property
    def median(self):
        return float(np.median(self.scores)) if self.scores else float("nan")

    @property
    def quartiles(self):
        return tuple(float(q) for q in np.quantile(self.scores, [0.25, 0.75])) if self.scores else (np.nan, np.nan)

    @property
    def verdict(self):
        """ "better", "worse" (significantly, than the reference) or ""."""
        if not self.significant:
            return ""
        return "better" if self.better > 0.5 else "worse"


def holm(pvalues):
    """Holm's step-down adjustment of ``pvalues`` (SciPy has none; statsmodels would be a
    dependency for these three lines): the k-th smallest p is multiplied by m - k + 1, and
    the adjusted values are made non-decreasing in that order and capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def summarize(results, reference=None, test="mann-whitney", alpha=0.05, cells=None):
    """CellSummary records for each task and cell of ``results`` (TrialResults), each
    compared with ``reference`` when given; tasks in the order they first appear, cells in
    the order of ``cells`` (default: as they first appear)."""
    from scipy import stats

    if test not in TESTS:
        raise ValueError(f"summarize: test must be one of {TESTS}, got {test!r}")
    rank = {c: k for k, c in enumerate(cells or ())}
    groups = {}
    for r in sorted(results, key=lambda r: rank.get(r.trial.cell, len(rank))):  # stable: else as they come
        groups.setdefault(r.trial.task, {}).setdefault(r.trial.cell, []).append(r)
    if reference is not None and not any(reference in cells for cells in groups.values()):
        raise ValueError(f"summarize: the reference cell {reference!r} has no trials")
    out = []
    for task_name, cells in groups.items():
        first = next(iter(cells.values()))[0].trial
        higher = tasks.make_task(task_name, **first.task_options).higher_is_better(first.metric)
        rows = {}
        for cell, own in cells.items():
            scores = tuple(r.score for r in own if r.ok and r.score is not None)
            rows[cell] = CellSummary(task_name, first.metric, higher, cell, scores, len(own) - len(scores))
        ref = rows.get(reference)
        compared = [c for c in rows if ref is not None and c != reference and rows[c].n >= 2 and ref.n >= 2]
        p_values, better = [], {}
        for cell in compared:
            x, y = np.array(rows[cell].scores), np.array(ref.scores)
            u = stats.mannwhitneyu(x, y, alternative="two-sided")
            above = u.statistic / (len(x) * len(y))  # P(x > y) + P(x = y) / 2
            better[cell] = above if higher else 1 - above
            p = u.pvalue if test == "mann-whitney" else stats.ttest_ind(x, y, equal_var=False).pvalue
            p_values.append(1.0 if np.isnan(p) else float(p))  # nan: two constant, equal samples
        adjusted = holm(p_values) if p_values else []
        for cell, p, q in zip(compared, p_values, adjusted):
            rows[cell] = dataclasses.replace(
                rows[cell], p=p, p_holm=float(q), significant=q < alpha, better=better[cell]
            )
        out += rows.values()
    return out


def markdown(summaries, reference=None, test="mann-whitney", alpha=0.05):
    """One Markdown table per task: trials, median, IQR, P(better than the reference), p,
    Holm-adjusted p, and the verdict at ``alpha``."""
    lines = []
    name = {"mann-whitney": "Mann-Whitney U", "welch": "Welch's t"}[test]
    ref = models.label(reference) if reference else "the reference"
    for task_name in dict.fromkeys(s.task for s in summaries):
        own = [s for s in summaries if s.task == task_name]
        goal = "higher" if own[0].higher_is_better else "lower"
        lines += [
            f"### {task_name}: best test {own[0].metric} per trial ({goal} is better)",
            "",
            f"| cell | trials | median | IQR | P(better than {ref}) | p ({name}) | p (Holm) | at {alpha} |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in own:
            q1, q3 = s.quartiles
            failed = f" ({s.failed} failed)" if s.failed else ""
            verdict = f"**{s.verdict}**" if s.verdict else ("reference" if s.cell == reference else "no difference")
            lines.append(
                f"| {models.label(s.cell)} | {s.n}{failed} | {s.median:.4g} | {q1:.4g} – {q3:.4g} | "
                f"{_num(s.better, '.2f')} | {_num(s.p, '.2g')} | {_num(s.p_holm, '.2g')} | {verdict} |"
            )
        lines.append("")
    return "\n".join(lines)


def _num(value, spec):
    return "–" if value is None else format(value, spec)


def boxplots(summaries, path, reference=None, title=None):
    """A box plot per task of the trials' scores per cell, every trial a dot; boxes coloured
    by verdict (red: significantly worse than the reference, blue: better, grey: the
    reference). Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    task_names = list(dict.fromkeys(s.task for s in summaries))
    fig, axes = plt.subplots(1, len(task_names), figsize=(5.2 * len(task_names), 4.6), squeeze=False)
    colours = {"worse": "#d62728", "better": "#1f77b4", "": "#c7c7c7"}
    rng = np.random.default_rng(0)  # dot jitter only
    for ax, task_name in zip(axes[0], task_names):
        own = [s for s in summaries if s.task == task_name and s.n]
        data = [s.scores for s in own]
        boxes = ax.boxplot(data, patch_artist=True, widths=0.6, showfliers=False, medianprops={"color": "black"})
        for box, s in zip(boxes["boxes"], own):
            box.set_facecolor("#7f7f7f" if s.cell == reference else colours[s.verdict])
            box.set_alpha(0.75)
        for k, scores in enumerate(data, start=1):
            ax.plot(k + rng.uniform(-0.18, 0.18, len(scores)), scores, ".", color="black", ms=2.5, alpha=0.45)
        ax.set_xticks(range(1, len(own) + 1), [models.label(s.cell) for s in own], rotation=45, ha="right")
        for tick, s in zip(ax.get_xticklabels(), own):  # thin boxes hide their colour: the label carries it
            if s.verdict:
                tick.set_color(colours[s.verdict])
                tick.set_fontweight("bold")
        goal = "higher" if own[0].higher_is_better else "lower"
        ax.set_title(f"{task_name}\nbest test {own[0].metric} per trial ({goal} is better)", fontsize=10)
        if own[0].metric == "loss" and min(min(d) for d in data) > 0:
            ax.set_yscale("log")
        ax.grid(True, axis="y", alpha=0.3)
    from matplotlib.patches import Patch

    ref = models.label(reference) if reference else "the reference"
    legend = [Patch(color="#7f7f7f", label=ref), Patch(color=colours["worse"], label=f"worse than {ref}")]
    legend += [
        Patch(color=colours["better"], label=f"better than {ref}"),
        Patch(color=colours[""], label="no difference"),
    ]
    fig.legend(handles=legend, loc="lower center", ncol=4, fontsize=9, frameon=False)
    fig.suptitle(
        f"{title + ': ' if title else ''}coloured where the test is significant after Holm's correction", fontsize=11
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
