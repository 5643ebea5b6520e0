"""Sweeps on real Dask clusters: the shipped study's CI subset on a local cluster, killed midway
and resumed; the same sweep on a separately started scheduler and two workers; failed
trials; the results command. Everything runs on localhost."""

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytest.importorskip("distributed", reason="sweeps need the sweep extra: pip install -e '.[sweep]'")
pytest.importorskip("scipy", reason="sweeps need the sweep extra: pip install -e '.[sweep]'")

from tinygrad_rnn.lab import cli, runner  # noqa: E402
from tinygrad_rnn.lab import sweep as sw  # noqa: E402
from tinygrad_rnn.lab.results import ResultsDB  # noqa: E402

TINY = """
name = "tiny"
cells = ["greff-vanilla", "greff-noaf", "gru"]
reference = "greff-vanilla"
seeds = [0, 1]
samples = 2
[tasks.adding]
options = { length = 6 }
metric = "loss"
steps = 8
eval_every = 4
test_size = 32
[tasks.continual-reber]
options = { length = 12 }
test_options = { length = 40 }
metric = "symbols_correct"
steps = 4
eval_every = 2
test_size = 4
[space]
hidden = { choice = [4, 8] }
lr = { log_uniform = [0.001, 0.1] }
clip = { choice = [0.0, 1.0] }
"""


def sweep_command(*args):
    return [sys.executable, "-m", "tinygrad_rnn.lab.cli", "sweep", *args, "--no-progress"]


def rows(db):
    """{trial id: (rowid, status, started, worker)} of the finished rows, read while a sweep may write."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            found = connection.execute("SELECT id, rowid, status, started, worker FROM trials WHERE status = 'ok'")
            return {i: rest for i, *rest in found}
    except sqlite3.OperationalError:  # not created yet
        return {}


def session_gone(sid, timeout=20):
    """True once no process of session ``sid`` is left (Linux /proc)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                alive.append(entry)
        if not alive:
            return True
        time.sleep(0.2)
    return False


def test_ci_subset_killed_midway_resumes_without_repeating_finished_trials(tmp_path):
    db = tmp_path / "greff.sqlite"
    command = sweep_command("greff", "--subset", "ci", "--db", str(db))
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while len(rows(db)) < 3:
            assert first.poll() is None, first.stdout.read().decode()
            assert time.monotonic() < deadline, "no three trials finished in 240 s"
            time.sleep(0.1)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the sweep and its cluster's workers, at once
        first.wait()
    assert session_gone(first.pid), "processes of the killed sweep are still running"
    before = rows(db)
    assert 3 <= len(before) < 16

    second = subprocess.run(command, capture_output=True, text=True, timeout=400)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"greff/ci: 16 trials, {len(before)} done before, {16 - len(before)} to run" in second.stdout
    after = rows(db)
    assert len(after) == 16
    assert {i: after[i] for i in before} == before  # the same rows: not written again
    assert "### continual-reber" in second.stdout and "### adding" in second.stdout

    third = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "16 trials, 16 done before, 0 to run" in third.stdout and rows(db) == after


