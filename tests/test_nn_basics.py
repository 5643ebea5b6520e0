"""tinygrad_rnn.nn basics: Module bookkeeping, state dicts, dtype and mode switches, Linear,
Embedding, LayerNorm, Sequential, Dropout, initialisation and the losses (functions and modules).

Layers and losses are checked against torch.nn in float64 (forward and every gradient, to
1e-12) with the weights copied over through ``load_state_dict``; those tests skip, with the
reason, where torch is not installed.
"""

import math
from collections import OrderedDict

import numpy as np
import pytest
from conftest import host

import tinygrad_rnn as tg
from tinygrad_rnn import nn
from tinygrad_rnn.nn import functional as F

TOL = 1e-12


def need_torch():
    return pytest.importorskip("torch", reason="torch is the oracle for this check")


def close(actual, expected, tol=TOL):
    if hasattr(expected, "detach"):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(host(actual), expected, rtol=tol, atol=tol)


def from_torch(module, torch_module):
    """Copy torch's weights over: its state_dict() as NumPy arrays, loaded unchanged."""
    module.load_state_dict({k: v.numpy() for k, v in torch_module.state_dict().items()})
    return module


def leaf(array, device="cpu"):
    return tg.Tensor(np.array(array, dtype=np.float64), requires_grad=True, device=device)


def snapshot(module):
    return {k: (v.copy(), v.dtype) for k, v in module.state_dict().items()}


def assert_unchanged(module, before):
    after = module.state_dict()
    assert list(after) == list(before)
    for k, (array, dtype) in before.items():
        assert after[k].dtype == dtype, k
        np.testing.assert_array_equal(after[k], array)


class Net(nn.Module):
    """Parameters and a child assigned in a deliberately non-alphabetical order."""

    def __init__(self):
        super().__init__()
        self.zeta = nn.Parameter(np.zeros(2))
        self.alpha = nn.Parameter(np.ones(3))
        self.body = nn.Linear(3, 2)
        self.mid = nn.Parameter(np.full((1,), 2.0))

    def forward(self, x):
        return self.body(x * self.alpha) + self.zeta * self.mid


# -- layers against torch ---------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(device, bias):
    torch = need_torch()
    rng = np.random.default_rng(1)
    tm = torch.nn.Linear(4, 3, bias=bias).double()
    m = from_torch(nn.Linear(4, 3, bias=bias, dtype=np.float64, device=device), tm)
    xn, g = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    x, tx = leaf(xn, device), torch.tensor(xn, requires_grad=True)
    y, ty = m(x), tm(tx)
    close(y, ty)
    y.backward(g)
    ty.backward(torch.tensor(g))
    close(x.grad, tx.grad)
    close(m.weight.grad, tm.weight.grad)
    if bias:
        close(m.bias.grad, tm.bias.grad)
    else:
        assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]


@pytest.mark.parametrize(
    "indices",
    [np.array([[1, 3, 1], [0, 1, 4]]), np.array([2, 0, 2, 2]), np.array([3, 0, 1]), np.array(4)],
    ids=["2d_repeats", "1d_repeats", "1d_unique", "0d"],
)
@pytest.mark.parametrize("as_tensor", [True, False], ids=["tensor", "numpy"])
def test_embedding_matches_torch(device, indices, as_tensor):
    torch = need_torch()
    tm = torch.nn.Embedding(5, 3).double()
    m = from_torch(nn.Embedding(5, 3, dtype=np.float64, device=device), tm)
    g = np.random.default_rng(2).standard_normal(indices.shape + (3,))
    y = m(tg.Tensor(indices, device=device) if as_tensor else indices)
    ty = tm(torch.tensor(indices))
    close(y, ty)
    y.backward(g)
    ty.backward(torch.tensor(g))
    close(m.weight.grad, tm.weight.grad)  # a repeated row gets the sum of its gradients


def test_sequential_matches_torch(device):
    torch = need_torch()
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3), torch.nn.Sigmoid()).double()
    m = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.Sigmoid()).double().to(device)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    from_torch(m, tm)
    xn = np.random.default_rng(3).standard_normal((6, 4))
    x, tx = leaf(xn, device), torch.tensor(xn, requires_grad=True)
    loss, tloss = (m(x) ** 2).sum(), (tm(tx) ** 2).sum()
    close(loss, tloss)
    loss.backward()
    tloss.backward()
    close(x.grad, tx.grad)
    torch_params = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        close(p.grad, torch_params[name].grad)


def test_repr_matches_torch():
    torch = need_torch()
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1, bias=False), nn.Sigmoid()))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 3),
        torch.nn.ReLU(),
        torch.nn.Sequential(torch.nn.Linear(3, 1, bias=False), torch.nn.Sigmoid()),
    )
    assert repr(ours) == repr(theirs)
    assert repr(nn.Embedding(5, 2)) == repr(torch.nn.Embedding(5, 2)) == "Embedding(5, 2)"


