"""Running one trial of a sweep, wherever it is sent, and what it leaves behind."""

import datetime
import math
import platform
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from .. import __version__, get_num_threads, set_num_threads
from . import models, tasks
from .sweep import Trial
from .train import train

_BUILDING = threading.Lock()  # seeding and building a model use the process-wide generator


@dataclass
class TrialResult:
    """What one trial did. ``status`` is "ok" or "failed" (then ``error`` holds the
    traceback). ``score`` is the best test value of the trial's metric over its evaluations,
    the untrained model's (step 0) included, so a run that diverged still has one;
    ``best_step`` is where it was reached. ``final``: the test metrics of the last
    evaluation; ``curve``: every evaluation (step, seconds, train_loss, test_<metric>...);
    ``diverged_at``: the step whose training loss was inf or nan (training stopped there)."""

    trial: Trial
    status: str
    score: float | None = None
    best_step: int | None = None
    final: dict = field(default_factory=dict)
    curve: list = field(default_factory=list)
    diverged_at: int | None = None
    seconds: float = 0.0
    started: str = ""
    finished: str = ""
    host: str = ""
    worker: str = ""
    versions: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def id(self):
        return self.trial.id

    @property
    def ok(self):
        return self.status == "ok"


def versions():
    """The versions a result was computed with."""
    return {"tinygrad_rnn": __version__, "numpy": np.__version__, "python": platform.python_version()}


def best(curve, metric, higher_is_better):
    """(score, step): the best finite value of test ``metric`` in ``curve``, and its step;
    (None, None) when there is none."""
    points = [(row[f"test_{metric}"], row["step"]) for row in curve if math.isfinite(row[f"test_{metric}"])]
    if not points:
        return None, None
    return (max if higher_is_better else min)(points, key=lambda p: p[0])


def run_trial(trial, worker=""):
    """Train ``trial`` with one BLAS thread (``tinygrad_rnn.set_num_threads(1)``, restored
    after) and return its TrialResult. An exception becomes a failed result with its
    traceback (it does not propagate): a sweep goes on."""
    result = TrialResult(trial, "failed", started=_now(), host=socket.gethostname(), worker=worker, versions=versions())
    start = time.perf_counter()
    threads = get_num_threads()
    try:
        set_num_threads(1)
        task = tasks.make_task(trial.task, **trial.task_options, seed=trial.seed)
        test_task = tasks.make_task(trial.task, **{**trial.task_options, **trial.test_options}, seed=trial.seed)
        with _BUILDING:
            model = models.build(trial.cell, task, trial.hidden, trial.seed, forget_bias=trial.forget_bias)
        trained = train(
            model,
            task,
            steps=trial.steps,
            batch_size=trial.batch_size,
            lr=trial.lr,
            clip=trial.clip,
            eval_every=trial.eval_every,
            test=test_task.test_set(trial.test_size),
            eval_first=True,
            nonfinite="stop",
            progress=False,
        )
        result.curve = trained.history
        result.final = {k[len("test_") :]: v for k, v in trained.history[-1].items() if k.startswith("test_")}
        result.score, result.best_step = best(trained.history, trial.metric, task.higher_is_better(trial.metric))
        result.diverged_at = trained.diverged_at
        result.status = "ok"
    except Exception:
        result.error = traceback.format_exc()
    finally:
        set_num_threads(threads)
    result.seconds = time.perf_counter() - start
    result.finished = _now()
    return result


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
