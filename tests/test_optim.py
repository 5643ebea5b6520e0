"""Optimizers, schedules, their state dicts and gradient clipping, step by step against torch (the
oracle) in float64, and training resumed from a checkpoint against training never interrupted."""

import math

import numpy as np
import pytest
from conftest import host
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_rnn as tg
from tinygrad_rnn import nn, optim

torch = pytest.importorskip("torch", reason="torch is the reference the optimizer tests compare with")

SHAPES = [(3, 4), (5,), ()]  # a matrix, a vector and a scalar parameter
STEPS = 7


def _problem(seed=1, steps=STEPS, missing=()):
    """Starting values and a fixed gradient per step; gradients at (step, index) in ``missing`` are None."""
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(s) for s in SHAPES]
    grads = [
        [None if (t, i) in missing else rng.standard_normal(s) for i, s in enumerate(SHAPES)] for t in range(steps)
    ]
    return start, grads


def _ours(start, device):
    return [nn.Parameter(v.copy(), device=device) for v in start]


def _theirs(start):
    return [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]


def _set_grads(params, grads, device):
    for p, g in zip(params, grads):
        p.grad = None if g is None else tg.Tensor(g, device=device)


def _set_torch_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else torch.tensor(g, dtype=torch.float64)


def _assert_same(ours, theirs, tol=1e-12):
    for i, (p, q) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(host(p), q.detach().numpy(), rtol=tol, atol=tol, err_msg=f"parameter {i}")


def _step_both(opt, ref, ours, theirs, grads, device):
    """Give both optimizers the same gradients, step both, and compare after every step."""
    for step_grads in grads:
        _set_grads(ours, step_grads, device)
        _set_torch_grads(theirs, step_grads)
        opt.step()
        ref.step()
        _assert_same(ours, theirs)


def _run(our_cls, torch_cls, kwargs, device, missing=()):
    start, grads = _problem(missing=missing)
    ours, theirs = _ours(start, device), _theirs(start)
    opt, ref = our_cls(ours, **kwargs), torch_cls(theirs, **kwargs)
    _step_both(opt, ref, ours, theirs, grads, device)
    return ours, opt


