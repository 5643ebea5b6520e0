"""The main job: train RNN, LSTM and GRU on the adding problem, measure gradient flow before
and after training, draw the graphs, and write one self-contained report.html."""

import base64
import datetime
import html
import pathlib
import time

from .. import __version__, backend, viz
from ..autograd import keep_grads
from ..tensor import Tensor
from . import experiments, models, tasks
from .models import label as viz_label
from .train import train

CELLS = ("rnn", "lstm", "gru")
TARGET = ("loss", 0.01)
SETTINGS = {  # quick: under a minute on 2 CPU cores; full: a few minutes
    True: {"length": 20, "steps": 600, "hidden": 32, "flow_steps": 40, "lr": 1e-2},
    False: {"length": 50, "steps": 2000, "hidden": 32, "flow_steps": 100, "lr": 1e-2},
}


def run_demo(out="tinygrad-rnn-demo", device="cpu", quick=False, progress=True, seed=0):
    """Run the demo; returns the path of report.html."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = backend.get_device(device)
    cfg = SETTINGS[bool(quick)]
    start = time.perf_counter()
    say = print  # the steps are always announced; progress= only turns the bars on or off
    task = tasks.AddingProblem(cfg["length"], seed=seed)
    flow_x = tasks.AddingProblem(cfg["flow_steps"], seed=seed + 1).test_set(64).x.numpy()

    say(f"1/4 gradient flow at initialisation over {cfg['flow_steps']} steps")
    trained, flows_before, flows_after, rows = {}, {}, {}, []
    for cell in CELLS:
        model = models.build(cell, task, cfg["hidden"], seed).to(device)
        flows_before[cell] = viz.gradient_norms(model.rnn, Tensor(flow_x, device=device))
        trained[cell] = model

    say(f"2/4 training on the adding problem, length {cfg['length']}, {cfg['steps']} steps each")
    for cell, model in trained.items():
        result = train(
            model,
            task,
            steps=cfg["steps"],
            batch_size=32,
            lr=cfg["lr"],
            eval_every=50,
            test_size=500,
            target=TARGET,
            stop_at_target=False,
            log=out / f"train_{cell}.csv",
            progress=progress,
            device=device,
            label=viz_label(cell),
        )
        rows.append(experiments.Run.of(cell, seed, task, TARGET, result))
        flows_after[cell] = viz.gradient_norms(model.rnn, Tensor(flow_x, device=device))
        say(
            f"   {viz_label(cell)}: test MSE {result.final['test_loss']:.4f} after {result.steps} steps "
            f"({result.seconds:.0f} s)"
        )

    say("3/4 plots and graph drawings")
    files = {
        "curves": experiments.plot_histories(
            rows,
            out / "training_curves.png",
            f"Adding problem, length {cfg['length']}: test MSE",
            baseline=task.baseline,
        ),
        "flow_before": _flow_plot(flows_before, out / "flow_before.png", "Before training: ‖∂L/∂h_t‖ against lag"),
        "flow_after": _flow_plot(flows_after, out / "flow_after.png", "After training: ‖∂L/∂h_t‖ against lag"),
    }
    short = tasks.AddingProblem(6, seed=seed + 2).test_set(1, device=device)
    panels = _backpropagated(trained, task, short, "6 steps of the adding problem")
    picture = viz.draw_panels(panels, params=[trained["rnn"], trained["lstm"]], collapse=False, weights=False)
    files["rnn_vs_lstm"] = _save_both(picture, out / "rnn_vs_lstm")
    for cell in ("lstm", "gru"):
        x = Tensor(short.x.numpy()[:2], device=device)
        out_t, _ = trained[cell].rnn(x)
        files[f"{cell}_cell"] = _save_both(
            viz.draw_graph(out_t[-1].sum(), weights=False, grads=False), out / f"{cell}_cell"
        )
    long = tasks.AddingProblem(cfg["length"], seed=seed + 3).test_set(1, device=device)
    panels = _backpropagated(trained, task, long, f"{cfg['length']} steps")
    collapsed = viz.draw_panels(panels, collapse=True)
    files["collapsed"] = _save_both(collapsed, out / "rnn_vs_lstm_collapsed")
    files["page"] = viz.render(collapsed, out / "rnn_vs_lstm.html")  # the interactive page, embedded below

    say("4/4 report")
    seconds = time.perf_counter() - start
    report = out / "report.html"
    report.write_text(
        _report(cfg, rows, flows_before, flows_after, files, seconds, device, task.baseline), encoding="utf-8"
    )
    (out / "results.md").write_text(experiments.table(rows) + "\n", encoding="utf-8")
    say(f"done in {seconds:.0f} s: open {report.resolve()}")
    return report


def _backpropagated(trained, task, batch, what):
    """{title: loss} for the trained RNN and LSTM on ``batch``, backpropagated with every
    intermediate gradient kept, ready to draw."""
    panels = {}
    for cell in ("rnn", "lstm"):
        with keep_grads():
            loss = task.loss(trained[cell](batch.x), batch)
            loss.backward()
        panels[f"trained {viz_label(cell)}, {what}"] = loss
    return panels


def _flow_plot(flows, path, title):
    import matplotlib.pyplot as plt

    fig = viz.plot_gradient_flow({viz_label(k): v for k, v in flows.items()}, path, title=title)
    plt.close(fig)
    return path


def _save_both(picture, stem):
    svg = viz.render(picture, stem.with_suffix(".svg"))
    viz.render(picture, stem.with_suffix(".png"))
    return svg


def _img(path):
    data = base64.b64encode(pathlib.Path(path).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.name)}">'


def _srcdoc(path):
    return html.escape(pathlib.Path(path).read_text(encoding="utf-8"), quote=True)


def _svg(path):
    text = pathlib.Path(path).read_text(encoding="utf-8")
    return text[text.index("<svg") :]


def _report(cfg, rows, before, after, files, seconds, device, baseline):
    rates = "".join(
        f"<tr><td>{viz_label(c)}</td><td>×{before[c].rates['h']:.3f}</td><td>×{after[c].rates['h']:.3f}</td>"
        f"<td>{before[c].h[0]:.2e}</td><td>{after[c].h[0]:.2e}</td></tr>"
        for c in CELLS
    )
    results = "".join(
        f"<tr><td>{r.label}</td><td>{r.final['loss']:.4f}</td>"
        f"<td>{r.reached_at if r.reached_at is not None else 'not reached'}</td>"
        f"<td>{r.seconds:.1f}</td></tr>"
        for r in rows
    )
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tinygrad_rnn demo report</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ margin-top: 2em; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: 4px 10px; }}
img {{ max-width: 100%; height: auto; }} .wide {{ overflow-x: auto; border: 1px solid #eee; }}
.wide svg {{ max-width: 100%; height: auto; }} iframe.page {{ width: 100%; height: 640px; border: 1px solid #ddd; }}
.note {{ color: #555; font-size: 0.95em; }}
</style></head><body>
<h1>Why LSTM trains where a plain RNN does not</h1>
<p class="note">tinygrad_rnn {__version__}, device {device}, {when}; run time {seconds:.0f} s.
Settings: adding problem of length {cfg["length"]}, hidden size {cfg["hidden"]}, batch 32, Adam (lr {cfg["lr"]}),
global-norm clipping at 1, {cfg["steps"]} training steps per cell; LSTM forget bias 1.</p>

<h2>1. The task</h2>
<p>The adding problem (Le et al. 2015; Arjovsky et al. 2016): each step shows a number drawn from U[0, 1] and a
marker; one marker falls in each half of the sequence, and the model must output the sum of the two marked
numbers at the end. A model that cannot carry information across the sequence can do no better than predicting
the mean, 1, which gives a mean squared error of 1/6 ≈ {baseline:.3f}.</p>

<h2>2. Training</h2>
<table><tr><th>cell</th><th>final test MSE</th><th>step where test MSE &lt; 0.01</th><th>seconds</th></tr>
{results}</table>
{_img(files["curves"])}

<h2>3. Gradient flow, before and after training</h2>
<p>For a loss at the last step, the norm of ∂L/∂h<sub>t</sub> at lag k says how much of the gradient reaches k
steps back, over {cfg["flow_steps"]} steps of the task's inputs. The factor is a geometric fit per step back
in time.</p>
<table><tr><th>cell</th><th>factor per step, before</th><th>after</th>
<th>‖∂L/∂h<sub>0</sub>‖ before</th><th>after</th></tr>{rates}</table>
{_img(files["flow_before"])}
{_img(files["flow_after"])}

<h2>4. The graphs, with the gradient on every edge</h2>
<p>Six steps of the trained RNN and LSTM on one adding sequence, after backpropagating its loss. The darker and
thicker an edge, the larger the gradient it carries (one log scale for both). The orange belt is the LSTM's
cell-state path c<sub>t-1</sub> → × f<sub>t</sub> → + → c<sub>t</sub>; the blue edges the h path.</p>
<div class="wide">{_svg(files["rnn_vs_lstm"])}</div>
<p>The whole sequence, one node per step:</p>
<div class="wide">{_svg(files["collapsed"])}</div>
<p>The same graphs to explore: hover an edge for the gradient along it, click a step to see its primitives,
click a box to light the paths its gradient takes to the loss (also in rnn_vs_lstm.html, beside this report).</p>
<iframe class="page" title="the graphs, interactive" srcdoc="{_srcdoc(files["page"])}"></iframe>

<h2>5. The cells</h2>
<p>An LSTM step and a GRU step, as the primitive operations the framework recorded:</p>
<div class="wide">{_svg(files["lstm_cell"])}</div>
<div class="wide">{_svg(files["gru_cell"])}</div>
<p class="note">Every file of this report is in the same folder (PNG and SVG); the training logs are
train_&lt;cell&gt;.csv.</p>
</body></html>
"""
