"""save/load of state dicts as .npz: round trips, order, dtypes, and what is refused."""

from collections import OrderedDict

import numpy as np
import pytest
from conftest import host

import tinygrad_rnn as tg
from tinygrad_rnn import nn


def _model(dtype=np.float64):
    # two dtypes in one model, to see that each array keeps its own
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2, dtype=dtype))


def test_state_dict_round_trip_keeps_order_dtype_and_values(tmp_path):
    state = _model().state_dict()
    path = tmp_path / "model.npz"
    tg.save(state, path)
    loaded = tg.load(path)
    assert isinstance(loaded, OrderedDict)
    assert list(loaded) == list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, array in state.items():
        assert isinstance(loaded[name], np.ndarray)
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape, name
        np.testing.assert_array_equal(loaded[name], array, err_msg=name)
    assert loaded["0.weight"].dtype == np.float32 and loaded["2.weight"].dtype == np.float64


def test_key_order_is_the_given_order_not_sorted(tmp_path):
    names = ["z", "layer.weight_ih_l0", "a", "layer.weight_hh_l0", "b/c", "file", "allow_pickle"]
    state = OrderedDict((n, np.full((2,), i, dtype=np.float64)) for i, n in enumerate(names))
    tg.save(state, tmp_path / "s.npz")
    loaded = tg.load(tmp_path / "s.npz")
    assert list(loaded) == names
    for i, n in enumerate(names):
        np.testing.assert_array_equal(loaded[n], [i, i])


def test_load_into_a_fresh_module(tmp_path):
    model = _model()
    tg.save(model.state_dict(), str(tmp_path / "m.npz"))
    tg.manual_seed(123)
    fresh = _model()
    assert not np.array_equal(host(fresh[0].weight), host(model[0].weight))
    fresh.load_state_dict(tg.load(str(tmp_path / "m.npz")))
    for (name, p), (_, q) in zip(model.named_parameters(), fresh.named_parameters()):
        assert p.dtype == q.dtype, name
        np.testing.assert_array_equal(host(q), host(p), err_msg=name)
    x = np.random.default_rng(0).standard_normal((5, 4))
    for i, dtype in [(0, np.float32), (2, np.float64)]:  # each layer in its own dtype
        xi = tg.Tensor(x[:, : fresh[i].in_features].astype(dtype))
        np.testing.assert_array_equal(host(fresh[i](xi)), host(model[i](xi)))


def test_tensors_and_device_arrays_are_saved_as_host_arrays(tmp_path, device):
    t = tg.randn(2, 3, device=device)
    w = tg.arange(4, device=device)
    tg.save({"t": t, "raw": w.data, "grad_like": tg.zeros(1, dtype=np.float64, device=device)}, tmp_path / "t.npz")
    loaded = tg.load(tmp_path / "t.npz")
    np.testing.assert_array_equal(loaded["t"], host(t))
    np.testing.assert_array_equal(loaded["raw"], [0, 1, 2, 3])
    assert loaded["raw"].dtype == np.int64 and loaded["grad_like"].dtype == np.float64
    assert all(type(a) is np.ndarray for a in loaded.values())


def test_the_file_is_written_exactly_at_the_path_and_can_be_overwritten(tmp_path):
    path = tmp_path / "checkpoint.bin"
    tg.save({"w": np.zeros(3)}, path)
    tg.save({"w": np.ones(3)}, path)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["checkpoint.bin"]  # no ".npz" added, no temp left
    np.testing.assert_array_equal(tg.load(path)["w"], np.ones(3))
    np.testing.assert_array_equal(np.load(path)["w"], np.ones(3))  # plain NumPy reads it too


_ran = []


class _Payload:
    """An object whose unpickling would run code (here: record that it ran)."""

    def __reduce__(self):
        return (_ran.append, ("unpickled",))


def test_pickled_object_arrays_are_refused_without_running_them(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.zeros(2), obj=np.array([_Payload()], dtype=object))  # np.savez pickles object arrays
    with pytest.raises(ValueError, match="this file holds pickled objects, which tinygrad_rnn does not load") as info:
        tg.load(path)
    assert str(path) in str(info.value) and "allow_pickle" not in str(info.value)
    assert _ran == []


def test_load_reads_an_open_file_too(tmp_path):
    import io

    tg.save({"w": np.arange(3.0), "opt": {"step": 2}}, tmp_path / "c.npz")
    data = (tmp_path / "c.npz").read_bytes()
    with open(tmp_path / "c.npz", "rb") as f:
        assert tg.load(f)["opt"] == {"step": 2}
    np.testing.assert_array_equal(tg.load(io.BytesIO(data))["w"], np.arange(3.0))
    with pytest.raises(ValueError, match=r"^load: '<file object>' is not an \.npz archive"):
        tg.load(io.BytesIO(data[:50]))


