"""Make the pictures of docs/gradient-flow.md (and the README's) from real graphs.

    python docs/make_pictures.py [--out docs/images]

Every picture is drawn by tinygrad_rnn.viz from the graph the engine recorded; the decay
rates it prints are the ones the page reports.
"""

import argparse
import pathlib
import time

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz
from tinygrad_rnn.viz.graph import step_number, step_of

SEED = 0
WIDTH = 1000  # px: every picture fits it, and reads at README width (~900 px)
WIDE = 1200  # px: two expanded LSTM steps side by side


def run(layer, steps, batch=1, size=3, grads=True):
    """Run ``layer`` over random input; backpropagate the last step's output (kept for drawing)."""
    x = tg.Tensor(np.random.default_rng(SEED).standard_normal((steps, batch, size)).astype(np.float32))
    out, _ = layer(x)
    loss = out[-1].sum()
    if grads:
        with tg.keep_grads():
            loss.backward()
    return loss


def layer(cls, hidden=4, seed=SEED, **options):
    tg.manual_seed(seed)
    return cls(3, hidden, **options)


def state_flows(loss, name, op):
    """The gradient along the edges that carry the state ``name`` into ``op`` of each step, by step."""
    index = viz.GraphIndex([loss])
    flows = {}
    for edge in index.edges:
        value, consumer = index.values[edge.value], index.ops[edge.consumer]
        step = step_of(consumer.scope)
        if value.name == name and consumer.op == op and step is not None and value.maker is not None:
            flows[step_number(step)] = edge.flow
    return [flows[t] for t in sorted(flows)]


def save(picture, out, name):
    for suffix in (".svg", ".png"):
        viz.render(picture, out / (name + suffix))
    print(f"  {name}.svg/.png: {picture.width:.0f} × {picture.height:.0f} px")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(pathlib.Path(__file__).parent / "images"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    print("the headline: 18 steps of a vanilla RNN and of an LSTM, collapsed, one gradient scale")
    rnn, lstm = layer(nn.RNN, hidden=8), layer(nn.LSTM, hidden=8, forget_bias=1.0)
    panels = {
        "vanilla RNN: the gradient fades step by step": run(rnn, 18),
        "LSTM (forget bias 1): the cell-state belt carries it back": run(lstm, 18),
    }
    save(viz.draw_panels(panels, collapse=True, width=WIDTH), out, "rnn_vs_lstm")
    (rnn_loss, lstm_loss) = panels.values()
    h, c = state_flows(rnn_loss, "h", "addmm"), state_flows(lstm_loss, "c", "mul")
    print(f"  along the RNN's h edges: {h[-1]:.2g} into the last step, {h[0]:.1g} out of the first")
    print(f"  along the LSTM's belt (c): {c[-1]:.2g} into the last step, {c[0]:.2g} out of the first")

    print("four steps of each, every primitive")
    rnn, lstm = layer(nn.RNN, hidden=8), layer(nn.LSTM, hidden=8, forget_bias=1.0)
    panels = {
        "vanilla RNN: h_t = tanh(W·[h_{t-1}, x_t] + b)": run(rnn, 4),
        "LSTM (forget bias 1): c_t = f_t * c_{t-1} + i_t * g_t": run(lstm, 4),
    }
    picture = viz.draw_panels(panels, params=[rnn, lstm], collapse=False, weights=False, width=WIDE)
    save(picture, out, "rnn_vs_lstm_steps")

    print("100 steps, collapsed: one box per step, wrapped into rows")
    rnn, lstm = layer(nn.RNN), layer(nn.LSTM, forget_bias=1.0)
    start = time.perf_counter()
    panels = {"vanilla RNN, 100 steps": run(rnn, 100), "LSTM (forget bias 1), 100 steps": run(lstm, 100)}
    picture = viz.draw_panels(panels, collapse=True, width=WIDTH)
    save(picture, out, "rnn_vs_lstm_100_steps")
    print(f"  drawn and rendered twice in {time.perf_counter() - start:.2f} s")

    print("the seed's walk-through, one LSTM step, one question per picture")
    questions = {
        "forget": "1. What do I forget?  f_t = σ(W_f·[h_{t-1}, x_t] + b_f), then f_t * c_{t-1}",
        "write": "2. What do I write?  i_t = σ(W_i·[h_{t-1}, x_t] + b_i),  g_t = tanh(W_g·[h_{t-1}, x_t] + b_g)",
        "update": "3. Forget and write together:  c_t = f_t * c_{t-1} + i_t * g_t",
        "output": "4. What do I read out?  o_t = σ(W_o·[h_{t-1}, x_t] + b_o),  h_t = o_t * tanh(c_t)",
    }
    for k, (question, title) in enumerate(questions.items(), 1):
        model = layer(nn.LSTM)
        loss = run(model, 1, grads=False)
        picture = viz.draw_graph(loss, params=model, highlight=question, weights=False, title=title, width=WIDTH)
        save(picture, out, f"seed_{k}_{question}")

    print("the variants, two steps each")
    variants = {
        "peephole": (nn.PeepholeLSTM, "peephole LSTM: the gates also read the cell state (i, f: c_{t-1}; o: c_t)"),
        "cifg": (nn.CIFGLSTM, "CIFG LSTM: c_t = f_t * c_{t-1} + (1 - f_t) * g_t, no input gate"),
        "gru": (nn.GRU, "GRU: h_t = (1 - z_t) * n_t + z_t * h_{t-1}, no cell state"),
    }
    for name, (cls, title) in variants.items():
        model = layer(cls)
        picture = viz.draw_graph(run(model, 2, grads=False), params=model, weights=False, title=title, width=WIDTH)
        save(picture, out, f"variant_{name}")

    print("gradient flow at initialisation, T = 100, hidden 32, batch 16")
    x = np.random.default_rng(SEED).standard_normal((100, 16, 8)).astype(np.float32)
    models = {
        "RNN": (nn.RNN, {}),
        "LSTM, forget bias 0": (nn.LSTM, {"forget_bias": 0.0}),
        "LSTM, forget bias 1": (nn.LSTM, {"forget_bias": 1.0}),
        "LSTM, forget bias 3": (nn.LSTM, {"forget_bias": 3.0}),
        "GRU": (nn.GRU, {}),
        "peephole LSTM": (nn.PeepholeLSTM, {}),
        "CIFG LSTM": (nn.CIFGLSTM, {}),
    }
    flows = {}
    for label, (cls, options) in models.items():
        tg.manual_seed(SEED)
        flows[label] = flow = viz.gradient_norms(cls(8, 32, **options), x)
        c = f"{flow.rates['c']:.3f}" if flow.c is not None else "-"
        print(f"  | {label} | {flow.rates['h']:.3f} | {c} | {flow.h[0]:.1e} |")
    viz.plot_gradient_flow(flows, out / "flow.png")
    print("  flow.png")


if __name__ == "__main__":
    main()
