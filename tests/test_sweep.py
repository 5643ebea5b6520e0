"""Sweeps without a cluster: the sweep file, trials and their identity, running one trial, the
results database, and the statistics."""

import copy
import csv
import sqlite3

import numpy as np
import pytest

import tinygrad_rnn as tg
from tinygrad_rnn.lab import sweep as sw
from tinygrad_rnn.lab.results import ResultsDB
from tinygrad_rnn.lab.trial import TrialResult, best, run_trial

pytest.importorskip("scipy", reason="the statistics need the sweep extra: pip install -e '.[sweep]'")
from tinygrad_rnn.lab import stats  # noqa: E402

SMALL = {
    "name": "small",
    "cells": ["greff-vanilla", "greff-nfg", "gru"],
    "reference": "greff-vanilla",
    "seeds": [0, 1],
    "samples": 3,
    "sample_seed": 5,
    "tasks": {
        "adding": {"options": {"length": 6}, "metric": "loss", "steps": 6, "eval_every": 3, "test_size": 16},
        "temporal-order": {
            "options": {"length": 12},
            "metric": "accuracy",
            "steps": 4,
            "eval_every": 2,
            "test_size": 8,
        },
    },
    "space": {"hidden": [4, 6], "lr": {"log_uniform": [1e-3, 1e-1]}, "forget_bias": {"uniform": [0.0, 2.0]}},
    "subsets": {"one": {"cells": ["gru"], "samples": 1, "seeds": [1]}},
}


def small(**changes):
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return sw.from_dict(data)


# -- the sweep file --------------------------------------------------------------------


def test_trials_are_the_product_of_samples_grid_seeds_tasks_and_cells():
    spec = small()
    trials = spec.trials()
    assert len(trials) == 3 * 2 * 2 * 2 * 3  # samples x grid (hidden) x seeds x tasks x cells
    assert len({t.id for t in trials}) == len(trials)
    for sample in range(3):
        own = [t for t in trials if t.sample == sample]
        assert len({t.lr for t in own}) == 1  # one draw per sample, shared by cells, tasks and seeds
        assert {t.hidden for t in own} == {4, 6}
    assert len({t.lr for t in trials}) == 3 and all(1e-3 <= t.lr <= 1e-1 for t in trials)
    assert {t.forget_bias is None for t in trials if t.cell == "gru"} == {True}  # no forget gate
    assert all(t.forget_bias is not None for t in trials if t.cell == "greff-vanilla")
    assert all(t.clip == 1.0 and t.batch_size == 32 for t in trials)  # the defaults
    assert [t.sample for t in trials] == sorted(t.sample for t in trials)  # sample by sample


def test_trial_identity_is_the_whole_configuration():
    a, b = small().trials(), small().trials()
    assert [t.id for t in a] == [t.id for t in b]
    trial = a[0]
    assert sw.Trial.from_config(trial.config(), sample=7).id == trial.id  # the sample is a label
    for field, value in [("seed", 9), ("lr", trial.lr * 2), ("steps", 7), ("task_options", {"length": 7})]:
        changed = sw.Trial.from_config({**trial.config(), field: value})
        assert changed.id != trial.id, field
    other_draws = small(sample_seed=6).trials()
    assert {t.id for t in other_draws}.isdisjoint({t.id for t in a})


def test_a_subset_is_part_of_the_sweep():
    spec = small()
    part = spec.subset("one")
    assert part.name == "small/one" and part.reference is None  # vanilla is not in the subset
    ids = {t.id for t in part.trials()}
    assert len(ids) == 1 * 2 * 1 * 2 * 1 and ids <= {t.id for t in spec.trials()}
    with pytest.raises(sw.SweepError, match="no subset 'two'"):
        spec.subset("two")


def test_the_shipped_study():
    spec = sw.load("greff")
    assert len(spec.cells) == 10 and spec.reference == "greff-vanilla" and len(spec.seeds) == 3 and spec.samples == 20
    assert {t.name for t in spec.tasks} == {"continual-reber", "adding"}
    assert len(spec.trials()) == 1200
    ci = spec.subset("ci").trials()
    assert len(ci) == 16 and {t.id for t in ci} <= {t.id for t in spec.trials()}