CASES = {
    "sgd": (optim.SGD, "SGD", dict(lr=0.1)),
    "sgd-momentum": (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9)),
    "sgd-nesterov": (optim.SGD, "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd-weight-decay": (optim.SGD, "SGD", dict(lr=0.1, weight_decay=0.05)),
    "sgd-dampening": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.8, dampening=0.3)),
    "sgd-all": (optim.SGD, "SGD", dict(lr=0.05, momentum=0.7, weight_decay=0.1, nesterov=True)),
    "adam": (optim.Adam, "Adam", dict()),
    "adam-options": (optim.Adam, "Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    "adam-weight-decay": (optim.Adam, "Adam", dict(lr=0.05, weight_decay=0.1)),
    "adamw": (optim.AdamW, "AdamW", dict()),
    "adamw-options": (optim.AdamW, "AdamW", dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.3)),
    "adam-amsgrad": (optim.Adam, "Adam", dict(lr=0.05, amsgrad=True)),
    "adamw-amsgrad": (optim.AdamW, "AdamW", dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.3, amsgrad=True)),
    "rmsprop": (optim.RMSprop, "RMSprop", dict()),
    "rmsprop-alpha-eps": (optim.RMSprop, "RMSprop", dict(lr=0.05, alpha=0.8, eps=1e-3)),
    "rmsprop-centered": (optim.RMSprop, "RMSprop", dict(lr=0.05, centered=True)),
    "rmsprop-momentum": (optim.RMSprop, "RMSprop", dict(lr=0.05, momentum=0.9)),
    "rmsprop-all": (
        optim.RMSprop,
        "RMSprop",
        dict(lr=0.03, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_steps_match_torch(case, device):
    our_cls, torch_name, kwargs = CASES[case]
    _run(our_cls, getattr(torch.optim, torch_name), kwargs, device)


@pytest.mark.parametrize("case", ["sgd-momentum", "adam", "adamw-options", "rmsprop-all"])
def test_params_without_grad_are_skipped_like_torch(case, device):
    our_cls, torch_name, kwargs = CASES[case]
    # parameter 1 has no gradient at steps 0 and 3, parameter 2 never has one
    missing = {(0, 1), (3, 1)} | {(t, 2) for t in range(STEPS)}
    ours, opt = _run(our_cls, getattr(torch.optim, torch_name), kwargs, device, missing=missing)
    assert ours[2] not in opt.state  # no state made for a parameter never stepped
    if our_cls is not optim.SGD:
        assert opt.state[ours[0]]["step"] == STEPS and opt.state[ours[1]]["step"] == STEPS - 2


def test_default_weight_decay_of_adamw_is_torchs():
    p = nn.Parameter(np.ones(2))
    assert (
        optim.AdamW([p]).param_groups[0]["weight_decay"] == torch.optim.AdamW([torch.ones(2)]).defaults["weight_decay"]
    )
    assert optim.Adam([p]).param_groups[0]["weight_decay"] == 0


def test_momentum_buffer_does_not_alias_the_gradient(device):
    # zero_grad(set_to_none=False) zeroes .grad in place and the next backward adds into it:
    # a momentum buffer that shares the gradient's memory would be wiped and then overwritten.
    start, grads = _problem()
    ours, theirs = _ours(start, device), _theirs(start)
    opt, ref = optim.SGD(ours, lr=0.1, momentum=0.9), torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    _set_grads(ours, grads[0], device)
    for t, step_grads in enumerate(grads):
        if t > 0:
            opt.zero_grad(set_to_none=False)
            for p, g in zip(ours, step_grads):
                p.grad.data += p.device.asarray(g)
        _set_torch_grads(theirs, step_grads)
        opt.step()
        ref.step()
    _assert_same(ours, theirs)


def test_param_groups_with_their_own_options(device):
    start, grads = _problem()
    ours, theirs = _ours(start, device), _theirs(start)
    opt = optim.SGD([{"params": ours[:2]}, {"params": [ours[2]], "lr": 0.01, "nesterov": True}], lr=0.2, momentum=0.5)
    ref = torch.optim.SGD(
        [{"params": theirs[:2]}, {"params": [theirs[2]], "lr": 0.01, "nesterov": True}], lr=0.2, momentum=0.5
    )
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.01]
    assert [g["nesterov"] for g in opt.param_groups] == [False, True]
    assert all(g["momentum"] == 0.5 for g in opt.param_groups)
    _step_both(opt, ref, ours, theirs, grads, device)


def test_adam_param_groups_and_add_param_group(device):
    start, grads = _problem()
    ours, theirs = _ours(start, device), _theirs(start)
    opt = optim.Adam([{"params": [ours[0]], "lr": 0.1}], lr=0.02, betas=(0.85, 0.95))
    ref = torch.optim.Adam([{"params": [theirs[0]], "lr": 0.1}], lr=0.02, betas=(0.85, 0.95))
    opt.add_param_group({"params": ours[1:], "weight_decay": 0.2})
    ref.add_param_group({"params": theirs[1:], "weight_decay": 0.2})
    _step_both(opt, ref, ours, theirs, grads, device)


_unit = st.floats(0.0, 0.95)
HYPER = {
    "SGD": st.fixed_dictionaries(
        {"lr": st.floats(1e-4, 0.5), "momentum": _unit, "dampening": _unit, "weight_decay": st.floats(0, 0.2)}
    ),
    "Adam": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.5),
            "betas": st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.999)),
            "eps": st.floats(1e-8, 1e-3),
            "weight_decay": st.floats(0, 0.2),
            "amsgrad": st.booleans(),
        }
    ),
    "RMSprop": st.fixed_dictionaries(
        {
            "lr": st.floats(1e-4, 0.1),
            "alpha": st.floats(0.5, 0.999),
            "eps": st.floats(1e-8, 1e-3),
            "weight_decay": st.floats(0, 0.2),
            "momentum": _unit,
            "centered": st.booleans(),
        }
    ),
}
HYPER["AdamW"] = HYPER["Adam"]


