"""Cells and sequence layers: parity with PyTorch (copied weights, float64, every gradient),
the variants against NumPy code written from their equations, and gradient checks."""

import itertools

import numpy as np
import pytest
from conftest import host

import tinygrad_rnn as tg
from tinygrad_rnn import nn

TOL = 1e-10


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch (the test oracle) is not installed")


def _copy_weights(ours, theirs):
    """Load PyTorch's state dict, converted to NumPy, into our module unchanged."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _assert_close(ours, theirs, what):
    np.testing.assert_allclose(host(ours), theirs.detach().numpy(), rtol=TOL, atol=TOL, err_msg=what)


# -- cells against torch ------------------------------------------------------------

CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("RNNCell", {"bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("name,options", CELLS, ids=lambda v: str(v))
@pytest.mark.parametrize("batched", [True, False])
def test_cell_matches_torch(name, options, batched, device):
    torch = torch_or_skip()
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(5, 4, **options).double()
    ours = getattr(nn, name)(5, 4, **options).double().to(device)
    _copy_weights(ours, theirs)
    shape = (3, 5) if batched else (5,)
    x_np = np.random.default_rng(1).standard_normal(shape)
    state_shape = (3, 4) if batched else (4,)
    states_np = [np.random.default_rng(2 + k).standard_normal(state_shape) for k in range(2)]
    lstm = name == "LSTMCell"
    tx = torch.tensor(x_np, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in states_np[: 2 if lstm else 1]]
    x = tg.Tensor(x_np, requires_grad=True, device=device)
    s = [tg.Tensor(a, requires_grad=True, device=device) for a in states_np[: 2 if lstm else 1]]
    t_out = theirs(tx, tuple(ts) if lstm else ts[0])
    out = ours(x, tuple(s) if lstm else s[0])
    t_out, out = (t_out, out) if lstm else ((t_out,), (out,))
    for k, (a, b) in enumerate(zip(out, t_out)):
        _assert_close(a, b, f"output {k}")
    weights = np.random.default_rng(9).standard_normal((len(out),) + state_shape)
    sum(o * tg.Tensor(w, device=device) for o, w in zip(out, weights)).sum().backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(t_out, weights)).backward()
    _assert_close(x.grad, tx.grad, "input grad")
    for a, b in zip(s, ts):
        _assert_close(a.grad, b.grad, "state grad")
    for (pname, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert pname == tname
        _assert_close(p.grad, tp.grad, f"grad of {pname}")


# -- sequence layers against torch -----------------------------------------------

LAYER_CONFIGS = [
    # (num_layers, bidirectional, batch_first, with initial state, with lengths, bias)
    (1, False, False, False, False, True),
    (2, False, True, True, False, True),
    (1, True, False, True, False, True),
    (2, True, True, False, True, True),
    (2, True, False, True, True, False),
    (1, False, False, False, True, True),
]


def _torch_run(torch, layer, x, hx, lengths, batch_first):
    if lengths is None:
        return layer(x, hx)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False
    )
    out, state = layer(packed, hx)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(
        out, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0]
    )
    return out, state


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("config", LAYER_CONFIGS, ids=lambda c: "L{}-bi{:d}-bf{:d}-h0{:d}-len{:d}-bias{:d}".format(*c))
@pytest.mark.parametrize("block", [64, 2], ids=["one-projection", "projection-per-2-steps"])
def test_layer_matches_torch(name, config, block, device, monkeypatch):
    torch = torch_or_skip()
    monkeypatch.setattr(nn.RecurrentLayer, "PROJECTION_STEPS", block)
    layers, bi, batch_first, with_state, with_lengths, bias = config
    torch.manual_seed(0)
    options = dict(num_layers=layers, bidirectional=bi, batch_first=batch_first, bias=bias)
    theirs = getattr(torch.nn, name)(3, 4, **options).double()
    ours = getattr(nn, name)(3, 4, **options).double().to(device)
    _copy_weights(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    steps, batch = 5, 3
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((batch, steps, 3) if batch_first else (steps, batch, 3))
    lengths = [5, 2, 4] if with_lengths else None
    n_state = 2 if name == "LSTM" else 1
    states_np = (
        [rng.standard_normal((layers * (2 if bi else 1), batch, 4)) for _ in range(n_state)] if with_state else []
    )
    tx = torch.tensor(x_np, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in states_np]
    x = tg.Tensor(x_np, requires_grad=True, device=device)
    s = [tg.Tensor(a, requires_grad=True, device=device) for a in states_np]
    pack = (lambda v: tuple(v)) if name == "LSTM" else (lambda v: v[0])
    t_out, t_state = _torch_run(torch, theirs, tx, pack(ts) if ts else None, lengths, batch_first)
    out, state = ours(x, pack(s) if s else None, lengths=lengths)
    t_state, state = (t_state, state) if name == "LSTM" else ((t_state,), (state,))
    _assert_close(out, t_out, "output")
    for k, (a, b) in enumerate(zip(state, t_state)):
        _assert_close(a, b, f"final state {k}")
    weights = [rng.standard_normal(t.shape) for t in (t_out, *t_state)]
    loss = sum((o * tg.Tensor(w, device=device)).sum() for o, w in zip((out, *state), weights))
    loss.backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip((t_out, *t_state), weights)).backward()
    _assert_close(x.grad, tx.grad, "input grad")
    for a, b in zip(s, ts):
        _assert_close(a.grad, b.grad, "initial state grad")
    for (pname, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        _assert_close(p.grad, tp.grad, f"grad of {pname}")


def test_unbatched_layer_matches_torch():
    torch = torch_or_skip()
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    ours = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    _copy_weights(ours, theirs)
    x_np = np.random.default_rng(0).standard_normal((6, 3))
    t_out, (t_h, t_c) = theirs(torch.tensor(x_np))
    out, (h, c) = ours(tg.Tensor(x_np))
    assert out.shape == (6, 8) and h.shape == (4, 4)
    _assert_close(out, t_out, "output")
    _assert_close(h, t_h, "h_n")
    _assert_close(c, t_c, "c_n")


def test_layer_dropout_between_layers_only_in_training():
    layer = nn.LSTM(3, 4, num_layers=2, dropout=0.5).double()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    a, _ = layer(x)
    b, _ = layer(x)
    assert not np.allclose(a.numpy(), b.numpy())  # dropout is random while training
    layer.eval()
    c, _ = layer(x)
    d, _ = layer(x)
    np.testing.assert_array_equal(c.numpy(), d.numpy())


# -- the variants against NumPy written from their equations ------------------------


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def reference_lstm_family(cell, x, h, c, gates_prev=None):
    """One step of any LSTM-family cell, from the equations in NumPy (float64)."""
    p = {k: v.numpy() for k, v in cell.named_parameters()}
    H = cell.hidden_size
    pre = x @ p["weight_ih"].T + h @ p["weight_hh"].T
    if cell.bias:
        pre = pre + p["bias_ih"] + p["bias_hh"]
    blocks = {k: pre[:, n * H : (n + 1) * H] for n, k in enumerate(cell.gate_names)}
    variant = getattr(cell, "variant", {nn.LSTMCell: "NP", nn.PeepholeLSTMCell: "vanilla"}.get(type(cell)))
    if isinstance(cell, nn.CIFGLSTMCell):
        f = _sigmoid(blocks["f"])
        g = np.tanh(blocks["g"])
        c_new = f * c + (1 - f) * g
        return _sigmoid(blocks["o"]) * np.tanh(c_new), c_new
    if variant == "FGR":
        extra = gates_prev @ p["weight_gg"].T
        for n, k in enumerate("ifo"):
            blocks[k] = blocks[k] + extra[:, n * H : (n + 1) * H]
    peep = {k: p.get(f"weight_c{k}", np.zeros(H)) for k in "ifo"}
    i = _sigmoid(blocks["i"] + peep["i"] * c) if "i" in blocks else np.ones_like(c)
    if variant == "CIFG":
        f = 1 - i
    else:
        f = _sigmoid(blocks["f"] + peep["f"] * c) if "f" in blocks else np.ones_like(c)
    g = blocks["g"] if variant == "NIAF" else np.tanh(blocks["g"])
    c_new = f * c + i * g
    o = _sigmoid(blocks["o"] + peep["o"] * c_new) if "o" in blocks else np.ones_like(c)
    h_new = o * (c_new if variant == "NOAF" else np.tanh(c_new))
    if variant == "FGR":
        return h_new, c_new, np.concatenate([i, f, o], 1)
    return h_new, c_new


VARIANT_CELLS = [(nn.LSTMCell, {}), (nn.PeepholeLSTMCell, {}), (nn.CIFGLSTMCell, {})] + [
    (nn.GreffLSTMCell, {"variant": v}) for v in nn.GREFF_VARIANTS
]


def _variant_id(item):
    cls, options = item
    return options.get("variant", cls.__name__)


@pytest.mark.parametrize("item", VARIANT_CELLS, ids=_variant_id)
def test_variant_step_matches_numpy_equations(item, device):
    cls, options = item
    cell = cls(3, 4, **options).double()
    rng = np.random.default_rng(5)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    state = [h, c] + ([rng.uniform(0, 1, (2, 12))] if options.get("variant") == "FGR" else [])
    want = reference_lstm_family(cell, x, *state)
    cell.to(device)
    got = cell(tg.Tensor(x, device=device), tuple(tg.Tensor(s, device=device) for s in state))
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(host(a), b, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("item", VARIANT_CELLS, ids=_variant_id)
def test_variant_layer_runs_the_cell_over_time(item):
    cls, options = item
    layer_cls = {nn.LSTMCell: nn.LSTM, nn.PeepholeLSTMCell: nn.PeepholeLSTM, nn.CIFGLSTMCell: nn.CIFGLSTM}.get(
        cls, nn.GreffLSTM
    )
    layer = layer_cls(3, 4, **options).double()
    cell = layer.cells[0]
    x = np.random.default_rng(6).standard_normal((4, 2, 3))
    out, (h_n, c_n) = layer(tg.Tensor(x))
    state = [np.zeros((2, 4)), np.zeros((2, 4))] + ([np.zeros((2, 12))] if options.get("variant") == "FGR" else [])
    for t in range(4):
        state = list(reference_lstm_family(cell, x[t], *state))
        np.testing.assert_allclose(out.numpy()[t], state[0], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(h_n.numpy()[0], state[0], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(c_n.numpy()[0], state[1], rtol=TOL, atol=TOL)


def test_greff_vanilla_and_np_equal_peephole_and_plain_lstm():
    vanilla, peephole = nn.GreffLSTMCell(3, 4, variant="vanilla").double(), nn.PeepholeLSTMCell(3, 4).double()
    peephole.load_state_dict(vanilla.state_dict())
    no_peep, plain = nn.GreffLSTMCell(3, 4, variant="NP").double(), nn.LSTMCell(3, 4).double()
    plain.load_state_dict(no_peep.state_dict())
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 3)))
    for a, b in ((vanilla, peephole), (no_peep, plain)):
        for u, v in zip(a(x), b(x)):
            np.testing.assert_array_equal(u.numpy(), v.numpy())


# -- gradient checks of every cell ------------------------------------------------

ALL_CELLS = [(nn.RNNCell, {}), (nn.RNNCell, {"nonlinearity": "relu"}), (nn.GRUCell, {})] + VARIANT_CELLS


@pytest.mark.parametrize("item", ALL_CELLS, ids=lambda it: it[1].get("variant", it[0].__name__ + str(it[1] or "")))
def test_cell_gradcheck(item, device):
    cls, options = item
    cell = cls(3, 2, **options).double().to(device)
    rng = np.random.default_rng(7)
    x = tg.Tensor(rng.standard_normal((2, 3)), requires_grad=True, device=device)
    sizes = [2] * cell.state_size
    if options.get("variant") == "FGR":
        sizes[2] = 6
    state = [tg.Tensor(rng.uniform(0.1, 0.9, (2, n)), requires_grad=True, device=device) for n in sizes]
    params = [p for _, p in cell.named_parameters()]

    def run(x, *rest):
        st = rest[: len(state)]
        return cell(x, st[0] if cell.state_size == 1 else tuple(st))

    assert tg.gradcheck(run, [x, *state, *params], eps=1e-6, atol=1e-6, rtol=1e-5)


# -- options, names, scopes, errors ---------------------------------------------------


@pytest.mark.parametrize("cls", [nn.LSTMCell, nn.PeepholeLSTMCell, nn.CIFGLSTMCell, nn.GreffLSTMCell])
def test_forget_bias(cls):
    cell = cls(3, 4, forget_bias=1.0)
    f = cell.gate_slice("f")
    np.testing.assert_array_equal(cell.bias_ih.numpy()[f], 1.0)
    np.testing.assert_array_equal(cell.bias_hh.numpy()[f], 0.0)
    others = np.delete(cell.bias_ih.numpy(), np.arange(4, 8) if cls is not nn.CIFGLSTMCell else np.arange(0, 4))
    assert np.abs(others).max() <= 0.5 and np.abs(others).max() > 0  # the rest keeps U(-1/√H, 1/√H)
    layer = nn.LSTM(3, 4, num_layers=2, forget_bias=3.0)
    np.testing.assert_array_equal(layer.bias_ih_l1.numpy()[4:8], 3.0)
    with pytest.raises(ValueError, match="no forget gate"):
        nn.GreffLSTMCell(3, 4, variant="NFG", forget_bias=1.0)


def test_initialisation_is_uniform_in_the_pytorch_bound():
    layer = nn.GRU(10, 16, num_layers=2, bidirectional=True)
    for name, p in layer.named_parameters():
        values = p.numpy()
        assert np.abs(values).max() <= 0.25 and values.std() > 0.1, name


def test_cells_name_their_tensors_and_layers_stamp_scopes():
    layer = nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    out, (h, c) = layer(tg.randn(4, 1, 2))
    names, scopes = set(), set()
    stack, seen = [out.creator], set()
    while stack:
        f = stack.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        scopes.add(f.scope)
        names.update((f.names or {}).values())  # the node keeps its outputs' names when they are gone
        stack.extend(p for p in f.parents if isinstance(p, tg.Function))
    assert {"i", "f", "g", "o", "c", "h"} <= names
    assert ("layer1", "reverse", "t0") in scopes and ("layer0", "forward", "t3") in scopes
    assert ("layer0", "forward") in scopes  # the input projection of all steps


def test_gru_names_its_gates():
    h = nn.GRUCell(2, 3)(tg.randn(1, 2))
    assert h.name == "h"
    gates = set()
    stack = [h.creator]
    while stack:
        f = stack.pop()
        gates.update((f.names or {}).values())
        stack.extend(p for p in f.parents if isinstance(p, tg.Function))
    assert {"r", "z", "n", "h"} <= gates


def test_layer_input_errors():
    layer = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match=r"expected input of shape \(T, B, 3\).*got \(5, 2, 7\)"):
        layer(tg.randn(5, 2, 7))
    with pytest.raises(ValueError, match=r"initial state h_0 of shape \(2, 2, 4\), expected \(1, 2, 4\)"):
        layer(tg.randn(5, 2, 3), (tg.randn(2, 2, 4), tg.randn(2, 2, 4)))
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\]"):
        layer(tg.randn(5, 2, 3), lengths=[6, 1])
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 3\)"):
        nn.LSTMCell(3, 4)(tg.randn(2, 4))
    with pytest.raises(ValueError, match="unknown variant 'XYZ'"):
        nn.GreffLSTMCell(3, 4, variant="XYZ")


def test_truncated_bptt_by_detaching_state():
    layer = nn.LSTM(2, 3).double()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((8, 1, 2)))
    state = None
    for chunk in range(2):
        out, state = layer(x[chunk * 4 : (chunk + 1) * 4], state)
        out.sum().backward()
        state = tuple(s.detach() for s in state)
        assert all(s.creator is None for s in state)
    assert layer.weight_hh_l0.grad is not None


def test_combinations_of_layer_options_construct():
    for layers, bi, bias in itertools.product([1, 3], [False, True], [False, True]):
        layer = nn.GRU(2, 3, num_layers=layers, bidirectional=bi, bias=bias)
        out, h = layer(tg.randn(2, 4, 2))
        assert out.shape == (2, 4, 3 * (2 if bi else 1)) and h.shape == (layers * (2 if bi else 1), 4, 3)


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}, {"batch_first": True}])
def test_fused_lstm_equals_the_primitive_path(options, device):
    tg.manual_seed(0)
    plain = nn.LSTM(3, 5, **options).double().to(device)
    fused = nn.LSTM(3, 5, fused=True, **options).double().to(device)
    fused.load_state_dict(plain.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 6, 3) if options.get("batch_first") else (6, 4, 3))
    results = []
    for layer in (plain, fused):
        xt = tg.Tensor(x, requires_grad=True, device=device)
        out, (h, c) = layer(xt, lengths=[6, 2, 5, 1])
        ((out * out).sum() + (c * 2).sum() + h.sum()).backward()
        results.append([out, h, c, xt.grad] + [p.grad for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(host(a), host(b), rtol=1e-12, atol=1e-12)
    assert {n.op for n in _nodes(out)} >= {"lstm_step"} and "sigmoid" not in {n.op for n in _nodes(out)}


def _nodes(t):
    seen, stack = set(), [t.creator]
    while stack:
        f = stack.pop()
        if f not in seen:
            seen.add(f)
            stack.extend(p for p in f.parents if isinstance(p, tg.Function))
    return seen


def test_fused_is_for_the_plain_lstm_only():
    with pytest.raises(ValueError, match="PeepholeLSTMCell: fused=True is for the plain LSTM only"):
        nn.PeepholeLSTM(3, 4, fused=True)


def test_deferred_weight_gradients_equal_the_plain_products(monkeypatch):
    from tinygrad_rnn.ops.products import MatMul

    tg.manual_seed(0)
    layer = nn.LSTM(3, 4).double()
    x = tg.Tensor(np.random.default_rng(1).standard_normal((40, 2, 3)))  # more than one flush of 32 terms
    grads = []
    for deferred in (True, False):
        monkeypatch.setattr(MatMul, "defer_weight_grads", deferred)
        layer.zero_grad()
        out, _ = layer(x)
        (out * out).sum().backward()
        grads.append([p.grad.numpy().copy() for p in layer.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [{}, {"num_layers": 2, "bidirectional": True}, {"batch_first": True}])
@pytest.mark.parametrize("fused", [False, True])
def test_lstm_projection_matches_torch(options, fused, device):
    torch = torch_or_skip()
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 6, proj_size=2, **options).double()
    ours = nn.LSTM(3, 6, proj_size=2, fused=fused, **options).double().to(device)
    _copy_weights(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x_np = np.random.default_rng(2).standard_normal((4, 5, 3))
    tx, x = torch.tensor(x_np, requires_grad=True), tg.Tensor(x_np, requires_grad=True, device=device)
    t_out, (th, tc) = theirs(tx)
    out, (h, c) = ours(x)
    for a, b, what in ((out, t_out, "output"), (h, th, "h_n"), (c, tc, "c_n")):
        _assert_close(a, b, what)
    (out.sum() + (c * c).sum()).backward()
    (t_out.sum() + (tc * tc).sum()).backward()
    _assert_close(x.grad, tx.grad, "input grad")
    for (pname, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        _assert_close(p.grad, tp.grad, f"grad of {pname}")


def test_layers_take_pytorchs_positional_arguments():
    rnn = nn.RNN(2, 3, 1, "relu")
    assert rnn.nonlinearity == "relu" and rnn.cells[0].nonlinearity == "relu" and rnn.bias is True
    assert nn.RNN(2, 3, 2, "tanh", False).bias is False
    lstm = nn.LSTM(2, 3, 2, False, True, 0.5, True, 1)
    options = (lstm.bias, lstm.batch_first, lstm.dropout, lstm.bidirectional, lstm.proj_size)
    assert options == (False, True, 0.5, True, 1)
    assert "proj_size=1" in repr(lstm) and "nonlinearity='relu'" in repr(rnn)
    assert nn.GRU(2, 3, 1, True, False, 1.0).dropout == 1.0  # PyTorch allows dropout=1


def test_tied_weights_are_what_forward_uses():
    a, b = nn.LSTM(3, 4).double(), nn.LSTM(3, 4).double()
    b.weight_hh_l0 = a.weight_hh_l0  # weight tying
    assert b.cells[0].weight_hh is a.weight_hh_l0
    x = tg.Tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    b.weight_ih_l0, b.bias_ih_l0, b.bias_hh_l0 = a.weight_ih_l0, a.bias_ih_l0, a.bias_hh_l0
    np.testing.assert_array_equal(a(x)[0].numpy(), b(x)[0].numpy())
    b(x)[0].sum().backward()
    assert a.weight_hh_l0.grad is not None  # the gradient reaches the shared parameter


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.LSTM(-1, 4), ValueError, r"LSTM: input_size must be a positive int, got -1"),
        (lambda: nn.LSTM(3, 0), ValueError, r"LSTM: hidden_size must be a positive int, got 0"),
        (lambda: nn.GRU(3, 4, 0), ValueError, r"GRU: num_layers must be a positive int, got 0"),
        (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, r"proj_size must be smaller than hidden_size"),
        (lambda: nn.RNN(3, 4, dropout=1.5), ValueError, r"RNN: dropout must be a number in \[0, 1\], got 1.5"),
        (lambda: nn.RNN(3, 4, 1, "sigmoid"), ValueError, r"RNNCell: nonlinearity must be 'tanh' or 'relu'"),
        (lambda: nn.PeepholeLSTM(3, 4, proj_size=2), ValueError, r"PeepholeLSTM: proj_size is for LSTM only"),
        (lambda: nn.LSTMCell(3, 0), ValueError, r"LSTMCell: hidden_size must be a positive int, got 0"),
        (lambda: nn.GRU(3, 5, proj_size=2), ValueError, r"GRU: proj_size is for LSTM only"),
        (lambda: nn.GreffLSTM(3, 5, proj_size=2), ValueError, r"GreffLSTM: proj_size is for LSTM only"),
        (lambda: nn.GRUCell(3, 5, proj_size=2), ValueError, r"GRUCell: proj_size is for LSTMCell only"),
    ],
)
def test_layer_construction_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_layer_input_errors_name_the_layer_and_what_is_wrong():
    layer = nn.LSTM(3, 4)
    with pytest.raises(TypeError, match=r"LSTM: the input is float64 but the parameters are float32.*x\.float\(\)"):
        layer(tg.Tensor(np.zeros((5, 2, 3))))
    with pytest.raises(TypeError, match=r"LSTM: the input is int64 but the parameters are float32"):
        layer(tg.Tensor(np.zeros((5, 2, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"LSTM: the input has no time steps \(shape \(0, 2, 3\)\)"):
        layer(tg.zeros(0, 2, 3))
    with pytest.raises(TypeError, match=r"LSTM: expected a Tensor input, got ndarray"):
        layer(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"lengths must be 2 integers, got float64"):
        layer(tg.zeros(5, 2, 3), lengths=np.array([1.0, 2.0]))


def test_lengths_may_be_a_tensor_or_an_array():
    layer = nn.GRU(3, 4)
    x = tg.randn(5, 2, 3)
    a = layer(x, lengths=[5, 2])[0].numpy()
    np.testing.assert_array_equal(layer(x, lengths=tg.Tensor([5, 2]))[0].numpy(), a)
    np.testing.assert_array_equal(layer(x, lengths=np.array([5, 2]))[0].numpy(), a)
    np.testing.assert_array_equal(nn.last_steps(tg.Tensor(a), tg.Tensor([5, 2])).numpy(), a[[4, 1], [0, 1]])
