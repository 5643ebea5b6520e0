"""Shared fixtures: every test that takes ``device`` runs on each backend.

The "cuda" cases run where CuPy sees a GPU and are skipped, with the reason, elsewhere.
"""

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import backend


def _cuda_skip_reason():
    try:
        backend.get_device("cuda")
    except RuntimeError as e:
        return str(e)
    return None


CUDA_SKIP = _cuda_skip_reason()


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """The name of a device to run the test body on."""
    if request.param == "cuda" and CUDA_SKIP:
        pytest.skip(f"no GPU: {CUDA_SKIP}")
    return request.param


@pytest.fixture(autouse=True)
def _seeded():
    tg.manual_seed(0)
    yield


def host(x):
    """A tensor's or array's values as a NumPy array."""
    if isinstance(x, tg.Tensor):
        return x.numpy()
    return x.get() if hasattr(x, "get") else np.asarray(x)
