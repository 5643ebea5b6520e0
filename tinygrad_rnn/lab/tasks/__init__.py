"""Synthetic sequence tasks for recurrent networks: seeded, deterministic, time-major.

Every task draws its sequences with NumPy on the host, from a ``numpy.random.Generator``,
and hands them over as a :class:`Batch` of tensors on the device asked for:

    task = AddingProblem(length=100, seed=0)
    batch = task.batch(32, device="cuda")       # x (T, B, input_size), y (B, output_size)
    loss = task.loss(model_output, batch)        # a scalar Tensor: loss.backward() works
    task.metrics(model_output, batch)            # {"loss": ..., "fraction_within_0.04": ...}

Tasks (``TASKS`` maps names to constructors, ``make_task(name, **options)`` builds one):

``"adding"``, ``"adding-1997"``  :class:`AddingProblem`
    Le, Jaitly & Hinton (2015) and Arjovsky, Shah & Bengio (2016) (the "modern" form), or
    Hochreiter & Schmidhuber (1997), experiment 4.
``"temporal-order"``  :class:`TemporalOrder`
    Hochreiter & Schmidhuber (1997), experiment 6a.
``"reber"``  :class:`EmbeddedReber`
    The embedded Reber grammar (Reber 1967; Cleeremans, Servan-Schreiber & McClelland 1989;
    Fahlman 1991; Hochreiter & Schmidhuber 1997, experiment 1): next-symbol prediction.
``"continual-reber"``  :class:`ContinualReber`
    Embedded Reber strings in one unsegmented stream (Gers, Schmidhuber & Cummins 2000).
``"copy"``  :class:`CopyTask`
    The copy memory problem of Arjovsky, Shah & Bengio (2016).

Every task has ``name``, ``input_size``, ``output_size``, ``target`` ("last": one target per
sequence, after its last step; "every": a target at every step), ``loss_name`` and
``baseline``: the loss of the trivial predictor named in the task's docstring, so that a
model's loss can be read against it.

A task's training batches come from its own generator, seeded by ``seed=`` at construction:
two tasks built with the same seed hand out the same sequence of batches. ``test_set(size,
seed=12345)`` draws from a generator of its own, seeded from ``seed`` through a different
``SeedSequence`` spawn key, so it never repeats the training stream, even for equal seeds.
"""

from .adding import AddingProblem
from .base import Batch, Task
from .continual_reber import ContinualReber
from .copy_memory import CopyTask
from .reber import EmbeddedReber
from .reber_grammar import REBER_SYMBOLS, allowed_next, embedded_reber_string, is_embedded_reber, is_reber, reber_string
from .temporal_order import TemporalOrder

__all__ = [
    "Batch",
    "Task",
    "AddingProblem",
    "TemporalOrder",
    "EmbeddedReber",
    "ContinualReber",
    "CopyTask",
    "TASKS",
    "make_task",
    "reber_string",
    "embedded_reber_string",
    "allowed_next",
    "is_reber",
    "is_embedded_reber",
    "REBER_SYMBOLS",
]


def _adding_1997(**options):
    return AddingProblem(**{"form": "hochreiter", **options})


TASKS = {
    "adding": AddingProblem,
    "adding-1997": _adding_1997,
    "temporal-order": TemporalOrder,
    "reber": EmbeddedReber,
    "continual-reber": ContinualReber,
    "copy": CopyTask,
}


def make_task(name, **options):
    """The task called ``name`` (a key of ``TASKS``), built with ``options``."""
    try:
        maker = TASKS[name]
    except KeyError:
        raise ValueError(f"make_task: unknown task {name!r}; choose one of {', '.join(TASKS)}") from None
    return maker(**options)
