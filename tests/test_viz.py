"""Drawings (structure of the DOT), rendering, gradient-flow measurement and the CLI."""

import re

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import cli, nn, viz
from tinygrad_rnn.viz import graph as graph_module
from tinygrad_rnn.viz import renderer as render_module


def _lstm_graph(steps=3, layers=1, bidirectional=False, grads=True, cls=nn.LSTM):
    tg.manual_seed(0)
    layer = cls(3, 4, num_layers=layers, bidirectional=bidirectional)
    out, _ = layer(tg.randn(steps, 2, 3))
    loss = out[-1].sum()
    if grads:
        with tg.keep_grads():
            loss.backward()
    return layer, loss


def _edges(source):
    """(tail, head, attributes) of every edge in DOT source."""
    found = []
    for line in source.splitlines():
        m = re.match(r"\s*(\S+) -> (\S+)(?: \[(.*)\])?$", line)
        if m:
            found.append((m.group(1), m.group(2), m.group(3) or ""))
    return found


def test_expanded_view_has_one_cluster_per_step_in_order():
    layer, loss = _lstm_graph(steps=3)
    source = viz.draw_graph(loss, params=layer, collapse=False).source
    clusters = re.findall(r"subgraph (cluster_\S+)", source)
    steps = [c for c in clusters if re.search(r"_t\d+$", c)]
    assert [c[-2:] for c in steps] == ["t0", "t1", "t2"]
    assert len(steps) == len(set(steps))
    assert any(c.endswith("layer0") for c in clusters) and any(c.endswith("layer0_forward") for c in clusters)
    for op in ("addmm", "split", "sigmoid", "tanh", "mul", "add"):
        assert f"label={op}" in source
    assert "weight_hh_l0ᵀ" in source  # the recurrent weight, drawn as a copy in each step


def test_belt_joins_consecutive_cell_states_in_every_step():
    _, loss = _lstm_graph(steps=4)
    index = viz.GraphIndex([loss])
    belt = index.belt_edges()
    cells = sorted(
        (t for t in index.tensors.values() if t.name == "c"),
        key=lambda t: (t.creator is not None, t.creator.seq if t.creator else 0),
    )
    assert len(cells) == 5  # c_0 (initial) .. c_4
    for prev, nxt in zip(cells, cells[1:]):  # a belt path: prev -> mul -> add -> nxt
        mul = next(f for (tid, f) in belt if tid == prev.key and f != "out")
        assert mul.op == "mul" and any(x.name == "f" for x in index.inputs[mul])
        assert ((mul.seq, 0), nxt.creator) in belt and nxt.creator.op == "add"
        assert (nxt.key, "out") in belt


def test_belt_edges_are_drawn_in_the_belt_colour():
    layer, loss = _lstm_graph(steps=3, grads=False)
    edges = _edges(viz.draw_graph(loss, params=layer, collapse=False).source)
    belt = [e for e in edges if graph_module.BELT in e[2]]
    assert len(belt) == 3 * 3  # per step: c_{t-1} -> mul, mul -> add, add -> c_t
    assert all("penwidth=5" in e[2] for e in belt)


def test_edge_width_grows_with_gradient_norm():
    layer, loss = _lstm_graph(steps=5)
    edges = _edges(viz.draw_graph(loss, params=layer, collapse=False).source)
    pairs = []
    for _, _, attrs in edges:
        norm = re.search(r"‖grad‖ = ([0-9.e+-]+)", attrs)
        width = re.search(r"penwidth=([0-9.]+)", attrs)
        if norm and width and graph_module.BELT not in attrs:
            pairs.append((float(norm.group(1)), float(width.group(1))))
    assert len(pairs) > 30
    pairs.sort()
    widths = [w for _, w in pairs]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert "‖gradient‖ on each edge" in viz.draw_graph(loss).source  # the legend


def test_gradient_scale_is_logarithmic():
    scale = graph_module.GradientScale([1e-6, 1e-3, 1.0])
    assert (scale.lo, scale.hi) == (-6, 0)
    assert scale.fraction(1e-3) == pytest.approx(0.5)
    assert scale.width(1.0) > scale.width(1e-3) > scale.width(1e-6)


