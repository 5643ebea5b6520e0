"""The graph and the backward pass: ordering, accumulation, memory, modes, scopes."""

import gc
import sys
import weakref

import numpy as np
import pytest
from conftest import host

import tinygrad_rnn as tg


def test_grad_accumulates_on_leaves_across_calls(device):
    x = tg.Tensor([1.0, 2.0], requires_grad=True, device=device)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(host(x.grad), [2 + 3, 4 + 3])
    assert x.grad.dtype == np.float32 and x.grad.device == device


def test_diamond_graph_sums_both_paths(device):
    x = tg.Tensor([0.5, -1.0], requires_grad=True, device=device)
    a = x.tanh()
    y = (a * a + a * 2).sum()  # a feeds three consumers
    y.backward()
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(host(x.grad), (2 * t + 2) * (1 - t**2), rtol=1e-6)


def test_leaf_grad_is_not_aliased_to_intermediate_arrays():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    w = tg.Tensor([3.0, 4.0], requires_grad=True)
    (x + w).sum().backward()  # add passes the same array to both inputs
    x.grad.data += 10
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])


def test_chain_of_20000_ops_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10000
    x = tg.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**20000], rtol=1e-3)


def test_order_is_topological_for_interleaved_branches():
    x = tg.Tensor(np.array([0.3]), requires_grad=True)
    h = x
    for _ in range(50):  # each step uses the previous two, so a careless order breaks it
        h = h.tanh() + h * 0.5
    assert tg.gradcheck(lambda t: _ladder(t, 50), [x])


def _ladder(x, n):
    h = x
    for _ in range(n):
        h = h.tanh() + h * 0.5
    return h


def test_dropped_graph_is_freed():
    x = tg.Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).tanh().sum()
    node = weakref.ref(y.creator)
    inner = weakref.ref(y.creator.parents[0])
    del y
    assert node() is None and inner() is None  # freed by reference counting, no cycle collector


def test_function_holds_outputs_weakly_in_the_drawing_mode():
    x = tg.Tensor(np.ones(3), requires_grad=True)
    with tg.keep_grads():
        y = x * 2
    f = y.creator
    assert f.outputs[0]() is y
    del y
    gc.collect()
    assert f.outputs[0]() is None and f.parents[0] is x


def test_retain_grad_and_intermediates_dropped_by_default():
    x = tg.Tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    g = h * h
    g.sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, -12.0])
    assert g.grad is None


def test_keep_grads_keeps_every_intermediate():
    x = tg.Tensor([1.0, -2.0], requires_grad=True)
    with tg.keep_grads():
        a = x.exp()
        b = a.sum()
        b.backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(b.grad.numpy(), 1.0)


def test_keep_grads_records_the_gradient_sent_along_each_edge():
    x = tg.Tensor([1.0, -2.0], requires_grad=True, dtype=np.float64)
    c = tg.Tensor([3.0, 4.0], dtype=np.float64)  # a constant: nothing flows to it
    y = x * c
    doubled = y * 2.0
    z = doubled.sum() + y.sum()  # y is read by two ops; each edge has its own gradient
    with tg.keep_grads():
        z.backward()
    np.testing.assert_allclose(doubled.creator.flows[0], 2 * np.sqrt(2.0))
    np.testing.assert_allclose(z.creator.parents[1].flows[0], np.sqrt(2.0))
    np.testing.assert_allclose(y.creator.totals, [np.sqrt(18.0)])  # y's whole gradient, [3, 3]: both edges summed
    np.testing.assert_allclose(y.creator.flows, [np.linalg.norm([9.0, 12.0]), 0.0])
    assert y.grad is None  # made outside the drawing mode: the node keeps norms, not the tensor


def test_detach_and_no_grad_cut_the_graph():
    x = tg.Tensor([1.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.creator is None and d.data is x.data
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad and z.creator.op == "mul"


def test_requires_grad_propagates_only_from_inputs_that_need_it():
    a = tg.Tensor([1.0])
    b = tg.Tensor([2.0], requires_grad=True)
    assert not (a * 2).requires_grad
    assert (a * b).requires_grad
    (a * b).sum().backward()
    assert a.grad is None and b.grad is not None


def test_unused_outputs_of_a_split_get_zero_gradient():
    x = tg.Tensor(np.arange(6.0), requires_grad=True)
    _, mid, _ = x.chunk(3)
    (mid * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 2, 2, 0, 0])


def test_backward_with_explicit_gradient_and_several_roots():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.backward(tg.Tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    x.grad = None
    tg.backward([x * 2, x.sum()], [np.ones(2, np.float32), None])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_retain_graph_allows_a_second_backward():
    x = tg.Tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0])


def test_backward_on_a_leaf():
    x = tg.Tensor([3.0], requires_grad=True)
    x.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


