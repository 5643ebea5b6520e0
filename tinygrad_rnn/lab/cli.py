"""The ``tinygrad-rnn`` command: the demo, graph drawings, gradient-flow curves, experiments and sweeps."""

import argparse
import json
import pathlib
import sys

import numpy as np

from .. import __version__, viz
from ..autograd import keep_grads
from ..viz.drawing import FORMATS
from . import outputs
from .models import CELLS, label, make_layer
from .sweep import shipped_studies


def _positive(text):
    """An argparse type: an int of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _finite(text):
    """An argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text}")
    return value


def _cells(text):
    """An argparse type: comma-separated cell names, all known (checked before anything runs)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CELLS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown cell(s) {unknown or [text]}; choose from {', '.join(CELLS)}")
    return names


def _seeds(text):
    try:
        return [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def _picture(formats):
    """An argparse type: an output file whose suffix is one of ``formats``."""

    def check(text):
        suffix = pathlib.Path(text).suffix.lower().lstrip(".")
        if suffix not in formats:
            raise argparse.ArgumentTypeError(
                f"cannot write {text!r}: the name must end in {', '.join('.' + f for f in formats)}"
            )
        return text

    return check


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line gets one line (what is wrong, and where --help is)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    folder = pathlib.Path(args.out) if args.out else outputs.data_home() / "experiments" / args.name
    with outputs.staged(folder) as stage:
        _experiment(args, stage)
    print(f"wrote {folder / 'results.md'} and the plots in {folder}")


def _experiment(args, out):
    from . import experiments
    from .tasks import make_task

    seeds = args.seeds or ([0, 1, 2] if args.name == "adding" else [0])
    options = {"seeds": seeds, "out": out, "progress": not args.no_progress}
    if args.cells:
        options["cells"] = args.cells
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


def default_db(sweep_name):
    """Where a sweep's results go unless --db says otherwise: a file per sweep (its subsets
    share it) under $XDG_DATA_HOME/tinygrad-rnn/sweeps (~/.local/share/...), outside any
    source tree."""
    return outputs.data_home() / "sweeps" / f"{sweep_name.split('/')[0]}.sqlite"


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
    for cell in args.cells:
        layer = make_layer(cell, args.input_size, args.hidden, args.forget_bias, args.seed)
        flows[label(cell)] = flow = viz.gradient_norms(layer, x)
        c = f", c: ×{flow.rates['c']:.3f}" if flow.c is not None else ""
        print(f"{label(cell):<16} ‖dL/dh_t‖ changes by ×{flow.rates['h']:.3f} per step back in time{c}")
    viz.plot_gradient_flow(flows, args.output)
    print(f"wrote {args.output}")


def main(argv=None):
    parser = _Parser(
        prog="tinygrad-rnn",
        description="The demo, graph drawings, gradient-flow curves, experiments and sweeps of tinygrad_rnn. "
        "Run tinygrad-rnn COMMAND --help for each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-rnn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    graph = sub.add_parser(
        "graph",
        help="draw the computation graph of a few steps of a recurrent cell",
        description="Draw the graph of a one-layer recurrent model run for --steps steps, with one box per "
        "time step, the cell-state belt c_{t-1} -> x f -> + -> c_t, and (with --grad) the gradient along "
        "every edge. The format comes from the file name: .svg, .png, .pdf, .html (an interactive page) or .dot.",
    )
    graph.add_argument("--cell", default="lstm", choices=list(CELLS), help="which cell (default: lstm)")
    graph.add_argument("--steps", type=_positive, default=3, help="time steps to unroll (default: 3)")
    graph.add_argument("--collapse", action="store_true", help="one node per step (default: only past 8 steps)")
    graph.add_argument(
        "--grad", action="store_true", help="backpropagate a loss at the last step; draw the gradient along each edge"
    )
    graph.add_argument(
        "--highlight",
        choices=sorted(viz.HIGHLIGHTS),
        help="light up one of the seed's questions: forget, write, update (c) or output; fade the rest",
    )
    graph.add_argument(
        "-o", "--output", default="graph.svg", type=_picture(FORMATS), help="output file (default: graph.svg)"
    )

    flow = sub.add_parser(
        "flow",
        help="measure how far back the gradient reaches in each cell, and plot it",
        description="Run each cell over --steps steps of random input, backpropagate a loss at the last step, "
        "and plot the norm of dL/dh_t against the lag T-1-t on a log scale, with the fitted factor per step.",
    )
    flow.add_argument(
        "--cells", default=_cells("rnn,lstm,gru"), type=_cells, help=f"comma-separated, from: {', '.join(CELLS)}"
    )
    flow.add_argument("--steps", type=_positive, default=100, help="sequence length T, at least 2 (default: 100)")
    flow.add_argument(
        "-o",
        "--output",
        default="flow.png",
        type=_picture(("png", "svg", "pdf")),
        help="output picture (default: flow.png)",
    )

    for p, (hidden, size, batch) in ((graph, (4, 3, 1)), (flow, (32, 8, 16))):
        p.add_argument("--hidden", type=_positive, default=hidden, help=f"hidden size (default: {hidden})")
        p.add_argument("--input-size", type=_positive, default=size, help=f"input size (default: {size})")
        p.add_argument("--batch", type=_positive, default=batch, help=f"batch size (default: {batch})")
        p.add_argument("--forget-bias", type=_finite, default=None, help="forget-gate bias of LSTM-family cells")
        p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    experiment = sub.add_parser(
        "experiment",
        help="train several cells on a task and tabulate the results",
        description="adding: RNN, LSTM and GRU on the adding problem (final test MSE, steps to MSE < 0.01, time); "
        "variants: the Greff et al. 2017 variants and the GRU on the continual embedded Reber grammar and the "
        "adding problem. Tables go to results.md, curves to PNG files, logs to CSV files, all in --out.",
    )
    experiment.add_argument("name", choices=["adding", "variants"], help="which experiment")
    experiment.add_argument(
        "--cells", type=_cells, default=None, help="comma-separated cells (default: the experiment's)"
    )
    experiment.add_argument(
        "--length", type=_positive, default=None, help="sequence length (adding: 100; variants: the Reber stream, 100)"
    )
    experiment.add_argument(
        "--seeds", type=_seeds, default=None, help="comma-separated seeds (adding: 0,1,2; variants: 0)"
    )
    experiment.add_argument("--steps", type=_positive, default=None, help="training steps per run")
    experiment.add_argument("--quick", action="store_true", help="short sequences and few steps (a smoke run)")
    experiment.add_argument(
        "--out", default=None, help="output folder (default: ~/.local/share/tinygrad-rnn/experiments/NAME)"
    )
    experiment.add_argument("--no-progress", action="store_true", help="no progress bars")

    demo = sub.add_parser(
        "demo",
        help="the main job: train RNN, LSTM and GRU, measure and draw gradient flow, write report.html",
        description="Train RNN, LSTM and GRU on the adding problem, measure the gradient flow before and after "
        "training, draw the graphs with the cell-state belt and the gradients, and write a self-contained "
        "report.html with the PNG and SVG files beside it. A few minutes on 2 CPU cores; --quick: under a minute.",
    )
    demo.add_argument("--out", default=None, help="output folder (default: ~/.local/share/tinygrad-rnn/demo)")
    demo.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where to compute (default: cpu)")
    demo.add_argument("--quick", action="store_true", help="a shorter task and fewer steps (under a minute)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")

    studies = ", ".join(shipped_studies())
    sweep = sub.add_parser(
        "sweep",
        help="run a sweep of trainings on Dask, with every result stored in SQLite as it finishes",
        description="Expand a sweep file (cells x tasks x seeds x hyper-parameters; see tinygrad_rnn/lab/sweep.py) "
        "into trials and train them on Dask: a local cluster of one-thread worker processes, one per core, or the "
        "cluster of --scheduler. Each finished trial is written to the database at once; trials already finished "
        "there are skipped, so running the same command again resumes a sweep that was stopped. CONFIG is a TOML "
        f"file or the name of a shipped study ({studies}).",
    )
    sweep.add_argument("config", help=f"a sweep file, or the name of a shipped study: {studies}")
    sweep.add_argument("--subset", help="run the named [subsets] part of the sweep only (greff: ci)")
    sweep.add_argument(
        "--db", help="the SQLite file of results (default: ~/.local/share/tinygrad-rnn/sweeps/NAME.sqlite)"
    )
    sweep.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument(
        "--workers", type=_positive, help="worker processes of the local cluster (default: one per core)"
    )
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
    if args.command == "sweep" and args.workers is not None and args.scheduler:
        sweep.error("--workers is for the local cluster; a --scheduler has its own workers")
    if args.command == "flow" and args.steps < 2:
        flow.error("argument --steps: a factor per step needs at least 2 steps")
    commands = {
        "graph": cmd_graph,
        "flow": cmd_flow,
        "experiment": cmd_experiment,
        "demo": cmd_demo,
        "sweep": cmd_sweep,
        "results": cmd_results,
    }
    try:
        commands[args.command](args)
    except (ValueError, TypeError, RuntimeError, OSError, FloatingPointError) as e:
        print(f"tinygrad-rnn {args.command}: {e}", file=sys.stderr)  # one line a person can act on
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
