"""The ``tinygrad-rnn`` command: draw a cell's graph, or measure gradient flow through time."""

import argparse
import sys

import numpy as np

from . import backend, nn, viz
from .autograd import keep_grads

CELLS = {  # name on the command line: (layer class, options, label)
    "rnn": (nn.RNN, {}, "RNN"),
    "lstm": (nn.LSTM, {}, "LSTM"),
    "gru": (nn.GRU, {}, "GRU"),
    "peephole": (nn.PeepholeLSTM, {}, "peephole LSTM"),
    "cifg": (nn.CIFGLSTM, {}, "CIFG LSTM"),
    **{f"greff-{v.lower()}": (nn.GreffLSTM, {"variant": v}, f"Greff {v}") for v in nn.GREFF_VARIANTS},
}


def make_layer(cell, input_size, hidden_size, forget_bias=None, seed=0, **extra):
    """A one-layer sequence model of the named cell, seeded (forget_bias for LSTM-family cells)."""
    if cell not in CELLS:
        raise SystemExit(f"unknown cell {cell!r}; choose from {', '.join(CELLS)}")
    cls, options, _ = CELLS[cell]
    options = dict(options, **extra)
    if forget_bias is not None and cls not in (nn.RNN, nn.GRU):
        options["forget_bias"] = forget_bias
    backend.manual_seed(seed)
    return cls(input_size, hidden_size, **options)


def _input(steps, batch, size, seed):
    return np.random.default_rng(seed).standard_normal((steps, batch, size)).astype(np.float32)


def cmd_graph(args):
    from .autograd import Tensor

    layer = make_layer(args.cell, args.input_size, args.hidden, args.forget_bias, args.seed)
    x = Tensor(_input(args.steps, args.batch, args.input_size, args.seed))
    out, _ = layer(x)
    loss = out[-1].sum()
    if args.grad:
        with keep_grads():
            loss.backward()
    collapse = {"auto": "auto", "yes": True, "no": False}["yes" if args.collapse else "auto"]
    picture = viz.draw_graph(loss, params=layer, collapse=collapse, grads=args.grad, highlight=args.highlight)
    path = viz.render(picture, args.output)
    print(f"wrote {path}")


def cmd_flow(args):
    x = _input(args.steps, args.batch, args.input_size, args.seed)
    flows = {}
    for cell in args.cells.split(","):
        layer = make_layer(cell.strip(), args.input_size, args.hidden, args.forget_bias, args.seed)
        label = CELLS[cell.strip()][2]
        flows[label] = flow = viz.gradient_norms(layer, x)
        c = f", c: x{flow.rates['c']:.3f}" if flow.c is not None else ""
        print(f"{label:<16} ‖dL/dh_t‖ changes by x{flow.rates['h']:.3f} per step back in time{c}")
    viz.plot_gradient_flow(flows, args.output)
    print(f"wrote {args.output}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tinygrad-rnn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    graph = sub.add_parser(
        "graph",
        help="draw the computation graph of a few steps of a recurrent cell",
        description="Draw the graph of a one-layer recurrent model run for --steps steps, with one box per "
        "time step, the cell-state belt c_{t-1} -> x f -> + -> c_t, and (with --grad) the gradient size on "
        "every edge. The format comes from the file name: .svg, .png (.pdf with a system Graphviz).",
    )
    graph.add_argument("--cell", default="lstm", choices=sorted(CELLS), help="which cell (default: lstm)")
    graph.add_argument("--steps", type=int, default=3, help="time steps to unroll (default: 3)")
    graph.add_argument("--collapse", action="store_true", help="one node per step (default: only past 8 steps)")
    graph.add_argument("--grad", action="store_true", help="backpropagate a loss at the last step and draw ‖grad‖")
    graph.add_argument(
        "--highlight",
        choices=sorted(viz.HIGHLIGHTS),
        help="light up one of the seed's questions: forget, write, update (c) or output; fade the rest",
    )
    graph.add_argument("-o", "--output", default="graph.svg", help="output file (default: graph.svg)")

    flow = sub.add_parser(
        "flow",
        help="measure how far back the gradient reaches in each cell, and plot it",
        description="Run each cell over --steps steps of random input, backpropagate a loss at the last step, "
        "and plot the norm of dL/dh_t against the lag T-1-t on a log scale, with the fitted factor per step.",
    )
    flow.add_argument("--cells", default="rnn,lstm,gru", help=f"comma-separated, from: {', '.join(CELLS)}")
    flow.add_argument("--steps", type=int, default=100, help="sequence length T (default: 100)")
    flow.add_argument("-o", "--output", default="flow.png", help="output picture (default: flow.png)")

    for p in (graph, flow):
        p.add_argument("--hidden", type=int, default=None, help="hidden size (graph: 4, flow: 32)")
        p.add_argument("--input-size", type=int, default=None, help="input size (graph: 3, flow: 8)")
        p.add_argument("--batch", type=int, default=None, help="batch size (graph: 1, flow: 16)")
        p.add_argument("--forget-bias", type=float, default=None, help="forget-gate bias of LSTM-family cells")
        p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    small = args.command == "graph"
    args.hidden = args.hidden or (4 if small else 32)
    args.input_size = args.input_size or (3 if small else 8)
    args.batch = args.batch or (1 if small else 16)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    {"graph": cmd_graph, "flow": cmd_flow}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