@pytest.mark.parametrize("name", list(HYPER))
def test_steps_match_torch_for_random_hyper_parameters(name):
    @settings(max_examples=25, deadline=None)
    @given(kwargs=HYPER[name], nesterov=st.booleans(), seed=st.integers(0, 2**16))
    def check(kwargs, nesterov, seed):
        if name == "SGD" and nesterov and kwargs["momentum"] > 0:
            kwargs = {**kwargs, "nesterov": True, "dampening": 0.0}
        start, grads = _problem(seed=seed, steps=5)
        ours, theirs = _ours(start, "cpu"), _theirs(start)
        opt, ref = getattr(optim, name)(ours, **kwargs), getattr(torch.optim, name)(theirs, **kwargs)
        _step_both(opt, ref, ours, theirs, grads, "cpu")

    check()


# -- state dicts -----------------------------------------------------------------------


def _stepped(case, device, steps=3):
    our_cls, torch_name, kwargs = CASES[case]
    start, grads = _problem(steps=steps, missing={(0, 2)})
    ours, theirs = _ours(start, device), _theirs(start)
    opt, ref = our_cls(ours, **kwargs), getattr(torch.optim, torch_name)(theirs, **kwargs)
    _step_both(opt, ref, ours, theirs, grads, device)
    return opt, ref, ours


@pytest.mark.parametrize("case", ["sgd-momentum", "adam", "adamw-options", "adam-amsgrad", "rmsprop-all"])
def test_state_dict_has_torchs_layout_and_values(case, device):
    opt, ref, _ = _stepped(case, device)
    sd, ref_sd = opt.state_dict(), ref.state_dict()
    assert list(sd) == ["state", "param_groups"] and list(sd["state"]) == list(ref_sd["state"]) == [0, 1, 2]
    for ours, theirs in zip(sd["param_groups"], ref_sd["param_groups"]):
        assert ours["params"] == theirs["params"] == [0, 1, 2]
        assert {k: theirs[k] for k in ours} == ours  # our options are torch's, with torch's values
    for i, state in sd["state"].items():
        assert set(state) == set(ref_sd["state"][i])
        for key, value in state.items():
            expected = ref_sd["state"][i][key]
            if key == "step":
                assert type(value) is int and value == expected.item()
            else:
                assert type(value) is np.ndarray and value.dtype == np.float64
                np.testing.assert_allclose(value, expected.numpy(), rtol=1e-12, atol=1e-15)


def test_state_dict_holds_copies_and_load_copies_too():
    opt, _, params = _stepped("adam", "cpu")
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"][...] = 7.0
    sd["param_groups"][0]["betas"] = (0.1, 0.2)
    assert not np.any(host(opt.state[params[0]]["exp_avg"]) == 7.0)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    opt.load_state_dict(sd)
    sd["state"][0]["exp_avg"][...] = 9.0
    assert np.all(host(opt.state[params[0]]["exp_avg"]) == 7.0) and opt.param_groups[0]["betas"] == (0.1, 0.2)


