"""Devices: the guarded CuPy import, the default device, moves, and mixing devices."""

import os
import subprocess
import sys
import types

import numpy as np
import pytest
from conftest import host

import tinygrad_rnn as tg
from tinygrad_rnn import backend


@pytest.fixture
def fresh_backend(monkeypatch):
    """Forget the loaded CUDA device and the default, as in a new process."""
    monkeypatch.setattr(backend, "_cuda", None)
    monkeypatch.setattr(backend, "_default", None)
    monkeypatch.delenv("TINYGRAD_RNN_DEVICE", raising=False)
    return monkeypatch


def test_import_does_not_touch_cupy():
    code = "import sys, tinygrad_rnn as tg; tg.Tensor([1.0]).tanh(); print('cupy' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "TINYGRAD_RNN_DEVICE"}  # the CPU by default
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False"


def test_cuda_without_cupy_says_what_to_install(fresh_backend):
    fresh_backend.setitem(sys.modules, "cupy", None)  # makes `import cupy` fail
    with pytest.raises(RuntimeError, match=r"needs CuPy, which is not installed.*pip install"):
        tg.Tensor([1.0], device="cuda")
    assert not tg.cuda_available()
    tg.Tensor([1.0]).exp()  # the CPU is unaffected


def test_cuda_with_cupy_but_no_gpu_says_so(fresh_backend):
    fake = types.SimpleNamespace(__version__="13.0.0", cuda=types.SimpleNamespace(is_available=lambda: False))
    fresh_backend.setitem(sys.modules, "cupy", fake)
    with pytest.raises(RuntimeError, match=r"CuPy 13.0.0 is installed but no GPU is visible"):
        tg.zeros(2, device="cuda")


def test_cuda_whose_kernels_cannot_run_says_so(fresh_backend):
    def arange(*args, **kwargs):
        raise RuntimeError("CUDA_ERROR_NOT_FOUND: libnvrtc.so.12 cannot be opened")

    fake = types.SimpleNamespace(
        __version__="13.0.0", float32=np.float32, arange=arange, cuda=types.SimpleNamespace(is_available=lambda: True)
    )
    fresh_backend.setitem(sys.modules, "cupy", fake)
    with pytest.raises(RuntimeError, match=r"sees a GPU but cannot run a kernel on it \(RuntimeError: CUDA_ERROR"):
        tg.zeros(2, device="cuda")
    assert not tg.cuda_available()  # so the CUDA tests skip, saying why


def test_unknown_device_name():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        tg.Tensor([1.0], device="tpu")


def test_default_device_from_environment(fresh_backend):
    fresh_backend.setenv("TINYGRAD_RNN_DEVICE", "cpu")
    assert tg.default_device() == "cpu"
    fresh_backend.setattr(backend, "_default", None)
    fresh_backend.setenv("TINYGRAD_RNN_DEVICE", "tpu")
    with pytest.raises(RuntimeError, match="TINYGRAD_RNN_DEVICE='tpu'"):
        tg.Tensor([1.0])


def test_set_default_device(fresh_backend, device):
    tg.set_default_device(device)
    assert tg.Tensor([1.0]).device == device
    assert tg.randn(2).device == device
    tg.set_default_device("cpu")
    assert tg.ones(1).device == "cpu"


def test_to_and_cpu_move_data_and_gradient(device):
    x = tg.Tensor([1.0, 2.0], requires_grad=True, device="cpu")
    y = x.to(device)
    assert y.device == device and (y is x) == (device == "cpu")
    (y * y).sum().cpu().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert isinstance(y.numpy(), np.ndarray)
    assert x.to(np.float64).dtype == np.float64
    z = x.to(device, np.float64)
    assert z.device == device and z.dtype == np.float64


@pytest.fixture
def other_device():
    """A second device (backed by NumPy) to test the cross-device checks on any machine."""
    return backend.Device("other", np)


def test_ops_refuse_inputs_on_two_devices(other_device):
    a = tg.Tensor([1.0, 2.0], device="cpu")
    b = tg.Tensor._wrap(np.ones(2, np.float32), other_device)
    for op in (lambda: a + b, lambda: a @ b, lambda: tg.cat([a, b]), lambda: tg.where(a > 0, a, b)):
        with pytest.raises(RuntimeError, match=r"different devices, 'cpu' and 'other'"):
            op()


def test_moving_to_another_device_is_differentiable(other_device):
    x = tg.Tensor([3.0], requires_grad=True, device="cpu")
    y = tg.to_device(x, other_device)
    assert y.device is other_device and y.creator.op == "to_device"
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0])


def test_scatter_add_sums_repeats(device):
    x = tg.Tensor(np.zeros((3, 2), np.float32), requires_grad=True, device=device)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_allclose(host(x.grad), [[3, 3], [0, 0], [1, 1]])
    x.grad = None
    weights = tg.Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32), device=device)
    (x[[-1, 0, 2]] * weights).sum().backward()  # -1 and 2 are the same row
    np.testing.assert_allclose(host(x.grad), [[3, 4], [0, 0], [6, 8]])


def test_blas_threads_one_for_small_products_and_several_for_large():
    blas = backend.blas
    many = tg.get_num_threads()
    if many == 1:
        pytest.skip("BLAS has one thread here: there is no count to choose")
    small = np.ones((32, 64), np.float32), np.ones((64, 256), np.float32)
    large = np.ones((256, 256), np.float32), np.ones((256, 1024), np.float32)
    old = blas.seconds_per_madd, blas.contended_until, blas.strikes
    try:
        np.testing.assert_array_equal(backend.matmul(*small), small[0] @ small[1])
        assert blas.now == 1
        blas.seconds_per_madd, blas.contended_until, blas.strikes = 1.0, 0.0, 0  # nothing looks contended
        np.testing.assert_array_equal(backend.matmul(*large), large[0] @ large[1])
        assert blas.now == many
        blas.seconds_per_madd = 0.0  # every product looks slower than one thread: back off ...
        for _ in range(blas.STRIKES - 1):
            backend.matmul(*large)
            assert blas.now == many and blas.contended_until == 0.0  # ... but not after one hiccup
        backend.matmul(*large)
        backend.matmul(*large)
        assert blas.now == 1 and blas.contended_until > 0
    finally:
        blas.seconds_per_madd, blas.contended_until, blas.strikes = old


def test_set_num_threads_bounds_large_products():
    many = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
        backend.matmul(np.ones((512, 512), np.float32), np.ones((512, 512), np.float32))
        assert backend.blas.now == 1
    finally:
        tg.set_num_threads(many)
    with pytest.raises(ValueError, match=r"set_num_threads: expected a positive int, got 0"):
        tg.set_num_threads(0)


def test_torch_spelling_of_the_gpu_questions():
    assert tg.cuda.is_available() == tg.cuda_available()
    assert tg.cuda.device_count() == (1 if tg.cuda_available() else 0) or tg.cuda.device_count() > 1
    tg.cuda.synchronize()  # returns at once without a GPU
