"""``tg.cuda``: PyTorch's spelling of the questions about the GPU (CuPy underneath)."""

from . import backend


def is_available():
    """True when CuPy is installed, sees a GPU and can run a kernel on it.

    >>> import tinygrad_rnn as tg
    >>> device = "cuda" if tg.cuda.is_available() else "cpu"
    >>> tg.nn.Linear(3, 2, device=device).weight.device == device
    True
    """
    return backend.cuda_available()


def device_count():
    """How many GPUs CuPy sees (0 without a usable one).

    >>> import tinygrad_rnn as tg
    >>> count = tg.cuda.device_count()
    >>> count >= 1 if tg.cuda.is_available() else count == 0
    True
    """
    if not is_available():
        return 0
    return int(backend.get_device("cuda").xp.cuda.runtime.getDeviceCount())


def synchronize():
    """Wait for the GPU to finish what was queued (nothing to wait for without one): before
    reading a clock, since GPU work runs asynchronously.

    >>> import tinygrad_rnn as tg
    >>> import time
    >>> x = tg.ones(256, 256, device="cuda" if tg.cuda.is_available() else "cpu")
    >>> start = time.perf_counter()
    >>> y = x @ x
    >>> tg.cuda.synchronize()
    >>> seconds = time.perf_counter() - start
    >>> y.shape
    (256, 256)
    """
    if is_available():
        backend.get_device("cuda").xp.cuda.Device().synchronize()