@pytest.mark.parametrize("case", ["sgd-momentum", "adam", "adamw-options", "rmsprop-all"])
def test_loaded_state_continues_exactly(case, device, tmp_path):
    """Step 3 times, save, load into a fresh optimizer over fresh tensors, step on: the same numbers."""
    our_cls, _, kwargs = CASES[case]
    start, grads = _problem(steps=6)
    a, b = _ours(start, device), _ours(start, device)
    opt_a, opt_b = our_cls(a, **kwargs), our_cls(b, **kwargs)
    for step_grads in grads[:3]:
        _set_grads(a, step_grads, device)
        _set_grads(b, step_grads, device)
        opt_a.step()
        opt_b.step()
    tg.save({"optimizer": opt_a.state_dict()}, tmp_path / "opt.npz")
    fresh = _ours([host(p) for p in a], device)
    opt_c = our_cls(fresh, lr=123.0) if our_cls is optim.SGD else our_cls(fresh)
    opt_c.load_state_dict(tg.load(tmp_path / "opt.npz")["optimizer"])
    assert opt_c.param_groups[0]["lr"] == kwargs.get("lr", opt_b.param_groups[0]["lr"])
    for step_grads in grads[3:]:
        _set_grads(b, step_grads, device)
        _set_grads(fresh, step_grads, device)
        opt_b.step()
        opt_c.step()
    for p, q in zip(b, fresh):
        np.testing.assert_array_equal(host(q), host(p))


def test_load_state_dict_keeps_a_schedules_initial_lr_unless_it_brings_one():
    plain = optim.SGD([_param()], lr=0.5).state_dict()
    opt = optim.SGD([_param()], lr=0.1)
    optim.lr_scheduler.StepLR(opt, 2)
    opt.load_state_dict(plain)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["initial_lr"] == 0.1
    scheduled = opt.state_dict()
    scheduled["param_groups"][0]["initial_lr"] = 0.3
    opt.load_state_dict(scheduled)
    assert opt.param_groups[0]["initial_lr"] == 0.3


@pytest.mark.parametrize("make", [lambda ps: optim.Adam(ps), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9)])
def test_the_state_follows_the_model_to_another_dtype_and_device(make, device):
    model = nn.Linear(3, 2, dtype=np.float64, device="cpu")
    opt = make(model.parameters())
    model(tg.Tensor(np.ones((4, 3)), device="cpu")).sum().backward()
    opt.step()
    model.float().to(device)
    model.zero_grad()
    model(tg.ones(4, 3, device=device)).sum().backward()
    opt.step()  # the state moves with the parameters, as Module.to promises
    for p, state in opt.state.items():
        for value in state.values():
            if hasattr(value, "dtype"):
                assert value.dtype == np.float32 and type(value) is p.device.array_type
    opt.load_state_dict(opt.state_dict())  # and a state dict loads onto the parameters' device and dtype


def _assert_same_state(sd, expected, tol=1e-12):
    assert sd["param_groups"] == expected["param_groups"] and list(sd["state"]) == list(expected["state"])
    for i, state in sd["state"].items():
        assert list(state) == list(expected["state"][i])
        for key, value in state.items():
            np.testing.assert_allclose(value, expected["state"][i][key], rtol=tol, atol=tol, err_msg=f"{i} {key}")


@pytest.mark.parametrize("case", ["adam", "rmsprop-all"])
def test_torchs_state_tensors_load(case):
    """torch's state (a float step tensor, tensors for the arrays) loads into ours when the options match."""
    our_cls, _, kwargs = CASES[case]
    opt, ref, params = _stepped(case, "cpu")
    sd = opt.state_dict()
    sd["state"] = ref.state_dict()["state"]
    target = our_cls(_ours([host(p) for p in params], "cpu"), **kwargs)
    target.load_state_dict(sd)
    _assert_same_state(target.state_dict(), opt.state_dict())


# -- resuming training from a checkpoint -------------------------------------------------------

RESUMES = {
    "adam-step": (lambda ps: optim.Adam(ps, lr=0.02), lambda o: optim.lr_scheduler.StepLR(o, 2, gamma=0.5)),
    "sgd-cosine": (
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    ),
    "rmsprop-exponential": (
        lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
        lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    ),
    "adamw-lambda": (
        lambda ps: optim.AdamW([{"params": ps[:2]}, {"params": ps[2:], "lr": 1e-3}], lr=0.01),
        lambda o: optim.lr_scheduler.LambdaLR(o, [lambda e: 0.8**e, lambda e: 1 / (1 + e)]),
    ),
}


