"""The command line as a user meets it: bad command lines get one line and a non-zero exit
before anything runs; failed runs leave nothing behind; outputs go where the user says,
and by default outside the source tree."""

import os
import subprocess
import sys

import pytest

from tinygrad_rnn.lab import cli, outputs

BAD = [
    ("graph -o lstm.jpg", r"cannot write 'lstm.jpg': the name must end in \.svg"),
    ("graph --steps 0", r"--steps: must be at least 1, got 0"),
    ("graph --steps two", r"--steps: expected a whole number, got 'two'"),
    ("graph --hidden 0", r"--hidden: must be at least 1, got 0"),
    ("graph --cell lsmt", r"invalid choice: 'lsmt'"),
    ("graph --highlight nothing", r"invalid choice: 'nothing'"),
    ("flow --steps 1", r"a factor per step needs at least 2 steps"),
    ("flow --cells rnn,lstmm", r"unknown cell\(s\) \['lstmm'\]"),
    ("flow --batch -1", r"--batch: must be at least 1, got -1"),
    ("flow --forget-bias nan", r"--forget-bias: expected a finite number, got nan"),
    ("flow -o flow.gif", r"cannot write 'flow.gif'"),
    ("experiment nothing", r"invalid choice: 'nothing'"),
    ("experiment adding --seeds 1,a", r"--seeds: expected comma-separated whole numbers"),
    ("experiment adding --steps 0", r"--steps: must be at least 1"),
    ("experiment variants --cells rnn,xyz", r"unknown cell\(s\) \['xyz'\]"),
    ("demo --device tpu", r"invalid choice: 'tpu'"),
    ("sweep greff --workers 0", r"--workers: must be at least 1"),
    ("sweep greff --workers 2 --scheduler tcp://localhost:1", r"--workers is for the local cluster"),
    ("bogus", r"invalid choice: 'bogus'"),
    ("", r"the following arguments are required: command"),
]


@pytest.mark.parametrize("line, message", BAD, ids=[b[0] or "(nothing)" for b in BAD])
def test_a_bad_command_line_gets_one_line_and_exit_2(line, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli.main(line.split())
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert len(err.strip().splitlines()) == 1 and "--help" in err
    assert __import__("re").search(message, err), err
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing made


def test_a_run_that_fails_says_so_in_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    from tinygrad_rnn.lab import demo

    def broken(*args, **kwargs):
        raise RuntimeError("the drawing broke")

    monkeypatch.setattr(demo.viz, "draw_panels", broken)  # fails after training and plots were written
    out = tmp_path / "new" / "report"
    assert cli.main(["demo", "--quick", "--no-progress", "--out", str(out)]) == 1
    assert capsys.readouterr().err.strip() == "tinygrad-rnn demo: the drawing broke"
    assert not (tmp_path / "new").exists()  # the staging folder and the folders made for it are gone


def test_demo_without_a_gpu_is_one_line(capsys, tmp_path):
    if __import__("tinygrad_rnn").cuda_available():
        pytest.skip("a GPU is visible: the demo would run")
    assert cli.main(["demo", "--device", "cuda", "--out", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tinygrad-rnn demo: device 'cuda'") and len(err.splitlines()) == 1
    assert not (tmp_path / "d").exists()


def test_outputs_default_outside_the_source_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert outputs.data_home() == tmp_path / "data" / "tinygrad-rnn"
    assert cli.default_db("greff/ci") == tmp_path / "data" / "tinygrad-rnn" / "sweeps" / "greff.sqlite"


def test_staged_output_replaces_files_only_when_the_run_finishes(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.txt").write_text("kept")
    (folder / "a.txt").write_text("old")
    with outputs.staged(folder) as stage:
        (stage / "a.txt").write_text("new")
        assert (folder / "a.txt").read_text() == "old"  # not yet
    assert (folder / "a.txt").read_text() == "new" and (folder / "old.txt").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_python_m_and_version():
    env = {**os.environ}
    out = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "--version"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.startswith("tinygrad-rnn ")
    out = subprocess.run([sys.executable, "-m", "tinygrad_rnn", "--help"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "demo" in out.stdout and "``" not in out.stdout


def test_progress_off_a_terminal_is_quiet_but_alive(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinygrad_rnn",
            "experiment",
            "adding",
            "--quick",
            "--seeds",
            "0",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "LSTM seed 0" in run.stderr and len(run.stderr) < 4000  # a few lines per bar, not one per step
    assert (tmp_path / "results.md").exists()