def test_collapsed_view_has_one_node_per_cell_per_step():
    layer, loss = _lstm_graph(steps=6, layers=2, bidirectional=True)
    source = viz.draw_graph(loss, params=layer, collapse=True).source
    nodes = re.findall(r'label="LSTM\\nt(\d+)"', source)
    assert len(nodes) == 2 * 2 * 6
    belt = [e for e in _edges(source) if graph_module.BELT in e[2]]
    assert len(belt) == 2 * 2 * 5  # c_t between consecutive steps of each layer and direction


def test_long_sequences_collapse_by_default_and_draw_fast():
    import time

    _, loss = _lstm_graph(steps=100)
    start = time.perf_counter()
    source = viz.draw_graph(loss).source
    assert time.perf_counter() - start < 5
    assert len(re.findall(r'label="LSTM\\nt\d+"', source)) == 100


def test_any_graph_can_be_drawn():
    mlp = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    loss = mlp(tg.randn(4, 3)).sum()
    source = viz.draw_graph(loss, params=mlp, grads=False).source
    assert "label=addmm" in source and "label=tanh" in source and "0.weight" in source
    assert "cluster" not in source

    class Custom(tg.Function):  # a user's own op is drawn under its name
        op = "my_op"

        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy * 2

    y = Custom()(tg.randn(2, requires_grad=True)).sum()
    assert "label=my_op" in viz.draw_graph(y).source


def test_highlight_fades_all_but_the_question():
    layer, loss = _lstm_graph(steps=1, grads=False)
    source = viz.draw_graph(loss, params=layer, highlight="forget").source
    sigmoid_lines = [line for line in source.splitlines() if "label=sigmoid" in line]
    lit = [line for line in sigmoid_lines if "fontcolor=black" in line]
    assert len(sigmoid_lines) == 3 and len(lit) == 1  # only the sigmoid that makes f
    assert "label=tanh" in source and all(
        "fontcolor=black" not in line for line in source.splitlines() if "label=tanh" in line
    )
    with pytest.raises(ValueError, match="unknown highlight"):
        viz.draw_graph(loss, highlight="nothing")


def test_panels_share_one_scale_and_legend():
    _, rnn_loss = _lstm_graph(steps=3, cls=nn.RNN)
    _, lstm_loss = _lstm_graph(steps=3)
    source = viz.draw_panels({"vanilla RNN": rnn_loss, "LSTM": lstm_loss}, collapse=False).source
    assert source.count("‖gradient‖ on each edge") == 1
    assert 'label="vanilla RNN"' in source and "label=LSTM" in source


def test_render_svg_and_png_with_the_fallback_renderer(tmp_path, monkeypatch):
    locate = render_module._locate
    monkeypatch.setattr(render_module, "_locate", lambda name: None if name == "dot" else locate(name))
    assert [name for name, _ in render_module.renderers()] == ["graphviz-pure"]
    _, loss = _lstm_graph(steps=2)
    picture = viz.draw_graph(loss)
    svg = viz.render(picture, tmp_path / "g.svg").read_bytes()
    png = viz.render(picture, tmp_path / "sub" / "g.png").read_bytes()
    assert b"<svg" in svg[:500] and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in picture._repr_mimebundle_()["image/svg+xml"]  # Jupyter shows it inline
    assert viz.render(picture, tmp_path / "g.dot").read_text().startswith("digraph")
    with pytest.raises(RuntimeError, match="graphviz-pure cannot write pdf"):
        viz.render(picture, tmp_path / "g.pdf")


def test_render_errors_are_clear(tmp_path, monkeypatch):
    _, loss = _lstm_graph(steps=1, grads=False)
    picture = viz.draw_graph(loss)
    with pytest.raises(ValueError, match=r"cannot tell the format from 'g.bmp'"):
        viz.render(picture, tmp_path / "g.bmp")
    monkeypatch.setattr(render_module, "renderers", lambda: [])
    with pytest.raises(RuntimeError, match=r"neither the system `dot` nor `graphviz-pure` was found.*pip install"):
        viz.render(picture, tmp_path / "g.svg")


# -- gradient flow ------------------------------------------------------------------


def test_decay_rate_of_a_geometric_sequence():
    norms = 2.0 * 0.7 ** np.arange(20)[::-1]  # at lag k the norm is 2 * 0.7^k
    assert viz.decay_rate(norms) == pytest.approx(0.7)


def _loss_from_step(cell, xs, t, h, c):
    """sum(h_T) computed from the state (h, c) after step t, in float64."""
    w = cell.weight_hh.T
    for k in range(t + 1, len(xs)):
        h, c = cell.step(cell.project(xs[k]), (h, c), w)
    return h.sum().item()


