"""Saving and loading checkpoints as NumPy ``.npz`` archives: plain arrays, never pickle.

    tg.save(model.state_dict(), "model.npz")
    model.load_state_dict(tg.load("model.npz"))

    tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 5}, "ckpt.npz")
    ckpt = tg.load("ckpt.npz")          # the same nesting back: ckpt["optimizer"]["state"][0]["exp_avg"]

The format. An ``.npz`` is a zip file holding one ``.npy`` file per array, stored
uncompressed. A flat mapping from names to arrays (a module's state dict) is written as
``np.savez`` writes it: one member per key, named by the key ("layer.weight_ih_l0.npy"),
in the order given. Anything nested (dicts, lists, tuples, numbers, strings, None and
booleans around the arrays, as an optimizer's state dict) is written as:

- one member per array, named by its path with "/" between the levels
  ("optimizer/state/0/exp_avg.npy"), so ``np.load`` shows every array by a readable name;
- the member ``__structure__.npy``: a 0-d string array holding JSON that rebuilds the
  nesting. In it a dict is ``{"dict": [[key, value], ...]}`` (keys are strings or
  integers, in order), a list ``{"list": [...]}``, a tuple ``{"tuple": [...]}``, an array
  ``{"npy": "member name"}``, and numbers, strings, booleans and None are themselves
  (NumPy scalars become Python numbers).

Loading trusts nothing in the file: before it allocates an array it reads the member's
``.npy`` header and refuses shapes and dtypes whose size is not the size actually stored;
pickled objects are refused; every error names the file and says what is wrong.
"""

import json
import math
import os
import secrets
import zipfile
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np

from .backend import to_host
from .tensor import Tensor

STRUCTURE = "__structure__"
_PICKLED = "this file holds pickled objects, which tinygrad_rnn does not load"
_DEFLATE_RATIO = 1032  # the most that deflate can expand: a member cannot claim more than this


# -- saving ---------------------------------------------------------------------------------


def _host_array(where, value):
    """``value`` (a Tensor, NumPy or CuPy array, NumPy scalar) as a NumPy array, or a TypeError naming ``where``."""
    if isinstance(value, Tensor):
        array = value.numpy()
    elif isinstance(value, np.ndarray) or (hasattr(value, "__cuda_array_interface__") and hasattr(value, "get")):
        array = to_host(value)
    else:
        raise TypeError(f"save: the value of {where!r} is a {type(value).__name__}; expected an array or a Tensor")
    if array.dtype.hasobject:
        raise TypeError(f"save: the value of {where!r} has dtype object, which cannot be saved without pickle")
    return array


def _is_array(value):
    return isinstance(value, (Tensor, np.ndarray)) or hasattr(value, "__cuda_array_interface__")


def _encode(value, path, arrays):
    """``value`` as JSON-ready data, its arrays moved into ``arrays`` (member name -> array)."""
    if _is_array(value):
        name = "/".join(path)
        while name in arrays or name == STRUCTURE:
            name += "_"
        arrays[name] = _host_array("/".join(path), value)
        return {"npy": name}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "items"):
        pairs = []
        for key, item in value.items():
            if isinstance(key, np.integer):
                key = int(key)
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: keys must be strings or integers, got {key!r} at {'/'.join(path) or 'the top'}")
            pairs.append([key, _encode(item, path + [str(key)], arrays)])
        return {"dict": pairs}
    if isinstance(value, (list, tuple)):
        items = [_encode(item, path + [str(i)], arrays) for i, item in enumerate(value)]
        return {"tuple" if isinstance(value, tuple) else "list": items}
    raise TypeError(
        f"save: the value of {'/'.join(path)!r} is a {type(value).__name__}; expected arrays, tensors, numbers, "
        "strings, None, or dicts, lists and tuples of them"
    )