def _training(device, make_opt, make_sched, seed):
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).to(device)
    opt = make_opt(list(model.parameters()))
    return model, opt, make_sched(opt)


def _train(model, opt, sched, steps, device):
    """Train on batch k (drawn from seed k) for each k in ``steps``; the losses."""
    losses = []
    for k in steps:
        rng = np.random.default_rng(k)
        x, y = (tg.Tensor(rng.standard_normal(s).astype(np.float32), device=device) for s in [(16, 3), (16, 2)])
        opt.zero_grad()
        loss = nn.MSELoss()(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("case", list(RESUMES))
def test_training_resumed_from_a_checkpoint_matches_training_never_stopped(case, device, tmp_path):
    make_opt, make_sched = RESUMES[case]
    model, opt, sched = _training(device, make_opt, make_sched, seed=1)
    whole = _train(model, opt, sched, range(8), device)

    interrupted, opt_i, sched_i = _training(device, make_opt, make_sched, seed=1)
    first = _train(interrupted, opt_i, sched_i, range(4), device)
    checkpoint = {"model": interrupted.state_dict(), "optimizer": opt_i.state_dict(), "scheduler": sched_i.state_dict()}
    tg.save(checkpoint, tmp_path / "ckpt.npz")
    fresh, fresh_opt, fresh_sched = _training(device, make_opt, make_sched, seed=2)  # other weights, epoch 0
    loaded = tg.load(tmp_path / "ckpt.npz")
    fresh.load_state_dict(loaded["model"])
    fresh_opt.load_state_dict(loaded["optimizer"])
    fresh_sched.load_state_dict(loaded["scheduler"])
    rest = _train(fresh, fresh_opt, fresh_sched, range(4, 8), device)

    assert first + rest == whole  # exactly
    for (name, p), (_, q) in zip(model.named_parameters(), fresh.named_parameters()):
        np.testing.assert_array_equal(host(q), host(p), err_msg=name)
    assert fresh_sched.get_last_lr() == sched.get_last_lr() and fresh_sched.last_epoch == 8
    _assert_same_state(fresh_opt.state_dict(), opt.state_dict(), tol=0)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.AdamW(ps)])
def test_update_is_in_place_and_keeps_dtype_and_device(make, device):
    p = nn.Parameter(np.arange(6, dtype=np.float32).reshape(2, 3), device=device)
    before = p.data
    opt = make([p])
    for _ in range(2):
        p.grad = tg.ones(2, 3, device=device)
        opt.step()
    assert p.data is before  # the same array, changed in place
    assert p.dtype == np.float32 and p.device == device
    assert p.is_leaf and p.requires_grad
    assert not np.array_equal(host(p), np.arange(6).reshape(2, 3))


