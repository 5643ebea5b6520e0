"""The synthetic sequence tasks: determinism, shapes, the definitions of each task, baselines."""

import itertools
import math

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.lab import tasks
from tinygrad_rnn.lab.tasks import (
    TASKS,
    AddingProblem,
    Batch,
    ContinualReber,
    CopyTask,
    EmbeddedReber,
    TemporalOrder,
    allowed_next,
    embedded_reber_string,
    is_embedded_reber,
    is_reber,
    make_task,
    reber_string,
)

# small versions of every task, so that the tests are fast
SMALL = {
    "adding": {"length": 30},
    "adding-1997": {"length": 40},
    "temporal-order": {"length": 30},
    "reber": {},
    "continual-reber": {"length": 60},
    "copy": {"length": 12, "n_copy": 5},
}


def small(name, **options):
    return make_task(name, **{**SMALL[name], **options})


def same(a, b):
    """Two batches hold equal arrays (and equal lengths)."""
    if a.x.shape != b.x.shape or a.y.shape != b.y.shape or a.lengths != b.lengths:
        return False
    if (a.mask is None) != (b.mask is None):
        return False
    masks = a.mask is None or np.array_equal(a.mask.numpy(), b.mask.numpy())
    return np.array_equal(a.x.numpy(), b.x.numpy()) and np.array_equal(a.y.numpy(), b.y.numpy()) and masks


def symbols_of(batch):
    """The input symbols (T, B) as argmax indices, -1 on all-zero (padding) steps."""
    x = batch.x.numpy()
    return np.where(x.sum(axis=2) > 0, x.argmax(axis=2), -1)


def reber_text(indices):
    return "".join(tasks.REBER_SYMBOLS[i] for i in indices if i >= 0)


def random_output(task, batch, device="cpu", seed=0):
    shape = (batch.batch_size, task.output_size) if task.target == "last" else (*batch.x.shape[:2], task.output_size)
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return tg.Tensor(data, requires_grad=True, device=device)


# -- determinism ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TASKS))
def test_same_seed_same_batches_and_different_seeds_differ(name):
    a, b, c = small(name, seed=3), small(name, seed=3), small(name, seed=4)
    first_a, first_b, first_c = a.batch(6), b.batch(6), c.batch(6)
    assert same(first_a, first_b)
    assert same(a.batch(6), b.batch(6))
    assert not same(first_a, first_c)
    assert not same(first_a, a.batch(6))  # the stream moves on
    rng_batch = a.batch(6, rng=np.random.default_rng(9))
    assert same(rng_batch, c.batch(6, rng=np.random.default_rng(9)))  # an explicit generator decides alone


@pytest.mark.parametrize("name", list(TASKS))
def test_test_set_is_fixed_and_independent_of_training_batches(name):
    task, fresh = small(name, seed=0), small(name, seed=0)
    held_out = task.test_set(6, seed=0)  # the same number as the training seed
    assert same(held_out, task.test_set(6, seed=0))
    assert same(held_out, fresh.test_set(6, seed=0))
    assert not same(held_out, task.test_set(6, seed=1))
    first = task.batch(6)
    assert same(first, fresh.batch(6))  # test_set consumed nothing of the training stream
    assert not same(held_out, first)


# -- shapes, dtypes, devices, losses ----------------------------------------------------


@pytest.mark.parametrize("name", list(TASKS))
def test_batch_shapes_dtypes_and_device(name, device):
    task = small(name)
    batch = task.batch(5, device=device)
    assert isinstance(batch, Batch)
    steps = batch.x.shape[0]
    assert batch.x.shape == (steps, 5, task.input_size) and batch.x.dtype == np.float32
    for t in (batch.x, batch.y) + (() if batch.mask is None else (batch.mask,)):
        assert t.device == device
        assert not t.requires_grad
    kind = (task.target, task.loss_name)
    if kind == ("last", "mse"):
        assert batch.y.shape == (5, task.output_size) and batch.y.dtype == np.float32
    elif kind == ("last", "cross_entropy"):
        assert batch.y.shape == (5,) and batch.y.dtype == np.int64
    elif kind == ("every", "cross_entropy"):
        assert batch.y.shape == (steps, 5) and batch.y.dtype == np.int64
    else:
        assert kind == ("every", "binary_cross_entropy_with_logits")
        assert batch.y.shape == (steps, 5, task.output_size) and batch.y.dtype == np.float32
    if name == "reber":
        assert batch.mask.shape == (steps, 5) and batch.mask.dtype == np.float32
        assert len(batch.lengths) == 5 and max(batch.lengths) == steps
    else:
        assert batch.mask is None and batch.lengths is None
    assert task.name == name
    assert task.baseline > 0


