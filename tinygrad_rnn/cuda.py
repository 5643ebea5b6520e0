"""``tg.cuda``: PyTorch's spelling of the questions about the GPU (CuPy underneath)."""

from . import backend


def is_available():
    """True when CuPy is installed, sees a GPU and can run a kernel on it."""
    return backend.cuda_available()


def device_count():
    """How many GPUs CuPy sees (0 without a usable one)."""
    if not is_available():
        return 0
    return int(backend.get_device("cuda").xp.cuda.runtime.getDeviceCount())


def synchronize():
    """Wait for the GPU to finish what was queued (nothing to wait for without one)."""
    if is_available():
        backend.get_device("cuda").xp.cuda.Device().synchronize()
