"""Training a sequence model on a task: Adam, global-norm clipping, evaluation on a fixed
test set, stopping at a target, a progress bar, and a log of every evaluation."""

import csv
import json
import pathlib
import time
from dataclasses import dataclass, field

from .. import nn, optim
from ..autograd import no_grad
from ..serialization import atomic_file
from .outputs import progress_bar


@dataclass
class TrainResult:
    """What a run did: the evaluations (a list of dicts: step, seconds, train_loss and the
    task's test metrics), the last of them, the step at which the target was reached, and
    the step whose training loss was not finite (with ``nonfinite="stop"``)."""

    history: list = field(default_factory=list)
    reached_at: int = None
    diverged_at: int = None
    seconds: float = 0.0
    steps: int = 0

    @property
    def final(self):
        return self.history[-1] if self.history else {}


def evaluate(model, task, test):
    """The task's metrics of ``model`` on the batch ``test``, computed without a graph."""
    was_training = model.training
    model.eval()
    with no_grad():
        metrics = task.metrics(model(test.x, test.lengths), test)
    model.train(was_training)
    return metrics


def train(
    model,
    task,
    steps=1000,
    batch_size=32,
    lr=1e-3,
    clip=1.0,
    eval_every=100,
    test_size=1000,
    target=None,
    stop_at_target=True,
    log=None,
    progress=True,
    device=None,
    label=None,
    test=None,
    eval_first=False,
    nonfinite="raise",
):
    """Train ``model`` on batches of ``task`` with Adam and global-norm clipping.

    - ``target``: (metric, threshold), e.g. ("loss", 0.01): ``reached_at`` records the first
      evaluation where the test metric is at or past it (below it, or above it for the
      metrics the task's ``goals`` mark "max"), and training stops there unless
      ``stop_at_target=False``.
    - ``test``: the Batch to evaluate on (default: ``task.test_set(test_size)``).
    - ``eval_first``: evaluate the untrained model too, as step 0.
    - ``nonfinite``: what a training loss of inf or nan does: "raise" a FloatingPointError,
      or "stop" training there and record the step as ``diverged_at``.
    - ``log``: a path ending in .csv or .jsonl; every evaluation is appended as it happens,
      to a file beside it that takes its name when training ends (none if training fails).
    - ``progress``: a tqdm bar showing the training loss and the last test metrics; when the
      output is not a terminal (a log file, CI), a line every 30 seconds instead.

    Each step reads one number back from the device: whether the loss is finite, checked
    before the update. The loss itself is read only when the progress bar shows it.
    Returns a TrainResult.
    """
    if target is not None and (not isinstance(target, tuple) or len(target) != 2):
        raise ValueError(f"train: target must be (metric name, threshold), got {target!r}")
    if target is not None and target[0] not in task.goals:
        raise KeyError(f"train: the task reports no metric {target[0]!r}; it has {sorted(task.goals)}")
    if nonfinite not in ("raise", "stop"):
        raise ValueError(f"train: nonfinite must be 'raise' or 'stop', got {nonfinite!r}")
    params = list(model.parameters())
    opt = optim.Adam(params, lr=lr)
    test = task.test_set(test_size, device=device) if test is None else test
    logger = _Log(log)
    result = TrainResult()
    start = time.perf_counter()
    running = None  # the running mean of the training loss, on the device until it is shown

    def evaluation(step):
        row = {"step": step, "seconds": round(time.perf_counter() - start, 3), "train_loss": _read(running)}
        row.update({f"test_{k}": v for k, v in evaluate(model, task, test).items()})
        result.history.append(row)
        logger.write(row)
        return row

    try:
        if eval_first:
            evaluation(0)
        bar = _bar(steps, label or getattr(task, "name", "training"), progress)
        step = 0
        for step in range(1, steps + 1):
            batch = task.batch(batch_size, device=device)
            loss = task.loss(model(batch.x, batch.lengths), batch)
            if not bool(loss.device.xp.isfinite(loss.data)):  # before the step: the weights stay those that made it
                if nonfinite == "raise":
                    raise FloatingPointError(f"train: the training loss became {loss.item()} at step {step}")
                result.diverged_at = step
                break
            opt.zero_grad()
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(params, clip)
            opt.step()
            value = loss.detach().data
            running = value if running is None else 0.95 * running + 0.05 * value
            if bar is not None:
                bar.update(1)
            if step % eval_every == 0 or step == steps:
                row = evaluation(step)
                if bar is not None:
                    bar.set_postfix({k[5:]: f"{v:.4g}" for k, v in row.items() if k.startswith("test_")}, refresh=False)
                if target is not None and result.reached_at is None and _reached(task, row, *target):
                    result.reached_at = step
                    if stop_at_target:
                        break
        if bar is not None:
            bar.close()
    except BaseException as e:
        logger.close(failed=e)
        raise
    result.steps = step
    result.seconds = time.perf_counter() - start
    logger.close()
    return result


def _read(value):
    """A number kept on the device, as a Python float (None stays None)."""
    return None if value is None else float(value)


def _reached(task, row, name, threshold):
    value = row[f"test_{name}"]
    return value >= threshold if task.higher_is_better(name) else value <= threshold


def _bar(total, label, enabled):
    return progress_bar(total, label, "step") if enabled else None


class _Log:
    """Appends evaluation rows to a .csv or .jsonl file (nothing when path is None), written
    beside it and given its name at ``close()`` (removed instead when training failed)."""

    def __init__(self, path):
        self.path, self.file, self.writer, self.opened = (pathlib.Path(path) if path else None), None, None, None
        if self.path is not None and self.path.suffix not in (".csv", ".jsonl"):
            raise ValueError(f"train: the log must be a .csv or .jsonl file, got {self.path.name!r}")

    def write(self, row):
        if self.path is None:
            return
        if self.file is None:
            self.opened = atomic_file(self.path, "w", newline="")
            self.file = self.opened.__enter__()
            if self.path.suffix == ".csv":
                self.writer = csv.DictWriter(self.file, fieldnames=list(row))
                self.writer.writeheader()
        if self.writer is not None:
            self.writer.writerow({k: row.get(k) for k in self.writer.fieldnames})
        else:
            self.file.write(json.dumps(row) + "\n")
        self.file.flush()

    def close(self, failed=None):
        if self.opened is not None:
            self.opened.__exit__(type(failed) if failed else None, failed, None)
            self.opened = self.file = None