def test_gradient_norms_match_finite_differences():
    tg.manual_seed(3)
    layer = nn.LSTM(3, 4, forget_bias=1.0).double()
    x = np.random.default_rng(0).standard_normal((6, 2, 3))
    flow = viz.gradient_norms(layer, x)
    cell, eps = layer.cells[0], 1e-6
    xs = [tg.Tensor(x[k]) for k in range(len(x))]
    states = [(cell.zero_state(2))]
    for k in range(len(x)):
        states.append(cell.step(cell.project(xs[k]), states[-1], cell.weight_hh.T))
    for t in range(len(x)):
        h, c = (s.numpy() for s in states[t + 1])
        o = h / np.tanh(c)  # the output gate of step t: c_t reaches the loss through h_t = o_t tanh(c_t) too
        for name, value in (("h", h), ("c", c)):
            grads = np.zeros_like(value)
            for b, j in np.ndindex(value.shape):
                plus, minus = value.copy(), value.copy()
                plus[b, j] += eps
                minus[b, j] -= eps
                args = (plus, c) if name == "h" else (o * np.tanh(plus), plus)
                args_m = (minus, c) if name == "h" else (o * np.tanh(minus), minus)
                f_plus = _loss_from_step(cell, xs, t, *(tg.Tensor(a) for a in args))
                f_minus = _loss_from_step(cell, xs, t, *(tg.Tensor(a) for a in args_m))
                grads[b, j] = (f_plus - f_minus) / (2 * eps)
            want = np.linalg.norm(grads, axis=1).mean()
            assert getattr(flow, name)[t] == pytest.approx(want, rel=1e-5), (name, t)

    # dL/dx_t: perturb the input itself
    def loss_of(xv):
        out, _ = layer(tg.Tensor(xv))
        return out[-1].sum().item()

    for t in (0, 3, 5):
        grads = np.zeros((2, 3))
        for b, j in np.ndindex(2, 3):
            plus, minus = x.copy(), x.copy()
            plus[t, b, j] += eps
            minus[t, b, j] -= eps
            grads[b, j] = (loss_of(plus) - loss_of(minus)) / (2 * eps)
        assert flow.x[t] == pytest.approx(np.linalg.norm(grads, axis=1).mean(), rel=1e-5)
    assert 0 < flow.rates["h"] < 1.5 and flow.steps == 6 and list(flow.lags) == [5, 4, 3, 2, 1, 0]


def test_rnn_gradient_fades_faster_than_lstm_with_forget_bias():
    x = np.random.default_rng(0).standard_normal((40, 8, 4)).astype(np.float32)
    tg.manual_seed(0)
    rnn = viz.gradient_norms(nn.RNN(4, 16), x)
    tg.manual_seed(0)
    lstm = viz.gradient_norms(nn.LSTM(4, 16, forget_bias=3.0), x)
    assert rnn.c is None and lstm.c is not None
    assert rnn.rates["h"] < 0.8 < lstm.rates["h"]
    assert lstm.h[0] > 1e3 * rnn.h[0]


def test_plot_gradient_flow_writes_a_figure(tmp_path):
    x = np.random.default_rng(0).standard_normal((10, 2, 3)).astype(np.float32)
    flows = {"RNN": viz.gradient_norms(nn.RNN(3, 4), x), "LSTM": viz.gradient_norms(nn.LSTM(3, 4), x)}
    fig = viz.plot_gradient_flow(flows, tmp_path / "flow.png")
    assert (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("RNN: ×") and "per step" in labels[0]


# -- the command line ---------------------------------------------------------------


def test_cli_graph_and_flow(tmp_path, capsys):
    assert cli.main(["graph", "--cell", "lstm", "--steps", "2", "--grad", "-o", str(tmp_path / "g.svg")]) == 0
    assert (tmp_path / "g.svg").read_bytes().find(b"<svg") >= 0
    assert cli.main(["graph", "--cell", "gru", "--steps", "12", "--collapse", "-o", str(tmp_path / "c.png")]) == 0
    out = tmp_path / "flow.png"
    assert cli.main(["flow", "--cells", "rnn,lstm,cifg", "--steps", "15", "--forget-bias", "1", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "RNN" in printed and "per step back in time" in printed and out.exists()


def test_cli_help_explains_each_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["graph", "--help"])
    text = capsys.readouterr().out
    for option in ("--cell", "--steps", "--collapse", "--grad", "--highlight", "--output"):
        assert option in text
