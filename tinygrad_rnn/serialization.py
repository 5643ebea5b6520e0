"""Saving and loading state dicts as NumPy ``.npz`` archives: plain arrays, no pickle.

    tg.save(model.state_dict(), "model.npz")
    model.load_state_dict(tg.load("model.npz"))

An ``.npz`` is a zip file holding one ``.npy`` file per entry, named by the key
("layer.weight_ih_l0"), in the order given; any NumPy can read it back with ``np.load``.
Loading refuses pickled objects (``allow_pickle=False``), so opening a file from
elsewhere cannot run code.
"""

import os
import secrets
import zipfile
from collections import OrderedDict

import numpy as np

from .tensor import Tensor


def _host_array(key, value):
    """``value`` (a Tensor, NumPy or CuPy array) as a NumPy array, or a TypeError naming ``key``."""
    if isinstance(value, Tensor):
        array = value.numpy()
    elif isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "__cuda_array_interface__") and hasattr(value, "get"):
        array = value.get()  # a CuPy array, copied to the host
    else:
        raise TypeError(f"save: the value of {key!r} is a {type(value).__name__}; expected an array or a Tensor")
    if array.dtype.hasobject:
        raise TypeError(f"save: the value of {key!r} has dtype object, which cannot be saved without pickle")
    return array


def save(state_dict, path):
    """Write ``state_dict`` (a mapping from str names to arrays or tensors) to the ``.npz`` file ``path``.

    The file is written exactly at ``path`` (no ".npz" is appended), in NumPy's ``np.savez``
    format, through a temporary file beside it that replaces it at the end, so an
    interrupted save leaves no half-written checkpoint.
    """
    if not hasattr(state_dict, "items"):
        raise TypeError(
            f"save: expected a mapping from names to arrays (e.g. model.state_dict()), got {type(state_dict).__name__}"
        )
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be strings, got {key!r} ({type(key).__name__})")
        arrays[key] = _host_array(key, value)
    path = os.fspath(path)
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            _write_npz(f, arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write_npz(file, arrays):
    """What ``np.savez(file, **arrays)`` writes, done by hand: there a key named "file" or
    "allow_pickle" would collide with savez's own arguments."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def load(path):
    """Read a file written by ``save``: an OrderedDict from names to NumPy arrays, in the saved order.

    Raises ValueError for a file holding pickled objects, or a single ``.npy`` array
    rather than an ``.npz`` archive.
    """
    archive = np.load(path, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {os.fspath(path)!r} holds a single array, not an .npz archive of named arrays")
    with archive:
        return OrderedDict((name, archive[name]) for name in archive.files)