def save(obj, path):
    """Write ``obj`` (a mapping from str names to arrays or tensors, or a nested checkpoint) to ``path``.

    The file is written exactly at ``path`` (no ".npz" is appended), through a temporary
    file beside it that replaces it at the end, so an interrupted save leaves no
    half-written checkpoint. Everything is checked before the first byte is written.

    >>> import numpy as np
    >>> import tinygrad_rnn as tg
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "ckpt.npz"
    ...     tg.save({"w": np.arange(3.0), "opt": {"state": {0: {"step": 2}}, "betas": (0.9, 0.99)}}, path)
    ...     tg.load(path)
    {'w': array([0., 1., 2.]), 'opt': {'state': {0: {'step': 2}}, 'betas': (0.9, 0.99)}}
    """
    if not hasattr(obj, "items"):
        raise TypeError(
            f"save: expected a mapping from names to arrays (e.g. model.state_dict()), got {type(obj).__name__}"
        )
    for key in obj:
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be strings, got {key!r} ({type(key).__name__})")
        if key == STRUCTURE:
            raise ValueError(f"save: the key {STRUCTURE!r} is reserved for the layout of nested checkpoints")
    arrays = OrderedDict()
    if all(_is_array(value) for value in obj.values()):
        for key, value in obj.items():
            arrays[key] = _host_array(key, value)
    else:
        structure = json.dumps(_encode(obj, [], arrays))
        arrays = OrderedDict([(STRUCTURE, np.array(structure)), *arrays.items()])
    with atomic_file(path) as f:
        _write_npz(f, arrays)


@contextmanager
def atomic_file(path, mode="wb", **open_options):
    """Open a file beside ``path`` for writing, and let it replace ``path`` only once the block
    has finished: an interrupted or failed write leaves the old file (or none), never half of
    one. Every file this package writes goes through here; missing folders are made.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "sub", "note.txt")
    >>> with atomic_file(path, "w") as f:
    ...     _ = f.write("done")
    >>> open(path).read()
    'done'
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    made = not os.path.isdir(folder)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, mode.replace("w", "x"), **open_options) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if made and not os.listdir(folder):
            os.rmdir(folder)  # a folder made for this file alone goes with it
        raise


def save_figure(fig, path, **options):
    """A matplotlib figure written to ``path`` (its format from the suffix), through ``atomic_file``."""
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or None
    with atomic_file(path) as f:
        fig.savefig(f, format=fmt, **options)
    return path


def _write_npz(file, arrays):
    """What ``np.savez(file, **arrays)`` writes, done by hand: there a key named "file" or
    "allow_pickle" would collide with savez's own arguments."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


# -- loading --------------------------------------------------------------------------------


class _Corrupt(ValueError):
    """What is wrong with the file (``load`` adds its name)."""