def test_zero_grad(device):
    a = nn.Parameter(np.ones(3), device=device)
    b = nn.Parameter(np.ones(2), device=device)
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = tg.ones(3, dtype=np.float64, device=device)
    kept = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is kept and np.array_equal(host(a.grad), np.zeros(3))
    assert b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_training_a_linear_model_with_backward_matches_torch(device):
    # The whole loop: forward, backward, clip, step, zero_grad, on both sides from the same weights.
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    model = nn.Linear(3, 2, dtype=np.float64, device=device)
    ref = torch.nn.Linear(3, 2, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(host(model.weight)))
        ref.bias.copy_(torch.tensor(host(model.bias)))
    opt = optim.Adam(model.parameters(), lr=0.05, weight_decay=0.01)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.05, weight_decay=0.01)
    xt, yt = tg.Tensor(x, device=device), tg.Tensor(y, device=device)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        d = model(xt) - yt
        loss = (d * d).mean()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        ref_opt.zero_grad()
        ref_loss = ((ref(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        ref_loss.backward()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), 1.0)
        ref_opt.step()
    assert losses[-1] < 0.5 * losses[0]
    _assert_same([model.weight, model.bias], [ref.weight, ref.bias], tol=1e-10)


def test_step_calls_the_closure_with_grad_enabled():
    p = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_array_equal(host(p), [2.0 - 0.25 * 4.0])


# -- invalid arguments -----------------------------------------------------------------


def _param():
    return nn.Parameter(np.zeros(2))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optim.SGD([_param()], lr=-0.1), r"SGD.*lr.*-0\.1"),
        (lambda: optim.SGD([_param()], lr=float("nan")), r"SGD.*lr.*nan"),
        (lambda: optim.SGD([_param()], lr=0.1, momentum=-0.9), r"SGD.*momentum.*-0\.9"),
        (lambda: optim.SGD([_param()], lr=0.1, weight_decay=-1), r"SGD.*weight_decay.*-1"),
        (lambda: optim.SGD([_param()], lr=0.1, nesterov=True), r"SGD.*Nesterov.*momentum=0"),
        (lambda: optim.SGD([_param()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), r"dampening=0\.1"),
        (lambda: optim.SGD([{"params": [_param()], "lr": -2.0}], lr=0.1), r"SGD.*lr.*-2\.0"),
        (lambda: optim.Adam([_param()], lr=-1e-3), r"Adam.*lr.*-0\.001"),
        (lambda: optim.Adam([_param()], betas=(1.0, 0.999)), r"Adam.*beta.*index 0.*1\.0"),
        (lambda: optim.Adam([_param()], betas=(0.9, -0.1)), r"Adam.*beta.*index 1.*-0\.1"),
        (lambda: optim.AdamW([_param()], betas=(0.9, 1.5)), r"AdamW.*beta.*index 1.*1\.5"),
        (lambda: optim.Adam([_param()], eps=-1e-8), r"Adam.*eps.*-1e-08"),
        (lambda: optim.AdamW([_param()], weight_decay=-0.01), r"AdamW.*weight_decay.*-0\.01"),
        (lambda: optim.SGD([], lr=0.1), r"SGD.*empty"),
        (lambda: optim.Adam(iter([])), r"Adam.*empty"),
        (lambda: optim.StepLR(optim.SGD([_param()], lr=0.1), step_size=0), r"StepLR.*step_size.*0"),
        (lambda: optim.CosineAnnealingLR(optim.SGD([_param()], lr=0.1), T_max=0), r"CosineAnnealingLR.*T_max"),
    ],
)
def test_bad_hyper_parameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_parameter_listed_twice_is_refused():
    p = _param()
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_params_must_be_tensors_in_an_iterable():
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(_param(), lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([_param() * 2], lr=0.1)


# -- learning-rate schedules -----------------------------------------------------------


def _schedule_pair(make, torch_make):
    lrs = [0.1, 0.02]
    ours = optim.SGD([{"params": [_param()], "lr": lr} for lr in lrs], lr=1.0)
    theirs = torch.optim.SGD([{"params": [torch.zeros(2)], "lr": lr} for lr in lrs], lr=1.0)
    return ours, make(ours), theirs, torch_make(theirs)


@pytest.mark.parametrize(
    "make, torch_make",
    [
        (lambda o: optim.StepLR(o, step_size=3), lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3)),
        (
            lambda o: optim.StepLR(o, step_size=4, gamma=0.5),
            lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, T_max=7),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7),
        ),
        (
            lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
        ),
        (
            lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
            lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
        ),
        (
            lambda o: optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e) ** 0.5),
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e) ** 0.5),
        ),
        (
            lambda o: optim.lr_scheduler.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1 + e % 3]),
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1 + e % 3]),
        ),
    ],
    ids=["step", "step-gamma", "cosine", "cosine-eta-min", "exponential", "lambda", "lambda-per-group"],
)
def test_schedules_match_torch(make, torch_make):
    opt, sched, ref_opt, ref_sched = _schedule_pair(make, torch_make)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    seen = []
    for epoch in range(21):
        if epoch:
            opt.step()
            ref_opt.step()
            sched.step()
            ref_sched.step()
        assert sched.last_epoch == epoch
        np.testing.assert_allclose(sched.get_last_lr(), ref_sched.get_last_lr(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], sched.get_last_lr(), rtol=0, atol=0)
        seen.append(sched.get_last_lr()[0])
    assert len(set(seen)) > 3  # the schedule did move the lr


