"""Measuring gradient flow through time: per-step gradient norms and their decay rate.

For a loss at the last step only, ‖∂L/∂h_t‖ at lag k = T-1-t says how much of the loss's
gradient reaches k steps back. A plain RNN multiplies it by W_hhᵀ diag(tanh') per step and
it decays geometrically; the LSTM's cell state passes it on scaled by f_t only.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import backend
from ..autograd import keep_grads
from ..serialization import save_figure
from ..tensor import Tensor
from .graph import GraphIndex, step_number, step_of


@dataclass
class GradientFlow:
    """Per-time-step gradient norms (batch means), indexed by time step t = 0 .. T-1.

    ``x``, ``h``, ``c``: ‖∂L/∂x_t‖, ‖∂L/∂h_t‖, ‖∂L/∂c_t‖ (``c`` is None for cells without a
    cell state). ``rates``: for each, the factor by which the norm changes per step back
    in time, fitted as 10^slope of log10(norm) against lag (below 1: the gradient fades).

    >>> import numpy as np
    >>> from tinygrad_rnn import viz
    >>> flow = viz.GradientFlow(x=np.ones(3), h=np.array([0.25, 0.5, 1.0]))
    >>> flow.steps, flow.lags.tolist(), flow.c is None
    (3, [2, 1, 0], True)
    """

    x: np.ndarray
    h: np.ndarray
    c: np.ndarray = None
    rates: dict = field(default_factory=dict)

    @property
    def steps(self):
        return len(self.h)

    @property
    def lags(self):
        """Steps between t and the last step, where the loss is: T-1, ..., 0."""
        return np.arange(self.steps)[::-1]


def decay_rate(norms, lags=None):
    """The factor per step of a geometric fit of ``norms`` against ``lags`` (zeros skipped).
    ``lags`` defaults to T-1, ..., 0: ``norms`` in time order, the loss at the last step.

    >>> from tinygrad_rnn import viz
    >>> round(viz.decay_rate([0.25, 0.5, 1.0]), 6), round(viz.decay_rate([1.0, 0.0, 1.0]), 6)
    (0.5, 1.0)
    """
    norms = backend.to_host(norms).astype(np.float64)
    lags = np.arange(len(norms))[::-1] if lags is None else backend.to_host(lags)
    keep = np.isfinite(norms) & (norms > 0)
    if keep.sum() < 2:
        return float("nan")
    slope = np.polyfit(lags[keep], np.log10(norms[keep]), 1)[0]
    return float(10.0**slope)


def _batch_norms(grad, batch_axis=0):
    g = np.moveaxis(np.asarray(grad, dtype=np.float64), batch_axis, 0)
    return np.linalg.norm(g.reshape(g.shape[0], -1), axis=1).mean()


def gradient_norms(model, x, loss=None, layer=None):
    """Run ``model`` on ``x`` (T, B, I), backpropagate ``loss(output)`` and measure, per time
    step, the batch-mean norms of ∂L/∂x_t, ∂L/∂h_t and ∂L/∂c_t.

    ``model`` is a sequence layer of ``tinygrad_rnn.nn`` (or any callable whose first result
    is the output and whose graph has states named "h" and "c" under ``t{k}`` scopes).
    ``loss`` defaults to the sum of the last step's output, so the norm at lag k measures
    what reaches k steps back. ``layer`` picks the layer whose h and c are read (default:
    the top one); its forward direction is read.

    >>> import tinygrad_rnn as tg
    >>> from tinygrad_rnn import viz
    >>> flow = viz.gradient_norms(tg.nn.LSTM(2, 4), tg.randn(10, 3, 2))
    >>> flow.steps, flow.h.shape, flow.c.shape, sorted(flow.rates)
    (10, (10,), (10,), ['c', 'h', 'x'])
    >>> bool(flow.h[-1] > 0)              # the last step's h gets the loss's gradient itself
    True
    """
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if len(shape) != 3:
        raise ValueError(f"gradient_norms: expected x of shape (T, B, I), got {shape}")
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    dtype = params[0].dtype if params and not isinstance(x, Tensor) else None  # an array takes the model's dtype
    x = Tensor(x, requires_grad=True, dtype=dtype)  # a copy, on x's device (a tensor's, a CuPy array's, or the default)
    with keep_grads():
        result = model(x)
        out = result[0] if isinstance(result, tuple) else result
        value = out[-1].sum() if loss is None else loss(out)
        value.backward()
    steps = shape[0]
    states = _states_by_step(GraphIndex([value]), layer)
    norms = {"x": np.array([_batch_norms(x.grad.numpy()[t]) for t in range(steps)])}
    for name in ("h", "c"):
        found = states.get(name, {})
        if found:
            norms[name] = np.array([_batch_norms(found[t]) if t in found else 0.0 for t in range(steps)])
    if "h" not in norms:
        raise ValueError("gradient_norms: no tensors named 'h' under time-step scopes in the model's graph")
    flow = GradientFlow(x=norms["x"], h=norms["h"], c=norms.get("c"))
    flow.rates = {k: decay_rate(v) for k, v in norms.items()}
    return flow


def _states_by_step(index, layer):
    """{name: {t: gradient array}} for the states named h and c of one layer's forward pass."""
    found = {}
    for value, grad in index.state_gradients(("h", "c")):
        if value.maker is None:
            continue
        scope = index.ops[value.maker].scope
        step = step_of(scope)
        if step is None or "reverse" in scope:
            continue
        layer_name = next((s for s in scope if s.startswith("layer")), "")
        found.setdefault(layer_name, {}).setdefault(value.name, {})[step_number(step)] = grad
    if not found:
        return {}
    chosen = f"layer{layer}" if layer is not None else max(found, key=lambda s: int(s[5:] or 0))
    return found.get(chosen, {})


def plot_gradient_flow(flows, path=None, which="h", title=None):
    """Curves of ‖∂L/∂{which}_t‖ against lag for several models on one log-scale figure, the
    fitted factor per step in the legend. ``flows``: {label: GradientFlow}. Returns the figure
    (and saves it to ``path`` when given).

    >>> import tinygrad_rnn as tg
    >>> import matplotlib.pyplot as plt
    >>> from tinygrad_rnn import viz
    >>> x = tg.randn(10, 3, 2)
    >>> flows = {"RNN": viz.gradient_norms(tg.nn.RNN(2, 4), x), "LSTM": viz.gradient_norms(tg.nn.LSTM(2, 4), x)}
    >>> figure = viz.plot_gradient_flow(flows)
    >>> [line.get_label().split(":")[0] for line in figure.axes[0].get_lines()][:2]
    ['RNN', 'LSTM']
    >>> plt.close(figure)
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for label, flow in flows.items():
        norms = getattr(flow, which)
        if norms is None:
            continue
        rate = flow.rates.get(which, float("nan"))
        ax.semilogy(flow.lags, np.where(norms > 0, norms, np.nan), label=f"{label}: ×{rate:.3f} per step", lw=2)
        if which == "h" and flow.c is not None:
            ax.semilogy(flow.lags, np.where(flow.c > 0, flow.c, np.nan), ls=":", lw=1.5, color=ax.lines[-1].get_color())
    ax.set_xlabel("lag: steps between t and the loss at the last step")
    ax.set_ylabel(f"‖∂L/∂{which}_t‖ (batch mean)")
    ax.set_title(title or "How far back the gradient reaches (dotted: ‖∂L/∂c_t‖)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path, dpi=120)
    return fig
