"""The public API takes raw CuPy arrays wherever it takes arrays: indices, lengths, masks,
gradients, state dicts and viz inputs stay on the GPU, or cross to the host through the one
boundary, and never trip CuPy's refusal of implicit conversions. Run on a GPU, or on the
strict CuPy stand-in (tests/standin)."""

import numpy as np
import pytest
from conftest import CUDA_SKIP

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz

pytestmark = pytest.mark.skipif(bool(CUDA_SKIP), reason=f"no GPU: {CUDA_SKIP}")


@pytest.fixture
def cp():
    import cupy

    return cupy


def test_tensors_from_cupy_arrays_and_scalars_stay_on_the_gpu(cp):
    a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    assert tg.Tensor(a).device == "cuda" and tg.tensor(a).device == "cuda"
    assert tg.Tensor(a, device="cpu").device == "cpu"  # asked for: an explicit copy to the host
    scalars = tg.Tensor([a.sum(), a.max()], device="cpu")
    np.testing.assert_array_equal(scalars.numpy(), [15.0, 5.0])
    assert tg.Tensor(tg.Tensor(a)).device == "cuda"  # a tensor keeps its device
    assert nn.Linear(2, 2, device="cpu").weight.device == "cpu"


def test_implicit_conversion_of_a_gpu_tensor_is_refused(cp):
    t = tg.ones(3, device="cuda")
    with pytest.raises(TypeError, match=r"can't convert a tensor on 'cuda' to a NumPy array implicitly"):
        np.asarray(t)
    assert isinstance(t.numpy(), np.ndarray) and float(t.sum()) == 3.0 and f"{t.sum():.1f}" == "3.0"


def test_indexing_masks_and_in_place_values_take_cupy_arrays(cp):
    x = tg.Tensor(cp.arange(12, dtype=cp.float32).reshape(4, 3), requires_grad=True)
    rows = cp.asarray([2, 0, 2])
    x[rows].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], [1.0, 0.0, 2.0, 0.0])
    picked = tg.where(cp.asarray([True, False, True]), tg.ones(3, device="cuda"), 0.0)
    np.testing.assert_array_equal(picked.numpy(), [1.0, 0.0, 1.0])
    y = tg.zeros(3, device="cuda")
    y.copy_(cp.asarray([1.0, 2.0, 3.0], dtype=cp.float32))
    y[cp.asarray([0])] = 9.0
    np.testing.assert_array_equal(y.numpy(), [9.0, 2.0, 3.0])


def test_backward_takes_a_cupy_gradient(cp):
    x = tg.ones(3, device="cuda", requires_grad=True)
    (x * 2).backward(cp.asarray([1.0, 2.0, 3.0], dtype=cp.float32))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_sequence_layers_take_cupy_lengths(cp):
    layer = nn.LSTM(3, 4).to("cuda")
    x = tg.randn(5, 2, 3, device="cuda")
    out, _ = layer(x, lengths=cp.asarray([5, 2]))
    np.testing.assert_array_equal(out.numpy()[2:, 1], 0.0)
    last = nn.last_steps(out, cp.asarray([5, 2]))
    np.testing.assert_array_equal(last.numpy(), out.numpy()[[4, 1], [0, 1]])
    with pytest.raises(ValueError, match=r"lengths must lie in \[1, 5\], got \[6, 2\]"):
        layer(x, lengths=cp.asarray([6, 2]))


def test_embedding_takes_cupy_indices(cp):
    emb = nn.Embedding(5, 2).to("cuda")
    out = emb(cp.asarray([[0, 4], [4, 1]]))
    assert out.shape == (2, 2, 2) and out.device == "cuda"
    with pytest.raises(IndexError, match=r"Embedding: index 7 is outside \[0, 5\)"):
        emb(cp.asarray([1, 7]))


def test_state_dicts_of_cupy_arrays_load(cp):
    layer = nn.Linear(2, 3, device="cuda")
    layer.load_state_dict({"weight": cp.ones((3, 2), dtype=cp.float32), "bias": cp.zeros(3, dtype=cp.float32)})
    np.testing.assert_array_equal(layer.weight.numpy(), 1.0)
    assert layer.weight.device == "cuda"


def test_viz_takes_cupy_inputs(cp):
    flow = viz.gradient_norms(nn.RNN(3, 4).to("cuda"), cp.asarray(np.random.default_rng(0).standard_normal((6, 2, 3))))
    assert flow.h.shape == (6,) and np.isfinite(flow.rates["h"])
    assert abs(viz.decay_rate(cp.asarray([1.0, 0.5, 0.25])) - 2.0) < 1e-9  # the norm doubles per step back
