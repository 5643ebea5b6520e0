"""The runnable examples in the docstrings of the optimizers, schedules, losses, layers, init and checkpoints."""

import doctest
import importlib

import pytest

import tinygrad_rnn as tg

MODULES = [
    "tinygrad_rnn.optim.optimizer",
    "tinygrad_rnn.optim.sgd",
    "tinygrad_rnn.optim.adam",
    "tinygrad_rnn.optim.rmsprop",
    "tinygrad_rnn.optim.lr_scheduler",
    "tinygrad_rnn.serialization",
    "tinygrad_rnn.nn.functional",
    "tinygrad_rnn.nn.loss",
    "tinygrad_rnn.nn.layers",
    "tinygrad_rnn.nn.init",
]


@pytest.fixture
def on_the_cpu():
    """The examples show tensors on the CPU, whatever the default device of the run."""
    old = tg.default_device()
    tg.set_default_device("cpu")
    yield
    tg.set_default_device(old)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, on_the_cpu):
    tg.manual_seed(0)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
