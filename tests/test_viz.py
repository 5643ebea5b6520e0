"""Drawings (what they mean: boxes, links and their flows, frames, positions), rendering,
gradient-flow measurement and the CLI."""

import os

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz
from tinygrad_rnn.lab import cli
from tinygrad_rnn.viz import layout as layout_module
from tinygrad_rnn.viz import view as view_module


def _lstm_graph(steps=3, layers=1, bidirectional=False, grads=True, cls=nn.LSTM):
    tg.manual_seed(0)
    layer = cls(3, 4, num_layers=layers, bidirectional=bidirectional)
    out, _ = layer(tg.randn(steps, 2, 3))
    loss = out[-1].sum()
    if grads:
        with tg.keep_grads():
            loss.backward()
    return layer, loss


def _step_frames(drawing):
    return [r for r in drawing.picture.rects if r.key]


def _boxes(drawing, **match):
    return [b for b in drawing.picture.boxes if all(getattr(b, k) == v for k, v in match.items())]


def _links_between(drawing, src_label, dst_label):
    boxes = {b.key: b for b in drawing.picture.boxes}
    return [
        link
        for link in drawing.picture.links
        if link.src and boxes[link.src].label.startswith(src_label) and boxes[link.dst].label.startswith(dst_label)
    ]


# -- the expanded view ------------------------------------------------------------------


def test_expanded_view_has_one_frame_per_step_in_time_order():
    layer, loss = _lstm_graph(steps=3)
    drawing = viz.draw_graph(loss, params=layer, collapse=False)
    assert [r.key for r in _step_frames(drawing)] == [f"layer0/forward/t{t}" for t in range(3)]
    ops = {viz.GraphIndex(loss).ops[b.op].op for b in drawing.picture.boxes if b.op is not None}
    assert {"addmm", "split", "sigmoid", "tanh", "mul", "add"} <= ops
    assert {b.label for b in _boxes(drawing, role="gate")} == {"f = σ", "i = σ", "g = tanh", "o = σ"}
    copies = {b.label for b in _boxes(drawing, role="copy")}
    assert "weight_hh_l0ᵀ" in copies and "input₂" in copies  # drawn where each step reads them


def test_steps_wrap_into_rows_that_line_up_and_fit_the_page():
    _, loss = _lstm_graph(steps=6)
    drawing = viz.draw_graph(loss, collapse=False, weights=False, width=1200)
    assert drawing.width <= 1200
    rows = drawing.picture.rows[0]
    assert len(rows) > 1 and sum(len(r) for r in rows) == 6  # wrapped into rows
    frames = {r.key: r for r in _step_frames(drawing)}
    for row in rows:
        tops = {round(frames["/".join(s)].y, 3) for s in row}
        assert len(tops) == 1  # a row's steps line up
        xs = [frames["/".join(s)].x for s in row]
        assert xs == sorted(xs)  # in time order
    lefts = {round(frames["/".join(row[0])].x, 3) for row in rows}
    assert len(lefts) == 1  # every row starts at the same place


def test_the_belt_is_one_straight_line_through_the_steps_of_a_row():
    _, loss = _lstm_graph(steps=4)
    drawing = viz.draw_graph(loss, collapse=False, weights=False, width=3000)  # one row
    pinned = [b for b in drawing.picture.boxes if b.pin]
    assert len({round(b.y, 3) for b in pinned}) == 1
    belt = [link for link in drawing.picture.links if link.kind == "belt"]
    assert len(belt) == 4 * 3  # per step: c_{t-1} -> ×, × -> +, + -> c_t
    assert all(link.rail == view_module.BELT for link in belt)


def test_each_link_carries_the_flow_of_its_own_edge():
    _, loss = _lstm_graph(steps=4)
    index = viz.GraphIndex(loss)
    drawing = viz.draw_graph(loss, collapse=False, weights=False)
    joins = sorted(_links_between(drawing, "h", "→ stack"), key=lambda link: link.src)
    edges = sorted((e for e in index.edges if index.ops[e.consumer].op == "stack"), key=lambda e: e.slot)
    assert len(joins) == len(edges) == 4
    by_step = {drawing.picture.box(link.src).label: link for link in joins}
    for t, e in enumerate(edges):
        link = by_step[f"h{view_module.subscript(t)}"]
        assert link.flow == e.flow
        assert link.grad == index.values[e.value].grad > 0  # every h_t has a gradient in total ...
        assert ("gradient along this edge" in link.tip) and ("in total" in link.tip)
    for link in list(by_step.values())[:-1]:  # ... but none of it came through the join
        assert link.flow == 0.0 and link.dashed and link.color == view_module.NONE
    last = by_step["h₃"]
    assert last.flow > 0 and not last.dashed and last.color != view_module.NONE


