"""Why LSTM trains where a plain RNN does not: the gradient through time, measured.

A vanilla RNN and an LSTM, each written here from primitive ops (matmul, add, sigmoid,
tanh, chunk, mul), run for T steps on the same random inputs. Backpropagating from the
last hidden state, we read the norm of dL/dh_t at every step t. The RNN multiplies its
gradient by W_hh^T diag(1 - h²) at each step and it fades; the LSTM's cell-state path
c_{t-1} -> (x f_t) -> (+) -> c_t scales it only by the forget gate, so it survives. The
factor per step back is fitted as in `tinygrad-rnn flow` (below 1: the gradient fades).

    python examples/gradient_flow.py [--steps 60] [--hidden 32] [--forget-bias 1.0]
"""

import argparse

import numpy as np

import tinygrad_rnn as tg
from tinygrad_rnn import viz


def uniform(shape, hidden, rng):
    bound = 1 / np.sqrt(hidden)  # PyTorch's initialisation of recurrent layers
    return tg.Tensor(rng.uniform(-bound, bound, shape).astype(np.float32), requires_grad=True)


def rnn(xs, hidden, rng):
    """h_t = tanh(x_t W_ih + h_{t-1} W_hh + b)."""
    w_ih, w_hh, b = (
        uniform((xs[0].shape[1], hidden), hidden, rng),
        uniform((hidden, hidden), hidden, rng),
        uniform((hidden,), hidden, rng),
    )
    h, hs = tg.zeros(1, hidden), []
    for x in xs:
        h = (x @ w_ih + h @ w_hh + b).tanh().retain_grad()
        hs.append(h)
    return hs


def lstm(xs, hidden, rng, forget_bias):
    """[i f g o] = x_t W_ih + h_{t-1} W_hh + b;  c_t = σ(f) c_{t-1} + σ(i) tanh(g);  h_t = σ(o) tanh(c_t)."""
    w_ih, w_hh = uniform((xs[0].shape[1], 4 * hidden), hidden, rng), uniform((hidden, 4 * hidden), hidden, rng)
    b = uniform((4 * hidden,), hidden, rng)
    b.data[hidden : 2 * hidden] = forget_bias
    h, c, hs = tg.zeros(1, hidden), tg.zeros(1, hidden), []
    for x in xs:
        i, f, g, o = (x @ w_ih + h @ w_hh + b).chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = (o.sigmoid() * c.tanh()).retain_grad()
        hs.append(h)
    return hs


def grad_norms(hs):
    hs[-1].sum().backward()
    return np.array([np.linalg.norm(h.grad.numpy()) for h in hs])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--forget-bias", type=float, default=1.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    xs = [tg.Tensor(rng.standard_normal((1, 8)).astype(np.float32)) for _ in range(args.steps)]
    curves = {
        "rnn": grad_norms(rnn(xs, args.hidden, np.random.default_rng(1))),
        "lstm": grad_norms(lstm(xs, args.hidden, np.random.default_rng(1), args.forget_bias)),
    }
    lags = np.arange(args.steps)[::-1]  # steps between h_t and the loss at the last step
    print(f"norm of dL/dh_t, L = sum(h_T), T = {args.steps}, hidden = {args.hidden}")
    print(f"{'lag':>5}{'rnn':>12}{'lstm':>12}")
    for t in range(args.steps - 1, -1, -max(1, args.steps // 10)):
        print(f"{lags[t]:>5}{curves['rnn'][t]:>12.3e}{curves['lstm'][t]:>12.3e}")
    for name, norms in curves.items():  # the project's one convention: a factor below 1 means fading
        print(f"{name}: ‖dL/dh_t‖ changes by ×{viz.decay_rate(norms, lags):.3f} per step back in time")


if __name__ == "__main__":
    main()
