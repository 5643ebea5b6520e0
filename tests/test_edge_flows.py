"""viz.edge_flows: the gradient sent along each edge, checked against PyTorch.

The oracle replays the recorded graph in PyTorch with every input of every op a fresh clone
of the tensor it reads, one clone per edge: each clone's .grad is that edge's gradient.
"""

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz

torch = pytest.importorskip("torch")


def _torch_op(node, xs):
    """The PyTorch result of ``node`` (a Function) on ``xs``: a tensor or a tuple."""
    op = node.op
    if op == "addmm":
        return xs[0] + xs[1] @ xs[2]
    if op == "matmul":
        return xs[0] @ xs[1]
    if op in ("add", "sub", "mul", "div"):
        return {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[op](*xs)
    if op in ("tanh", "sigmoid"):
        return getattr(torch, op)(xs[0])
    if op == "permute":
        return xs[0].permute(*node.axes)
    if op == "unbind":
        return torch.unbind(xs[0], node.axis)
    if op == "split":
        return torch.split(xs[0], list(node.sizes), node.axis)
    if op == "stack":
        return torch.stack(xs, node.axis)
    if op == "index":
        return xs[0][node.key]
    if op == "sum":
        return xs[0].sum() if node.axes is None else xs[0].sum(dim=node.axes, keepdim=node.keepdims)
    raise NotImplementedError(op)


def torch_edge_grads(loss):
    """{(id(consumer node), slot): ‖gradient along that edge‖}, computed by PyTorch. The
    graph must have been made inside ``tg.keep_grads()``, where nodes keep their tensors."""
    nodes = sorted({e.consumer for e in viz.edge_flows(loss)}, key=lambda f: f.seq)
    values, clones = {}, {}
    for f in nodes:
        xs = []
        for slot, x in enumerate(f.inputs):
            if id(x) not in values:  # a leaf
                values[id(x)] = torch.tensor(x.numpy(), requires_grad=x.requires_grad)
            clone = values[id(x)].clone()
            if clone.requires_grad:
                clone.retain_grad()
            clones[id(f), slot] = clone
            xs.append(clone)
        out = _torch_op(f, xs)
        for ref, y in zip(f.outputs, out if isinstance(out, tuple) else (out,)):
            if ref() is not None:
                values[id(ref())] = y
    values[id(loss)].backward()
    return {k: 0.0 if c.grad is None else float(c.grad.norm()) for k, c in clones.items()}


def _backward(loss):
    with tg.keep_grads():
        loss.backward()
    return loss


def test_a_tensor_read_by_two_ops_has_one_flow_per_edge():
    x = tg.Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True)
    w = tg.Tensor(np.array([[1.0, 2.0], [-3.0, 0.5]]), requires_grad=True)
    with tg.keep_grads():
        y = x.tanh()  # y is read by two ops
        loss = _backward(((y @ w) * 3.0).sum() + (y * y).sum())
    flows = viz.edge_flows(loss)
    want = torch_edge_grads(loss)
    assert len(flows) == len(want)
    for e in flows:
        assert e.norm == pytest.approx(want[id(e.consumer), e.slot], abs=1e-9, rel=1e-9)
    from_y = [e for e in flows if e.tensor is y]
    assert len(from_y) == 3  # matmul, and mul twice (y * y)
    assert len({round(e.norm, 9) for e in from_y}) >= 2  # the two readers got different gradients
    assert np.linalg.norm(y.grad.numpy()) < sum(e.norm for e in from_y)  # the total is their sum, not a norm


def test_flows_are_recorded_for_a_graph_made_outside_the_drawing_mode():
    x = tg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x.tanh()
    loss = (y * 2.0).sum() + y.sum()  # y read by mul (gradient 2, 2) and by sum (1, 1)
    with tg.keep_grads():
        loss.backward()  # only the backward pass in the drawing mode
    index = viz.GraphIndex([loss])
    y_value = next(v for v in index.values.values() if v.maker == y.creator.seq)
    flows = {index.ops[e.consumer].op: e.flow for e in index.consumers[y_value.id]}
    assert flows == pytest.approx({"mul": 2 * np.sqrt(2.0), "sum": np.sqrt(2.0)})
    assert y_value.grad == pytest.approx(3 * np.sqrt(2.0))  # the node kept y's total: 3 on each element
    assert y_value.shape == (2,) and y.grad is None  # the tensor itself keeps nothing


def test_lstm_edges_match_pytorch_and_only_the_last_step_feeds_the_loss():
    tg.manual_seed(1)
    layer = nn.LSTM(3, 5, forget_bias=1.0).double()
    steps = 6
    with tg.keep_grads():
        out, _ = layer(tg.Tensor(np.random.default_rng(0).standard_normal((steps, 2, 3))))
        loss = _backward(out[-1].sum())
    flows = viz.edge_flows(loss)
    want = torch_edge_grads(loss)
    assert len(flows) > 18 * steps
    for e in flows:
        assert e.norm == pytest.approx(want[id(e.consumer), e.slot], abs=1e-9, rel=1e-9), e.consumer.op
    joins = sorted((e for e in flows if e.consumer.op == "stack"), key=lambda e: e.slot)
    assert [e.tensor.name for e in joins] == ["h"] * steps
    assert all(e.norm == 0.0 for e in joins[:-1]) and joins[-1].norm > 0
    belt = [e for e in flows if e.tensor.name == "c" and e.consumer.op == "mul"]
    assert len(belt) == steps and all(e.norm > 0 for e in belt[1:])  # the belt carries it back


def test_edge_flows_needs_keep_grads():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * 2).sum()
    loss.backward()
    with pytest.raises(ValueError, match=r"edge_flows: no gradient flows were recorded.*keep_grads"):
        viz.edge_flows(loss)