def test_edge_width_grows_with_the_flow():
    _, loss = _lstm_graph(steps=5)
    drawing = viz.draw_graph(loss, collapse=False)
    pairs = sorted((link.flow, link.width) for link in drawing.picture.links if link.flow)
    assert len(pairs) > 30
    widths = [w for _, w in pairs]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert any("gradient sent back along each edge" in t.text for t in drawing.picture.texts)  # the legend


def test_gradient_scale_is_logarithmic():
    scale = view_module.GradientScale([1e-6, 1e-3, 1.0])
    assert (scale.lo, scale.hi) == (-6, 0)
    assert scale.fraction(1e-3) == pytest.approx(0.5)
    assert scale.width(1.0) > scale.width(1e-3) > scale.width(1e-6)


def test_every_edge_goes_forward_in_a_layered_layout():
    sizes = {k: (40.0, 20.0) for k in "abcdef"}
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("d", "c"), ("c", "e"), ("b", "f")]
    result = layout_module.layered(sizes, edges, pins={"a", "b", "e"})
    for a, b in edges:
        assert result.pos[a][0] < result.pos[b][0]
    assert result.pos["a"][1] == pytest.approx(result.pos["b"][1]) == pytest.approx(result.pos["e"][1])  # one line
    for column in {result.cols[k] for k in sizes}:
        ys = sorted(result.pos[k][1] for k in sizes if result.cols[k] == column)
        assert all(b - a >= 20.0 for a, b in zip(ys, ys[1:]))  # no overlaps


def test_a_default_drawing_of_a_two_layer_lstm_over_twenty_steps_fits_a_page():
    _, loss = _lstm_graph(steps=20, layers=2)
    drawing = viz.draw_graph(loss)
    assert drawing.collapsed and drawing.width <= 1600
    cells = _boxes(drawing, role="cell")
    assert len(cells) == 2 * 20
    expanded = viz.draw_graph(loss, collapse=False)
    assert expanded.width <= 1600 and len(expanded.picture.rows[0]) > 2


# -- the collapsed view -----------------------------------------------------------------


def test_collapsed_view_has_one_box_per_cell_per_step():
    layer, loss = _lstm_graph(steps=6, layers=2, bidirectional=True)
    drawing = viz.draw_graph(loss, params=layer, collapse=True)
    assert len(_boxes(drawing, role="cell")) == 2 * 2 * 6
    belt = [link for link in drawing.picture.links if link.kind == "belt"]
    assert len(belt) == 2 * 2 * 5  # c_t between consecutive steps of each layer and direction


def test_collapsed_links_bring_the_flow_of_the_edges_they_stand_for():
    _, loss = _lstm_graph(steps=5)
    index = viz.GraphIndex(loss)
    drawing = viz.draw_graph(loss, collapse=True)
    step = {k: viz.graph.step_of(op.scope) for k, op in index.ops.items()}
    crossing = [  # c_t read by the next step: one edge each, and one collapsed link each
        e.flow
        for e in index.edges
        if index.values[e.value].name == "c"
        and index.values[e.value].maker is not None
        and step[index.values[e.value].maker] != step[e.consumer]
    ]
    belt = [link for link in drawing.picture.links if link.kind == "belt"]
    assert len(crossing) == 4 and sorted(link.flow for link in belt) == sorted(crossing)


def test_long_sequences_collapse_by_default():
    _, loss = _lstm_graph(steps=100)
    drawing = viz.draw_graph(loss)
    assert len(_boxes(drawing, role="cell")) == 100 and drawing.width <= 1600


def test_any_graph_can_be_drawn():
    mlp = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    loss = mlp(tg.randn(4, 3)).sum()
    drawing = viz.draw_graph(loss, params=mlp, grads=False)
    labels = {b.label for b in drawing.picture.boxes}
    assert {"addmm", "tanh", "0.weight"} <= labels
    assert not _step_frames(drawing)

    class Custom(tg.Function):  # a user's own op is drawn under its name
        op = "my_op"

        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy * 2

    y = Custom()(tg.randn(2, requires_grad=True)).sum()
    assert "my_op" in {b.label for b in viz.draw_graph(y).picture.boxes}


def test_a_long_chain_without_scopes_wraps_to_the_page():
    x = tg.randn(2, requires_grad=True)
    for _ in range(60):
        x = x.tanh()
    drawing = viz.draw_graph(x.sum(), width=800)
    assert drawing.width <= 800
    xs = [b.x for b in drawing.picture.boxes]
    assert max(xs) < 800 and len({round(b.y) for b in drawing.picture.boxes}) > 3


def test_highlight_fades_all_but_the_question():
    layer, loss = _lstm_graph(steps=1, grads=False)
    drawing = viz.draw_graph(loss, params=layer, highlight="forget")
    gates = {b.label: b.lit for b in _boxes(drawing, role="gate")}
    assert gates == {"f = σ": True, "i = σ": False, "g = tanh": False, "o = σ": False}
    with pytest.raises(ValueError, match="unknown highlight"):
        viz.draw_graph(loss, highlight="nothing")