@pytest.mark.parametrize(
    "shape, normalized, affine, bias",
    [
        ((2, 3, 4), (4,), True, True),
        ((2, 3, 4), (3, 4), True, False),
        ((5, 4), 4, False, True),
        ((3,), [3], True, True),
    ],
    ids=["last-axis", "two-axes-no-bias", "no-affine", "one-vector"],
)
def test_layer_norm_matches_torch(device, shape, normalized, affine, bias):
    torch = need_torch()
    torch.manual_seed(0)
    tm = torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        for p in tm.parameters():
            p.normal_()  # not the ones and zeros they start as, so that a swap would show
    m = nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias, dtype=np.float64, device=device)
    assert list(m.state_dict()) == list(tm.state_dict()) and repr(m) == repr(tm)
    from_torch(m, tm)
    rng = np.random.default_rng(11)
    xn, g = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
    xn.reshape(-1, xn.shape[-1])[0] = 2.5  # a constant slice: variance 0, only eps keeps it finite
    x, tx = leaf(xn, device), torch.tensor(xn, requires_grad=True)
    y, ty = m(x), tm(tx)
    close(y, ty)
    y.backward(g)
    ty.backward(torch.tensor(g))
    close(x.grad, tx.grad, tol=1e-10)  # the constant slice's gradient is large (1/√eps)
    torch_params = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        close(p.grad, torch_params[name].grad)


def test_layer_norm_defaults_match_torch():
    torch = need_torch()
    m, tm = nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))
    assert repr(m) == repr(tm) and m.weight.dtype == np.float32 and m.eps == tm.eps
    for name, value in m.state_dict().items():
        np.testing.assert_array_equal(value, tm.state_dict()[name].numpy())


# -- module bookkeeping ---------------------------------------------------------------------


def test_named_parameters_follow_assignment_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["zeta", "alpha", "mid", "body.weight", "body.bias"]
    assert names == [n for n, _ in Net().named_parameters()] == list(Net().state_dict())
    assert [n for n, _ in Net().named_parameters(recurse=False)] == ["zeta", "alpha", "mid"]


def test_nested_names_children_and_modules():
    inner = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    m = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), inner)
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert [type(c).__name__ for c in m.children()] == ["Linear", "Tanh", "Sequential"]
    assert [n for n, _ in m.named_modules()] == ["", "0", "1", "2", "2.0", "2.1"]
    assert list(m.modules())[3] is inner and m[2] is inner and m[-1][0] is inner[0] and len(m) == 3
    assert [n for n, _ in m[1:].named_children()] == ["1", "2"]  # a slice keeps torch's names


def test_reassignment_replaces_in_place():
    m = Net()
    old, new = m.alpha, nn.Parameter(np.zeros(3))
    m.alpha = new
    params = dict(m.named_parameters())
    assert params["alpha"] is new and all(p is not old for p in m.parameters())
    assert list(params) == ["zeta", "alpha", "mid", "body.weight", "body.bias"]  # kept its place
    body = nn.Linear(3, 2)
    m.body = body
    assert list(m.children())[0] is body and m.body.weight is dict(m.named_parameters())["body.weight"]


def test_assigning_a_plain_value_to_a_parameter_name_raises():
    m = Net()
    before = snapshot(m)
    with pytest.raises(TypeError, match=r"Net: cannot assign a Tensor to parameter 'alpha'"):
        m.alpha = tg.ones(3, dtype=np.float64)
    with pytest.raises(TypeError, match=r"cannot assign a int to submodule 'body'"):
        m.body = 3
    assert isinstance(m.alpha, nn.Parameter)
    assert_unchanged(m, before)
    m.mid = None  # None keeps the slot, like a disabled bias
    assert m.mid is None and "mid" not in m.state_dict()


def test_deleting_an_attribute_unregisters():
    m = Net()
    del m.alpha
    del m.body
    assert [n for n, _ in m.named_parameters()] == ["zeta", "mid"]
    assert list(m.children()) == [] and not hasattr(m, "alpha")
    m.alpha = tg.ones(2)  # now a plain attribute, no longer a parameter
    assert [n for n, _ in m.named_parameters()] == ["zeta", "mid"]


def test_shared_parameters_and_modules_are_listed_once():
    m = Net()
    m.tied = m.alpha
    assert [n for n, _ in m.named_parameters()] == ["zeta", "alpha", "mid", "body.weight", "body.bias"]
    assert len(list(m.parameters())) == 5
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.Tanh(), lin)
    assert len(list(seq.parameters())) == 2 and len(list(seq.modules())) == 3
    # as torch, the state dict names both; loading it back works
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    seq.load_state_dict(seq.state_dict())


def test_module_needs_super_init():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match=r"Bad: call super\(\).__init__\(\) before assigning 'w'"):
        Bad()


def test_repr_text():
    m = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.25), nn.Sequential(nn.Embedding(5, 2), nn.Tanh()))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Dropout(p=0.25)\n"
        "  (2): Sequential(\n"
        "    (0): Embedding(5, 2)\n"
        "    (1): Tanh()\n"
        "  )\n"
        ")"
    )
    assert repr(nn.Linear(4, 1, bias=False)) == "Linear(in_features=4, out_features=1, bias=False)"
    assert repr(nn.Sequential()) == "Sequential()"

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = nn.Tanh()

        def extra_repr(self):
            return "hidden=4"

    assert repr(WithExtra()) == "WithExtra(\n  hidden=4\n  (cell): Tanh()\n)"
    assert repr(nn.Parameter(np.array([1.0, 2.0]), device="cpu")).startswith(
        "Parameter containing:\ntensor([1., 2.], dtype=float64"
    )


