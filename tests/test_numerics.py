"""Numerically delicate ops against PyTorch in float32 and float64: the tails of sigmoid and
log-sigmoid, log-sum-exp of -inf, x**0 at 0, ties in maximum/minimum, cutting an empty axis;
and no NumPy warnings where PyTorch gives IEEE values silently."""

import warnings

import numpy as np
import pytest

import tinygrad_rnn as tg

torch = pytest.importorskip("torch")

EDGES = np.array([-1e4, -200.0, -104.0, -90.0, -30.0, -15.0, -1e-8, 0.0, 1e-8, 15.0, 30.0, 90.0, 1e4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "log_sigmoid"])
def test_sigmoid_tails_to_full_precision(name, dtype):
    x = tg.Tensor(EDGES.astype(dtype), requires_grad=True)
    out = getattr(tg, name)(x)
    out.sum().backward()
    exact = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "log_sigmoid": lambda v: -np.logaddexp(0, -v)}[name]
    with np.errstate(over="ignore"):
        want = exact(EDGES.astype(np.float64))
    tiny = np.finfo(dtype).tiny  # below it, float32 keeps only a few digits (denormals)
    rel = np.abs(out.numpy() - want) / np.maximum(np.abs(want), tiny)
    assert (rel[np.abs(want) > tiny] < 4 * np.finfo(dtype).eps).all()
    assert np.isfinite(x.grad.numpy()).all()
    t = torch.tensor(EDGES.astype(dtype), requires_grad=True)
    ref = torch.sigmoid(t) if name == "sigmoid" else torch.nn.functional.logsigmoid(t)
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=np.finfo(dtype).tiny * 4)


def test_log_of_sigmoid_keeps_a_gradient_far_in_the_tail():
    x = tg.Tensor([-30.0], requires_grad=True)
    x.sigmoid().log().sum().backward()
    assert np.isfinite(x.grad.numpy()).all() and abs(x.grad.item() - 1.0) < 1e-6


def test_logsumexp_of_only_minus_infinity_is_minus_infinity():
    x = tg.Tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(x.logsumexp(1).numpy(), [-np.inf, 0.0])
    np.testing.assert_array_equal(x.softmax(1).numpy()[1], [1.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_zero_and_tensor_exponents_match_torch(dtype):
    base = np.array([0.0, 0.5, 2.0], dtype)
    exponent = np.array([0.0, 1.5, -1.0], dtype)
    for ours_p, theirs_p in ((0, 0), (exponent, exponent)):
        x = tg.Tensor(base, requires_grad=True)
        p = tg.Tensor(ours_p, requires_grad=True) if isinstance(ours_p, np.ndarray) else ours_p
        (x**p).sum().backward()
        t = torch.tensor(base, requires_grad=True)
        tp = torch.tensor(theirs_p, requires_grad=True) if isinstance(theirs_p, np.ndarray) else theirs_p
        (t**tp).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)
        if isinstance(p, tg.Tensor):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_split_the_gradient_as_torch(name):
    a, b = np.array([1.0, 2.0, 5.0]), np.array([1.0, 3.0, 4.0])
    x, y = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    getattr(tg, name)(x, y).sum().backward()
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    getattr(torch, name)(tx, ty).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


def test_max_and_min_with_dim_answer_as_torch():
    a = np.array([[1.0, 7.0, 3.0], [9.0, 2.0, 5.0]])
    got, want = tg.Tensor(a).max(dim=1), torch.tensor(a).max(dim=1)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
    got = tg.Tensor(a).min(dim=0, keepdim=True)
    assert got.indices.shape == (1, 3) and got.values.shape == (1, 3)
    assert tg.Tensor(a).max(1).shape == (2,)  # NumPy's spelling: values only


IEEE = [
    ("log of 0", lambda: tg.Tensor([0.0, 1.0]).log()),
    ("division by 0", lambda: tg.Tensor([1.0, 0.0, -1.0]) / tg.Tensor([0.0, 0.0, 0.0])),
    ("sqrt of -1", lambda: tg.Tensor([-1.0]).sqrt()),
    ("exp overflow", lambda: tg.Tensor([1e4], dtype=np.float32).exp()),
    ("0 ** -1", lambda: tg.Tensor([0.0]) ** -1),
    ("softmax of inf", lambda: tg.Tensor([np.inf, 1.0]).softmax()),
    ("logsumexp of -inf", lambda: tg.Tensor([-np.inf, -np.inf]).logsumexp()),
    ("log backward at 0", lambda: _backward(lambda x: x.log(), [0.0, 1.0])),
    ("sqrt backward at 0", lambda: _backward(lambda x: x.sqrt(), [0.0, 1.0])),
    ("sigmoid of ±inf", lambda: _backward(lambda x: x.sigmoid(), [-np.inf, np.inf])),
    ("sigmoid's e^-x overflows", lambda: tg.Tensor([-1e4, -100.0], dtype=np.float32).sigmoid()),
    ("tensor ** tensor", lambda: tg.Tensor([0.0, 0.0]) ** tg.Tensor([-1.0, -2.0])),
]


def _backward(fn, values):
    x = tg.Tensor(values, requires_grad=True)
    fn(x).sum().backward()
    return x.grad


@pytest.mark.parametrize("case", IEEE, ids=[c[0] for c in IEEE])
def test_no_numpy_warnings_where_ieee_defines_the_value(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        case[1]()


def test_the_callers_error_state_is_theirs_before_and_after_a_quiet_op():
    from tinygrad_rnn.backend import quietly

    with np.errstate(all="raise"):
        assert tg.Tensor([-1e4]).sigmoid().item() == 0.0
        assert tg.Tensor([0.0]).log().item() == -np.inf
        assert np.geterr()["over"] == "raise"
        with pytest.raises(FloatingPointError):
            np.exp(np.float32(1e4))
    assert quietly(np.geterr) == dict.fromkeys(("divide", "over", "under", "invalid"), "ignore")


@pytest.mark.parametrize("op", ["chunk", "split"])
def test_an_empty_axis_cuts_as_torch(op):
    x = tg.zeros(0, 3, requires_grad=True)
    pieces = x.chunk(3, 0) if op == "chunk" else x.split(2, 0)
    ref = torch.zeros(0, 3).chunk(3, 0) if op == "chunk" else torch.zeros(0, 3).split(2, 0)
    assert [p.shape for p in pieces] == [tuple(r.shape) for r in ref]
    sum(p.sum() for p in pieces).backward()
    assert x.grad.shape == (0, 3)
