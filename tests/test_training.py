"""Smoke tests of learning: an LSTM learns the adding problem, and a GRU too, in seconds."""

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim


def adding_batch(rng, n=32, steps=10):
    """Two channels, values U[0, 1] and a marker in each half; the target is the marked sum."""
    values = rng.uniform(0, 1, (steps, n))
    marks = np.zeros((steps, n))
    marks[rng.integers(0, steps // 2, n), np.arange(n)] = 1
    marks[rng.integers(steps // 2, steps, n), np.arange(n)] = 1
    x = np.stack([values, marks], -1).astype(np.float32)
    y = (values * marks).sum(0)[:, None].astype(np.float32)
    return tg.Tensor(x), tg.Tensor(y)


@pytest.mark.parametrize("layer_class", [nn.LSTM, nn.GRU])
def test_recurrent_layer_learns_the_adding_problem(layer_class):
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    options = {"forget_bias": 1.0} if layer_class is nn.LSTM else {}
    model, head = layer_class(2, 16, **options), nn.Linear(16, 1)
    params = list(model.parameters()) + list(head.parameters())
    opt = optim.Adam(params, lr=1e-2)
    for _ in range(300):
        x, y = adding_batch(rng)
        out, _ = model(x)
        loss = nn.functional.mse_loss(head(out[-1]), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    x, y = adding_batch(np.random.default_rng(1), n=500)
    with tg.no_grad():
        test_mse = nn.functional.mse_loss(head(model(x)[0][-1]), y).item()
    assert test_mse < 0.02, f"test MSE {test_mse:.4f}; always predicting 1 gives about 0.167"