# -- state dicts ----------------------------------------------------------------------------


def test_state_dict_round_trip():
    src = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    sd = src.state_dict()
    assert isinstance(sd, OrderedDict) and all(type(v) is np.ndarray for v in sd.values())
    sd["0.weight"][...] = 7.0  # the arrays are copies: editing them leaves the module alone
    assert not np.any(host(src[0].weight) == 7.0)
    sd = src.state_dict()
    tg.manual_seed(123)
    dst = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ids = [id(p) for p in dst.parameters()]
    assert not np.array_equal(host(dst[0].weight), sd["0.weight"])
    assert dst.load_state_dict(sd) == ([], [])
    assert [id(p) for p in dst.parameters()] == ids
    for k, v in dst.state_dict().items():
        np.testing.assert_array_equal(v, sd[k])
    sd["0.bias"][...] = 5.0  # nor is the loaded module tied to the arrays it was given
    assert not np.any(host(dst[0].bias) == 5.0)
    x = tg.randn(5, 3)
    np.testing.assert_array_equal(host(dst(x)), host(src(x)))


def test_loading_float64_arrays_makes_a_float64_module():
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    m(tg.randn(4, 3)).sum().backward()
    sd = {k: v.astype(np.float64) + 0.5 for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    for name, p in m.named_parameters():
        assert p.dtype == np.float64 and p.grad.dtype == np.float64, name
        np.testing.assert_array_equal(host(p), sd[name])
    x = tg.Tensor(np.ones((4, 3)))
    assert m(x).dtype == np.float64
    with pytest.raises(TypeError, match=r"Linear: input dtype float32 differs from the weight's float64"):
        m(tg.ones(4, 3))


def test_bad_state_dict_names_every_problem_and_changes_nothing():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = snapshot(m)
    sd = m.state_dict()
    sd["0.bias"] = np.full(3, 9.0)  # valid, and must not be loaded when anything else is wrong
    sd["0.weight"] = np.zeros((2, 3))  # transposed
    del sd["1.bias"]
    sd["2.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    message = str(info.value)
    assert message.startswith("load_state_dict: Sequential cannot load this state dict:")
    assert "wrong shape for 0.weight: expected (3, 2), got (2, 3)" in message
    assert "missing keys: ['1.bias']" in message
    assert "unexpected keys: ['2.weight']" in message
    assert_unchanged(m, before)
    with pytest.raises(RuntimeError, match=r"wrong dtype for 1.bias: expected a floating-point array, got int64"):
        m.load_state_dict({**m.state_dict(), "1.bias": np.array([1])})
    assert_unchanged(m, before)


def test_non_strict_load_reports_keys_but_still_checks_shapes():
    m = nn.Linear(2, 3)
    result = m.load_state_dict({"weight": np.ones((3, 2), np.float32), "extra": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(host(m.weight), np.ones((3, 2)))
    with pytest.raises(RuntimeError, match=r"wrong shape for weight"):
        m.load_state_dict({"weight": np.ones((2, 2))}, strict=False)


# -- dtype, device, mode, gradients ----------------------------------------------------------


@pytest.mark.parametrize(
    "convert, dtype",
    [
        (lambda m: m.double(), np.float64),
        (lambda m: m.to(np.float64), np.float64),
        (lambda m: m.to("float64"), np.float64),
        (lambda m: m.double().float(), np.float32),
    ],
    ids=["double", "to_np_float64", "to_string", "double_then_float"],
)
def test_dtype_switch_keeps_parameter_identity_and_converts_grads(convert, dtype):
    m = nn.Sequential(nn.Linear(3, 2), nn.Embedding(4, 2))
    m[0](tg.randn(2, 3)).sum().backward()
    params = list(m.parameters())
    grad_values = [None if p.grad is None else host(p.grad).copy() for p in params]
    assert convert(m) is m
    assert all(a is b for a, b in zip(m.parameters(), params))
    for p, g in zip(params, grad_values):
        assert p.dtype == dtype
        if g is None:
            assert p.grad is None
        else:
            assert p.grad.dtype == dtype
            np.testing.assert_allclose(host(p.grad), g, rtol=1e-6)
    m[0](tg.Tensor(np.ones((2, 3), dtype))).sum().backward()  # and it still trains in that dtype
    assert m[0].weight.grad.dtype == dtype


def test_to_rejects_non_float_dtypes_before_changing_anything():
    m = nn.Linear(2, 2)
    before = snapshot(m)
    with pytest.raises(TypeError, match=r"Linear.to: parameters must stay floating-point, got dtype int64"):
        m.to(np.int64)
    assert_unchanged(m, before)


def test_to_device_keeps_identity(device):
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    m(tg.randn(1, 3)).sum().backward()
    params = list(m.parameters())
    expected = [host(p).copy() for p in params]
    assert m.to(device) is m
    for p, e in zip(m.parameters(), params):
        assert p is e and p.device == device and p.grad.device == device
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(host(p), e)
    assert m(tg.randn(4, 3, device=device)).device == device


def test_train_and_eval_are_recursive():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.Tanh()))
    assert all(sub.training for sub in m.modules())
    assert m.eval() is m and not any(sub.training for sub in m.modules())
    assert m.train() is m and all(sub.training for sub in m.modules())
    m[1].eval()
    assert [sub.training for sub in m.modules()] == [True, True, False, False, False]
    with pytest.raises(ValueError, match="train: mode must be True or False"):
        m.train("no")


def test_zero_grad():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    m(tg.randn(4, 3)).sum().backward()
    grads = [p.grad for p in m.parameters()]
    assert all(g is not None and np.any(host(g) != 0) for g in grads)
    m.zero_grad(set_to_none=False)
    assert all(p.grad is g and not np.any(host(g)) for p, g in zip(m.parameters(), grads))
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_off_freezes_parameters():
    m = nn.Linear(3, 2)
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert not m(tg.randn(1, 3)).requires_grad


# -- layer input errors ---------------------------------------------------------------------


def test_layer_input_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear: expected input of shape \(\.\.\., 4\), got \(2, 5\)"):
        nn.Linear(4, 3)(tg.ones(2, 5))
    with pytest.raises(TypeError, match=r"Linear: input dtype float64 differs from the weight's float32"):
        nn.Linear(4, 3)(tg.Tensor(np.ones((2, 4))))
    emb = nn.Embedding(5, 2)
    with pytest.raises(TypeError, match=r"Embedding: indices must be integers, got dtype float32 \(shape \(2,\)\)"):
        emb(tg.Tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"Embedding: index 5 is outside \[0, 5\) \(indices of shape \(2, 2\)\)"):
        emb(np.array([[0, 1], [5, 2]]))
    with pytest.raises(IndexError, match=r"Embedding: index -1 is outside \[0, 5\)"):
        emb([0, -1])


# -- functional losses against torch ----------------------------------------------------------


REDUCTIONS = ["mean", "sum", "none"]


def check_loss(ours, theirs, x, *args, **kwargs):
    """Forward and input gradient of a loss (any reduction) against torch, in float64."""
    torch = need_torch()
    xt, tx = leaf(x), torch.tensor(x, requires_grad=True)
    targs = [torch.tensor(a) for a in args]
    y, ty = ours(xt, *args, **kwargs), theirs(tx, *targs, **kwargs)
    assert y.shape == tuple(ty.shape)
    close(y, ty)
    g = np.random.default_rng(4).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    close(xt.grad, tx.grad)
    assert np.all(np.isfinite(host(y))) and np.all(np.isfinite(host(xt.grad)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(reduction):
    torch = need_torch()
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_loss(F.mse_loss, torch.nn.functional.mse_loss, x, y, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "logits, target",
    [
        (np.random.default_rng(6).standard_normal((5, 4)) * 3, np.array([3, 0, 3, 1, 2])),
        (np.random.default_rng(7).standard_normal(4), np.array(2)),
        (np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [0.0, 0.0, 0.0]]), np.array([1, 2, 0])),
    ],
    ids=["2d", "1d", "huge_logits"],
)
def test_cross_entropy_matches_torch(logits, target, reduction):
    torch = need_torch()
    check_loss(F.cross_entropy, torch.nn.functional.cross_entropy, logits, target, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_matches_torch(reduction):
    torch = need_torch()
    x = np.array([[0.0, 1.5, -2.0, 1e4], [-1e4, 1e4, -1e4, 0.3]])  # 0 exactly: no kink in the slope
    y = np.array([[1.0, 0.0, 0.25, 0.0], [1.0, 1.0, 0.0, 0.5]])
    check_loss(
        F.binary_cross_entropy_with_logits,
        torch.nn.functional.binary_cross_entropy_with_logits,
        x,
        y,
        reduction=reduction,
    )


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_and_log_softmax_match_torch(dim):
    torch = need_torch()
    x = np.random.default_rng(8).standard_normal((3, 4)) * 5
    x[0, 0] = 1e4
    check_loss(lambda t: F.softmax(t, dim=dim), lambda t: torch.softmax(t, dim=dim), x)
    check_loss(lambda t: F.log_softmax(t, dim), lambda t: torch.log_softmax(t, dim), x)


def test_loss_errors():
    x = tg.ones(2, 3)
    with pytest.raises(ValueError, match=r"^mse_loss: input shape \(2, 3\) and target shape \(3, 2\) differ"):
        F.mse_loss(x, tg.ones(3, 2))
    with pytest.raises(TypeError, match=r"^mse_loss: input dtype float32 and target dtype float64 differ"):
        F.mse_loss(x, np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"^cross_entropy: target must hold integer class indices, got dtype float32"):
        F.cross_entropy(x, tg.Tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"^cross_entropy: target class 3 is outside \[0, 3\)"):
        F.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(IndexError, match=r"^cross_entropy: target class -1 is outside \[0, 3\)"):
        F.cross_entropy(x, [-1, 0])
    with pytest.raises(
        ValueError, match=r"^cross_entropy: expected input \(N, C\) with target \(N,\).*\(2, 3\).*\(3,\)"
    ):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(TypeError, match=r"^cross_entropy: input must be a floating-point Tensor, got dtype int64"):
        F.cross_entropy(tg.Tensor([[1, 2]]), [0])
    with pytest.raises(ValueError, match=r"^binary_cross_entropy_with_logits: input shape \(2, 3\) and target shape"):
        F.binary_cross_entropy_with_logits(x, tg.ones(3))
    for loss, target in [
        (F.mse_loss, tg.ones(2, 3)),
        (F.cross_entropy, [0, 1]),
        (F.binary_cross_entropy_with_logits, tg.ones(2, 3)),
    ]:
        with pytest.raises(
            ValueError, match=rf"^{loss.__name__}: reduction must be 'mean', 'sum' or 'none', got 'avg'"
        ):
            loss(x, target, reduction="avg")


def test_loss_targets_from_python_data_take_the_input_dtype():
    x = leaf([[0.5, -1.0]])
    loss = F.mse_loss(x, [[1.0, 1.0]], reduction="sum")
    assert loss.dtype == np.float64 and loss.item() == pytest.approx(0.25 + 4.0, abs=TOL)
    assert F.binary_cross_entropy_with_logits(x, np.array([[1, 0]])).dtype == np.float64


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_matches_torch(reduction):
    torch = need_torch()
    rng = np.random.default_rng(12)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    y[0, :2] = x[0, :2]  # equal entries: the slope there is 0, as torch's
    check_loss(F.l1_loss, torch.nn.functional.l1_loss, x, y, reduction=reduction)


_rng = np.random.default_rng(13)
CLASS_CASES = {
    "ignored": (_rng.standard_normal((6, 4)), np.array([3, -100, 0, 1, -100, 2]), {}),
    "own-ignore-index": (_rng.standard_normal((6, 4)), np.array([3, 1, 0, 1, 1, 2]), {"ignore_index": 1}),
    "k-dim": (_rng.standard_normal((2, 4, 3, 5)), _rng.integers(0, 4, (2, 3, 5)), {}),
    "k-dim-ignored": (_rng.standard_normal((2, 4, 3)), np.array([[0, -100, 3], [-100, -100, 1]]), {}),
    "1d": (_rng.standard_normal(5), np.array(4), {}),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("case", list(CLASS_CASES))
def test_cross_entropy_options_match_torch(case, smoothing, reduction):
    torch = need_torch()
    x, target, options = CLASS_CASES[case]
    kwargs = dict(reduction=reduction, label_smoothing=smoothing, **options)
    check_loss(F.cross_entropy, torch.nn.functional.cross_entropy, x, target, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CLASS_CASES))
def test_nll_loss_matches_torch(case, reduction):
    torch = need_torch()
    x, target, options = CLASS_CASES[case]
    check_loss(F.nll_loss, torch.nn.functional.nll_loss, x, target, reduction=reduction, **options)


def _with_constants(loss, **constants):
    """``loss`` called with ``constants`` (NumPy arrays) given as tensors of its own kind:
    ours take them as they are, torch's as torch tensors."""

    def ours(x, *args, **kwargs):
        return loss(x, *args, **{k: tg.Tensor(v, device=x.device) for k, v in constants.items()}, **kwargs)

    def theirs(x, *args, **kwargs):
        torch = need_torch()
        return getattr(torch.nn.functional, loss.__name__)(
            x, *args, **{k: torch.tensor(v) for k, v in constants.items()}, **kwargs
        )

    return ours, theirs


CLASS_WEIGHTS = np.array([0.5, 2.0, 1.0, 3.0, 0.25])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("case", list(CLASS_CASES))
def test_class_weights_match_torch(case, smoothing, reduction):
    x, target, options = CLASS_CASES[case]
    weights = CLASS_WEIGHTS[: x.shape[0] if x.ndim == 1 else x.shape[1]]
    ours, theirs = _with_constants(F.cross_entropy, weight=weights)
    check_loss(ours, theirs, x, target, reduction=reduction, label_smoothing=smoothing, **options)
    if not smoothing:
        ours, theirs = _with_constants(F.nll_loss, weight=weights)
        check_loss(ours, theirs, x, target, reduction=reduction, **options)


def test_class_weights_may_be_a_list_and_zero_weights_leave_a_class_out():
    x = tg.Tensor(np.random.default_rng(20).standard_normal((4, 3)))
    target = [0, 1, 2, 1]
    weighted = F.cross_entropy(x, target, [1.0, 0.0, 1.0])
    kept = F.cross_entropy(x[tg.Tensor([0, 2])], [0, 2])
    np.testing.assert_allclose(host(weighted), host(kept), rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [np.array([0.5, 2.0, 0.0, 1.5]), np.random.default_rng(21).uniform(0, 2, (2, 4))])
def test_binary_losses_take_torchs_weight_and_pos_weight(weight, reduction):
    rng = np.random.default_rng(22)
    x, y = rng.standard_normal((2, 4)) * 3, rng.uniform(0, 1, (2, 4))
    ours, theirs = _with_constants(F.binary_cross_entropy, weight=weight)
    check_loss(ours, theirs, 1 / (1 + np.exp(-x)), y, reduction=reduction)
    for constants in (
        dict(weight=weight),
        dict(pos_weight=np.array([3.0, 0.5, 1.0, 0.0])),
        dict(weight=weight, pos_weight=np.array([2.0])),
    ):
        ours, theirs = _with_constants(F.binary_cross_entropy_with_logits, **constants)
        check_loss(ours, theirs, x, y, reduction=reduction)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("x, target", [(np.ones((2, 3)), np.array([-100, -100])), (np.ones((0, 3)), np.zeros(0, int))])
def test_class_losses_over_no_targets_are_torchs_nan_with_zero_gradient(loss, x, target):
    torch = need_torch()
    for reduction in REDUCTIONS:
        xt, tx = leaf(x), torch.tensor(x, requires_grad=True)
        y = getattr(F, loss)(xt, target, reduction=reduction)
        ty = getattr(torch.nn.functional, loss)(tx, torch.tensor(target), reduction=reduction)
        np.testing.assert_array_equal(host(y), ty.detach().numpy())  # NaN for "mean"
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_array_equal(host(xt.grad), tx.grad.numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction):
    torch = need_torch()
    x = np.array([[0.0, 1.0, 1e-10, 1 - 1e-10], [0.3, 0.5, 0.999, 1e-300]])  # 0 and 1: torch's clamp and bound
    y = np.array([[0.5, 1.0, 0.0, 0.25], [0.2, 0.5, 1.0, 1.0]])
    check_loss(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, x, y, reduction=reduction)


def test_binary_cross_entropy_target_gradient(device):
    x = tg.Tensor(np.array([0.2, 0.5, 0.9]), device=device)
    y = leaf([0.1, 0.5, 0.7], device)
    assert tg.gradcheck(lambda t: F.binary_cross_entropy(x, t, reduction="sum"), [y])
    assert tg.gradcheck(lambda t: F.binary_cross_entropy(t, y.detach()), [leaf([0.2, 0.5, 0.9], device)])


@pytest.mark.parametrize(
    "loss", [F.cross_entropy, F.nll_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits]
)
def test_a_weight_on_another_device_is_refused(loss, device):
    if device == "cpu":
        pytest.skip("needs a second device")
    x = tg.Tensor(np.full((2, 3), 0.5), device=device)
    target = np.array([0, 1]) if loss in (F.cross_entropy, F.nll_loss) else np.full((2, 3), 0.5)
    with pytest.raises(RuntimeError, match=rf"^{loss.__name__}: input is on 'cuda' but weight on 'cpu'"):
        loss(x, tg.Tensor(target, device=device), tg.ones(3, dtype="float64", device="cpu"))


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.binary_cross_entropy, F.cross_entropy, F.nll_loss])
def test_a_target_on_another_device_is_refused(loss, device):
    if device == "cpu":
        pytest.skip("needs a second device")
    x = tg.Tensor(np.full((2, 3), 0.5), device=device)
    target = tg.Tensor(
        np.array([0, 1]) if loss in (F.cross_entropy, F.nll_loss) else np.full((2, 3), 0.5), device="cpu"
    )
    with pytest.raises(RuntimeError, match=rf"^{loss.__name__}: input is on 'cuda' but target on 'cpu'"):
        loss(x, target)


def _class_logits():
    return np.random.default_rng(14).standard_normal((4, 3))


LOSS_MODULES = {
    "MSELoss": (lambda: np.random.default_rng(15).standard_normal((4, 3)), {}),
    "L1Loss": (lambda: np.random.default_rng(16).standard_normal((4, 3)), {}),
    "CrossEntropyLoss": (lambda: np.array([2, -1, 0, 1]), {"ignore_index": -1, "label_smoothing": 0.2}),
    "NLLLoss": (lambda: np.array([2, 1, 0, 1]), {"ignore_index": 1}),
    "BCELoss": (lambda: np.random.default_rng(17).uniform(0, 1, (4, 3)), {}),
    "BCEWithLogitsLoss": (lambda: np.random.default_rng(18).uniform(0, 1, (4, 3)), {}),
}


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"])
def test_loss_modules_take_weight_first_as_torch(name):
    torch = need_torch()
    target, options = LOSS_MODULES[name]
    weight = np.array([2.0, 0.5, 1.0])
    extra = {"pos_weight": np.array([1.5, 1.0, 0.25])} if name == "BCEWithLogitsLoss" else {}
    ours = getattr(nn, name)(
        tg.Tensor(weight, device="cpu"), **options, **{k: tg.Tensor(v, device="cpu") for k, v in extra.items()}
    )  # check_loss computes on the CPU
    theirs = getattr(torch.nn, name)(torch.tensor(weight), **options, **{k: torch.tensor(v) for k, v in extra.items()})
    x = _class_logits()
    if name == "BCELoss":
        x = 1 / (1 + np.exp(-x))
    check_loss(ours, theirs, x, target())
    with pytest.raises(TypeError, match="positional"):
        getattr(nn, name)(None, "mean")  # torch's second positional argument is the obsolete size_average


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(LOSS_MODULES))
def test_loss_modules_match_torch(name, reduction):
    torch = need_torch()
    target, options = LOSS_MODULES[name]
    ours, theirs = (
        getattr(nn, name)(reduction=reduction, **options),
        getattr(torch.nn, name)(reduction=reduction, **options),
    )
    assert repr(ours) == repr(theirs) == f"{name}()"
    x = _class_logits()
    if name == "BCELoss":
        x = 1 / (1 + np.exp(-x))
    check_loss(ours, theirs, x, target())