@pytest.mark.parametrize("name", list(TASKS))
def test_loss_backpropagates_and_metrics_are_floats(name, device):
    task = small(name)
    batch = task.batch(4, device=device)
    output = random_output(task, batch, device)
    loss = task.loss(output, batch)
    assert loss.shape == () and loss.device == device
    loss.backward()
    assert output.grad is not None and output.grad.shape == output.shape
    assert np.abs(output.grad.numpy()).sum() > 0
    metrics = task.metrics(output, batch)
    assert all(type(v) is float for v in metrics.values())
    assert metrics["loss"] == pytest.approx(float(loss.item()), rel=1e-6)
    success = {"adding": "fraction_within_0.04", "adding-1997": "fraction_within_0.04"}.get(name, "accuracy")
    if "reber" in name:
        success = "sequences_correct"
        assert 0 <= metrics["symbols_correct"] <= 1
    assert 0 <= metrics[success] <= 1


@pytest.mark.parametrize("name", list(TASKS))
def test_loss_rejects_an_output_of_the_wrong_shape(name):
    task = small(name)
    batch = task.batch(3)
    output = random_output(task, batch)
    with pytest.raises(ValueError, match="output shape"):
        task.loss(output[..., :-1], batch)


def test_make_task_and_registry():
    assert set(TASKS) == {"adding", "adding-1997", "temporal-order", "reber", "continual-reber", "copy"}
    task = make_task("adding-1997", length=60, seed=2)
    assert isinstance(task, AddingProblem) and task.form == "hochreiter" and task.length == 60 and task.seed == 2
    assert make_task("adding").form == "modern"
    assert isinstance(make_task("copy", n_symbols=4), CopyTask) and make_task("copy", n_symbols=4).input_size == 6
    with pytest.raises(ValueError, match="unknown task"):
        make_task("addition")
    with pytest.raises(ValueError):
        AddingProblem(form="1997")
    with pytest.raises(ValueError):
        TemporalOrder(length=5)


# -- adding problem -----------------------------------------------------------------------


