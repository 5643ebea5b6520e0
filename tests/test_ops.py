"""The op registry: every primitive (and composite) with sample inputs.

From each entry come a forward check against NumPy code and a float64 central-difference
gradient check, on every backend.
"""

from dataclasses import dataclass, field

import numpy as np
import pytest
from conftest import host

import tinygrad_rnn as tg
from tinygrad_rnn.nn.fused import LSTMPointwise


@dataclass
class Case:
    name: str
    fn: object  # tinygrad_rnn tensors -> tensor or tuple of tensors
    ref: object  # numpy arrays -> array or tuple of arrays
    shapes: list
    kind: str = "any"  # "positive", "distinct" (no ties, away from 0), or "any"
    extra: dict = field(default_factory=dict)


def sample(shape, kind, rng):
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "distinct":  # distinct magnitudes away from 0: no ties for max, no kink for abs/relu
        n = int(np.prod(shape))
        values = (rng.permutation(n) + 1.0) / n * rng.choice([-1.0, 1.0], n)
        return values.reshape(shape) + 0.01 * rng.uniform(-1, 1, shape) / n
    return rng.standard_normal(shape)


def _split_ref(sizes, axis):
    return lambda a: tuple(np.split(a, np.cumsum(sizes)[:-1], axis=axis))


def _lse(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


REPEATED = np.array([2, 0, 2, 1, 2])

CASES = [
    Case("add", lambda a, b: a + b, np.add, [(3, 4), (3, 4)]),
    Case("add_broadcast", lambda a, b: a + b, np.add, [(3, 1, 4), (2, 1)]),
    Case("add_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [(3,)]),
    Case("sub", lambda a, b: a - b, np.subtract, [(2, 3), (3,)]),
    Case("rsub_scalar", lambda a: 1 - a, lambda a: 1 - a, [(4,)]),
    Case("mul", lambda a, b: a * b, np.multiply, [(2, 3), (2, 1)]),
    Case("div", lambda a, b: a / b, np.divide, [(2, 3), (2, 3)], kind="positive"),
    Case("rdiv_scalar", lambda a: 1 / a, lambda a: 1 / a, [(3,)], kind="positive"),
    Case("neg", lambda a: -a, np.negative, [(2, 3)]),
    Case("pow", lambda a: a**3, lambda a: a**3, [(2, 3)]),
    Case("pow_fraction", lambda a: a**0.5, np.sqrt, [(2, 3)], kind="positive"),
    Case("exp", tg.exp, np.exp, [(2, 3)]),
    Case("log", tg.log, np.log, [(2, 3)], kind="positive"),
    Case("sqrt", tg.sqrt, np.sqrt, [(2, 3)], kind="positive"),
    Case("abs", tg.abs, np.abs, [(2, 3)], kind="distinct"),
    Case("tanh", tg.tanh, np.tanh, [(2, 3)]),
    Case("sigmoid", tg.sigmoid, lambda a: 1 / (1 + np.exp(-a)), [(2, 3)]),
    Case("relu", tg.relu, lambda a: np.maximum(a, 0), [(2, 3)], kind="distinct"),
    Case("matmul", lambda a, b: a @ b, np.matmul, [(2, 3), (3, 4)]),
    Case("matmul_batched", lambda a, b: a @ b, np.matmul, [(2, 1, 2, 3), (3, 3, 2)]),
    Case("matmul_vector", lambda a, b: a @ b, np.matmul, [(3,), (3, 2)]),
    Case("matmul_matrix_vector", lambda a, b: a @ b, np.matmul, [(2, 2, 3), (3,)]),
    Case("addmm_bias", lambda c, a, b: tg.addmm(c, a, b), lambda c, a, b: c + a @ b, [(4,), (2, 3), (3, 4)]),
    Case("addmm_full", lambda c, a, b: tg.addmm(c, a, b), lambda c, a, b: c + a @ b, [(2, 4), (2, 3), (3, 4)]),
    Case("addmm_batched", lambda c, a, b: tg.addmm(c, a, b), lambda c, a, b: c + a @ b, [(1, 4), (2, 2, 3), (3, 4)]),
    Case("sum_all", lambda a: a.sum(), np.sum, [(2, 3)]),
    Case("sum_axis", lambda a: a.sum(1), lambda a: a.sum(1), [(2, 3, 4)]),
    Case(
        "sum_axes_keepdims", lambda a: a.sum((0, 2), keepdims=True), lambda a: a.sum((0, 2), keepdims=True), [(2, 3, 4)]
    ),
    Case("mean", lambda a: a.mean(-1), lambda a: a.mean(-1), [(2, 3, 4)]),
    Case("mean_all", lambda a: a.mean(), np.mean, [(2, 3)]),
    Case("max_all", lambda a: a.max(), np.max, [(2, 3)], kind="distinct"),
    Case("max_axis", lambda a: a.max(0), lambda a: a.max(0), [(3, 4)], kind="distinct"),
    Case(
        "max_keepdims", lambda a: a.max(1, keepdims=True), lambda a: a.max(1, keepdims=True), [(3, 4)], kind="distinct"
    ),
    Case("reshape", lambda a: a.reshape(3, -1), lambda a: a.reshape(3, -1), [(2, 3, 2)]),
    Case("flatten", lambda a: a.flatten(1), lambda a: a.reshape(2, -1), [(2, 3, 2)]),
    Case("unsqueeze", lambda a: a.unsqueeze(1), lambda a: a[:, None], [(2, 3)]),
    Case("squeeze", lambda a: a.squeeze(1), lambda a: a[:, 0], [(2, 1, 3)]),
    Case("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)]),
    Case("transpose", lambda a: a.transpose(0, 2), lambda a: a.swapaxes(0, 2), [(2, 3, 4)]),
    Case("T", lambda a: a.T, lambda a: a.T, [(2, 3)]),
    Case("index_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 5)]),
    Case("index_int", lambda a: a[1], lambda a: a[1], [(3, 5)]),
    Case("index_negative_ellipsis", lambda a: a[..., -1], lambda a: a[..., -1], [(2, 3, 4)]),
    Case("index_array_repeats", lambda a: a[REPEATED], lambda a: a[REPEATED], [(3, 2)]),
    Case("index_tensor_repeats", lambda a: a[tg.Tensor(REPEATED, device=a.device)], lambda a: a[REPEATED], [(3, 2)]),
    Case("index_mixed", lambda a: a[REPEATED, 1:], lambda a: a[REPEATED, 1:], [(3, 4)]),
    Case("index_pairs", lambda a: a[[0, 2, 0], [1, 1, 1]], lambda a: a[[0, 2, 0], [1, 1, 1]], [(3, 4)]),
    Case("cat", lambda a, b: tg.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1), [(2, 3), (2, 2)]),
    Case("stack", lambda a, b: tg.stack([a, b], 1), lambda a, b: np.stack([a, b], 1), [(2, 3), (2, 3)]),
    Case("chunk", lambda a: a.chunk(3, 1), _split_ref([2, 2, 1], 1), [(2, 5)]),
    Case("split_sizes", lambda a: tg.split(a, [1, 3], 0), _split_ref([1, 3], 0), [(4, 2)]),
    Case("split_one_used", lambda a: tg.split(a, 2, 1)[1], lambda a: a[:, 2:4], [(2, 6)]),
    Case("unbind", lambda a: a.unbind(1), lambda a: tuple(np.moveaxis(a, 1, 0)), [(2, 3, 2)]),
    Case("unbind_one_used", lambda a: a.unbind(0)[2], lambda a: a[2], [(3, 2)]),
    Case(
        "where", lambda a, b: tg.where(a > 0, a, b), lambda a, b: np.where(a > 0, a, b), [(2, 3), (3,)], kind="distinct"
    ),
    Case("clip", lambda a: a.clip(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), [(3, 4)], kind="distinct"),
    Case("clip_low", lambda a: tg.clip(a, low=0.2), lambda a: np.maximum(a, 0.2), [(3, 4)], kind="distinct"),
    Case("minimum", tg.minimum, np.minimum, [(3, 4), (4,)], kind="distinct"),
    Case("maximum", tg.maximum, np.maximum, [(3, 4), (3, 1)], kind="distinct"),
    Case("softmax", lambda a: a.softmax(1), lambda a: _softmax(a, 1), [(2, 4)]),
    Case("log_softmax", lambda a: a.log_softmax(-1), lambda a: a - _lse(a, -1), [(2, 4)]),
    Case("logsumexp", lambda a: a.logsumexp(0), lambda a: _lse(a, 0)[0], [(3, 2)]),
    Case("min_axis", lambda a: a.min(1), lambda a: a.min(1), [(3, 4)], kind="distinct"),
    Case("min_dim_values", lambda a: a.min(dim=0).values, lambda a: a.min(0), [(3, 4)], kind="distinct"),
    Case("log_sigmoid", tg.log_sigmoid, lambda a: -np.logaddexp(0, -a), [(2, 3)]),
    Case("pow_tensor", lambda a, b: a**b, np.power, [(2, 3), (3,)], kind="positive"),
    Case("rpow_scalar", lambda a: 2.0**a, lambda a: 2.0**a, [(4,)]),
    Case("sum_dim_keepdim", lambda a: a.sum(dim=1, keepdim=True), lambda a: a.sum(1, keepdims=True), [(2, 3)]),
]


def _lstm_step_ref(z, c):
    i, f, g, o = np.split(z, 4, axis=-1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_new = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_new), c_new


CASES.append(Case("lstm_step", lambda z, c: LSTMPointwise()(z, c), _lstm_step_ref, [(3, 8), (3, 2)]))


def _inputs(case, device, dtype=np.float64, requires_grad=True):
    rng = np.random.default_rng(abs(hash(case.name)) % 2**32)
    arrays = [sample(s, case.kind, rng).astype(dtype) for s in case.shapes]
    return arrays, [tg.Tensor(a, requires_grad=requires_grad, device=device) for a in arrays]


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_matches_numpy(case, device):
    arrays, tensors = _inputs(case, device)
    got, want = _as_tuple(case.fn(*tensors)), _as_tuple(case.ref(*arrays))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.device == device
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(host(g), w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float32_stays_float32(case, device):
    arrays, tensors = _inputs(case, device, dtype=np.float32)
    for g in _as_tuple(case.fn(*tensors)):
        assert g.dtype == np.float32


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradient_matches_central_differences(case, device):
    _, tensors = _inputs(case, device)
    assert tg.gradcheck(case.fn, tensors, eps=1e-6, atol=1e-7, rtol=1e-6)


def test_registry_covers_every_primitive():
    primitives = {cls.op for cls in _all_subclasses(tg.Function)} - {"cast", "to_device"}
    covered = set()
    for case in CASES:
        _, tensors = _inputs(case, "cpu")
        out = _as_tuple(case.fn(*tensors))
        stack = [o.creator for o in out if o.creator is not None]
        while stack:
            f = stack.pop()
            covered.add(f.op)
            stack.extend(p for p in f.parents if isinstance(p, tg.Function))
    assert primitives <= covered, f"no registry case reaches {sorted(primitives - covered)}"


def _all_subclasses(cls):
    """The library's subclasses of ``cls`` (not those tests define)."""
    found = {c for sub in cls.__subclasses__() for c in (sub, *_all_subclasses(sub))}
    return {c for c in found if c.__module__.startswith("tinygrad_rnn.")}


def test_cast_gradient_and_dtype(device):
    x = tg.Tensor(np.array([1.5, -2.0]), requires_grad=True, device=device)
    y = x.float()
    assert y.dtype == np.float32 and y.creator.op == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(host(x.grad), [3.0, -4.0])
    assert x.double() is x  # a cast to the same dtype is no op
