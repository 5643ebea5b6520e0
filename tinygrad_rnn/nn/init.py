"""Filling parameters in place (``torch.nn.init``), from the device's seeded generator.

The samples are drawn in float64 and rounded to the tensor's dtype, so a float32 and a
float64 module built after the same ``manual_seed`` hold the same values up to rounding.
The tensor keeps its identity (only its ``.data`` is replaced).
"""

import numpy as np


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples of U(a, b): density 1/(b - a) on [a, b), mean (a + b)/2, variance (b - a)²/12."""
    if not a <= b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
    rng = tensor.device.rng
    tensor.data[...] = rng.random(tensor.shape, dtype=np.float64) * (b - a) + a
    return tensor


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples of N(mean, std²)."""
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    rng = tensor.device.rng
    tensor.data[...] = rng.standard_normal(tensor.shape, dtype=np.float64) * std + mean
    return tensor


def constant_(tensor, value):
    """Fill with ``value``."""
    tensor.data[...] = value
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)