def test_the_schedules_live_in_lr_scheduler_and_the_old_names_still_work():
    for name in ["LRScheduler", "StepLR", "CosineAnnealingLR", "ExponentialLR", "LambdaLR"]:
        assert getattr(optim, name) is getattr(optim.lr_scheduler, name) is getattr(tg.optim.lr_scheduler, name)


@pytest.mark.parametrize(
    "make, torch_make",
    [
        (lambda o: optim.lr_scheduler.StepLR(o, 3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        (
            lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
        ),
        (
            lambda o: optim.lr_scheduler.ExponentialLR(o, 0.7),
            lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.7),
        ),
        (
            lambda o: optim.lr_scheduler.LambdaLR(o, lambda e: 0.5**e),
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.5**e),
        ),
    ],
    ids=["step", "cosine", "exponential", "lambda"],
)
def test_schedule_state_dict_is_torchs_and_resumes(make, torch_make, tmp_path):
    opt, sched, ref_opt, ref_sched = _schedule_pair(make, torch_make)
    ref_opt.step()  # (torch warns about a schedule stepped before its optimizer)
    for _ in range(5):
        sched.step()
        ref_sched.step()
    sd, ref_sd = sched.state_dict(), ref_sched.state_dict()
    assert set(sd) <= set(ref_sd)  # torch's keys (it keeps a few more of its own)
    for key, value in sd.items():
        np.testing.assert_allclose(value, ref_sd[key], rtol=1e-12, err_msg=key)
    tg.save({"optimizer": opt.state_dict(), "scheduler": sd}, tmp_path / "s.npz")
    fresh_opt, fresh, _, _ = _schedule_pair(make, torch_make)
    loaded = tg.load(tmp_path / "s.npz")
    fresh_opt.load_state_dict(loaded["optimizer"])
    fresh.load_state_dict(loaded["scheduler"])
    for _ in range(6):
        sched.step()
        fresh.step()
        ref_sched.step()
        assert fresh.get_last_lr() == sched.get_last_lr()
        assert [g["lr"] for g in fresh_opt.param_groups] == sched.get_last_lr()
        np.testing.assert_allclose(fresh.get_last_lr(), ref_sched.get_last_lr(), rtol=1e-12, atol=1e-15)


def test_a_schedule_made_at_a_later_epoch_resumes_from_initial_lr():
    opt = optim.SGD([_param()], lr=0.8)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    later = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=3)
    sched.step()
    assert later.last_epoch == sched.last_epoch == 4 and later.get_last_lr() == sched.get_last_lr() == [0.2]


def test_the_scheduled_lr_is_the_one_the_optimizer_uses():
    p = nn.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5)
    for lr in [1.0, 0.5, 0.25]:
        p.grad = tg.Tensor(np.ones(1))
        before = host(p).copy()
        opt.step()
        np.testing.assert_array_equal(before - host(p), [lr])
        sched.step()


# -- gradient clipping -----------------------------------------------------------------