def test_default_dtypes_and_scalars_never_upcast():
    assert tg.Tensor(1.5).dtype == np.float32
    assert tg.Tensor([[1.0, 2.0]]).dtype == np.float32
    assert tg.Tensor([1, 2]).dtype == np.int64
    assert tg.Tensor([True]).dtype == np.bool_
    assert tg.Tensor(np.zeros(2)).dtype == np.float64  # NumPy arrays keep theirs
    assert tg.Tensor(np.zeros(2, np.float16)).dtype == np.float16
    x = tg.Tensor([1.0, 2.0])
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3.0, x**2, 1 - x, x * np.float64(2.0)):
        assert y.dtype == np.float32
    assert (x * tg.Tensor([1, 2])).dtype == np.float32  # integers adapt to the float tensor
    assert tg.Tensor([1.0], dtype=np.float64).dtype == np.float64


def test_scope_stamps_nested_names_on_nodes():
    x = tg.Tensor([1.0], requires_grad=True)
    with tg.scope("layer0"):
        with tg.scope("t3"):
            y = x * 2
            assert tg.current_scope() == ("layer0", "t3")
        z = y + 1
    w = z.tanh()
    assert y.creator.scope == ("layer0", "t3")
    assert z.creator.scope == ("layer0",)
    assert w.creator.scope == ()


def test_graph_carries_op_names_inputs_and_tensor_names():
    x = tg.Tensor([1.0], requires_grad=True, name="x")
    c = (x.sigmoid() * x).named("c")
    assert c.name == "c" and c.creator.op == "mul"
    assert c.creator.source(1) == (None, x)
    assert c.creator.source(0)[0].op == "sigmoid"
    assert "name='c'" in repr(c) and "op=mul" in repr(c)


def test_anomaly_mode_names_the_op_and_scope_in_forward():
    x = tg.Tensor([-1.0, 1.0], requires_grad=True)
    with tg.detect_anomaly(), tg.scope("t7"):
        with pytest.raises(FloatingPointError, match=r"log in scope t7 produced nan in its forward"):
            with np.errstate(invalid="ignore"):
                x.log()


def test_anomaly_mode_catches_a_backward_nan():
    x = tg.Tensor([0.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x.sqrt()  # forward is fine (0), backward divides by zero
        with pytest.raises(FloatingPointError, match=r"sqrt in scope \(top level\) produced inf in its backward"):
            with np.errstate(divide="ignore"):
                y.sum().backward()


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = tg.Tensor([-1e4, -100.0, 0.0, 100.0, 1e4], requires_grad=True)
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0, 0, 0.5, 1, 1], atol=1e-30)
    assert np.isfinite(x.grad.numpy()).all()


def test_log_softmax_is_stable_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = tg.Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
        y = x.log_softmax(1)
        y[0, 0].backward()
    np.testing.assert_allclose(y.numpy(), [[0, -1000, -2000]])
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0]], atol=1e-30)


def test_gradcheck_reports_a_wrong_backward():
    class BadSquare(tg.Function):
        op = "bad_square"

        def forward(self, x):
            self.saved = x
            return x * x

        def backward(self, gy):
            return gy * self.saved  # missing the factor 2

    x = tg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(tg.GradcheckError, match="output 0 with respect to input 0"):
        tg.gradcheck(lambda t: BadSquare()(t), [x])
    assert tg.gradcheck(lambda t: BadSquare()(t), [x], raise_exception=False) is False


def test_gradcheck_wants_float64():
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda t: t * 2, [tg.Tensor([1.0], requires_grad=True)])


def test_iterating_unbinds_the_first_axis():
    x = tg.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and rows[0].creator is rows[2].creator
    (rows[0] + rows[2] * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 1], [0, 0], [2, 2]])


def test_creation_functions_and_manual_seed(device):
    tg.manual_seed(123)
    a = tg.randn(2, 3, device=device)
    tg.manual_seed(123)
    b = tg.randn(2, 3, device=device)
    np.testing.assert_array_equal(host(a), host(b))
    assert a.dtype == np.float32 and a.device == device
    assert tg.zeros(2, 3, device=device).shape == (2, 3) and tg.zeros(2, 3).numel() == 6
    assert tg.ones((4,), dtype=np.float64, device=device).dtype == np.float64
    u = tg.rand(1000, device=device)
    assert 0 <= host(u).min() and host(u).max() < 1
    np.testing.assert_array_equal(host(tg.arange(5, device=device)), np.arange(5))
    assert tg.arange(0, 1, 0.25).dtype == np.float32
    like = tg.zeros_like(a)
    assert like.shape == a.shape and like.device == a.device
    assert tg.randn_like(a).shape == (2, 3) and tg.ones_like(a).dtype == np.float32
    assert tg.full((2,), 7.0).numpy().tolist() == [7.0, 7.0]
    assert tg.randn(3, requires_grad=True).requires_grad