def load(path):
    """Read a file written by ``save``: an OrderedDict from names to NumPy arrays, or the
    nested checkpoint it was given (dicts, lists, tuples, numbers and strings around arrays).
    ``path`` may also be a binary file object open for reading, as for ``np.load``.

    Raises OSError (FileNotFoundError, IsADirectoryError, ...) when the file cannot be read,
    and ValueError when it is not a checkpoint: not a zip, truncated, a member that is not
    a valid ``.npy`` array or whose header claims more data than it stores, pickled objects.

    >>> import tinygrad_rnn as tg
    >>> import pathlib, tempfile
    >>> layer = tg.nn.Linear(2, 1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     tg.save(layer.state_dict(), pathlib.Path(folder) / "layer.npz")
    ...     state = tg.load(pathlib.Path(folder) / "layer.npz")
    >>> list(state), state["weight"].shape
    (['weight', 'bias'], (1, 2))
    >>> layer.load_state_dict(state)
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    if hasattr(path, "read"):
        name = getattr(path, "name", "<file object>")
        try:
            return _load(path)
        except _Corrupt as e:
            raise ValueError(f"load: {name!r} {e}") from None
    path = os.fspath(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        raise type(e)(e.errno, f"load: cannot read the checkpoint ({e.strerror})", path) from None
    try:
        with f:
            return _load(f)
    except _Corrupt as e:
        raise ValueError(f"load: {path!r} {e}") from None


def _load(f):
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    start = f.read(6)
    if not start:
        raise _Corrupt("is empty")
    if start == b"\x93NUMPY":
        raise _Corrupt("holds a single array, not an .npz archive of named arrays")
    if start[:1] == b"\x80":
        raise _Corrupt(f"is a pickle: {_PICKLED}")
    f.seek(0)
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError) as e:
        raise _Corrupt(f"is not an .npz archive (a zip of .npy arrays), or it is truncated: {e}") from None
    with archive:
        arrays = OrderedDict()
        for info in archive.infolist():
            name = _member_name(info, arrays)
            try:
                arrays[name] = _read_member(archive, info, size)
            except _Corrupt as e:
                raise _Corrupt(f"has a member {info.filename!r} that {e}") from None
            except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError) as e:
                raise _Corrupt(f"has a member {info.filename!r} that is corrupt: {e}") from None
    if STRUCTURE in arrays:
        return _decode_structure(arrays)
    return arrays


def _member_name(info, seen):
    name = info.filename
    if name.endswith(".pkl") or name.endswith(".pickle"):
        raise _Corrupt(f"has a member {name!r}: {_PICKLED}")
    if not name.endswith(".npy"):
        raise _Corrupt(f"has a member {name!r} that is not a .npy array")
    if name[:-4] in seen:
        raise _Corrupt(f"has the member {name!r} twice")
    return name[:-4]


def _read_member(archive, info, archive_size):
    """One member as a NumPy array; its header is checked against its stored size first."""
    if info.flag_bits & 0x1:
        raise _Corrupt("is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Corrupt(f"is compressed with zip method {info.compress_type}, which tinygrad_rnn does not read")
    if info.header_offset + info.compress_size > archive_size:
        raise _Corrupt(f"claims {info.compress_size} bytes from offset {info.header_offset}, past the file's end")
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise _Corrupt(f"is stored uncompressed but claims {info.file_size} bytes in {info.compress_size}")
    if info.file_size > _DEFLATE_RATIO * info.compress_size + 1024:
        raise _Corrupt(f"claims {info.file_size} bytes from {info.compress_size} compressed ones, more than zip allows")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
        except ValueError:
            raise _Corrupt("is not a .npy array (no .npy magic string at its start)") from None
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise _Corrupt(f"uses .npy format version {version}, which tinygrad_rnn does not read")
        shape, fortran_order, dtype = readers[version](member)
        if dtype.hasobject:
            raise _Corrupt(f"has dtype {dtype}: {_PICKLED}")
        if any(n < 0 for n in shape) or (dtype.itemsize == 0 and math.prod(shape)):
            raise _Corrupt(f"has an impossible .npy header: shape {shape}, dtype {dtype}")
        needed = math.prod(shape) * dtype.itemsize
        stored = info.file_size - member.tell()
        if needed != stored:
            raise _Corrupt(
                f"is corrupt: its .npy header describes a {dtype} array of shape {shape} ({needed:,} bytes), "
                f"but it stores {stored:,} bytes of data"
            )
        data = member.read(needed)
        if len(data) != needed or member.read(1):
            raise _Corrupt(f"is truncated: {len(data):,} of {needed:,} bytes of data")
    array = np.frombuffer(data, dtype=dtype) if needed else np.empty(0, dtype)
    if fortran_order:
        return array.reshape(shape[::-1]).transpose().copy(order="F")
    return array.reshape(shape).copy()


def _decode_structure(arrays):
    structure = arrays.pop(STRUCTURE)
    if structure.dtype.kind != "U" or structure.shape != ():
        raise _Corrupt(f"has a {STRUCTURE!r} that is not a string (dtype {structure.dtype}, shape {structure.shape})")
    try:
        tree = json.loads(str(structure))
    except (ValueError, RecursionError) as e:
        raise _Corrupt(f"has a {STRUCTURE!r} that is not valid JSON: {e}") from None
    used = set()
    try:
        out = _decode(tree, arrays, used)
    except RecursionError:
        raise _Corrupt(f"has a {STRUCTURE!r} nested too deeply") from None
    unused = [name for name in arrays if name not in used]
    if unused or not isinstance(out, dict):
        raise _Corrupt(f"has a {STRUCTURE!r} that does not describe its members (left over: {unused})")
    return out


def _decode(node, arrays, used):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) == 1:
        ((kind, body),) = node.items()
        if kind == "npy" and body in arrays and body not in used:
            used.add(body)
            return arrays[body]
        if kind in ("list", "tuple") and isinstance(body, list):
            items = [_decode(item, arrays, used) for item in body]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict" and isinstance(body, list) and all(_is_pair(pair) for pair in body):
            return {key: _decode(value, arrays, used) for key, value in body}
    raise _Corrupt(f"has a {STRUCTURE!r} with an entry it cannot read: {str(node)[:80]}")


def _is_pair(pair):
    return isinstance(pair, list) and len(pair) == 2 and type(pair[0]) in (str, int)
