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


def test_pickled_object_arrays_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.zeros(2), obj=np.array([_Payload()], dtype=object))  # np.savez pickles object arrays
    with pytest.raises(ValueError, match="allow_pickle"):
        tg.load(path)
    assert _ran == []


def test_a_single_npy_array_is_not_a_state_dict(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.zeros(2))
    with pytest.raises(ValueError, match="single array"):
        tg.load(path)


@pytest.mark.parametrize(
    "value",
    [[1.0, 2.0], 3.0, None, "weights", np.array([{"a": 1}], dtype=object)],
    ids=["list", "float", "none", "str", "object-array"],
)
def test_values_that_are_not_arrays_raise_type_error_naming_the_key(value, tmp_path):
    path = tmp_path / "bad.npz"
    with pytest.raises(TypeError, match=r"'rnn\.weight_hh_l0'"):
        tg.save(OrderedDict([("ok", np.zeros(1)), ("rnn.weight_hh_l0", value)]), path)
    assert list(tmp_path.iterdir()) == []  # checked before anything is written


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