def test_long_graph_pauses_full_collections_and_restores_them():
    before = gc.get_threshold()
    with tg.long_graph():
        with tg.long_graph():  # nested: the outermost block restores
            assert gc.get_threshold()[2] > 10**6 and gc.get_threshold()[:2] == before[:2]
        assert gc.get_threshold()[2] > 10**6
    assert gc.get_threshold() == before
    with pytest.raises(KeyError):
        with tg.long_graph():
            raise KeyError("inside")
    assert gc.get_threshold() == before


def test_no_grad_is_also_a_decorator_and_reentrant():
    x = tg.Tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def twice(depth):
        y = x * 2
        return [y.requires_grad] + (twice(depth - 1) if depth else [])

    assert twice(2) == [False, False, False]
    assert (x * 2).requires_grad


def test_an_optimizer_step_between_forward_and_backward_is_refused():
    net = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.Tanh(), tg.nn.Linear(4, 1))
    loss = net(tg.randn(5, 3)).sum()
    opt = tg.optim.SGD(net.parameters(), lr=0.1)
    for p in net.parameters():
        p.grad = tg.ones(*p.shape)
    opt.step()  # changes the second layer's weight, which the first layer's gradient goes through
    for p in net.parameters():
        p.grad = None
    with pytest.raises(RuntimeError, match=r"backward: a tensor addmm saved for its gradient was modified in place"):
        loss.backward()
    assert all(p.grad is None for p in net.parameters())  # nothing accumulated


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.add_(1.0),
        lambda t: t.mul_(2.0),
        lambda t: t.copy_(tg.ones(3)),
        lambda t: t.zero_(),
        lambda t: t.__setitem__(0, 5.0),
        lambda t: t.T.add_(1.0),  # through a view
        lambda t: t.detach().sub_(1.0),  # through a detached alias
    ],
)
def test_changes_in_place_through_the_api_are_caught(change):
    w = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()
    with tg.no_grad():
        change(w)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_changes_in_place_that_no_gradient_reads_are_allowed():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (w + 1.0).sum()  # add keeps nothing of w
    with tg.no_grad():
        w.add_(1.0)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])


def test_in_place_changes_are_refused_where_a_gradient_could_need_the_value():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: a leaf tensor that requires grad cannot be changed in place"):
        w.add_(1.0)
    y = w * 2
    with pytest.raises(RuntimeError, match=r"mul_: this tensor was made by mul"):
        y.mul_(3.0)
    with pytest.raises(ValueError, match=r"add_: a value of shape \(3,\) does not fit shape \(2,\)"):
        with tg.no_grad():
            w.add_(tg.ones(3))
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_tensors_copy_the_callers_array_and_from_numpy_shares_it():
    a = np.array([1.0, 2.0])
    t = tg.Tensor(a, device="cpu")
    a[0] = 9.0
    assert t.numpy()[0] == 1.0
    assert tg.tensor(a).numpy()[0] == 9.0 and tg.tensor(a, device="cpu").data is not a
    shared = tg.from_numpy(a)
    a[1] = 7.0
    assert shared.numpy()[1] == 7.0
    copied = np.array(t, copy=True)
    copied[0] = -1.0
    assert t.numpy()[0] == 1.0


def test_format_of_a_one_element_tensor():
    assert f"{tg.Tensor(2.0) / 3:.3f}" == "0.667"
    assert float(tg.Tensor([[1.5]])) == 1.5 and int(tg.Tensor(3)) == 3


def test_a_failed_backward_leaves_no_gradient_behind():
    x = tg.Tensor([0.0, 1.0], requires_grad=True)
    w = tg.Tensor([2.0, 3.0], requires_grad=True)
    y = (x.sqrt() * w).sum() + w.sum()  # w's gradient arrives before sqrt's backward divides by zero
    with tg.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(FloatingPointError, match="sqrt"):
            y.backward(retain_graph=True)
    assert x.grad is None and w.grad is None
    y2 = (x * w).sum()
    y2.backward()  # a later pass starts clean
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("alias", [lambda y: y.detach(), lambda y: y.T, lambda y: y[0], lambda y: y.reshape(4)])
def test_aliases_of_a_tensor_an_op_made_refuse_changes_in_place(alias):
    x = tg.Tensor([[0.5, -1.0], [2.0, 0.1]], requires_grad=True)
    y = x.sigmoid()  # sigmoid keeps y's data for its gradient
    with tg.no_grad():
        shared = alias(y)
        with pytest.raises(RuntimeError, match=r"shares its data with one an op made"):
            shared.add_(1.0)
    y.sum().backward()
    s = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s), rtol=1e-6)  # the gradient is still right
