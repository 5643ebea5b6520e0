"""The ``tinygrad-rnn`` command: the demo, graph drawings, gradient-flow curves, experiments and sweeps."""

import argparse
import json
import os
import pathlib
import sys

import numpy as np

from .. import viz
from ..autograd import keep_grads
from .models import CELLS, label, make_layer


def _input(steps, batch, size, seed):
    return np.random.default_rng(seed).standard_normal((steps, batch, size)).astype(np.float32)


def cmd_graph(args):
    from ..tensor import Tensor

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
    from .tasks import make_task

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
    report = []
    for task_name, runs in results.items():
        metric = runs[0].metric
        experiments.plot_histories(
            runs,
            out / f"{task_name}.png",
            f"{task_name}: test {metric}",
            baseline=make_task(task_name).baseline if metric == "loss" else None,
            log=metric == "loss",
        )
        report += [f"## {task_name}", "", experiments.table(runs), "", experiments.summary(runs), ""]
    text = "\n".join(report)
    (out / "results.md").write_text(text + "\n")
    print(text)
    print(f"wrote {out / 'results.md'} and the plots in {out}")


def default_db(sweep_name):
    """Where a sweep's results go unless --db says otherwise: a file per sweep (its subsets
    share it) under $XDG_DATA_HOME/tinygrad-rnn/sweeps (~/.local/share/...), outside any
    source tree."""
    base = pathlib.Path(os.environ.get("XDG_DATA_HOME") or pathlib.Path.home() / ".local" / "share")
    return base / "tinygrad-rnn" / "sweeps" / f"{sweep_name.split('/')[0]}.sqlite"


def _sweep_modules():
    """The modules that need the `sweep` extra, or SystemExit saying how to install it."""
    try:
        from . import runner, stats
    except ImportError as e:
        raise SystemExit(f"tinygrad-rnn: sweeps need Dask and SciPy ({e}); pip install 'tinygrad-rnn[sweep]'") from None
    return runner, stats


def cmd_sweep(args):
    from .sweep import SweepError, load

    try:
        spec = load(args.config)
        if args.subset:
            spec = spec.subset(args.subset)
    except SweepError as e:
        raise SystemExit(f"tinygrad-rnn sweep: {e}") from None
    if args.list:
        for trial in spec.trials():
            print(trial.id, json.dumps(trial.config(), sort_keys=True))
        return
    runner, stats = _sweep_modules()
    db = pathlib.Path(args.db) if args.db else default_db(spec.name)
    try:
        results = runner.run(spec, db, scheduler=args.scheduler, workers=args.workers, progress=not args.no_progress)
    except KeyboardInterrupt:
        print(f"\nstopped: the finished trials are in {db}; the same command resumes the sweep", file=sys.stderr)
        raise SystemExit(130) from None
    print()
    print(stats.markdown(stats.summarize(results, spec.reference, cells=spec.cells), spec.reference))
    print(f"all results: tinygrad-rnn results {db} --sweep {spec.name}")


def cmd_results(args):
    from .results import ResultsDB

    if not pathlib.Path(args.db).is_file():
        raise SystemExit(f"tinygrad-rnn results: no database {args.db}")
    _, stats = _sweep_modules()
    with ResultsDB(args.db) as db:
        names = db.sweeps()
        if args.sweep is None and len(names) != 1:
            raise SystemExit(f"tinygrad-rnn results: {args.db} holds sweeps {names}; choose one with --sweep")
        name = args.sweep or names[0]
        if name not in names:
            raise SystemExit(f"tinygrad-rnn results: {args.db} has no sweep {name!r}; it has {names}")
        definition = db.definition(name)
        reference = definition.get("reference")
        try:
            results = db.results(name, where=args.where)
        except ValueError as e:
            raise SystemExit(f"tinygrad-rnn results: {e}") from None
        if args.csv:
            print(f"wrote {db.export_csv(args.csv, name, args.where)}")
    done = [r for r in results if r.ok]
    which = f" where {args.where}" if args.where else ""
    print(f"{name}{which}: {len(results)} trials stored, {len(done)} finished, {len(results) - len(done)} failed")
    if not done:
        return
    summaries = stats.summarize(results, reference, test=args.test, cells=definition.get("cells"))
    print(stats.markdown(summaries, reference, test=args.test))
    if args.plot:
        print(f"wrote {stats.boxplots(summaries, args.plot, reference, title=name)}")


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

    sweep = sub.add_parser(
        "sweep",
        help="run a sweep of trainings on Dask, with every result stored in SQLite as it finishes",
        description="Expand a sweep file (cells x tasks x seeds x hyper-parameters; see tinygrad_rnn/lab/sweep.py) "
        "into trials and train them on Dask: a local cluster of one-thread worker processes, one per core, or the "
        "cluster of --scheduler. Each finished trial is written to the database at once; trials already finished "
        "there are skipped, so running the same command again resumes a sweep that was stopped. CONFIG is a TOML "
        "file or the name of a shipped study (greff).",
    )
    sweep.add_argument("config", help="a sweep file, or the name of a shipped study: greff")
    sweep.add_argument("--subset", help="run the named [subsets] part of the sweep only (greff: ci)")
    sweep.add_argument(
        "--db", help="the SQLite file of results (default: ~/.local/share/tinygrad-rnn/sweeps/NAME.sqlite)"
    )
    sweep.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    sweep.add_argument("--list", action="store_true", help="print the trials (id and configuration) and stop")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")

    results = sub.add_parser(
        "results",
        help="summarize a database of sweep results: medians, IQRs, significance tests, box plots, CSV",
        description="Per task and cell: the number of trials, the median and interquartile range of each trial's "
        "best test metric, and a two-sided test against the sweep's reference cell, Holm-corrected over the cells "
        "of the task.",
    )
    results.add_argument("db", help="the SQLite file a sweep wrote")
    results.add_argument("--sweep", help="which sweep of the database (needed when it holds several)")
    results.add_argument("--test", choices=["mann-whitney", "welch"], default="mann-whitney", help="the test")
    results.add_argument(
        "--where", help='only the trials for which this SQL condition on their columns holds, e.g. "clip = 0"'
    )
    results.add_argument("--csv", help="also write the trial rows to this CSV file")
    results.add_argument("--plot", help="also draw the box plots to this picture (.png, .svg, .pdf)")

    args = parser.parse_args(argv)
    if args.command in ("experiment", "demo", "sweep", "results"):
        if args.command == "sweep" and args.workers is not None and args.workers < 1:
            parser.error("--workers must be at least 1")
        if args.command == "sweep" and args.workers is not None and args.scheduler:
            parser.error("--workers is for the local cluster; a --scheduler has its own workers")
        commands = {"experiment": cmd_experiment, "demo": cmd_demo, "sweep": cmd_sweep, "results": cmd_results}
        commands[args.command](args)
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