# -- dropout ----------------------------------------------------------------------------------


def test_dropout_eval_is_identity(device):
    m = nn.Dropout(0.5).eval()
    x = tg.randn(4, 5, dtype=np.float64, device=device, requires_grad=True)
    y = m(x)
    np.testing.assert_array_equal(host(y), host(x))
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), np.ones((4, 5)))
    np.testing.assert_array_equal(host(F.dropout(x, 0.0)), host(x))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_training_zeros_p_and_scales_survivors(device, p):
    n = 100_000
    xn = np.random.default_rng(9).uniform(0.5, 1.5, (200, n // 200))  # never 0, so zeros come from the mask
    x = tg.Tensor(xn, requires_grad=True, device=device)
    y = nn.Dropout(p)(x)
    out = host(y)
    dropped = out == 0
    assert abs(dropped.mean() - p) < 6 * np.sqrt(p * (1 - p) / n)  # about 6 standard deviations
    np.testing.assert_allclose(out[~dropped], xn[~dropped] / (1 - p), rtol=TOL)
    g = np.random.default_rng(10).standard_normal(xn.shape)
    y.backward(g)
    np.testing.assert_allclose(host(x.grad), g * (~dropped) / (1 - p), rtol=TOL)  # the gradient is the mask


def test_dropout_is_reproducible_with_manual_seed():
    x = tg.ones(50, 50)
    tg.manual_seed(11)
    a = host(F.dropout(x, 0.5))
    tg.manual_seed(11)
    b = host(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, host(F.dropout(x, 0.5)))


def test_dropout_of_one_gives_zeros_as_torch(device):
    torch = need_torch()
    xn = np.array([[1.5, -2.0], [np.nan, 0.25]])
    x = tg.Tensor(xn, requires_grad=True, device=device)
    y = nn.Dropout(1.0)(x)
    expected = torch.nn.functional.dropout(torch.tensor(xn), p=1.0).numpy()  # x · 0: NaN stays NaN
    np.testing.assert_array_equal(host(y), expected)
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), np.zeros((2, 2)))
    assert repr(nn.Dropout(1.0)) == "Dropout(p=1.0)"
    np.testing.assert_array_equal(host(nn.Dropout(1.0).eval()(x)), xn)


