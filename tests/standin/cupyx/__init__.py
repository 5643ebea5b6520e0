"""The stand-in's ``cupyx``: what tinygrad_rnn uses of it."""

import cupy
import numpy as np


def scatter_add(a, slices, value):
    """``a[slices] += value`` with repeated indices summed (``numpy.add.at``), on stand-in arrays."""
    np.add.at(a._a, cupy._unwrap(slices, "index"), cupy._unwrap(value, "value"))
