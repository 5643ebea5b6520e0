"""Where the time of a tiny LSTM training step goes (B=1, T=20, I=8, H=16, float32), and
how low a graph with every gate a node can go in Python.

One training step each (forward over T steps, loss sum(output * R), backward to the
weights), the least of ``--repeats`` rounds taken in turn:

- torch primitive loop: PyTorch's ops in a Python loop (``bench_rnn``), the yardstick;
- ours: ``nn.LSTM``, the default path (every gate a node), and ``fused=True``;
- bare engine: the same nodes per step (addmm, chunk, σ, σ, tanh, σ, two products, a sum,
  tanh, a product) and per sequence (projection, unbind, stack, loss), 225 in all against
  ours' 228 (ours also adds the two biases, takes the weights' transposes as nodes and
  stacks the final states), recorded and walked with the least Python a graph needs: a node object with its parents and
  saved arrays, one output object per result, an ordered backward pass. It has none of
  what ours carries per op: grad modes, devices, dtypes and shape errors, scopes and
  names for drawings, version checks for in-place changes, anomaly checks, needs-based
  saving, deferred weight gradients. It is a yardstick, not an engine;
- NumPy alone: the ufunc calls of our primitives' forward and backward passes, with no
  graph at all (the recurrent weight's gradient summed step by step).

The bare engine and NumPy alone are checked to give ours' gradients before timing.

    python benchmarks/bench_overhead.py [--repeats 15]
"""

import argparse
import itertools

import numpy as np
from bench_rnn import interleaved_min, ours_step, torch, torch_primitive_lstm_step

import tinygrad_rnn as tg
from tinygrad_rnn import nn
from tinygrad_rnn.autograd import _graph_order
from tinygrad_rnn.ops.elementwise import stable_sigmoid

B, T, I, H = 1, 20, 8, 16

# -- the bare engine ----------------------------------------------------------------------

_seq = itertools.count()


class Var:
    """A value: its array, the node that made it (None for a leaf) and which output it is."""

    __slots__ = ("data", "node", "slot", "grad")

    def __init__(self, data, node=None, slot=0):
        self.data, self.node, self.slot, self.grad = data, node, slot, None


class Node:
    """A recorded op: its parents (node or leaf Var per input), what its backward reads."""

    __slots__ = ("parents", "slots", "saved", "pending", "seq", "outputs")

    def __init__(self, inputs, saved, outputs=1):
        self.parents = tuple([v.node or v for v in inputs])
        self.slots = tuple([v.slot for v in inputs])
        self.saved, self.pending, self.seq, self.outputs = saved, None, next(_seq), outputs


def _op(cls, inputs, saved, data):
    return Var(data, cls(inputs, saved))


class AddMM(Node):
    __slots__ = ()

    def backward(self, g):
        x, w, c_shape = self.saved
        return (g.sum(0) if len(c_shape) == 1 else g), g @ w.T, x.T @ g


def addmm(c, x, w):
    out = x.data @ w.data
    out += c.data
    return _op(AddMM, (c, x, w), (x.data, w.data, c.data.shape), out)


class Unbind(Node):
    """(T·B, n) rows -> T values of (B, n)."""

    __slots__ = ()

    def backward(self, *gs):
        return (np.concatenate([np.zeros_like(gs[0]) if g is None else g for g in gs]),)


def unbind(x):
    node = Unbind((x,), None, T)
    return [Var(a, node, k) for k, a in enumerate(x.data.reshape(T, B, -1))]


class Chunk(Node):
    __slots__ = ()

    def backward(self, *gs):
        return (np.concatenate(gs, 1),)


def chunk4(x):
    node = Chunk((x,), None, 4)
    return [Var(x.data[:, k * H : (k + 1) * H], node, k) for k in range(4)]


ONE = np.float32(1)


class Sigmoid(Node):
    __slots__ = ()

    def backward(self, g):
        y = self.saved
        gx = ONE - y
        gx *= y
        gx *= g
        return (gx,)


def sigmoid(x):
    y = stable_sigmoid(x.data)
    return _op(Sigmoid, (x,), y, y)


class Tanh(Node):
    __slots__ = ()

    def backward(self, g):
        y = self.saved
        gx = y * y
        np.subtract(ONE, gx, out=gx)
        gx *= g
        return (gx,)


def tanh(x):
    y = np.tanh(x.data)
    return _op(Tanh, (x,), y, y)


class Mul(Node):
    __slots__ = ()

    def backward(self, g):
        x, y = self.saved
        return g * y, g * x


def mul(x, y):
    return _op(Mul, (x, y), (x.data, y.data), x.data * y.data)


class Add(Node):
    __slots__ = ()

    def backward(self, g):
        return g, g


def add(x, y):
    return _op(Add, (x, y), None, x.data + y.data)


class Stack(Node):
    __slots__ = ()

    def backward(self, g):
        return tuple(g)


def stack(xs):
    return _op(Stack, xs, None, np.stack([x.data for x in xs]))


class Sum(Node):
    __slots__ = ()

    def backward(self, g):
        return (np.broadcast_to(g, self.saved).copy(),)


def total(x):
    return _op(Sum, (x,), x.data.shape, x.data.sum())


def backward(loss):
    """Reverse creation order over the nodes behind ``loss``; leaves sum into ``.grad``."""
    seen, todo = {loss.node}, [loss.node]
    while todo:
        for p in todo.pop().parents:
            if type(p) is not Var and p not in seen:
                seen.add(p)
                todo.append(p)
    loss.node.pending = [np.ones((), np.float32)]
    for node in sorted(seen, key=lambda n: n.seq, reverse=True):
        gys, node.pending = node.pending, None
        for g, parent, slot in zip(node.backward(*gys), node.parents, node.slots):
            if type(parent) is Var:
                parent.grad = g if parent.grad is None else parent.grad + g
            else:
                if parent.pending is None:
                    parent.pending = [None] * parent.outputs
                old = parent.pending[slot]
                parent.pending[slot] = g if old is None else old + g