# -- initialisation -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_init_range(dtype):
    m = nn.Linear(100, 64, dtype=dtype)
    bound = dtype(1 / np.sqrt(100))
    for p in (host(m.weight), host(m.bias)):
        assert p.dtype == dtype
        assert np.all(np.abs(p) <= bound)
        assert p.max() > 0.9 * bound and p.min() < -0.9 * bound  # and the range is used
    w = host(m.weight)
    assert abs(w.mean()) < 0.01 and abs(w.var() - bound**2 / 3) < 0.1 * bound**2 / 3  # U(-b, b): var = b²/3


def test_embedding_init_is_standard_normal():
    w = host(nn.Embedding(1000, 20).weight)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02


def test_manual_seed_makes_initialisation_reproducible():
    def build():
        return nn.Sequential(nn.Linear(3, 4), nn.Embedding(6, 2))

    tg.manual_seed(42)
    a = build().state_dict()
    tg.manual_seed(42)
    b = build().state_dict()
    tg.manual_seed(43)
    c = build().state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        assert not np.array_equal(a[k], c[k])


def test_float32_and_float64_modules_start_from_the_same_draws():
    tg.manual_seed(5)
    a = nn.Sequential(nn.Linear(6, 4), nn.Embedding(3, 2))
    tg.manual_seed(5)
    b = nn.Sequential(nn.Linear(6, 4, dtype=np.float64), nn.Embedding(3, 2, dtype=np.float64))
    for k, v in b.state_dict().items():
        assert v.dtype == np.float64
        np.testing.assert_array_equal(a.state_dict()[k], v.astype(np.float32))