def test_adding_modern_definition_and_baseline():
    task = AddingProblem(length=20, seed=1)
    batch = task.batch(20000)
    x, y = batch.x.numpy(), batch.y.numpy()[:, 0]
    values, markers = x[:, :, 0], x[:, :, 1]
    assert ((values >= 0) & (values <= 1)).all()
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers[:10].sum(axis=0) == 1).all() and (markers[10:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(y, (values * markers).sum(axis=0), rtol=1e-6)
    assert abs(float(np.mean((1 - y) ** 2)) - 1 / 6) < 0.005
    assert task.baseline == pytest.approx(1 / 6)
    ones = tg.Tensor(np.ones((20000, 1), dtype=np.float32))
    assert abs(float(task.loss(ones, batch).item()) - task.baseline) < 0.005
    # every position of each half is used
    assert set(markers[:10].argmax(axis=0)) == set(range(10))
    assert set(markers[10:].argmax(axis=0) + 10) == set(range(10, 20))


def test_adding_1997_definition_and_baseline():
    length = 100
    task = AddingProblem(length=length, form="hochreiter", seed=1)
    batch = task.batch(20000)
    x, y = batch.x.numpy(), batch.y.numpy()[:, 0]
    values, markers = x[:, :, 0], x[:, :, 1]
    assert ((values >= -1) & (values <= 1)).all() and values.min() < -0.99
    assert ((markers == 1).sum(axis=0) == 2).all()
    marked = [np.flatnonzero(markers[:, b] == 1) for b in range(x.shape[1])]
    first_window = [m for m in marked if m[0] < 10]
    assert len(first_window) == len(marked)  # one of the marks is among the first 10 steps
    assert all(m[1] < length // 2 - 1 for m in marked)  # both among the first T/2 - 1 steps
    # -1 at the first step unless it is marked, -1 at the last, 0 elsewhere
    assert (markers[0] != 0).all() and (markers[-1] == -1).all()
    assert (markers[1:-1] != -1).all()
    first_marked = markers[0] == 1
    assert 0.08 < first_marked.mean() < 0.16  # P0 = 0.1 + 0.9/48
    assert (values[0, first_marked] == 0).all()
    np.testing.assert_allclose(y, 0.5 + (values * (markers == 1)).sum(axis=0) / 4, rtol=1e-6)
    # the first mark is uniform over the first 10 steps, the second reaches T/2 - 2
    firsts = np.array([m[0] for m in marked])
    assert set(firsts) == set(range(10))
    assert max(m[1] for m in marked) == length // 2 - 2
    # baseline: predict 0.5, the target's mean; MSE = (2 - P0)/48, close to 1/24
    p_zero = 0.1 + 0.9 / (length // 2 - 2)
    assert task.baseline == pytest.approx((2 - p_zero) / 48)
    assert abs(task.baseline - 1 / 24) < 0.003
    assert abs(float(np.mean((y - 0.5) ** 2)) - task.baseline) < 0.002
    assert task.success_threshold == 0.04


def test_adding_fraction_within_threshold():
    task = AddingProblem(length=30, form="hochreiter")
    batch = task.batch(50)
    y = batch.y.numpy()
    exact = task.metrics(tg.Tensor(y), batch)
    assert exact["fraction_within_0.04"] == 1.0 and exact["loss"] == 0.0
    shifted = y.copy()
    shifted[:20] += 0.05
    off = task.metrics(tg.Tensor(shifted), batch)
    assert off["fraction_within_0.04"] == pytest.approx(30 / 50)
    assert off["loss"] == pytest.approx(20 / 50 * 0.05**2, rel=1e-3)


def test_adding_variable_length_and_last_step():
    task = AddingProblem(length=40, form="hochreiter", variable_length=True, seed=5)
    batch = task.batch(300)
    lengths = np.array(batch.lengths)
    assert lengths.min() == 40 and lengths.max() == 44 and batch.steps == 44
    x = batch.x.numpy()
    for b, n in enumerate(lengths):
        assert x[n - 1, b, 1] == -1 and not x[n:, b].any()
    # last_step picks each sequence's own last step, differentiably
    out = tg.Tensor(np.random.default_rng(0).standard_normal((44, 300, 1)).astype(np.float32), requires_grad=True)
    last = batch.last_step(out)
    np.testing.assert_array_equal(last.numpy()[:, 0], out.numpy()[lengths - 1, np.arange(300), 0])
    task.loss(last, batch).backward()
    grad = out.grad.numpy()[:, :, 0]
    assert (grad[lengths - 1, np.arange(300)] != 0).all() and np.count_nonzero(grad) == 300


# -- temporal order ---------------------------------------------------------------------


def test_temporal_order_definition_and_balance():
    task = TemporalOrder(length=100, seed=2)
    assert task.t1_range == (10, 20) and task.t2_range == (50, 60)
    batch = task.batch(4000)
    symbols = symbols_of(batch)  # 0 E, 1 B, 2-5 a-d, 6 X, 7 Y
    y = batch.y.numpy()
    assert (symbols[0] == 0).all() and (symbols[-1] == 1).all()
    relevant = symbols >= 6
    assert (relevant.sum(axis=0) == 2).all()
    assert (symbols[1:-1] >= 2).all()
    positions = np.array([np.flatnonzero(relevant[:, b]) for b in range(4000)])
    assert set(positions[:, 0]) == set(range(10, 21))
    assert set(positions[:, 1]) == set(range(50, 61))
    cols = np.arange(4000)
    first, second = symbols[positions[:, 0], cols] - 6, symbols[positions[:, 1], cols] - 6
    np.testing.assert_array_equal(y, 2 * first + second)  # XX 0, XY 1, YX 2, YY 3
    frequencies = np.bincount(y, minlength=4) / 4000
    assert np.abs(frequencies - 0.25).max() < 0.03
    assert task.baseline == pytest.approx(math.log(4))


def test_temporal_order_scaled_windows_and_variable_length():
    task = TemporalOrder(length=200, variable_length=True)
    assert task.t1_range == (20, 40) and task.t2_range == (100, 120)
    batch = task.batch(500)
    symbols = symbols_of(batch)
    lengths = np.array(batch.lengths)
    assert lengths.min() >= 200 and lengths.max() <= 220
    cols = np.arange(500)
    assert (symbols[lengths - 1, cols] == 1).all()
    assert all((symbols[n:, b] == -1).all() for b, n in enumerate(lengths))
    relevant = [np.flatnonzero(symbols[:, b] >= 6) for b in range(500)]
    assert all(20 <= r[0] <= 40 and 100 <= r[1] <= 120 for r in relevant)


def test_temporal_order_accuracy():
    task = TemporalOrder(length=30)
    batch = task.batch(40)
    logits = np.zeros((40, 4), dtype=np.float32)
    logits[np.arange(40), batch.y.numpy()] = 5
    logits[:10] = np.roll(logits[:10], 1, axis=1)
    assert task.metrics(tg.Tensor(logits), batch)["accuracy"] == pytest.approx(0.75)


# -- Reber grammar ------------------------------------------------------------------------

VALID_REBER = ["BTXSE", "BPVVE", "BTSXSE", "BPTVVE", "BTSSXXTVVE", "BPTVPXVVE", "BTXXVPSE", "BPVPXTTVVE", "BTXXTTVPSE"]
INVALID_REBER = ["BTSE", "BPVE", "BTXVE", "BPTXSE", "BTSSXXTVPE", "TXSE", "BTXS", "BTXSEE", "BPVVVE", "BE", ""]


def test_reber_recogniser_on_known_strings():
    for s in VALID_REBER:
        assert is_reber(s), s
        assert is_embedded_reber("BT" + s + "TE") and is_embedded_reber("BP" + s + "PE")
    for s in INVALID_REBER:
        assert not is_reber(s), s
    assert not is_embedded_reber("BTBTXSEPE")  # the closing letter must repeat the second
    assert not is_embedded_reber("BPBTXSETE")
    assert not is_embedded_reber("BTXSE") and not is_embedded_reber("BTBTXSET")


def _accepted_by_table(string, embedded):
    try:
        allowed_next(string)
    except ValueError:
        return False
    return (len(string) >= 3 and string[2] == "B") == embedded


def test_recogniser_and_transition_table_agree_on_all_short_strings():
    """Every string B ... E with up to 7 inner symbols (about 98,000 strings): the regular expression accepts it
    exactly when the generator's transition table does."""
    accepted = 0
    for n in range(0, 8):
        for inner in itertools.product("TPSXV", repeat=n):
            s = "B" + "".join(inner) + "E"
            assert is_reber(s) == _accepted_by_table(s, embedded=False), s
            accepted += is_reber(s)
    # counted by hand from the grammar: 2, 3, 4, 7 and 11 strings with 3, 4, 5, 6 and 7 inner symbols
    assert accepted == 27


def test_generated_strings_are_grammatical_and_mutants_agree():
    rng = np.random.default_rng(0)
    for _ in range(1000):
        assert is_reber(reber_string(rng))
    strings = [embedded_reber_string(rng) for _ in range(1000)]
    assert all(is_embedded_reber(s) for s in strings)
    assert {s[1] for s in strings} == {"T", "P"}
    for s in strings[:60]:
        for i in range(len(s)):
            deleted = s[:i] + s[i + 1 :]
            assert is_embedded_reber(deleted) == _accepted_by_table(deleted, embedded=True), deleted
            for c in tasks.REBER_SYMBOLS:
                changed = s[:i] + c + s[i + 1 :]
                assert is_embedded_reber(changed) == _accepted_by_table(changed, embedded=True), changed
                if c != s[i] and s[i] in "BE":
                    assert not is_embedded_reber(changed)


def test_allowed_next_by_hand():
    sets = [set(a) for a in allowed_next("BTSSXXTVVE")]
    tp, sx, tv, pv = {"T", "P"}, {"S", "X"}, {"T", "V"}, {"P", "V"}
    assert sets == [tp, sx, sx, sx, sx, tv, tv, pv, {"E"}, set()]
    embedded = [set(a) for a in allowed_next("BPBPVVEPE")]
    assert embedded == [{"T", "P"}, {"B"}, {"T", "P"}, {"T", "V"}, {"P", "V"}, {"E"}, {"P"}, {"E"}, set()]
    assert set(allowed_next("BPBPVVEPE", continual=True)[-1]) == {"B"}
    with pytest.raises(ValueError):
        allowed_next("BTBTXSEPE")
    with pytest.raises(ValueError):
        allowed_next("BTXVE")


def test_allowed_next_is_consistent_with_the_grammar():
    rng = np.random.default_rng(1)
    short = set()  # all embedded strings of up to 11 symbols, as a check that allowed symbols can follow
    for _ in range(2000):
        s = embedded_reber_string(rng)
        sets = allowed_next(s)
        assert len(sets) == len(s)
        for i in range(len(s) - 1):
            assert s[i + 1] in sets[i]
        assert sets[0] == {"T", "P"} and sets[1] == {"B"}
        assert sets[-3] == {s[1]}  # the second-to-last symbol can only repeat the second
        assert sets[-2] == {"E"} and sets[-1] == set()
        if len(s) <= 11:
            short.add(s)
    # whatever symbol follows a prefix in some string is in that prefix's allowed set
    for s, t in itertools.product(short, repeat=2):
        k = next((i for i in range(min(len(s), len(t))) if s[i] != t[i]), None)
        if k is not None and k > 0:
            assert t[k] in allowed_next(s)[k - 1]


def test_embedded_reber_batch_structure():
    task = EmbeddedReber(seed=4)
    batch = task.batch(64)
    symbols, y, mask = symbols_of(batch), batch.y.numpy(), batch.mask.numpy()
    assert batch.steps == max(batch.lengths)
    for b, n in enumerate(batch.lengths):
        text = reber_text(symbols[:n, b])
        assert (symbols[n:, b] == -1).all() and not y[n:, b].any()
        assert (mask[:n, b] == 1).all() and (mask[n:, b] == 0).all()
        assert is_embedded_reber(text + "E")
        expected = [set(a) for a in allowed_next(text + "E")[:-1]]
        got = [{tasks.REBER_SYMBOLS[k] for k in np.flatnonzero(row)} for row in y[:n, b]]
        assert got == expected
    fixed = EmbeddedReber(max_length=12).batch(64)
    assert fixed.steps == 11 and max(fixed.lengths) <= 11


def test_continual_reber_streams_are_concatenated_strings():
    task = ContinualReber(length=200, seed=3)
    batch = task.batch(8)
    symbols, y = symbols_of(batch), batch.y.numpy()
    assert (symbols >= 0).all() and batch.mask is None
    for b in range(8):
        stream = reber_text(symbols[:, b])
        pieces = stream.replace("EB", "E|B").split("|")  # E B occurs only where one string ends
        assert len(pieces) > 10
        for piece in pieces[:-1]:
            assert is_embedded_reber(piece), piece
        starts = np.cumsum([0] + [len(p) for p in pieces])
        expected = [set(a) for p in pieces[:-1] for a in allowed_next(p, continual=True)]
        got = [{tasks.REBER_SYMBOLS[k] for k in np.flatnonzero(row)} for row in y[:, b]]
        assert got[: starts[-2]] == expected
        # the cut-off string is the start of a grammatical one
        tail = got[starts[-2] :]
        assert all(stream[starts[-2] + i + 1] in tail[i] for i in range(len(tail) - 1))
        assert all(got[i] == {"B"} for i in range(len(stream) - 1) if stream[i : i + 2] == "EB")


@pytest.mark.parametrize("task", [EmbeddedReber(seed=0), ContinualReber(length=300, seed=0)], ids=["reber", "cont"])
def test_reber_baseline_is_the_loss_of_predicting_marginal_frequencies(task):
    p = task.marginal
    assert p.shape == (7,) and ((p > 0) & (p < 1)).all()
    entropy = -(p * np.log(p) + (1 - p) * np.log(1 - p)).mean()
    assert task.baseline == pytest.approx(entropy)
    assert 0.4 < task.baseline < math.log(2)
    batch = task.test_set(200 if isinstance(task, ContinualReber) else 3000)
    logits = np.broadcast_to(np.log(p / (1 - p)).astype(np.float32), (*batch.x.shape[:2], 7))
    loss = float(task.loss(tg.Tensor(np.ascontiguousarray(logits)), batch).item())
    assert abs(loss - task.baseline) < 0.01
    half = float(task.loss(tg.Tensor(np.zeros_like(logits)), batch).item())
    assert half == pytest.approx(math.log(2), rel=1e-5) and loss < half - 0.1


def test_reber_metrics_count_exact_sets():
    task = EmbeddedReber(seed=1)
    batch = task.batch(10)
    y, real = batch.y.numpy(), batch.mask.numpy() > 0
    perfect = np.where(y > 0.5, 5.0, -5.0).astype(np.float32)
    perfect[~real] = 7.0  # padding does not count
    m = task.metrics(tg.Tensor(perfect), batch)
    assert m["symbols_correct"] == 1.0 and m["sequences_correct"] == 1.0
    one_off = perfect.copy()
    one_off[2, 3, 0] = -one_off[2, 3, 0]  # one extra or missing symbol at one step
    m = task.metrics(tg.Tensor(one_off), batch)
    assert m["sequences_correct"] == pytest.approx(0.9)
    assert m["symbols_correct"] == pytest.approx(1 - 1 / sum(batch.lengths))

    stream = ContinualReber(length=100, seed=1)
    batch = stream.batch(4)
    perfect = np.where(batch.y.numpy() > 0.5, 5.0, -5.0).astype(np.float32)
    m = stream.metrics(tg.Tensor(perfect), batch)
    assert m["symbols_correct"] == m["sequences_correct"] == m["strings_correct"] == 1.0
    perfect[0, 0, 1] = -perfect[0, 0, 1]
    m = stream.metrics(tg.Tensor(perfect), batch)
    assert m["sequences_correct"] == 0.75 and 0.9 < m["strings_correct"] < 1.0


# -- copy memory -------------------------------------------------------------------------


def test_copy_task_structure():
    task = CopyTask(length=15, n_symbols=8, n_copy=10, seed=6)
    assert task.input_size == 10 and task.output_size == 9
    batch = task.batch(50)
    symbols, y = symbols_of(batch), batch.y.numpy()
    assert symbols.shape == (35, 50) and y.shape == (35, 50)
    data = symbols[:10]
    assert ((data >= 1) & (data <= 8)).all() and set(np.unique(data)) == set(range(1, 9))
    assert (symbols[10:24] == 0).all()  # length - 1 blanks
    assert (symbols[24] == 9).all()  # the delimiter
    assert (symbols[25:] == 0).all()
    np.testing.assert_array_equal(y[-10:], data)  # the symbols reappear, in order
    assert (y[:-10] == 0).all()


def test_copy_baseline_is_the_memoryless_loss():
    task = CopyTask(length=30, n_symbols=6, n_copy=4)
    batch = task.batch(16)
    steps = batch.steps
    logits = np.full((steps, 16, 7), -1e4, dtype=np.float32)
    logits[: steps - 4, :, 0] = 0  # certain blank until the output steps
    logits[steps - 4 :, :, 1:] = 0  # then uniform over the 6 data symbols
    # the loss of that strategy, computed directly
    shifted = logits - logits.max(axis=2, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    y = batch.y.numpy()
    direct = -np.take_along_axis(log_p, y[:, :, None], axis=2).mean()
    assert direct == pytest.approx(task.baseline, rel=1e-5)
    assert task.baseline == pytest.approx(4 * math.log(6) / (30 + 8))
    assert float(task.loss(tg.Tensor(logits), batch).item()) == pytest.approx(task.baseline, rel=1e-5)


def test_copy_accuracy_on_output_steps():
    task = CopyTask(length=10, n_symbols=5, n_copy=4)
    batch = task.batch(8)
    y = batch.y.numpy()
    logits = np.eye(6, dtype=np.float32)[y] * 5
    assert task.metrics(tg.Tensor(logits), batch)["accuracy"] == 1.0
    blanks = np.zeros_like(logits)
    blanks[:, :, 0] = 5
    assert task.metrics(tg.Tensor(blanks), batch)["accuracy"] == 0.0
    logits[-1, :, :] = np.roll(logits[-1], 1, axis=1)
    assert task.metrics(tg.Tensor(logits), batch)["accuracy"] == pytest.approx(0.75)