def _with_grads(device, scale=1.0, dtype=np.float64):
    """Three parameters with gradients and one without, here and in torch."""
    rng = np.random.default_rng(5)
    values = [rng.standard_normal(s) for s in [(4, 3), (3,), (2, 2)]]
    grads = [scale * rng.standard_normal(v.shape) for v in values]
    ours = [nn.Parameter(v.astype(dtype), device=device) for v in values] + [nn.Parameter(np.ones(2), device=device)]
    theirs = [torch.tensor(v, requires_grad=True) for v in values] + [torch.ones(2, requires_grad=True)]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = tg.Tensor(g.astype(dtype), device=device)
        q.grad = torch.tensor(g)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, device):
    ours, theirs = _with_grads(device, scale=2.0)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, tg.Tensor) and total.shape == () and total.device == device  # as torch: a tensor
    assert float(total) == pytest.approx(ref_total.item(), rel=1e-12)
    for p, q in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(host(p.grad), q.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert ours[3].grad is None
    clipped = [host(p.grad) for p in ours[:3]]
    after = np.linalg.norm(np.concatenate([g.ravel() for g in clipped]), ord=norm_type)
    assert after == pytest.approx(min(float(total), max_norm), rel=1e-5)


@pytest.mark.parametrize("ratio", [0.97, 1.03])
def test_clip_grad_norm_just_below_and_above_the_limit(ratio, device):
    ours, theirs = _with_grads(device)
    grads = np.concatenate([host(p.grad).ravel() for p in ours[:3]])
    max_norm = ratio * float(np.linalg.norm(grads))
    before = [host(p.grad).copy() for p in ours[:3]]
    nn.utils.clip_grad_norm_(ours, max_norm)
    torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    for p, q, b in zip(ours[:3], theirs[:3], before):
        np.testing.assert_allclose(host(p.grad), q.grad.numpy(), rtol=1e-12, atol=1e-15)
        assert np.array_equal(host(p.grad), b) == (ratio > 1)  # changed only when the norm is over the limit


def test_clip_grad_norm_keeps_direction_and_dtype(device):
    ours, _ = _with_grads(device, scale=10.0, dtype=np.float32)
    before = [host(p.grad).copy() for p in ours[:3]]
    arrays = [p.grad.data for p in ours[:3]]
    total = float(nn.utils.clip_grad_norm_(iter(ours), 1.0))
    expected = math.sqrt(sum(float((b.astype(np.float64) ** 2).sum()) for b in before))
    assert total == pytest.approx(expected, rel=1e-6)
    for p, b, a in zip(ours[:3], before, arrays):
        assert p.grad.data is a and p.grad.dtype == np.float32  # scaled in place
        np.testing.assert_allclose(host(p.grad), b * (1.0 / (total + 1e-6)), rtol=1e-6)


def test_clip_grad_norm_of_one_tensor_and_of_nothing(device):
    p = nn.Parameter(np.zeros(2), device=device)
    p.grad = tg.Tensor(np.array([3.0, 4.0]), device=device)
    assert float(nn.utils.clip_grad_norm_(p, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(host(p.grad), [0.6, 0.8], rtol=1e-6)
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(np.zeros(2))], 1.0)) == 0.0


def test_clip_grad_norm_non_finite(device):
    p = nn.Parameter(np.zeros(2), device=device)
    p.grad = tg.Tensor(np.array([np.inf, 1.0]), device=device)
    with pytest.raises(RuntimeError, match="non-finite|inf"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(host(p.grad), [np.inf, 1.0])  # untouched when it raises


def test_clip_grad_value_matches_torch(device):
    ours, theirs = _with_grads(device, scale=2.0)
    arrays = [p.grad.data for p in ours[:3]]
    nn.utils.clip_grad_value_(ours, 1.5)
    assert all(p.grad.data is a for p, a in zip(ours, arrays))  # clamped in place
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, q in zip(ours[:3], theirs[:3]):
        np.testing.assert_array_equal(host(p.grad), q.grad.numpy())
    assert max(float(np.abs(host(p.grad)).max()) for p in ours[:3]) == 1.5
    assert ours[3].grad is None


def test_clip_bad_arguments():
    with pytest.raises(ValueError, match="clip_value"):
        nn.utils.clip_grad_value_([_param()], -1.0)
    with pytest.raises(ValueError, match="max_norm"):
        nn.utils.clip_grad_norm_([_param()], -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        nn.utils.clip_grad_norm_([_param()], 1.0, norm_type=0)
