"""Sweeps: cells × tasks × seeds × hyper-parameters, written as a TOML file, expanded into trials.

A sweep file (the shipped studies are in ``tinygrad_rnn/lab/studies/``)::

    name = "mini"
    cells = ["greff-vanilla", "greff-nfg"]
    reference = "greff-vanilla"      # the cell the others are compared with (optional)
    seeds = [0, 1]
    samples = 4                      # random draws of the hyper-parameters below
    sample_seed = 0

    [tasks.adding]                   # one table per task, named as in tasks.TASKS
    options = { length = 20 }        # the task's constructor options (not the seed)
    test_options = { length = 40 }   # optional: the held-out set's, where they differ
    metric = "loss"                  # the trial's score: its best test value of this metric
    steps = 300
    eval_every = 50
    test_size = 200

    [space]                          # each hyper-parameter: a value, a list (a grid axis)
    hidden = [8, 16]                 # or one distribution: { choice = [...] },
    lr = { log_uniform = [1e-3, 3e-2] }   # { uniform = [a, b] }, { log_uniform = [a, b] }
    clip = 1.0
    forget_bias = { uniform = [0.0, 2.0] }
    batch_size = 32

    [subsets.quick]                  # a named part of the sweep: fewer cells, tasks,
    cells = ["greff-vanilla"]        # seeds or samples, so its trials are the sweep's own
    samples = 1

Each trial is the product of one sample, one grid point, one seed, one task and one cell;
sample ``k`` draws every distribution from ``numpy.random.default_rng([sample_seed, k])``,
so all cells and tasks share the same draws. A trial's identity is a hash of its whole
configuration: a trial that has a result already is not run again.
"""

import dataclasses
import hashlib
import itertools
import json
import math
import pathlib
from dataclasses import dataclass, field

import numpy as np

from . import models, tasks

STUDIES = pathlib.Path(__file__).parent / "studies"


def shipped_studies():
    """The names of the shipped studies (the TOML files in ``studies/``).

    >>> from tinygrad_rnn.lab import sweep
    >>> sweep.shipped_studies()
    ['greff', 'noaf-unclipped']
    """
    return sorted(p.stem for p in STUDIES.glob("*.toml"))


HYPERPARAMETERS = {  # name: (type, default, what a valid value is)
    "hidden": (int, 32, ">= 1"),
    "lr": (float, 1e-2, "> 0"),
    "clip": (float, 1.0, ">= 0 (0: no clipping)"),
    "forget_bias": (float, 1.0, "any number"),
    "batch_size": (int, 32, ">= 1"),
}
_VALID = {">= 1": lambda v: v >= 1, "> 0": lambda v: v > 0, ">= 0 (0: no clipping)": lambda v: v >= 0}
DISTRIBUTIONS = ("choice", "uniform", "log_uniform")
_SWEEP_KEYS = {"name", "cells", "reference", "seeds", "samples", "sample_seed", "tasks", "space", "subsets"}
_TASK_KEYS = {"options", "test_options", "metric", "steps", "eval_every", "test_size"}
_SUBSET_KEYS = {"cells", "tasks", "seeds", "samples"}


class SweepError(ValueError):
    """A sweep file or dictionary that cannot be run; the message names the key at fault."""


