"""Property tests: broadcasting binary ops give each input a gradient of its own shape."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinygrad_rnn as tg

SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


def _reduce_by_loop(grad, shape):
    """Sum ``grad`` back to ``shape`` element by element (independent of the library's helper)."""
    out = np.zeros(shape)
    lead = grad.ndim - len(shape)
    for idx in np.ndindex(grad.shape):
        target = tuple(0 if n == 1 else i for i, n in zip(idx[lead:], shape))
        out[target] += grad[idx]
    return out


@settings(max_examples=40, deadline=None)
@given(shapes=SHAPES, op=st.sampled_from(["add", "sub", "mul", "div"]), seed=st.integers(0, 2**16))
def test_binary_op_gradients_reduce_to_input_shapes(shapes, op, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    a = rng.uniform(0.5, 1.5, sa)
    b = rng.uniform(0.5, 1.5, sb)
    g = rng.standard_normal(out_shape)
    ta, tb = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    out = getattr(tg, op)(ta, tb)
    assert out.shape == out_shape
    out.backward(g)
    dfa, dfb = {
        "add": (np.ones_like, np.ones_like),
        "sub": (np.ones_like, lambda x: -np.ones_like(x)),
        "mul": (lambda _: np.broadcast_to(b, out_shape), lambda _: np.broadcast_to(a, out_shape)),
        "div": (lambda _: np.broadcast_to(1 / b, out_shape), lambda _: np.broadcast_to(-a / b**2, out_shape)),
    }[op]
    full = np.zeros(out_shape)
    np.testing.assert_allclose(ta.grad.numpy(), _reduce_by_loop(g * dfa(full), sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), _reduce_by_loop(g * dfb(full), sb), rtol=1e-12, atol=1e-12)
    assert ta.grad.shape == sa and tb.grad.shape == sb


@settings(max_examples=15, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3), seed=st.integers(0, 99))
def test_where_broadcasts_with_a_correct_gradient(shapes, seed):
    rng = np.random.default_rng(seed)
    sc, sa, sb = shapes.input_shapes
    cond = rng.random(sc) > 0.5
    ta = tg.Tensor(rng.standard_normal(sa), requires_grad=True)
    tb = tg.Tensor(rng.standard_normal(sb), requires_grad=True)
    assert tg.gradcheck(lambda x, y: tg.where(cond, x, y), [ta, tb])


@settings(max_examples=15, deadline=None)
@given(batch=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2), seed=st.integers(0, 99))
def test_batched_matmul_broadcasts_batch_axes(batch, seed):
    rng = np.random.default_rng(seed)
    ba, bb = batch.input_shapes
    ta = tg.Tensor(rng.standard_normal(ba + (2, 3)), requires_grad=True)
    tb = tg.Tensor(rng.standard_normal(bb + (3, 2)), requires_grad=True)
    np.testing.assert_allclose((ta @ tb).numpy(), ta.numpy() @ tb.numpy())
    assert tg.gradcheck(lambda x, y: x @ y, [ta, tb])