def test_the_follow_up_study_differs_from_the_first_only_in_clipping_and_its_draw():
    first, follow_up = sw.load("greff"), sw.load("noaf-unclipped")
    assert follow_up.cells == ("greff-vanilla", "greff-noaf") and follow_up.reference == first.reference
    assert follow_up.tasks == first.tasks and follow_up.seeds == first.seeds and follow_up.samples == first.samples
    assert follow_up.sample_seed != first.sample_seed
    trials = follow_up.trials()
    assert len(trials) == 240 and {t.clip for t in trials} == {0.0}
    assert sw.shipped_studies() == ["greff", "noaf-unclipped"]


BAD = [
    ({"cells": ["lstm", "lstn"]}, "cells: unknown cell 'lstn'"),
    ({"cells": []}, "cells: expected a non-empty list"),
    ({"seeds": [0, 0]}, "seeds: repeated values"),
    ({"seeds": [0.5]}, "seeds: expected a non-empty list of ints"),
    ({"samples": 0}, "samples must be an integer >= 1"),
    ({"reference": "lstm"}, "reference 'lstm' is not one of the cells"),
    ({"colour": "red"}, r"the sweep: unknown key\(s\) \['colour'\]"),
    ({"tasks": {}}, "tasks: give at least one"),
    ({"tasks": {"addition": {}}}, "tasks.addition: unknown task 'addition'"),
    ({"tasks": {"adding": {"metric": "loss", "steps": 5, "eval_every": 5}}}, r"tasks.adding.test_size: expected"),
    ({"tasks": {"adding": {"metric": "accuracy", "steps": 5, "eval_every": 5, "test_size": 5}}}, "not a metric of"),
    (
        {
            "tasks": {
                "adding": {"options": {"lenght": 5}, "metric": "loss", "steps": 5, "eval_every": 5, "test_size": 5}
            }
        },
        "tasks.adding: the options do not make a task",
    ),
    (
        {"tasks": {"adding": {"options": {"seed": 1}, "metric": "loss", "steps": 5, "eval_every": 5, "test_size": 5}}},
        "the seed comes from seeds",
    ),
    ({"space": {"lr": {"normal": [0, 1]}}}, "space.lr: a distribution is one of"),
    ({"space": {"lr": {"log_uniform": [0.0, 1.0]}}}, "space.lr: log_uniform needs low > 0"),
    ({"space": {"lr": {"uniform": [0.2, 0.1]}}}, r"space.lr: uniform needs \[low, high\]"),
    ({"space": {"hidden": [8, 0]}}, "space.hidden: 0 is not valid; expected an integer >= 1"),
    ({"space": {"hidden": 8.5}}, "space.hidden: 8.5 is not valid"),
    ({"space": {"clip": -1.0}}, "space.clip: -1.0 is not valid"),
    ({"space": {"momentum": 0.9}}, r"space: unknown key\(s\) \['momentum'\]"),
    ({"space": {"lr": 0.01}}, "samples = 3, but"),
    ({"subsets": {"x": {"cells": ["lstm"]}}}, r"subsets.x.cells: \['lstm'\] are not in the sweep's cells"),
    ({"subsets": {"x": {"samples": 4}}}, "subsets.x.samples: expected an integer from 1 to 3"),
]


@pytest.mark.parametrize("change,message", BAD, ids=[m for _, m in BAD])
def test_a_bad_sweep_is_refused_naming_the_key(change, message):
    with pytest.raises(sw.SweepError, match=message):
        small(**change)


def test_load_finds_files_and_shipped_studies(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'cells = ["gru"]\nseeds = [0]\n[tasks.adding]\nmetric = "loss"\nsteps = 2\neval_every = 1\ntest_size = 4\n'
    )
    spec = sw.load(path)
    assert spec.name == "mine" and len(spec.trials()) == 1
    with pytest.raises(sw.SweepError, match="no sweep file 'nope.toml'.*shipped: greff"):
        sw.load("nope.toml")
    (tmp_path / "bad.toml").write_text("cells = [")
    with pytest.raises(sw.SweepError, match="not valid TOML"):
        sw.load(tmp_path / "bad.toml")


# -- one trial -----------------------------------------------------------------------------