@dataclass(frozen=True)
class Trial:
    """One training of a sweep. ``config()`` is its identity; ``sample`` (which random draw
    it came from) is a label only."""

    cell: str
    task: str
    task_options: dict
    test_options: dict
    metric: str
    steps: int
    eval_every: int
    test_size: int
    seed: int
    hidden: int
    lr: float
    clip: float
    forget_bias: float | None  # None for cells without a forget gate
    batch_size: int
    sample: int = field(default=0, compare=False)

    def config(self):
        """Everything that decides the trial's result, as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "sample"}

    @property
    def id(self):
        """A hash of the config: equal configs, equal ids, in any process."""
        text = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    @classmethod
    def from_config(cls, config, sample=0):
        return cls(**config, sample=sample)


@dataclass(frozen=True)
class TaskSpec:
    """How a sweep trains and scores on one task."""

    name: str
    metric: str
    steps: int
    eval_every: int
    test_size: int
    options: dict = field(default_factory=dict)
    test_options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Sweep:
    """A parsed sweep: see the module docstring for the meaning of each field."""

    name: str
    cells: tuple
    tasks: tuple
    seeds: tuple
    samples: int
    sample_seed: int
    space: dict
    reference: str | None = None
    subsets: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict, compare=False, repr=False)  # what it was parsed from

    def subset(self, name):
        """The part of the sweep called ``name`` in its [subsets] table: a Sweep named
        "<sweep>/<name>" whose trials are some of this sweep's."""
        if name not in self.subsets:
            raise SweepError(f"sweep {self.name!r} has no subset {name!r}; it has {sorted(self.subsets) or 'none'}")
        part = self.subsets[name]
        return dataclasses.replace(
            self,
            name=f"{self.name}/{name}",
            cells=tuple(part.get("cells", self.cells)),
            tasks=tuple(t for t in self.tasks if t.name in part.get("tasks", [t.name for t in self.tasks])),
            seeds=tuple(part.get("seeds", self.seeds)),
            samples=part.get("samples", self.samples),
            reference=self.reference if self.reference in part.get("cells", self.cells) else None,
            subsets={},
            source={**self.source, "subset": name},
        )

    def draws(self):
        """The hyper-parameters of every sample and grid point: a list of (sample, values)."""
        fixed = {k: v for k, v in self.space.items() if not isinstance(v, (list, dict))}
        grid = {k: v for k, v in self.space.items() if isinstance(v, list)}
        random = {k: v for k, v in sorted(self.space.items()) if isinstance(v, dict)}
        out = []
        for sample in range(self.samples):
            rng = np.random.default_rng([self.sample_seed, sample])
            drawn = {k: _draw(rng, HYPERPARAMETERS[k][0], dist) for k, dist in random.items()}
            for point in itertools.product(*grid.values()):
                out.append((sample, {**fixed, **drawn, **dict(zip(grid, point))}))
        return out

    def trials(self):
        """Every trial, sample by sample (so a sweep stopped early has a bit of every cell),
        without repeats."""
        out, seen = [], set()
        for sample, values in self.draws():
            for seed, task, cell in itertools.product(self.seeds, self.tasks, self.cells):
                trial = Trial(
                    cell=cell,
                    task=task.name,
                    task_options=task.options,
                    test_options=task.test_options,
                    metric=task.metric,
                    steps=task.steps,
                    eval_every=task.eval_every,
                    test_size=task.test_size,
                    seed=seed,
                    hidden=values["hidden"],
                    lr=values["lr"],
                    clip=values["clip"],
                    forget_bias=values["forget_bias"] if models.spec(cell).forget_gate else None,
                    batch_size=values["batch_size"],
                    sample=sample,
                )
                if trial.id not in seen:
                    seen.add(trial.id)
                    out.append(trial)
        return out


def _draw(rng, kind, dist):
    ((how, arg),) = dist.items()
    if how == "choice":
        return kind(arg[int(rng.integers(len(arg)))])
    low, high = arg
    value = rng.uniform(low, high) if how == "uniform" else math.exp(rng.uniform(math.log(low), math.log(high)))
    return kind(round(value) if kind is int else float(f"{value:.4g}"))  # 4 significant digits: readable configs


def load(source):
    """A Sweep from a TOML file, or from the name of a shipped study (``"greff"``)."""
    path = pathlib.Path(source)
    if not path.is_file():
        shipped = STUDIES / f"{source}.toml"
        if not shipped.is_file():
            names = ", ".join(shipped_studies())
            raise SweepError(f"no sweep file {str(source)!r}, and no shipped study of that name (shipped: {names})")
        path = shipped
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise SweepError(f"{path}: not valid TOML: {e}") from None
    return from_dict(data, default_name=path.stem)


def from_dict(data, default_name="sweep"):
    """A Sweep from a dict shaped like the TOML file; SweepError naming the key at fault."""
    _known(data, _SWEEP_KEYS, "the sweep")
    name = data.get("name", default_name)
    cells = _list_of(data, "cells", str, "the sweep")
    for cell in cells:
        if cell not in models.CELLS:
            raise SweepError(f"cells: unknown cell {cell!r}; choose from {', '.join(models.CELLS)}")
    seeds = _list_of(data, "seeds", int, "the sweep")
    samples = data.get("samples", 1)
    if not _is_int(samples) or samples < 1:
        raise SweepError(f"samples must be an integer >= 1, got {samples!r}")
    sample_seed = data.get("sample_seed", 0)
    if not _is_int(sample_seed) or sample_seed < 0:
        raise SweepError(f"sample_seed must be an integer >= 0, got {sample_seed!r}")
    reference = data.get("reference")
    if reference is not None and reference not in cells:
        raise SweepError(f"reference {reference!r} is not one of the cells {cells}")
    if not isinstance(data.get("tasks"), dict) or not data["tasks"]:
        raise SweepError("tasks: give at least one [tasks.<name>] table")
    task_specs = tuple(_task(key, value) for key, value in data["tasks"].items())
    space = _space(data.get("space", {}))
    if samples > 1 and not any(isinstance(v, dict) for v in space.values()):
        raise SweepError(f"samples = {samples}, but [space] has no distribution to draw from")
    sweep = Sweep(name, tuple(cells), task_specs, tuple(seeds), samples, sample_seed, space, reference, {}, data)
    subsets = {k: _subset(sweep, k, v) for k, v in data.get("subsets", {}).items()}
    return dataclasses.replace(sweep, subsets=subsets)


