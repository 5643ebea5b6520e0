"""Misuse, by family (after PyTorch's OpInfo error inputs).

For each public function of optim, the losses, LayerNorm, nn.init, dropout and the
checkpoints: a list of malformed calls, each with the exception type and message it must
raise, and a check that the call changed nothing (parameters, optimizer states, schedules,
inputs, files). A family is a maker of a fresh world, a snapshot of everything in it that
could change, and its cases; a case may prepare the world (``setup``) before the snapshot.
"""

import copy
import io
import math
import pickle
import zipfile
from collections.abc import Callable
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.nn import init


class Bad(NamedTuple):
    name: str
    call: Callable
    error: type
    match: str
    setup: Callable = None


class Family(NamedTuple):
    make: Callable  # tmp_path -> world
    snapshot: Callable  # world -> plain data
    cases: list


def assert_same(a, b, where="snapshot"):
    """Equal nested data: arrays by dtype, shape and values (NaN equal to NaN)."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), where


def values(tensors):
    """Each tensor's values, version count and whether it has a gradient, and where the random
    generator of the first one's device is (a refused call draws nothing; NumPy's can say)."""
    rng = tensors[0].device.rng
    rng = copy.deepcopy(rng.bit_generator.state) if isinstance(rng, np.random.Generator) else None
    return [(t.numpy().copy(), t._version.count if t._version else 0, t.grad is None) for t in tensors] + [rng]


# -- optimizers: step ---------------------------------------------------------------------

SHAPES = [(3, 4), (5,), (2, 2), ()]
OPTIMIZERS = {
    "Adam": lambda groups: optim.Adam(groups, lr=0.05, weight_decay=0.1),
    "AdamW": lambda groups: optim.AdamW(groups, lr=0.05),
    "AdamW-amsgrad": lambda groups: optim.AdamW(groups, lr=0.05, amsgrad=True),
    "SGD": lambda groups: optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True),
    "RMSprop": lambda groups: optim.RMSprop(groups, lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
}


def _trained(make, steps=2, seed=0, unstepped=()):
    """Four parameters in two groups, stepped ``steps`` times (those in ``unstepped`` without a
    gradient, so without a state), with good gradients for the next step."""
    rng = np.random.default_rng(seed)
    params = [nn.Parameter(rng.standard_normal(s)) for s in SHAPES]
    opt = make([{"params": params[:2]}, {"params": params[2:], "lr": 0.02}])
    for _ in range(steps):
        for i, p in enumerate(params):
            p.grad = None if i in unstepped else tg.Tensor(rng.standard_normal(p.shape))
        opt.step()
    for p in params:
        p.grad = tg.Tensor(rng.standard_normal(p.shape))
    return SimpleNamespace(params=params, opt=opt)


def _optimizer_snapshot(w):
    return [values(w.params), w.opt.state_dict(), [p in w.opt.state for p in w.params]]


def _grad(index, value):
    def set_grad(w):
        w.params[index].grad = value

    return set_grad


def _step_after(prepare):
    def call(w):
        prepare(w)
        w.opt.step()

    return call


def _set_group(key, value):
    def setup(w):
        w.opt.param_groups[1][key] = value

    return setup


def _step_cases():
    third = r"parameter 2 \(group 1, shape \(2, 2\), float64 on '(cpu|cuda)'\)"
    return [
        Bad("grad-shape", _step_after(_grad(2, tg.Tensor(np.zeros(4)))), ValueError, third + r".*shape \(4,\)"),
        Bad("grad-broadcastable", _step_after(_grad(3, tg.Tensor(np.zeros(1)))), ValueError, r"parameter 3.*\(1,\)"),
        Bad("grad-dtype", _step_after(_grad(2, tg.zeros(2, 2))), TypeError, third + r".*dtype float32"),
        Bad("grad-int", _step_after(_grad(2, tg.Tensor(np.zeros((2, 2), int)))), TypeError, r"dtype int64"),
        Bad("grad-ndarray", _step_after(_grad(2, np.zeros((2, 2)))), TypeError, third + r".*type ndarray"),
        Bad("lr-nan", lambda w: w.opt.step(), ValueError, r"invalid learning rate lr: nan", _set_group("lr", math.nan)),
        Bad("lr-negative", lambda w: w.opt.step(), ValueError, r"lr: -1", _set_group("lr", -1)),
    ]


def _rmsprop_changed_options(tmp_path):
    return _trained(lambda groups: optim.RMSprop(groups, lr=0.01))


def _adam_changed_options(tmp_path):
    return _trained(lambda groups: optim.Adam(groups, lr=0.01))


# -- optimizers: load_state_dict ------------------------------------------------------------


def _loading(tmp_path):
    w = _trained(OPTIMIZERS["Adam"])
    w.good = _trained(OPTIMIZERS["Adam"], steps=3, seed=1).opt.state_dict()
    return w


def _load_edited(edit):
    def call(w):
        sd = copy.deepcopy(w.good)
        edit(sd)
        w.opt.load_state_dict(sd)

    return call


def _state(index, key, value):
    def edit(sd):
        if value is None:
            del sd["state"][index][key]
        else:
            sd["state"][index][key] = value

    return edit


def _load_state_cases():
    name = r"^Adam\.load_state_dict: "
    groups = lambda sd: sd["param_groups"]  # noqa: E731
    return [
        Bad("not-a-dict", lambda w: w.opt.load_state_dict([1, 2]), ValueError, name + "expected a dict"),
        Bad("no-state", _load_edited(lambda sd: sd.pop("state")), ValueError, r"keys 'param_groups' and 'state'"),
        Bad(
            "fewer-groups",
            _load_edited(lambda sd: groups(sd).pop()),
            ValueError,
            name + "the state dict has 1 parameter groups, this optimizer 2",
        ),
        Bad(
            "group-size",
            _load_edited(lambda sd: groups(sd)[1]["params"].append(4)),
            ValueError,
            name + "group 1 holds 3 parameters in the state dict, 2 in this optimizer",
        ),
        Bad(
            "unknown-option",
            _load_edited(lambda sd: groups(sd)[0].update(maximize=True)),
            ValueError,
            r"group 0 has other options in the state dict: missing \[\], unexpected \['maximize'\]",
        ),
        Bad(
            "amsgrad-without-its-state",
            _load_edited(lambda sd: [g.update(amsgrad=True) for g in groups(sd)]),
            ValueError,
            name + r"the state of parameter 0 lacks \['max_exp_avg_sq'\]",
        ),
        Bad(
            "missing-option",
            _load_edited(lambda sd: groups(sd)[1].pop("eps")),
            ValueError,
            r"group 1 has other options.*missing \['eps'\]",
        ),
        Bad(
            "bad-option",
            _load_edited(lambda sd: groups(sd)[1].update(lr=-1.0)),
            ValueError,
            name + r"group 1 of the state dict: Adam: invalid learning rate lr: -1\.0",
        ),
        Bad(
            "repeated-index",
            _load_edited(lambda sd: groups(sd)[1].update(params=[2, 2])),
            ValueError,
            r"group 1 lists the parameter index 2, which is not a new integer",
        ),
        Bad(
            "state-shape",
            _load_edited(_state(2, "exp_avg", np.zeros(3))),
            ValueError,
            r"state of parameter 2: 'exp_avg' is a float64 array of shape \(3,\), but the parameter is float64 "
            r"of shape \(2, 2\)",
        ),
        Bad("state-int", _load_edited(_state(1, "exp_avg", np.zeros(5, int))), ValueError, r"'exp_avg' is a int64"),
        Bad(
            "state-missing",
            _load_edited(_state(1, "exp_avg_sq", None)),
            ValueError,
            r"state of parameter 1 lacks \['exp_avg_sq'\] and has unexpected entries \[\]",
        ),
        Bad(
            "state-unexpected",
            _load_edited(_state(0, "momentum_buffer", np.zeros((3, 4)))),
            ValueError,
            r"unexpected entries \['momentum_buffer'\]",
        ),
        Bad("step-negative", _load_edited(_state(0, "step", -1)), ValueError, r"'step' must be a count.*-1"),
        Bad("step-fraction", _load_edited(_state(0, "step", 2.5)), ValueError, r"'step' must be a count.*2\.5"),
        Bad(
            "state-of-no-parameter",
            _load_edited(lambda sd: sd["state"].update({7: sd["state"][0]})),
            ValueError,
            r"a state for parameter 7, which no group lists",
        ),
    ]


# -- schedules ------------------------------------------------------------------------------


def _schedules(tmp_path):
    two_groups = lambda: [{"params": [nn.Parameter(np.zeros(2))], "lr": lr} for lr in (0.1, 0.02)]  # noqa: E731
    w = SimpleNamespace(opt=optim.SGD(two_groups(), lr=1.0), opt2=optim.SGD(two_groups(), lr=1.0))
    w.fresh = optim.SGD(two_groups(), lr=1.0)
    w.sched = optim.lr_scheduler.StepLR(w.opt, step_size=2, gamma=0.5)
    w.falling = optim.lr_scheduler.LambdaLR(w.opt2, lambda epoch: 1 - epoch / 3)
    for _ in range(3):
        w.sched.step()
        w.falling.step()
    return w


def _schedule_snapshot(w):
    groups = [{k: v for k, v in g.items() if k != "params"} for o in (w.opt, w.opt2, w.fresh) for g in o.param_groups]
    return [w.sched.state_dict(), w.falling.state_dict(), groups]


def _sched_load(edit):
    def call(w):
        sd = w.sched.state_dict()
        edit(sd)
        w.sched.load_state_dict(sd)

    return call


def _schedule_cases():
    name = r"^StepLR\.load_state_dict: "
    return [
        Bad(
            "missing-key",
            _sched_load(lambda sd: sd.pop("gamma")),
            ValueError,
            name + r"the state dict.s keys differ: missing \[.gamma.\]",
        ),
        Bad("unexpected-key", _sched_load(lambda sd: sd.update(T_max=3)), ValueError, r"unexpected \['T_max'\]"),
        Bad(
            "base-lrs",
            _sched_load(lambda sd: sd.update(base_lrs=[0.1])),
            ValueError,
            name + r"'base_lrs' has 1 entries for 2 param groups",
        ),
        Bad("step-size", _sched_load(lambda sd: sd.update(step_size=0)), ValueError, r"step_size must be a positive"),
        Bad("last-epoch", _sched_load(lambda sd: sd.update(last_epoch="3")), ValueError, r"last_epoch must be an"),
        Bad("not-a-dict", lambda w: w.sched.load_state_dict(None), ValueError, name + "the state dict's keys differ"),
        Bad(
            "negative-lr",
            lambda w: w.falling.step(),
            ValueError,
            r"^LambdaLR: the schedule gives group 0 the learning rate -0\.0333.* at epoch 4.*nothing was changed",
        ),
        Bad(
            "lambdas-per-group",
            lambda w: optim.lr_scheduler.LambdaLR(w.fresh, [lambda e: 1.0]),
            ValueError,
            r"^LambdaLR: expected 2 lr_lambdas \(one per param group\), got 1",
        ),
        Bad(
            "negative-at-start",
            lambda w: optim.lr_scheduler.LambdaLR(w.fresh, lambda e: -1.0),
            ValueError,
            r"learning rate -0\.1 at epoch 0",
        ),
        Bad(
            "resume-without-initial-lr",
            lambda w: optim.lr_scheduler.StepLR(w.fresh, 2, last_epoch=4),
            ValueError,
            r"^StepLR: resuming at last_epoch=4 needs 'initial_lr' in param group 0",
        ),
        Bad("step-size-zero", lambda w: optim.lr_scheduler.StepLR(w.fresh, 0), ValueError, r"^StepLR: step_size"),
        Bad("gamma", lambda w: optim.lr_scheduler.ExponentialLR(w.fresh, -0.5), ValueError, r"^ExponentialLR: gamma"),
        Bad("T_max", lambda w: optim.lr_scheduler.CosineAnnealingLR(w.fresh, 0), ValueError, r"^CosineAnnealingLR"),
        Bad("not-an-optimizer", lambda w: optim.lr_scheduler.StepLR([1], 2), TypeError, r"expected an Optimizer"),
    ]


# -- losses ---------------------------------------------------------------------------------


def _loss_world(tmp_path):
    rng = np.random.default_rng(3)
    leaf = lambda a: tg.Tensor(a, requires_grad=True)  # noqa: E731
    return SimpleNamespace(
        x=leaf(rng.standard_normal((2, 3))),
        p=leaf(rng.uniform(0.1, 0.9, (2, 3))),
        k=leaf(rng.standard_normal((2, 3, 4))),
        y=tg.Tensor(rng.uniform(0, 1, (2, 3))),
        labels=tg.Tensor(np.array([0, 2])),
    )


def _loss_snapshot(w):
    return values([w.x, w.p, w.k, w.y, w.labels])


def _loss_cases():
    x, sums = (2, 3), r"reduction must be 'mean', 'sum' or 'none', got 'avg'"
    return [
        Bad("mse-shape", lambda w: F.mse_loss(w.x, tg.ones(3, 2)), ValueError, r"^mse_loss: input shape \(2, 3\)"),
        Bad("mse-dtype", lambda w: F.mse_loss(w.x, tg.ones(*x)), TypeError, r"^mse_loss: input dtype float64 and"),
        Bad("mse-int-input", lambda w: F.mse_loss(tg.Tensor([1]), [1]), TypeError, r"^mse_loss: input must be a float"),
        Bad("l1-shape", lambda w: F.l1_loss(w.x, w.y[0]), ValueError, r"^l1_loss: input shape \(2, 3\) and target"),
        Bad("l1-reduction", lambda w: F.l1_loss(w.x, w.y, reduction="avg"), ValueError, "^l1_loss: " + sums),
        Bad(
            "ce-float-target",
            lambda w: F.cross_entropy(w.x, tg.Tensor([0.0, 1.0])),
            TypeError,
            r"^cross_entropy: target must hold integer class indices, got dtype float32 \(shape \(2,\)\); class prob",
        ),
        Bad(
            "ce-class-too-big",
            lambda w: F.cross_entropy(w.x, [0, 3]),
            IndexError,
            r"^cross_entropy: target class 3 is outside \[0, 3\) \(input \(2, 3\), ignore_index=-100\)",
        ),
        Bad("ce-class-negative", lambda w: F.cross_entropy(w.x, [-1, 0]), IndexError, r"target class -1 is outside"),
        Bad(
            "ce-other-ignore-index",
            lambda w: F.cross_entropy(w.x, [-100, 0], ignore_index=-1),
            IndexError,
            r"target class -100 .*ignore_index=-1",
        ),
        Bad(
            "ce-target-shape",
            lambda w: F.cross_entropy(w.x, [0, 1, 2]),
            ValueError,
            r"^cross_entropy: expected input \(N, C\) with target \(N,\).*got input \(2, 3\) and target \(3,\)",
        ),
        Bad(
            "ce-k-dim-shape",
            lambda w: F.cross_entropy(w.k, np.zeros((2, 3), int)),
            ValueError,
            r"got input \(2, 3, 4\) and target \(2, 3\)",
        ),
        Bad("ce-smoothing", lambda w: F.cross_entropy(w.x, w.labels, label_smoothing=1.5), ValueError, r"smoothing"),
        Bad("ce-smoothing-str", lambda w: F.cross_entropy(w.x, w.labels, label_smoothing="0.1"), TypeError, "smooth"),
        Bad("ce-reduction", lambda w: F.cross_entropy(w.x, w.labels, reduction="avg"), ValueError, sums),
        Bad("ce-positional", lambda w: F.cross_entropy(w.x, w.labels, None, -100), TypeError, r"positional"),
        Bad(
            "ce-weight-length",
            lambda w: F.cross_entropy(w.x, w.labels, [1.0, 2.0]),
            ValueError,
            r"^cross_entropy: weight must hold one number per class, shape \(3,\); got shape \(2,\)",
        ),
        Bad(
            "ce-weight-dtype",
            lambda w: F.cross_entropy(w.x, w.labels, tg.ones(3)),
            TypeError,
            r"^cross_entropy: weight must be numbers of the input's dtype float64, got float32",
        ),
        Bad(
            "nll-weight-strings",
            lambda w: F.nll_loss(w.x, w.labels, np.array(["a", "b", "c"])),
            TypeError,
            r"^nll_loss: weight must be numbers",
        ),
        Bad(
            "bce-weight-shape",
            lambda w: F.binary_cross_entropy(w.p, w.y, np.ones(2)),
            ValueError,
            r"^binary_cross_entropy: weight of shape \(2,\) does not broadcast to the input's \(2, 3\)",
        ),
        Bad(
            "bce-logits-pos-weight-shape",
            lambda w: F.binary_cross_entropy_with_logits(w.x, w.y, pos_weight=np.ones((3, 3))),
            ValueError,
            r"^binary_cross_entropy_with_logits: pos_weight of shape \(3, 3\) does not broadcast",
        ),
        Bad("nll-class", lambda w: F.nll_loss(w.x, [0, 5]), IndexError, r"^nll_loss: target class 5 is outside"),
        Bad("nll-float-target", lambda w: F.nll_loss(w.x, w.y), TypeError, r"^nll_loss: target must hold integer"),
        Bad(
            "bce-input-above-one",
            lambda w: F.binary_cross_entropy(w.x, w.y),
            ValueError,
            r"^binary_cross_entropy: every input value must be in \[0, 1\], got .* \(shape \(2, 3\)\)",
        ),
        Bad(
            "bce-input-nan",
            lambda w: F.binary_cross_entropy(w.p * np.nan, w.y),
            ValueError,
            r"every input value must be in \[0, 1\], got nan",
        ),
        Bad(
            "bce-target",
            lambda w: F.binary_cross_entropy(w.p, w.y * 2 + 1),
            ValueError,
            r"every target value must be in \[0, 1\]",
        ),
        Bad(
            "bce-logits-shape",
            lambda w: F.binary_cross_entropy_with_logits(w.x, w.y[:1]),
            ValueError,
            r"^binary_cross_entropy_with_logits: input shape \(2, 3\) and target shape \(1, 3\) differ",
        ),
        Bad("module-reduction", lambda w: nn.MSELoss(reduction="avg"), ValueError, "^MSELoss: " + sums),
        Bad("module-ce-reduction", lambda w: nn.CrossEntropyLoss(reduction="Mean"), ValueError, "^CrossEntropyLoss"),
        Bad("module-smoothing", lambda w: nn.CrossEntropyLoss(label_smoothing=-0.1), ValueError, "label_smoothing"),
        Bad("module-call", lambda w: nn.NLLLoss()(w.x, [0, 9]), IndexError, r"^nll_loss: target class 9"),
        Bad("module-bce", lambda w: nn.BCELoss()(w.x, w.y), ValueError, r"^binary_cross_entropy: every input"),
    ]


# -- LayerNorm ------------------------------------------------------------------------------


def _layer_norm(tmp_path):
    return SimpleNamespace(ln=nn.LayerNorm((3, 4), dtype=np.float64), x=tg.Tensor(np.ones((2, 3, 4))))


def _layer_norm_cases():
    return [
        Bad("shape-zero", lambda w: nn.LayerNorm(0), ValueError, r"^LayerNorm: normalized_shape must be positive"),
        Bad("shape-empty", lambda w: nn.LayerNorm(()), ValueError, r"normalized_shape must be positive integers"),
        Bad("shape-float", lambda w: nn.LayerNorm((2.5,)), ValueError, r"normalized_shape.*\(2\.5,\)"),
        Bad("eps", lambda w: nn.LayerNorm(3, eps=-1e-5), ValueError, r"^LayerNorm: eps must be >= 0"),
        Bad("input-shape", lambda w: w.ln(tg.ones(2, 4, 3)), ValueError, r"\(\.\.\., 3, 4\), got \(2, 4, 3\)"),
        Bad("input-too-small", lambda w: w.ln(tg.ones(4)), ValueError, r"^LayerNorm: expected input of shape"),
        Bad("input-dtype", lambda w: w.ln(tg.ones(2, 3, 4)), TypeError, r"input dtype float32 differs.*float64"),
        Bad("input-array", lambda w: w.ln(np.ones((3, 4))), ValueError, r"^LayerNorm: expected input"),
    ]


# -- nn.init ---------------------------------------------------------------------------------


def _init_world(tmp_path):
    w = SimpleNamespace(weight=nn.Parameter(tg.ones(3, 4)), bias=nn.Parameter(tg.ones(4)))
    w.made = w.weight * 2
    (w.made * w.weight).sum()  # a graph that saved the weight's data
    w.ints = tg.Tensor(np.ones((3, 4), int))
    return w


def _init_snapshot(w):
    return values([w.weight, w.bias, w.made, w.ints])


def _init_cases():
    fewer = r"fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions \(shape \(4,\)\)"
    return [
        Bad("xavier-1d", lambda w: init.xavier_uniform_(w.bias), ValueError, "^xavier_uniform_: " + fewer),
        Bad("xavier-normal-1d", lambda w: init.xavier_normal_(w.bias), ValueError, "^xavier_normal_: " + fewer),
        Bad("kaiming-1d", lambda w: init.kaiming_normal_(w.bias), ValueError, "^kaiming_normal_: " + fewer),
        Bad("fans-1d", lambda w: init._calculate_fan_in_and_fan_out(w.bias), ValueError, fewer),
        Bad(
            "kaiming-mode",
            lambda w: init.kaiming_uniform_(w.weight, mode="fan_avg"),
            ValueError,
            r"^kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got 'fan_avg'",
        ),
        Bad(
            "kaiming-nonlinearity",
            lambda w: init.kaiming_normal_(w.weight, nonlinearity="gelu"),
            ValueError,
            r"^calculate_gain: unsupported nonlinearity 'gelu'",
        ),
        Bad(
            "gain-slope",
            lambda w: init.kaiming_uniform_(w.weight, a="x"),
            ValueError,
            r"negative_slope 'x' is not a valid number",
        ),
        Bad("orthogonal-1d", lambda w: init.orthogonal_(w.bias), ValueError, r"^orthogonal_: only tensors with 2 or"),
        Bad("uniform-bounds", lambda w: init.uniform_(w.weight, 1.0, 0.0), ValueError, r"^uniform_: expected a <= b"),
        Bad("normal-std", lambda w: init.normal_(w.weight, 0.0, -1), ValueError, r"^normal_: std must be >= 0"),
        Bad("normal-nan", lambda w: init.normal_(w.weight, 0.0, math.nan), ValueError, r"std must be >= 0, got nan"),
        Bad("int-tensor", lambda w: init.xavier_uniform_(w.ints), TypeError, r"^xavier_uniform_: can only fill a flo"),
        Bad("not-a-tensor", lambda w: init.uniform_(np.zeros(3)), TypeError, r"^uniform_: expected a Tensor, got nd"),
        Bad("non-leaf", lambda w: init.orthogonal_(w.made), RuntimeError, r"^orthogonal_: this tensor was made by mul"),
        Bad("non-leaf-constant", lambda w: init.zeros_(w.made), RuntimeError, r"^constant_: this tensor was made by"),
        Bad("constant-float-in-int", lambda w: init.constant_(w.ints, 0.5), TypeError, r"^constant_: cannot store a"),
    ]


# -- dropout --------------------------------------------------------------------------------


def _dropout_world(tmp_path):
    return SimpleNamespace(x=tg.ones(3, 4, requires_grad=True))


def _dropout_cases():
    cases = []
    for p in (-0.1, 1.5, math.nan):
        cases.append(Bad(f"F-{p}", lambda w, p=p: F.dropout(w.x, p), ValueError, r"^dropout: p must be in \[0, 1\]"))
        cases.append(Bad(f"module-{p}", lambda w, p=p: nn.Dropout(p), ValueError, r"^Dropout: p must be in \[0, 1\]"))
    return cases + [
        Bad("str", lambda w: F.dropout(w.x, "0.5"), TypeError, r"^dropout: p must be a number in \[0, 1\], got str"),
        Bad("bool", lambda w: nn.Dropout(True), TypeError, r"^Dropout: p must be a number in \[0, 1\], got bool"),
        Bad("int-input", lambda w: F.dropout(tg.Tensor([1, 2]), 0.5), TypeError, r"^dropout: input must be a float"),
    ]


# -- checkpoints: save and load ---------------------------------------------------------------


def _files(tmp_path):
    tg.save({"w": np.arange(6.0).reshape(2, 3), "b": np.ones(3, np.float32)}, tmp_path / "good.npz")
    return SimpleNamespace(dir=tmp_path, good=(tmp_path / "good.npz").read_bytes())


def _files_snapshot(w):
    return sorted((f.name, f.read_bytes() if f.is_file() else None) for f in w.dir.iterdir())


def _write(name, data):
    def setup(w):
        (w.dir / name).write_bytes(data(w) if callable(data) else data)

    return setup


def _load(name):
    return lambda w: tg.load(w.dir / name)


def _zip(members):
    """A zip file's bytes, holding ``members`` (name -> bytes) as they are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy(descr, shape, data=b""):
    """A .npy file's bytes with any header (format 1.0)."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def _flip_data_byte(w):
    data = bytearray(w.good)
    data[data.index(b"\x93NUMPY") + 128 + 3] ^= 0xFF  # inside the first array's values
    return bytes(data)


def _object_array(w):
    buffer = io.BytesIO()
    np.savez(buffer, w=np.zeros(2), obj=np.array([{"a": 1}], dtype=object))  # np.savez pickles object arrays
    return buffer.getvalue()


def _bzip2(w):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("w.npy", _npy("<f8", (1,), bytes(8)))
    return buffer.getvalue()


HUGE = (50_000_000_000,)  # 400 GB (372.5 GiB) of float64


def _save_cases():
    def save(obj, name="good.npz"):
        return lambda w: tg.save(obj, w.dir / name)

    return [
        Bad("function", save({"w": np.zeros(1), "opt": {"hook": print}}), TypeError, r"'opt/hook' is a builtin_f"),
        Bad("set", save({"opt": {"names": {1, 2}}}), TypeError, r"^save: the value of 'opt/names' is a set"),
        Bad("object-array", save({"w": np.array([None])}), TypeError, r"'w' has dtype object, which cannot be saved"),
        Bad("nested-object", save({"o": [np.array([{}])]}), TypeError, r"'o/0' has dtype object"),
        Bad("key-type", save({0: np.zeros(1)}), TypeError, r"^save: keys must be strings, got 0"),
        Bad("nested-key-type", save({"o": {1.5: 1}}), TypeError, r"keys must be strings or integers, got 1\.5 at o"),
        Bad("reserved-key", save({"__structure__": np.zeros(1)}), ValueError, r"'__structure__' is reserved"),
        Bad("not-a-mapping", save([np.zeros(1)]), TypeError, r"^save: expected a mapping"),
        Bad("module", save(nn.Linear(2, 2)), TypeError, r"got Linear"),
    ]


def _load_file_cases():
    named = r"^load: '.*{}' "
    corrupt = lambda name, why: named.format(name) + why  # noqa: E731
    cases = [
        Bad("missing", _load("missing.npz"), FileNotFoundError, r"load: cannot read the checkpoint.*missing\.npz"),
        Bad("directory", lambda w: tg.load(w.dir), IsADirectoryError, r"load: cannot read the checkpoint"),
        Bad("empty", _load("e.npz"), ValueError, corrupt("e.npz", "is empty"), _write("e.npz", b"")),
        Bad(
            "junk",
            _load("j.npz"),
            ValueError,
            corrupt("j.npz", r"is not an \.npz archive"),
            _write("j.npz", b"\x01" * 300),
        ),
        Bad(
            "flipped-data",
            _load("f.npz"),
            ValueError,
            corrupt("f.npz", r"has a member 'w\.npy' that is corrupt: Bad CRC-32"),
            _write("f.npz", _flip_data_byte),
        ),
        Bad(
            "huge-header",
            _load("h.npz"),
            ValueError,
            corrupt(
                "h.npz",
                r"has a member 'w\.npy' that is corrupt: its \.npy header describes a float64 array of shape "
                r"\(50000000000,\) \(400,000,000,000 bytes\), but it stores 8 bytes of data",
            ),
            _write("h.npz", _zip({"w.npy": _npy("<f8", HUGE, bytes(8))})),
        ),
        Bad(
            "short-data",
            _load("s.npz"),
            ValueError,
            r"shape \(3,\) \(24 bytes\), but it stores 16 bytes",
            _write("s.npz", _zip({"w.npy": _npy("<f8", (3,), bytes(16))})),
        ),
        Bad(
            "negative-shape",
            _load("n.npz"),
            ValueError,
            r"impossible \.npy header: shape \(-1,\)",
            _write("n.npz", _zip({"w.npy": _npy("<f8", (-1,))})),
        ),
        Bad(
            "object-header",
            _load("o.npz"),
            ValueError,
            r"has dtype object: this file holds pickled objects, which tinygrad_rnn does not load$",
            _write("o.npz", _zip({"w.npy": _npy("|O", (1,), bytes(8))})),
        ),
        Bad(
            "pickled-object-array",  # the message must not pass on NumPy's advice to allow pickles
            _load("p.npz"),
            ValueError,
            r"^(?!.*allow_pickle).*'obj\.npy'.*this file holds pickled objects, which tinygrad_rnn does not load",
            _write("p.npz", _object_array),
        ),
        Bad(
            "pickle-file",
            _load("pk.npz"),
            ValueError,
            corrupt("pk.npz", "is a pickle: this file holds pickled objects"),
            _write("pk.npz", pickle.dumps({"w": [1.0]})),
        ),
        Bad(
            "pickle-member",
            _load("t.npz"),
            ValueError,
            r"has a member 'archive/data\.pkl': this file holds pickled objects",
            _write("t.npz", _zip({"archive/data.pkl": pickle.dumps({})})),
        ),
        Bad(
            "not-npy-member",
            _load("x.npz"),
            ValueError,
            r"has a member 'notes\.txt' that is not a \.npy array",
            _write("x.npz", _zip({"notes.txt": b"hello"})),
        ),
        Bad(
            "no-magic",
            _load("m.npz"),
            ValueError,
            r"member 'w\.npy' that is not a \.npy array \(no \.npy magic",
            _write("m.npz", _zip({"w.npy": b"just some bytes here"})),
        ),
        Bad(
            "single-npy",
            _load("one.npy"),
            ValueError,
            r"holds a single array, not an \.npz archive",
            _write("one.npy", _npy("<f8", (1,), bytes(8))),
        ),
        Bad("bzip2", _load("bz.npz"), ValueError, r"compressed with zip method 12", _write("bz.npz", _bzip2)),
        Bad(
            "bad-structure",
            _load("st.npz"),
            ValueError,
            r"'__structure__' that is not valid JSON",
            _write("st.npz", _zip({"__structure__.npy": _npy("<U3", (), "{[(".encode("utf-32-le"))})),
        ),
        Bad(
            "structure-names-no-member",
            _load("sm.npz"),
            ValueError,
            r"'__structure__' with an entry it cannot read",
            _write("sm.npz", _zip({"__structure__.npy": _npy("<U13", (), '{"npy": "w"} '.encode("utf-32-le"))})),
        ),
    ]
    for cut in (10, 40, 100, 200, -30, -1):
        cases.append(
            Bad(
                f"truncated-at-{cut}",
                _load(f"cut{cut}.npz"),
                ValueError,
                corrupt(f"cut{cut}.npz", r"is not an \.npz archive \(a zip of \.npy arrays\), or it is truncated"),
                _write(f"cut{cut}.npz", lambda w, cut=cut: w.good[:cut]),
            )
        )
    return cases


FAMILIES = {
    **{
        f"{name}.step": Family(
            lambda tmp_path, make=make: _trained(make, unstepped=(1,)), _optimizer_snapshot, _step_cases()
        )
        for name, make in OPTIMIZERS.items()
    },
    "RMSprop.step-options-changed": Family(
        _rmsprop_changed_options,
        _optimizer_snapshot,
        [
            Bad(
                "centered", lambda w: w.opt.step(), RuntimeError, r"lacks \['grad_avg'\]", _set_group("centered", True)
            ),
            Bad(
                "momentum",
                lambda w: w.opt.step(),
                RuntimeError,
                r"lacks \['momentum_buffer'\]",
                _set_group("momentum", 0.9),
            ),
        ],
    ),
    "Adam.step-options-changed": Family(
        _adam_changed_options,
        _optimizer_snapshot,
        [
            Bad(
                "amsgrad",
                lambda w: w.opt.step(),
                RuntimeError,
                r"lacks \['max_exp_avg_sq'\]",
                _set_group("amsgrad", True),
            ),
            Bad(
                "amsgrad-type",
                lambda w: w.opt.step(),
                TypeError,
                r"group 1: Adam: amsgrad must be True or False, got 1; nothing was updated",
                _set_group("amsgrad", 1),
            ),
        ],
    ),
    "Optimizer.load_state_dict": Family(_loading, _optimizer_snapshot, _load_state_cases()),
    "lr_scheduler": Family(_schedules, _schedule_snapshot, _schedule_cases()),
    "losses": Family(_loss_world, _loss_snapshot, _loss_cases()),
    "LayerNorm": Family(_layer_norm, lambda w: [w.ln.state_dict(), values([w.x])], _layer_norm_cases()),
    "nn.init": Family(_init_world, _init_snapshot, _init_cases()),
    "dropout": Family(_dropout_world, lambda w: values([w.x]), _dropout_cases()),
    "save": Family(_files, _files_snapshot, _save_cases()),
    "load": Family(_files, _files_snapshot, _load_file_cases()),
}
CASES = [(family, case) for family in FAMILIES for case in FAMILIES[family].cases]


@pytest.mark.parametrize("family, case", CASES, ids=[f"{f}-{c.name}" for f, c in CASES])
def test_error_input_raises_and_changes_nothing(family, case, tmp_path):
    make, snapshot, _ = FAMILIES[family]
    world = make(tmp_path)
    if case.setup is not None:
        case.setup(world)
    before = snapshot(world)
    with pytest.raises(case.error, match=case.match):
        case.call(world)
    assert_same(snapshot(world), before)


def test_every_family_has_cases_and_unique_names():
    for family, (_, _, cases) in FAMILIES.items():
        names = [c.name for c in cases]
        assert names and len(names) == len(set(names)), family