def test_a_trial_is_deterministic_and_scored_by_its_best_evaluation():
    trial = small().trials()[0]
    threads = tg.get_num_threads()
    a, b = run_trial(trial), run_trial(trial)
    assert tg.get_num_threads() == threads  # one thread inside the trial, the caller's count after
    assert a.ok and a.error is None and a.host and a.versions["numpy"] == np.__version__
    assert [h["step"] for h in a.curve] == [0, 3, 6]  # the untrained model is evaluated too
    without_time = [{k: v for k, v in h.items() if k != "seconds"} for h in a.curve]
    assert without_time == [{k: v for k, v in h.items() if k != "seconds"} for h in b.curve]
    assert a.score == min(h["test_loss"] for h in a.curve) and a.score == b.score
    assert a.curve[[h["step"] for h in a.curve].index(a.best_step)]["test_loss"] == a.score
    assert a.final == {k[5:]: v for k, v in a.curve[-1].items() if k.startswith("test_")}


def test_best_ignores_values_that_are_not_finite():
    curve = [
        {"step": 0, "test_accuracy": 0.25},
        {"step": 5, "test_accuracy": 0.75},
        {"step": 9, "test_accuracy": np.nan},
    ]
    assert best(curve, "accuracy", higher_is_better=True) == (0.75, 5)
    assert best(curve, "accuracy", higher_is_better=False) == (0.25, 0)
    assert best(curve[2:], "accuracy", True) == (None, None)


def test_a_trial_that_raises_is_a_failed_result_with_its_traceback():
    trial = sw.Trial.from_config({**small().trials()[0].config(), "hidden": 0})  # bypasses the sweep's checks
    result = run_trial(trial)
    assert result.status == "failed" and not result.ok and result.score is None
    assert "Traceback" in result.error and "hidden_size" in result.error


# -- the results database ------------------------------------------------------------


def fake(trial, score, status="ok"):
    curve = [{"step": 0, "seconds": 0.0, "train_loss": None, f"test_{trial.metric}": score}]
    return TrialResult(trial, status, score, 0, {trial.metric: score}, curve, None, 1.5, "t0", "t1", "h", "w", {})


def test_results_round_trip_and_only_ok_trials_count_as_finished(tmp_path):
    spec = small()
    trials = spec.trials()[:4]
    with ResultsDB(tmp_path / "r.sqlite") as db:
        db.add_sweep(spec, trials)
        db.write(fake(trials[0], 0.5))
        db.write(fake(trials[1], None, "failed"))
        assert db.finished() == {trials[0].id}
        assert db.finished([trials[1].id, trials[2].id]) == set()
        db.write(fake(trials[1], 0.25))  # a retry replaces the failed row
        assert db.finished() == {trials[0].id, trials[1].id}
    with ResultsDB(tmp_path / "r.sqlite") as db:  # reopened: all was committed
        back = db.results("small")
        assert back == [fake(trials[0], 0.5), fake(trials[1], 0.25)]
        assert back[0].trial.sample == trials[0].sample and db.sweeps() == ["small"]
        assert db.definition("small")["cells"] == SMALL["cells"]
        rows = list(csv.DictReader(db.export_csv(tmp_path / "r.csv").open()))
    assert [r["id"] for r in rows] == [trials[0].id, trials[1].id] and rows[0]["score"] == "0.5"
    with ResultsDB(tmp_path / "r.sqlite") as db:
        assert db.results("small", where="score < 0.3") == [fake(trials[1], 0.25)]
        assert db.results(where=f"cell = '{trials[0].cell}' AND seed = {trials[0].seed}")[0].id == trials[0].id
        with pytest.raises(ValueError, match="not valid SQL on the trials table"):
            db.results(where="colour = 'red'")
    assert "curve" not in rows[0] and rows[0]["hidden"] == str(trials[0].hidden)


