"""Malformed calls, by op family, in the style of PyTorch's OpInfo error inputs: each names the
function and the shapes, dtypes or axes at fault, and leaves every input as it was."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_rnn as tg
from tinygrad_rnn import nn


def a(*shape, grad=False):
    return tg.Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape), requires_grad=grad)


FAMILIES = {
    "creation": [
        (lambda: tg.ones(-1), ValueError, r"ones: negative size -1 in shape \(-1,\)"),
        (lambda: tg.zeros(2, 1.5), TypeError, r"zeros: sizes must be ints"),
        (lambda: tg.randn((2, -3)), ValueError, r"randn: negative size -3"),
        (lambda: tg.Tensor("abc"), TypeError, r"Tensor: cannot make a tensor from str"),
        (lambda: tg.Tensor([1, 2], requires_grad=True), TypeError, r"Tensor: only floating-point .* int64"),
        (lambda: tg.from_numpy([1.0]), TypeError, r"from_numpy: expected a NumPy array, got list"),
        (lambda: tg.ones(2, device="tpu"), ValueError, r"unknown device 'tpu'"),
        (lambda: tg.ones(2).to("cupy"), ValueError, r"to: 'cupy' is neither a device .* nor a dtype"),
    ],
    "elementwise": [
        (lambda: a(2, 3) + a(4), ValueError, r"^add: cannot apply to shapes \(2, 3\) and \(4,\)"),
        (lambda: a(2) * a(3), ValueError, r"^mul: cannot apply to shapes \(2,\) and \(3,\)"),
        (lambda: a(2) + a(2).double(), TypeError, r"^add: dtypes float32 and float64 differ"),
        (lambda: "x" + a(2), TypeError, r"add: expected at least one tensor|cannot make a tensor"),
        (lambda: a(2) ** "2", TypeError, r"^pow: the exponent must be a number or a tensor, got str"),
        (lambda: a(2).clip(), ValueError, r"^clip: give low, high or both"),
        (lambda: tg.where(a(2) > 0, a(3), a(2)), ValueError, r"^where: cannot apply to shapes \(3,\) and \(2,\)"),
        (lambda: bool(a(2)), ValueError, r"bool: the truth value of a tensor of shape \(2,\) is ambiguous"),
        (lambda: a(2).item(), ValueError, r"item: tensor of shape \(2,\) has 2 elements"),
    ],
    "reductions": [
        (lambda: a(2, 3).sum(1.5), TypeError, r"^sum: axis must be an int or a tuple of ints, got 1.5"),
        (lambda: a(2, 3).sum(2), ValueError, r"^sum: axis 2 is out of range for a tensor with 2 dimensions"),
        (lambda: a(2, 3).mean((0, 0)), ValueError, r"^mean: axis \(0, 0\) names a dimension twice"),
        (lambda: tg.zeros(0).mean(), ValueError, r"^mean: no elements to average"),
        (lambda: tg.zeros(0).max(), ValueError, r"^max: .*max over an empty axis of shape \(0,\)"),
        (lambda: a(2, 3).softmax(3), ValueError, r"^softmax: axis 3 is out of range"),
        (lambda: a(2, 3).logsumexp(-3), ValueError, r"^logsumexp: axis -3 is out of range"),
        (lambda: a(2).sum(0, dim=0), TypeError, r"^sum: got both axis= and dim="),
    ],
    "products": [
        (lambda: a(2, 3) @ a(2, 3), ValueError, r"^matmul: shapes \(2, 3\) and \(2, 3\) are not aligned \(3 != 2\)"),
        (lambda: a(3) @ a(4), ValueError, r"^matmul: shapes \(3,\) and \(4,\) are not aligned"),
        (lambda: tg.Tensor(2.0) @ a(2), ValueError, r"^matmul: .*both operands need at least 1 dimension"),
        (lambda: tg.addmm(a(2), a(2, 3), a(4, 2)), ValueError, r"^addmm: shapes \(2, 3\) and \(4, 2\) are not aligned"),
    ],
    "shapes": [
        (lambda: a(2, 3).reshape(4, 2), ValueError, r"^reshape: cannot apply to shape \(2, 3\)"),
        (lambda: a(2, 3).transpose(0, 5), ValueError, r"^transpose: axis 5 is out of range"),
        (lambda: a(4).transpose(), ValueError, r"^transpose: needs at least 2 dimensions, got shape \(4,\)"),
        (lambda: a(2, 3).permute(0, 0), ValueError, r"^permute: \(0, 0\) is not an order of the 2 axes"),
        (lambda: a(2, 1).squeeze(5), ValueError, r"^squeeze: axis 5 is out of range"),
        (lambda: a(2, 1).unsqueeze(10), ValueError, r"^unsqueeze: axis 10 is out of range"),
        (lambda: a(2, 1).flatten(5), ValueError, r"^flatten: axis 5 is out of range"),
        (lambda: a(2, 3, 4).flatten(2, 1), ValueError, r"^flatten: start axis 2 comes after end axis 1"),
        (lambda: a(2, 3)[5], IndexError, r"^index: index 5 does not fit shape \(2, 3\)"),
        (lambda: a(2, 3)[0, 0, 0], IndexError, r"^index: index \(0, 0, 0\) does not fit shape \(2, 3\)"),
    ],
    "joins": [
        (lambda: tg.cat([]), ValueError, r"^cat: expected a non-empty sequence of tensors"),
        (lambda: tg.stack([a(2), a(3)]), ValueError, r"^stack: cannot apply to shapes \(2,\) and \(3,\)"),
        (lambda: tg.cat([a(2), a(2).double()]), TypeError, r"^cat: tensors have different dtypes"),
        (lambda: a(4).split([1, 2]), ValueError, r"^split: sizes \[1, 2\] add up to 3, not to the length 4"),
        (lambda: a(4).split(0), ValueError, r"^split: the size must be positive, got 0"),
        (lambda: a(4).chunk(0), ValueError, r"^chunk: the number of chunks must be positive, got 0"),
        (lambda: a(2, 3).unbind(2), ValueError, r"^unbind: axis 2 is out of range"),
    ],
    "autograd": [
        (lambda: a(2).sum().backward(), RuntimeError, r"backward: the tensor does not require grad"),
        (lambda: tg.Tensor([1, 2]).sum().backward(), RuntimeError, r"only floating-point tensors have gradients"),
        (lambda: (a(2, grad=True) * 2).backward(), RuntimeError, r"only for a single-element output.*shape \(2,\)"),
        (lambda: (a(2, grad=True) * 2).backward(tg.ones(3)), ValueError, r"gradient shape \(3,\) does not match"),
        (lambda: a(2, grad=True).add_(1), RuntimeError, r"add_: a leaf tensor that requires grad"),
        (lambda: (a(2, grad=True) * 2).mul_(2), RuntimeError, r"mul_: this tensor was made by mul"),
        (lambda: a(2).copy_(a(3)), ValueError, r"copy_: a value of shape \(3,\) does not fit shape \(2,\)"),
        (lambda: tg.Tensor([1, 2]).add_(0.5), TypeError, r"add_: cannot store a float in a int64 tensor"),
        (lambda: a(2).retain_grad(), RuntimeError, r"retain_grad: the tensor does not require grad"),
    ],
    "layers": [
        (lambda: nn.LSTM(3, 4)(a(5, 2, 7)), ValueError, r"LSTM: expected input of shape \(T, B, 3\)"),
        (lambda: nn.GRU(3, 4)(a(5, 2, 3).double()), TypeError, r"GRU: the input is float64 but the parameters"),
        (lambda: nn.RNN(3, 4)(tg.zeros(0, 2, 3)), ValueError, r"RNN: the input has no time steps"),
        (lambda: nn.LSTM(3, 4)(a(5, 2, 3), lengths=[6, 1]), ValueError, r"LSTM: lengths must lie in \[1, 5\]"),
        (lambda: nn.LSTMCell(3, 4)(a(2, 4)), ValueError, r"LSTMCell: expected input of shape \(batch, 3\)"),
        (lambda: nn.LSTM(-1, 4), ValueError, r"LSTM: input_size must be a positive int, got -1"),
    ],
}
CASES = [(family, k, *case) for family, cases in FAMILIES.items() for k, case in enumerate(cases)]


@pytest.mark.parametrize("family, k, call, error, message", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_malformed_calls_say_what_is_wrong(family, k, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_refused_change_in_place_changes_nothing():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()  # a graph that saved w
    with pytest.raises(RuntimeError, match="add_"):
        w.add_(1.0)  # gradients are being recorded
    with tg.no_grad():
        with pytest.raises(ValueError, match="copy_"):
            w.copy_(tg.ones(3))
        with pytest.raises(IndexError, match="__setitem__"):
            w[5] = 1.0
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    y.backward()  # no change was counted: the graph still differentiates
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_a_refused_op_leaves_its_inputs_and_graph_alone():
    x = a(2, 3, grad=True)
    before = x.numpy().copy()
    for call, error, _ in FAMILIES["shapes"] + FAMILIES["reductions"][:3]:
        with pytest.raises(error):
            call()
    with pytest.raises(ValueError):
        x.reshape(4, 2)
    np.testing.assert_array_equal(x.numpy(), before)
    (x * 2).sum().backward()  # the tensor still works, with no leftover gradient
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=0, max_size=3), axis=st.integers(-5, 5))
def test_every_reduction_and_shape_op_checks_its_axis(shape, axis):
    x = tg.Tensor(np.ones(shape, np.float32))
    ndim = len(shape)
    valid = -ndim <= axis < ndim or (ndim == 0 and axis in (0, -1))
    for name, op in (("sum", lambda: x.sum(axis)), ("mean", lambda: x.mean(axis)), ("max", lambda: x.max(axis))):
        if valid:
            op()
        else:
            with pytest.raises(ValueError, match=rf"^{name}: axis {axis} is out of range"):
                op()
    if -ndim - 1 <= axis <= ndim:
        assert x.unsqueeze(axis).ndim == ndim + 1
    else:
        with pytest.raises(ValueError, match=rf"^unsqueeze: axis {axis} is out of range"):
            x.unsqueeze(axis)


def test_shape_errors_are_runtime_errors_as_in_pytorch_and_value_errors_as_in_numpy():
    for call in (lambda: a(2, 3) @ a(2, 3), lambda: a(2) + a(3), lambda: a(2, 3).reshape(4, 2)):
        with pytest.raises(RuntimeError) as caught:
            call()
        assert isinstance(caught.value, ValueError) and type(caught.value).__name__ == "ShapeError"