def test_panels_share_one_scale_and_legend():
    _, rnn_loss = _lstm_graph(steps=3, cls=nn.RNN)
    _, lstm_loss = _lstm_graph(steps=3)
    drawing = viz.draw_panels({"vanilla RNN": rnn_loss, "LSTM": lstm_loss}, collapse=False)
    texts = [t.text for t in drawing.picture.texts]
    assert sum("gradient sent back along each edge" in t for t in texts) == 1
    assert "vanilla RNN" in texts and "LSTM" in texts
    keys = {b.key.split(":")[0] for b in drawing.picture.boxes}
    assert keys == {"p0", "p1"}


# -- rendering without Graphviz -----------------------------------------------------------


@pytest.fixture
def no_graphviz(monkeypatch, tmp_path):
    """No `dot` (nor anything else) on PATH."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    return tmp_path


def test_render_every_format_with_no_program_on_path(no_graphviz):
    tmp_path = no_graphviz
    _, loss = _lstm_graph(steps=2)
    picture = viz.draw_graph(loss)
    assert b"<svg" in viz.render(picture, tmp_path / "g.svg").read_bytes()[:300]
    assert viz.render(picture, tmp_path / "sub" / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert viz.render(picture, tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<script" in viz.render(picture, tmp_path / "g.html").read_bytes()
    assert viz.render(picture, tmp_path / "g.dot").read_text().startswith("digraph")


def test_graphviz_habits_work(no_graphviz, monkeypatch):
    tmp_path = no_graphviz
    _, loss = _lstm_graph(steps=2)
    d = viz.draw_graph(loss)
    out = d.render("lstm", directory=tmp_path, format="png")
    assert out.endswith("lstm.png") and (tmp_path / "lstm.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "lstm").read_text().startswith("digraph")  # the source beside it, as graphviz does
    assert d.render(outfile=tmp_path / "x.pdf").endswith("x.pdf")
    assert d.pipe(format="svg").startswith(b"<svg") and d.pipe(encoding="utf-8").startswith("<svg")
    opened = []
    monkeypatch.setattr(viz.drawing, "_open", opened.append)
    d.view(directory=tmp_path, cleanup=True)
    assert opened and os.path.exists(opened[0])
    assert "<svg" in d._repr_mimebundle_()["image/svg+xml"]  # Jupyter shows it inline
    assert d.interactive()._repr_html_().startswith("<iframe srcdoc=")  # and the page, apart from the notebook


def test_notebook_display_collapses_past_a_size_and_says_so(monkeypatch):
    _, loss = _lstm_graph(steps=12)
    d = viz.draw_graph(loss, collapse=False)
    monkeypatch.setattr(viz.drawing, "DISPLAY_LIMIT", 50)
    shown = d._repr_mimebundle_()["image/svg+xml"]
    assert "Collapsed for display" in shown and shown.count('font-weight="bold">t') == 12


def test_render_errors_are_clear(tmp_path):
    _, loss = _lstm_graph(steps=1, grads=False)
    picture = viz.draw_graph(loss)
    with pytest.raises(ValueError, match=r"cannot tell the format from 'g.bmp'"):
        viz.render(picture, tmp_path / "g.bmp")
    with pytest.raises(TypeError, match=r"render: expected a Drawing.*got str"):
        viz.render("digraph {}", tmp_path / "g.svg")
    with pytest.raises(ValueError, match=r"rankdir='TB' is not supported"):
        viz.draw_graph(loss, rankdir="TB")


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
    assert cli.main(["graph", "--cell", "lstm", "--steps", "5", "--grad", "-o", str(tmp_path / "g.html")]) == 0
    assert b"<script" in (tmp_path / "g.html").read_bytes()
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


def test_names_and_scopes_are_escaped_in_every_format(tmp_path):
    evil = '"><a href="javascript:alert(1)">x</a><script>alert(2)</script>'
    x = tg.Tensor([1.0, 2.0], requires_grad=True).named(evil)
    with tg.scope(evil), tg.scope("t0"):
        loss = (x * 2).named(evil).sum()
    with tg.keep_grads():
        loss.backward()
    drawing = viz.draw_graph(loss, title=evil)
    for path in (tmp_path / "g.svg", tmp_path / "g.html"):
        viz.render(drawing, path)
        text = path.read_text()
        assert "<a href" not in text and "<script>alert" not in text, path.suffix
    viz.render(drawing, tmp_path / "g.dot")
    dot = (tmp_path / "g.dot").read_text()
    assert 'in \\"><a href=\\"javascript' in dot  # inside DOT's quoted strings, every quote escaped
    assert 'in "><a' not in dot