def test_init_functions_fill_in_place_and_check_arguments():
    p = nn.Parameter(np.zeros((50, 40)))
    assert nn.init.uniform_(p, -2.0, 3.0) is p
    v = host(p)
    assert v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.1 and abs(v.var() - 25 / 12) < 0.2
    assert nn.init.normal_(p, 1.0, 0.5) is p and abs(host(p).mean() - 1) < 0.05 and abs(host(p).std() - 0.5) < 0.05
    for fill, value in [(lambda t: nn.init.constant_(t, 1.5), 1.5), (nn.init.zeros_, 0.0), (nn.init.ones_, 1.0)]:
        assert fill(p) is p and np.all(host(p) == value)
    with pytest.raises(ValueError, match=r"uniform_: expected a <= b, got a=1.0, b=0.0"):
        nn.init.uniform_(p, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"normal_: std must be >= 0, got -1"):
        nn.init.normal_(p, 0.0, -1)
    assert np.all(host(p) == 1.0)  # a rejected fill leaves the values alone


def test_fans_match_torch():
    torch = need_torch()
    for shape in [(3, 4), (8, 3, 5), (2, 3, 4, 5), (1, 1), (7, 1, 2)]:
        expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert nn.init._calculate_fan_in_and_fan_out(tg.zeros(*shape)) == expected, shape