def test_ctrl_c_stops_the_sweep_and_its_workers_and_says_how_to_resume(tmp_path):
    config = tmp_path / "long.toml"
    config.write_text(TINY.replace("samples = 2", "samples = 40"))  # 480 short trials
    db = tmp_path / "long.sqlite"
    sweep = subprocess.Popen(
        sweep_command(str(config), "--db", str(db)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(rows(db)) < 5:
            assert sweep.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        sweep.send_signal(signal.SIGINT)
        out = sweep.communicate(timeout=60)[0].decode()
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    assert sweep.returncode == 130 and "the same command resumes the sweep" in out and "Traceback" not in out
    assert session_gone(sweep.pid), "the local cluster outlived Ctrl-C"
    assert 5 <= len(rows(db)) < 480


def comparable(result):
    """What a trial's result must be wherever it ran: all but times, host and worker."""
    curve = [{k: v for k, v in h.items() if k != "seconds"} for h in result.curve]
    return (result.trial.config(), result.status, result.score, result.best_step, result.final, curve)


@pytest.fixture
def cluster(tmp_path):
    """A `dask scheduler` and two `dask worker` processes on localhost: (address, worker addresses)."""
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    started = [
        subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
            + ["--scheduler-file", str(scheduler_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole, but give it a moment
        address = json.loads(scheduler_file.read_text())["address"]
        for k in range(2):
            started.append(
                subprocess.Popen(
                    [*dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
                    + ["--host", "127.0.0.1", "--name", f"w{k}"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=90)
            workers = set(client.scheduler_info()["workers"])
        yield address, workers
    finally:
        for process in started:
            os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_a_separate_scheduler_and_two_workers_give_the_same_rows(tmp_path, cluster, capsys):
    address, workers = cluster
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    assert (
        cli.main(["sweep", str(config), "--db", str(tmp_path / "local.sqlite"), "--workers", "2", "--no-progress"]) == 0
    )
    assert (
        cli.main(
            ["sweep", str(config), "--db", str(tmp_path / "remote.sqlite"), "--scheduler", address, "--no-progress"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"at {address}" in out and "tiny: 24 trials finished, 0 failed" in out
    with ResultsDB(tmp_path / "local.sqlite") as db:
        local = {r.id: r for r in db.results("tiny")}
    with ResultsDB(tmp_path / "remote.sqlite") as db:
        remote = {r.id: r for r in db.results("tiny")}
    assert len(local) == len(remote) == 24 and set(local) == set(remote)
    assert all(comparable(local[i]) == comparable(remote[i]) for i in local)
    assert {r.worker for r in remote.values()} <= workers  # trained on the workers we started
    assert not {r.worker for r in local.values()} & workers


def test_failed_trials_are_stored_with_their_error_and_retried_on_the_next_run(tmp_path):
    spec = sw.from_dict({**_toml(TINY), "samples": 1})
    broken = dataclasses.replace(spec, space={**spec.space, "hidden": [0, 4]})  # hidden 0 cannot be built
    db = tmp_path / "r.sqlite"
    said = []
    results = runner.run(broken, db, workers=2, progress=False, say=said.append)
    failed = [r for r in results if not r.ok]
    assert len(results) == 24 and len(failed) == 12 and all(r.trial.hidden == 0 for r in failed)
    assert all("hidden_size" in r.error for r in failed) and all(r.score is not None for r in results if r.ok)
    assert "tiny: 12 trials finished, 12 failed" in said
    said.clear()
    runner.run(broken, db, workers=1, progress=False, say=said.append)
    assert said[0].startswith("tiny: 24 trials, 12 done before, 12 to run")


def test_run_refuses_bad_arguments_before_starting_anything(tmp_path):
    spec = sw.from_dict(_toml(TINY))
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        runner.run(spec, tmp_path / "r.sqlite", workers=0)
    with pytest.raises(ValueError, match="not both"):
        runner.run(spec, tmp_path / "r.sqlite", workers=2, scheduler="tcp://127.0.0.1:1")
    assert not (tmp_path / "r.sqlite").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace('"gru"', '"lstn"'))
    with pytest.raises(SystemExit, match="unknown cell 'lstn'"):
        cli.main(["sweep", str(bad), "--db", str(tmp_path / "x.sqlite")])
    with pytest.raises(SystemExit, match="no subset 'full'"):
        cli.main(["sweep", "greff", "--subset", "full", "--db", str(tmp_path / "x.sqlite")])
    assert not (tmp_path / "x.sqlite").exists()


def test_results_command_prints_the_summary_and_writes_csv_and_plots(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    db = tmp_path / "r.sqlite"
    runner.run(sw.load(config), db, workers=2, progress=False, say=lambda line: None)
    assert cli.main(["results", str(db), "--csv", str(tmp_path / "r.csv"), "--plot", str(tmp_path / "box.png")]) == 0
    out = capsys.readouterr().out
    assert "tiny: 24 trials stored, 24 finished, 0 failed" in out
    assert "| vanilla | 4 |" in out and "| reference |" in out and "P(better than vanilla)" in out
    assert (tmp_path / "box.png").stat().st_size > 10_000 and len((tmp_path / "r.csv").read_text().splitlines()) == 25
    assert cli.main(["results", str(db), "--where", "cell = 'gru' OR cell = 'greff-vanilla'"]) == 0
    out = capsys.readouterr().out
    assert "where cell = 'gru' OR cell = 'greff-vanilla': 16 trials stored" in out and "NOAF" not in out
    with pytest.raises(SystemExit, match="not valid SQL"):
        cli.main(["results", str(db), "--where", "nope ="])
    with pytest.raises(SystemExit, match="no sweep 'x'"):
        cli.main(["results", str(db), "--sweep", "x"])
    with pytest.raises(SystemExit, match="no database"):
        cli.main(["results", str(tmp_path / "none.sqlite")])


def _toml(text):
    try:
        import tomllib
    except ImportError:
        import tomli as tomllib
    return tomllib.loads(text)