def test_results_database_errors(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        ResultsDB(tmp_path)
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(sqlite3.DatabaseError, match="is not a results database"):
        ResultsDB(tmp_path / "junk.sqlite")
    with ResultsDB(tmp_path / "r.sqlite") as db:
        with pytest.raises(KeyError, match="no sweep 'x'"):
            db.results("x")
        with pytest.raises(sqlite3.IntegrityError):
            db.write(fake(small().trials()[0], 0.5, status="done"))


# -- statistics -------------------------------------------------------------------------


def test_holm_adjustment():
    # m = 4: sorted p 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.06, 0.06 (made monotone), 0.5
    np.testing.assert_allclose(stats.holm([0.03, 0.5, 0.01, 0.02]), [0.06, 0.5, 0.04, 0.06])
    np.testing.assert_allclose(stats.holm([0.9, 0.8]), [1.0, 1.0])  # capped at 1
    # 0.012 x 2 = 0.024 would fall below 0.011 x 3 = 0.033 and 0.01 x 4 = 0.04: held at 0.04
    np.testing.assert_allclose(stats.holm([0.2, 0.012, 0.01, 0.011]), [0.2, 0.04, 0.04, 0.04])
    assert stats.holm([]).shape == (0,)


def synthetic(metric_scores, task="temporal-order"):
    """Fake results: {cell: scores} on one task."""
    spec = small()
    base = next(t for t in spec.trials() if t.task == task)
    out = []
    for cell, scores in metric_scores.items():
        for seed, score in enumerate(scores):
            out.append(fake(sw.Trial.from_config({**base.config(), "cell": cell, "seed": seed}), score))
    return out


def test_summaries_flag_significant_differences_in_the_right_direction():
    rng = np.random.default_rng(0)
    good, same, bad = rng.uniform(0.8, 1.0, 30), rng.uniform(0.5, 0.7, 30), rng.uniform(0.2, 0.4, 30)
    results = synthetic({"gru": good, "greff-vanilla": rng.uniform(0.5, 0.7, 30), "greff-nfg": bad, "lstm": same})
    results.append(fake(results[0].trial, None, status="failed"))
    rows = {s.cell: s for s in stats.summarize(results, "greff-vanilla", cells=["greff-vanilla", "lstm"])}
    assert list(rows) == ["greff-vanilla", "lstm", "gru", "greff-nfg"]
    assert rows["gru"].verdict == "better" and rows["gru"].better == 1.0 and rows["gru"].failed == 1
    assert rows["greff-nfg"].verdict == "worse" and rows["greff-nfg"].better == 0.0
    assert rows["lstm"].verdict == "" and rows["lstm"].p_holm > 0.05 and rows["lstm"].p_holm >= rows["lstm"].p
    assert rows["greff-vanilla"].p is None and rows["greff-nfg"].median == pytest.approx(np.median(bad))
    assert rows["greff-nfg"].quartiles == pytest.approx(tuple(np.quantile(bad, [0.25, 0.75])))
    from scipy.stats import mannwhitneyu

    p = [mannwhitneyu(x, rows["greff-vanilla"].scores).pvalue for x in (same, good, bad)]
    np.testing.assert_allclose([rows[c].p for c in ("lstm", "gru", "greff-nfg")], p)
    np.testing.assert_allclose([rows[c].p_holm for c in ("lstm", "gru", "greff-nfg")], stats.holm(p))


def test_a_lower_is_better_metric_turns_the_verdict_around():
    rng = np.random.default_rng(1)
    results = synthetic({"greff-vanilla": rng.uniform(0.1, 0.2, 20), "gru": rng.uniform(0.01, 0.02, 20)}, task="adding")
    welch = {s.cell: s for s in stats.summarize(results, "greff-vanilla", test="welch")}
    assert welch["gru"].verdict == "better" and not welch["gru"].higher_is_better
    from scipy.stats import ttest_ind

    assert welch["gru"].p == pytest.approx(
        ttest_ind(welch["gru"].scores, welch["greff-vanilla"].scores, equal_var=False).pvalue
    )
    table = stats.markdown(list(welch.values()), "greff-vanilla", test="welch")
    assert "### adding: best test loss per trial (lower is better)" in table and "| GRU | 20 |" in table
    assert "**better**" in table and "Welch's t" in table


def test_summarize_refuses_a_reference_without_trials_and_an_unknown_test():
    results = synthetic({"gru": [0.5, 0.6]})
    with pytest.raises(ValueError, match="reference cell 'lstm' has no trials"):
        stats.summarize(results, "lstm")
    with pytest.raises(ValueError, match="test must be one of"):
        stats.summarize(results, test="t")


def test_boxplots_are_drawn(tmp_path):
    rng = np.random.default_rng(2)
    results = synthetic({"greff-vanilla": rng.uniform(0, 1, 10), "gru": rng.uniform(0, 1, 10)})
    results += synthetic({"greff-vanilla": rng.uniform(0.1, 1, 10), "gru": rng.uniform(0.1, 1, 10)}, task="adding")
    path = stats.boxplots(stats.summarize(results, "greff-vanilla"), tmp_path / "box.png", "greff-vanilla")
    assert path.stat().st_size > 10_000