def bare_step(weights, x, r):
    w_ih, w_hh, bias = (Var(w) for w in weights)
    r = Var(r)

    def step():
        for w in (w_ih, w_hh, bias):
            w.grad = None
        xws = unbind(addmm(bias, Var(x.reshape(T * B, I)), w_ih))
        h, c, hs = Var(np.zeros((B, H), np.float32)), Var(np.zeros((B, H), np.float32)), []
        for t in range(T):
            i, f, g, o = chunk4(addmm(xws[t], h, w_hh))
            i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
            c = add(mul(f, c), mul(i, g))
            h = mul(o, tanh(c))
            hs.append(h)
        backward(total(mul(stack(hs), r)))
        return w_ih.grad, w_hh.grad, bias.grad

    return step


# -- NumPy alone: the same ufunc calls, no graph -------------------------------------------


def numpy_step(weights, x, r):
    w_ih, w_hh, bias = weights

    def step():
        xw = x @ w_ih
        xw += bias
        h, c, saved = np.zeros((B, H), np.float32), np.zeros((B, H), np.float32), []
        for t in range(T):
            a = h @ w_hh
            a += xw[t]
            i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
            i, f, g, o = stable_sigmoid(i), stable_sigmoid(f), np.tanh(g), stable_sigmoid(o)
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            saved.append((h, c, i, f, g, o, tc))
            h, c = o * tc, c_new
        g_w_hh, g_xw, dh, dc = np.zeros_like(w_hh), np.empty_like(xw), None, None
        for t in reversed(range(T)):
            h_prev, c_prev, i, f, g, o, tc = saved[t]
            gh = r[t] if dh is None else dh + r[t]
            do, dtc = gh * tc, gh * o
            g_tanh = tc * tc
            np.subtract(ONE, g_tanh, out=g_tanh)
            g_tanh *= dtc
            dcn = g_tanh if dc is None else g_tanh + dc
            df, dc, di, dg = dcn * c_prev, dcn * f, dcn * g, dcn * i
            grads = []
            for y, gy in ((i, di), (f, df), (o, do)):
                gx = ONE - y
                gx *= y
                gx *= gy
                grads.append(gx)
            gg = g * g
            np.subtract(ONE, gg, out=gg)
            gg *= dg
            da = np.concatenate([grads[0], grads[1], gg, grads[2]], 1)
            g_xw[t] = da
            dh = da @ w_hh.T
            g_w_hh += h_prev.T @ da
        flat = g_xw.reshape(T * B, 4 * H)
        return x.reshape(T * B, I).T @ flat, g_w_hh, flat.sum(0)

    return step


# -- the run --------------------------------------------------------------------------------


def graph_nodes(layer, x, r):
    """The nodes of one training step's graph (ours)."""
    loss = (layer(tg.Tensor(x))[0] * tg.Tensor(r)).sum()
    return len(_graph_order([loss.creator]))


def check_same_gradients(layer, weights, x, r):
    """The bare engine and NumPy alone give ours' gradients (float32, to rounding)."""
    layer.zero_grad()
    (layer(tg.Tensor(x))[0] * tg.Tensor(r)).sum().backward()
    cell = layer.cells[0]
    ours = (cell.weight_ih.grad.numpy().T, cell.weight_hh.grad.numpy().T, cell.bias_ih.grad.numpy())
    for name, step in (("bare engine", bare_step(weights, x, r)), ("NumPy alone", numpy_step(weights, x, r))):
        for got, want in zip(step(), ours):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    r = rng.standard_normal((T, B, H)).astype(np.float32)
    layer = nn.LSTM(I, H)
    cell = layer.cells[0]
    weights = (
        np.ascontiguousarray(cell.weight_ih.numpy().T),
        np.ascontiguousarray(cell.weight_hh.numpy().T),
        cell.bias_ih.numpy() + cell.bias_hh.numpy(),
    )
    check_same_gradients(layer, weights, x, r)
    fns = {}
    if torch is not None:
        fns["torch primitive loop"] = torch_primitive_lstm_step(B, T, I, H, np.random.default_rng(0))
    fns["ours (every gate a node)"] = ours_step("LSTM", B, T, I, H, "cpu", np.random.default_rng(0))
    fns["ours fused"] = ours_step("LSTM", B, T, I, H, "cpu", np.random.default_rng(0), fused=True)
    fns["bare engine"] = bare_step(weights, x, r)
    fns["NumPy alone, same calls"] = numpy_step(weights, x, r)
    best = interleaved_min(fns, args.repeats)
    base = best.get("torch primitive loop")
    print(f"B={B}, T={T}, I={I}, H={H}: milliseconds per training step (least of {args.repeats}, interleaved)")
    for name, seconds in best.items():
        ratio = f"{seconds / base:6.2f} x torch primitive loop" if base else ""
        print(f"  {name:<26}{seconds * 1e3:7.3f}  {ratio}")
    first = next(_seq)
    fns["bare engine"]()
    nodes = {"ours (every gate a node)": graph_nodes(layer, x, r), "bare engine": next(_seq) - first - 1}
    floor = best["NumPy alone, same calls"]
    for name, count in nodes.items():
        per_node = (best[name] - floor) / count * 1e6
        print(f"  {name}: {per_node:.2f} us of Python per node, forward and backward ({count} nodes)")
    if base:
        budget = (0.5 * base - floor) / nodes["ours (every gate a node)"] * 1e6
        print(f"  the 0.5 x target leaves {budget:.2f} us per node beside NumPy's own time")


if __name__ == "__main__":
    main()
