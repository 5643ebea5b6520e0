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


# -- the trainer, the experiments and the demo --------------------------------------

import json  # noqa: E402

from tinygrad_rnn.lab import cli, experiments, tasks  # noqa: E402
from tinygrad_rnn.lab.models import SequenceModel  # noqa: E402
from tinygrad_rnn.lab.train import train  # noqa: E402


def test_trainer_reaches_a_target_logs_and_stops(tmp_path):
    task = tasks.AddingProblem(8, seed=0)
    model = SequenceModel("gru", 2, 16, 1, seed=0)
    result = train(
        model,
        task,
        steps=1500,
        lr=1e-2,
        eval_every=25,
        test_size=200,
        target=("loss", 0.02),
        log=tmp_path / "log.csv",
        progress=False,
    )
    assert result.reached_at is not None and result.steps == result.reached_at < 1500
    assert result.final["test_loss"] <= 0.02
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0].startswith("step,seconds,train_loss,test_loss") and len(lines) == len(result.history) + 1


def test_trainer_keeps_going_past_the_target_when_asked(tmp_path):
    task = tasks.TemporalOrder(20, seed=0)
    model = SequenceModel("lstm", task.input_size, 8, task.output_size, seed=0)
    result = train(
        model,
        task,
        steps=60,
        eval_every=20,
        test_size=50,
        target=("accuracy", 0.0),
        stop_at_target=False,
        log=tmp_path / "log.jsonl",
        progress=False,
    )
    assert result.reached_at == 20 and result.steps == 60
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [20, 40, 60] and "test_accuracy" in rows[0]


def test_trainer_rejects_bad_arguments():
    task = tasks.AddingProblem(5)
    model = SequenceModel("rnn", 2, 4, 1)
    with pytest.raises(ValueError, match="target must be"):
        train(model, task, steps=1, target="loss", progress=False)
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        train(model, task, steps=1, log="log.txt", progress=False)
    before = [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(KeyError, match="no metric 'accuracy'"):
        train(model, task, steps=1, eval_every=1, test_size=4, target=("accuracy", 0.9), progress=False)
    with pytest.raises(ValueError, match="nonfinite must be"):
        train(model, task, steps=1, nonfinite="ignore", progress=False)
    assert all(np.array_equal(a, p.numpy()) for a, p in zip(before, model.parameters()))  # nothing trained


def test_trainer_evaluates_first_on_a_given_test_batch():
    task = tasks.AddingProblem(6, seed=0)
    test = tasks.AddingProblem(12, seed=0).test_set(40)  # longer sequences than the training ones
    model = SequenceModel("gru", 2, 8, 1, seed=0)
    result = train(model, task, steps=20, eval_every=10, test=test, eval_first=True, progress=False)
    assert [h["step"] for h in result.history] == [0, 10, 20] and result.history[0]["train_loss"] is None
    untrained = SequenceModel("gru", 2, 8, 1, seed=0)
    with tg.no_grad():
        expected = task.metrics(untrained(test.x), test)["loss"]
    assert result.history[0]["test_loss"] == pytest.approx(expected)


def test_trainer_stops_or_raises_when_the_loss_is_not_finite():
    task = tasks.AddingProblem(5, seed=0)
    model = SequenceModel("lstm", 2, 4, 1, seed=0)
    model.head.bias.data[:] = np.inf  # the first loss is inf
    with pytest.raises(FloatingPointError, match="at step 1"):
        train(model, task, steps=5, eval_every=2, test_size=4, progress=False)
    model = SequenceModel("lstm", 2, 4, 1, seed=0)
    model.head.bias.data[:] = np.inf
    result = train(model, task, steps=5, eval_every=2, test_size=4, nonfinite="stop", progress=False)
    assert result.diverged_at == 1 and result.steps == 1 and result.history == []


def test_sequence_model_reads_each_sequence_at_its_own_last_step():
    model = SequenceModel("lstm", 3, 4, 2, seed=0).double()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    full = model(x).numpy()
    short = model(x, lengths=[5, 3]).numpy()
    np.testing.assert_allclose(short[0], full[0])
    alone = model(tg.Tensor(x.numpy()[:3, 1:])).numpy()
    np.testing.assert_allclose(short[1], alone[0], atol=1e-12)


def test_experiment_commands_quick(tmp_path, capsys):
    out = tmp_path / "adding"
    assert (
        cli.main(
            ["experiment", "adding", "--quick", "--seeds", "0", "--steps", "40", "--out", str(out), "--no-progress"]
        )
        == 0
    )
    text = (out / "results.md").read_text()
    assert "| RNN | 0 |" in text and "| LSTM | 0 |" in text and "| GRU | 0 |" in text
    assert (out / "adding.png").exists() and (out / "adding_lstm_seed0.csv").exists()
    out = tmp_path / "variants"
    assert (
        cli.main(
            [
                "experiment",
                "variants",
                "--quick",
                "--seeds",
                "0",
                "--steps",
                "20",
                "--cells",
                "greff-vanilla,greff-nfg,gru",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    text = (out / "results.md").read_text()
    assert "## continual-reber" in text and "## adding" in text and "| NFG | 0 |" in text
    assert "final test symbols_correct" in text


def test_demo_quick_writes_a_self_contained_report(tmp_path):
    from tinygrad_rnn.lab.demo import run_demo

    report = run_demo(tmp_path / "demo", quick=True, progress=False)
    page = report.read_text()
    assert page.count("data:image/png;base64,") == 3 and page.count("<svg") == 4
    assert "Why LSTM trains" in page and "1/6" in page
    for name in (
        "training_curves.png",
        "flow_before.png",
        "flow_after.png",
        "rnn_vs_lstm.svg",
        "rnn_vs_lstm.png",
        "lstm_cell.svg",
        "gru_cell.png",
        "train_lstm.csv",
        "results.md",
    ):
        assert (tmp_path / "demo" / name).exists(), name


@pytest.mark.slow
def test_full_adding_experiment_lstm_and_gru_learn_where_rnn_cannot(tmp_path):
    runs = experiments.adding(seeds=(0,), out=tmp_path, progress=False)
    final = {r.cell: r.final["loss"] for r in runs}
    assert final["rnn"] > 0.1 and final["lstm"] < 0.01 and final["gru"] < 0.01