def test_calculate_gain_matches_torch():
    torch = need_torch()
    for nonlinearity in ["linear", "conv1d", "conv_transpose3d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]:
        assert nn.init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity), nonlinearity
    for slope in [0, 0.2, 1, 3.5]:
        assert nn.init.calculate_gain("leaky_relu", slope) == torch.nn.init.calculate_gain("leaky_relu", slope)


RANDOM_INITS = [
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {"gain": 0.5}),
    ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {"a": 0.2}),
]


@pytest.mark.parametrize("name, kwargs", RANDOM_INITS, ids=[f"{n}{k}" for n, k in RANDOM_INITS])
def test_random_inits_draw_torchs_distribution(name, kwargs, device):
    """The spread (uniform: the bound; normal: the std) of ours and of torch's own samples agree."""
    torch = need_torch()
    torch.manual_seed(0)
    shape = (300, 100, 4)  # fan_in 400, fan_out 1200: the modes differ
    ours = host(getattr(nn.init, name)(tg.zeros(*shape, dtype=np.float64, device=device), **kwargs))
    theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
    if "uniform" in name:
        bound = np.abs(theirs).max()
        assert np.abs(ours).max() <= bound / 0.9999 and np.abs(ours).max() > 0.9999 * bound
    assert abs(ours.std() / theirs.std() - 1) < 0.02 and abs(ours.mean()) < 0.01 * theirs.std()


