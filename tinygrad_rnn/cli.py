"""The ``tinygrad-rnn`` command: the demo, graph drawings, gradient-flow curves and experiments."""

import argparse
import pathlib
import sys

import numpy as np

from . import viz
from .autograd import keep_grads
from .models import CELLS, label, make_layer


def _input(steps, batch, size, seed):
    return np.random.default_rng(seed).standard_normal((steps, batch, size)).astype(np.float32)


def cmd_graph(args):
    from .tensor import Tensor

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


def cmd_experiment(args):
    from . import experiments

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in (args.seeds or ("0,1,2" if args.name == "adding" else "0")).split(",")]
    options = {"seeds": seeds, "out": out, "progress": not args.no_progress}
    if args.cells:
        options["cells"] = args.cells.split(",")
    length_option = "length" if args.name == "adding" else "reber_length"
    if args.quick:  # short sequences and few steps: a smoke run
        options.update({length_option: 20, "steps": 300 if args.name == "adding" else 150})
        if args.name == "variants":
            options["adding_length"] = 20
    if args.length:
        options[length_option] = args.length
    if args.steps:
        options["steps"] = args.steps
    if args.name == "adding":
        results = {"adding": experiments.adding(**options)}
    else:
        results = experiments.variants(**options)
    baselines = {"adding": 1 / 6}
    report = []
    for task_name, rows in results.items():
        metric = [k for k in rows[0] if k.startswith("final")][0][len("final test ") :]
        experiments.plot_histories(
            rows,
            metric,
            out / f"{task_name}.png",
            f"{task_name}: test {metric}",
            baseline=baselines.get(task_name),
            log=metric == "loss",
        )
        report += [f"## {task_name}", "", experiments.table(rows), "", experiments.summary(rows), ""]
    text = "\n".join(report)
    (out / "results.md").write_text(text + "\n")
    print(text)
    print(f"wrote {out / 'results.md'} and the plots in {out}")


def cmd_demo(args):
    from .demo import run_demo

    run_demo(args.out, device=args.device, quick=args.quick, progress=not args.no_progress)


def cmd_flow(args):
    x = _input(args.steps, args.batch, args.input_size, args.seed)
    flows = {}
    for cell in args.cells.split(","):
        layer = make_layer(cell.strip(), args.input_size, args.hidden, args.forget_bias, args.seed)
        flows[label(cell.strip())] = flow = viz.gradient_norms(layer, x)
        c = f", c: x{flow.rates['c']:.3f}" if flow.c is not None else ""
        print(f"{label(cell.strip()):<16} ‖dL/dh_t‖ changes by x{flow.rates['h']:.3f} per step back in time{c}")
    viz.plot_gradient_flow(flows, args.output)
    print(f"wrote {args.output}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tinygrad-rnn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    graph = sub.add_parser(
        "graph",
        help="draw the computation graph of a few steps of a recurrent cell",
        description="Draw the graph of a one-layer recurrent model run for --steps steps, with one box per "
        "time step, the cell-state belt c_{t-1} -> x f -> + -> c_t, and (with --grad) the gradient along "
        "every edge. The format comes from the file name: .svg, .png, .pdf, .html (an interactive page) or .dot.",
    )
    graph.add_argument("--cell", default="lstm", choices=list(CELLS), help="which cell (default: lstm)")
    graph.add_argument("--steps", type=int, default=3, help="time steps to unroll (default: 3)")
    graph.add_argument("--collapse", action="store_true", help="one node per step (default: only past 8 steps)")
    graph.add_argument(
        "--grad", action="store_true", help="backpropagate a loss at the last step; draw the gradient along each edge"
    )
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
    experiment = sub.add_parser(
        "experiment",
        help="train several cells on a task and tabulate the results",
        description="adding: RNN, LSTM and GRU on the adding problem (final test MSE, steps to MSE < 0.01, time); "
        "variants: the Greff et al. 2017 variants and the GRU on the continual embedded Reber grammar and the "
        "adding problem. Tables go to results.md, curves to PNG files, logs to CSV files, all in --out.",
    )
    experiment.add_argument("name", choices=["adding", "variants"], help="which experiment")
    experiment.add_argument("--cells", default=None, help="comma-separated cells (default: the experiment's)")
    experiment.add_argument(
        "--length", type=int, default=None, help="sequence length (adding: 100; variants: the Reber stream, 100)"
    )
    experiment.add_argument("--seeds", default=None, help="comma-separated seeds (adding: 0,1,2; variants: 0)")
    experiment.add_argument("--steps", type=int, default=None, help="training steps per run")
    experiment.add_argument("--quick", action="store_true", help="short sequences and few steps (a smoke run)")
    experiment.add_argument("--out", default="experiments", help="output folder (default: experiments)")
    experiment.add_argument("--no-progress", action="store_true", help="no progress bars")

    demo = sub.add_parser(
        "demo",
        help="the main job: train RNN, LSTM and GRU, measure and draw gradient flow, write report.html",
        description="Train RNN, LSTM and GRU on the adding problem, measure the gradient flow before and after "
        "training, draw the graphs with the cell-state belt and the gradients, and write a self-contained "
        "report.html with the PNG and SVG files beside it. A few minutes on 2 CPU cores; --quick: under a minute.",
    )
    demo.add_argument("--out", default="tinygrad-rnn-demo", help="output folder (default: tinygrad-rnn-demo)")
    demo.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to compute (default: cpu)")
    demo.add_argument("--quick", action="store_true", help="a shorter task and fewer steps (under a minute)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")

    args = parser.parse_args(argv)
    if args.command in ("experiment", "demo"):
        {"experiment": cmd_experiment, "demo": cmd_demo}[args.command](args)
        return 0
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