def test_a_single_npy_array_is_not_a_state_dict(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.zeros(2))
    with pytest.raises(ValueError, match="single array"):
        tg.load(path)


def test_a_header_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    import tracemalloc
    import zipfile

    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (50000000000,), }"
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(8)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", npy)
    assert path.stat().st_size < 400  # asks for 372.5 GiB
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"bomb\.npz.*shape \(50000000000,\) \(400,000,000,000 bytes\)"):
            tg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_compressed_and_fortran_ordered_arrays_load(tmp_path):
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.savez_compressed(tmp_path / "c.npz", a=a, b=np.zeros((0, 3), np.int32), s=np.array("text"))
    loaded = tg.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(loaded["a"], a)
    assert loaded["a"].flags.f_contiguous and loaded["a"].flags.writeable
    assert loaded["b"].shape == (0, 3) and loaded["b"].dtype == np.int32
    assert loaded["s"] == "text"


# -- nested checkpoints -------------------------------------------------------------------------


def _nested():
    return {
        "model": OrderedDict([("0.weight", np.arange(6.0).reshape(2, 3)), ("0.bias", np.ones(2, np.float32))]),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.full((2, 3), 0.5)}, 2: {"step": 1, "exp_avg": np.zeros(())}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1, 2]}],
        },
        "epoch": 7,
        "note": "run b/c",
        "nothing": None,
        "limits": [float("inf"), -0.0, 1e-310],
        "scalars": (np.float64(0.1), np.int64(4), np.bool_(True)),
        "mask": np.array([True, False]),
    }


def _assert_same_tree(a, b):
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same_tree(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same_tree(x, y)
    else:
        assert a == b and str(a) == str(b)


def test_nested_checkpoints_round_trip_with_their_types(tmp_path):
    tree = _nested()
    tg.save(tree, tmp_path / "ckpt.npz")
    loaded = tg.load(tmp_path / "ckpt.npz")
    expected = {**tree, "scalars": (0.1, 4, True)}  # NumPy scalars come back as Python numbers
    _assert_same_tree(loaded, expected)
    assert type(loaded["scalars"][1]) is int and list(loaded["optimizer"]["state"]) == [0, 2]


def test_nested_checkpoints_are_plain_npz_with_readable_names(tmp_path):
    tg.save(_nested(), tmp_path / "ckpt.npz")
    with np.load(tmp_path / "ckpt.npz", allow_pickle=False) as archive:
        names = archive.files
        np.testing.assert_array_equal(archive["optimizer/state/0/exp_avg"], np.full((2, 3), 0.5))
        np.testing.assert_array_equal(archive["model/0.weight"], np.arange(6.0).reshape(2, 3))
        assert archive["__structure__"].dtype.kind == "U"
    assert names[0] == "__structure__" and "mask" in names


def test_a_flat_state_dict_is_written_as_np_savez_would(tmp_path):
    tg.save({"a/b": np.zeros(1), "c": np.ones(2)}, tmp_path / "flat.npz")
    with np.load(tmp_path / "flat.npz") as archive:
        assert archive.files == ["a/b", "c"]  # no layout member: the keys are the names


def test_nested_tensors_and_device_arrays_are_saved_as_host_arrays(tmp_path, device):
    t = tg.randn(2, 3, device=device)
    tg.save({"opt": {"state": {0: {"buf": t.data, "t": t}}}}, tmp_path / "d.npz")
    state = tg.load(tmp_path / "d.npz")["opt"]["state"][0]
    assert type(state["buf"]) is np.ndarray and type(state["t"]) is np.ndarray
    np.testing.assert_array_equal(state["buf"], host(t))


def test_keys_must_be_strings_and_the_state_a_mapping(tmp_path):
    with pytest.raises(TypeError, match="keys must be strings"):
        tg.save({0: np.zeros(1)}, tmp_path / "k.npz")
    with pytest.raises(TypeError, match="state_dict"):
        tg.save(_model(), tmp_path / "m.npz")


def test_a_failed_save_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a_folder"
    target.mkdir()
    with pytest.raises(OSError):
        tg.save({"w": np.zeros(2)}, target)  # the final rename onto a folder fails
    assert [f.name for f in tmp_path.iterdir()] == ["a_folder"] and list(target.iterdir()) == []