def _needs_qr(device):
    if not hasattr(tg.get_device(device).xp.linalg, "qr"):
        pytest.skip("this array module has no linalg.qr (the CuPy stand-in lacks it; CuPy has it)")


@pytest.mark.parametrize("shape, gain", [((5, 3), 1.0), ((3, 5), 2.0), ((4, 2, 3), 0.5), ((4, 4), 1.0)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape, gain, device):
    _needs_qr(device)
    tg.manual_seed(3)
    w = nn.init.orthogonal_(tg.zeros(*shape, dtype=np.float64, device=device), gain=gain)
    m = host(w).reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-12)
    # the same draw factored by hand: Q with the signs that make R's diagonal positive
    tg.manual_seed(3)
    a = host(tg.get_device(device).rng.standard_normal(m.shape, dtype=np.float64))
    q, r = np.linalg.qr(a if m.shape[0] >= m.shape[1] else a.T)
    q = q * np.sign(np.diag(r))
    np.testing.assert_allclose(m, gain * (q if m.shape[0] >= m.shape[1] else q.T), atol=1e-12)


INITS = {
    "uniform_": lambda t: nn.init.uniform_(t, -1, 1),
    "normal_": lambda t: nn.init.normal_(t),
    "constant_": lambda t: nn.init.constant_(t, 0.5),
    "zeros_": nn.init.zeros_,
    "ones_": nn.init.ones_,
    "xavier_uniform_": nn.init.xavier_uniform_,
    "xavier_normal_": nn.init.xavier_normal_,
    "kaiming_uniform_": nn.init.kaiming_uniform_,
    "kaiming_normal_": nn.init.kaiming_normal_,
    "orthogonal_": nn.init.orthogonal_,
}


@pytest.mark.parametrize("name", list(INITS))
def test_inits_fill_in_place_count_the_change_and_are_seeded(name, device):
    if name == "orthogonal_":
        _needs_qr(device)
    fill = INITS[name]
    p = nn.Parameter(tg.zeros(4, 3, device=device))
    before = p.data
    loss = (p * p).sum()  # the product saved p's values
    assert fill(p) is p and p.data is before and p.dtype == np.float32  # under no_grad, although p requires grad
    with pytest.raises(RuntimeError, match="changed in place|version"):
        loss.backward()  # the graph saw the old values: refused, not silently wrong
    tg.manual_seed(9)
    first = host(fill(nn.Parameter(tg.zeros(4, 3, device=device)))).copy()
    tg.manual_seed(9)
    np.testing.assert_array_equal(host(fill(nn.Parameter(tg.zeros(4, 3, device=device)))), first)


def test_kaiming_on_an_empty_tensor_warns_and_returns_it():
    t = tg.zeros(0, 3)
    with pytest.warns(UserWarning, match="zero-element tensor is a no-op"):
        assert nn.init.kaiming_uniform_(t) is t