def _task(name, table):
    where = f"tasks.{name}"
    if name not in tasks.TASKS:
        raise SweepError(f"{where}: unknown task {name!r}; choose from {', '.join(tasks.TASKS)}")
    if not isinstance(table, dict):
        raise SweepError(f"{where}: expected a table, got {table!r}")
    _known(table, _TASK_KEYS, where)
    for key in ("options", "test_options"):
        if not isinstance(table.get(key, {}), dict) or "seed" in table.get(key, {}):
            raise SweepError(f"{where}.{key}: expected a table of the task's options (the seed comes from seeds)")
    for key in ("steps", "eval_every", "test_size"):
        if key not in table or not _is_int(table[key]) or table[key] < 1:
            raise SweepError(f"{where}.{key}: expected an integer >= 1, got {table.get(key)!r}")
    try:
        task = tasks.make_task(name, **table.get("options", {}))
        tasks.make_task(name, **{**table.get("options", {}), **table.get("test_options", {})})
    except (TypeError, ValueError) as e:
        raise SweepError(f"{where}: the options do not make a task: {e}") from None
    metric = table.get("metric")
    if metric not in task.goals:
        raise SweepError(f"{where}.metric: {metric!r} is not a metric of the task; it has {sorted(task.goals)}")
    return TaskSpec(
        name,
        metric,
        table["steps"],
        table["eval_every"],
        table["test_size"],
        dict(table.get("options", {})),
        dict(table.get("test_options", {})),
    )


def _space(table):
    if not isinstance(table, dict):
        raise SweepError(f"space: expected a table, got {table!r}")
    _known(table, set(HYPERPARAMETERS), "space")
    space = {}
    for key, (kind, default, valid) in HYPERPARAMETERS.items():
        value = table.get(key, default)
        where = f"space.{key}"
        if isinstance(value, dict):
            if len(value) != 1 or next(iter(value)) not in DISTRIBUTIONS:
                raise SweepError(
                    f"{where}: a distribution is one of {{{' | '.join(DISTRIBUTIONS)} = ...}}, got {value}"
                )
            ((how, arg),) = value.items()
            values = arg if how == "choice" else None
            if how != "choice":
                if not (isinstance(arg, list) and len(arg) == 2 and all(_is_number(a) for a in arg)) or arg[0] > arg[1]:
                    raise SweepError(f"{where}: {how} needs [low, high] with low <= high, got {arg!r}")
                if how == "log_uniform" and arg[0] <= 0:
                    raise SweepError(f"{where}: log_uniform needs low > 0, got {arg!r}")
                values = arg
            _check_values(where, kind, valid, values)
        else:
            _check_values(where, kind, valid, value if isinstance(value, list) else [value])
        space[key] = value
    return space


def _check_values(where, kind, valid, values):
    if not isinstance(values, list) or not values:
        raise SweepError(f"{where}: expected a non-empty list of values, got {values!r}")
    for v in values:
        if not (_is_int(v) if kind is int else _is_number(v)) or not _VALID.get(valid, _is_number)(v):
            raise SweepError(
                f"{where}: {v!r} is not valid; expected {'an integer' if kind is int else 'a number'} {valid}"
            )


def _subset(sweep, name, table):
    where = f"subsets.{name}"
    if not isinstance(table, dict):
        raise SweepError(f"{where}: expected a table, got {table!r}")
    _known(table, _SUBSET_KEYS, where)
    for key, pool in (("cells", sweep.cells), ("seeds", sweep.seeds), ("tasks", [t.name for t in sweep.tasks])):
        extra = [v for v in table.get(key, []) if v not in pool]
        if extra:
            raise SweepError(f"{where}.{key}: {extra} are not in the sweep's {key} {list(pool)}")
    samples = table.get("samples", sweep.samples)
    if not _is_int(samples) or not 1 <= samples <= sweep.samples:
        raise SweepError(f"{where}.samples: expected an integer from 1 to {sweep.samples}, got {samples!r}")
    return dict(table)


def _known(table, allowed, where):
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SweepError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _list_of(data, key, kind, where):
    value = data.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(_is_int(v) if kind is int else isinstance(v, kind) for v in value)
    ):
        raise SweepError(f"{key}: expected a non-empty list of {kind.__name__}s in {where}, got {value!r}")
    if len(set(value)) != len(value):
        raise SweepError(f"{key}: repeated values in {value!r}")
    return list(value)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
