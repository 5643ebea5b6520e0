"""Bad input raises before anything changes, with a message naming the op, shapes, dtypes."""

import numpy as np
import pytest

import tinygrad_rnn as tg


def test_matmul_names_the_shapes():
    a = tg.Tensor(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"^matmul: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        a @ a
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 2, 3\) and \(3, 3, 4\): batch dimensions"):
        tg.ones(2, 2, 3) @ tg.ones(3, 3, 4)


def test_addmm_names_the_shapes():
    with pytest.raises(ValueError, match=r"^addmm: shapes \(2, 3\) and \(4, 2\) are not aligned"):
        tg.addmm(tg.ones(2), tg.ones(2, 3), tg.ones(4, 2))
    with pytest.raises(ValueError, match=r"^addmm: cannot apply to shapes \(3, 2, 4\) and \(2, 3\) and \(3, 4\)"):
        tg.addmm(tg.ones(3, 2, 4), tg.ones(2, 3), tg.ones(3, 4))


def test_broadcast_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"^add: cannot apply to shapes \(2, 3\) and \(4,\)"):
        tg.ones(2, 3) + tg.ones(4)
    with pytest.raises(ValueError, match=r"^where: cannot apply to shapes \(2,\) and \(3,\)"):
        tg.where(tg.ones(2) > 0, tg.ones(2), tg.ones(3))


def test_float_dtypes_must_match():
    with pytest.raises(TypeError, match=r"^mul: dtypes float32 and float64 differ"):
        tg.ones(2) * tg.ones(2, dtype=np.float64)
    with pytest.raises(TypeError, match=r"cat: tensors have different dtypes"):
        tg.cat([tg.ones(2), tg.ones(2, dtype=np.float64)])
    with pytest.raises(TypeError, match="dtypes float32 and float64"):
        tg.ones(2, 2) @ np.ones((2, 2))


def test_shape_errors_of_joins_splits_and_reshapes():
    with pytest.raises(ValueError, match=r"^cat: cannot apply to shapes \(2, 3\) and \(2, 2\)"):
        tg.cat([tg.ones(2, 3), tg.ones(2, 2)], 0)
    with pytest.raises(ValueError, match=r"^stack: cannot apply to shapes"):
        tg.stack([tg.ones(2), tg.ones(3)])
    with pytest.raises(ValueError, match=r"^reshape: cannot apply to shape \(2, 3\)"):
        tg.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match=r"split: sizes \[1, 1\] add up to 2"):
        tg.split(tg.ones(3), [1, 1])
    with pytest.raises(ValueError, match="chunk: the number of chunks must be positive"):
        tg.ones(3).chunk(0)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not an order"):
        tg.ones(2, 2).permute(0, 0)
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        tg.ones(2, 2).sum(2)


def test_index_errors_name_the_index_and_shape():
    with pytest.raises(IndexError, match=r"^index: index 5 does not fit shape \(3,\)"):
        tg.ones(3)[5]


def test_backward_errors():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"single-element output.*shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"gradient shape \(3,\) does not match the tensor's shape \(2,\)"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.Tensor([1.0]).sum().backward()
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time \(at sum\).*retain_graph=True"):
        y.backward()


def test_freed_graph_detected_inside_a_shared_subgraph():
    x = tg.Tensor([1.0], requires_grad=True)
    h = x.tanh()
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match=r"second time \(at tanh\)"):
        (h * 3).sum().backward()


def test_failed_op_leaves_the_graph_untouched():
    x = tg.Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError):
        y @ y
    assert y.creator.grads is None and x.grad is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 2.0))


def test_tensor_construction_errors():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients, got dtype int64"):
        tg.Tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        tg.Tensor("abc")
    with pytest.raises(ValueError, match=r"item: tensor of shape \(2,\) has 2 elements"):
        tg.ones(2).item()
    with pytest.raises(TypeError, match="pow: the exponent must be a number or a tensor, got str"):
        tg.ones(2) ** "2"
    with pytest.raises(ValueError, match="ambiguous"):
        bool(tg.ones(2))
